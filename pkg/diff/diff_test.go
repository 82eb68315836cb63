package diff_test

import (
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/internal/breakingcases"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
	"github.com/telepace/platform-charts/pkg/diff"
	"github.com/telepace/platform-charts/pkg/synth"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestMain(m *testing.M) { constructstest.Main(m) }

// release is a prod release as a pull request makes it: a tag bump of one
// service and more room for another.
func release(env environments.Environment) environments.Environment {
	env.Images = maps.Clone(env.Images)
	env.Images["analysis"] = "v0.1.1"
	env.Services = slices.Clone(env.Services)
	for i, s := range env.Services {
		if s.App == "voiceflow" {
			env.Services[i].MaxReplicas = 16
			env.Services[i].Resources = environments.Resources("750m", "1536Mi", "4", "3Gi")
		}
	}
	return env
}

// releaseServices are the services the golden release shows: the two it
// changes and one it leaves alone. Prod is cut down to them, so that a
// service added to the catalog does not change the golden file.
var releaseServices = []string{"analysis", "voiceflow", "web"}

// prodForRelease returns prod deploying only releaseServices.
func prodForRelease() environments.Environment {
	env := environments.Prod()
	env.Services = slices.DeleteFunc(slices.Clone(env.Services), func(s environments.Service) bool {
		return !slices.Contains(releaseServices, s.App)
	})
	env.Images = maps.Clone(env.Images)
	maps.DeleteFunc(env.Images, func(name, _ string) bool { return !slices.Contains(releaseServices, name) })
	return env
}

// synthesized returns the charts of envs as synth writes them, read back
// for comparison.
func synthesized(t *testing.T, envs ...environments.Environment) []diff.Chart {
	t.Helper()
	charts, err := synth.Synthesize(envs)
	require.NoError(t, err)
	var out []diff.Chart
	for _, c := range charts {
		dc, err := diff.LoadChart(c.Env, c.Files)
		require.NoError(t, err)
		out = append(out, dc)
	}
	return out
}

// TestGoldenProdRelease compares prod with the release above, synthesised
// for real, against testdata/prod-release.md byte for byte; -update
// rewrites it.
func TestGoldenProdRelease(t *testing.T) {
	base := synthesized(t, prodForRelease())
	head := synthesized(t, release(prodForRelease()))
	r := diff.Compare(base, head)
	r.Base, r.Head = "main", "working tree"

	// What the summary must say, whatever the golden file holds.
	require.Empty(t, r.Breaking, "a tag bump and a resource change break nothing")
	require.Len(t, r.Charts, 1)
	var deploy *diff.Change
	for i, c := range r.Charts[0].Changed {
		if c.Head.Kind == "Deployment" && c.Head.Name == "analysis" {
			deploy = &r.Charts[0].Changed[i]
		}
	}
	require.NotNil(t, deploy, "the analysis Deployment changed")
	require.Contains(t, deploy.Fields, diff.Field{
		Path: "spec.template.spec.containers[name=analysis].image",
		Old:  "ghcr.io/telepace/analysis:v0.1.0", New: "ghcr.io/telepace/analysis:v0.1.1",
	})
	require.Empty(t, r.Charts[0].Added)
	require.Empty(t, r.Charts[0].Removed)
	cells := map[string][]string{}
	for _, row := range r.Services {
		cells[row.Service+" "+row.Field] = row.Cells
	}
	require.Equal(t, []string{"ghcr.io/telepace/analysis:v0.1.0 → ghcr.io/telepace/analysis:v0.1.1"}, cells["analysis image"])
	require.Equal(t, []string{"500m / 4 → 750m / 4"}, cells["voiceflow cpu request/limit"])
	require.Equal(t, []string{"3–12 → 3–16"}, cells["voiceflow autoscaling"])
	require.Equal(t, []string{"by autoscaler"}, cells["web replicas"])

	got := r.Markdown()
	golden := filepath.Join("testdata", "prod-release.md")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), got, "rerun with -update and review the diff")
}

// TestUnchangedChartsHaveNoDiff compares every environment with itself.
func TestUnchangedChartsHaveNoDiff(t *testing.T) {
	charts := synthesized(t, environments.All()...)
	r := diff.Compare(charts, charts)
	require.True(t, r.Empty())
	require.Empty(t, r.Breaking)
	var none []string
	for _, e := range environments.All() {
		none = append(none, e.Name+": no changes")
	}
	require.Contains(t, r.Markdown(), "No breaking changes. "+strings.Join(none, " · ")+"\n")
}

