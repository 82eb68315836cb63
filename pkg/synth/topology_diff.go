package synth

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The colours of a topology change, as GitHub's own diff colours: green
// for added, red for removed, amber for changed.
const (
	addedStyle   = "stroke:#1a7f37,stroke-width:4px"
	removedStyle = "stroke:#cf222e,stroke-width:2px,stroke-dasharray:6 4"
	changedStyle = "stroke:#9a6700,stroke-width:4px"
)

// TopologyDiff is what changed between two topologies of one environment:
// the edges and nodes only one side has, and the nodes whose text
// changed. Nodes are matched by key (NodeKey), edges by their ends' keys
// and their label, so that renumbered routes or reordered lines are no
// change.
type TopologyDiff struct {
	Base, Head Topology
	// AddedEdges are the head's edges the base lacks, in the head's order;
	// RemovedEdges the base's edges the head lacks, in the base's order.
	AddedEdges, RemovedEdges []TopologyEdge
	// AddedNodes and RemovedNodes are the nodes only one side has.
	AddedNodes, RemovedNodes []TopologyNode
	// ChangedNodes are nodes on both sides whose label differs; a node
	// drawn in another layer is not a change of the topology.
	ChangedNodes []NodeChange
}

// NodeChange is a node whose text changed.
type NodeChange struct{ Base, Head TopologyNode }

// NodeKey identifies a node across two versions of a diagram: its id,
// except for a route, whose id (route_1, route_2, ...) is its position
// among the routes: a route is known by its host, path and methods, the
// first two lines of its label, and its plugins are its text.
func NodeKey(n TopologyNode) string {
	if strings.HasPrefix(n.ID, "route_") {
		lines := strings.SplitN(n.Label, "<br>", 3)
		return "route " + strings.Join(lines[:min(2, len(lines))], " ")
	}
	return n.ID
}

// edgeKey identifies an edge: its kind, its ends' node keys and its label.
type edgeKey struct {
	kind            EdgeKind
	from, to, label string
}

// CompareTopologies compares the base's topology with the head's.
func CompareTopologies(base, head Topology) TopologyDiff {
	d := TopologyDiff{Base: base, Head: head}
	bn, hn := nodesByKey(base), nodesByKey(head)
	for _, n := range head.Nodes {
		old, ok := bn[NodeKey(n)]
		switch {
		case !ok:
			d.AddedNodes = append(d.AddedNodes, n)
		case old.Label != n.Label:
			d.ChangedNodes = append(d.ChangedNodes, NodeChange{Base: old, Head: n})
		}
	}
	for _, n := range base.Nodes {
		if _, ok := hn[NodeKey(n)]; !ok {
			d.RemovedNodes = append(d.RemovedNodes, n)
		}
	}
	bk, hk := edgeKeys(base), edgeKeys(head)
	for i, e := range head.Edges {
		if !slices.Contains(bk, hk[i]) && !slices.Contains(hk[:i], hk[i]) {
			d.AddedEdges = append(d.AddedEdges, e)
		}
	}
	for i, e := range base.Edges {
		if !slices.Contains(hk, bk[i]) && !slices.Contains(bk[:i], bk[i]) {
			d.RemovedEdges = append(d.RemovedEdges, e)
		}
	}
	return d
}

// Empty reports whether the topologies draw the same picture.
func (d TopologyDiff) Empty() bool {
	return len(d.AddedEdges)+len(d.RemovedEdges)+len(d.AddedNodes)+len(d.RemovedNodes)+len(d.ChangedNodes) == 0
}

