package alerts_test

import (
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/pkg/alerts"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
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
	bare := names(alerts.Service{Target: target})
	assert.Contains(t, bare, alerts.PodsUnavailable, "every service")
	assert.Contains(t, bare, alerts.CrashLooping, "every service")
	// Each alert of a switch comes with it, and only with it.
	for _, c := range []struct {
		alert string
		when  func(*alerts.Service)
	}{
		{alerts.HPAAtMax, func(s *alerts.Service) { s.Autoscaled = true }},
		{alerts.MigrationFailed, func(s *alerts.Service) { s.Migrates = true }},
		{alerts.HighErrorRatio, func(s *alerts.Service) { s.Routed = true }},
		{alerts.HighLatency, func(s *alerts.Service) { s.Routed = true }},
	} {
		s := alerts.Service{Target: target}
		assert.NotContains(t, names(s), c.alert)
		c.when(&s)
		assert.Contains(t, names(s), c.alert)
	}
	assert.NotContains(t, names(alerts.Service{Target: target, Routed: true, WebSocket: true}), alerts.HighLatency, "no latency alert on long-lived connections")
}

// TestSeverities: an alert has the policy's severity unless pkg/alerts
// fixes its own.
func TestSeverities(t *testing.T) {
	s := alerts.Service{Target: queries.Target{Namespace: "telepace", Service: "svc"}, Routed: true, Autoscaled: true, Migrates: true}
	for _, policy := range []string{"critical", "info"} {
		for _, a := range alerts.ForService(s, alerts.Policy{Severity: policy, For: "5m", ErrorRatio: 0.05, LatencyP99Ms: 2000}) {
			want, fixed := alerts.Fixed[a.Name]
			if !fixed {
				want = policy
			}
			assert.Equal(t, want, a.Severity, a.Name)
		}
	}
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

// everyAlert returns every alert ForService can make, by name: it calls
// ForService with every combination of the Service's switches (its bool
// fields, found by reflection, so that a switch added later is covered
// too).
func everyAlert(t *testing.T) map[string]pc.Alert {
	t.Helper()
	var switches []int
	typ := reflect.TypeFor[alerts.Service]()
	for i := range typ.NumField() {
		if typ.Field(i).Type.Kind() == reflect.Bool {
			switches = append(switches, i)
		}
	}
	require.NotEmpty(t, switches)
	out := map[string]pc.Alert{}
	for combo := range 1 << len(switches) {
		s := alerts.Service{Target: queries.Target{Namespace: "telepace", Service: "svc"}, Environment: "prod"}
		v := reflect.ValueOf(&s).Elem()
		for bit, field := range switches {
			v.Field(field).SetBool(combo&(1<<bit) != 0)
		}
		for _, a := range alerts.ForService(s, alerts.Policy{Severity: "critical", For: "5m", ErrorRatio: 0.05, LatencyP99Ms: 2000}) {
			out[a.Name] = a
		}
	}
	return out
}

// runbookSections returns the anchors of the second-level sections of
// docs/runbooks.md.
func runbookSections(t *testing.T) map[string]bool {
	t.Helper()
	doc, err := os.ReadFile("../../docs/runbooks.md")
	require.NoError(t, err)
	sections := map[string]bool{}
	for line := range strings.Lines(string(doc)) {
		if heading, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "## "); ok {
			sections[heading] = true
		}
	}
	return sections
}

// TestRunbooksHaveASectionPerAlert: every alert the catalog can make links
// a section of docs/runbooks.md that exists, so a new alert without a
// runbook section fails here; and every section belongs to an alert, so a
// removed alert leaves no stale section.
func TestRunbooksHaveASectionPerAlert(t *testing.T) {
	made := everyAlert(t)
	sections := runbookSections(t)
	anchors := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(made)) {
		anchor := lower(name)
		anchors[anchor] = true
		assert.Equal(t, alerts.RunbookBase+"#"+anchor, made[name].RunbookURL, name)
		assert.True(t, sections[anchor], "%s: docs/runbooks.md has no section \"## %s\"; write its runbook", name, anchor)
	}
	for _, anchor := range slices.Sorted(maps.Keys(sections)) {
		assert.True(t, anchors[anchor], "docs/runbooks.md: section %q belongs to no alert; remove it or name the alert", anchor)
	}
}

func TestMain(m *testing.M) { constructstest.Main(m) }
