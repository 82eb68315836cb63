// Package v1alpha1 is a subset of External Secrets Operator's
// generators.external-secrets.io/v1alpha1 API: the Password generator.
//
// +k8s:deepcopy-gen=package
// +groupName=generators.external-secrets.io
package v1alpha1
