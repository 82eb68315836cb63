package synth_test

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/synth"
)

// This file implements the Gateway API's HTTPRoute matching rules
// (hostnames, Exact / PathPrefix / RegularExpression paths, methods, header
// and query matches, and the precedence between matches) independently of
// the constructs, and checks what the generated routes let through.

type request struct {
	host, method, path string
	headers, query     map[string]string
}

// candidate is one match of one rule of one route that accepts a request.
type candidate struct {
	route   *gatewayv1.HTTPRoute
	rule    int
	match   gatewayv1.HTTPRouteMatch
	host    string // the route hostname that matched
	backend string
}

func hostMatches(pattern, host string) bool {
	if strings.HasPrefix(pattern, "*.") {
		return strings.HasSuffix(host, pattern[1:]) && len(host) > len(pattern)-1
	}
	return strings.EqualFold(pattern, host)
}

func pathMatches(m *gatewayv1.HTTPPathMatch, p string) bool {
	typ, value := gatewayv1.PathMatchPathPrefix, "/"
	if m != nil {
		if m.Type != nil {
			typ = *m.Type
		}
		if m.Value != nil {
			value = *m.Value
		}
	}
	switch typ {
	case gatewayv1.PathMatchExact:
		return p == value
	case gatewayv1.PathMatchPathPrefix:
		prefix := strings.TrimSuffix(value, "/")
		return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/")
	case gatewayv1.PathMatchRegularExpression:
		return regexp.MustCompile("^(?:" + value + ")$").MatchString(p)
	}
	panic("unknown path match type " + string(typ))
}

func stringMatch(typ *gatewayv1.HeaderMatchType, value, got string, present bool) bool {
	if !present {
		return false
	}
	if typ != nil && *typ == gatewayv1.HeaderMatchRegularExpression {
		return regexp.MustCompile("^(?:" + value + ")$").MatchString(got)
	}
	return got == value
}

func matchAccepts(m gatewayv1.HTTPRouteMatch, r request) bool {
	if !pathMatches(m.Path, r.path) {
		return false
	}
	if m.Method != nil && string(*m.Method) != r.method {
		return false
	}
	for _, h := range m.Headers {
		var got string
		var present bool
		for k, v := range r.headers {
			if strings.EqualFold(k, string(h.Name)) {
				got, present = v, true
			}
		}
		if !stringMatch(h.Type, h.Value, got, present) {
			return false
		}
	}
	for _, q := range m.QueryParams {
		got, present := r.query[string(q.Name)]
		var typ *gatewayv1.HeaderMatchType
		if q.Type != nil {
			typ = (*gatewayv1.HeaderMatchType)(q.Type)
		}
		if !stringMatch(typ, q.Value, got, present) {
			return false
		}
	}
	return true
}

// candidates returns every match of every route that accepts r.
func candidates(routes []*gatewayv1.HTTPRoute, r request) []candidate {
	var out []candidate
	for _, route := range routes {
		host := ""
		if len(route.Spec.Hostnames) == 0 {
			host = "*"
		}
		for _, h := range route.Spec.Hostnames {
			if hostMatches(string(h), r.host) && (host == "" || len(h) > len(host)) {
				host = string(h)
			}
		}
		if host == "" {
			continue
		}
		for i, rule := range route.Spec.Rules {
			matches := rule.Matches
			if len(matches) == 0 {
				matches = []gatewayv1.HTTPRouteMatch{{}}
			}
			for _, m := range matches {
				if matchAccepts(m, r) {
					backend := ""
					if len(rule.BackendRefs) > 0 {
						backend = string(rule.BackendRefs[0].Name)
					}
					out = append(out, candidate{route: route, rule: i, match: m, host: host, backend: backend})
				}
			}
		}
	}
	return out
}

