package synth_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/environments/environmentstest"
	"github.com/telepace/platform-charts/internal/crds"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
	"github.com/telepace/platform-charts/pkg/synth"
)

type application struct {
	Metadata struct{ Name, Namespace string }
	Spec     struct {
		Project string
		Source  struct {
			RepoURL        string `json:"repoURL"`
			Path           string
			TargetRevision string `json:"targetRevision"`
			Helm           struct {
				ReleaseName string `json:"releaseName"`
			}
		}
		Destination struct{ Server, Name, Namespace string }
		SyncPolicy  struct {
			Automated *struct{ Prune, SelfHeal bool }
			Options   []string `json:"syncOptions"`
		} `json:"syncPolicy"`
		IgnoreDifferences []struct {
			Group, Kind, Name string
			JSONPointers      []string `json:"jsonPointers"`
		} `json:"ignoreDifferences"`
	}
}

// TestGitOpsChart checks the Argo CD chart against the environment charts
// it deploys: one Application per environment, on that environment's
// chart directory and namespace, automated everywhere but production, with
// the autoscaled Deployments' replicas ignored; and one AppProject whose
// fence admits exactly the repository, those destinations and every kind
// the charts hold. Its templates hold no Helm escapes, so `kubectl apply
// -f` of them is the same as installing the chart.
func TestGitOpsChart(t *testing.T) {
	charts := synthAll(t)
	i := slices.IndexFunc(charts, func(c synth.Chart) bool { return c.Env == environments.GitOpsChart })
	require.GreaterOrEqual(t, i, 0, "a full synth writes the Argo CD chart")
	gitops := charts[i]
	assert.ElementsMatch(t, []string{".helmignore", "Chart.yaml", "README.md", "values.yaml", "templates/argocd.yaml"}, slices.Collect(maps.Keys(gitops.Files)))
	assert.True(t, strings.HasPrefix(string(gitops.Files["Chart.yaml"]), synth.GeneratedMarker+"\n"))
	assert.NotContains(t, string(gitops.Files["templates/argocd.yaml"]), "{{", "kubectl apply must see what Helm would render")

	resolved, err := synth.ResolveWithGitOps(environments.All(), environments.Repository)
	require.NoError(t, err)
	apps := map[string]application{}
	type project struct {
		Metadata struct{ Name, Namespace string }
		Spec     struct {
			SourceRepos      []string `json:"sourceRepos"`
			Destinations     []struct{ Server, Name, Namespace string }
			NamespacedKinds  []struct{ Group, Kind string } `json:"namespaceResourceWhitelist"`
			ClusterWhitelist []struct{ Group, Kind string } `json:"clusterResourceWhitelist"`
		}
	}
	projects := map[string]project{}
	for _, o := range resolved[environments.GitOpsChart].Objects {
		switch o.Kind {
		case "Application":
			var a application
			require.NoError(t, yaml.Unmarshal(o.YAML, &a))
			apps[a.Metadata.Name] = a
		case "AppProject":
			var p project
			require.NoError(t, yaml.Unmarshal(o.YAML, &p))
			projects[p.Metadata.Name] = p
		}
	}
	g := environments.Repository
	for _, p := range projects {
		assert.Equal(t, []string{g.RepoURL}, p.Spec.SourceRepos)
		assert.Equal(t, g.Namespace, p.Metadata.Namespace)
	}
	require.Len(t, apps, len(environments.All()))
	for _, env := range environments.All() {
		a, ok := apps["telepace-"+env.Name]
		require.True(t, ok, "no Application for %s", env.Name)
		assert.Equal(t, g.Namespace, a.Metadata.Namespace)
		// The environments without an umbrella share the narrow project;
		// one with an umbrella has its own, for its destination alone.
		p, ok := projects[a.Spec.Project]
		require.True(t, ok, "%s: project %s", env.Name, a.Spec.Project)
		if env.Umbrella == nil {
			assert.Equal(t, g.Project, a.Spec.Project)
			assert.NotContains(t, p.Spec.NamespacedKinds, struct{ Group, Kind string }{"*", "*"})
		} else {
			assert.Equal(t, g.Project+"-"+env.Name, a.Spec.Project)
			assert.Len(t, p.Spec.Destinations, 1)
			assert.Contains(t, a.Spec.SyncPolicy.Options, "ServerSideApply=true", "the umbrella's CRDs are too large for client-side apply")
		}
		assert.Equal(t, g.ChartsPath+"/"+env.Name, a.Spec.Source.Path)
		assert.Equal(t, g.TargetRevision, a.Spec.Source.TargetRevision)
		assert.Equal(t, names.Release(env.Name), a.Spec.Source.Helm.ReleaseName, "the release the chart README installs")
		assert.Equal(t, env.Namespace, a.Spec.Destination.Namespace)
		assert.Contains(t, p.Spec.Destinations, struct{ Server, Name, Namespace string }{a.Spec.Destination.Server, a.Spec.Destination.Name, env.Namespace})
		if env.Delivery.Cluster != "" {
			assert.Equal(t, env.Delivery.Cluster, a.Spec.Destination.Name, "%s deploys to its own cluster, by name", env.Name)
		}
		assert.Contains(t, a.Spec.SyncPolicy.Options, "CreateNamespace=true")
		if env.TelepaceEnvironment == "production" {
			assert.Nil(t, a.Spec.SyncPolicy.Automated, "%s is synced by hand", env.Name)
		} else {
			require.NotNil(t, a.Spec.SyncPolicy.Automated, env.Name)
			assert.True(t, a.Spec.SyncPolicy.Automated.Prune && a.Spec.SyncPolicy.Automated.SelfHeal, env.Name)
		}

		// Exactly the Deployments an HPA scales have their replicas ignored.
		var scaled, ignored []string
		for _, o := range resolved[env.Name].Objects {
			if o.Kind == "HorizontalPodAutoscaler" {
				var h struct {
					Spec struct {
						Target struct{ Kind, Name string } `json:"scaleTargetRef"`
					}
				}
				require.NoError(t, yaml.Unmarshal(o.YAML, &h))
				require.Equal(t, "Deployment", h.Spec.Target.Kind)
				scaled = append(scaled, h.Spec.Target.Name)
			}
			group, _, _ := strings.Cut(o.APIVersion, "/")
			if !strings.Contains(o.APIVersion, "/") {
				group = ""
			}
			ok, _ := environments.AllowedKind(group, o.Kind)
			assert.True(t, ok, "%s: %s %s is outside the project", env.Name, o.APIVersion, o.Kind)
		}
		for _, d := range a.Spec.IgnoreDifferences {
			assert.Equal(t, []string{"/spec/replicas"}, d.JSONPointers)
			ignored = append(ignored, d.Name)
		}
		slices.Sort(scaled)
		assert.Equal(t, scaled, ignored, env.Name)
		if env.Name != "dev" {
			assert.NotEmpty(t, scaled, "%s has autoscaled services", env.Name)
		}
	}
}

