package environments

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"

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

// deliveryProblems returns the problems with the environment's Delivery.
func (e Environment) deliveryProblems() []string {
	var problems []string
	d := e.Delivery
	if d.Namespace != "" && d.Namespace != e.Namespace {
		problems = append(problems, fmt.Sprintf("delivery.namespace: %q differs from the environment's namespace %q; Argo CD would install the chart where its Role and store do not point", d.Namespace, e.Namespace))
	}
	if d.Automated && e.TelepaceEnvironment == "production" {
		problems = append(problems, "delivery.automated: production is synced by a person after review of the diff in Argo CD; leave it false")
	}
	return problems
}

// destination is the environment's Argo CD destination.
func (e Environment) destination() pc.ArgoDestination {
	d := pc.ArgoDestination{Name: e.Delivery.Cluster, Namespace: cmp.Or(e.Delivery.Namespace, e.Namespace)}
	if d.Name == "" {
		d.Server = pc.InClusterServer
	}
	return d
}

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

// ComposeGitOps adds the AppProjects and one Application per environment
// to scope, the chart of charts/generated/argocd. scaled names, per
// environment, the Deployments whose replicas an autoscaler owns.
//
// The environments without an umbrella share the project g.Project,
// fenced to exactly the kinds their charts hold. An environment with an
// umbrella gets the project "<g.Project>-<env>", which also admits the
// umbrella's third-party charts (UmbrellaClusterKinds, every namespaced
// kind), and only its own destination.
func (g GitOps) ComposeGitOps(scope constructs.Construct, envs []Environment, scaled map[string][]string) {
	var problems []string
	addf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, f := range []struct{ field, value string }{
		{"repoURL", g.RepoURL}, {"targetRevision", g.TargetRevision}, {"chartsPath", g.ChartsPath}, {"namespace", g.Namespace}, {"project", g.Project},
	} {
		if f.value == "" {
			addf("gitops.%s: is required", f.field)
		}
	}
	claimed := map[pc.ArgoDestination]string{}
	for _, e := range envs {
		d := e.destination()
		if other, dup := claimed[d]; dup {
			addf("gitops: %s and %s both deploy to %s; two Applications would fight over it", other, e.Name, d)
		}
		claimed[d] = e.Name
		if e.Namespace == g.Namespace {
			addf("gitops.namespace: %q is also %s's namespace; keep Argo CD's objects apart from an environment's", g.Namespace, e.Name)
		}
	}
	pc.AddProblems(scope, problems...)
	labels := pc.Labels{Name: "argocd", Instance: pc.DefaultPartOf, Component: "delivery", PartOf: pc.DefaultPartOf}
	var shared []pc.ArgoDestination
	for _, e := range envs {
		if e.Umbrella == nil && !slices.Contains(shared, e.destination()) {
			shared = append(shared, e.destination())
		}
	}
	projects := map[string]*pc.ArgoProject{}
	if len(shared) > 0 {
		projects[""] = pc.NewArgoProject(scope, "project", pc.ArgoProjectProps{
			Name:            g.Project,
			Namespace:       g.Namespace,
			Labels:          labels,
			Description:     "The Telepace environment charts under " + g.ChartsPath + ", fenced to the kinds they hold",
			SourceRepos:     []string{g.RepoURL},
			Destinations:    shared,
			ClusterKinds:    ProjectClusterKinds,
			NamespacedKinds: ProjectNamespacedKinds,
		})
	}
	for _, e := range envs {
		if e.Umbrella == nil {
			continue
		}
		projects[e.Name] = pc.NewArgoProject(scope, "project-"+e.Name, pc.ArgoProjectProps{
			Name:            g.Project + "-" + e.Name,
			Namespace:       g.Namespace,
			Labels:          labels,
			Description:     "The Telepace " + e.Name + " umbrella: the services and the third-party charts it installs beside them",
			SourceRepos:     []string{g.RepoURL},
			Destinations:    []pc.ArgoDestination{e.destination()},
			ClusterKinds:    append(slices.Clone(ProjectClusterKinds), UmbrellaClusterKinds...),
			NamespacedKinds: []pc.GroupKind{{Group: "*", Kind: "*"}},
		})
	}
	for _, e := range envs {
		project := projects[""]
		if e.Umbrella != nil {
			project = projects[e.Name]
		}
		pc.NewArgoApplication(scope, e.Name, pc.ArgoApplicationProps{
			Name:              "telepace-" + e.Name,
			Labels:            labels,
			Project:           project,
			RepoURL:           g.RepoURL,
			TargetRevision:    g.TargetRevision,
			Path:              g.ChartsPath + "/" + e.Name,
			Destination:       e.destination(),
			Automated:         e.Delivery.Automated,
			ServerSideApply:   len(e.CRDs) > 0, // CRDs too large for client-side apply
			ScaledDeployments: scaled[e.Name],
			NamespaceLabels:   e.PodSecurity.Labels(),
		})
	}
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
