package constructs_test

import (
	"strings"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/validation"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
	"github.com/telepace/platform-charts/pkg/queries"
)

func TestObservabilityValidation(t *testing.T) {
	metricsService := func(chart constructs.Construct) *pc.Microservice {
		p := validProps()
		p.Metrics = &pc.Metrics{}
		return pc.NewMicroservice(chart, "svc", p)
	}
	tests := []struct {
		name  string
		build func(chart constructs.Construct)
		want  []string
	}{
		{
			name: "a ServiceMonitor for a port the service does not declare",
			build: func(chart constructs.Construct) {
				ms := metricsService(chart)
				pc.NewServiceMonitor(ms.Construct, "monitor", pc.ServiceMonitorProps{Service: ms, Port: "metrics", Interval: "0s"})
			},
			want: []string{
				`[test/svc/monitor] port: service "svc" has no port "metrics"`,
				`[test/svc/monitor] interval: "0s" is not a positive Prometheus duration such as 30s`,
			},
		},
		{
			name: "a ServiceMonitor for a service without metrics",
			build: func(chart constructs.Construct) {
				ms := pc.NewMicroservice(chart, "svc", validProps())
				pc.NewServiceMonitor(ms.Construct, "monitor", pc.ServiceMonitorProps{Service: ms})
			},
			want: []string{`[test/svc/monitor] service: svc declares no metrics endpoint`},
		},
		{
			name: "a dashboard panel naming an unknown query",
			build: func(chart constructs.Construct) {
				pc.NewGrafanaDashboard(chart, "dash", pc.DashboardProps{
					Labels: pc.Labels{Name: "svc", Instance: "telepace-prod"}, Title: "t", UID: "u", Folder: "f",
					Target: queries.Target{Namespace: "telepace", Service: "svc"},
					Panels: []pc.DashboardPanel{{Title: "Rate", Queries: []string{queries.RequestRate, "requests_per_second"}}},
				})
			},
			want: []string{`[test/dash] panels[0].queries[1]: unknown query "requests_per_second"; known queries: ` + strings.Join(queries.Names(), ", ")},
		},
		{
			name: "an alert without severity or runbook, with bad labels",
			build: func(chart constructs.Construct) {
				pc.NewPrometheusRule(chart, "rules", pc.PrometheusRuleProps{
					Labels: pc.Labels{Name: "svc", Instance: "telepace-prod"},
					Alerts: []pc.Alert{{Name: "Bad Name", Expr: "up == 0", Summary: "s", Description: "d", RunbookURL: "http://runbooks/x", Labels: map[string]string{"severity": "x", "bad-label": "y"}}},
				})
			},
			want: []string{
				`[test/rules] alerts[0].name: "Bad Name" is not a valid alert name`,
				`[test/rules] alerts[0].severity: is required: critical, warning, info`,
				`[test/rules] alerts[0].runbookURL: "http://runbooks/x" is not an absolute https URL`,
				`[test/rules] alerts[0].labels[bad-label]: is not a valid label name`,
				`[test/rules] alerts[0].labels[severity]: set Severity instead`,
			},
		},
		{
			// The checks found as the rule is made come first, then the
			// alerts' own, which run on another goroutine, in order.
			name: "a bad name, an unknown query, an expr that does not parse, a duplicate",
			build: func(chart constructs.Construct) {
				alert := pc.Alert{Name: "Down", Severity: "critical", Summary: "s", Description: "d", RunbookURL: "https://runbooks/x"}
				unknown, broken := alert, alert
				unknown.Query = "nope"
				broken.Expr = "rate(up[5m]"
				pc.NewPrometheusRule(chart, "rules", pc.PrometheusRuleProps{
					Name:   "Bad_Name",
					Labels: pc.Labels{Name: "svc", Instance: "telepace-prod"},
					Target: queries.Target{Namespace: "telepace", Service: "svc"},
					Alerts: []pc.Alert{unknown, broken, broken},
				})
			},
			want: []string{
				`[test/rules] name: "Bad_Name" is not a valid name: ` + strings.Join(validation.IsDNS1123Label("Bad_Name"), "; "),
				`[test/rules] alerts[0].query: unknown query "nope"; known queries: ` + strings.Join(queries.Names(), ", "),
				`[test/rules] alerts[1].expr: does not parse: 1:12: parse error: unclosed left parenthesis`,
				`[test/rules] alerts[1].name: "Down" with severity critical duplicates alerts[0]`,
				`[test/rules] alerts[2].expr: does not parse: 1:12: parse error: unclosed left parenthesis`,
				`[test/rules] alerts[2].name: "Down" with severity critical duplicates alerts[1]`,
			},
		},
		{
			// Prometheus's own rule-file loader runs on another goroutine;
			// its problems still reach the report.
			name: "an annotation Prometheus cannot parse",
			build: func(chart constructs.Construct) {
				pc.NewPrometheusRule(chart, "rules", pc.PrometheusRuleProps{
					Labels: pc.Labels{Name: "svc", Instance: "telepace-prod"},
					Alerts: []pc.Alert{{Name: "Down", Expr: "up == 0", Severity: "critical", Summary: "s", Description: "{{ $value", RunbookURL: "https://runbooks/x"}},
				})
			},
			want: []string{`[test/rules] alerts: group "rules", rule 1, "Down": annotation "description": template: __alert_Down:1: unclosed action`},
		},
		{
			name: "a channel without Slack, a receiver with both",
			build: func(chart constructs.Construct) {
				pc.NewAlertmanagerConfig(chart, "am", pc.AlertmanagerConfigProps{
					Labels:    pc.Labels{Name: "monitoring", Instance: "telepace-prod"},
					Receivers: []pc.Receiver{{Name: "chat", Channel: "#alerts"}, {Name: "both", PagerDuty: &pc.SecretKey{Name: "p", Key: "k"}, Slack: &pc.SecretKey{Name: "s", Key: "k"}}},
					Default:   "nobody",
				})
			},
			want: []string{
				`[test/am] receivers[0].channel: only a Slack receiver has a channel`,
				`[test/am] receivers[1]: set at most one of pagerDuty and slack`,
				`[test/am] default: "nobody" names no receiver`,
			},
		},
		{
			name: "telemetry that cannot work",
			build: func(chart constructs.Construct) {
				p := validProps()
				p.Telemetry = &pc.Telemetry{Endpoint: "otel-collector:4318", SampleRatio: -0.1}
				p.Env = map[string]string{"OTEL_SERVICE_NAME": "other"}
				pc.NewMicroservice(chart, "svc", p)
			},
			want: []string{
				`[test/svc] telemetry: "OTEL_SERVICE_NAME" is already set by env[OTEL_SERVICE_NAME]`,
				`[test/svc] telemetry.endpoint: "otel-collector:4318" is not an OTLP base URL such as http://otel-collector.monitoring.svc:4318`,
				`[test/svc] telemetry.sampleRatio: -0.1 is outside 0..1`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := constructstest.Synth(tt.build)
			var verr *pc.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, verr.Problems)
		})
	}
}

