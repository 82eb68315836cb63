package constructs

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	argov1alpha1 "github.com/telepace/platform-charts/pkg/apis/argocd/v1alpha1"
)

// InClusterServer is the Kubernetes API server of the cluster Argo CD runs
// in, as Argo CD names it.
const InClusterServer = "https://kubernetes.default.svc"

// ArgoDestination is a cluster and namespace Argo CD deploys to.
type ArgoDestination struct {
	// Server is the cluster's API server URL, exactly as registered in
	// Argo CD. Defaults to InClusterServer unless Name is set.
	Server string
	// Name is the cluster's name in Argo CD (`argocd cluster add --name`);
	// set Server or Name, not both.
	Name string
	// Namespace is the namespace. Required.
	Namespace string
}

// withDefault fills in the in-cluster server when neither field is set.
func (d ArgoDestination) withDefault() ArgoDestination {
	if d.Server == "" && d.Name == "" {
		d.Server = InClusterServer
	}
	return d
}

func (d ArgoDestination) String() string {
	if d.Name != "" {
		return fmt.Sprintf("cluster %s namespace %q", d.Name, d.Namespace)
	}
	return fmt.Sprintf("%s namespace %q", d.Server, d.Namespace)
}

// GroupKind is an API group ("" for the core group) and a kind.
type GroupKind struct {
	Group, Kind string
}

// ArgoProjectProps configures an Argo CD AppProject.
type ArgoProjectProps struct {
	// Name is the project's name. Defaults to the construct id.
	Name string
	// Namespace is Argo CD's namespace, where the project lives. Required.
	Namespace string
	// Labels are the object's recommended labels. Required.
	Labels Labels
	// Description is shown in Argo CD's UI.
	Description string
	// SourceRepos are the only repositories its Applications may deploy
	// from. Required.
	SourceRepos []string
	// Destinations are the only clusters and namespaces they may deploy to.
	// Required.
	Destinations []ArgoDestination
	// ClusterKinds are the only cluster-scoped kinds they may create;
	// Namespace is added when an Application creates its namespace.
	ClusterKinds []GroupKind
	// NamespacedKinds are the only namespaced kinds they may create.
	// Required.
	NamespacedKinds []GroupKind
}

// ArgoProject is an Argo CD AppProject (argoproj.io/v1alpha1): the fence
// around the Applications that name it.
type ArgoProject struct {
	constructs.Construct
	// ApiObject is the AppProject object.
	ApiObject cdk8s.ApiObject
	props     ArgoProjectProps
}

// NewArgoProject adds an AppProject named id to scope.
func NewArgoProject(scope constructs.Construct, id string, props ArgoProjectProps) *ArgoProject {
	p := &ArgoProject{Construct: newConstruct(scope, id)}
	props.Name = cmp.Or(props.Name, id)
	var errs problems
	validateObjectName(&errs, "name", props.Name)
	validateNamespace(&errs, "namespace", props.Namespace)
	if len(props.SourceRepos) == 0 {
		errs.addf("sourceRepos", "name at least one repository; an empty list lets nothing deploy")
	}
	for i, r := range props.SourceRepos {
		if msg := repoURLProblem(r); msg != "" {
			errs.addf(fmt.Sprintf("sourceRepos[%d]", i), "%s", msg)
		}
	}
	if len(props.Destinations) == 0 {
		errs.addf("destinations", "name at least one destination")
	}
	spec := argov1alpha1.AppProjectSpec{Description: props.Description, SourceRepos: props.SourceRepos}
	if props.Name == "default" {
		errs.addf("name", "\"default\" is Argo CD's built-in project; applying this one would replace it")
	}
	props.Destinations = slices.Clone(props.Destinations)
	for i, d := range props.Destinations {
		d = d.withDefault()
		validateDestination(&errs, fmt.Sprintf("destinations[%d]", i), d)
		spec.Destinations = append(spec.Destinations, argov1alpha1.ApplicationDestination{Server: d.Server, Name: d.Name, Namespace: d.Namespace})
		props.Destinations[i] = d
	}
	if len(props.NamespacedKinds) == 0 {
		errs.addf("namespacedKinds", "name at least one kind; an empty list lets every kind in")
	}
	for _, gk := range props.ClusterKinds {
		spec.ClusterResourceWhitelist = append(spec.ClusterResourceWhitelist, argov1alpha1.GroupKind{Group: gk.Group, Kind: gk.Kind})
	}
	for _, gk := range props.NamespacedKinds {
		spec.NamespaceResourceWhitelist = append(spec.NamespaceResourceWhitelist, argov1alpha1.GroupKind{Group: gk.Group, Kind: gk.Kind})
	}
	AddProblems(p.Construct, errs...)
	p.props = props
	p.ApiObject = NewTypedObject(p.Construct, "resource", &argov1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: props.Name, Namespace: props.Namespace, Labels: props.Labels.Map()},
		Spec:       spec,
	})
	return p
}

