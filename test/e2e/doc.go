// Package e2e holds the end-to-end tests of the generated Helm charts
// (charts/generated/<env>) against a real, local control plane: etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler at the versions
// pinned under tools/, with kwok playing the kubelet for six fake nodes in
// three zones (see package cluster). Nothing is pulled or run: pods are
// scheduled for real and made Ready (Job pods: Succeeded) by kwok.
//
// For each environment the tests, using helm's Go SDK:
//
//  1. send every object `helm template` renders to the apiserver as a
//     server-side dry-run create (strict field validation, custom resources
//     included, the upstream CRDs being installed) and require no rejection;
//  2. helm install --wait: every Deployment Available on the fake nodes, every
//     install Job hook (the migrations) Succeeded;
//  3. helm upgrade to a copy of the chart with one image tag changed: the
//     Deployment rolls to it, PodDisruptionBudgets exist and match,
//     multi-replica Deployments declare a zone spread and respect maxSkew;
//  4. helm rollback to revision 1: the Deployments' .spec is back exactly, the
//     history has the three revisions and says rollback;
//  5. helm uninstall: nothing the chart created remains but what it keeps on
//     purpose (helm.sh/resource-policy: keep), which must remain.
//
// Negative tests show the apiserver rejects an invalid object and an upgrade
// that changes a Deployment's immutable selector. TestKubeScore runs
// kube-score on the rendered charts under the policy in policy/kube-score.yaml.
// TestTopologyRendersInChromium renders every topology diagram in Debian's
// chromium with Mermaid's pinned bundle (package browser drives it).
//
// The tests skip only in -short mode. Otherwise a missing binary fails them
// with a message saying to run hack/e2e-tools.sh. See README.md here.
package e2e
