package compose_test

import (
	"math"

	"github.com/telepace/platform-charts/environments"
)

// monitoringInputs are mistakes in the alert policy, the selector labels and tracing, which the monitoring layer reports.
var monitoringInputs = []badInput{
	{
		name: "a sampler ratio outside 0..1",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Monitoring.Tracing.SampleRatio = 1.5
			return e
		}),
		want: []string{`[dev] monitoring.tracing.sampleRatio: 1.5 is outside 0..1`},
	},
	{
		name: "alert thresholds that cannot fire",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Monitoring.Alerts.ErrorRatio = 5
			e.Monitoring.Alerts.LatencyP99Ms = 0
			e.Monitoring.SelectorLabels = nil
			return e
		}),
		want: []string{
			`[dev] monitoring.selectorLabels: at least one label is required, or no Prometheus picks the rules up`,
			`[dev] monitoring.alerts.errorRatio: 5 must be above 0 and below 1`,
			`[dev] monitoring.alerts.latencyP99Ms: 0 must be a positive number of milliseconds`,
		},
	},
	{
		name: "an alert policy that alerts on every blip or never",
		envs: one(func(e environments.Environment) environments.Environment {
			e.Monitoring.Alerts.For = ""
			e.Monitoring.Alerts.LatencyP99Ms = math.NaN()
			e.Monitoring.Alerts.Severity = "page"
			e.Monitoring.SelectorLabels = map[string]string{"app.kubernetes.io/name": "x"}
			return e
		}),
		want: []string{
			`[dev] monitoring.selectorLabels[app.kubernetes.io/name]: would overwrite a recommended label; use the Prometheus release's own label`,
			`[dev] monitoring.alerts.latencyP99Ms: NaN must be a positive number of milliseconds`,
			`[dev] monitoring.alerts.for: "" must be a positive Prometheus duration such as 5m; without it every blip alerts`,
			`[dev] monitoring.alerts.severity: "page" is not one of critical, warning, info`,
		},
	},
}