// TestTelemetrySettings: the OTEL_* variables carry the service, the
// environment and the image version.
func TestTelemetrySettings(t *testing.T) {
	p := validProps()
	p.Telemetry = &pc.Telemetry{Endpoint: "http://otel-collector.monitoring:4318", SampleRatio: 0.05}
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) { pc.NewMicroservice(chart, "svc", p) })
	c := dig(t, constructstest.Find(objs, "Deployment", "svc"), "spec", "template", "spec", "containers").([]any)[0].(map[string]any)
	env := map[string]string{}
	for _, e := range c["env"].([]any) {
		m := e.(map[string]any)
		if v, ok := m["value"].(string); ok {
			env[m["name"].(string)] = v
		}
	}
	assert.Equal(t, map[string]string{
		"OTEL_SERVICE_NAME":           "svc",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.monitoring:4318",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		"OTEL_RESOURCE_ATTRIBUTES":    "deployment.environment.name=prod,service.version=v0.13.0",
		"OTEL_TRACES_SAMPLER":         "parentbased_traceidratio",
		"OTEL_TRACES_SAMPLER_ARG":     "0.05",
	}, env)
	labels := dig(t, constructstest.Find(objs, "Deployment", "svc"), "spec", "template", "metadata", "labels").(map[string]any)
	assert.Equal(t, "prod", labels[pc.EnvironmentLabel])
}

// TestRuleFilesOfOneShapeLoadOnce: services whose rule files differ only
// in their names share the loader's verdict when it is clean, and each
// gets its own problems when it is not.
func TestRuleFilesOfOneShapeLoadOnce(t *testing.T) {
	rule := func(chart constructs.Construct, name, description string) {
		pc.NewPrometheusRule(chart, name, pc.PrometheusRuleProps{Name: name, Target: queries.Target{Namespace: "telepace", Service: name},
			Alerts: []pc.Alert{{Name: "Down", Expr: `up{service="` + name + `"} == 0`, Severity: "critical", Summary: name + " is down", Description: description, RunbookURL: "https://runbooks/x"}}})
	}
	_, err := constructstest.Synth(func(chart constructs.Construct) {
		for _, name := range []string{"shape-a", "shape-b", "shape-c"} {
			rule(chart, name, "{{ $value }} pods of "+name)
		}
	})
	assert.NoError(t, err)
	_, err = constructstest.Synth(func(chart constructs.Construct) {
		for _, name := range []string{"broken-a", "broken-b"} {
			rule(chart, name, "{{ $value pods of "+name)
		}
	})
	var verr *pc.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, []string{
		`[test/broken-a] alerts: group "broken-a", rule 1, "Down": annotation "description": template: __alert_Down:1: function "pods" not defined`,
		`[test/broken-b] alerts: group "broken-b", rule 1, "Down": annotation "description": template: __alert_Down:1: function "pods" not defined`,
	}, verr.Problems)

	// A name inside a template's action is code: one service's rule file
	// loading cleanly says nothing of another's.
	_, err = constructstest.Synth(func(chart constructs.Construct) { rule(chart, "webx", "{{ $labels.webx }} is down") })
	require.NoError(t, err)
	_, err = constructstest.Synth(func(chart constructs.Construct) { rule(chart, "my-svc", "{{ $labels.my-svc }} is down") })
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Problems, 1)
	assert.Equal(t, `[test/my-svc] alerts: group "my-svc", rule 1, "Down": annotation "description": template: __alert_Down:1: bad character U+002D '-'`, verr.Problems[0])
}
