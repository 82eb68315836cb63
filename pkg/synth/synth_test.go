package synth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/environments"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/synth"
)

// committedCharts is where make synth writes, relative to this package.
const committedCharts = "../../charts/generated"

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// synthAll synthesises every environment once per test binary.
var synthAll = func() func(t *testing.T) []synth.Chart {
	var charts []synth.Chart
	var err error
	done := false
	return func(t *testing.T) []synth.Chart {
		t.Helper()
		if !done {
			charts, err = synth.Synthesize(environments.All())
			done = true
		}
		require.NoError(t, err)
		return charts
	}
}()

// TestCommittedChartsAreUpToDate is the drift check of synth --check: the
// charts under charts/generated/ must be exactly what the code produces.
func TestCommittedChartsAreUpToDate(t *testing.T) {
	stale, err := synth.Check(committedCharts, synthAll(t))
	require.NoError(t, err)
	assert.Empty(t, stale, "the committed charts are stale; run `make synth` and commit the result")
}

func TestCheckNamesStaleFiles(t *testing.T) {
	charts := synthAll(t)
	dir := t.TempDir()
	require.NoError(t, synth.Write(dir, charts))
	stale, err := synth.Check(dir, charts)
	require.NoError(t, err)
	require.Empty(t, stale)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "prod", "templates", "web.yaml"), []byte("edited by hand\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, "dev", "Chart.yaml")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "staging", "templates", "extra.yaml"), []byte("{}\n"), 0o644))
	stale, err = synth.Check(dir, charts)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"dev/Chart.yaml (missing)",
		"prod/templates/web.yaml (differs)",
		"staging/templates/extra.yaml (not generated)",
	}, stale)
}

func TestSynthesisIsDeterministic(t *testing.T) {
	first := synthAll(t)
	second, err := synth.Synthesize(environments.All())
	require.NoError(t, err)
	require.Equal(t, len(first), len(second))
	for i := range first {
		assert.Equal(t, first[i].Env, second[i].Env)
		assert.Equal(t, first[i].Files, second[i].Files, "%s differs between two runs", first[i].Env)
	}
	// And on disk: two writes give identical trees.
	a, b := t.TempDir(), t.TempDir()
	require.NoError(t, synth.Write(a, first))
	require.NoError(t, synth.Write(b, second))
	assert.Equal(t, treeDigest(t, a), treeDigest(t, b))
}

func TestChartLayout(t *testing.T) {
	for _, c := range synthAll(t) {
		t.Run(c.Env, func(t *testing.T) {
			var paths []string
			for p := range c.Files {
				paths = append(paths, p)
			}
			assert.ElementsMatch(t, []string{
				".helmignore", "Chart.yaml", "README.md", "values.yaml",
				"templates/analysis.yaml", "templates/collection.yaml", "templates/feedback-collection-api.yaml",
				"templates/voiceflow.yaml", "templates/web.yaml",
			}, paths)
			chart := string(c.Files["Chart.yaml"])
			assert.Contains(t, chart, "apiVersion: v2\nname: telepace-"+c.Env+"\n")
			assert.Contains(t, chart, "\nversion: "+synth.ChartVersion+"\n")
			assert.Contains(t, chart, "\nappVersion: \""+synth.ChartVersion+"\"\n")
			for p, data := range c.Files {
				if strings.HasPrefix(p, "templates/") {
					assert.NotContains(t, string(data), "namespace:", "%s: objects carry no namespace; Helm's release namespace applies", p)
				}
			}
		})
	}
}

func TestEscapeHelm(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"{{ .Values.x }}", `{{ "{{" }} .Values.x {{ "}}" }}`},
		{"a}}b{{c", `a{{ "}}" }}b{{ "{{" }}c`},
		{"{{{", `{{ "{{" }}{`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, synth.EscapeHelm(tt.in), tt.in)
	}
}

func dev() environments.Environment {
	e, ok := environments.Lookup("dev")
	if !ok {
		panic("no dev environment")
	}
	return e
}

