package constructs

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Route is one way into a service through the gateway: requests for a host
// and a path, optionally only some methods. Apps declare their routes; the
// environment places them on its gateway.
type Route struct {
	// Host is the public host name, such as "api.telepace.cc". Required.
	Host string
	// Path is the URL path; it must start with "/". Required.
	Path string
	// Exact matches Path exactly. Defaults to false: a path prefix, matched
	// by whole path elements (/api matches /api and /api/x, not /apix).
	Exact bool
	// Methods limits the route to these HTTP methods. Defaults to every
	// method.
	Methods []string
	// Port names the backend's Service port. Defaults to its first port.
	Port string
	// Service names the backend Service. Defaults to the service that
	// declares the route.
	Service string
	// Plugins name KongPlugins applied to the route, after the gateway's
	// default plugins. Defaults to none.
	Plugins []string
	// WebSocket says the route carries WebSocket upgrades: long-lived
	// connections, which the service's alerts watch for. Defaults to
	// false.
	WebSocket bool
}

// GatewayRef names the Gateway that routes attach to.
type GatewayRef struct {
	// Name is the Gateway's name. Required.
	Name string
	// Namespace is the Gateway's namespace. Defaults to the route's own.
	Namespace string
}

// HTTPRouteProps configures an HTTPRoute: one backend's routes on one host.
type HTTPRouteProps struct {
	// Name is the HTTPRoute's name. Defaults to the backend's name.
	Name string
	// Gateway is the parent the route attaches to. Required.
	Gateway GatewayRef
	// Backend is the microservice requests go to. Required.
	Backend *Microservice
	// Host is the host name every rule matches. Required.
	Host string
	// Routes are the rules; their Host must equal Host. Required.
	Routes []Route
	// DefaultPlugins name KongPlugins applied to every rule before each
	// route's own. Defaults to none.
	DefaultPlugins []string
}

// HTTPRoute routes a host's requests to a microservice through the gateway
// (gateway.networking.k8s.io/v1 HTTPRoute). Kong plugins attach to each
// rule through ExtensionRef filters.
type HTTPRoute struct {
	constructs.Construct
	// ApiObject is the HTTPRoute object.
	ApiObject cdk8s.ApiObject
	props     HTTPRouteProps
	routes    []Route
}

// NewHTTPRoute adds an HTTPRoute named id to scope, usually the backend
// microservice so the route shares its template file. Problems are
// reported as validations of the route construct, each naming its field:
// routes[0].path.
func NewHTTPRoute(scope constructs.Construct, id string, props HTTPRouteProps) *HTTPRoute {
	r := &HTTPRoute{Construct: newConstruct(scope, id), props: props}
	if props.Backend == nil {
		panic(fmt.Sprintf("constructs: HTTPRoute %q has no backend", id))
	}
	name := cmp.Or(props.Name, props.Backend.Name())
	var errs problems
	if props.Gateway.Name == "" {
		errs.addf("gateway.name", "is required")
	}
	if msgs := validation.IsDNS1123Subdomain(props.Host); len(msgs) > 0 {
		errs.addf("host", "%q is not a valid host name: %s", props.Host, strings.Join(msgs, "; "))
	}
	if len(props.Routes) > MaxRouteRules {
		errs.addf("routes", "%d routes on one host; an HTTPRoute holds at most %d rules", len(props.Routes), MaxRouteRules)
	}
	spec := gatewayv1.HTTPRouteSpec{
		CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{props.Gateway.parentRef()}},
		Hostnames:       []gatewayv1.Hostname{gatewayv1.Hostname(props.Host)},
	}
	for i, route := range props.Routes {
		field := fmt.Sprintf("routes[%d]", i)
		route = route.WithBackend(props.Backend.props)
		r.routes = append(r.routes, route)
		r.validateRoute(&errs, field, route)
		for j, earlier := range r.routes[:i] {
			if m, clash := RoutesClash(earlier, route); clash {
				errs.addf(field+".path", "%s %s is already routed by routes[%d]", methodLabel(m), route.Path, j)
				break
			}
		}
		spec.Rules = append(spec.Rules, r.rule(route))
	}
	AddProblems(r.Construct, errs...)
	labels := props.Backend.props.identity()
	r.ApiObject = NewTypedObject(r.Construct, "resource", &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels.Map()},
		Spec:       spec,
	})
	return r
}

// Plugins returns the KongPlugins a rule applies, defaults first.
func (r *HTTPRoute) Plugins(route Route) []string {
	return append(slices.Clone(r.props.DefaultPlugins), route.Plugins...)
}