// Name returns the project's name.
func (p *ArgoProject) Name() string { return p.props.Name }

// Allows reports whether the project lets an Application deploy kind.
func (p *ArgoProject) Allows(gk GroupKind, clusterScoped bool) bool {
	if clusterScoped {
		return slices.Contains(p.props.ClusterKinds, gk)
	}
	return slices.Contains(p.props.NamespacedKinds, gk)
}

// ArgoApplicationProps configures an Argo CD Application of a Helm chart
// in Git.
type ArgoApplicationProps struct {
	// Name is the Application's name. Defaults to the construct id.
	Name string
	// Labels are the object's recommended labels. Required.
	Labels Labels
	// Project is the AppProject the Application belongs to; the
	// Application lives in its namespace. Required.
	Project *ArgoProject
	// RepoURL is the Git repository. It must be one of the project's
	// SourceRepos. Required.
	RepoURL string
	// TargetRevision is the branch, tag or commit to deploy. Required.
	TargetRevision string
	// Path is the chart's directory in the repository. Required.
	Path string
	// ReleaseName is the Helm release name. Defaults to Name.
	ReleaseName string
	// Destination is where the chart is deployed. It must be one of the
	// project's Destinations.
	Destination ArgoDestination
	// Automated syncs every change on TargetRevision, pruning what Git no
	// longer holds and undoing changes made in the cluster. Defaults to
	// false: a person syncs.
	Automated bool
	// ServerSideApply applies with server-side apply, which large objects
	// such as CRDs need. Defaults to false.
	ServerSideApply bool
	// ScaledDeployments are the Deployments whose replicas an autoscaler
	// owns; Argo CD ignores their replica count.
	ScaledDeployments []string
	// NamespaceLabels are the labels Argo CD keeps on the destination
	// namespace it creates (managedNamespaceMetadata), such as its Pod
	// Security levels. Defaults to none.
	NamespaceLabels map[string]string
}

// ArgoApplication is an Argo CD Application (argoproj.io/v1alpha1).
type ArgoApplication struct {
	constructs.Construct
	// ApiObject is the Application object.
	ApiObject cdk8s.ApiObject
}

