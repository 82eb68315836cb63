// Package alerts turns a service and an environment's alert policy into the
// alerts an on-call engineer wants: pods unavailable, crash loops, an
// autoscaler pinned at its maximum, a failed migration, and a high 5xx
// ratio and p99 latency on the service's routes. Every expression comes from
// package queries, which the dashboards share.
package alerts

import (
	"fmt"
	"strings"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/queries"
)

// RunbookBase is where the runbooks live; each alert links its section.
const RunbookBase = "https://github.com/telepace/platform-charts/blob/main/docs/runbooks.md"

// MinRequestsPerSecond is the traffic below which the 5xx and latency
// alerts stay silent: at a few requests a minute, two errors are not a
// ratio worth a page.
const MinRequestsPerSecond = 0.1

// Policy is an environment's thresholds, durations and severities.
type Policy struct {
	// Severity of alerts that need someone now, such as pods unavailable:
	// "critical" (a page) in prod, "warning" (a ticket) elsewhere.
	// Required.
	Severity string
	// For is how long a condition must hold, as a Prometheus duration.
	// Required.
	For string
	// ErrorRatio is the share of 5xx responses that fires the error alert,
	// such as 0.05. Required.
	ErrorRatio float64
	// LatencyP99Ms is the p99 latency, in milliseconds, that fires the
	// latency alert. Required.
	LatencyP99Ms float64
}

// Service is what the alerts need to know of a service.
type Service struct {
	// Target names the service and its namespace.
	Target queries.Target
	// Environment is the environment's name, a label on every alert.
	Environment string
	// Routed says the service has gateway routes, so Kong's metrics exist.
	Routed bool
	// Autoscaled says an HPA scales the service.
	Autoscaled bool
	// Migrates says the service has a migration Job.
	Migrates bool
	// WebSocket says the routes hold long-lived connections, whose
	// latency says nothing; the latency alert is left out.
	WebSocket bool
}

// Names of the alerts.
const (
	PodsUnavailable = "TelepacePodsUnavailable"
	CrashLooping    = "TelepaceContainerCrashLooping"
	HPAAtMax        = "TelepaceAutoscalerAtMaximum"
	MigrationFailed = "TelepaceMigrationFailed"
	HighErrorRatio  = "TelepaceHighErrorRatio"
	HighLatency     = "TelepaceHighLatencyP99"
)

// Fixed are the alerts whose severity is their own, whatever the
// environment's policy says: an autoscaler at its maximum, or slow
// responses, are a ticket, never a page. Every other alert has the
// policy's severity.
var Fixed = map[string]string{
	HPAAtMax:    "warning",
	HighLatency: "warning",
}

// Severity returns the severity of the alert called name under policy p.
func Severity(name string, p Policy) string {
	if s, ok := Fixed[name]; ok {
		return s
	}
	return p.Severity
}

// ForService returns the service's alerts under policy p.
func ForService(s Service, p Policy) []pc.Alert {
	q := func(name string) string { return queries.MustExpr(name, s.Target) }
	svc := s.Target.Service
	alert := func(name, expr, forDur, summary, description string) pc.Alert {
		return pc.Alert{
			Name:        name,
			Expr:        expr,
			For:         forDur,
			Severity:    Severity(name, p),
			Summary:     summary,
			Description: description,
			RunbookURL:  RunbookBase + "#" + strings.ToLower(name),
			Labels:      Labels(s.Target, s.Environment),
		}
	}
	out := []pc.Alert{
		alert(PodsUnavailable, fmt.Sprintf("(%s) > 0", q(queries.PodsUnavailable)), p.For,
			fmt.Sprintf("%s has fewer available pods than desired", svc),
			fmt.Sprintf("{{ $value }} of %s's desired pods in %s have been unavailable for %s.", svc, s.Environment, p.For)),
		alert(CrashLooping, fmt.Sprintf("(%s) >= 1", q(queries.CrashLooping)), p.For,
			fmt.Sprintf("%s is crash-looping", svc),
			fmt.Sprintf("A container of %s in %s has been in CrashLoopBackOff for %s.", svc, s.Environment, p.For)),
	}
	if s.Autoscaled {
		out = append(out, alert(HPAAtMax, fmt.Sprintf("(%s) >= (%s)", q(queries.HPACurrent), q(queries.HPAMax)), "30m",
			fmt.Sprintf("%s's autoscaler is at its maximum", svc),
			fmt.Sprintf("%s in %s has run at its autoscaler's maximum of {{ $value }} replicas for 30m; raise the maximum or find the load.", svc, s.Environment)))
	}
	if s.Migrates {
		out = append(out, alert(MigrationFailed, fmt.Sprintf("(%s) > 0", q(queries.MigrationFailed)), "",
			fmt.Sprintf("%s's migration Job failed", svc),
			fmt.Sprintf("The %s-migrate Job in %s failed after its retries; the release did not roll out.", svc, s.Environment)))
	}
	if s.Routed {
		enough := fmt.Sprintf(" and (%s) > %v", q(queries.RequestRate), MinRequestsPerSecond)
		out = append(out, alert(HighErrorRatio, fmt.Sprintf("(%s) > %v%s", q(queries.ErrorRatio), p.ErrorRatio, enough), p.For,
			fmt.Sprintf("%s answers too many 5xx", svc),
			fmt.Sprintf("{{ $value | humanizePercentage }} of %s's requests through the gateway in %s failed with 5xx (threshold %v).", svc, s.Environment, p.ErrorRatio)))
		if !s.WebSocket {
			out = append(out, alert(HighLatency, fmt.Sprintf("(%s) > %v%s", q(queries.LatencyP99), p.LatencyP99Ms, enough), p.For,
				fmt.Sprintf("%s is slow", svc),
				fmt.Sprintf("%s's p99 latency through the gateway in %s is {{ $value }} ms (threshold %v ms).", svc, s.Environment, p.LatencyP99Ms)))
		}
	}
	return out
}

// Labels are the labels every alert of a service carries. namespace is one
// of them: the Prometheus Operator scopes an AlertmanagerConfig to its own
// namespace with a namespace matcher, so an alert without it never reaches
// the environment's receivers.
func Labels(t queries.Target, environment string) map[string]string {
	return map[string]string{"namespace": t.Namespace, "service": t.Service, "environment": environment}
}