// TestChartNamespaceMoveIsBreaking moves a whole chart to another
// namespace: one chart-level breaking change, and no object is reported
// as added or removed.
func TestChartNamespaceMoveIsBreaking(t *testing.T) {
	moved := environments.Staging()
	moved.Namespace = "telepace-staging-2"
	base := synthesized(t, environments.Staging())
	head := synthesized(t, moved)
	r := diff.Compare(base, head)
	require.NotEmpty(t, r.Charts[0].Changed, "every object changes namespace")
	require.Len(t, r.Breaking, 1, "one entry for the chart, not one per object that moves with it")
	for _, c := range r.Charts[0].Changed {
		require.Equal(t, diff.Field{Path: "metadata.namespace", Old: "telepace-staging", New: "telepace-staging-2"}, c.Fields[0], "%s shows its move", c.Head.ID())
	}
	require.Equal(t, "namespace", r.Breaking[0].Field)
	require.Equal(t, "the chart moves from namespace telepace-staging to telepace-staging-2: every object is created anew there, and what the old namespace holds (volumes, generated Secrets) is deleted with the old release", r.Breaking[0].Reason)
	require.Empty(t, r.Charts[0].Added)
	require.Empty(t, r.Charts[0].Removed)
}

// TestFieldPaths pins how paths are written: names for named list
// elements, quoted keys for dotted ones, indexes otherwise.
func TestFieldPaths(t *testing.T) {
	load := func(manifest string) []diff.Chart {
		c, err := diff.LoadChart("x", breakingcases.Chart("x", []byte(manifest)))
		require.NoError(t, err)
		return []diff.Chart{c}
	}
	base := load(`apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app.kubernetes.io/name: p}}
spec:
  containers:
  - {name: a, image: a:1, args: [x, y]}
  - {name: b, image: b:1}
`)
	head := load(`apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app.kubernetes.io/name: q}}
spec:
  containers:
  - {name: a, image: a:2, args: [x, z]}
  - {name: c, image: c:1}
`)
	r := diff.Compare(base, head)
	var paths []string
	for _, f := range r.Charts[0].Changed[0].Fields {
		paths = append(paths, f.Path)
	}
	require.Equal(t, []string{
		`metadata.labels["app.kubernetes.io/name"]`,
		`spec.containers[name=a].args[1]`,
		`spec.containers[name=a].image`,
		`spec.containers[name=b]`,
		`spec.containers[name=c]`,
	}, paths)
	md := r.Markdown()
	require.Contains(t, md, "| `spec.containers[name=b]` | `{\"image\":\"b:1\",\"name\":\"b\"}` | _(absent)_ |")
	require.True(t, strings.HasPrefix(md, "## Chart changes:"))
}

// TestMarkdownValues: long values are cut around their first difference,
// HTML characters stay as they are, backticks get a longer fence, and a
// new chart has no values row.
func TestMarkdownValues(t *testing.T) {
	load := func(manifest string) diff.Chart {
		c, err := diff.LoadChart("x", breakingcases.Chart("x", []byte(manifest)))
		require.NoError(t, err)
		return c
	}
	prefix := strings.Repeat("a", 300)
	base := load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {expr: '" + prefix + "x > 1 && y', ticks: 'a``b'}\n")
	head := load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {expr: '" + prefix + "z > 1 && y', ticks: 'a```b'}\n")
	md := diff.Compare([]diff.Chart{base}, []diff.Chart{head}).Markdown()
	require.Contains(t, md, "| `data.expr` | `…"+strings.Repeat("a", 40)+`x > 1 && y"`+"` | `…"+strings.Repeat("a", 40)+`z > 1 && y"`+"` |")
	require.Contains(t, md, "| `data.ticks` | ``` \"a``b\" ``` | ```` \"a```b\" ```` |")
	require.NotContains(t, md, `\u003e`)

	md = diff.Compare(nil, []diff.Chart{head}).Markdown()
	require.Contains(t, md, "x: new chart, 1 added")
	require.NotContains(t, md, "values")
}
