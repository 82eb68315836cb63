package constructs

import (
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Microservice is one Telepace service: a Deployment with a hardened pod, its
// Service and ServiceAccount, a PodDisruptionBudget, and, where configured, a
// HorizontalPodAutoscaler, a ConfigMap and a pre-upgrade migration Job.
//
// Invalid props do not panic: every problem is registered as a construct
// validation, and cdk8s reports them all, each prefixed with the construct
// path, when the app is synthesised.
type Microservice struct {
	constructs.Construct

	props MicroserviceProps

	// Deployment runs the pods.
	Deployment cdk8s.ApiObject
	// Service exposes every port inside the cluster.
	Service cdk8s.ApiObject
	// ServiceAccount is the pods' identity; its token is not mounted.
	ServiceAccount cdk8s.ApiObject
	// PodDisruptionBudget bounds voluntary evictions.
	PodDisruptionBudget cdk8s.ApiObject
	// HorizontalPodAutoscaler is nil unless MaxReplicas exceeds Replicas.
	HorizontalPodAutoscaler cdk8s.ApiObject
	// ConfigMap is nil unless Config is set.
	ConfigMap cdk8s.ApiObject
	// MigrationJob is nil unless Migration is set.
	MigrationJob cdk8s.ApiObject
	// NetworkPolicy admits traffic to the declared ports from AllowFrom
	// only.
	NetworkPolicy cdk8s.ApiObject
}

// NewMicroservice adds a Microservice named id to scope.
func NewMicroservice(scope constructs.Construct, id string, props MicroserviceProps) *Microservice {
	p := props.WithDefaults(id)
	m := &Microservice{Construct: newConstruct(scope, id), props: p}
	AddProblems(m.Construct, p.validate()...)

	m.ServiceAccount = NewTypedObject(m.Construct, "service-account", m.serviceAccount())
	if len(p.Config) > 0 {
		m.ConfigMap = NewTypedObject(m.Construct, "config", m.configMap())
	}
	m.Deployment = NewTypedObject(m.Construct, "deployment", m.deployment())
	m.Service = NewTypedObject(m.Construct, "service", m.service())
	m.PodDisruptionBudget = NewTypedObject(m.Construct, "pdb", m.podDisruptionBudget())
	m.NetworkPolicy = NewTypedObject(m.Construct, "network-policy", m.networkPolicy())
	if *p.MaxReplicas > *p.Replicas {
		m.HorizontalPodAutoscaler = NewTypedObject(m.Construct, "hpa", m.horizontalPodAutoscaler())
	}
	if p.Migration != nil {
		m.MigrationJob = NewTypedObject(m.Construct, "migration", m.migrationJob())
	}
	return m
}

// Name returns the name of the service and of every object it creates.
func (m *Microservice) Name() string { return m.props.Name }

// SelectorLabels returns the labels that select the service's pods.
func (m *Microservice) SelectorLabels() map[string]string { return m.props.selectorLabels() }

// Ports returns the declared ports, with defaults applied.
func (m *Microservice) Ports() []Port { return slices.Clone(m.props.Ports) }

// Metrics returns the metrics endpoint, or nil when the service has none.
func (m *Microservice) Metrics() *Metrics {
	if m.props.Metrics == nil {
		return nil
	}
	metrics := *m.props.Metrics
	return &metrics
}

// PolicyEgress returns every egress rule of the NetworkPolicy, in its
// order: DNS first, then the declared rules.
func (p MicroserviceProps) PolicyEgress() []EgressRule {
	return append([]EgressRule{DNSEgress()}, p.Egress...)
}

// PrivatePaths returns the paths that must never be routed to the service.
func (m *Microservice) PrivatePaths() []string { return slices.Clone(m.props.PrivatePaths) }

// Identity returns the service's recommended labels, as Microservice.Labels
// does once it is built.
func (p MicroserviceProps) Identity() Labels { return p.identity() }

// identity returns the service's recommended labels.
func (p MicroserviceProps) identity() Labels {
	return Labels{
		Name:      p.Name,
		Instance:  p.instance(),
		Component: p.Component,
		PartOf:    p.PartOf,
		Version:   p.Image.Version(),
	}
}

// selectorLabels select the service's serving pods. The component label
// keeps the migration Job's pods out of the Service, the PodDisruptionBudget
// and the Deployment.
func (p MicroserviceProps) selectorLabels() map[string]string { return p.identity().Selector() }

// podLabels select every pod of the service, migration pods included.
func (p MicroserviceProps) podLabels() map[string]string {
	return p.identity().WithComponent("").Selector()
}

func (p MicroserviceProps) instance() string { return Instance(p.PartOf, p.Environment) }

// labels returns the recommended app.kubernetes.io labels.
func (p MicroserviceProps) labels() map[string]string { return p.identity().Map() }

func (p MicroserviceProps) objectMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: p.labels()}
}