// winner applies the Gateway API's precedence: the most specific hostname,
// an Exact path over a prefix, the longest path, a method match, the most
// header then query matches, then the route's name and the rule's order.
func winner(cs []candidate) *candidate {
	if len(cs) == 0 {
		return nil
	}
	key := func(c candidate) []int {
		exact, length := 0, 1
		if c.match.Path != nil {
			if c.match.Path.Type != nil && *c.match.Path.Type == gatewayv1.PathMatchExact {
				exact = 1
			}
			if c.match.Path.Value != nil {
				length = len(*c.match.Path.Value)
			}
		}
		method := 0
		if c.match.Method != nil {
			method = 1
		}
		wildcard := 0
		if !strings.HasPrefix(c.host, "*") {
			wildcard = 1
		}
		return []int{wildcard, len(c.host), exact, length, method, len(c.match.Headers), len(c.match.QueryParams)}
	}
	best := slices.MaxFunc(cs, func(a, b candidate) int {
		if c := slices.Compare(key(a), key(b)); c != 0 {
			return c
		}
		// Earlier name, then earlier rule, wins: they compare as larger.
		if c := strings.Compare(b.route.Namespace+"/"+b.route.Name, a.route.Namespace+"/"+a.route.Name); c != 0 {
			return c
		}
		return b.rule - a.rule
	})
	return &best
}

// normalise is what a proxy that normalises paths forwards: unreserved
// characters percent-decoded, dot segments removed, repeated slashes
// merged.
func normalise(raw string) string {
	decoded := regexp.MustCompile(`%[0-9A-Fa-f]{2}`).ReplaceAllStringFunc(raw, func(s string) string {
		c, err := url.PathUnescape(s)
		if err != nil || !regexp.MustCompile(`^[A-Za-z0-9\-._~]$`).MatchString(c) {
			return s
		}
		return c
	})
	p := path.Clean(regexp.MustCompile(`/+`).ReplaceAllString(decoded, "/"))
	if strings.HasSuffix(decoded, "/") && p != "/" {
		p += "/"
	}
	return p
}

func generatedRoutes(t *testing.T) map[string][]*gatewayv1.HTTPRoute {
	t.Helper()
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	out := map[string][]*gatewayv1.HTTPRoute{}
	for env, r := range resolved {
		for _, o := range r.Objects {
			if o.Kind != "HTTPRoute" {
				continue
			}
			route := &gatewayv1.HTTPRoute{}
			require.NoError(t, yaml.UnmarshalStrict(o.YAML, route))
			out[env] = append(out[env], route)
		}
		require.NotEmpty(t, out[env], "%s has no HTTPRoute", env)
	}
	return out
}

var allMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}

// privateVariants are the ways a client might write a request for the
// private path p ("/config"): "/config/", "//config", "/ws/../config",
// "/CONFIG", "/%63onfig" and more.
func privateVariants(p string) []string {
	rest := strings.TrimPrefix(p, "/")
	return []string{
		p, p + "/", "/" + p, "/ws/.." + p, strings.ToUpper(p),
		fmt.Sprintf("/%%%02x%s", rest[0], rest[1:]), "/ws/%2e%2e" + p, "/." + p, "/ws/..%2f" + rest,
	}
}

// reachesBackend returns a description of each way r, raw or normalised,
// matches a route to backend; it looks at every match, not only the
// winner, so a route that only loses on precedence still counts.
func reachesBackend(routes []*gatewayv1.HTTPRoute, backend string, r request) []string {
	var found []string
	for _, p := range []string{r.path, normalise(r.path)} {
		r.path = p
		for _, c := range candidates(routes, r) {
			if c.backend == backend {
				found = append(found, fmt.Sprintf("%s %s%s matches HTTPRoute %s rule %d", r.method, r.host, p, c.route.Name, c.rule))
			}
		}
	}
	return found
}

