// Package queries holds every PromQL expression of the platform, once.
// Alerts (PrometheusRules) and Grafana dashboards both take their queries
// from here by name, so a panel and the alert it explains always agree;
// the dashboards' log panels take their LogQL stream selector from
// LogSelector.
//
// The expressions read kube-state-metrics and cAdvisor (through
// kube-prometheus-stack) and Kong's prometheus plugin:
// kong_http_requests_total and kong_request_latency_ms, labelled by the
// Kong route, which Kong's controller names
// "httproute.<namespace>.<HTTPRoute name>.<rule>.<match>".
package queries

import (
	"fmt"
	"slices"
	"strings"
)

// Target is the service a query is about.
type Target struct {
	// Namespace is the release namespace. Required.
	Namespace string
	// Service is the service's name: its Deployment, container, HPA and
	// HTTPRoute share it. Required.
	Service string
}

// Names of the queries.
const (
	RequestRate     = "request_rate"
	ErrorRatio      = "error_ratio"
	LatencyP99      = "latency_p99_ms"
	PodsDesired     = "pods_desired"
	PodsAvailable   = "pods_available"
	PodsUnavailable = "pods_unavailable"
	CrashLooping    = "crash_looping"
	Restarts        = "restarts"
	HPACurrent      = "hpa_current"
	HPAMax          = "hpa_max"
	MigrationFailed = "migration_failed"
	CPUUsage        = "cpu_usage"
	CPURequests     = "cpu_requests"
	CPULimits       = "cpu_limits"
	MemoryUsage     = "memory_usage"
	MemoryRequests  = "memory_requests"
	MemoryLimits    = "memory_limits"
)

// templates are the expressions, with {{ns}}, {{svc}} and {{route}} for the
// target's namespace, name and Kong route pattern.
var templates = map[string]string{
	RequestRate:     `sum(rate(kong_http_requests_total{route=~"{{route}}"}[5m]))`,
	ErrorRatio:      `sum(rate(kong_http_requests_total{route=~"{{route}}",code=~"5.."}[5m])) / sum(rate(kong_http_requests_total{route=~"{{route}}"}[5m]))`,
	LatencyP99:      `histogram_quantile(0.99, sum by (le) (rate(kong_request_latency_ms_bucket{route=~"{{route}}"}[5m])))`,
	PodsDesired:     `sum(kube_deployment_spec_replicas{namespace="{{ns}}",deployment="{{svc}}"})`,
	PodsAvailable:   `sum(kube_deployment_status_replicas_available{namespace="{{ns}}",deployment="{{svc}}"})`,
	PodsUnavailable: `sum(kube_deployment_spec_replicas{namespace="{{ns}}",deployment="{{svc}}"}) - sum(kube_deployment_status_replicas_available{namespace="{{ns}}",deployment="{{svc}}"})`,
	CrashLooping:    `max(max_over_time(kube_pod_container_status_waiting_reason{namespace="{{ns}}",container="{{svc}}",reason="CrashLoopBackOff"}[5m]))`,
	Restarts:        `sum(increase(kube_pod_container_status_restarts_total{namespace="{{ns}}",container="{{svc}}"}[1h]))`,
	HPACurrent:      `max(kube_horizontalpodautoscaler_status_current_replicas{namespace="{{ns}}",horizontalpodautoscaler="{{svc}}"})`,
	HPAMax:          `max(kube_horizontalpodautoscaler_spec_max_replicas{namespace="{{ns}}",horizontalpodautoscaler="{{svc}}"})`,
	MigrationFailed: `max(kube_job_failed{namespace="{{ns}}",job_name="{{svc}}-migrate",condition="true"})`,
	CPUUsage:        `sum(rate(container_cpu_usage_seconds_total{namespace="{{ns}}",container="{{svc}}"}[5m]))`,
	CPURequests:     `sum(kube_pod_container_resource_requests{namespace="{{ns}}",container="{{svc}}",resource="cpu"})`,
	CPULimits:       `sum(kube_pod_container_resource_limits{namespace="{{ns}}",container="{{svc}}",resource="cpu"})`,
	MemoryUsage:     `sum(container_memory_working_set_bytes{namespace="{{ns}}",container="{{svc}}"})`,
	MemoryRequests:  `sum(kube_pod_container_resource_requests{namespace="{{ns}}",container="{{svc}}",resource="memory"})`,
	MemoryLimits:    `sum(kube_pod_container_resource_limits{namespace="{{ns}}",container="{{svc}}",resource="memory"})`,
}

// Names returns every query name, sorted.
func Names() []string {
	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// isDNSLabel reports whether v matches ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$:
// lowercase letters, digits and inner hyphens, which a query holds as
// they are. (The regular expression cost a dashboard more than its
// queries.)
func isDNSLabel(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && i > 0 && i < len(v)-1:
		default:
			return false
		}
	}
	return true
}

// Expr returns the query called name for t. An unknown name, or a target
// whose names would need escaping, is an error.
func Expr(name string, t Target) (string, error) {
	tmpl, ok := templates[name]
	if !ok {
		return "", fmt.Errorf("unknown query %q; known queries: %s", name, strings.Join(Names(), ", "))
	}
	for _, v := range []string{t.Namespace, t.Service} {
		if !isDNSLabel(v) {
			return "", fmt.Errorf("query %s: %q is not a DNS label", name, v)
		}
	}
	// Placeholder by placeholder, which strings.NewReplacer's one pass
	// equals here: no replacement holds a placeholder (DNS labels, and the
	// route pattern made of them). A Replacer built per call cost a
	// fifth of a dashboard's build.
	expr := strings.ReplaceAll(tmpl, "{{ns}}", t.Namespace)
	expr = strings.ReplaceAll(expr, "{{svc}}", t.Service)
	if strings.Contains(expr, "{{route}}") {
		expr = strings.ReplaceAll(expr, "{{route}}", KongRoutePattern(t))
	}
	return expr, nil
}

// MustExpr is Expr for names known at compile time; it panics on a
// programming error. An environment's extra alert names its query in
// constructs.Alert.Query instead, which a misspelt name turns into a
// validation problem with the alert's construct path.
func MustExpr(name string, t Target) string {
	e, err := Expr(name, t)
	if err != nil {
		panic(err)
	}
	return e
}

// KongRoutePattern matches the Kong routes Kong's controller makes from the
// target's HTTPRoutes: "httproute.<namespace>.<name>.<rule>.<match>", where
// the name is the service's, or the service's and "-<n>" when it has routes
// on several hosts.
func KongRoutePattern(t Target) string {
	return `httproute\\.` + t.Namespace + `\\.` + t.Service + `(-[0-9]+)?\\..*`
}

// LogSelector is the LogQL stream selector of a service's logs. The log
// agent (Alloy) turns the pod labels app.kubernetes.io/name,
// app.kubernetes.io/component and telepace.cc/environment into the stream
// labels service, component and environment, beside namespace; nothing
// per pod, to keep cardinality low.
func LogSelector(namespace, service string) string {
	return fmt.Sprintf(`{namespace=%q, service=%q}`, namespace, service)
}
