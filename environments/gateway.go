package environments

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/telepace/platform-charts/apps"
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

// gatewayNamespace is the namespace of the gateway's proxy pods.
func (e Environment) gatewayNamespace() string {
	if e.Gateway.Ref.Namespace != "" {
		return e.Gateway.Ref.Namespace
	}
	return e.Namespace
}

// gatewayPeer admits the gateway's namespace, by its immutable
// kubernetes.io/metadata.name label, to a routed service.
func (e Environment) gatewayPeer() networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{
		MatchLabels: map[string]string{"kubernetes.io/metadata.name": e.gatewayNamespace()},
	}}
}

// composeGateway adds the gateway objects to scope and the HTTPRoutes of
// the services' routes, and returns them. Problems that span services
// (unknown services, plugins, clashing routes) are reported on scope.
func (e Environment) composeGateway(scope constructs.Construct, services []*pc.Microservice, declared map[string][]pc.Route, c *Composition) []string {
	var problems []string
	addf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(declared) == 0 && !e.Gateway.Create && len(e.Gateway.Plugins) == 0 {
		return nil
	}
	if hostProblem(e.Domains.API, false) != "" || hostProblem(e.Domains.Web, false) != "" {
		// Reported once as domains.*; routes on those hosts would only
		// repeat it.
		return nil
	}
	if e.Gateway.Ref.Name == "" {
		addf("gateway.ref.name: is required; name the Gateway the routes attach to")
	}
	gw := constructs.NewConstruct(scope, jsii.String("gateway"))
	labels := pc.Labels{Name: "gateway", Instance: pc.Instance(pc.DefaultPartOf, e.Name), Component: "gateway", PartOf: pc.DefaultPartOf}
	if e.Gateway.Create {
		var listeners []pc.Listener
		for _, l := range []struct{ name, host string }{{"api", e.Domains.API}, {"web", e.Domains.Web}} {
			listeners = append(listeners, pc.Listener{Name: l.name, Host: l.host})
		}
		c.Gateway = pc.NewGateway(gw, e.Gateway.Ref.Name, pc.GatewayProps{Labels: labels, Listeners: listeners})
	} else if e.Gateway.Ref.Namespace == "" {
		addf("gateway.ref.namespace: is required for a Gateway the chart does not create")
	}
	plugins := map[string]bool{}
	for i, props := range e.Gateway.Plugins {
		props.Labels = labels
		id := props.Name
		if id == "" || plugins[id] {
			addf("gateway.plugins[%d].name: %q is empty or used twice", i, id)
			continue
		}
		plugins[id] = true
		p := pc.NewKongPlugin(gw, id, props)
		if cors, ok := p.Config().(pc.CORS); ok && !e.Gateway.AllowAnyCORSOrigin {
			for j, o := range cors.Origins {
				if o == "*" {
					pc.AddProblems(p.Construct, fmt.Sprintf("config.origins[%d]: \"*\" admits every origin; %s allows only the origins it lists", j, e.Name))
				}
			}
		}
		c.Plugins = append(c.Plugins, p)
	}
	for i, name := range e.Gateway.DefaultPlugins {
		if !plugins[name] {
			addf("gateway.defaultPlugins[%d]: no plugin named %q in gateway.plugins", i, name)
		}
	}
	for _, props := range e.Gateway.ClusterPlugins {
		props.Labels = labels
		c.ClusterPlugins = append(c.ClusterPlugins, pc.NewKongClusterPlugin(gw, props.Name, props))
	}
	for _, props := range e.Gateway.Consumers {
		props.Labels = labels
		c.Consumers = append(c.Consumers, pc.NewKongConsumer(gw, props.Name, props))
	}

	byName := map[string]*pc.Microservice{}
	for _, ms := range services {
		byName[ms.Name()] = ms
	}
	// Group each service's declared routes by backend and host: one
	// HTTPRoute per pair, under the backend so it shares its template.
	type group struct {
		backend *pc.Microservice
		host    string
		routes  []pc.Route
	}
	var groups []*group
	for _, ms := range services {
		for i, r := range declared[ms.Name()] {
			target := ms
			if r.Service != "" && r.Service != ms.Name() {
				if target = byName[r.Service]; target == nil {
					pc.AddProblems(ms.Construct, fmt.Sprintf("routes[%d].service: unknown service %q; services in %s: %s", i, r.Service, e.Name, strings.Join(slices.Sorted(maps.Keys(byName)), ", ")))
					continue
				}
			}
			for j, p := range r.Plugins {
				if !plugins[p] {
					pc.AddProblems(ms.Construct, fmt.Sprintf("routes[%d].plugins[%d]: no plugin named %q in the environment's gateway.plugins", i, j, p))
				}
			}
			k := slices.IndexFunc(groups, func(g *group) bool { return g.backend == target && g.host == r.Host })
			if k < 0 {
				groups = append(groups, &group{backend: target, host: r.Host})
				k = len(groups) - 1
			}
			groups[k].routes = append(groups[k].routes, r)
		}
	}
	perBackend := map[*pc.Microservice]int{}
	for _, g := range groups {
		perBackend[g.backend]++
	}
	seen := map[*pc.Microservice]int{}
	for _, g := range groups {
		id, name := "route", g.backend.Name()
		if perBackend[g.backend] > 1 {
			seen[g.backend]++
			id = fmt.Sprintf("route-%d", seen[g.backend])
			name = fmt.Sprintf("%s-%d", g.backend.Name(), seen[g.backend])
		}
		c.Routes = append(c.Routes, pc.NewHTTPRoute(g.backend.Construct, id, pc.HTTPRouteProps{
			Name:           name,
			Gateway:        e.Gateway.Ref,
			Backend:        g.backend,
			Host:           g.host,
			Routes:         g.routes,
			DefaultPlugins: e.Gateway.DefaultPlugins,
		}))
	}
	problems = append(problems, clashingRoutes(c.Routes)...)
	return problems
}

// clashingRoutes reports two services' routes that claim the same host,
// path and method. Within one HTTPRoute, the route construct reports them.
func clashingRoutes(routes []*pc.HTTPRoute) []string {
	type key struct{ host, path, method string }
	owner := map[key]string{}
	var problems []string
	for _, hr := range routes {
		for i, r := range hr.Routes() {
			methods := r.Methods
			if len(methods) == 0 {
				methods = []string{""}
			}
			for _, m := range methods {
				path := r.Path
				if !r.Exact {
					path = strings.TrimSuffix(path, "/") + "/*"
				}
				k := key{hr.Host(), path, m}
				me := fmt.Sprintf("%s routes[%d]", hr.Backend().Name(), i)
				if prev, dup := owner[k]; dup && !strings.HasPrefix(prev, hr.Backend().Name()+" ") {
					label := m
					if label == "" {
						label = "every method of"
					}
					problems = append(problems, fmt.Sprintf("routes: %s %s on %s is claimed by both %s and %s", label, r.Path, hr.Host(), prev, me))
					continue
				}
				owner[k] = me
			}
		}
	}
	return problems
}

// routes returns the service's routes in the environment: its own, or the
// app's.
func (s Service) routes(app apps.App, ctx apps.Context) []pc.Route {
	if s.Routes != nil {
		return s.Routes
	}
	if app.Routes == nil {
		return nil
	}
	return app.Routes(ctx)
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