// TestVoiceflowConfigIsNeverRoutable: no request for a service's private
// path, however written, on any host, with any method, reaches the service
// through the gateway, in any environment. voiceflow's /config must be
// among the private paths, so renaming it does not dodge the check.
func TestVoiceflowConfigIsNeverRoutable(t *testing.T) {
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	routes := generatedRoutes(t)
	for _, e := range environments.All() {
		private := map[string][]string{}
		for _, s := range resolved[e.Name].Plan.Services {
			if paths := s.Props.PrivatePaths; len(paths) > 0 {
				private[s.Name] = paths
			}
		}
		require.Contains(t, private["voiceflow"], "/config", "%s: voiceflow's /config is not declared private", e.Name)
		hosts := []string{e.Domains.API, e.Domains.Web, "unknown.example.com"}
		for _, r := range routes[e.Name] {
			for _, h := range r.Spec.Hostnames {
				hosts = append(hosts, string(h))
			}
		}
		for backend, paths := range private {
			for _, host := range hosts {
				for _, method := range allMethods {
					for _, pp := range paths {
						for _, p := range privateVariants(pp) {
							got := reachesBackend(routes[e.Name], backend, request{host: host, method: method, path: p})
							assert.Empty(t, got, "%s: %s %s%s reaches %s", e.Name, method, host, p, backend)
						}
					}
				}
			}
		}
	}
}

// TestRouteCheckerCatchesAnExposedConfig proves the check above can fail: a
// catch-all route to voiceflow, or a regular expression, is caught.
func TestRouteCheckerCatchesAnExposedConfig(t *testing.T) {
	prefix, regex := gatewayv1.PathMatchPathPrefix, gatewayv1.PathMatchRegularExpression
	for _, m := range []gatewayv1.HTTPPathMatch{
		{Type: &prefix, Value: ptrTo("/")},
		{Type: &prefix, Value: ptrTo("/config")},
		{Type: &regex, Value: ptrTo("/c.*")},
	} {
		route := &gatewayv1.HTTPRoute{}
		route.Name = "leak"
		route.Spec.Hostnames = []gatewayv1.Hostname{"api.telepace.cc"}
		route.Spec.Rules = []gatewayv1.HTTPRouteRule{{
			Matches:     []gatewayv1.HTTPRouteMatch{{Path: &m}},
			BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{Name: "voiceflow"}}}},
		}}
		assert.NotEmpty(t, reachesBackend([]*gatewayv1.HTTPRoute{route}, "voiceflow", request{host: "api.telepace.cc", method: "POST", path: "/config"}), "%s %s", *m.Type, *m.Value)
	}
	assert.Equal(t, "/config", normalise("/ws/../config"))
	assert.Equal(t, "/config", normalise("/%63onfig"))
	assert.Equal(t, "/config", normalise("//config"))
	assert.Equal(t, "/config/", normalise("/config/"))
	assert.Equal(t, []string{"/config", "/config/", "//config", "/ws/../config", "/CONFIG", "/%63onfig", "/ws/%2e%2e/config", "/./config", "/ws/..%2fconfig"}, privateVariants("/config"))
}

// TestPublicRoutes checks where each expected public request goes, and
// that near misses go nowhere.
func TestPublicRoutes(t *testing.T) {
	for env, routes := range generatedRoutes(t) {
		e, _ := environments.Lookup(env)
		api, web := e.Domains.API, e.Domains.Web
		tests := []struct {
			host, method, path string
			want               string // "" for no route
		}{
			{api, "GET", "/ws", "voiceflow"},
			{api, "POST", "/ws", ""},
			{api, "GET", "/ws/", ""},
			{api, "GET", "/wsx", ""},
			{api, "GET", "/api/analysis", "analysis"},
			{api, "POST", "/api/analysis/reports/7", "analysis"},
			{api, "GET", "/api/analysisx", ""},
			{api, "GET", "/api/collection/items", "collection"},
			{api, "DELETE", "/api/feedback/42", "feedback-collection-api"},
			{api, "GET", "/", ""},
			{api, "GET", "/api", ""},
			{web, "GET", "/", "web"},
			{web, "GET", "/settings/profile", "web"},
			{web, "GET", "/api/analysis", "web"},
			{web, "GET", "/config", "web"},
			{"elsewhere.example.com", "GET", "/", ""},
		}
		for _, tt := range tests {
			got := ""
			if w := winner(candidates(routes, request{host: tt.host, method: tt.method, path: tt.path})); w != nil {
				got = w.backend
			}
			assert.Equal(t, tt.want, got, "%s: %s %s%s", env, tt.method, tt.host, tt.path)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
