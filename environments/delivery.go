package environments

import (
	"slices"

	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// GitOps says where Argo CD finds the generated charts, and the project
// that fences what they may do. The Argo CD objects are generated into
// charts/generated/argocd/; see Delivery for each environment's part.
type GitOps struct {
	// RepoURL is this repository. Required.
	RepoURL string
	// TargetRevision is the branch Argo CD deploys. Required.
	TargetRevision string
	// ChartsPath is the directory of the generated charts in the
	// repository. Required.
	ChartsPath string
	// Namespace is Argo CD's namespace, where its Applications and
	// AppProjects live. Required.
	Namespace string
	// Project is the AppProject of every environment. Required.
	Project string
}

// Repository is where Argo CD finds this repository's charts.
var Repository = GitOps{
	RepoURL:        "https://github.com/telepace/platform-charts.git",
	TargetRevision: "main",
	ChartsPath:     "charts/generated",
	Namespace:      "argocd",
	Project:        "telepace",
}

// GitOpsChart is the name of the generated directory that holds the Argo
// CD objects; no environment may take it.
const GitOpsChart = "argocd"

// Delivery is how Argo CD deploys one environment's chart.
type Delivery struct {
	// Cluster is the name of the environment's cluster in Argo CD
	// (`argocd cluster add <context> --name <Cluster>`). Defaults to the
	// cluster Argo CD runs in.
	Cluster string
	// Namespace is the destination namespace. Defaults to the
	// environment's Namespace, and must equal it: the chart's objects carry
	// no namespace, and the secrets layer's Role and store name it.
	Namespace string
	// Automated syncs every change on the target revision, with prune and
	// self-heal. Production is synced by hand, so it cannot be automated.
	Automated bool
}

// ProjectNamespacedKinds and ProjectClusterKinds are the only kinds the
// environments' charts may hold, and so the only kinds the AppProject lets
// Argo CD create. Synth refuses a chart with any other kind, naming it; a
// new kind is added here, on purpose, in review.
var (
	ProjectNamespacedKinds = []pc.GroupKind{
		{Group: "", Kind: "ConfigMap"},
		{Group: "", Kind: "Service"},
		{Group: "", Kind: "ServiceAccount"},
		{Group: "apps", Kind: "Deployment"},
		{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"},
		{Group: "batch", Kind: "Job"},
		{Group: "policy", Kind: "PodDisruptionBudget"},
		{Group: "networking.k8s.io", Kind: "NetworkPolicy"},
		{Group: "rbac.authorization.k8s.io", Kind: "Role"},
		{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"},
		{Group: "gateway.networking.k8s.io", Kind: "Gateway"},
		{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"},
		{Group: "configuration.konghq.com", Kind: "KongPlugin"},
		{Group: "configuration.konghq.com", Kind: "KongConsumer"},
		{Group: "monitoring.coreos.com", Kind: "ServiceMonitor"},
		{Group: "monitoring.coreos.com", Kind: "PrometheusRule"},
		{Group: "monitoring.coreos.com", Kind: "AlertmanagerConfig"},
		{Group: "external-secrets.io", Kind: "ExternalSecret"},
		{Group: "external-secrets.io", Kind: "SecretStore"},
		{Group: "generators.external-secrets.io", Kind: "Password"},
		{Group: "bitnami.com", Kind: "SealedSecret"},
	}
	ProjectClusterKinds = []pc.GroupKind{
		{Group: "", Kind: "Namespace"},                                    // CreateNamespace=true
		{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}, // the dev umbrella's crds/
		{Group: "gateway.networking.k8s.io", Kind: "GatewayClass"},
		{Group: "configuration.konghq.com", Kind: "KongClusterPlugin"},
	}
)

// UmbrellaClusterKinds are the cluster-scoped kinds an umbrella's
// third-party charts create besides ProjectClusterKinds: their CRDs, RBAC,
// ingress class and webhooks. An environment with an umbrella gets a
// project of its own with these, and every namespaced kind, so that the
// fence of the environments without one stays as narrow as their charts.
var UmbrellaClusterKinds = []pc.GroupKind{
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"},
	{Group: "networking.k8s.io", Kind: "IngressClass"},
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"},
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"},
}

// AllowedKind says whether the AppProject lets Argo CD create objects of
// group and kind, and whether they are cluster-scoped.
func AllowedKind(group, kind string) (allowed, clusterScoped bool) {
	gk := pc.GroupKind{Group: group, Kind: kind}
	if slices.Contains(ProjectClusterKinds, gk) {
		return true, true
	}
	return slices.Contains(ProjectNamespacedKinds, gk), false
}
