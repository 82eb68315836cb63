package synth

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/telepace/platform-charts/pkg/compose"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// Layer is a group of the topology diagram, drawn as a Mermaid subgraph.
type Layer string

// The layers of the topology diagram, in the order they are drawn.
const (
	LayerCallers  Layer = "callers"
	LayerGateway  Layer = "gateway"
	LayerServices Layer = "services"
	LayerData     Layer = "data"
	LayerSecrets  Layer = "secrets"
	LayerOutside  Layer = "outside"
)

// The callers (the gateway and the ingress peers), the gateway's routes
// and the Secrets are sources, drawn on the left; the services in the
// middle; the data stores and what is outside the services are
// destinations, on the right. A layer holding both sources and
// destinations would stretch across the whole flowchart.
var layers = []Layer{LayerCallers, LayerGateway, LayerServices, LayerData, LayerSecrets, LayerOutside}

// layerTitles are the subgraphs' titles.
var layerTitles = map[Layer]string{
	LayerCallers:  "callers",
	LayerGateway:  "gateway routes",
	LayerServices: "services",
	LayerData:     "data",
	LayerSecrets:  "secrets",
	LayerOutside:  "outside the services",
}

// EdgeKind says what an edge of the topology stands for.
type EdgeKind string

// The kinds of edge.
const (
	// EdgeRoute is an HTTPRoute rule, from its route node to the backend.
	EdgeRoute EdgeKind = "route"
	// EdgeNeverRouted marks a service's private paths.
	EdgeNeverRouted EdgeKind = "never-routed"
	// EdgeIngress is one peer of a NetworkPolicy's ingress rule.
	EdgeIngress EdgeKind = "ingress"
	// EdgeEgress is one NetworkPolicy egress rule.
	EdgeEgress EdgeKind = "egress"
	// EdgeProduces is a Secret's producer writing it.
	EdgeProduces EdgeKind = "produces"
	// EdgeReads is an object reading a Secret.
	EdgeReads EdgeKind = "reads"
)

// TopologyNode is one box of the diagram.
type TopologyNode struct {
	// ID is the Mermaid node id; Label is the text shown, lines joined
	// by "<br>".
	ID, Label string
	Layer     Layer
}

// TopologyEdge is one arrow of the diagram: one NetworkPolicy peer or
// rule, one route rule, or one Secret's producer or reader.
type TopologyEdge struct {
	Kind     EdgeKind
	From, To string // node ids
	Label    string
	// Policy names the NetworkPolicy an ingress or egress edge comes from
	// (its service's name); Peers and Ports are the rule it draws, in
	// networking/v1 form: for ingress the one peer and the rule's ports,
	// for egress the whole rule.
	Policy string
	Peers  []networkingv1.NetworkPolicyPeer
	Ports  []networkingv1.NetworkPolicyPort
	// Route is the route rule of a route edge.
	Route *RouteRule
}

// RouteRule is what a route edge draws: one rule of one HTTPRoute.
type RouteRule struct {
	Host, Path string
	Exact      bool
	Methods    []string
	Backend    string
	Port       int32
	Plugins    []string
}

// Topology is the picture of one environment: who is routed, who may talk
// to whom, and who reads which Secret. It is built from the values that
// build the objects, not from the objects.
type Topology struct {
	Nodes []TopologyNode
	Edges []TopologyEdge
}