// NewArgoApplication adds an Application named id to scope.
func NewArgoApplication(scope constructs.Construct, id string, props ArgoApplicationProps) *ArgoApplication {
	a := &ArgoApplication{Construct: newConstruct(scope, id)}
	name := cmp.Or(props.Name, id)
	var errs problems
	validateObjectName(&errs, "name", name)
	if props.Project == nil {
		errs.addf("project", "is required")
		AddProblems(a.Construct, errs...)
		return a
	}
	project := props.Project.props
	if msg := repoURLProblem(props.RepoURL); msg != "" {
		errs.addf("repoURL", "%s", msg)
	} else if !slices.Contains(project.SourceRepos, props.RepoURL) {
		errs.addf("repoURL", "%q is not a source repository of project %q", props.RepoURL, project.Name)
	}
	if props.TargetRevision == "" || strings.ContainsAny(props.TargetRevision, " \t\n") {
		errs.addf("targetRevision", "%q is not a branch, tag or commit", props.TargetRevision)
	}
	if props.Path == "" || path.IsAbs(props.Path) || path.Clean(props.Path) != props.Path || strings.HasPrefix(props.Path, "..") {
		errs.addf("path", "%q is not a clean path inside the repository", props.Path)
	}
	dest := props.Destination.withDefault()
	validateDestination(&errs, "destination", dest)
	if !slices.Contains(project.Destinations, dest) {
		errs.addf("destination", "%s is not a destination of project %q", dest, project.Name)
	}
	options := []string{"CreateNamespace=true", "RespectIgnoreDifferences=true"}
	if props.ServerSideApply {
		options = append(options, "ServerSideApply=true")
	}
	if !props.Project.Allows(GroupKind{Kind: "Namespace"}, true) {
		errs.addf("project", "project %q does not allow the Namespace kind, which CreateNamespace=true creates", project.Name)
	}
	policy := &argov1alpha1.SyncPolicy{
		SyncOptions: options,
		Retry:       &argov1alpha1.RetryStrategy{Limit: 5, Backoff: &argov1alpha1.Backoff{Duration: "10s", Factor: ptr.To(int64(2)), MaxDuration: "5m"}},
	}
	if props.Automated {
		policy.Automated = &argov1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true}
	}
	if len(props.NamespaceLabels) > 0 {
		errs.labels("namespaceLabels", props.NamespaceLabels)
		policy.ManagedNamespaceMetadata = &argov1alpha1.ManagedNamespaceMetadata{Labels: maps.Clone(props.NamespaceLabels)}
	}
	var ignore []argov1alpha1.ResourceIgnoreDiffs
	for _, d := range slices.Sorted(slices.Values(props.ScaledDeployments)) {
		ignore = append(ignore, argov1alpha1.ResourceIgnoreDiffs{Group: "apps", Kind: "Deployment", Name: d, JSONPointers: []string{"/spec/replicas"}})
	}
	AddProblems(a.Construct, errs...)
	a.ApiObject = NewTypedObject(a.Construct, "resource", &argov1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: project.Namespace, Labels: props.Labels.Map()},
		Spec: argov1alpha1.ApplicationSpec{
			Project: project.Name,
			Source: &argov1alpha1.ApplicationSource{
				RepoURL: props.RepoURL, TargetRevision: props.TargetRevision, Path: props.Path,
				Helm: &argov1alpha1.ApplicationSourceHelm{ReleaseName: cmp.Or(props.ReleaseName, name)},
			},
			Destination:          argov1alpha1.ApplicationDestination{Server: dest.Server, Name: dest.Name, Namespace: dest.Namespace},
			SyncPolicy:           policy,
			IgnoreDifferences:    ignore,
			RevisionHistoryLimit: ptr.To(int64(10)),
		},
	})
	return a
}

func validateNamespace(errs *problems, field, ns string) {
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		errs.addf(field, "%q is not a valid namespace: %s", ns, strings.Join(msgs, "; "))
	}
}

func validateDestination(errs *problems, field string, d ArgoDestination) {
	switch {
	case d.Server != "" && d.Name != "":
		errs.addf(field, "set server or name, not both")
	case d.Name != "":
		validateObjectName(errs, field+".name", d.Name)
	default:
		// Argo CD matches the URL as registered: no path, no trailing slash.
		if u, err := url.Parse(d.Server); err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			errs.addf(field+".server", "%q is not an https API server URL (no path, no trailing slash)", d.Server)
		}
	}
	validateNamespace(errs, field+".namespace", d.Namespace)
}

// repoURLProblem says why s is not a Git repository URL Argo CD can clone.
func repoURLProblem(s string) string {
	if strings.HasPrefix(s, "git@") && strings.Contains(s, ":") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "ssh") || u.Host == "" || u.Path == "" || u.Path == "/" {
		return fmt.Sprintf("%q is not a Git repository URL (https://host/owner/repo.git, ssh:// or git@host:owner/repo.git)", s)
	}
	if u.User != nil {
		return fmt.Sprintf("%q carries credentials; give Argo CD a repository Secret instead", s)
	}
	return ""
}
