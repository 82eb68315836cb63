// Package v1 is a subset of External Secrets Operator's external-secrets.io/v1
// API: ExternalSecret, SecretStore and ClusterSecretStore, with the Google
// Secret Manager and Kubernetes providers.
//
// +k8s:deepcopy-gen=package
// +groupName=external-secrets.io
package v1