// Summary counts the change in words: "2 edges added, 1 removed; 1 box
// changed".
func (d TopologyDiff) Summary() string {
	var edges, boxes []string
	count := func(parts *[]string, n int, one, many, what string) {
		switch {
		case n == 0:
		case len(*parts) > 0:
			*parts = append(*parts, fmt.Sprintf("%d %s", n, what))
		case n == 1:
			*parts = append(*parts, fmt.Sprintf("1 %s %s", one, what))
		default:
			*parts = append(*parts, fmt.Sprintf("%d %s %s", n, many, what))
		}
	}
	count(&edges, len(d.AddedEdges), "edge", "edges", "added")
	count(&edges, len(d.RemovedEdges), "edge", "edges", "removed")
	count(&boxes, len(d.AddedNodes), "box", "boxes", "added")
	count(&boxes, len(d.RemovedNodes), "box", "boxes", "removed")
	count(&boxes, len(d.ChangedNodes), "box", "boxes", "changed")
	var parts []string
	for _, p := range [][]string{edges, boxes} {
		if len(p) > 0 {
			parts = append(parts, strings.Join(p, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// Mermaid draws the head's topology with the change marked, as one
// flowchart: the head's nodes and edges as Topology.Mermaid draws them,
// the removed nodes and edges added to them, then the styles. Added edges
// are green and thick, labelled "added"; removed edges red and dashed,
// labelled "removed"; added boxes green, removed boxes red and dashed,
// changed boxes amber with their old text after "was:". A legend
// subgraph shows the three box styles. An empty diff draws the head as
// Topology.Mermaid does, with the legend.
func (d TopologyDiff) Mermaid() string {
	// Output ids: the head's own; a removed node's base id, prefixed so
	// that it cannot be a head node's.
	ids := map[string]string{} // node key -> output id
	for _, n := range d.Head.Nodes {
		ids[NodeKey(n)] = n.ID
	}
	removedID := func(n TopologyNode) string { return "removed_" + n.ID }
	for _, n := range d.RemovedNodes {
		ids[NodeKey(n)] = removedID(n)
	}
	baseIDs := map[string]string{} // base id -> output id
	for _, n := range d.Base.Nodes {
		baseIDs[n.ID] = ids[NodeKey(n)]
	}

	nodes := slices.Clone(d.Head.Nodes)
	changed := map[string]bool{}
	for _, c := range d.ChangedNodes {
		i := slices.IndexFunc(nodes, func(n TopologyNode) bool { return n.ID == c.Head.ID })
		if was := wasText(c.Base.Label, c.Head.Label); was != "" {
			nodes[i].Label += "<br>was: " + was
		}
		changed[c.Head.ID] = true
	}
	removed := map[string]bool{}
	for _, n := range d.RemovedNodes {
		n.ID = removedID(n)
		nodes = append(nodes, n)
		removed[n.ID] = true
	}
	added := map[string]bool{}
	for _, n := range d.AddedNodes {
		added[n.ID] = true
	}

	var b strings.Builder
	b.WriteString("flowchart LR\n")
	writeLayers(&b, nodes, func(id string) string { return classSuffix(added[id], removed[id], changed[id]) })
	b.WriteString("  subgraph legend[\"legend\"]\n")
	b.WriteString("    legend_added[\"added\"]:::added\n")
	b.WriteString("    legend_removed[\"removed\"]:::removed\n")
	b.WriteString("    legend_changed[\"changed<br>was: its old text\"]:::changed\n")
	b.WriteString("  end\n")

	// linkStyle addresses an edge by its index among the flowchart's
	// edges.
	edges, addedIdx, removedIdx := d.edges(baseIDs)
	for _, e := range edges {
		b.WriteString("  " + e.Mermaid() + "\n")
	}
	fmt.Fprintf(&b, "  classDef added %s\n", addedStyle)
	fmt.Fprintf(&b, "  classDef removed %s\n", removedStyle)
	fmt.Fprintf(&b, "  classDef changed %s\n", changedStyle)
	if len(addedIdx) > 0 {
		fmt.Fprintf(&b, "  linkStyle %s %s\n", joinInts(addedIdx), addedStyle)
	}
	if len(removedIdx) > 0 {
		fmt.Fprintf(&b, "  linkStyle %s %s\n", joinInts(removedIdx), removedStyle)
	}
	return b.String()
}

// classSuffix is the ":::class" a node of the change diagram is drawn
// with.
func classSuffix(added, removed, changed bool) string {
	switch {
	case added:
		return ":::added"
	case removed:
		return ":::removed"
	case changed:
		return ":::changed"
	}
	return ""
}

// marked prefixes an edge's label with what happened to it.
func marked(what, label string) string {
	if label == "" {
		return what
	}
	return what + ": " + label
}

// wasText returns the lines of the old label that the new one lacks.
func wasText(old, cur string) string {
	have := strings.Split(cur, "<br>")
	var gone []string
	for _, l := range strings.Split(old, "<br>") {
		if !slices.Contains(have, l) {
			gone = append(gone, l)
		}
	}
	return strings.Join(gone, "; ")
}

func nodesByKey(t Topology) map[string]TopologyNode {
	m := map[string]TopologyNode{}
	for _, n := range t.Nodes {
		m[NodeKey(n)] = n
	}
	return m
}

// edgeKeys returns the key of each edge of t, in order.
func edgeKeys(t Topology) []edgeKey {
	keys := map[string]string{}
	for _, n := range t.Nodes {
		keys[n.ID] = NodeKey(n)
	}
	key := func(id string) string {
		if k, ok := keys[id]; ok {
			return k
		}
		return id
	}
	out := make([]edgeKey, len(t.Edges))
	for i, e := range t.Edges {
		label := e.Label
		if e.Kind == EdgeIngress {
			// An ingress edge admits its service's ports, which the
			// service's box shows: a label there (as diagrams once drew
			// them) is no change of its own.
			label = ""
		}
		out[i] = edgeKey{kind: e.Kind, from: key(e.From), to: key(e.To), label: label}
	}
	return out
}

// topologyHeading starts the Topology section of a chart README.
const topologyHeading = "\n## Topology\n"

// ReadTopology reads back the topology a chart README draws: the Mermaid
// block of its Topology section, parsed by ParseTopology. ok is false
// when the README has no such section, as the Argo CD chart's and charts
// written before the diagram.
func ReadTopology(readme []byte) (t Topology, ok bool, err error) {
	// A checkout that turned line ends into CRLF reads the same.
	readme = bytes.ReplaceAll(readme, []byte("\r\n"), []byte("\n"))
	_, section, found := bytes.Cut(readme, []byte(topologyHeading))
	if !found {
		return Topology{}, false, nil
	}
	if end := bytes.Index(section, []byte("\n## ")); end >= 0 {
		section = section[:end]
	}
	_, block, found := bytes.Cut(section, []byte("```mermaid\n"))
	if !found {
		return Topology{}, false, errors.New("the README's Topology section has no mermaid block")
	}
	block, _, found = bytes.Cut(block, []byte("```"))
	if !found {
		return Topology{}, false, errors.New("the README's mermaid block is not closed")
	}
	t, err = ParseTopology(string(block))
	return t, err == nil, err
}

var (
	subgraphLine = regexp.MustCompile(`^subgraph ([A-Za-z0-9_]+)\[".*"\]$`)
	nodeLine     = regexp.MustCompile(`^([A-Za-z0-9_]+)\["(.*)"\](:::[A-Za-z0-9_]+)?$`)
	edgeLine     = regexp.MustCompile(`^([A-Za-z0-9_]+) (-->|-\.->|-\.-x|==>|---|-\.-) ?(?:\|"(.*)"\|)? ?([A-Za-z0-9_]+)$`)
)

// ParseTopology reads back a flowchart Topology.Mermaid drew: each node's
// layer is its subgraph's, each edge's kind follows from its ends (a
// route, a private path, a Secret's producer, a Secret, a service, or an
// ingress peer). Style lines (classDef, class, linkStyle, style,
// direction) and comments are skipped; any other line is an error, so
// that no edge is silently lost.
func ParseTopology(text string) (Topology, error) {
	var t Topology
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(strings.TrimSpace(lines[0]), "flowchart ") {
		return Topology{}, errors.New("not a Mermaid flowchart")
	}
	var layer Layer
	for i, raw := range lines[1:] {
		line := strings.TrimSpace(raw)
		word, _, _ := strings.Cut(line, " ")
		switch {
		case line == "" || strings.HasPrefix(line, "%%"):
		case word == "classDef" || word == "class" || word == "linkStyle" || word == "style" || word == "direction":
		case line == "end":
			layer = ""
		case subgraphLine.MatchString(line):
			id := subgraphLine.FindStringSubmatch(line)[1]
			l, ok := strings.CutPrefix(id, "layer_")
			if !ok || !slices.Contains(layers, Layer(l)) {
				return Topology{}, fmt.Errorf("line %d: unknown subgraph %s", i+2, id)
			}
			layer = Layer(l)
		case nodeLine.MatchString(line):
			m := nodeLine.FindStringSubmatch(line)
			if layer == "" {
				return Topology{}, fmt.Errorf("line %d: node %s outside a layer", i+2, m[1])
			}
			t.Nodes = append(t.Nodes, TopologyNode{ID: m[1], Label: unescapeMermaid(m[2]), Layer: layer})
		case edgeLine.MatchString(line):
			m := edgeLine.FindStringSubmatch(line)
			t.Edges = append(t.Edges, TopologyEdge{Kind: edgeKind(m[1]), From: m[1], To: m[4], Label: unescapeMermaid(m[3])})
		default:
			return Topology{}, fmt.Errorf("line %d: not a line of a topology diagram: %q", i+2, line)
		}
	}
	t.Edges = expandGroupEdges(t)
	declared := map[string]bool{}
	for _, n := range t.Nodes {
		declared[n.ID] = true
	}
	for _, e := range t.Edges {
		for _, id := range []string{e.From, e.To} {
			if !declared[id] {
				return Topology{}, fmt.Errorf("edge %s to %s: node %s is not declared", e.From, e.To, id)
			}
		}
	}
	return t, nil
}

// edgeKind is the kind of an edge drawn from the node id: what NewTopology
// draws from each kind of node.
func edgeKind(from string) EdgeKind {
	switch {
	case from == ServicesGroup:
		return EdgeEgress
	case strings.HasPrefix(from, "route_"):
		return EdgeRoute
	case strings.HasPrefix(from, "private_"):
		return EdgeNeverRouted
	case strings.HasPrefix(from, "producer_"):
		return EdgeProduces
	case strings.HasPrefix(from, "secret_"):
		return EdgeReads
	case strings.HasPrefix(from, "svc_"):
		return EdgeEgress
	}
	return EdgeIngress
}

// unescapeMermaid undoes mermaidText.
func unescapeMermaid(s string) string {
	return strings.NewReplacer("#quot;", `"`, "#124;", "|").Replace(s)
}

// expandGroupEdges undoes Topology.Drawn: an edge to or from ServicesGroup
// becomes one to or from each service of the diagram, in their order.
func expandGroupEdges(t Topology) []TopologyEdge {
	services := t.serviceIDs()
	var out []TopologyEdge
	for _, e := range t.Edges {
		switch {
		case e.To == ServicesGroup:
			for _, s := range services {
				f := e
				f.To, f.Kind = s, EdgeIngress
				out = append(out, f)
			}
		case e.From == ServicesGroup:
			for _, s := range services {
				f := e
				f.From = s
				out = append(out, f)
			}
		default:
			out = append(out, e)
		}
	}
	return out
}

// Edges returns the edges the picture draws, in order: the head's, as its
// README draws them but with each added edge alone, then the removed ones.
func (d TopologyDiff) Edges() []TopologyEdge {
	edges, _, _ := d.edges(nil)
	return edges
}

// edges returns the picture's edges, added and removed ones marked in
// their labels, and the indexes of the added and the removed. baseIDs maps
// a base node's id to its id in the picture.
func (d TopologyDiff) edges(baseIDs map[string]string) (edges []TopologyEdge, added, removed []int) {
	bk, hk := edgeKeys(d.Base), edgeKeys(d.Head)
	isAdded := func(i int) bool { return !slices.Contains(bk, hk[i]) }
	addedEdges := map[edgeKey]bool{}
	for i, e := range d.Head.Edges {
		if isAdded(i) {
			addedEdges[edgeKey{e.Kind, e.From, e.To, e.Label}] = true
		}
	}
	// An added edge is drawn alone, never as part of one arrow for every
	// service.
	for _, e := range d.Head.drawn(isAdded) {
		if addedEdges[edgeKey{e.Kind, e.From, e.To, e.Label}] {
			e.Label = marked("added", e.Label)
			added = append(added, len(edges))
		}
		edges = append(edges, e)
	}
	for _, e := range d.RemovedEdges {
		e.From, e.To = cmp.Or(baseIDs[e.From], e.From), cmp.Or(baseIDs[e.To], e.To)
		e.Label = marked("removed", e.Label)
		removed = append(removed, len(edges))
		edges = append(edges, e)
	}
	return edges, added, removed
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
