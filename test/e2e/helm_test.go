package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// helmTimeout bounds every helm install/upgrade/rollback/uninstall --wait.
const helmTimeout = 4 * time.Minute

// envNamespaces maps charts/generated/<env> to the namespace it is
// installed into, from the catalog. A generated chart of no environment
// of the catalog fails the tests.
var envNamespaces = func() map[string]string {
	m := map[string]string{}
	for _, e := range environments.All() {
		m[e.Name] = e.Namespace
	}
	return m
}()

// generatedCharts returns the chart directories charts/generated/*/ (those
// holding a Chart.yaml), sorted. It fails the test when there are none.
func generatedCharts(t *testing.T) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(repoRoot, "charts", "generated", "*", "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) == 0 {
		t.Fatalf("e2e: no generated charts: %s matches nothing (generate them first)",
			filepath.Join("charts", "generated", "*", "Chart.yaml"))
	}
	dirs := make([]string, 0, len(matches))
	for _, m := range matches {
		dirs = append(dirs, filepath.Dir(m))
	}
	sort.Strings(dirs)
	return dirs
}

func fixtureChart() string { return filepath.Join(repoRoot, "test", "e2e", "testdata", "fixture") }

// helmDebug, when TELEPACE_E2E_HELM_DEBUG is set, sends helm's debug log to
// stderr. It must not go to t.Logf: helm logs from goroutines that can
// outlive a test.
func helmDebug(format string, v ...any) {
	if os.Getenv("TELEPACE_E2E_HELM_DEBUG") != "" {
		fmt.Fprintf(os.Stderr, "helm: "+format+"\n", v...)
	}
}

// actionConfig returns a helm action configuration talking to the cluster
// through its kubeconfig, for namespace ns, storing releases in Secrets.
func actionConfig(t *testing.T, c *cluster.Cluster, ns string) *action.Configuration {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &c.Kubeconfig
	flags.Namespace = &ns
	cfg := new(action.Configuration)
	if err := cfg.Init(flags, ns, "secret", helmDebug); err != nil {
		t.Fatalf("helm init: %v", err)
	}
	return cfg
}

// kubeVersion is the cluster's version in helm's terms.
func kubeVersion(t *testing.T, gitVersion string) *chartutil.KubeVersion {
	t.Helper()
	kv, err := chartutil.ParseKubeVersion(gitVersion)
	if err != nil {
		t.Fatalf("parse kube version %q: %v", gitVersion, err)
	}
	return kv
}

// rendered is what `helm template` produces for a chart.
type rendered struct {
	Manifest string          // non-hook manifests
	Hooks    []*release.Hook // hook manifests
	Objects  []*unstructured.Unstructured
	// HookObjects are the Objects that are hooks.
	HookObjects map[string]bool // key: objKey
	// Kept are the objects helm uninstall leaves on purpose: those with
	// helm.sh/resource-policy: keep (the generated Secrets' ExternalSecrets
	// and their generator). A hook is never kept: its delete policy must
	// remove it.
	Kept map[string]bool // key: objKey
}

// renderChart renders a chart like `helm template` (client only, hooks
// included) for the given Kubernetes version, without a cluster.
func renderChart(t *testing.T, chartDir, name, ns string, kv *chartutil.KubeVersion) *rendered {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart %s: %v", chartDir, err)
	}
	cfg := &action.Configuration{Log: helmDebug}
	inst := action.NewInstall(cfg)
	inst.DryRun = true
	inst.DryRunOption = "client"
	inst.ClientOnly = true
	inst.Replace = true
	inst.ReleaseName = name
	inst.Namespace = ns
	inst.KubeVersion = kv
	inst.IncludeCRDs = true
	rel, err := inst.Run(ch, nil)
	if err != nil {
		t.Fatalf("render %s: %v", chartDir, err)
	}
	out := &rendered{Manifest: rel.Manifest, Hooks: rel.Hooks, HookObjects: map[string]bool{}, Kept: map[string]bool{}}
	out.Objects = parseObjects(t, rel.Manifest)
	for _, o := range out.Objects {
		// Helm never deletes what it installs from a chart's crds/.
		if o.GetAnnotations()["helm.sh/resource-policy"] == "keep" || o.GetKind() == "CustomResourceDefinition" {
			out.Kept[objKey(o)] = true
		}
	}
	for _, h := range rel.Hooks {
		for _, o := range parseObjects(t, h.Manifest) {
			out.Objects = append(out.Objects, o)
			out.HookObjects[objKey(o)] = true
		}
	}
	if len(out.Objects) == 0 {
		t.Fatalf("chart %s renders no objects", chartDir)
	}
	return out
}

