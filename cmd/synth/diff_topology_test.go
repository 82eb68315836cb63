package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/pkg/diff"
)

// topologyReadme is a chart README whose Topology section draws a route
// to service a, services a and b, DNS, and the edges given.
func topologyReadme(edges ...string) []byte {
	return []byte("# telepace-prod\n\n## Images\n\n| service | image |\n\n## Topology\n\nWho is routed.\n\n```mermaid\nflowchart LR\n" +
		"  subgraph layer_gateway[\"gateway\"]\n    route_1[\"a.example /*<br>any method\"]\n  end\n" +
		"  subgraph layer_services[\"services\"]\n    svc_a[\"a<br>http 8080/TCP\"]\n    svc_b[\"b<br>http 8080/TCP\"]\n  end\n" +
		"  subgraph layer_outside[\"outside the services\"]\n    dns[\"DNS<br>kube-dns in kube-system\"]\n  end\n" +
		strings.Join(edges, "") + "```\n\n## Routes\n\n| host | path |\n")
}

const (
	routeEdge = "  route_1 -->|\"http 8080\"| svc_a\n"
	dnsA      = "  svc_a -->|\"UDP 53\"| dns\n"
	dnsB      = "  svc_b -->|\"UDP 53\"| dns\n"
)

// TestDiffTopologyPicture: the summary holds the picture of a chart's
// topology when an edge is added, removed, or both, with exactly these
// marks; a chart whose topology is unchanged, written in another order,
// gets none, though other things changed.
func TestDiffTopologyPicture(t *testing.T) {
	base := topologyReadme(routeEdge, dnsA)
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"added edge", topologyReadme(routeEdge, dnsA, dnsB), wantAdded},
		{"removed edge", topologyReadme(routeEdge), wantRemoved},
		{"both", topologyReadme(routeEdge, dnsB), wantBoth},
		{"unchanged", topologyReadme(dnsA, "  linkStyle 0 stroke:#000\n", routeEdge), wantUnchanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := diff.Report{Base: "main", Head: "working tree", Charts: []diff.ChartDiff{{
				Env: "prod", Namespace: "telepace",
				Chart: []diff.Field{{Path: "values.replicas", Old: 2, New: 3}},
			}}}
			require.NoError(t, drawTopologies(&r, map[string]map[string][]byte{"prod": {"README.md": base}},
				map[string]map[string][]byte{"prod": {"README.md": tt.head}}))
			assert.Equal(t, tt.want, r.Markdown())
		})
	}
}

// The summaries TestDiffTopologyPicture expects, exactly, with ~ for a
// backtick (see backticks).
var (
	wantAdded = backticks(`## Chart changes: main → working tree

No breaking changes. prod: chart settings changed, topology changed

### prod

**Topology:** 1 edge added. Green and thick: added; red and dashed: removed; amber: changed, with its old text after "was:"; the rest as the chart README draws it.

~~~mermaid
flowchart LR
  subgraph layer_gateway["gateway routes"]
    route_1["a.example /*<br>any method"]
  end
  subgraph layer_services["services"]
    svc_a["a<br>http 8080/TCP"]
    svc_b["b<br>http 8080/TCP"]
  end
  subgraph layer_outside["outside the services"]
    dns["DNS<br>kube-dns in kube-system"]
  end
  subgraph legend["legend"]
    legend_added["added"]:::added
    legend_removed["removed"]:::removed
    legend_changed["changed<br>was: its old text"]:::changed
  end
  route_1 -->|"http 8080"| svc_a
  svc_a -->|"UDP 53"| dns
  svc_b -->|"added: UDP 53"| dns
  classDef added stroke:#1a7f37,stroke-width:4px
  classDef removed stroke:#cf222e,stroke-width:2px,stroke-dasharray:6 4
  classDef changed stroke:#9a6700,stroke-width:4px
  linkStyle 2 stroke:#1a7f37,stroke-width:4px
~~~

**Chart**

| field | old | new |
|---|---|---|
| ~values.replicas~ | ~2~ | ~3~ |
`)

	wantRemoved = backticks(`## Chart changes: main → working tree

No breaking changes. prod: chart settings changed, topology changed

### prod

**Topology:** 1 edge removed. Green and thick: added; red and dashed: removed; amber: changed, with its old text after "was:"; the rest as the chart README draws it.

~~~mermaid
flowchart LR
  subgraph layer_gateway["gateway routes"]
    route_1["a.example /*<br>any method"]
  end
  subgraph layer_services["services"]
    svc_a["a<br>http 8080/TCP"]
    svc_b["b<br>http 8080/TCP"]
  end
  subgraph layer_outside["outside the services"]
    dns["DNS<br>kube-dns in kube-system"]
  end
  subgraph legend["legend"]
    legend_added["added"]:::added
    legend_removed["removed"]:::removed
    legend_changed["changed<br>was: its old text"]:::changed
  end
  route_1 -->|"http 8080"| svc_a
  svc_a -->|"removed: UDP 53"| dns
  classDef added stroke:#1a7f37,stroke-width:4px
  classDef removed stroke:#cf222e,stroke-width:2px,stroke-dasharray:6 4
  classDef changed stroke:#9a6700,stroke-width:4px
  linkStyle 1 stroke:#cf222e,stroke-width:2px,stroke-dasharray:6 4
~~~

**Chart**

| field | old | new |
|---|---|---|
| ~values.replicas~ | ~2~ | ~3~ |
`)

	wantBoth = backticks(`## Chart changes: main → working tree

No breaking changes. prod: chart settings changed, topology changed

### prod

**Topology:** 1 edge added, 1 removed. Green and thick: added; red and dashed: removed; amber: changed, with its old text after "was:"; the rest as the chart README draws it.

~~~mermaid
flowchart LR
  subgraph layer_gateway["gateway routes"]
    route_1["a.example /*<br>any method"]
  end
  subgraph layer_services["services"]
    svc_a["a<br>http 8080/TCP"]
    svc_b["b<br>http 8080/TCP"]
  end
  subgraph layer_outside["outside the services"]
    dns["DNS<br>kube-dns in kube-system"]
  end
  subgraph legend["legend"]
    legend_added["added"]:::added
    legend_removed["removed"]:::removed
    legend_changed["changed<br>was: its old text"]:::changed
  end
  route_1 -->|"http 8080"| svc_a
  svc_b -->|"added: UDP 53"| dns
  svc_a -->|"removed: UDP 53"| dns
  classDef added stroke:#1a7f37,stroke-width:4px
  classDef removed stroke:#cf222e,stroke-width:2px,stroke-dasharray:6 4
  classDef changed stroke:#9a6700,stroke-width:4px
  linkStyle 1 stroke:#1a7f37,stroke-width:4px
  linkStyle 2 stroke:#cf222e,stroke-width:2px,stroke-dasharray:6 4
~~~

**Chart**

| field | old | new |
|---|---|---|
| ~values.replicas~ | ~2~ | ~3~ |
`)

	wantUnchanged = backticks(`## Chart changes: main → working tree

No breaking changes. prod: chart settings changed

### prod

**Chart**

| field | old | new |
|---|---|---|
| ~values.replicas~ | ~2~ | ~3~ |
`)
)

