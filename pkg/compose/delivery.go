package compose

import (
	"cmp"
	"slices"

	"github.com/telepace/platform-charts/environments"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
)

// Delivery is the delivery layer: the chart of charts/generated/argocd,
// with the AppProjects and an Application per environment.
type Delivery struct {
	// Projects are the AppProjects, by construct id: "project" for the
	// environments without an umbrella, "project-<env>" for each with one.
	Projects []Scoped[pc.ArgoProjectProps]
	// Applications are one per environment, by construct id (the
	// environment's name); Scoped.Service names the project's construct id,
	// and Build sets Props.Project to it.
	Applications []Scoped[pc.ArgoApplicationProps]
	// Problems are about the GitOps settings and the environments'
	// destinations, all of the chart itself.
	Problems []Problem
}

// deliveryProblems returns the problems with the environment's Delivery.
func deliveryProblems(e environments.Environment) problems {
	var ps problems
	d := e.Delivery
	if d.Namespace != "" && d.Namespace != e.Namespace {
		ps.addf("delivery.namespace: %q differs from the environment's namespace %q; Argo CD would install the chart where its Role and store do not point", d.Namespace, e.Namespace)
	}
	if d.Automated && e.TelepaceEnvironment == "production" {
		ps.addf("delivery.automated: production is synced by a person after review of the diff in Argo CD; leave it false")
	}
	return ps
}

// destination is the environment's Argo CD destination.
func destination(e environments.Environment) pc.ArgoDestination {
	d := pc.ArgoDestination{Name: e.Delivery.Cluster, Namespace: cmp.Or(e.Delivery.Namespace, e.Namespace)}
	if d.Name == "" {
		d.Server = pc.InClusterServer
	}
	return d
}

// PlanDelivery plans the Argo CD objects that deploy the planned
// environments: the AppProjects and one Application per environment.
//
// The environments without an umbrella share the project g.Project,
// fenced to exactly the kinds their charts hold. An environment with an
// umbrella gets the project "<g.Project>-<env>", which also admits the
// umbrella's third-party charts (UmbrellaClusterKinds, every namespaced
// kind), and only its own destination.
func PlanDelivery(g environments.GitOps, plans []Plan) Delivery {
	var out Delivery
	var ps problems
	for _, f := range []struct{ field, value string }{
		{"repoURL", g.RepoURL}, {"targetRevision", g.TargetRevision}, {"chartsPath", g.ChartsPath}, {"namespace", g.Namespace}, {"project", g.Project},
	} {
		if f.value == "" {
			ps.addf("gitops.%s: is required", f.field)
		}
	}
	claimed := map[pc.ArgoDestination]string{}
	for _, p := range plans {
		e := p.Env
		d := destination(e)
		if other, dup := claimed[d]; dup {
			ps.addf("gitops: %s and %s both deploy to %s; two Applications would fight over it", other, e.Name, d)
		}
		claimed[d] = e.Name
		if e.Namespace == g.Namespace {
			ps.addf("gitops.namespace: %q is also %s's namespace; keep Argo CD's objects apart from an environment's", g.Namespace, e.Name)
		}
	}
	out.Problems = ps
	labels := pc.Labels{Name: "argocd", Instance: pc.DefaultPartOf, Component: "delivery", PartOf: pc.DefaultPartOf}
	var shared []pc.ArgoDestination
	for _, p := range plans {
		if p.Env.Umbrella == nil && !slices.Contains(shared, destination(p.Env)) {
			shared = append(shared, destination(p.Env))
		}
	}
	if len(shared) > 0 {
		out.Projects = append(out.Projects, Scoped[pc.ArgoProjectProps]{ID: "project", Props: pc.ArgoProjectProps{
			Name:            g.Project,
			Namespace:       g.Namespace,
			Labels:          labels,
			Description:     "The Telepace environment charts under " + g.ChartsPath + ", fenced to the kinds they hold",
			SourceRepos:     []string{g.RepoURL},
			Destinations:    shared,
			ClusterKinds:    environments.ProjectClusterKinds,
			NamespacedKinds: environments.ProjectNamespacedKinds,
		}})
	}
	for _, p := range plans {
		e := p.Env
		if e.Umbrella == nil {
			continue
		}
		out.Projects = append(out.Projects, Scoped[pc.ArgoProjectProps]{ID: "project-" + e.Name, Props: pc.ArgoProjectProps{
			Name:            g.Project + "-" + e.Name,
			Namespace:       g.Namespace,
			Labels:          labels,
			Description:     "The Telepace " + e.Name + " umbrella: the services and the third-party charts it installs beside them",
			SourceRepos:     []string{g.RepoURL},
			Destinations:    []pc.ArgoDestination{destination(e)},
			ClusterKinds:    append(slices.Clone(environments.ProjectClusterKinds), environments.UmbrellaClusterKinds...),
			NamespacedKinds: []pc.GroupKind{{Group: "*", Kind: "*"}},
		}})
	}
	for _, p := range plans {
		e := p.Env
		project := "project"
		if e.Umbrella != nil {
			project = "project-" + e.Name
		}
		var scaled []string
		for _, s := range p.Services {
			if s.Autoscaled() {
				scaled = append(scaled, s.Name)
			}
		}
		out.Applications = append(out.Applications, Scoped[pc.ArgoApplicationProps]{Service: project, ID: e.Name, Props: pc.ArgoApplicationProps{
			Name:              names.Release(e.Name),
			Labels:            labels,
			RepoURL:           g.RepoURL,
			TargetRevision:    g.TargetRevision,
			Path:              g.ChartsPath + "/" + e.Name,
			Destination:       destination(e),
			Automated:         e.Delivery.Automated,
			ServerSideApply:   len(e.CRDs) > 0, // CRDs too large for client-side apply
			ScaledDeployments: scaled,
			NamespaceLabels:   e.PodSecurity.Labels(),
		}})
	}
	return out
}
