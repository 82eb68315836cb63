package environments

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/telepace/platform-charts/pkg/alerts"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/queries"
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

// Secrets holding the Alertmanager receivers' credentials. They are
// produced by the secrets layer; never written here.
var (
	PagerSecret = pc.SecretKey{Name: "alertmanager-pagerduty", Key: "routing-key"}
	ChatSecret  = pc.SecretKey{Name: "alertmanager-slack", Key: "webhook-url"}
)

// LogSelector is the LogQL stream selector of a service's logs. The log
// agent (Alloy) turns the pod labels app.kubernetes.io/name,
// app.kubernetes.io/component and telepace.cc/environment into the stream
// labels service, component and environment, beside namespace; nothing
// per pod, to keep cardinality low.
func LogSelector(namespace, service string) string {
	return fmt.Sprintf(`{namespace=%q, service=%q}`, namespace, service)
}

// composeMonitoring adds, per service, a ServiceMonitor (where it serves
// metrics), a PrometheusRule and a dashboard, and per environment the
// AlertmanagerConfig and the overview dashboard.
func (e Environment) composeMonitoring(scope constructs.Construct, c *Composition, extra map[*pc.Microservice][]pc.Alert) []string {
	m := e.Monitoring
	var problems []string
	addf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(validation.IsDNS1123Label(e.Namespace)) > 0 {
		return nil // reported as namespace; every query names it
	}
	if len(m.SelectorLabels) == 0 {
		addf("monitoring.selectorLabels: at least one label is required, or no Prometheus picks the rules up")
	}
	for _, k := range slices.Sorted(maps.Keys(m.SelectorLabels)) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			addf("monitoring.selectorLabels[%s]: is not a valid label key: %s", k, strings.Join(msgs, "; "))
		} else if msgs := validation.IsValidLabelValue(m.SelectorLabels[k]); len(msgs) > 0 {
			addf("monitoring.selectorLabels[%s]: %q is not a valid label value: %s", k, m.SelectorLabels[k], strings.Join(msgs, "; "))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.SelectorLabels)) {
		if strings.HasPrefix(k, "app.kubernetes.io/") {
			addf("monitoring.selectorLabels[%s]: would overwrite a recommended label; use the Prometheus release's own label", k)
		}
	}
	before := len(problems)
	if r := m.Alerts.ErrorRatio; !(r > 0 && r < 1) {
		addf("monitoring.alerts.errorRatio: %v must be above 0 and below 1", r)
	}
	if l := m.Alerts.LatencyP99Ms; !(l > 0) || math.IsInf(l, 1) {
		addf("monitoring.alerts.latencyP99Ms: %v must be a positive number of milliseconds", l)
	}
	if d, err := model.ParseDuration(m.Alerts.For); m.Alerts.For == "" || err != nil || d <= 0 {
		addf("monitoring.alerts.for: %q must be a positive Prometheus duration such as 5m; without it every blip alerts", m.Alerts.For)
	}
	if !slices.Contains(pc.Severities, m.Alerts.Severity) {
		addf("monitoring.alerts.severity: %q is not one of %s", m.Alerts.Severity, strings.Join(pc.Severities, ", "))
	}
	// Alerts made under a broken policy would repeat its problems per
	// service; they are reported once, above, instead.
	policyOK := len(problems) == before
	problems = append(problems, e.tracingProblems()...)
	routed := map[*pc.Microservice]bool{}
	websocket := map[*pc.Microservice]bool{}
	for _, r := range c.Routes {
		routed[r.Backend()] = true
		for _, route := range r.Routes() {
			if route.WebSocket {
				websocket[r.Backend()] = true
			}
		}
	}
	for _, ms := range c.Services {
		if len(validation.IsDNS1035Label(ms.Name())) > 0 {
			continue // the Microservice reports its name; queries need a valid one
		}
		t := queries.Target{Namespace: e.Namespace, Service: ms.Name()}
		var own []pc.Alert
		for _, a := range extra[ms] {
			// Extra alerts carry the same identity labels as the generated.
			labels := alerts.Labels(t, e.Name)
			maps.Copy(labels, a.Labels)
			a.Labels = labels
			own = append(own, a)
		}
		if ms.Metrics() != nil {
			c.ServiceMonitors = append(c.ServiceMonitors, pc.NewServiceMonitor(ms.Construct, "monitor", pc.ServiceMonitorProps{
				Service:        ms,
				SelectorLabels: m.SelectorLabels,
			}))
		}
		if !policyOK {
			continue
		}
		rule := pc.NewPrometheusRule(ms.Construct, "alerts", pc.PrometheusRuleProps{
			Name:           ms.Name(),
			Labels:         ms.Labels(),
			SelectorLabels: m.SelectorLabels,
			Target:         t,
			Alerts: append(alerts.ForService(alerts.Service{
				Target:      t,
				Environment: e.Name,
				Routed:      routed[ms],
				Autoscaled:  ms.Autoscaled(),
				Migrates:    ms.Migration() != nil,
				WebSocket:   websocket[ms],
			}, m.Alerts), own...),
		})
		c.Rules = append(c.Rules, rule)
		c.Dashboards = append(c.Dashboards, pc.NewGrafanaDashboard(ms.Construct, "dashboard", pc.DashboardProps{
			Name:        ms.Name() + "-dashboard",
			Labels:      ms.Labels(),
			Title:       fmt.Sprintf("Telepace %s: %s", e.Name, ms.Name()),
			UID:         "telepace-" + e.Name + "-" + ms.Name(),
			Folder:      m.DashboardFolder,
			Target:      t,
			Panels:      pc.ServicePanels(routed[ms]),
			LogSelector: LogSelector(e.Namespace, ms.Name()),
		}))
	}
	mon := constructs.NewConstruct(scope, jsii.String("monitoring"))
	labels := pc.Labels{Name: "monitoring", Instance: pc.Instance(pc.DefaultPartOf, e.Name), Component: "monitoring", PartOf: pc.DefaultPartOf}
	c.Alertmanager = pc.NewAlertmanagerConfig(mon, "alertmanager", pc.AlertmanagerConfigProps{
		Name:           "telepace-alerts",
		Labels:         labels,
		SelectorLabels: m.SelectorLabels,
		Receivers:      m.Receivers,
		Routes:         m.Routes,
		Default:        m.DefaultReceiver,
	})
	var overview []pc.DashboardPanel
	for _, ms := range c.Services {
		overview = append(overview, pc.DashboardPanel{Title: ms.Name() + ": pods available / desired", Service: ms.Name(), Queries: []string{queries.PodsAvailable, queries.PodsDesired}})
	}
	if len(c.Services) > 0 {
		c.Dashboards = append(c.Dashboards, pc.NewGrafanaDashboard(mon, "overview", pc.DashboardProps{
			Name:   "telepace-overview",
			Labels: labels,
			Title:  fmt.Sprintf("Telepace %s: platform overview", e.Name),
			UID:    "telepace-" + e.Name + "-overview",
			Folder: m.DashboardFolder,
			// Each panel names its own service.
			Target: queries.Target{Namespace: e.Namespace, Service: c.Services[0].Name()},
			Panels: overview,
		}))
	}
	return problems
}