// backticks turns each ~ of s into a backtick, which a raw string cannot
// hold.
func backticks(s string) string { return strings.ReplaceAll(s, "~", "`") }

// TestDiffTopologyEdges: a new chart's picture is its diagram; a base
// chart without a diagram (from before it, or the Argo CD chart) gets no
// picture; a removed chart gets none; a diagram that cannot be read
// fails the diff, naming the side and the chart.
func TestDiffTopologyEdges(t *testing.T) {
	readme := topologyReadme(routeEdge, dnsA)
	draw := func(c diff.ChartDiff, base, head []byte) (*diff.TopologyPicture, error) {
		r := diff.Report{Charts: []diff.ChartDiff{c}}
		b, h := map[string]map[string][]byte{}, map[string]map[string][]byte{}
		if base != nil {
			b["prod"] = map[string][]byte{"README.md": base}
		}
		if head != nil {
			h["prod"] = map[string][]byte{"README.md": head}
		}
		err := drawTopologies(&r, b, h)
		return r.Charts[0].Topology, err
	}

	p, err := draw(diff.ChartDiff{Env: "prod", New: true}, nil, readme)
	require.NoError(t, err)
	require.NotNil(t, p)
	assert.Equal(t, "a new chart.", p.Summary)
	assert.True(t, strings.HasPrefix(p.Mermaid, "flowchart LR\n  subgraph layer_gateway[\"gateway routes\"]\n"), p.Mermaid)
	assert.NotContains(t, p.Mermaid, "classDef", "a new chart's diagram marks nothing")

	p, err = draw(diff.ChartDiff{Env: "prod"}, []byte("# telepace-prod\n\n## Images\n"), topologyReadme(routeEdge))
	require.NoError(t, err)
	assert.Nil(t, p, "a base without a diagram")

	p, err = draw(diff.ChartDiff{Env: "prod", Gone: true}, readme, nil)
	require.NoError(t, err)
	assert.Nil(t, p, "a removed chart")

	broken := []byte(strings.Replace(string(readme), routeEdge, "  route_1 -->|\"http 8080\"| svc_nowhere\n", 1))
	_, err = draw(diff.ChartDiff{Env: "prod"}, broken, readme)
	assert.EqualError(t, err, "base: chart prod: topology: edge route_1 to svc_nowhere: node svc_nowhere is not declared")
	_, err = draw(diff.ChartDiff{Env: "prod"}, readme, broken)
	assert.EqualError(t, err, "working tree: chart prod: topology: edge route_1 to svc_nowhere: node svc_nowhere is not declared")
}
