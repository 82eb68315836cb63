package compose

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/telepace/platform-charts/environments"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// Gateway is the gateway layer of a plan: the Kong objects the chart
// carries and the HTTPRoutes of the services' routes.
type Gateway struct {
	// Planned says the layer has objects or problems of its own: its
	// constructs live under "gateway".
	Planned bool
	// Gateway is the Gateway the chart creates, or nil where the gateway
	// layer is run separately.
	Gateway *pc.GatewayProps
	// Plugins, ClusterPlugins and Consumers are the Kong objects, each
	// named.
	Plugins        []pc.KongPluginProps
	ClusterPlugins []pc.KongClusterPluginProps
	Consumers      []pc.KongConsumerProps
	// Routes are the HTTPRoutes, in service order.
	Routes []Route
}

// Route is one HTTPRoute: a backend's routes on one host.
type Route struct {
	// Backend is the service that serves the routes.
	Backend string
	// ID is the construct id under the backend: "route", or "route-<n>"
	// when the backend is routed on several hosts.
	ID string
	// Props are the HTTPRoute's props, but for Backend, which Build sets.
	Props pc.HTTPRouteProps
	// Rules are the routes with the backend's defaults applied, as the
	// HTTPRoute serves them.
	Rules []pc.Route
}

// Plugins returns the plugins a rule of the route applies: the
// environment's defaults, then its own.
func (r Route) Plugins(rule pc.Route) []string {
	return append(slices.Clone(r.Props.DefaultPlugins), rule.Plugins...)
}

// gatewayNamespace is the namespace of the gateway's proxy pods.
func gatewayNamespace(e environments.Environment) string {
	return cmp.Or(e.Gateway.Ref.Namespace, e.Namespace)
}

// gatewayPeer admits the gateway's namespace, by its immutable
// kubernetes.io/metadata.name label, to a routed service.
func gatewayPeer(e environments.Environment) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{
		MatchLabels: map[string]string{"kubernetes.io/metadata.name": gatewayNamespace(e)},
	}}
}

// layerLabels are the recommended labels of a layer's own objects.
func layerLabels(env, layer string) pc.Labels {
	return pc.Labels{Name: layer, Instance: pc.Instance(pc.DefaultPartOf, env), Component: layer, PartOf: pc.DefaultPartOf}
}

// planGateway plans the gateway objects and the HTTPRoutes of the
// services' routes. Problems that span services (unknown services,
// plugins, clashing routes) are the layer's.
func planGateway(e environments.Environment, services []Service) (Gateway, problems) {
	var g Gateway
	var ps problems
	declared := false
	for _, s := range services {
		declared = declared || len(s.declared) > 0
	}
	if !declared && !e.Gateway.Create && len(e.Gateway.Plugins) == 0 {
		return g, nil
	}
	if hostProblem(e.Domains.API, false) != "" || hostProblem(e.Domains.Web, false) != "" {
		// Reported once as domains.*; routes on those hosts would only
		// repeat it.
		return g, nil
	}
	g.Planned = true
	ps = gatewayProblems(e)
	labels := layerLabels(e.Name, "gateway")
	if e.Gateway.Create {
		g.Gateway = &pc.GatewayProps{Labels: labels, Listeners: []pc.Listener{
			{Name: "api", Host: e.Domains.API},
			{Name: "web", Host: e.Domains.Web},
		}}
	}
	plugins := planKong(e, labels, &g, &ps)
	g.Routes = planRoutes(e, services, plugins, &ps)
	ps = append(ps, clashingRoutes(g.Routes)...)
	return g, ps
}

// gatewayProblems returns the problems with where the environment's
// routes attach.
func gatewayProblems(e environments.Environment) problems {
	var ps problems
	ref := e.Gateway.Ref
	if ref.Name == "" {
		ps.addf("gateway.ref.name: is required; name the Gateway the routes attach to")
	} else if msgs := validation.IsDNS1123Subdomain(ref.Name); len(msgs) > 0 {
		ps.addf("gateway.ref.name: %q is not a valid name: %s", ref.Name, strings.Join(msgs, "; "))
	}
	if ns := ref.Namespace; ns != "" {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			ps.addf("gateway.ref.namespace: %q is not a valid namespace: %s", ns, strings.Join(msgs, "; "))
		}
		if e.Gateway.Create {
			ps.addf("gateway.ref.namespace: must be empty when the chart creates the Gateway; it lives in the release namespace %s", e.Namespace)
		}
	}
	if len(e.Gateway.ClusterPlugins) > 0 && !e.Gateway.Create {
		ps.addf("gateway.clusterPlugins: only an environment whose chart creates the gateway may carry cluster-wide plugins; they would act on every route of the shared gateway")
	}
	if e.Domains.API == e.Domains.Web {
		ps.addf("domains: the API and web hosts are both %q; routes and listeners need two hosts", e.Domains.API)
	}
	if !e.Gateway.Create && ref.Namespace == "" {
		ps.addf("gateway.ref.namespace: is required for a Gateway the chart does not create")
	}
	return ps
}

