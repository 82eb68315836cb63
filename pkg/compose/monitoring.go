package compose

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/alerts"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
	"github.com/telepace/platform-charts/pkg/queries"
)

// Monitoring is the monitoring layer of a plan.
type Monitoring struct {
	// ServiceMonitors are per service that serves metrics, by service
	// name; Props.Service is set by Build.
	ServiceMonitors []Scoped[pc.ServiceMonitorProps]
	// Rules and Dashboards are per service, by service name; the overview
	// dashboard's Service is "".
	Rules      []Scoped[pc.PrometheusRuleProps]
	Dashboards []Scoped[pc.DashboardProps]
	// Alertmanager is the environment's routing of alerts, or nil where
	// the namespace is invalid.
	Alertmanager *pc.AlertmanagerConfigProps
}

// Scoped is the props of a construct that lives under a service.
type Scoped[P any] struct {
	// Service names the service the construct lives under, or "" for one
	// of the layer's own.
	Service string
	// ID is the construct id.
	ID string
	// Props are the construct's props.
	Props P
}

// CollectorEgressName names the egress rule that admits the services to the
// OTLP collector.
const CollectorEgressName = "otel-collector"

// planMonitoring plans, per service, a ServiceMonitor (where it serves
// metrics), a PrometheusRule and a dashboard, and per environment the
// AlertmanagerConfig and the overview dashboard.
func planMonitoring(e environments.Environment, services []Service, routes []Route) (Monitoring, problems) {
	var mon Monitoring
	m := e.Monitoring
	if len(validation.IsDNS1123Label(e.Namespace)) > 0 {
		return mon, nil // reported as namespace; every query names it
	}
	ps, policyOK := monitoringProblems(m)
	ps = append(ps, tracingProblems(e)...)
	routed := map[string]bool{}
	websocket := map[string]bool{}
	for _, r := range routes {
		routed[r.Backend] = true
		for _, rule := range r.Rules {
			if rule.WebSocket {
				websocket[r.Backend] = true
			}
		}
	}
	for _, s := range services {
		if len(validation.IsDNS1035Label(s.Name)) > 0 {
			continue // the Microservice reports its name; queries need a valid one
		}
		t := queries.Target{Namespace: e.Namespace, Service: s.Name}
		var own []pc.Alert
		for _, a := range s.Alerts {
			// Extra alerts carry the same identity labels as the generated.
			labels := alerts.Labels(t, e.Name)
			maps.Copy(labels, a.Labels)
			a.Labels = labels
			own = append(own, a)
		}
		if s.Props.Metrics != nil {
			mon.ServiceMonitors = append(mon.ServiceMonitors, Scoped[pc.ServiceMonitorProps]{Service: s.Name, ID: "monitor", Props: pc.ServiceMonitorProps{
				SelectorLabels: m.SelectorLabels,
			}})
		}
		if !policyOK {
			continue
		}
		mon.Rules = append(mon.Rules, Scoped[pc.PrometheusRuleProps]{Service: s.Name, ID: "alerts", Props: pc.PrometheusRuleProps{
			Name:           s.Name,
			Labels:         s.Props.Identity(),
			SelectorLabels: m.SelectorLabels,
			Target:         t,
			Alerts: append(alerts.ForService(alerts.Service{
				Target:      t,
				Environment: e.Name,
				Routed:      routed[s.Name],
				Autoscaled:  s.Autoscaled(),
				Migrates:    s.Props.Migration != nil,
				WebSocket:   websocket[s.Name],
			}, m.Alerts), own...),
		}})
		mon.Dashboards = append(mon.Dashboards, Scoped[pc.DashboardProps]{Service: s.Name, ID: "dashboard", Props: pc.DashboardProps{
			Name:        s.Name + "-dashboard",
			Labels:      s.Props.Identity(),
			Title:       fmt.Sprintf("Telepace %s: %s", e.Name, s.Name),
			UID:         names.DashboardUID(e.Name, s.Name),
			Folder:      m.DashboardFolder,
			Target:      t,
			Panels:      pc.ServicePanels(routed[s.Name]),
			LogSelector: queries.LogSelector(e.Namespace, s.Name),
		}})
	}
	labels := layerLabels(e.Name, "monitoring")
	mon.Alertmanager = &pc.AlertmanagerConfigProps{
		Name:           names.AlertRouting,
		Labels:         labels,
		SelectorLabels: m.SelectorLabels,
		Receivers:      m.Receivers,
		Routes:         m.Routes,
		Default:        m.DefaultReceiver,
	}
	var overview []pc.DashboardPanel
	for _, s := range services {
		overview = append(overview, pc.DashboardPanel{Title: s.Name + ": pods available / desired", Service: s.Name, Queries: []string{queries.PodsAvailable, queries.PodsDesired}})
	}
	if len(services) > 0 {
		mon.Dashboards = append(mon.Dashboards, Scoped[pc.DashboardProps]{ID: "overview", Props: pc.DashboardProps{
			Name:   "telepace-overview",
			Labels: labels,
			Title:  fmt.Sprintf("Telepace %s: platform overview", e.Name),
			UID:    names.OverviewDashboardUID(e.Name),
			Folder: m.DashboardFolder,
			// Each panel names its own service.
			Target: queries.Target{Namespace: e.Namespace, Service: services[0].Name},
			Panels: overview,
		}})
	}
	return mon, ps
}

