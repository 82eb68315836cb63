package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ExternalSecret tells the operator to build one Secret from a store's
// values or a generator's output.
type ExternalSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ExternalSecretSpec `json:"spec,omitempty"`
}

// ExternalSecretSpec is the desired Secret and where its values come from.
type ExternalSecretSpec struct {
	// SecretStoreRef is the store Data and DataFrom read from, unless an
	// entry names its own source.
	SecretStoreRef *SecretStoreRef `json:"secretStoreRef,omitempty"`
	// Target is the Secret the operator writes.
	Target ExternalSecretTarget `json:"target,omitempty"`
	// RefreshPolicy is CreatedOnce, Periodic or OnChange.
	RefreshPolicy string `json:"refreshPolicy,omitempty"`
	// RefreshInterval is how often Periodic refreshes read the store again.
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`
	// Data maps single remote values to Secret keys.
	Data []ExternalSecretData `json:"data,omitempty"`
	// DataFrom fetches many keys at once, or a generator's output.
	DataFrom []ExternalSecretDataFromRemoteRef `json:"dataFrom,omitempty"`
}

// SecretStoreRef names a SecretStore or ClusterSecretStore.
type SecretStoreRef struct {
	Name string `json:"name"`
	// Kind is SecretStore or ClusterSecretStore.
	Kind string `json:"kind,omitempty"`
}

// ExternalSecretTarget is the Secret an ExternalSecret writes.
type ExternalSecretTarget struct {
	// Name is the Secret's name.
	Name string `json:"name,omitempty"`
	// CreationPolicy is Owner (the Secret is deleted with the
	// ExternalSecret), Orphan (it is kept), Merge or None.
	CreationPolicy string `json:"creationPolicy,omitempty"`
	// DeletionPolicy is what happens to the Secret when its remote values
	// are deleted: Retain, Delete or Merge.
	DeletionPolicy string `json:"deletionPolicy,omitempty"`
	// Template shapes the Secret: its type, labels and templated data.
	Template *ExternalSecretTemplate `json:"template,omitempty"`
}

// ExternalSecretTemplate shapes the Secret an ExternalSecret writes.
type ExternalSecretTemplate struct {
	Type          string                          `json:"type,omitempty"`
	EngineVersion string                          `json:"engineVersion,omitempty"`
	MergePolicy   string                          `json:"mergePolicy,omitempty"`
	Metadata      *ExternalSecretTemplateMetadata `json:"metadata,omitempty"`
	// Data are templated keys; with MergePolicy Merge they are added to the
	// fetched keys.
	Data map[string]string `json:"data,omitempty"`
}

// ExternalSecretTemplateMetadata are labels and annotations for the Secret.
type ExternalSecretTemplateMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ExternalSecretData maps one remote value to one Secret key.
type ExternalSecretData struct {
	SecretKey string                      `json:"secretKey"`
	RemoteRef ExternalSecretDataRemoteRef `json:"remoteRef"`
}

// ExternalSecretDataRemoteRef is a value in the store.
type ExternalSecretDataRemoteRef struct {
	Key      string `json:"key"`
	Property string `json:"property,omitempty"`
	Version  string `json:"version,omitempty"`
}

// ExternalSecretDataFromRemoteRef fetches many keys: every property of one
// remote value (Extract), or a generator's output (SourceRef), renamed by
// Rewrite.
type ExternalSecretDataFromRemoteRef struct {
	Extract   *ExternalSecretDataRemoteRef `json:"extract,omitempty"`
	SourceRef *StoreGeneratorSourceRef     `json:"sourceRef,omitempty"`
	Rewrite   []ExternalSecretRewrite      `json:"rewrite,omitempty"`
}

// StoreGeneratorSourceRef names a generator.
type StoreGeneratorSourceRef struct {
	GeneratorRef *GeneratorRef `json:"generatorRef,omitempty"`
}

// GeneratorRef names a generator object, such as a Password.
type GeneratorRef struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// ExternalSecretRewrite renames keys.
type ExternalSecretRewrite struct {
	Regexp *ExternalSecretRewriteRegexp `json:"regexp,omitempty"`
}

// ExternalSecretRewriteRegexp replaces Source with Target in each key.
type ExternalSecretRewriteRegexp struct {
	Source string `json:"source"`
	Target string `json:"target"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// SecretStore is a namespaced connection to a secret provider.
type SecretStore struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec SecretStoreSpec `json:"spec,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterSecretStore is a SecretStore usable from every namespace.
type ClusterSecretStore struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec SecretStoreSpec `json:"spec,omitempty"`
}

// SecretStoreSpec is one provider and how often to check it.
type SecretStoreSpec struct {
	Provider *SecretStoreProvider `json:"provider"`
	// RefreshInterval is how often, in seconds, the store's health is
	// checked.
	RefreshInterval int `json:"refreshInterval,omitempty"`
}

// SecretStoreProvider holds exactly one provider.
type SecretStoreProvider struct {
	GCPSM      *GCPSMProvider      `json:"gcpsm,omitempty"`
	Kubernetes *KubernetesProvider `json:"kubernetes,omitempty"`
}

// GCPSMProvider reads Google Cloud Secret Manager.
type GCPSMProvider struct {
	Auth      GCPSMAuth `json:"auth,omitempty"`
	ProjectID string    `json:"projectID,omitempty"`
}

// GCPSMAuth authenticates to Google Cloud.
type GCPSMAuth struct {
	WorkloadIdentity *GCPWorkloadIdentity `json:"workloadIdentity,omitempty"`
}

// GCPWorkloadIdentity authenticates as the Google service account that a
// Kubernetes ServiceAccount's iam.gke.io/gcp-service-account annotation
// names.
type GCPWorkloadIdentity struct {
	ServiceAccountRef ServiceAccountSelector `json:"serviceAccountRef"`
	ClusterLocation   string                 `json:"clusterLocation,omitempty"`
	ClusterName       string                 `json:"clusterName,omitempty"`
	ClusterProjectID  string                 `json:"clusterProjectID,omitempty"`
}

// ServiceAccountSelector names a ServiceAccount.
type ServiceAccountSelector struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace,omitempty"`
	Audiences []string `json:"audiences,omitempty"`
}

// KubernetesProvider reads Secrets of a namespace of a cluster.
type KubernetesProvider struct {
	Server          KubernetesServer `json:"server,omitempty"`
	Auth            *KubernetesAuth  `json:"auth,omitempty"`
	RemoteNamespace string           `json:"remoteNamespace,omitempty"`
}

// KubernetesServer is the apiserver to read from.
type KubernetesServer struct {
	URL        string      `json:"url,omitempty"`
	CAProvider *CAProvider `json:"caProvider,omitempty"`
}

// CAProvider is where the apiserver's CA certificate is.
type CAProvider struct {
	// Type is Secret or ConfigMap.
	Type      string `json:"type"`
	Name      string `json:"name"`
	Key       string `json:"key,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// KubernetesAuth authenticates to the apiserver.
type KubernetesAuth struct {
	ServiceAccount *ServiceAccountSelector `json:"serviceAccount,omitempty"`
}