// TestBadInput checks that each kind of bad input fails with its exact
// messages and that nothing is written.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		env  func() environments.Environment
		want []string
	}{
		{
			name: "unknown service",
			env: func() environments.Environment {
				e := dev()
				e.Services = append(e.Services, environments.Service{App: "billing", Replicas: 1, Resources: environments.Resources("10m", "16Mi", "20m", "32Mi")})
				return e
			},
			want: []string{`[dev] services[5].app: unknown service "billing"; known services: analysis, collection, feedback-collection-api, voiceflow, web`},
		},
		{
			name: "malformed image reference",
			env: func() environments.Environment {
				e := dev()
				e.Images = cloneMap(e.Images)
				e.Images["web"] = "v1.0.0 beta"
				return e
			},
			want: []string{`[dev/web] image: "ghcr.io/telepace/web:v1.0.0 beta" is not a valid image reference: invalid reference format`},
		},
		{
			name: "two services claim the same name",
			env: func() environments.Environment {
				e := dev()
				e.Services = append(e.Services, environments.Service{App: "collection", Name: "analysis", Replicas: 1, Resources: environments.Resources("10m", "16Mi", "20m", "32Mi")})
				return e
			},
			want: []string{`[dev] services[5].name: "analysis" is already claimed by services[0]`},
		},
		{
			name: "empty environment",
			env: func() environments.Environment {
				e := dev()
				e.Services = nil
				e.Images = nil
				return e
			},
			want: []string{`[dev] services: the environment deploys no services`},
		},
		{
			name: "limits below requests",
			env: func() environments.Environment {
				e := dev()
				e.Services = append([]environments.Service(nil), e.Services...)
				e.Services[3].Resources = environments.Resources("500m", "1Gi", "250m", "512Mi")
				return e
			},
			want: []string{
				`[dev/voiceflow] resources.limits.cpu: 250m is below the request 500m`,
				`[dev/voiceflow] resources.limits.memory: 512Mi is below the request 1Gi`,
			},
		},
		{
			name: "floating tag outside dev",
			env: func() environments.Environment {
				e, _ := environments.Lookup("prod")
				e.Images = cloneMap(e.Images)
				e.Images["voiceflow"] = "latest"
				return e
			},
			want: []string{`[prod/voiceflow] image: tag "latest" is floating; prod needs a release tag (vX.Y.Z) or a digest`},
		},
		{
			name: "image for a service that is not deployed",
			env: func() environments.Environment {
				e := dev()
				e.Images = cloneMap(e.Images)
				e.Images["billing"] = "main"
				return e
			},
			want: []string{`[dev] images[billing]: no service named "billing" is deployed`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			seedCharts(t, out)
			before := treeDigest(t, out)

			err := synth.Generate([]environments.Environment{tt.env()}, out)
			var verr *pc.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.want, verr.Problems)
			assert.Equal(t, before, treeDigest(t, out), "a failed synth must leave the output untouched")
			assertNoLeftovers(t, out)
		})
	}
}

// TestFailedSynthLeavesOutputUnchanged runs a failing multi-environment
// synth over an existing output directory.
func TestFailedSynthLeavesOutputUnchanged(t *testing.T) {
	out := t.TempDir()
	seedCharts(t, out)
	before := treeDigest(t, out)
	bad := dev()
	bad.Images = cloneMap(bad.Images)
	bad.Images["analysis"] = "Not A Tag"
	envs := environments.All()
	envs[0] = bad
	err := synth.Generate(envs, out)
	require.Error(t, err)
	assert.Equal(t, before, treeDigest(t, out))
	assertNoLeftovers(t, out)
}

func TestGenerateOneEnvironmentKeepsTheOthers(t *testing.T) {
	out := t.TempDir()
	seedCharts(t, out)
	require.NoError(t, os.WriteFile(filepath.Join(out, "prod", "marker"), []byte("kept"), 0o644))
	require.NoError(t, synth.Generate([]environments.Environment{dev()}, out))
	data, err := os.ReadFile(filepath.Join(out, "prod", "marker"))
	require.NoError(t, err)
	assert.Equal(t, "kept", string(data))
	_, err = os.Stat(filepath.Join(out, "dev", "templates", "web.yaml"))
	require.NoError(t, err)
	assertNoLeftovers(t, out)
}

// seedCharts fills dir with the current charts, as a checkout has them.
func seedCharts(t *testing.T, dir string) {
	t.Helper()
	require.NoError(t, synth.Write(dir, synthAll(t)))
}

// assertNoLeftovers fails if a synth left temporary directories beside dir.
func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".synth-"), "left behind: %s", e.Name())
	}
}

// treeDigest hashes every path and file content under dir.
func treeDigest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		h.Write([]byte(rel + "\x00"))
		if !d.IsDir() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	}))
	return hex.EncodeToString(h.Sum(nil))
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