// monitoringProblems returns the problems with the environment's
// selector labels and alert policy, and whether the policy is sound.
func monitoringProblems(m environments.Monitoring) (ps problems, policyOK bool) {
	if len(m.SelectorLabels) == 0 {
		ps.addf("monitoring.selectorLabels: at least one label is required, or no Prometheus picks the rules up")
	}
	for _, k := range slices.Sorted(maps.Keys(m.SelectorLabels)) {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			ps.addf("monitoring.selectorLabels[%s]: is not a valid label key: %s", k, strings.Join(msgs, "; "))
		} else if msgs := validation.IsValidLabelValue(m.SelectorLabels[k]); len(msgs) > 0 {
			ps.addf("monitoring.selectorLabels[%s]: %q is not a valid label value: %s", k, m.SelectorLabels[k], strings.Join(msgs, "; "))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.SelectorLabels)) {
		if strings.HasPrefix(k, "app.kubernetes.io/") {
			ps.addf("monitoring.selectorLabels[%s]: would overwrite a recommended label; use the Prometheus release's own label", k)
		}
	}
	before := len(ps)
	if r := m.Alerts.ErrorRatio; !(r > 0 && r < 1) {
		ps.addf("monitoring.alerts.errorRatio: %v must be above 0 and below 1", r)
	}
	if l := m.Alerts.LatencyP99Ms; !(l > 0) || math.IsInf(l, 1) {
		ps.addf("monitoring.alerts.latencyP99Ms: %v must be a positive number of milliseconds", l)
	}
	if d, err := model.ParseDuration(m.Alerts.For); m.Alerts.For == "" || err != nil || d <= 0 {
		ps.addf("monitoring.alerts.for: %q must be a positive Prometheus duration such as 5m; without it every blip alerts", m.Alerts.For)
	}
	if !slices.Contains(pc.Severities, m.Alerts.Severity) {
		ps.addf("monitoring.alerts.severity: %q is not one of %s", m.Alerts.Severity, strings.Join(pc.Severities, ", "))
	}
	// Alerts made under a broken policy would repeat its problems per
	// service; they are reported once, above, instead.
	return ps, len(ps) == before
}

// tracingProblems checks the tracing settings once for the environment;
// services get them only when they are sound.
func tracingProblems(e environments.Environment) problems {
	t := e.Monitoring.Tracing
	var ps problems
	if t.Endpoint == "" {
		ps.addf("monitoring.tracing.endpoint: is required; name the OTLP collector")
		return ps
	}
	if u, err := url.Parse(t.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		ps.addf("monitoring.tracing.endpoint: %q is not an OTLP base URL such as http://otel-collector.monitoring.svc:4318", t.Endpoint)
	}
	if !(t.SampleRatio >= 0 && t.SampleRatio <= 1) {
		ps.addf("monitoring.tracing.sampleRatio: %v is outside 0..1", t.SampleRatio)
	}
	return ps
}

// collectorEgress admits the services to the OTLP collector.
func collectorEgress(e environments.Environment) pc.EgressRule {
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