func parseObjects(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufioReader(manifest))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("split manifest: %v", err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := utilyaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("parse manifest document: %v\n%s", err, doc)
		}
		if len(u.Object) == 0 {
			continue
		}
		out = append(out, u)
	}
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, l := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			b.Write(l)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func objKey(o *unstructured.Unstructured) string {
	return o.GroupVersionKind().GroupKind().String() + "/" + o.GetName()
}

// kube bundles the clients the lifecycle checks use.
type kube struct {
	c       *cluster.Cluster
	dyn     dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	timeout time.Duration
	// warnings are those the apiserver returned to dyn.
	warnings *warnings
}

func newKube(t *testing.T, c *cluster.Cluster) *kube {
	t.Helper()
	w := &warnings{}
	cfg := rest.CopyConfig(c.Config)
	cfg.WarningHandler = w
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &kube{
		c:        c,
		warnings: w,
		dyn:      dyn,
		mapper:   restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Client.Discovery())),
		timeout:  3 * time.Minute,
	}
}

// resource returns the dynamic client for o, namespaced to ns when o's kind
// is namespaced, and the mapping.
func (k *kube) resource(o *unstructured.Unstructured, ns string) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	gvk := o.GroupVersionKind()
	m, err := k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil && meta.IsNoMatchError(err) {
		k.mapper.Reset()
		m, err = k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", objKey(o), err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return k.dyn.Resource(m.Resource).Namespace(ns), m, nil
	}
	return k.dyn.Resource(m.Resource), m, nil
}

func (k *kube) get(ctx context.Context, gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, error) {
	return k.dyn.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
}

// ensureNamespace creates ns if it does not exist.
func (k *kube) ensureNamespace(ctx context.Context, ns string) error {
	nsObj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
	}}
	_, err := k.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).
		Create(ctx, nsObj, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// copyChart copies a chart directory into a new temporary directory
// (removed when the test ends) and returns the copy's path.
func copyChart(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy chart: %v", err)
	}
	return dst
}

// editDoc rewrites, in the chart at dir, the YAML document of the given
// kind and name (templates are static) with edit, and fails unless exactly
// one document matched and edit changed it.
func editDoc(t *testing.T, dir, kind, name string, edit func(doc string) string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "templates", "*"))
	if err != nil {
		t.Fatal(err)
	}
	matched := 0
	for _, f := range files {
		if ext := filepath.Ext(f); ext != ".yaml" && ext != ".yml" && ext != ".tpl" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs := splitDocs(string(data))
		changed := false
		for i, d := range docs {
			if !docIs(d, kind, name) {
				continue
			}
			matched++
			nd := edit(d)
			if nd == d {
				t.Fatalf("editing %s %s in %s changed nothing", kind, name, f)
			}
			docs[i] = nd
			changed = true
		}
		if changed {
			if err := os.WriteFile(f, []byte(strings.Join(docs, "")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if matched != 1 {
		t.Fatalf("found %d template documents for %s %s in %s, want exactly 1", matched, kind, name, dir)
	}
}

// splitDocs splits a YAML stream on "---" separator lines, keeping the
// separators, so that strings.Join(splitDocs(s), "") == s.
func splitDocs(s string) []string {
	var docs []string
	start := 0
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '\n')
		end := len(s)
		if j >= 0 {
			end = i + j + 1
		}
		line := strings.TrimRight(s[i:end], "\r\n")
		if i > start && (line == "---" || strings.HasPrefix(line, "--- ")) {
			docs = append(docs, s[start:i])
			start = i
		}
		i = end
	}
	return append(docs, s[start:])
}

// docIs reports whether a static template document is the object of that
// kind and name (top-level `kind:` and `metadata.name:`).
func docIs(doc, kind, name string) bool {
	var u map[string]any
	if err := utilyaml.Unmarshal([]byte(doc), &u); err != nil || u == nil {
		return false
	}
	md, _ := u["metadata"].(map[string]any)
	return u["kind"] == kind && md != nil && md["name"] == name
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }
