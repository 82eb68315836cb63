package constructs

import (
	ssv1alpha1 "github.com/bitnami/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
	kongv1 "github.com/kong/kubernetes-configuration/api/configuration/v1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	argov1alpha1 "github.com/telepace/platform-charts/pkg/apis/argocd/v1alpha1"
	esv1 "github.com/telepace/platform-charts/pkg/apis/externalsecrets/v1"
	genv1alpha1 "github.com/telepace/platform-charts/pkg/apis/generators/v1alpha1"
)

// Scheme knows the apiVersion and kind of every Go type a construct may
// emit: the built-in Kubernetes API groups of client-go's scheme, and the
// upstream custom resource groups (Gateway API, Kong, Prometheus Operator, Sealed Secrets, and the
// External Secrets Operator and Argo CD types of pkg/apis). NewTypedObject reads
// apiVersion and kind from it, so no construct writes them by hand. Register
// a new upstream group here, in init order, before any construct uses it.
var Scheme = newScheme()

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme,
		gatewayv1.Install,
		kongv1.AddToScheme,
		monitoringv1.AddToScheme,
		monitoringv1alpha1.AddToScheme,
		ssv1alpha1.AddToScheme,
		esv1.AddToScheme,
		genv1alpha1.AddToScheme,
		argov1alpha1.AddToScheme,
	} {
		utilruntime.Must(add(s))
	}
	return s
}
