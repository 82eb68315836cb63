package synth_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/synth"
)

// drawn is what a topology draws, without the values it was drawn from:
// what a diagram read back can hold.
func drawn(t synth.Topology) synth.Topology {
	out := synth.Topology{Nodes: slices.Clone(t.Nodes)}
	for _, e := range t.Edges {
		out.Edges = append(out.Edges, synth.TopologyEdge{Kind: e.Kind, From: e.From, To: e.To, Label: e.Label})
	}
	return out
}

// TestTopologyReadsBack: the diagram of every environment, read back from
// its chart README as synth diff reads it, is the topology that drew it:
// every node with its layer and label, every edge with its kind, ends
// and label.
func TestTopologyReadsBack(t *testing.T) {
	resolved := resolvedAll(t)
	readmes := map[string][]byte{}
	for _, c := range synthAll(t) {
		readmes[c.Env] = c.Files["README.md"]
	}
	for _, env := range environments.All() {
		t.Run(env.Name, func(t *testing.T) {
			top := synth.NewTopology(resolved[env.Name].Plan)
			got, ok, err := synth.ReadTopology(readmes[env.Name])
			require.NoError(t, err)
			require.True(t, ok, "the README has no Topology section")
			// The flowchart lists nodes by layer: their order is not kept.
			assert.ElementsMatch(t, top.Nodes, got.Nodes)
			// Edges drawn once for every service come back one per
			// service, grouped by the arrow that drew them.
			assert.ElementsMatch(t, drawn(top).Edges, got.Edges)
			assert.True(t, synth.CompareTopologies(top, got).Empty())
		})
	}
	t.Run("CRLF line ends", func(t *testing.T) {
		readme := bytes.ReplaceAll(readmes["prod"], []byte("\n"), []byte("\r\n"))
		got, ok, err := synth.ReadTopology(readme)
		require.NoError(t, err)
		require.True(t, ok)
		want, _, _ := synth.ReadTopology(readmes["prod"])
		assert.Equal(t, want, got)
	})
	t.Run("no Topology section", func(t *testing.T) {
		_, ok, err := synth.ReadTopology([]byte("# argocd\n\n## Applications\n"))
		assert.NoError(t, err)
		assert.False(t, ok)
	})
	for name, text := range map[string]string{
		"undeclared node": "flowchart LR\n  subgraph layer_services[\"services\"]\n    svc_a[\"a\"]\n  end\n  svc_a --> dns\n",
		"unknown line":    "flowchart LR\n  subgraph layer_services[\"services\"]\n    svc_a[\"a\"]\n  end\n  svc_a ~~> svc_a\n",
		"unknown layer":   "flowchart LR\n  subgraph layer_elsewhere[\"x\"]\n    svc_a[\"a\"]\n  end\n",
		"not a flowchart": "sequenceDiagram\n  a->>b: x\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := synth.ParseTopology(text)
			assert.Error(t, err)
		})
	}
}

// prodTopology is prod's topology, as its README draws it.
func prodTopology(t *testing.T) synth.Topology {
	t.Helper()
	return drawn(synth.NewTopology(resolvedAll(t)["prod"].Plan))
}

// without returns t without its i-th edge.
func without(t synth.Topology, i int) synth.Topology {
	t.Edges = slices.Delete(slices.Clone(t.Edges), i, i+1)
	return t
}

// firstEdge is the index of the first edge of the kind.
func firstEdge(t *testing.T, top synth.Topology, kind synth.EdgeKind) int {
	t.Helper()
	i := slices.IndexFunc(top.Edges, func(e synth.TopologyEdge) bool { return e.Kind == kind })
	require.GreaterOrEqual(t, i, 0, "prod has no %s edge", kind)
	return i
}

