package synth_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/environments/environmentstest"
	"github.com/telepace/platform-charts/internal/crds"
	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// vendoredDev writes the dev chart to a temporary directory and vendors
// its dependencies (cluster.VendorDependencies): the real external-secrets
// and sealed-secrets charts, stand-ins for the rest.
func vendoredDev(t *testing.T) (string, []string) {
	t.Helper()
	dir, _ := writtenCharts(t)
	dev := filepath.Join(dir, "dev")
	standIns, err := cluster.VendorDependencies(context.Background(), dev)
	require.NoError(t, err)
	return dev, standIns
}

// dependencyProblems is what a reviewer of a vendored umbrella wants to
// know, beyond helm's own action.CheckDependencies (which matches by name
// only): each vendored chart at exactly its pinned version, Chart.lock (if
// any) agreeing, and each values key naming a dependency after aliases.
func dependencyProblems(t *testing.T, dir string) []string {
	t.Helper()
	ch, err := loader.LoadDir(dir)
	require.NoError(t, err)
	var problems []string
	if err := action.CheckDependencies(ch, ch.Metadata.Dependencies); err != nil {
		problems = append(problems, err.Error())
	}
	vendored := map[string]*chart.Chart{}
	for _, sub := range ch.Dependencies() {
		vendored[sub.Name()] = sub
	}
	for _, d := range ch.Metadata.Dependencies {
		if sub, ok := vendored[d.Name]; ok && sub.Metadata.Version != d.Version {
			problems = append(problems, fmt.Sprintf("%s: vendored %s, Chart.yaml pins %s", d.Name, sub.Metadata.Version, d.Version))
		}
	}
	if ch.Lock != nil {
		for _, l := range ch.Lock.Dependencies {
			i := slices.IndexFunc(ch.Metadata.Dependencies, func(d *chart.Dependency) bool { return d.Name == l.Name })
			if i < 0 || ch.Metadata.Dependencies[i].Version != l.Version {
				problems = append(problems, fmt.Sprintf("Chart.lock: %s %s is not what Chart.yaml pins", l.Name, l.Version))
			}
		}
	}
	keys := map[string]bool{}
	for _, d := range ch.Metadata.Dependencies {
		key := d.Name
		if d.Alias != "" {
			key = d.Alias
		}
		keys[key] = true
		if !strings.HasPrefix(d.Condition, key+".") {
			problems = append(problems, fmt.Sprintf("%s: condition %q is not under its values key %q", d.Name, d.Condition, key))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ch.Values)) {
		if !keys[k] {
			problems = append(problems, fmt.Sprintf("values.yaml: %q names no dependency or alias; Helm would pass it to nothing", k))
		}
	}
	return problems
}

// TestUmbrellaDependencies: the dev umbrella pins at least eight
// dependencies, each behind <key>.enabled; vendored, they pass helm's
// CheckDependencies and the stricter checks above; prod and staging have
// none.
func TestUmbrellaDependencies(t *testing.T) {
	for _, c := range synthAll(t) {
		var meta chart.Metadata
		require.NoError(t, yaml.Unmarshal(c.Files["Chart.yaml"], &meta))
		switch c.Env {
		case "dev":
			require.GreaterOrEqual(t, len(meta.Dependencies), 8)
			for _, d := range meta.Dependencies {
				assert.Regexp(t, `^\d+\.\d+\.\d+$`, d.Version, d.Name)
			}
		default:
			assert.Empty(t, meta.Dependencies, c.Env)
		}
	}
	dev, standIns := vendoredDev(t)
	assert.NotContains(t, standIns, "external-secrets", "the real chart, from the pinned module")
	assert.NotContains(t, standIns, "sealed-secrets", "the real chart, from the pinned module")
	assert.Empty(t, dependencyProblems(t, dev))
}

// TestUmbrellaDependencyChecksFail: each check above fails, named, on a
// missing dependency, a vendored version other than the pin, a Chart.lock
// that disagrees, and a values key no dependency has.
func TestUmbrellaDependencyChecksFail(t *testing.T) {
	dev, _ := vendoredDev(t)
	require.NoError(t, os.RemoveAll(filepath.Join(dev, "charts", "jaeger")))
	chartYAML := filepath.Join(dev, "charts", "valkey", "Chart.yaml")
	raw, err := os.ReadFile(chartYAML)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(chartYAML, []byte(strings.Replace(string(raw), "version: 0.11.0", "version: 0.10.0", 1)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dev, "Chart.lock"), []byte("dependencies:\n- name: loki\n  repository: https://grafana-community.github.io/helm-charts\n  version: 18.11.6\ndigest: sha256:0\ngenerated: \"2026-11-28T00:00:00Z\"\n"), 0o644))
	values := filepath.Join(dev, "values.yaml")
	raw, err = os.ReadFile(values)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(values, append(raw, []byte("postgres:\n  enabled: true\n")...), 0o644))
	assert.Equal(t, []string{
		"found in Chart.yaml, but missing in charts/ directory: jaeger",
		"valkey: vendored 0.10.0, Chart.yaml pins 0.11.0",
		"Chart.lock: loki 18.11.6 is not what Chart.yaml pins",
		`values.yaml: "postgres" names no dependency or alias; Helm would pass it to nothing`,
	}, dependencyProblems(t, dev))
}

