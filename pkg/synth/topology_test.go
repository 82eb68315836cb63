package synth_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	networkingv1 "k8s.io/api/networking/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/synth"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// resolvedAll resolves every environment once per test binary.
var resolvedAll = func() func(t *testing.T) map[string]synth.Resolved {
	var resolved map[string]synth.Resolved
	var err error
	done := false
	return func(t *testing.T) map[string]synth.Resolved {
		t.Helper()
		if !done {
			resolved, err = synth.Resolve(environments.All())
			done = true
		}
		require.NoError(t, err)
		return resolved
	}
}()

// TestTopologyGolden compares each environment's diagram with
// testdata/topology-<env>.mmd, byte for byte, and checks that the chart
// README carries it. Refresh with -update (make golden).
func TestTopologyGolden(t *testing.T) {
	resolved := resolvedAll(t)
	readmes := map[string]string{}
	for _, c := range synthAll(t) {
		readmes[c.Env] = string(c.Files["README.md"])
	}
	for _, env := range environments.All() {
		t.Run(env.Name, func(t *testing.T) {
			got := synth.NewTopology(resolved[env.Name].Plan).Mermaid()
			again := synth.NewTopology(resolved[env.Name].Plan).Mermaid()
			require.Equal(t, got, again, "the diagram is not deterministic")
			assert.Contains(t, readmes[env.Name], "```mermaid\n"+got+"```\n", "the README does not carry the diagram")
			path := filepath.Join("testdata", "topology-"+env.Name+".mmd")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run `make golden` to create it")
			assert.Equal(t, string(want), got, "%s is stale; run `make golden` and review the diff", path)
		})
	}
}

// policyKey identifies one drawn NetworkPolicy rule: an ingress peer with
// the rule's ports, or a whole egress rule.
func policyKey(policy, direction string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) string {
	p, err := json.Marshal(peers)
	if err != nil {
		panic(err)
	}
	q, err := json.Marshal(ports)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%s %s to=%s ports=%s", policy, direction, p, q)
}

// generatedPolicies decodes the environment's NetworkPolicies from the
// resolved objects.
func generatedPolicies(t *testing.T, r synth.Resolved) []networkingv1.NetworkPolicy {
	t.Helper()
	var out []networkingv1.NetworkPolicy
	for _, o := range r.Objects {
		if o.Kind != "NetworkPolicy" {
			continue
		}
		var np networkingv1.NetworkPolicy
		require.NoError(t, yaml.UnmarshalStrict(o.YAML, &np), o.Name)
		out = append(out, np)
	}
	return out
}

// policyRules returns a key per ingress peer and per egress rule of the
// policies: what the diagram must draw.
func policyRules(policies []networkingv1.NetworkPolicy) []string {
	var out []string
	for _, np := range policies {
		for _, rule := range np.Spec.Ingress {
			for _, peer := range rule.From {
				out = append(out, policyKey(np.Name, "ingress", []networkingv1.NetworkPolicyPeer{peer}, rule.Ports))
			}
		}
		for _, rule := range np.Spec.Egress {
			out = append(out, policyKey(np.Name, "egress", rule.To, rule.Ports))
		}
	}
	return out
}

// drawnRules returns a key per NetworkPolicy edge of the topology.
func drawnRules(top synth.Topology) []string {
	var out []string
	for _, e := range top.Edges {
		switch e.Kind {
		case synth.EdgeIngress:
			out = append(out, policyKey(e.Policy, "ingress", e.Peers, e.Ports))
		case synth.EdgeEgress:
			out = append(out, policyKey(e.Policy, "egress", e.Peers, e.Ports))
		}
	}
	return out
}

// difference returns the elements of a not in b, counting repeats.
func difference(a, b []string) []string {
	left := slices.Clone(b)
	var out []string
	for _, x := range a {
		if i := slices.Index(left, x); i >= 0 {
			left = slices.Delete(left, i, i+1)
			continue
		}
		out = append(out, x)
	}
	return out
}

// mermaidEdges returns the edge lines of a Mermaid flowchart.
func mermaidEdges(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.Contains(line, "-->") || strings.Contains(line, "-.->") || strings.Contains(line, "-.-x") {
			out = append(out, line)
		}
	}
	return out
}

