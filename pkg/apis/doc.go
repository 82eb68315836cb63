// Package apis holds Go types for the custom resources whose upstream Go
// packages cannot be imported by this module.
//
// External Secrets Operator publishes its API types in its main module,
// whose webhook code does not compile against the controller-runtime this
// module builds with, and its separate apis module is not served by the Go
// module proxy. Argo CD's types live in its main module, which replaces
// gitops-engine with a local directory this module cannot follow. The
// packages below declare the subset of fields the
// constructs use, with the upstream JSON names, for the API versions of the
// CRDs pinned in internal/crds/crd-versions.txt. Every object built from
// them is validated against those CRDs (pkg/synth's CRD test), so a field
// spelt differently from upstream fails the build's tests.
//
// Run `make generate` after changing a type: it rewrites the
// zz_generated.deepcopy.go files with deepcopy-gen.
package apis