func (r *HTTPRoute) validateRoute(errs *problems, field string, route Route) {
	backend := r.props.Backend
	switch {
	case route.Host != r.props.Host:
		errs.addf(field+".host", "%q differs from the route's host %q", route.Host, r.props.Host)
	case !strings.HasPrefix(route.Path, "/"):
		errs.addf(field+".path", "%q must start with /", route.Path)
	case strings.Contains(route.Path, "//") || strings.Contains(route.Path, "/./") || strings.Contains(route.Path, "/../") || strings.HasSuffix(route.Path, "/.") || strings.HasSuffix(route.Path, "/.."):
		errs.addf(field+".path", "%q is not a normalised path (no //, . or .. segments)", route.Path)
	case strings.ContainsAny(route.Path, "%?# \t"):
		errs.addf(field+".path", "%q may not hold %%, ?, # or whitespace; give the decoded path alone", route.Path)
	case !routePathChars.MatchString(route.Path):
		errs.addf(field+".path", "%q holds characters a Gateway API path may not: only letters, digits and -._~!$&'()*+,;=:@/", route.Path)
	case len(route.Path) > maxRoutePath:
		errs.addf(field+".path", "is %d characters; a Gateway API path holds at most %d", len(route.Path), maxRoutePath)
	}
	for j, m := range route.Methods {
		if !slices.Contains(httpMethods, m) {
			errs.addf(fmt.Sprintf("%s.methods[%d]", field, j), "%q is not one of %s", m, strings.Join(httpMethods, ", "))
		}
	}
	if route.Service != backend.Name() {
		errs.addf(field+".service", "%q is not this route's backend %q", route.Service, backend.Name())
	}
	if !slices.ContainsFunc(backend.Ports(), func(p Port) bool { return p.Name == route.Port }) {
		errs.addf(field+".port", "service %q has no port %q", backend.Name(), route.Port)
	}
	if private := backend.PrivatePaths(); len(private) > 0 {
		// A prefix also matches what a client writes after it: "/ws" matches
		// "/ws/../config", which a proxy or a backend may resolve to
		// "/config". So a service with private paths is routed by exact
		// paths only, none of which may name a private path in any case or
		// with a trailing slash.
		if !route.Exact {
			errs.addf(field+".path", "path prefix %q: %s has private paths (%s), so route it by exact paths only; a prefix also matches %q", route.Path, backend.Name(), strings.Join(private, ", "), strings.TrimSuffix(route.Path, "/")+"/.."+private[0])
			return
		}
		for _, p := range private {
			if strings.EqualFold(strings.TrimSuffix(route.Path, "/"), strings.TrimSuffix(p, "/")) {
				errs.addf(field+".path", "exact path %q would route %s's private path %s through the gateway", route.Path, backend.Name(), p)
				return
			}
		}
	}
	seen := map[string]bool{}
	for j, p := range r.Plugins(route) {
		if msgs := validation.IsDNS1123Label(p); len(msgs) > 0 {
			errs.addf(fmt.Sprintf("%s.plugins[%d]", field, j), "%q is not a valid KongPlugin name", p)
		}
		if seen[p] {
			errs.addf(fmt.Sprintf("%s.plugins[%d]", field, j), "%q is applied twice", p)
		}
		seen[p] = true
	}
}

func (r *HTTPRoute) rule(route Route) gatewayv1.HTTPRouteRule {
	pathType := gatewayv1.PathMatchPathPrefix
	if route.Exact {
		pathType = gatewayv1.PathMatchExact
	}
	var matches []gatewayv1.HTTPRouteMatch
	methods := route.Methods
	if len(methods) == 0 {
		methods = []string{""}
	}
	for _, m := range methods {
		match := gatewayv1.HTTPRouteMatch{Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(pathType), Value: ptr.To(route.Path)}}
		if m != "" {
			match.Method = ptr.To(gatewayv1.HTTPMethod(m))
		}
		matches = append(matches, match)
	}
	var port *gatewayv1.PortNumber
	for _, p := range r.props.Backend.Ports() {
		if p.Name == route.Port {
			port = ptr.To(gatewayv1.PortNumber(p.Port))
		}
	}
	rule := gatewayv1.HTTPRouteRule{
		Matches: matches,
		BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(r.props.Backend.Name()), Port: port},
		}}},
	}
	for _, p := range r.Plugins(route) {
		rule.Filters = append(rule.Filters, gatewayv1.HTTPRouteFilter{
			Type: gatewayv1.HTTPRouteFilterExtensionRef,
			ExtensionRef: &gatewayv1.LocalObjectReference{
				Group: "configuration.konghq.com",
				Kind:  "KongPlugin",
				Name:  gatewayv1.ObjectName(p),
			},
		})
	}
	return rule
}

func (g GatewayRef) parentRef() gatewayv1.ParentReference {
	ref := gatewayv1.ParentReference{Name: gatewayv1.ObjectName(g.Name)}
	if g.Namespace != "" {
		ref.Namespace = ptr.To(gatewayv1.Namespace(g.Namespace))
	}
	return ref
}

// MaxRouteRules is the most rules an HTTPRoute may hold.
const MaxRouteRules = 16

// maxRoutePath is the longest path value the Gateway API accepts.
const maxRoutePath = 1024

// routePathChars are the characters the Gateway API's path pattern admits,
// percent-escapes aside (which routes may not use).
var routePathChars = regexp.MustCompile(`^/[-A-Za-z0-9/._~!$&'()*+,;=:@]*$`)

// RoutesClash reports whether two routes on one host claim a request in
// common on the same path: the same match, and methods that overlap (no
// methods means every method). It returns the shared method, or "" for
// every method.
func RoutesClash(a, b Route) (string, bool) {
	if pathKey(a) != pathKey(b) {
		return "", false
	}
	switch {
	case len(a.Methods) == 0 && len(b.Methods) == 0:
		return "", true
	case len(a.Methods) == 0:
		return b.Methods[0], true
	case len(b.Methods) == 0:
		return a.Methods[0], true
	}
	for _, m := range b.Methods {
		if slices.Contains(a.Methods, m) {
			return m, true
		}
	}
	return "", false
}

var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

func pathKey(r Route) string {
	if r.Exact {
		return "=" + r.Path
	}
	return strings.TrimSuffix(r.Path, "/") + "/*"
}

func methodLabel(m string) string {
	if m == "" {
		return "every method of"
	}
	return m
}

// WithBackend returns route with the defaults NewHTTPRoute applies when
// backend, with its defaults, serves it: the backend's first port, and
// its name as the service.
func (route Route) WithBackend(backend MicroserviceProps) Route {
	if len(backend.Ports) > 0 {
		route.Port = cmp.Or(route.Port, backend.Ports[0].Name)
	}
	route.Service = cmp.Or(route.Service, backend.Name)
	return route
}
