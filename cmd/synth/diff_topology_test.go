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
		{"added edge", topologyReadme(routeEdge, dnsA, dnsB), "WANT_ADDED"},
		{"removed edge", topologyReadme(routeEdge), "WANT_REMOVED"},
		{"both", topologyReadme(routeEdge, dnsB), "WANT_BOTH"},
		{"unchanged", topologyReadme(dnsA, "  linkStyle 0 stroke:#000\n", routeEdge), "WANT_UNCHANGED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := diff.Report{Base: "main", Head: "working tree", Charts: []diff.ChartDiff{{
				Env: "prod", Namespace: "telepace",
				Chart: []diff.Field{{Path: "values.replicas", Old: 2, New: 3}},
			}}}
			require.NoError(t, drawTopologies(&r, map[string]map[string][]byte{"prod": {"README.md": base}},
				map[string]map[string][]byte{"prod": {"README.md": tt.head}}))
			got := r.Markdown()
			if strings.HasPrefix(tt.want, "WANT_") {
				t.Logf("GOT %s\n%s", tt.name, got)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
