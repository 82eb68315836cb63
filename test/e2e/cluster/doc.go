// Package cluster starts a throw-away Kubernetes control plane for the
// end-to-end tests of the generated Helm charts: etcd, kube-apiserver
// (token authentication, RBAC, serving certificate and service-account
// signing key generated here), kube-controller-manager and kube-scheduler,
// plus kwok, which plays the kubelet for a set of fake nodes spread over
// three zones. Pods are scheduled by the real scheduler and made Ready (Job
// pods: Succeeded) by kwok's upstream default stages; nothing runs.
//
// The binaries are not built here: hack/e2e-tools.sh builds them at the
// versions pinned under tools/ and caches them in DefaultToolsDir().
// The upstream CRDs pinned in internal/crds/crd-versions.txt, which package
// crds embeds, are installed before Start returns.
//
// kwok mounts no volume and no provisioner runs, so Start also creates a
// default StorageClass (StorageClassName) and starts a stand-in
// provisioner in the test process: for every Pending claim of that class
// it creates a hostPath PersistentVolume pre-bound to the claim, and it
// deletes those volumes once Released. Claims get bound, nothing stores
// data.
//
// Every component runs in its own process group on free 127.0.0.1 ports in
// a temporary directory; Stop (or the t.Cleanup registered by StartT)
// terminates them in dependency order, escalates to SIGKILL, and removes the
// directory. On Linux each component also gets SIGKILL from the kernel if
// the test process dies without cleaning up.
package cluster