// TestTopologyEdgesMatchNetworkPolicies: in every environment, every peer
// and port a generated NetworkPolicy admits, ingress and egress (DNS
// included), is an edge of the diagram, and the diagram has no
// NetworkPolicy edge that no policy admits. Every edge of the diagram is
// drawn once, between declared nodes.
func TestTopologyEdgesMatchNetworkPolicies(t *testing.T) {
	resolved := resolvedAll(t)
	for _, env := range environments.All() {
		t.Run(env.Name, func(t *testing.T) {
			r := resolved[env.Name]
			policies := generatedPolicies(t, r)
			require.Len(t, policies, len(env.Services), "one NetworkPolicy per service of the catalog")
			top := synth.NewTopology(r.Plan)
			want, got := policyRules(policies), drawnRules(top)
			require.NotEmpty(t, want)
			assert.Empty(t, difference(want, got), "admitted by a NetworkPolicy, not drawn")
			assert.Empty(t, difference(got, want), "drawn, not admitted by any NetworkPolicy")

			text := top.Mermaid()
			var lines []string
			for _, e := range top.Drawn() {
				lines = append(lines, e.Mermaid())
			}
			assert.ElementsMatch(t, lines, mermaidEdges(text), "the flowchart's edges are not the topology's")
			labels := map[string]string{}
			nodes := map[string]bool{}
			for _, n := range top.Nodes {
				assert.False(t, nodes[n.ID], "node %s declared twice", n.ID)
				nodes[n.ID] = true
				labels[n.ID] = n.Label
				assert.Contains(t, text, "    "+n.ID+"[\"", "node %s is not in the flowchart", n.ID)
			}
			for _, e := range top.Edges {
				assert.True(t, nodes[e.From] && nodes[e.To], "edge %q joins an undeclared node", e.Mermaid())
				if e.Kind == synth.EdgeEgress {
					assert.True(t, strings.HasSuffix(e.Label, portsText(e.Ports)), "edge %q is not labelled with its ports %s", e.Mermaid(), portsText(e.Ports))
				}
				if e.Kind == synth.EdgeIngress {
					// Unlabelled: the service's box lists the ports it is
					// admitted to.
					assert.Empty(t, e.Label, e.Mermaid())
					for _, p := range e.Ports {
						assert.Contains(t, labels[e.To], fmt.Sprintf(" %s/%s", p.Port, *p.Protocol), "ingress %q admits a port its service's box does not list", e.Mermaid())
					}
				}
				if e.Kind == synth.EdgeEgress {
					assert.Equal(t, "svc_"+mermaidID(e.Policy), e.From, e.Mermaid())
					if want := egressTarget(e.Peers); want == "a destination node" {
						assert.True(t, strings.HasPrefix(e.To, "to_"), "egress %q goes to the wrong node", e.Mermaid())
					} else {
						assert.Equal(t, want, e.To, "egress %q goes to the wrong node", e.Mermaid())
					}
				}
				if e.Kind == synth.EdgeIngress {
					assert.Equal(t, "svc_"+mermaidID(e.Policy), e.To, e.Mermaid())
					if ns := env.Gateway.Ref.Namespace; ns != "" && ns != env.Namespace && e.Peers[0].NamespaceSelector != nil &&
						e.Peers[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] == ns {
						assert.Equal(t, "gw", e.From, "the gateway's namespace is not drawn as the gateway: %q", e.Mermaid())
					}
				}
			}
		})
	}
}

// portsText prints NetworkPolicy ports as the diagram labels them.
func portsText(ports []networkingv1.NetworkPolicyPort) string {
	var parts []string
	for _, p := range ports {
		parts = append(parts, fmt.Sprintf("%s %s", *p.Protocol, p.Port.String()))
	}
	return strings.Join(parts, ", ")
}

// egressTarget is the kind of node an egress rule's peers must be drawn
// to: the internet for public address ranges, DNS for kube-dns, or a
// named destination.
func egressTarget(peers []networkingv1.NetworkPolicyPeer) string {
	switch {
	case len(peers) > 0 && peers[0].IPBlock != nil && len(peers[0].IPBlock.Except) > 0:
		return "internet"
	case len(peers) == 1 && peers[0].PodSelector != nil && peers[0].PodSelector.MatchLabels["k8s-app"] == "kube-dns":
		return "dns"
	}
	return "a destination node"
}