// tracingProblems checks the tracing settings once for the environment;
// services get them only when they are sound.
func (e Environment) tracingProblems() []string {
	t := e.Monitoring.Tracing
	var problems []string
	if t.Endpoint == "" {
		return []string{"monitoring.tracing.endpoint: is required; name the OTLP collector"}
	}
	if u, err := url.Parse(t.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		problems = append(problems, fmt.Sprintf("monitoring.tracing.endpoint: %q is not an OTLP base URL such as http://otel-collector.monitoring:4318", t.Endpoint))
	}
	if !(t.SampleRatio >= 0 && t.SampleRatio <= 1) {
		problems = append(problems, fmt.Sprintf("monitoring.tracing.sampleRatio: %v is outside 0..1", t.SampleRatio))
	}
	return problems
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
		Receivers:       []pc.Receiver{{Name: "chat", Slack: &ChatSecret, Channel: "#telepace-" + env + "-alerts"}},
		DefaultReceiver: "chat",
		Tracing:         pc.Telemetry{Endpoint: collector, SampleRatio: sampleRatio},
		DashboardFolder: "Telepace " + env,
	}
	if reach == inCluster {
		m.Receivers = []pc.Receiver{{Name: "alertmanager-ui"}}
		m.DefaultReceiver = "alertmanager-ui"
	}
	if reach == page {
		m.Receivers = append(m.Receivers, pc.Receiver{Name: "pager", PagerDuty: &PagerSecret})
		m.Routes = []pc.SeverityRoute{{Severities: []string{"critical"}, Receiver: "pager"}}
	}
	return m
}

// collectorEgress admits the services to the OTLP collector.
func (e Environment) collectorEgress() pc.EgressRule {
	u, _ := url.Parse(e.Monitoring.Tracing.Endpoint) // checked by tracingProblems
	port := int32(4318)
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err == nil {
			port = int32(n)
		}
	} else if u.Scheme == "https" {
		port = 443
	}
	return pc.EgressTo(CollectorEgressName, u.Hostname(), port, "")
}

// CollectorEgressName names the egress rule that admits the services to the
// OTLP collector.
const CollectorEgressName = "otel-collector"
