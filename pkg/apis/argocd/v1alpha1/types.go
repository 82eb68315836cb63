package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Application deploys one source to one destination.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ApplicationSpec `json:"spec"`
}

// ApplicationSpec is what to deploy, where, and how to keep it in sync.
type ApplicationSpec struct {
	Project              string                   `json:"project"`
	Source               *ApplicationSource       `json:"source,omitempty"`
	Destination          ApplicationDestination   `json:"destination"`
	SyncPolicy           *SyncPolicy              `json:"syncPolicy,omitempty"`
	IgnoreDifferences    []ResourceIgnoreDiffs    `json:"ignoreDifferences,omitempty"`
	RevisionHistoryLimit *int64                   `json:"revisionHistoryLimit,omitempty"`
	Info                 []ApplicationInfoElement `json:"info,omitempty"`
}

// ApplicationSource is a path in a Git repository at a revision.
type ApplicationSource struct {
	RepoURL        string                 `json:"repoURL"`
	Path           string                 `json:"path,omitempty"`
	TargetRevision string                 `json:"targetRevision,omitempty"`
	Helm           *ApplicationSourceHelm `json:"helm,omitempty"`
}

// ApplicationSourceHelm are the Helm settings of a chart source.
type ApplicationSourceHelm struct {
	ReleaseName string `json:"releaseName,omitempty"`
}

// ApplicationDestination is a cluster and namespace.
type ApplicationDestination struct {
	Server    string `json:"server,omitempty"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// SyncPolicy says when and how Argo CD syncs.
type SyncPolicy struct {
	Automated                *SyncPolicyAutomated      `json:"automated,omitempty"`
	SyncOptions              []string                  `json:"syncOptions,omitempty"`
	Retry                    *RetryStrategy            `json:"retry,omitempty"`
	ManagedNamespaceMetadata *ManagedNamespaceMetadata `json:"managedNamespaceMetadata,omitempty"`
}

// ManagedNamespaceMetadata are the labels and annotations Argo CD keeps on
// the destination namespace it creates (CreateNamespace=true; without it
// the field does nothing).
type ManagedNamespaceMetadata struct {
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// SyncPolicyAutomated syncs on every change in Git.
type SyncPolicyAutomated struct {
	Prune    bool `json:"prune,omitempty"`
	SelfHeal bool `json:"selfHeal,omitempty"`
}

// RetryStrategy retries a failed sync.
type RetryStrategy struct {
	Limit   int64    `json:"limit,omitempty"`
	Backoff *Backoff `json:"backoff,omitempty"`
}

// Backoff is the wait between sync retries.
type Backoff struct {
	Duration    string `json:"duration,omitempty"`
	Factor      *int64 `json:"factor,omitempty"`
	MaxDuration string `json:"maxDuration,omitempty"`
}

// ResourceIgnoreDiffs leaves fields out of the comparison with Git.
type ResourceIgnoreDiffs struct {
	Group             string   `json:"group,omitempty"`
	Kind              string   `json:"kind"`
	Name              string   `json:"name,omitempty"`
	Namespace         string   `json:"namespace,omitempty"`
	JSONPointers      []string `json:"jsonPointers,omitempty"`
	JQPathExpressions []string `json:"jqPathExpressions,omitempty"`
}

// ApplicationInfoElement is a name and value shown in Argo CD's UI.
type ApplicationInfoElement struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// AppProject limits what its Applications may deploy, from where, to where.
type AppProject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AppProjectSpec `json:"spec"`
}

// AppProjectSpec are the project's limits.
type AppProjectSpec struct {
	Description                string                   `json:"description,omitempty"`
	SourceRepos                []string                 `json:"sourceRepos,omitempty"`
	Destinations               []ApplicationDestination `json:"destinations,omitempty"`
	ClusterResourceWhitelist   []GroupKind              `json:"clusterResourceWhitelist,omitempty"`
	NamespaceResourceWhitelist []GroupKind              `json:"namespaceResourceWhitelist,omitempty"`
	OrphanedResources          *OrphanedResources       `json:"orphanedResources,omitempty"`
}

// GroupKind is an API group and kind.
type GroupKind struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
}

// OrphanedResources warns about objects in a destination namespace that
// no Application manages.
type OrphanedResources struct {
	Warn *bool `json:"warn,omitempty"`
}