// TestTopologyPolicyCheckCanFail proves the comparison above catches a
// missing edge and an invented one.
func TestTopologyPolicyCheckCanFail(t *testing.T) {
	r := resolvedAll(t)["prod"]
	top := synth.NewTopology(r.Plan)
	want := policyRules(generatedPolicies(t, r))
	i := slices.IndexFunc(top.Edges, func(e synth.TopologyEdge) bool { return e.Kind == synth.EdgeEgress })
	require.GreaterOrEqual(t, i, 0)
	dropped := top
	dropped.Edges = slices.Delete(slices.Clone(top.Edges), i, i+1)
	assert.Len(t, difference(want, drawnRules(dropped)), 1, "a missing egress edge is not caught")
	invented := top
	extra := top.Edges[i]
	extra.Policy = "no-such-service"
	invented.Edges = append(slices.Clone(top.Edges), extra)
	assert.Len(t, difference(drawnRules(invented), want), 1, "an edge no policy admits is not caught")
}

// TestTopologyShowsEveryRouteRule: every rule of every generated HTTPRoute
// (host, path, methods, backend and port, KongPlugins) is a route of the
// gateway in the diagram, and the diagram routes nothing else.
func TestTopologyShowsEveryRouteRule(t *testing.T) {
	resolved := resolvedAll(t)
	for _, env := range environments.All() {
		t.Run(env.Name, func(t *testing.T) {
			r := resolved[env.Name]
			var want []string
			for _, o := range r.Objects {
				if o.Kind != "HTTPRoute" {
					continue
				}
				var hr gatewayv1.HTTPRoute
				require.NoError(t, yaml.Unmarshal(o.YAML, &hr), o.Name)
				require.Len(t, hr.Spec.Hostnames, 1, o.Name)
				for _, rule := range hr.Spec.Rules {
					require.Len(t, rule.BackendRefs, 1, o.Name)
					require.NotEmpty(t, rule.Matches, o.Name)
					var methods []string
					m := rule.Matches[0]
					for _, match := range rule.Matches {
						if match.Method != nil {
							methods = append(methods, string(*match.Method))
						}
					}
					var plugins []string
					for _, f := range rule.Filters {
						if f.ExtensionRef != nil && f.ExtensionRef.Kind == "KongPlugin" {
							plugins = append(plugins, string(f.ExtensionRef.Name))
						}
					}
					ref := rule.BackendRefs[0]
					want = append(want, routeKey(string(hr.Spec.Hostnames[0]), *m.Path.Value, *m.Path.Type == gatewayv1.PathMatchExact,
						methods, string(ref.Name), int32(*ref.Port), plugins))
				}
			}
			top := synth.NewTopology(r.Plan)
			text := top.Mermaid()
			var got []string
			for _, e := range top.Edges {
				if e.Kind != synth.EdgeRoute {
					continue
				}
				rr := e.Route
				got = append(got, routeKey(rr.Host, rr.Path, rr.Exact, rr.Methods, rr.Backend, rr.Port, rr.Plugins))
				assert.Contains(t, text, "\n    "+e.From+"[\""+rr.Host+" ", "route %s is not drawn in the gateway", e.From)
				for _, p := range rr.Plugins {
					assert.Regexp(t, `\n    `+e.From+`\[".*plugins: [^"]*\b`+p+`\b`, text, "plugin %s of %s is not drawn", p, e.From)
				}
				assert.Contains(t, text, fmt.Sprintf(" %d\"| svc_", rr.Port), "route %s's port is not on its edge", e.From)
			}
			require.NotEmpty(t, want)
			assert.ElementsMatch(t, want, got)
		})
	}
}

func routeKey(host, path string, exact bool, methods []string, backend string, port int32, plugins []string) string {
	methods = slices.Sorted(slices.Values(methods))
	return fmt.Sprintf("%s %s exact=%v methods=%v -> %s:%d plugins=%v", host, path, exact, methods, backend, port, plugins)
}

