// Package v1alpha1 is a subset of Argo CD's argoproj.io/v1alpha1 API:
// Application and AppProject, with the fields the constructs set, for the
// CRDs pinned in internal/crds/crd-versions.txt. Argo CD's own package
// lives in its main module, whose dependencies (a locally replaced
// gitops-engine among them) this module does not take on.
//
// +k8s:deepcopy-gen=package
// +groupName=argoproj.io
package v1alpha1
