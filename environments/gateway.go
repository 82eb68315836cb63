package environments

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

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
	} else if msgs := validation.IsDNS1123Subdomain(e.Gateway.Ref.Name); len(msgs) > 0 {
		addf("gateway.ref.name: %q is not a valid name: %s", e.Gateway.Ref.Name, strings.Join(msgs, "; "))
	}
	if ns := e.Gateway.Ref.Namespace; ns != "" {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			addf("gateway.ref.namespace: %q is not a valid namespace: %s", ns, strings.Join(msgs, "; "))
		}
		if e.Gateway.Create {
			addf("gateway.ref.namespace: must be empty when the chart creates the Gateway; it lives in the release namespace %s", e.Namespace)
		}
	}
	if len(e.Gateway.ClusterPlugins) > 0 && !e.Gateway.Create {
		addf("gateway.clusterPlugins: only an environment whose chart creates the gateway may carry cluster-wide plugins; they would act on every route of the shared gateway")
	}
	if e.Domains.API == e.Domains.Web {
		addf("domains: the API and web hosts are both %q; routes and listeners need two hosts", e.Domains.API)
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
	// Kinds get scopes of their own, so a plugin, a consumer and the
	// Gateway may share a name.
	pluginScope := constructs.NewConstruct(gw, jsii.String("plugins"))
	clusterScope := constructs.NewConstruct(gw, jsii.String("cluster-plugins"))
	consumerScope := constructs.NewConstruct(gw, jsii.String("consumers"))
	anyOrigin := func(scope constructs.Construct, config pc.PluginConfig) {
		if cors, ok := config.(pc.CORS); ok && !e.Gateway.AllowAnyCORSOrigin {
			for j, o := range cors.Origins {
				if o == "*" {
					pc.AddProblems(scope, fmt.Sprintf("config.origins[%d]: \"*\" admits every origin; %s allows only the origins it lists", j, e.Name))
				}
			}
		}
	}
	named := func(field string, i int, name string, seen map[string]bool) bool {
		if name == "" || seen[name] {
			addf("%s[%d].name: %q is empty or used twice", field, i, name)
			return false
		}
		seen[name] = true
		return true
	}
	plugins := map[string]bool{}
	for i, props := range e.Gateway.Plugins {
		props.Labels = labels
		if !named("gateway.plugins", i, props.Name, plugins) {
			continue
		}
		p := pc.NewKongPlugin(pluginScope, props.Name, props)
		anyOrigin(p.Construct, p.Config())
		c.Plugins = append(c.Plugins, p)
	}
	for i, name := range e.Gateway.DefaultPlugins {
		if !plugins[name] {
			addf("gateway.defaultPlugins[%d]: no plugin named %q in gateway.plugins", i, name)
		}
	}
	clusterPlugins := map[string]bool{}
	for i, props := range e.Gateway.ClusterPlugins {
		props.Labels = labels
		if !named("gateway.clusterPlugins", i, props.Name, clusterPlugins) {
			continue
		}
		p := pc.NewKongClusterPlugin(clusterScope, props.Name, props)
		anyOrigin(p.Construct, p.Config())
		c.ClusterPlugins = append(c.ClusterPlugins, p)
	}
	consumers, usernames, secrets := map[string]bool{}, map[string]int{}, map[string]string{}
	for i, props := range e.Gateway.Consumers {
		props.Labels = labels
		if !named("gateway.consumers", i, props.Name, consumers) {
			continue
		}
		username := cmp.Or(props.Username, props.Name)
		if j, dup := usernames[username]; dup {
			addf("gateway.consumers[%d].username: %q is already gateway.consumers[%d]'s; Kong needs unique usernames", i, username, j)
		}
		usernames[username] = i
		for j, cr := range props.Credentials {
			if owner, dup := secrets[cr.Secret]; dup && owner != props.Name {
				addf("gateway.consumers[%d].credentials[%d].secret: %q is already %s's credential; a credential belongs to one consumer", i, j, cr.Secret, owner)
			}
			secrets[cr.Secret] = props.Name
		}
		c.Consumers = append(c.Consumers, pc.NewKongConsumer(consumerScope, props.Name, props))
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
			if r.Host != e.Domains.API && r.Host != e.Domains.Web {
				pc.AddProblems(ms.Construct, fmt.Sprintf("routes[%d].host: %q is neither of %s's hosts, %s and %s", i, r.Host, e.Name, e.Domains.API, e.Domains.Web))
				continue
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

// clashingRoutes reports two services' routes that claim a request in
// common: the same host and path match, and overlapping methods. Within one
// HTTPRoute, the route construct reports them.
func clashingRoutes(routes []*pc.HTTPRoute) []string {
	var problems []string
	for a, ha := range routes {
		for _, hb := range routes[a+1:] {
			if ha.Host() != hb.Host() || ha.Backend() == hb.Backend() {
				continue
			}
			for i, ra := range ha.Routes() {
				for j, rb := range hb.Routes() {
					if m, clash := pc.RoutesClash(ra, rb); clash {
						label := m
						if label == "" {
							label = "every method of"
						}
						problems = append(problems, fmt.Sprintf("routes: %s %s on %s is claimed by both %s routes[%d] and %s routes[%d]", label, rb.Path, hb.Host(), ha.Backend().Name(), i, hb.Backend().Name(), j))
					}
				}
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
