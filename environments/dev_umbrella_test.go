package environments_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cv "github.com/telepace/platform-charts/pkg/chartvalues"
	pc "github.com/telepace/platform-charts/pkg/constructs"

	"github.com/telepace/platform-charts/environments"
)

// values returns the values of every umbrella dependency of e, by key.
func values(t *testing.T, e environments.Environment) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, d := range e.Dependencies() {
		out[d.Key()] = d.Values
	}
	return out
}

// TestUmbrellaWiring checks that what the services and the monitoring
// layer are told matches the names the dependencies' charts give their
// Services: the jaeger chart names them <fullname>-collector and
// <fullname>-query, Kong's ServiceMonitor is found by the selector
// Prometheus uses, and the dashboard sidecar reads the annotation the
// dashboards carry.
func TestUmbrellaWiring(t *testing.T) {
	for _, e := range environments.All() {
		if e.Umbrella == nil {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			v := values(t, e)
			jaeger, ok := v["jaeger"].(*cv.JaegerValues)
			require.True(t, ok, "jaeger values")
			require.NotEmpty(t, e.Monitoring.Tracing.Endpoint)
			u, err := url.Parse(e.Monitoring.Tracing.Endpoint)
			require.NoError(t, err)
			assert.Equal(t, jaeger.FullnameOverride+"-collector", u.Hostname(), "the services send traces to the chart's collector Service")
			assert.Equal(t, "4318", u.Port(), "OTLP over HTTP")

			stack, ok := v["monitoring"].(*cv.PrometheusStackValues)
			require.True(t, ok, "monitoring values")
			var jaegerSource *cv.GrafanaDataSource
			for i, ds := range stack.Grafana.AdditionalDataSources {
				if ds.Type == "jaeger" {
					jaegerSource = &stack.Grafana.AdditionalDataSources[i]
				}
			}
			require.NotNil(t, jaegerSource, "Grafana has a Jaeger data source")
			q, err := url.Parse(jaegerSource.URL)
			require.NoError(t, err)
			assert.Equal(t, jaeger.FullnameOverride+"-query", q.Hostname(), "Grafana reads the chart's query Service")
			assert.Equal(t, "16686", q.Port())

			assert.False(t, stack.PrometheusOperator.AdmissionWebhooks.Enabled)
			assert.False(t, stack.PrometheusOperator.TLS.Enabled, "with the webhooks off, the operator's TLS Secret is created by nothing")
			sel := e.Monitoring.SelectorLabels
			assert.Equal(t, sel, stack.Prometheus.PrometheusSpec.ServiceMonitorSelector.MatchLabels)
			assert.Equal(t, sel, stack.Prometheus.PrometheusSpec.RuleSelector.MatchLabels)
			assert.Equal(t, sel, stack.Alertmanager.AlertmanagerSpec.AlertmanagerConfigSelector.MatchLabels)

			kong, ok := v["kong"].(*cv.KongValues)
			require.True(t, ok, "kong values")
			assert.True(t, kong.Gateway.ServiceMonitor.Enabled, "Kong's metrics are scraped")
			assert.Equal(t, sel, kong.Gateway.ServiceMonitor.Labels, "Prometheus selects Kong's ServiceMonitor")

			dash := stack.Grafana.Sidecar.Dashboards
			assert.Equal(t, pc.DashboardLabel, dash.Label)
			assert.Equal(t, pc.DashboardFolderAnnotation, dash.FolderAnnotation)
			assert.True(t, dash.Provider.FoldersFromFilesStructure, "folders come from the annotation's directories")
			assert.True(t, stack.Grafana.RBAC.Namespaced, "no ClusterRole for Grafana's sidecars")
		})
	}
}

// TestUmbrellaReadsGeneratedSecrets checks that every Secret key a
// dependency reads is produced in the environment, so no chart invents
// a random password of its own.
func TestUmbrellaReadsGeneratedSecrets(t *testing.T) {
	for _, e := range environments.All() {
		for _, d := range e.Dependencies() {
			for _, r := range d.Reads {
				g, ok := e.Secrets.Generated[r.Secret]
				if !assert.True(t, ok, "%s/%s reads Secret %q, which is not generated", e.Name, d.Key(), r.Secret) {
					continue
				}
				_, fixed := g.Values[r.Key]
				assert.True(t, fixed || slices.Contains(g.Passwords, r.Key), "%s/%s reads key %q of Secret %q, which it does not hold", e.Name, d.Key(), r.Key, r.Secret)
			}
		}
	}
	dev, ok := environments.Lookup("dev")
	require.True(t, ok)
	stack := values(t, dev)["monitoring"].(*cv.PrometheusStackValues)
	admin := stack.Grafana.Admin
	require.NotEmpty(t, admin.ExistingSecret, "Grafana's admin password is not left to the chart")
	var read []string
	for _, d := range dev.Dependencies() {
		if d.Key() == "monitoring" {
			for _, r := range d.Reads {
				if r.Secret == admin.ExistingSecret {
					read = append(read, r.Key)
				}
			}
		}
	}
	assert.ElementsMatch(t, []string{admin.UserKey, admin.PasswordKey}, read, "the monitoring dependency declares what Grafana reads")
}