// TestProjectKindScopes: the project's cluster-scoped kinds are cluster
// scoped and its namespaced kinds namespaced, by the pinned CRDs (the
// built-in kinds are checked on the apiserver by the e2e suite); a kind in
// the wrong list would never match.
func TestProjectKindScopes(t *testing.T) {
	defs, err := crds.Load()
	require.NoError(t, err)
	scope := map[pc.GroupKind]string{}
	for _, c := range defs {
		scope[pc.GroupKind{Group: c.Spec.Group, Kind: c.Spec.Names.Kind}] = string(c.Spec.Scope)
	}
	for _, gk := range environments.ProjectClusterKinds {
		if s, ok := scope[gk]; ok {
			assert.Equal(t, "Cluster", s, "%v", gk)
		}
	}
	for _, gk := range environments.ProjectNamespacedKinds {
		if s, ok := scope[gk]; ok {
			assert.Equal(t, "Namespaced", s, "%v", gk)
		}
	}
}

// TestKindOutsideTheProject: a chart holding a kind the project does not
// list fails synth, naming the object's construct path.
func TestKindOutsideTheProject(t *testing.T) {
	saved := environments.ProjectNamespacedKinds
	t.Cleanup(func() { environments.ProjectNamespacedKinds = saved })
	environments.ProjectNamespacedKinds = slices.DeleteFunc(slices.Clone(saved), func(gk pc.GroupKind) bool { return gk.Kind == "PodDisruptionBudget" })
	_, err := synth.Synthesize([]environments.Environment{environmentstest.Lookup("prod")})
	var verr *pc.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, []string{
		"[prod/analysis/pdb] kind: policy/v1 PodDisruptionBudget is not a kind the Argo CD project allows; add it to environments.ProjectNamespacedKinds or ProjectClusterKinds",
	}, verr.Problems)
}

// TestGitOpsThatCannotWork: two environments on one destination, and Argo
// CD's namespace shared with an environment, fail synth, named.
func TestGitOpsThatCannotWork(t *testing.T) {
	twin := environmentstest.Lookup("staging")
	twin.Name = "twin"
	g := environments.Repository
	g.Namespace = "telepace-dev"
	_, err := synth.SynthesizeWithGitOps([]environments.Environment{environmentstest.Lookup("dev"), environmentstest.Lookup("staging"), twin}, g)
	var verr *pc.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, []string{
		`[argocd] gitops.namespace: "telepace-dev" is also dev's namespace; keep Argo CD's objects apart from an environment's`,
		`[argocd] gitops: staging and twin both deploy to cluster telepace-staging namespace "telepace-staging"; two Applications would fight over it`,
	}, verr.Problems)
}