// planKong plans the environment's Kong plugins and consumers into g, and
// returns the names of the plugins routes may apply.
func planKong(e environments.Environment, labels pc.Labels, g *Gateway, ps *problems) map[string]bool {
	anyOrigin := func(path string, config pc.PluginConfig) {
		if cors, ok := config.(pc.CORS); ok && !e.Gateway.AllowAnyCORSOrigin {
			for j, o := range cors.Origins {
				if o == "*" {
					ps.at(path, "config.origins[%d]: \"*\" admits every origin; %s allows only the origins it lists", j, e.Name)
				}
			}
		}
	}
	named := func(field string, i int, name string, seen map[string]bool) bool {
		if name == "" || seen[name] {
			ps.addf("%s[%d].name: %q is empty or used twice", field, i, name)
			return false
		}
		seen[name] = true
		return true
	}
	// Kinds get scopes of their own, so a plugin, a consumer and the
	// Gateway may share a name.
	plugins := map[string]bool{}
	for i, props := range e.Gateway.Plugins {
		props.Labels = labels
		if !named("gateway.plugins", i, props.Name, plugins) {
			continue
		}
		g.Plugins = append(g.Plugins, props)
		anyOrigin("gateway/plugins/"+props.Name, props.Config)
	}
	for i, name := range e.Gateway.DefaultPlugins {
		if !plugins[name] {
			ps.addf("gateway.defaultPlugins[%d]: no plugin named %q in gateway.plugins", i, name)
		}
	}
	clusterPlugins := map[string]bool{}
	for i, props := range e.Gateway.ClusterPlugins {
		props.Labels = labels
		if !named("gateway.clusterPlugins", i, props.Name, clusterPlugins) {
			continue
		}
		g.ClusterPlugins = append(g.ClusterPlugins, props)
		anyOrigin("gateway/cluster-plugins/"+props.Name, props.Config)
	}
	consumers, usernames, secrets := map[string]bool{}, map[string]int{}, map[string]string{}
	for i, props := range e.Gateway.Consumers {
		props.Labels = labels
		if !named("gateway.consumers", i, props.Name, consumers) {
			continue
		}
		username := cmp.Or(props.Username, props.Name)
		if j, dup := usernames[username]; dup {
			ps.addf("gateway.consumers[%d].username: %q is already gateway.consumers[%d]'s; Kong needs unique usernames", i, username, j)
		}
		usernames[username] = i
		for j, cr := range props.Credentials {
			if owner, dup := secrets[cr.Secret]; dup && owner != props.Name {
				ps.addf("gateway.consumers[%d].credentials[%d].secret: %q is already %s's credential; a credential belongs to one consumer", i, j, cr.Secret, owner)
			}
			secrets[cr.Secret] = props.Name
		}
		g.Consumers = append(g.Consumers, props)
	}
	return plugins
}

// planRoutes plans one HTTPRoute per backend and host of the services'
// declared routes, under the backend.
func planRoutes(e environments.Environment, services []Service, plugins map[string]bool, ps *problems) []Route {
	var routes []Route
	byName := map[string]Service{}
	for _, s := range services {
		byName[s.Name] = s
	}
	// Group each service's declared routes by backend and host: one
	// HTTPRoute per pair, under the backend so it shares its template.
	type group struct {
		backend string
		host    string
		routes  []pc.Route
	}
	var groups []*group
	for _, s := range services {
		for i, r := range s.declared {
			target := s.Name
			if r.Service != "" && r.Service != s.Name {
				if _, ok := byName[r.Service]; !ok {
					ps.at(s.id, "routes[%d].service: unknown service %q; services in %s: %s", i, r.Service, e.Name, strings.Join(slices.Sorted(maps.Keys(byName)), ", "))
					continue
				}
				target = r.Service
			}
			if r.Host != e.Domains.API && r.Host != e.Domains.Web {
				ps.at(s.id, "routes[%d].host: %q is neither of %s's hosts, %s and %s", i, r.Host, e.Name, e.Domains.API, e.Domains.Web)
				continue
			}
			for j, p := range r.Plugins {
				if !plugins[p] {
					ps.at(s.id, "routes[%d].plugins[%d]: no plugin named %q in the environment's gateway.plugins", i, j, p)
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
	perBackend := map[string]int{}
	for _, gr := range groups {
		perBackend[gr.backend]++
	}
	seen := map[string]int{}
	for _, gr := range groups {
		id, name := "route", gr.backend
		if perBackend[gr.backend] > 1 {
			seen[gr.backend]++
			id = fmt.Sprintf("route-%d", seen[gr.backend])
			name = fmt.Sprintf("%s-%d", gr.backend, seen[gr.backend])
		}
		backend := byName[gr.backend].Props
		var rules []pc.Route
		for _, r := range gr.routes {
			rules = append(rules, r.WithBackend(backend))
		}
		routes = append(routes, Route{
			Backend: gr.backend,
			ID:      id,
			Props: pc.HTTPRouteProps{
				Name:           name,
				Gateway:        e.Gateway.Ref,
				Host:           gr.host,
				Routes:         gr.routes,
				DefaultPlugins: e.Gateway.DefaultPlugins,
			},
			Rules: rules,
		})
	}
	return routes
}

// clashingRoutes reports two services' routes that claim a request in
// common: the same host and path match, and overlapping methods. Within one
// HTTPRoute, the route construct reports them.
func clashingRoutes(routes []Route) problems {
	var ps problems
	for a, ha := range routes {
		for _, hb := range routes[a+1:] {
			if ha.Props.Host != hb.Props.Host || ha.Backend == hb.Backend {
				continue
			}
			for i, ra := range ha.Rules {
				for j, rb := range hb.Rules {
					if m, clash := pc.RoutesClash(ra, rb); clash {
						label := cmp.Or(m, "every method of")
						ps.addf("routes: %s %s on %s is claimed by both %s routes[%d] and %s routes[%d]", label, rb.Path, hb.Props.Host, ha.Backend, i, hb.Backend, j)
					}
				}
			}
		}
	}
	return ps
}
