package environments

import (
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// Gateway is how an environment exposes its services through Kong.
type Gateway struct {
	// Ref names the Gateway the HTTPRoutes attach to. Required.
	Ref pc.GatewayRef
	// Create makes the chart carry a Kong GatewayClass and the Gateway
	// Ref names, with a listener per host, in the release namespace (dev).
	// Defaults to false: the gateway layer is run separately and Ref names
	// an existing Gateway that admits routes from the environment's
	// namespace.
	Create bool
	// Plugins are the KongPlugins the chart carries, in the release
	// namespace; routes refer to them by name. Defaults to none.
	Plugins []pc.KongPluginProps
	// DefaultPlugins name the plugins every route applies. Defaults to none.
	DefaultPlugins []string
	// ClusterPlugins are cluster-wide Kong plugins the chart carries, such
	// as prometheus; only where the chart owns the gateway. Defaults to none.
	ClusterPlugins []pc.KongClusterPluginProps
	// Consumers are API consumers, whose credentials are Secrets referenced
	// by name. Defaults to none.
	Consumers []pc.KongConsumerProps
	// AllowAnyCORSOrigin accepts "*" as a CORS origin. Defaults to false:
	// only listed origins.
	AllowAnyCORSOrigin bool
}

// Names of the KongPlugins every environment declares.
const (
	PluginRateLimit     = "rate-limit"
	PluginRequestSize   = "request-size"
	PluginCORS          = "cors"
	PluginCorrelationID = "correlation-id"
)

// edgePlugins returns the plugins every route of an environment applies:
// a per-client rate limit, a request-body cap, CORS for the listed origins
// and a request ID. Limits and origins are the environment's.
func edgePlugins(perMinute, perHour int, origins ...string) (plugins []pc.KongPluginProps, defaults []string) {
	plugins = []pc.KongPluginProps{
		{Name: PluginRateLimit, Config: pc.RateLimiting{Minute: perMinute, Hour: perHour, LimitBy: "ip", Policy: "local", FaultTolerant: true}},
		{Name: PluginRequestSize, Config: pc.RequestSizeLimiting{AllowedPayloadSize: 10, SizeUnit: "megabytes"}},
		{Name: PluginCORS, Config: pc.CORS{
			Origins:        origins,
			Methods:        []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
			Headers:        []string{"Authorization", "Content-Type", "X-Request-ID"},
			ExposedHeaders: []string{"X-Request-ID"},
			Credentials:    true,
			MaxAge:         600,
		}},
		{Name: PluginCorrelationID, Config: pc.CorrelationID{HeaderName: "X-Request-ID", Generator: "uuid#counter", EchoDownstream: true}},
	}
	for _, p := range plugins {
		defaults = append(defaults, p.Name)
	}
	return plugins, defaults
}

// kongPrometheus is the cluster-wide metrics plugin: request counts and
// latency per service and route, which the alerts read.
var kongPrometheus = pc.KongClusterPluginProps{
	Name:   "prometheus",
	Global: true,
	Config: pc.Prometheus{StatusCodeMetrics: true, LatencyMetrics: true, BandwidthMetrics: true, UpstreamHealthMetrics: true},
}