// renumbered returns t with its routes numbered from the last: the same
// picture, other ids.
func renumbered(t synth.Topology) synth.Topology {
	ids := map[string]string{}
	var routes []string
	for _, n := range t.Nodes {
		if strings.HasPrefix(n.ID, "route_") {
			routes = append(routes, n.ID)
		}
	}
	for i, id := range routes {
		ids[id] = routes[len(routes)-1-i]
	}
	rename := func(id string) string {
		if to, ok := ids[id]; ok {
			return to
		}
		return id
	}
	out := synth.Topology{}
	for _, n := range t.Nodes {
		n.ID = rename(n.ID)
		out.Nodes = append(out.Nodes, n)
	}
	for _, e := range slices.Backward(t.Edges) {
		e.From, e.To = rename(e.From), rename(e.To)
		out.Edges = append(out.Edges, e)
	}
	return out
}

// topologyChange is a change of prod's topology: a base and a head.
type topologyChange struct {
	name       string
	base, head synth.Topology
}

// prodChanges are the changes of prod's topology the diff pictures are
// tested on, with golden files testdata/topology-diff-<name>.mmd.
func prodChanges(t *testing.T) []topologyChange {
	prod := prodTopology(t)
	egress := firstEdge(t, prod, synth.EdgeEgress)

	// A route's plugins change, and a Secret gets a new producer.
	changed := drawn(prod)
	route := slices.IndexFunc(changed.Nodes, func(n synth.TopologyNode) bool { return strings.HasPrefix(n.ID, "route_") })
	require.GreaterOrEqual(t, route, 0)
	label, _, ok := strings.Cut(changed.Nodes[route].Label, "<br>plugins: ")
	require.True(t, ok, "prod's first route has no plugins")
	changed.Nodes[route].Label = label + "<br>plugins: cors"
	produces := firstEdge(t, changed, synth.EdgeProduces)
	changed.Nodes = append(changed.Nodes, synth.TopologyNode{ID: "producer_SealedSecret", Label: "SealedSecret", Layer: synth.LayerSecrets})
	changed.Edges[produces].From = "producer_SealedSecret"

	return []topologyChange{
		{"egress-added", without(prod, egress), prod},
		{"egress-removed", prod, without(prod, egress)},
		{"route-plugins-and-secret-source", prod, changed},
	}
}

// TestTopologyDiffGolden: what a change of prod's topology draws, compared with
// testdata/topology-diff-<case>.mmd byte for byte (refresh with -update),
// and the marks it must carry: each added edge green by its index, each
// removed edge red, each changed box amber with its old text.
func TestTopologyDiffGolden(t *testing.T) {
	prod := prodTopology(t)
	for _, c := range prodChanges(t) {
		t.Run(c.name, func(t *testing.T) {
			d := synth.CompareTopologies(c.base, c.head)
			require.False(t, d.Empty())
			got := d.Mermaid()
			require.Equal(t, got, synth.CompareTopologies(c.base, c.head).Mermaid(), "not deterministic")
			path := filepath.Join("testdata", "topology-diff-"+c.name+".mmd")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run `make golden` to create it")
			assert.Equal(t, string(want), got, "%s is stale; run `make golden` and review the diff", path)

			edges := mermaidEdges(got)
			require.Len(t, edges, len(d.Edges()), "the head's edges and the removed ones")
			styled := func(style string) []int {
				var out []int
				m := regexp.MustCompile(`(?m)^  linkStyle ([0-9,]+) ` + regexp.QuoteMeta(style) + `$`).FindStringSubmatch(got)
				if m == nil {
					return nil
				}
				for _, s := range strings.Split(m[1], ",") {
					i, err := strconv.Atoi(s)
					require.NoError(t, err)
					out = append(out, i)
				}
				return out
			}
			added, removed := styled("stroke:#1a7f37,stroke-width:4px"), styled("stroke:#cf222e,stroke-width:2px,stroke-dasharray:6 4")
			require.Len(t, added, len(d.AddedEdges))
			require.Len(t, removed, len(d.RemovedEdges))
			for _, i := range added {
				assert.Contains(t, edges[i], `|"added`, "edge %d is styled as added", i)
			}
			for _, i := range removed {
				assert.Contains(t, edges[i], `|"removed`, "edge %d is styled as removed", i)
			}
			for k, i := range added {
				assert.True(t, strings.HasPrefix(edges[i], d.AddedEdges[k].From+" "), "edge %d is not the added %s", i, d.AddedEdges[k].Mermaid())
			}
			for _, n := range d.ChangedNodes {
				assert.Regexp(t, `\n    `+n.Head.ID+`\[".*<br>was: [^"]+"\]:::changed\n`, got)
			}
			for _, n := range d.AddedNodes {
				assert.Contains(t, got, "\n    "+n.ID+"[\"", "added box %s", n.ID)
				assert.Regexp(t, `\n    `+n.ID+`\[".*"\]:::added\n`, got)
			}
			// Every node of prod is drawn, once.
			for _, n := range prod.Nodes {
				assert.Equal(t, 1, strings.Count(got, "\n    "+n.ID+"[\""), n.ID)
			}
		})
	}
}

