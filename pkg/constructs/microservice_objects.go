package constructs

import (
	"maps"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func (m *Microservice) serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		ObjectMeta:                   m.props.objectMeta(m.props.Name),
		AutomountServiceAccountToken: ptr.To(false),
	}
}

func (m *Microservice) configMap() *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: m.props.objectMeta(m.props.Name),
		Data:       maps.Clone(m.props.Config),
	}
}

func (m *Microservice) service() *corev1.Service {
	p := m.props
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Labels: p.labels(), Annotations: maps.Clone(p.ServiceAnnotations)},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: p.selectorLabels(),
		},
	}
	for _, port := range p.Ports {
		sp := corev1.ServicePort{Name: port.Name, Port: port.Port, TargetPort: intstr.FromString(port.Name), Protocol: port.Protocol}
		if port.AppProtocol != "" {
			sp.AppProtocol = ptr.To(port.AppProtocol)
		}
		svc.Spec.Ports = append(svc.Spec.Ports, sp)
	}
	return svc
}

func (m *Microservice) podDisruptionBudget() *policyv1.PodDisruptionBudget {
	p := m.props
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: p.objectMeta(p.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: p.selectorLabels()},
			MaxUnavailable: p.Disruption.MaxUnavailable,
			MinAvailable:   p.Disruption.MinAvailable,
		},
	}
}

func (m *Microservice) networkPolicy() *networkingv1.NetworkPolicy {
	p := m.props
	rule := p.PolicyIngress()
	return &networkingv1.NetworkPolicy{
		ObjectMeta: p.objectMeta(p.Name),
		Spec: networkingv1.NetworkPolicySpec{
			// Every pod of the service, the migration Job's included.
			PodSelector: metav1.LabelSelector{MatchLabels: p.podLabels()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{rule},
			Egress:      p.egressRules(),
		},
	}
}

// PolicyIngress returns the NetworkPolicy's one ingress rule: the peers of
// AllowFrom, to every declared port. Call it on props with their defaults
// (WithDefaults).
func (p MicroserviceProps) PolicyIngress() networkingv1.NetworkPolicyIngressRule {
	rule := networkingv1.NetworkPolicyIngressRule{From: p.AllowFrom}
	for _, port := range p.Ports {
		rule.Ports = append(rule.Ports, networkingv1.NetworkPolicyPort{
			Protocol: ptr.To(port.Protocol),
			Port:     ptr.To(intstr.FromInt32(port.Port)),
		})
	}
	return rule
}

// egressRules are DNS, then the declared rules, in order.
func (p MicroserviceProps) egressRules() []networkingv1.NetworkPolicyEgressRule {
	out := []networkingv1.NetworkPolicyEgressRule{dnsEgress.policyRule()}
	for _, r := range p.Egress {
		out = append(out, r.policyRule())
	}
	return out
}

func (m *Microservice) horizontalPodAutoscaler() *autoscalingv2.HorizontalPodAutoscaler {
	p := m.props
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: p.objectMeta(p.Name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: p.Name},
			MinReplicas:    ptr.To(*p.Replicas),
			MaxReplicas:    *p.MaxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(*p.TargetCPUUtilization)},
				},
			}},
		},
	}
}
