package compose_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/compose"
	"github.com/telepace/platform-charts/pkg/names"
)

// plans plans every environment of the catalog, after edit.
func plans(edit func([]environments.Environment)) []compose.Plan {
	envs := environments.All()
	if edit != nil {
		edit(envs)
	}
	var out []compose.Plan
	for _, e := range envs {
		out = append(out, compose.Compose(e))
	}
	return out
}

// TestPlanDeliveryProblems: the GitOps settings and the environments'
// destinations, with exact messages, all about the Argo CD chart itself.
func TestPlanDeliveryProblems(t *testing.T) {
	envs := environments.All()
	first, second := envs[0], envs[1]
	firstDestination := compose.PlanDelivery(environments.Repository, plans(nil)).Applications[0].Props.Destination
	tests := []struct {
		name   string
		gitops func(*environments.GitOps)
		envs   func([]environments.Environment)
		want   []string
	}{
		{name: "the repository's settings", want: nil},
		{
			name:   "settings left out",
			gitops: func(g *environments.GitOps) { g.RepoURL, g.Project = "", "" },
			want:   []string{"gitops.repoURL: is required", "gitops.project: is required"},
		},
		{
			name: "two environments deploy to one destination",
			envs: func(es []environments.Environment) {
				es[1].Namespace, es[1].Delivery.Cluster = es[0].Namespace, es[0].Delivery.Cluster
			},
			want: []string{fmt.Sprintf("gitops: %s and %s both deploy to %s; two Applications would fight over it", first.Name, second.Name, firstDestination)},
		},
		{
			name:   "Argo CD in an environment's namespace",
			gitops: func(g *environments.GitOps) { g.Namespace = first.Namespace },
			want:   []string{fmt.Sprintf("gitops.namespace: %q is also %s's namespace; keep Argo CD's objects apart from an environment's", first.Namespace, first.Name)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := environments.Repository
			if tt.gitops != nil {
				tt.gitops(&g)
			}
			d := compose.PlanDelivery(g, plans(tt.envs))
			var got []string
			for _, p := range d.Problems {
				assert.Empty(t, p.Path, "a delivery problem is the Argo CD chart's")
				got = append(got, p.Message)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestPlanDelivery: one Application per environment, named for its
// release, in the shared project unless it has an umbrella, which gets a
// project of its own; only a project's own environments are its
// destinations.
func TestPlanDelivery(t *testing.T) {
	ps := plans(nil)
	d := compose.PlanDelivery(environments.Repository, ps)
	projects := map[string]bool{}
	for _, p := range d.Projects {
		projects[p.ID] = true
	}
	if assert.Len(t, d.Applications, len(ps)) {
		for i, p := range ps {
			a := d.Applications[i]
			assert.Equal(t, p.Env.Name, a.ID)
			assert.Equal(t, names.Release(p.Env.Name), a.Props.Name)
			assert.Equal(t, environments.Repository.ChartsPath+"/"+p.Env.Name, a.Props.Path)
			assert.Equal(t, p.Env.Namespace, a.Props.Destination.Namespace)
			want := "project"
			if p.Env.Umbrella != nil {
				want = "project-" + p.Env.Name
			}
			assert.Equal(t, want, a.Service, p.Env.Name)
			assert.True(t, projects[a.Service], "%s's project is planned", p.Env.Name)
			assert.Equal(t, p.Env.Delivery.Automated, a.Props.Automated, p.Env.Name)
		}
	}
}

// TestDeliveryProblems: an environment's own delivery mistakes.
func TestDeliveryProblems(t *testing.T) {
	prod := environments.All()[0]
	prod.TelepaceEnvironment = "production"
	prod.Delivery.Automated = true
	prod.Delivery.Namespace = "somewhere-else"
	var got []string
	for _, p := range compose.Compose(prod).Problems {
		got = append(got, p.String(prod.Name))
	}
	assert.Subset(t, got, []string{
		fmt.Sprintf(`[%s] delivery.namespace: "somewhere-else" differs from the environment's namespace %q; Argo CD would install the chart where its Role and store do not point`, prod.Name, prod.Namespace),
		fmt.Sprintf("[%s] delivery.automated: production is synced by a person after review of the diff in Argo CD; leave it false", prod.Name),
	})
}
