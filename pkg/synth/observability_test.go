package synth_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/loki"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/apps"
	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/alerts"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/synth"
)

// TestRulesParseWithPrometheus reads every PrometheusRule back from the
// charts and loads its groups with Prometheus's own rule-file loader and
// PromQL parser, with legacy label-name validation; every alert has a
// severity, a summary, a description and a runbook URL that links a
// section of docs/runbooks.md that exists.
func TestRulesParseWithPrometheus(t *testing.T) {
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	runbooks, err := os.ReadFile("../../docs/runbooks.md")
	require.NoError(t, err)
	p := parser.NewParser(parser.Options{})
	rules := 0
	for env, r := range resolved {
		for _, o := range r.Objects {
			if o.Kind != "PrometheusRule" {
				continue
			}
			pr := &monitoringv1.PrometheusRule{}
			require.NoError(t, yaml.UnmarshalStrict(o.YAML, pr))
			file, err := yaml.Marshal(pr.Spec)
			require.NoError(t, err)
			groups, errs := rulefmt.Parse(file, false, model.LegacyValidation, p, slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.Empty(t, errs, "%s/%s", env, o.Name)
			for _, g := range groups.Groups {
				for _, rule := range g.Rules {
					rules++
					_, err := p.ParseExpr(rule.Expr)
					require.NoError(t, err, "%s/%s %s", env, o.Name, rule.Alert)
					assert.Contains(t, pc.Severities, rule.Labels["severity"], "%s %s", env, rule.Alert)
					for _, a := range []string{"summary", "description", "runbook_url"} {
						assert.NotEmpty(t, rule.Annotations[a], "%s %s: %s", env, rule.Alert, a)
					}
					anchor, ok := strings.CutPrefix(rule.Annotations["runbook_url"], alerts.RunbookBase+"#")
					if assert.True(t, ok, "%s %s: runbook_url %q is not a section of docs/runbooks.md", env, rule.Alert, rule.Annotations["runbook_url"]) {
						assert.Contains(t, string(runbooks), "\n## "+anchor+"\n", "%s %s: docs/runbooks.md has no section for it; write its runbook", env, rule.Alert)
					}
				}
			}
		}
	}
	assert.Positive(t, rules)
}

// TestPrometheusRejectsBrokenRules: the same loader refuses a rule file
// with a PromQL error, so the check above can fail.
func TestPrometheusRejectsBrokenRules(t *testing.T) {
	_, errs := rulefmt.Parse([]byte("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: sum(rate(x[5m])\n"), false, model.LegacyValidation, parser.NewParser(parser.Options{}), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NotEmpty(t, errs)
}

// TestDashboardsDecodeWithTheSDK decodes every dashboard ConfigMap back
// into the Grafana SDK's types, parses every panel's PromQL, and checks
// that every datasource is a template variable, never a fixed UID.
func TestDashboardsDecodeWithTheSDK(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	p := parser.NewParser(parser.Options{})
	for env, r := range resolved {
		found := 0
		for _, o := range r.Objects {
			cm := &corev1.ConfigMap{}
			if o.Kind != "ConfigMap" {
				continue
			}
			require.NoError(t, yaml.UnmarshalStrict(o.YAML, cm))
			if cm.Labels[pc.DashboardLabel] != "1" {
				continue
			}
			found++
			assert.NotEmpty(t, cm.Annotations[pc.DashboardFolderAnnotation], "%s/%s has no folder", env, cm.Name)
			require.Len(t, cm.Data, 1)
			for _, body := range cm.Data {
				var d dashboard.Dashboard
				require.NoError(t, json.Unmarshal([]byte(body), &d), "%s/%s", env, cm.Name)
				require.NoError(t, d.Validate(), "%s/%s", env, cm.Name)
				var strict dashboard.Dashboard
				if errs := strict.UnmarshalJSONStrict([]byte(body)); errs != nil {
					require.Empty(t, fmt.Sprint(errs), "%s/%s: strict decoding", env, cm.Name)
				}
				// Panels sit inside Grafana's 24 columns and do not overlap.
				type cell struct{ x, y uint32 }
				taken := map[cell]string{}
				for _, pr := range d.Panels {
					g := pr.Panel.GridPos
					require.NotNil(t, g, "%s/%s panel %q has no position", env, cm.Name, *pr.Panel.Title)
					assert.LessOrEqual(t, g.X+g.W, uint32(24), "%s/%s panel %q overflows the grid", env, cm.Name, *pr.Panel.Title)
					for x := g.X; x < g.X+g.W; x++ {
						for y := g.Y; y < g.Y+g.H; y++ {
							if prev, ok := taken[cell{x, y}]; ok {
								t.Errorf("%s/%s: panels %q and %q overlap", env, cm.Name, prev, *pr.Panel.Title)
							}
							taken[cell{x, y}] = *pr.Panel.Title
						}
					}
				}
				vars := map[string]bool{}
				for _, v := range d.Templating.List {
					if v.Type == "datasource" {
						vars["${"+v.Name+"}"] = true
					}
				}
				panels := 0
				for _, pr := range d.Panels {
					require.NotNil(t, pr.Panel, "%s/%s: rows are not used", env, cm.Name)
					panel := pr.Panel
					panels++
					require.NotNil(t, panel.Datasource)
					assert.True(t, vars[*panel.Datasource.Uid], "%s/%s panel %q: datasource %q is not a template variable", env, cm.Name, *panel.Title, *panel.Datasource.Uid)
					require.NotEmpty(t, panel.Targets, "%s/%s panel %q", env, cm.Name, *panel.Title)
					for _, target := range panel.Targets {
						switch q := target.(type) {
						case *prometheus.Dataquery:
							_, err := p.ParseExpr(q.Expr)
							assert.NoError(t, err, "%s/%s panel %q", env, cm.Name, *panel.Title)
							assert.True(t, vars[*q.Datasource.Uid], "%s/%s panel %q query", env, cm.Name, *panel.Title)
						case *loki.Dataquery:
							assert.True(t, strings.HasPrefix(q.Expr, "{namespace="), q.Expr)
						default:
							t.Errorf("%s/%s panel %q: unexpected query type %T", env, cm.Name, *panel.Title, target)
						}
					}
				}
				assert.Positive(t, panels)
			}
		}
		e, ok := environments.Lookup(env)
		require.True(t, ok)
		assert.Equal(t, len(e.Services)+1, found, "%s: a dashboard per service and one overview", env)
	}
}

// TestWebSocketRoutesSkipTheLatencyAlert checks that the latency alert
// follows what a route declares (Route.WebSocket): a service routed only
// through plain HTTP routes has a p99 latency alert, and a service with a
// WebSocket route, whose connections last minutes, has none.
func TestWebSocketRoutesSkipTheLatencyAlert(t *testing.T) {
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	var websockets int
	for _, e := range environments.All() {
		alertsOf := map[string][]string{}
		for _, o := range resolved[e.Name].Objects {
			if o.Kind != "PrometheusRule" {
				continue
			}
			pr := &monitoringv1.PrometheusRule{}
			require.NoError(t, yaml.UnmarshalStrict(o.YAML, pr))
			for _, g := range pr.Spec.Groups {
				for _, r := range g.Rules {
					alertsOf[o.Name] = append(alertsOf[o.Name], r.Alert)
				}
			}
		}
		for _, s := range e.Services {
			app, ok := apps.Lookup(s.App)
			require.True(t, ok, s.App)
			routes := s.Routes
			if routes == nil && app.Routes != nil {
				routes = app.Routes(e.Context())
			}
			if len(routes) == 0 {
				continue
			}
			name := cmp.Or(s.Name, s.App)
			if slices.ContainsFunc(routes, func(r pc.Route) bool { return r.WebSocket }) {
				websockets++
				assert.NotContains(t, alertsOf[name], alerts.HighLatency, "%s/%s declares a WebSocket route", e.Name, name)
			} else {
				assert.Contains(t, alertsOf[name], alerts.HighLatency, "%s/%s has plain HTTP routes only", e.Name, name)
			}
		}
	}
	assert.Positive(t, websockets, "some environment routes a WebSocket")
}
