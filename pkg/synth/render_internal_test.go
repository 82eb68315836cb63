package synth

import (
	"bytes"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/environments"
)

// renderChart lays out one environment's objects as a Helm chart, as
// synthesize does: the files of its plan (renderPlanFiles), completed with
// its objects.
func renderChart(env environments.Environment, r Resolved) Chart {
	return renderPlanFiles(env, r.Plan).withObjects(r.Objects)
}

// TestRenderChartIsPlanFilesWithObjects checks the split of renderChart
// on every environment: the plan's files are the chart's files but the
// objects' templates and README.md, whose plan part ends where its table
// of contents starts; completing them with the objects gives the chart,
// every time, and leaves them as they were.
func TestRenderChartIsPlanFilesWithObjects(t *testing.T) {
	envs := environments.All()
	resolved, err := Resolve(envs)
	require.NoError(t, err)
	for _, env := range envs {
		t.Run(env.Name, func(t *testing.T) {
			r := resolved[env.Name]
			chart := renderChart(env, r)
			p := renderPlanFiles(env, r.Plan)
			files := maps.Clone(p.files)
			readme := bytes.Clone(p.readme)

			for name, content := range p.files {
				assert.Equal(t, string(chart.Files[name]), string(content), name)
			}
			want := map[string]bool{"README.md": true}
			for _, g := range componentGroups(r.Objects) {
				want["templates/"+g.component+".yaml"] = true
			}
			for name := range chart.Files {
				if _, ok := p.files[name]; !ok {
					assert.True(t, want[name], "%s: neither a plan file nor an object's", name)
				}
			}
			rest, ok := bytes.CutPrefix(chart.Files["README.md"], p.readme)
			require.True(t, ok, "README.md starts with the plan's part")
			assert.True(t, bytes.HasPrefix(rest, []byte("\n## Contents\n")), "and continues with the contents")

			for range 2 {
				again := p.withObjects(r.Objects)
				assert.Equal(t, chart.Env, again.Env)
				assert.Equal(t, slices.Sorted(maps.Keys(chart.Files)), slices.Sorted(maps.Keys(again.Files)))
				for name, content := range chart.Files {
					assert.True(t, bytes.Equal(content, again.Files[name]), name)
				}
			}
			assert.Equal(t, files, p.files, "withObjects must not change the plan's files")
			assert.Equal(t, readme, p.readme, "withObjects must not change the plan's README")
		})
	}
}