// NewTopology draws the environment's composition: the gateway with each
// route rule and its plugins; the services and their ports; one edge per
// NetworkPolicy ingress peer and per egress rule (DNS included); and each
// Secret with its producer and readers. The order is the composition's,
// so the same composition draws the same picture, byte for byte.
func NewTopology(p compose.Plan) Topology {
	env := p.Env
	t := &topologyBuilder{ids: map[string]bool{}}
	gwNamespace := env.Gateway.Ref.Namespace
	if gwNamespace == "" {
		gwNamespace = env.Namespace
	}
	gwName := env.Gateway.Ref.Name
	if env.Gateway.Ref.Namespace != "" {
		gwName = env.Gateway.Ref.Namespace + "/" + gwName
	}
	if len(p.Gateway.Routes) > 0 || p.Gateway.Gateway != nil {
		// The gateway is drawn among the callers: what it may reach is
		// an ingress peer (its namespace); its routes are a layer of
		// their own.
		t.node("gw", LayerCallers, "Gateway "+gwName, "namespace "+gwNamespace)
	}
	services := map[string]compose.Service{}
	for _, s := range p.Services {
		services[s.Name] = s
		label := []string{s.Name}
		for _, p := range s.Props.Ports {
			label = append(label, fmt.Sprintf("%s %d/%s", p.Name, p.Port, protocol(p.Protocol)))
		}
		t.node(serviceID(s.Name), LayerServices, label...)
	}
	n := 0
	for _, hr := range p.Gateway.Routes {
		for _, rt := range hr.Rules {
			n++
			id := fmt.Sprintf("route_%d", n)
			rr := RouteRule{Host: hr.Props.Host, Path: rt.Path, Exact: rt.Exact, Methods: rt.Methods, Backend: hr.Backend, Plugins: hr.Plugins(rt)}
			portName := rt.Port
			for _, p := range services[hr.Backend].Props.Ports {
				if p.Name == rt.Port {
					rr.Port = p.Port
				}
			}
			methods := "any method"
			if len(rr.Methods) > 0 {
				methods = strings.Join(rr.Methods, ", ")
			}
			label := []string{rr.Host + " " + routePath(rr), methods}
			if len(rr.Plugins) > 0 {
				label = append(label, "plugins: "+strings.Join(rr.Plugins, ", "))
			}
			t.node(id, LayerGateway, label...)
			t.edge(TopologyEdge{Kind: EdgeRoute, From: id, To: serviceID(rr.Backend), Label: fmt.Sprintf("%s %d", portName, rr.Port), Route: &rr})
		}
	}
	for _, s := range p.Services {
		if paths := s.Props.PrivatePaths; len(paths) > 0 {
			id := "private_" + mermaidID(s.Name)
			t.node(id, LayerGateway, append([]string{"never routed"}, paths...)...)
			t.edge(TopologyEdge{Kind: EdgeNeverRouted, From: id, To: serviceID(s.Name)})
		}
	}
	for _, s := range p.Services {
		ingress := s.Props.PolicyIngress()
		ports := ingress.Ports
		for _, peer := range ingress.From {
			peer := *peer.DeepCopy()
			from := t.peerNode(peer, env.Namespace, gwNamespace)
			// Unlabelled: a service admits its peers to every port its
			// box lists.
			t.edge(TopologyEdge{Kind: EdgeIngress, From: from, To: serviceID(s.Name), Policy: s.Name, Peers: []networkingv1.NetworkPolicyPeer{peer}, Ports: ports})
		}
	}
	for _, s := range p.Services {
		for _, r := range s.Props.PolicyEgress() {
			to, label := t.egressNode(r, env.Namespace)
			rule := r.PolicyRule()
			if r.Internet {
				label = r.Name + ": " + label
			}
			t.edge(TopologyEdge{Kind: EdgeEgress, From: serviceID(s.Name), To: to, Label: label, Policy: s.Name, Peers: rule.To, Ports: rule.Ports})
		}
	}
	readers := map[string]string{}
	for _, s := range p.Services {
		readers[env.Name+"/"+s.ID()] = serviceID(s.Name)
	}
	for _, s := range p.Secrets.Sources {
		producer := "producer_" + strings.Trim(mermaidID(s.Producer), "_")
		t.node(producer, LayerSecrets, s.Producer)
		id := "secret_" + mermaidID(s.Name)
		t.node(id, LayerSecrets, "Secret "+s.Name)
		t.edge(TopologyEdge{Kind: EdgeProduces, From: producer, To: id})
		for _, r := range s.Readers {
			reader, ok := readers[r]
			if !ok {
				reader = "reader_" + mermaidID(r)
				t.node(reader, LayerOutside, r)
			}
			t.edge(TopologyEdge{Kind: EdgeReads, From: id, To: reader})
		}
	}
	return Topology{Nodes: t.nodes, Edges: t.edges}
}

type topologyBuilder struct {
	nodes []TopologyNode
	edges []TopologyEdge
	ids   map[string]bool
}

// node adds a node unless one has that id.
func (t *topologyBuilder) node(id string, layer Layer, label ...string) {
	if t.ids[id] {
		return
	}
	t.ids[id] = true
	t.nodes = append(t.nodes, TopologyNode{ID: id, Label: strings.Join(label, "<br>"), Layer: layer})
}

func (t *topologyBuilder) edge(e TopologyEdge) { t.edges = append(t.edges, e) }

// peerNode returns the node of an ingress peer: the gateway for its
// namespace, or a caller: the release namespace's pods, or a node
// describing the selectors.
func (t *topologyBuilder) peerNode(p networkingv1.NetworkPolicyPeer, namespace, gwNamespace string) string {
	switch {
	case p.IPBlock != nil:
		id := "peer_" + mermaidID(p.IPBlock.CIDR)
		t.node(id, LayerCallers, "addresses "+p.IPBlock.CIDR)
		return id
	case p.NamespaceSelector == nil:
		id := "peer_pods_" + mermaidID(selectorText(p.PodSelector))
		t.node(id, LayerCallers, podsText(p.PodSelector), "in "+namespace)
		return id
	case isNamespace(p.NamespaceSelector, gwNamespace) && p.PodSelector == nil && t.ids["gw"]:
		return "gw"
	default:
		label := []string{podsText(p.PodSelector), "in namespaces " + selectorText(p.NamespaceSelector)}
		if name, ok := namespaceName(p.NamespaceSelector); ok {
			label[1] = "in namespace " + name
		}
		id := "peer_" + mermaidID(selectorText(p.NamespaceSelector)+"_"+selectorText(p.PodSelector))
		t.node(id, LayerCallers, label...)
		return id
	}
}

// egressNode returns the node an egress rule reaches and the edge's
// label: DNS, the internet and the collector are outside; every other
// destination is a data store.
func (t *topologyBuilder) egressNode(r pc.EgressRule, namespace string) (id, label string) {
	label = egressPortsLabel(r.Ports)
	switch {
	case r.IsDNS():
		t.node("dns", LayerOutside, "DNS", "kube-dns in "+r.Namespace)
		return "dns", label
	case r.Internet:
		t.node("internet", LayerOutside, "internet", "public addresses")
		return "internet", label
	}
	layer := LayerData
	if r.Name == compose.CollectorEgressName {
		layer = LayerOutside
	}
	where := "any address"
	switch {
	case r.CIDR != "" && r.CIDR != "0.0.0.0/0":
		where = r.CIDR
	case r.CIDR != "":
	case r.Namespace != "":
		where = podsText(&metav1.LabelSelector{MatchLabels: r.PodLabels}) + " in " + r.Namespace
	default:
		where = podsText(&metav1.LabelSelector{MatchLabels: r.PodLabels}) + " in " + namespace
	}
	id = "to_" + mermaidID(r.Name)
	for i := 2; t.ids[id] && t.label(id) != strings.Join([]string{r.Name, where}, "<br>"); i++ {
		id = fmt.Sprintf("to_%s_%d", mermaidID(r.Name), i)
	}
	t.node(id, layer, r.Name, where)
	return id, label
}

func (t *topologyBuilder) label(id string) string {
	for _, n := range t.nodes {
		if n.ID == id {
			return n.Label
		}
	}
	return ""
}

// Mermaid returns the topology as a Mermaid flowchart: a subgraph per
// layer holding its nodes, then the edges. Network edges are solid, Secret
// edges dotted, and never-routed paths end in a cross.
func (t Topology) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	writeLayers(&b, t.Nodes, func(string) string { return "" })
	for _, e := range t.Drawn() {
		b.WriteString("  " + e.Mermaid() + "\n")
	}
	return b.String()
}

// writeLayers writes nodes as Mermaid, a subgraph per layer that holds
// any, each node followed by its class (suffix).
func writeLayers(b *strings.Builder, nodes []TopologyNode, suffix func(id string) string) {
	for _, l := range layers {
		var in []TopologyNode
		for _, n := range nodes {
			if n.Layer == l {
				in = append(in, n)
			}
		}
		if len(in) == 0 {
			continue
		}
		fmt.Fprintf(b, "  subgraph layer_%s[%q]\n", l, layerTitles[l])
		for _, n := range in {
			fmt.Fprintf(b, "    %s[\"%s\"]%s\n", n.ID, mermaidText(n.Label), suffix(n.ID))
		}
		b.WriteString("  end\n")
	}
}

// serviceIDs returns the ids of the services' nodes, in order.
func (t Topology) serviceIDs() []string {
	var ids []string
	for _, n := range t.Nodes {
		if n.Layer == LayerServices && strings.HasPrefix(n.ID, "svc_") {
			ids = append(ids, n.ID)
		}
	}
	return ids
}

// ServicesGroup is the id of the services' subgraph. An edge to or from
// it stands for one to or from every service.
const ServicesGroup = "layer_" + string(LayerServices)

// Drawn returns the edges as the flowchart draws them. An ingress edge
// from one peer, or an egress edge to one destination, that every service
// has, with the same label, is drawn once, to or from ServicesGroup, where
// the first of them stands: five services, or fifteen, admitting the same
// namespaces and reaching the same DNS and collector draw one arrow each,
// not one per service.
func (t Topology) Drawn() []TopologyEdge { return t.drawn(nil) }

