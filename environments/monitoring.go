package environments

import (
	"github.com/telepace/platform-charts/pkg/alerts"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

// Monitoring is how an environment is watched: which Prometheus and
// Alertmanager pick up its objects, its alert policy, where alerts go, and
// where traces go.
type Monitoring struct {
	// SelectorLabels are the labels the environment's Prometheus and
	// Alertmanager select ServiceMonitors, PrometheusRules and
	// AlertmanagerConfigs by: kube-prometheus-stack's release label.
	// Required.
	SelectorLabels map[string]string
	// Alerts are the thresholds, durations and severities. Required.
	Alerts alerts.Policy
	// Receivers are where alerts go; their credentials are Secrets.
	// Required.
	Receivers []pc.Receiver
	// Routes send severities to receivers; the first match wins.
	Routes []pc.SeverityRoute
	// DefaultReceiver receives everything no route matches. Required.
	DefaultReceiver string
	// Tracing is where the services send traces, and how many. Required.
	Tracing pc.Telemetry
	// DashboardFolder is the Grafana folder of the environment's
	// dashboards. Required.
	DashboardFolder string
}

// notify is how far an environment's alerts reach.
type notify int

const (
	// inCluster keeps alerts in Alertmanager's UI and Grafana (dev: no
	// credential to fetch, nobody to wake).
	inCluster notify = iota
	// chat posts every alert to the environment's Slack channel.
	chat
	// page also sends critical alerts to the pager.
	page
)

// monitoring returns an environment's Monitoring: every alert to chat
// where the environment notifies, and critical alerts to the pager where
// it pages.
func monitoring(env, release string, policy alerts.Policy, collector string, sampleRatio float64, reach notify) Monitoring {
	m := Monitoring{
		SelectorLabels:  map[string]string{"release": release},
		Alerts:          policy,
		Receivers:       []pc.Receiver{{Name: "chat", Slack: &names.ChatSecret, Channel: "#telepace-" + env + "-alerts"}},
		DefaultReceiver: "chat",
		Tracing:         pc.Telemetry{Endpoint: collector, SampleRatio: sampleRatio},
		DashboardFolder: "Telepace " + env,
	}
	if reach == inCluster {
		m.Receivers = []pc.Receiver{{Name: "alertmanager-ui"}}
		m.DefaultReceiver = "alertmanager-ui"
	}
	if reach == page {
		m.Receivers = append(m.Receivers, pc.Receiver{Name: "pager", PagerDuty: &names.PagerSecret})
		m.Routes = []pc.SeverityRoute{{Severities: []string{"critical"}, Receiver: "pager"}}
	}
	return m
}
