package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// SchemeGroupVersion is the API group and version of this package's kinds.
var SchemeGroupVersion = schema.GroupVersion{Group: "external-secrets.io", Version: "v1"}

var (
	schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme registers ExternalSecret, SecretStore and
	// ClusterSecretStore in a scheme.
	AddToScheme = schemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion, &ExternalSecret{}, &SecretStore{}, &ClusterSecretStore{})
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}
