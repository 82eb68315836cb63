package synth_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/names"
	"github.com/telepace/platform-charts/pkg/synth"
	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// helmKubeVersion is the cluster version charts are linted and rendered
// against. A helm built without release ldflags would assume 1.20.
const helmKubeVersion = "v1.34.0"

func kubeVersion(t *testing.T) *chartutil.KubeVersion {
	t.Helper()
	kv, err := chartutil.ParseKubeVersion(helmKubeVersion)
	require.NoError(t, err)
	return kv
}

// writtenCharts writes the synthesised charts to a temporary directory.
func writtenCharts(t *testing.T) (string, []synth.Chart) {
	t.Helper()
	charts := synthAll(t)
	dir := t.TempDir()
	writeCharts(t, dir, charts)
	return dir, charts
}

func TestHelmLint(t *testing.T) {
	dir, charts := writtenCharts(t)
	for _, c := range charts {
		t.Run(c.Env, func(t *testing.T) {
			lint := action.NewLint()
			lint.Strict = true
			lint.KubeVersion = kubeVersion(t)
			env, _ := environments.Lookup(c.Env)
			lint.Namespace = cmp.Or(env.Namespace, environments.Repository.Namespace)
			if len(env.Dependencies()) > 0 {
				// As after `helm dependency build`: the real charts where the
				// pinned modules ship them, stand-ins for the rest.
				_, err := cluster.VendorDependencies(context.Background(), filepath.Join(dir, c.Env))
				require.NoError(t, err)
			}
			res := lint.Run([]string{filepath.Join(dir, c.Env)}, map[string]any{})
			require.Equal(t, 1, res.TotalChartsLinted)
			for _, m := range res.Messages {
				assert.Less(t, m.Severity, support.WarningSev, "lint: %s", m)
			}
			assert.Empty(t, res.Errors)
		})
	}
}

// render runs `helm template` through the SDK and returns every rendered
// document, hooks included, in the order Helm emits them.
func render(t *testing.T, chartDir, namespace string) []string {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	require.NoError(t, err)
	install := action.NewInstall(&action.Configuration{})
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = chrt.Name()
	install.Namespace = namespace
	install.KubeVersion = kubeVersion(t)
	rel, err := install.Run(chrt, map[string]any{})
	require.NoError(t, err)
	var docs []string
	for _, m := range releaseutil.SplitManifests(rel.Manifest) {
		docs = append(docs, m)
	}
	for _, h := range rel.Hooks {
		docs = append(docs, h.Manifest)
	}
	return docs
}

// TestHelmTemplateRendersTheSynthesisedObjects renders each chart with the
// helm SDK and requires exactly the objects cdk8s resolved: same count, and
// each object equal field by field, so escaping and templating lose nothing.
func TestHelmTemplateRendersTheSynthesisedObjects(t *testing.T) {
	dir, charts := writtenCharts(t)
	resolved, err := synth.ResolveWithGitOps(environments.All(), environments.Repository)
	require.NoError(t, err)
	for _, c := range charts {
		t.Run(c.Env, func(t *testing.T) {
			env, _ := environments.Lookup(c.Env)
			env.Namespace = cmp.Or(env.Namespace, environments.Repository.Namespace)
			want := map[string]map[string]any{}
			for _, o := range resolved[c.Env].Objects {
				obj := decode(t, o.YAML)
				want[key(obj)] = obj
			}
			got := map[string]map[string]any{}
			for _, doc := range render(t, filepath.Join(dir, c.Env), env.Namespace) {
				obj := decode(t, []byte(doc))
				k := key(obj)
				require.NotContains(t, got, k, "rendered twice")
				got[k] = obj
			}
			assert.Equal(t, want, got)
		})
	}
}