// drawn is Drawn, but an edge alone is set apart, and keeps its group
// from being drawn as one edge.
func (t Topology) drawn(alone func(i int) bool) []TopologyEdge {
	services := t.serviceIDs()
	type group struct {
		kind       EdgeKind
		end, label string
	}
	groupOf := func(e TopologyEdge) (group, string, bool) {
		switch e.Kind {
		case EdgeIngress:
			return group{e.Kind, e.From, e.Label}, e.To, true
		case EdgeEgress:
			return group{e.Kind, e.To, e.Label}, e.From, true
		}
		return group{}, "", false
	}
	members := map[group][]string{}
	split := map[group]bool{}
	for i, e := range t.Edges {
		if g, svc, ok := groupOf(e); ok {
			members[g] = append(members[g], svc)
			split[g] = split[g] || (alone != nil && alone(i))
		}
	}
	want := slices.Sorted(slices.Values(services))
	wholes := map[group]bool{}
	whole := func(g group) bool {
		is, known := wholes[g]
		if !known {
			is = len(services) > 1 && !split[g] && len(members[g]) == len(want) &&
				slices.Equal(slices.Sorted(slices.Values(members[g])), want)
			wholes[g] = is
		}
		return is
	}
	var out []TopologyEdge
	done := map[group]bool{}
	for _, e := range t.Edges {
		g, _, ok := groupOf(e)
		if !ok || !whole(g) {
			out = append(out, e)
			continue
		}
		if done[g] {
			continue
		}
		done[g] = true
		merged := TopologyEdge{Kind: e.Kind, From: e.From, To: e.To, Label: e.Label}
		if e.Kind == EdgeIngress {
			merged.To = ServicesGroup
		} else {
			merged.From = ServicesGroup
		}
		out = append(out, merged)
	}
	return out
}

// Mermaid returns the edge's line of the flowchart.
func (e TopologyEdge) Mermaid() string {
	arrow := "-->"
	switch e.Kind {
	case EdgeNeverRouted:
		arrow = "-.-x"
	case EdgeProduces, EdgeReads:
		arrow = "-.->"
	}
	if e.Label == "" {
		return e.From + " " + arrow + " " + e.To
	}
	return fmt.Sprintf("%s %s|\"%s\"| %s", e.From, arrow, mermaidText(e.Label), e.To)
}

// routePath prints a rule's path as the README's route table does.
func routePath(r RouteRule) string {
	if r.Exact {
		return "= " + r.Path
	}
	return strings.TrimSuffix(r.Path, "/") + "/*"
}

func egressPortsLabel(ports []pc.EgressPort) string {
	var parts []string
	for _, p := range ports {
		parts = append(parts, fmt.Sprintf("%s %d", protocol(p.Protocol), p.Port))
	}
	return strings.Join(parts, ", ")
}

// isNamespace reports whether sel selects exactly the namespace name.
func isNamespace(sel *metav1.LabelSelector, name string) bool {
	n, ok := namespaceName(sel)
	return ok && n == name
}

// namespaceName returns the namespace sel selects by its immutable
// kubernetes.io/metadata.name label, when that is all it selects by.
func namespaceName(sel *metav1.LabelSelector) (string, bool) {
	if sel == nil || len(sel.MatchLabels) != 1 || len(sel.MatchExpressions) > 0 {
		return "", false
	}
	name, ok := sel.MatchLabels[corev1.LabelMetadataName]
	return name, ok
}

// protocol defaults an empty protocol to TCP, as Kubernetes does.
func protocol(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// selectorText prints a label selector: "k=v,k2=v2", or "any" for an empty
// or absent one.
func selectorText(ls *metav1.LabelSelector) string {
	if ls == nil || (len(ls.MatchLabels) == 0 && len(ls.MatchExpressions) == 0) {
		return "any"
	}
	text := labelsText(ls.MatchLabels)
	for _, e := range ls.MatchExpressions {
		text += fmt.Sprintf(",%s %s %s", e.Key, e.Operator, strings.Join(e.Values, "|"))
	}
	return strings.TrimPrefix(text, ",")
}

// podsText says which pods sel selects: "every pod", or "pods k=v".
func podsText(sel *metav1.LabelSelector) string {
	if text := selectorText(sel); text != "any" {
		return "pods " + text
	}
	return "every pod"
}

func labelsText(m map[string]string) string {
	if len(m) == 0 {
		return "any"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// serviceID is the node id of a service.
func serviceID(name string) string { return "svc_" + mermaidID(name) }

// mermaidID turns s into a Mermaid node id: letters, digits and "_".
func mermaidID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// mermaidText escapes a quoted Mermaid label; "<br>" is kept as a line
// break.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "|", "#124;").Replace(s)
}