// TestTopologyDiffIdentities: edges and boxes are compared by what they
// draw, not by their lines: the same picture with its routes renumbered
// and its edges reversed is no change; a route added before the others
// is one box and one edge, the others unchanged; a route's plugins are
// its text, a changed box.
func TestTopologyDiffIdentities(t *testing.T) {
	prod := prodTopology(t)
	t.Run("ingress labelled as diagrams once drew them", func(t *testing.T) {
		old := drawn(prod)
		for i, e := range old.Edges {
			if e.Kind == synth.EdgeIngress {
				old.Edges[i].Label = "TCP 8080"
			}
		}
		d := synth.CompareTopologies(old, prod)
		assert.True(t, d.Empty(), "%+v", d)
	})
	t.Run("renumbered", func(t *testing.T) {
		d := synth.CompareTopologies(prod, renumbered(prod))
		assert.True(t, d.Empty(), "%+v", d)
		assert.Equal(t, "", d.Summary())
	})
	t.Run("route inserted first", func(t *testing.T) {
		head := synth.Topology{Nodes: []synth.TopologyNode{{ID: "route_1", Label: "new.example /*<br>GET", Layer: synth.LayerGateway}}}
		head.Edges = append(head.Edges, synth.TopologyEdge{Kind: synth.EdgeRoute, From: "route_1", To: "svc_web", Label: "http 3000"})
		shifted := drawn(prod) // a copy
		for i, n := range shifted.Nodes {
			if r, ok := strings.CutPrefix(n.ID, "route_"); ok {
				k, _ := strconv.Atoi(r)
				shifted.Nodes[i].ID = fmt.Sprintf("route_%d", k+1)
			}
		}
		for i, e := range shifted.Edges {
			if r, ok := strings.CutPrefix(e.From, "route_"); ok {
				k, _ := strconv.Atoi(r)
				shifted.Edges[i].From = fmt.Sprintf("route_%d", k+1)
			}
		}
		head.Nodes = append(head.Nodes, shifted.Nodes...)
		head.Edges = append(head.Edges, shifted.Edges...)
		d := synth.CompareTopologies(prod, head)
		assert.Equal(t, head.Nodes[:1], d.AddedNodes)
		assert.Equal(t, head.Edges[:1], d.AddedEdges)
		assert.Empty(t, d.RemovedEdges)
		assert.Empty(t, d.RemovedNodes)
		assert.Empty(t, d.ChangedNodes)
		assert.Equal(t, "1 edge added; 1 box added", d.Summary())
	})
	t.Run("plugins", func(t *testing.T) {
		changes := prodChanges(t)
		d := synth.CompareTopologies(changes[2].base, changes[2].head)
		require.Len(t, d.ChangedNodes, 1)
		assert.True(t, strings.HasPrefix(d.ChangedNodes[0].Head.ID, "route_"))
		assert.Equal(t, "1 edge added, 1 removed; 1 box added, 1 changed", d.Summary())
	})
}
