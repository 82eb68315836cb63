package constructs

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
)

// EgressRule admits traffic from a service's pods to one destination. A
// Microservice's NetworkPolicy denies all other egress; DNS to kube-dns is
// always admitted.
type EgressRule struct {
	// Name says what is reached, such as "postgres" or "providers".
	// Required.
	Name string
	// Namespace admits pods in the namespace of that name. Defaults to the
	// release namespace, unless Internet or CIDR is set.
	Namespace string
	// PodLabels narrows the pods admitted. Defaults to every pod of the
	// namespace.
	PodLabels map[string]string
	// CIDR admits an address range outside the cluster instead of pods,
	// such as a managed database's subnet.
	CIDR string
	// Internet admits every address outside the private and link-local
	// ranges (so not the cloud metadata server), for providers whose
	// addresses change too often to keep in git.
	Internet bool
	// Ports are the destination ports. Required.
	Ports []EgressPort

	// hostProblem says why EgressTo could not place its host, such as
	// "name.namespace", which is also the form of a public name.
	hostProblem string
}

// EgressPort is a destination port.
type EgressPort struct {
	// Port is the port number. Required.
	Port int32
	// Protocol is TCP, UDP or SCTP. Defaults to TCP.
	Protocol corev1.Protocol
}

// privateRanges are left out of Internet egress: RFC 1918, carrier-grade
// NAT, link-local (the metadata server), and IPv6 unique-local and
// link-local addresses.
var (
	privateIPv4 = []string{"10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"}
	privateIPv6 = []string{"fc00::/7", "fe80::/10"}
)

// EgressTo returns the rule that reaches host:port. The host's form says
// where it is, as Kubernetes DNS reads it:
//
//   - an IP address is that address (or cidr);
//   - a name without dots is a Service in the release namespace: the rule
//     admits every pod of the namespace on that port, since a Service's
//     pod labels are not known from its name;
//   - "name.namespace.svc" or "name.namespace.svc.cluster.local" is a
//     Service in that namespace;
//   - any other name is outside the cluster, reached at cidr if given,
//     otherwise at any address on that port (its addresses are not kept in
//     git); a trailing dot ("example.com.") says so of a two-label name.
//
// "name.namespace" alone could be either a Service or a public name such
// as "example.com": the rule's validation reports it, asking for one of
// the two forms, rather than guessing.
func EgressTo(name, host string, port int32, cidr string) EgressRule {
	rule := EgressRule{Name: name, Ports: []EgressPort{{Port: port}}}
	service, inCluster := strings.CutSuffix(strings.TrimSuffix(host, ".cluster.local"), ".svc")
	parts := strings.Split(service, ".")
	switch {
	case net.ParseIP(host) != nil:
		rule.CIDR = cmpCIDR(cidr, host)
	case strings.HasSuffix(host, "."):
		rule.CIDR = cmpCIDR(cidr, "0.0.0.0/0")
	case host == "":
		rule.hostProblem = "the host is empty"
	case len(parts) == 1 && !inCluster:
		// A Service in the release namespace.
	case len(parts) == 2 && inCluster:
		rule.Namespace = parts[1]
	case inCluster:
		rule.hostProblem = fmt.Sprintf("host %q is not name.namespace.svc", host)
	case len(parts) == 2:
		rule.hostProblem = fmt.Sprintf("host %q could be Service %s in namespace %s or a name outside the cluster; write %q for the Service, or %q, with a trailing dot, for the name outside",
			host, parts[0], parts[1], host+".svc", host+".")
	default:
		rule.CIDR = cmpCIDR(cidr, "0.0.0.0/0")
	}
	return rule
}

func cmpCIDR(cidr, def string) string {
	if cidr != "" {
		return cidr
	}
	if ip := net.ParseIP(def); ip != nil {
		if ip.To4() != nil {
			return def + "/32"
		}
		return def + "/128"
	}
	return def
}

// dnsEgress admits DNS to kube-dns, which every pod needs.
var dnsEgress = EgressRule{
	Name:      "dns",
	Namespace: "kube-system",
	PodLabels: map[string]string{"k8s-app": "kube-dns"},
	Ports:     []EgressPort{{Port: 53, Protocol: corev1.ProtocolUDP}, {Port: 53, Protocol: corev1.ProtocolTCP}},
}

