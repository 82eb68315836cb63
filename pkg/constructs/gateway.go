package constructs

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// KongControllerName is the GatewayClass controller of Kong Ingress
// Controller 3.x.
const KongControllerName = "konghq.com/kic-gateway-controller"

// Listener is one host a Gateway accepts requests for.
type Listener struct {
	// Name names the listener. Required; a DNS label.
	Name string
	// Host is the host name it accepts. Required.
	Host string
	// Port is the listening port. Defaults to 80.
	Port int32
}

// GatewayProps configures a Gateway and its GatewayClass.
type GatewayProps struct {
	// Name is the Gateway's name, which routes refer to. Defaults to the
	// construct id.
	Name string
	// ClassName is the GatewayClass's name. Defaults to "kong".
	ClassName string
	// ControllerName is the GatewayClass's controller. Defaults to
	// KongControllerName.
	ControllerName string
	// Labels are the objects' recommended labels. Name defaults to
	// "gateway".
	Labels Labels
	// Listeners are the hosts served, over plain HTTP (TLS terminates in
	// front of the cluster in dev). Required.
	Listeners []Listener
}

// Gateway is a Kong GatewayClass and a Gateway (gateway.networking.k8s.io/v1)
// that admits HTTPRoutes from its own namespace only. Kong's controller
// runs unmanaged: the Gateway uses the Kong proxy installed beside it.
type Gateway struct {
	constructs.Construct
	// GatewayClass is the cluster-wide class.
	GatewayClass cdk8s.ApiObject
	// Gateway is the Gateway object.
	Gateway cdk8s.ApiObject
	name    string
}

// NewGateway adds a GatewayClass and a Gateway named id to scope.
func NewGateway(scope constructs.Construct, id string, props GatewayProps) *Gateway {
	g := &Gateway{Construct: newConstruct(scope, id)}
	g.name = cmp.Or(props.Name, id)
	class := cmp.Or(props.ClassName, "kong")
	var errs problems
	validateObjectName(&errs, "name", g.name)
	validateObjectName(&errs, "className", class)
	if len(props.Listeners) == 0 {
		errs.addf("listeners", "at least one listener is required")
	}
	labels := gatewayLabels(props.Labels)
	spec := gatewayv1.GatewaySpec{GatewayClassName: gatewayv1.ObjectName(class)}
	names := map[string]int{}
	for i, l := range props.Listeners {
		field := fmt.Sprintf("listeners[%d]", i)
		validateObjectName(&errs, field+".name", l.Name)
		if j, dup := names[l.Name]; dup {
			errs.addf(field+".name", "%q duplicates listeners[%d]", l.Name, j)
		}
		names[l.Name] = i
		if msgs := validation.IsDNS1123Subdomain(l.Host); len(msgs) > 0 {
			errs.addf(field+".host", "%q is not a valid host name: %s", l.Host, strings.Join(msgs, "; "))
		}
		port := l.Port
		if port == 0 {
			port = 80
		}
		spec.Listeners = append(spec.Listeners, gatewayv1.Listener{
			Name:     gatewayv1.SectionName(l.Name),
			Hostname: ptr.To(gatewayv1.Hostname(l.Host)),
			Port:     gatewayv1.PortNumber(port),
			Protocol: gatewayv1.HTTPProtocolType,
			AllowedRoutes: &gatewayv1.AllowedRoutes{
				Namespaces: &gatewayv1.RouteNamespaces{From: ptr.To(gatewayv1.NamespacesFromSame)},
			},
		})
	}
	AddProblems(g.Construct, errs...)
	g.GatewayClass = NewTypedObject(g.Construct, "class", &gatewayv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{
			Name:   class,
			Labels: labels.Map(),
			// Kong's controller only drives unmanaged classes.
			Annotations: map[string]string{"konghq.com/gatewayclass-unmanaged": "true"},
		},
		Spec: gatewayv1.GatewayClassSpec{ControllerName: gatewayv1.GatewayController(cmp.Or(props.ControllerName, KongControllerName))},
	})
	g.Gateway = NewTypedObject(g.Construct, "gateway", &gatewayv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: g.name, Labels: labels.Map()},
		Spec:       spec,
	})
	return g
}