// TestTopologyShowsSecretReaders: every Secret a service's Deployment
// reads (env, envFrom, volumes) is drawn with an edge to the service, and
// has a producer; no service is drawn reading a Secret its Deployment
// does not read.
func TestTopologyShowsSecretReaders(t *testing.T) {
	resolved := resolvedAll(t)
	for _, env := range environments.All() {
		t.Run(env.Name, func(t *testing.T) {
			r := resolved[env.Name]
			var want []string
			for _, o := range r.Objects {
				if o.Kind != "Deployment" {
					continue
				}
				for _, s := range deploymentSecrets(t, o.YAML) {
					want = append(want, "secret_"+mermaidID(s)+" -> svc_"+mermaidID(o.Name))
				}
			}
			require.NotEmpty(t, want)
			top := synth.NewTopology(r.Plan)
			var got []string
			produced := map[string]bool{}
			for _, e := range top.Edges {
				switch {
				case e.Kind == synth.EdgeReads && strings.HasPrefix(e.To, "svc_"):
					got = append(got, e.From+" -> "+e.To)
				case e.Kind == synth.EdgeProduces:
					produced[e.To] = true
				}
			}
			assert.ElementsMatch(t, slices.Compact(slices.Sorted(slices.Values(want))), got)
			for _, g := range got {
				secret, _, _ := strings.Cut(g, " -> ")
				assert.True(t, produced[secret], "%s has no producer in the diagram", secret)
			}
		})
	}
}

// deploymentSecrets returns the names of the Secrets a Deployment's pod
// reads.
func deploymentSecrets(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Env []struct {
							ValueFrom *struct {
								SecretKeyRef *struct{ Name string } `json:"secretKeyRef"`
							} `json:"valueFrom"`
						} `json:"env"`
						EnvFrom []struct {
							SecretRef *struct{ Name string } `json:"secretRef"`
						} `json:"envFrom"`
					} `json:"containers"`
					Volumes []struct {
						Secret *struct {
							SecretName string `json:"secretName"`
						} `json:"secret"`
					} `json:"volumes"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	require.NoError(t, yaml.Unmarshal(doc, &d))
	var out []string
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				out = append(out, e.ValueFrom.SecretKeyRef.Name)
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				out = append(out, e.SecretRef.Name)
			}
		}
	}
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			out = append(out, v.Secret.SecretName)
		}
	}
	return out
}

// mermaidID mirrors the diagram's node ids: letters, digits and "_".
func mermaidID(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// TestTopologyDrawsSharedRulesOnce: a rule every service has, with the
// same label, is one arrow to or from the services group; a rule only
// some services have is drawn per service; and reading the diagram back
// gives one edge per service again.
func TestTopologyDrawsSharedRulesOnce(t *testing.T) {
	for _, env := range environments.All() {
		t.Run(env.Name, func(t *testing.T) {
			top := synth.NewTopology(resolvedAll(t)[env.Name].Plan)
			services := 0
			for _, n := range top.Nodes {
				if n.Layer == synth.LayerServices {
					services++
				}
			}
			drawn := top.Drawn()
			dns := 0
			for _, e := range drawn {
				if e.To == "dns" {
					dns++
					assert.Equal(t, synth.ServicesGroup, e.From, "every service reaches DNS: one arrow from the group")
				}
			}
			assert.Equal(t, 1, dns)
			// Every edge the group stands for is in the topology, once per
			// service.
			grouped := 0
			for _, e := range drawn {
				if e.From == synth.ServicesGroup || e.To == synth.ServicesGroup {
					grouped++
				}
			}
			require.Positive(t, grouped)
			assert.Equal(t, len(top.Edges), len(drawn)+grouped*(services-1), "each group arrow stands for one edge per service")
			// An edge only one service has stays its own.
			for _, e := range drawn {
				if e.Kind == synth.EdgeEgress && e.To == "internet" {
					assert.True(t, strings.HasPrefix(e.From, "svc_"), e.Mermaid())
				}
			}
			back, err := synth.ParseTopology(top.Mermaid())
			require.NoError(t, err)
			assert.Len(t, back.Edges, len(top.Edges))
		})
	}
}