// DNSEgress returns the rule that admits DNS to kube-dns, which every
// Microservice's NetworkPolicy holds first.
func DNSEgress() EgressRule {
	r := dnsEgress
	r.PodLabels = maps.Clone(r.PodLabels)
	r.Ports = slices.Clone(r.Ports)
	return r
}

// IsDNS reports whether r is the DNS rule of DNSEgress.
func (r EgressRule) IsDNS() bool {
	return r.Name == dnsEgress.Name && r.Namespace == dnsEgress.Namespace && maps.Equal(r.PodLabels, dnsEgress.PodLabels)
}

// PolicyRule returns the NetworkPolicy egress rule that r becomes.
func (r EgressRule) PolicyRule() networkingv1.NetworkPolicyEgressRule { return r.policyRule() }

func (r EgressRule) policyRule() networkingv1.NetworkPolicyEgressRule {
	var out networkingv1.NetworkPolicyEgressRule
	for _, p := range r.Ports {
		out.Ports = append(out.Ports, networkingv1.NetworkPolicyPort{
			Protocol: ptr.To(cmpProtocol(p.Protocol)),
			Port:     ptr.To(intstr.FromInt32(p.Port)),
		})
	}
	switch {
	case r.Internet:
		out.To = []networkingv1.NetworkPolicyPeer{
			{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: privateIPv4}},
			{IPBlock: &networkingv1.IPBlock{CIDR: "::/0", Except: privateIPv6}},
		}
	case r.CIDR != "":
		out.To = []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: r.CIDR}}}
	case r.Namespace != "":
		out.To = []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": r.Namespace}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: r.PodLabels},
		}}
	default:
		out.To = []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: r.PodLabels}}}
	}
	return out
}

func cmpProtocol(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

func validateEgress(errs *problems, rules []EgressRule) {
	names := map[string]int{}
	for i, r := range rules {
		field := fmt.Sprintf("egress[%d]", i)
		if r.Name == "" {
			errs.addf(field+".name", "is required")
		} else if j, dup := names[r.Name]; dup {
			errs.addf(field+".name", "%q duplicates egress[%d]", r.Name, j)
		}
		names[r.Name] = i
		if r.hostProblem != "" {
			errs.addf(field, "%s", r.hostProblem)
		}
		if msgs := validation.IsDNS1123Label(r.Name); r.Name != "" && len(msgs) > 0 {
			errs.addf(field+".name", "%q is not a DNS label (it names the rule in the chart README): %s", r.Name, strings.Join(msgs, "; "))
		}
		targets := 0
		for _, set := range []bool{r.Internet, r.CIDR != "", r.Namespace != "" || len(r.PodLabels) > 0} {
			if set {
				targets++
			}
		}
		if targets > 1 {
			errs.addf(field, "set one of internet, cidr, or namespace and podLabels")
		}
		if r.Namespace != "" {
			if msgs := validation.IsDNS1123Label(r.Namespace); len(msgs) > 0 {
				errs.addf(field+".namespace", "%q is not a valid namespace: %s", r.Namespace, strings.Join(msgs, "; "))
			}
		}
		if r.CIDR != "" {
			if _, _, err := net.ParseCIDR(r.CIDR); err != nil {
				errs.addf(field+".cidr", "%q is not a CIDR range", r.CIDR)
			}
		}
		if len(r.Ports) == 0 {
			errs.addf(field+".ports", "at least one port is required; egress to every port is not allowed")
		}
		for j, p := range r.Ports {
			if msgs := validation.IsValidPortNum(int(p.Port)); len(msgs) > 0 {
				errs.addf(fmt.Sprintf("%s.ports[%d].port", field, j), "%d is not a valid port number", p.Port)
			}
			switch cmpProtocol(p.Protocol) {
			case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
			default:
				errs.addf(fmt.Sprintf("%s.ports[%d].protocol", field, j), "%q is not TCP, UDP or SCTP", p.Protocol)
			}
		}
	}
}
