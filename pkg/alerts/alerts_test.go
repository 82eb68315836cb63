package alerts_test

import (
	"os"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/stretchr/testify/assert"

	"github.com/telepace/platform-charts/internal/jsiienv"
	"github.com/telepace/platform-charts/pkg/alerts"
	"github.com/telepace/platform-charts/pkg/queries"
)

func names(s alerts.Service) []string {
	var out []string
	for _, a := range alerts.ForService(s, alerts.Policy{Severity: "critical", For: "5m", ErrorRatio: 0.05, LatencyP99Ms: 2000}) {
		out = append(out, a.Name)
	}
	return out
}

// TestAlertsFollowTheService: each alert appears only where its metrics
// exist.
func TestAlertsFollowTheService(t *testing.T) {
	target := queries.Target{Namespace: "telepace", Service: "svc"}
	assert.Equal(t, []string{alerts.PodsUnavailable, alerts.CrashLooping}, names(alerts.Service{Target: target}))
	assert.Equal(t, []string{alerts.PodsUnavailable, alerts.CrashLooping, alerts.HPAAtMax, alerts.MigrationFailed, alerts.HighErrorRatio, alerts.HighLatency},
		names(alerts.Service{Target: target, Routed: true, Autoscaled: true, Migrates: true}))
	assert.NotContains(t, names(alerts.Service{Target: target, Routed: true, WebSocket: true}), alerts.HighLatency, "no latency alert on long-lived connections")
}

// TestEveryAlertCarriesItsIdentity: namespace, service and environment
// labels, and a runbook anchor per alert.
func TestEveryAlertCarriesItsIdentity(t *testing.T) {
	s := alerts.Service{Target: queries.Target{Namespace: "telepace", Service: "svc"}, Environment: "prod", Routed: true, Autoscaled: true, Migrates: true}
	for _, a := range alerts.ForService(s, alerts.Policy{Severity: "critical", For: "5m", ErrorRatio: 0.05, LatencyP99Ms: 2000}) {
		assert.Equal(t, map[string]string{"namespace": "telepace", "service": "svc", "environment": "prod"}, a.Labels, a.Name)
		assert.Contains(t, []string{"critical", "warning"}, a.Severity)
		assert.Equal(t, alerts.RunbookBase+"#"+lower(a.Name), a.RunbookURL)
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TestRunbooksHaveASectionPerAlert: every runbook_url anchor exists.
func TestRunbooksHaveASectionPerAlert(t *testing.T) {
	doc, err := os.ReadFile("../../docs/runbooks.md")
	if !assert.NoError(t, err) {
		return
	}
	for _, name := range []string{alerts.PodsUnavailable, alerts.CrashLooping, alerts.HPAAtMax, alerts.MigrationFailed, alerts.HighErrorRatio, alerts.HighLatency} {
		assert.Contains(t, string(doc), "\n## "+lower(name)+"\n", name)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	jsiienv.Cleanup()
	os.Exit(code)
}