// TestUmbrellaValuesSchema renders the vendored dev umbrella through
// helm's SDK: with its own values every dependency renders (the real
// external-secrets chart among them); a dependency can be switched off; and
// values.schema.json makes Helm refuse a misspelt dependency key and a
// value of the wrong type.
func TestUmbrellaValuesSchema(t *testing.T) {
	dev, standIns := vendoredDev(t)
	renderWith := func(vals map[string]any) (string, error) {
		ch, err := loader.Load(dev)
		require.NoError(t, err)
		install := action.NewInstall(&action.Configuration{})
		install.DryRun, install.ClientOnly, install.Replace = true, true, true
		install.ReleaseName, install.Namespace = "telepace-dev", "telepace-dev"
		install.KubeVersion = kubeVersion(t)
		rel, err := install.Run(ch, vals)
		if err != nil {
			return "", err
		}
		return rel.Manifest, nil
	}
	manifest, err := renderWith(nil)
	require.NoError(t, err)
	has := func(s string) bool { return strings.Contains(manifest, s) }
	for _, d := range environmentstest.Lookup("dev").Dependencies() {
		if slices.Contains(standIns, d.Name) {
			// An aliased subchart renders under its alias.
			assert.True(t, has("name: telepace-dev-"+d.Key()+"-stand-in"), "%s renders", d.Key())
		}
	}
	assert.True(t, has("kind: Deployment\nmetadata:\n  name: telepace-dev-external-secrets\n"), "the real external-secrets chart renders")
	assert.True(t, has("name: sealed-secrets-controller\n"), "the real sealed-secrets chart renders, named as kubeseal expects")
	assert.False(t, has("ValidatingWebhookConfiguration"), "no webhook in dev")

	manifest, err = renderWith(map[string]any{"seaweedfs": map[string]any{"enabled": false}})
	require.NoError(t, err)
	assert.False(t, has("telepace-dev-seaweedfs-stand-in"), "seaweedfs.enabled: false leaves it out")

	_, err = renderWith(map[string]any{"postgress": map[string]any{"enabled": false}})
	require.ErrorContains(t, err, "values don't meet the specifications of the schema(s)")
	require.ErrorContains(t, err, "postgress")
	_, err = renderWith(map[string]any{"postgresql": map[string]any{"persistence": map[string]any{"size": 5}}})
	require.ErrorContains(t, err, "/postgresql/persistence/size")

	// Every deploy-time choice is a key the schema knows: a value outside
	// its enum is refused, each allowed one renders.
	for _, d := range environmentstest.Lookup("dev").Dependencies() {
		for key := range d.Choices {
			path := append([]string{d.Key()}, strings.Split(key, ".")...)
			_, err = renderWith(nested(path, "no-such-choice"))
			require.Error(t, err, "%s.%s accepts anything", d.Key(), key)
			require.ErrorContains(t, err, "/"+strings.Join(path, "/"))
		}
	}
	_, err = renderWith(nested([]string{"kong", "gateway", "proxy", "type"}, "NodePort"))
	require.NoError(t, err)

	// A name the services are wired to cannot be renamed at install.
	var wired int
	for _, d := range environmentstest.Lookup("dev").Dependencies() {
		for _, key := range d.Wiring {
			path := append([]string{d.Key()}, strings.Split(key, ".")...)
			_, err = renderWith(nested(path, "renamed-at-install"))
			require.Error(t, err, "%s.%s can be renamed", d.Key(), key)
			require.ErrorContains(t, err, "/"+strings.Join(path, "/"))
			wired++
		}
	}
	assert.Positive(t, wired)
}

// nested returns {path[0]: {path[1]: ... value}}.
func nested(path []string, value any) map[string]any {
	if len(path) == 1 {
		return map[string]any{path[0]: value}
	}
	return map[string]any{path[0]: nested(path[1:], value)}
}

// TestModuleChartSourcesArePinned checks that a dependency whose chart
// ships inside a Go module names the module version that crd-versions.txt
// pins with its sum, so the chart the tests vendor from the module is the
// one the README says was read.
func TestModuleChartSourcesArePinned(t *testing.T) {
	sources, err := crds.Sources()
	require.NoError(t, err)
	var checked int
	for _, e := range environments.All() {
		for _, d := range e.Dependencies() {
			if !d.Source.GoModule {
				continue
			}
			i := slices.IndexFunc(sources, func(s crds.Source) bool { return s.Module == d.Source.Repository })
			if !assert.GreaterOrEqual(t, i, 0, "%s/%s: module %s is not pinned in crd-versions.txt", e.Name, d.Key(), d.Source.Repository) {
				continue
			}
			assert.Equal(t, sources[i].Version, d.Source.Tag, "%s/%s: module version", e.Name, d.Key())
			checked++
		}
	}
	assert.Positive(t, checked, "some dependency ships inside a pinned module")
}