// TestHelmRendersBracesLiterally puts Helm delimiters into a setting and
// requires Helm to render them unchanged.
func TestHelmRendersBracesLiterally(t *testing.T) {
	env := dev()
	env.Services = append([]environments.Service(nil), env.Services...)
	const literal = `{{ .Values.secret }} and }} {{- "x" }}`
	env.Services[0].Customize = func(p *pc.MicroserviceProps) { p.Config["GREETING"] = literal }
	charts, err := synth.Synthesize([]environments.Environment{env})
	require.NoError(t, err)
	dir := t.TempDir()
	writeCharts(t, dir, charts)
	var found bool
	for _, doc := range render(t, filepath.Join(dir, "dev"), "telepace-dev") {
		obj := decode(t, []byte(doc))
		if obj["kind"] == "ConfigMap" && obj["metadata"].(map[string]any)["name"] == "analysis" {
			assert.Equal(t, literal, obj["data"].(map[string]any)["GREETING"])
			found = true
		}
	}
	assert.True(t, found, "no analysis ConfigMap rendered")
}

// TestObjectsDecodeStrictly decodes every generated object into its
// k8s.io/api type with unknown and duplicate fields rejected.
func TestObjectsDecodeStrictly(t *testing.T) {
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	// pc.Scheme: the built-in groups and every upstream custom resource
	// group the constructs emit.
	decoder := serializer.NewCodecFactory(pc.Scheme, serializer.EnableStrict).UniversalDeserializer()
	for env, r := range resolved {
		require.NotEmpty(t, r.Objects, env)
		for _, o := range r.Objects {
			obj, gvk, err := decoder.Decode(o.YAML, nil, nil)
			require.NoError(t, err, "%s: %s/%s", env, o.Kind, o.Name)
			assert.Equal(t, o.Kind, gvk.Kind)
			assert.NotContains(t, strings.ToLower(gvk.Kind), "unstructured", "%T", obj)
		}
	}
}

func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	decoder := serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()
	_, _, err := decoder.Decode([]byte("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\nautomountToken: false\n"), nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown field "automountToken"`)
}

func decode(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var obj map[string]any
	require.NoError(t, yaml.Unmarshal(bytes.TrimSpace(doc), &obj))
	return obj
}

func key(obj map[string]any) string {
	md := obj["metadata"].(map[string]any)
	return obj["apiVersion"].(string) + "/" + obj["kind"].(string) + "/" + md["name"].(string)
}

// TestChartsRefuseAnotherNamespaceAndAnyValue installs each environment
// chart with the helm SDK into another namespace than its environment's,
// which its alerts, dashboards and policies name, and with a value its
// templates would not read: Helm refuses both, naming the namespace and
// the key, instead of installing something that watches or admits nothing.
func TestChartsRefuseAnotherNamespaceAndAnyValue(t *testing.T) {
	dir, _ := writtenCharts(t)
	for _, env := range environments.All() {
		t.Run(env.Name, func(t *testing.T) {
			chartDir := filepath.Join(dir, env.Name)
			if len(env.Dependencies()) > 0 {
				_, err := cluster.VendorDependencies(context.Background(), chartDir)
				require.NoError(t, err)
			}
			run := func(namespace string, values map[string]any) error {
				chrt, err := loader.Load(chartDir)
				require.NoError(t, err)
				install := action.NewInstall(&action.Configuration{})
				install.DryRun, install.ClientOnly, install.Replace = true, true, true
				install.ReleaseName, install.Namespace = names.Release(env.Name), namespace
				install.KubeVersion = kubeVersion(t)
				_, err = install.Run(chrt, values)
				return err
			}
			require.NoError(t, run(env.Namespace, nil))

			other := env.Namespace + "-other"
			err := run(other, nil)
			require.Error(t, err, "installs into %s", other)
			assert.Equal(t, fmt.Sprintf("execution error at (%s/templates/namespace-guard.yaml:3:4): %s installs into the namespace %s, which its alerts, dashboards and policies name; not %q",
				names.Release(env.Name), names.Release(env.Name), env.Namespace, other), err.Error())

			err = run(env.Namespace, map[string]any{"image": map[string]any{"tag": "latest"}})
			require.Error(t, err, "a value the templates do not read is ignored silently")
			assert.Contains(t, err.Error(), "additional properties 'image' not allowed")
		})
	}
}
