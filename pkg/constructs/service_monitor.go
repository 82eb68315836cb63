package constructs

import (
	"cmp"
	"maps"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ServiceMonitorProps configures a ServiceMonitor for a microservice's
// metrics endpoint.
type ServiceMonitorProps struct {
	// Service is the microservice scraped. Required, and it must declare
	// Metrics.
	Service *Microservice
	// Port names the Service port scraped. Defaults to the service's
	// Metrics port.
	Port string
	// Interval is how often Prometheus scrapes, as a Prometheus duration.
	// Defaults to "30s".
	Interval string
	// SelectorLabels are the labels the environment's Prometheus selects
	// ServiceMonitors by, such as release: kube-prometheus-stack. Defaults to
	// none.
	SelectorLabels map[string]string
}

// ServiceMonitor makes Prometheus scrape a microservice
// (monitoring.coreos.com/v1), selecting its Service by its serving pods'
// labels.
type ServiceMonitor struct {
	constructs.Construct
	// ApiObject is the ServiceMonitor object.
	ApiObject cdk8s.ApiObject
}

// NewServiceMonitor adds a ServiceMonitor named id to scope, usually the
// microservice.
func NewServiceMonitor(scope constructs.Construct, id string, props ServiceMonitorProps) *ServiceMonitor {
	s := &ServiceMonitor{Construct: newConstruct(scope, id)}
	ms := props.Service
	if ms == nil {
		panic("constructs: ServiceMonitor " + id + " has no service")
	}
	var errs problems
	metrics := ms.Metrics()
	path := DefaultMetricsPath
	port := props.Port
	if metrics == nil {
		errs.addf("service", "%s declares no metrics endpoint", ms.Name())
	} else {
		port = cmp.Or(port, metrics.Port)
		path = metrics.Path
	}
	if port != "" && !slices.ContainsFunc(ms.Ports(), func(p Port) bool { return p.Name == port }) {
		errs.addf("port", "service %q has no port %q", ms.Name(), port)
	}
	interval := cmp.Or(props.Interval, "30s")
	if d, err := model.ParseDuration(interval); err != nil || d <= 0 {
		errs.addf("interval", "%q is not a positive Prometheus duration such as 30s", interval)
	}
	AddProblems(s.Construct, errs...)
	labels := ms.props.labels()
	maps.Copy(labels, props.SelectorLabels)
	s.ApiObject = NewTypedObject(s.Construct, "resource", &monitoringv1.ServiceMonitor{
		ObjectMeta: metav1.ObjectMeta{Name: ms.Name(), Labels: labels},
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector: metav1.LabelSelector{MatchLabels: ms.SelectorLabels()},
			Endpoints: []monitoringv1.Endpoint{{
				Port:     port,
				Path:     path,
				Interval: monitoringv1.Duration(interval),
			}},
		},
	})
	return s
}
