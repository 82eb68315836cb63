package e2e

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/telepace/platform-charts/test/e2e/cluster"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// gitOpsChart is charts/generated/<gitOpsChart>: the Argo CD project and
// applications, applied into argoNamespace.
const (
	gitOpsChart   = "argocd"
	argoNamespace = "argocd"
)

// TestGitOpsObjects sends the Argo CD chart's objects to the apiserver as a
// server-side dry-run create (strict field validation, Argo CD's CRDs
// installed), and checks the project's fence against the environment
// charts as the apiserver sees them: every kind a chart renders is in the
// project's list for its real scope (cluster or namespaced), every listed
// kind exists with that scope, and every Application's destination and
// source are admitted by the project.
func TestGitOpsObjects(t *testing.T) {
	requireE2E(t)
	requireTools(t)
	ctx := context.Background()
	c := sharedCluster(t)
	k := newKube(t, c)
	kv := kubeVersion(t, c.Version.GitVersion)
	dir := filepath.Join(repoRoot, "charts", "generated", gitOpsChart)
	r := renderChart(t, dir, "telepace-argocd", argoNamespace, kv)
	if err := k.ensureNamespace(ctx, argoNamespace); err != nil {
		t.Fatal(err)
	}
	projects := map[string]*unstructured.Unstructured{}
	var apps []*unstructured.Unstructured
	for _, o := range r.Objects {
		if err := k.dryRunCreate(ctx, o, argoNamespace); err != nil {
			t.Errorf("the apiserver rejected %s: %v", objKey(o), err)
		}
		switch o.GetKind() {
		case "AppProject":
			projects[o.GetName()] = o
		case "Application":
			apps = append(apps, o)
		}
	}
	if len(projects) == 0 || len(apps) == 0 {
		t.Fatalf("%s renders no AppProject or no Application", dir)
	}

	list := func(project *unstructured.Unstructured, field string) map[schema.GroupKind]bool {
		items, _, _ := unstructured.NestedSlice(project.Object, "spec", field)
		out := map[schema.GroupKind]bool{}
		for _, it := range items {
			m := it.(map[string]any)
			out[schema.GroupKind{Group: m["group"].(string), Kind: m["kind"].(string)}] = true
		}
		return out
	}
	scopeOf := func(gk schema.GroupKind) (string, error) {
		m, err := k.mapper.RESTMapping(gk)
		if err != nil && meta.IsNoMatchError(err) {
			k.mapper.Reset()
			m, err = k.mapper.RESTMapping(gk)
		}
		if err != nil {
			return "", err
		}
		return string(m.Scope.Name()), nil
	}
	checkLists := func(project *unstructured.Unstructured) (clusterKinds, namespacedKinds map[schema.GroupKind]bool) {
		clusterKinds, namespacedKinds = list(project, "clusterResourceWhitelist"), list(project, "namespaceResourceWhitelist")
		for gk := range clusterKinds {
			if s, err := scopeOf(gk); err != nil || s != string(meta.RESTScopeNameRoot) {
				t.Errorf("project clusterResourceWhitelist %v: scope %q, %v; want cluster-scoped", gk, s, err)
			}
		}
		for gk := range namespacedKinds {
			if gk.Group == "*" && gk.Kind == "*" {
				continue // an umbrella's project admits every namespaced kind
			}
			if s, err := scopeOf(gk); err != nil || s != string(meta.RESTScopeNameNamespace) {
				t.Errorf("project namespaceResourceWhitelist %v: scope %q, %v; want namespaced", gk, s, err)
			}
		}
		return clusterKinds, namespacedKinds
	}
	var checked int
	for _, a := range apps {
		projectName, _, _ := unstructured.NestedString(a.Object, "spec", "project")
		project, ok := projects[projectName]
		if !ok {
			t.Errorf("Application %s: project %q is not in the chart", a.GetName(), projectName)
			continue
		}
		clusterKinds, namespacedKinds := checkLists(project)
		destinations, _, _ := unstructured.NestedSlice(project.Object, "spec", "destinations")
		repos, _, _ := unstructured.NestedStringSlice(project.Object, "spec", "sourceRepos")
		path, _, _ := unstructured.NestedString(a.Object, "spec", "source", "path")
		repo, _, _ := unstructured.NestedString(a.Object, "spec", "source", "repoURL")
		dest, _, _ := unstructured.NestedStringMap(a.Object, "spec", "destination")
		if !slices.Contains(repos, repo) {
			t.Errorf("Application %s: source %s is not in the project's sourceRepos %v", a.GetName(), repo, repos)
		}
		if !slices.ContainsFunc(destinations, func(d any) bool {
			m := d.(map[string]any)
			return m["server"] == nilIfEmpty(dest["server"]) && m["name"] == nilIfEmpty(dest["name"]) && m["namespace"] == dest["namespace"]
		}) {
			t.Errorf("Application %s: destination %v is not in the project's destinations", a.GetName(), dest)
		}
		env := filepath.Base(path)
		chartDir := filepath.Join(repoRoot, filepath.FromSlash(path))
		if _, err := os.Stat(filepath.Join(chartDir, "values.schema.json")); err == nil {
			// An umbrella: render it with its dependencies, as Argo CD does.
			chartDir = copyChart(t, chartDir)
			if _, err := cluster.VendorDependencies(ctx, chartDir); err != nil {
				t.Fatal(err)
			}
		}
		if want, ok := envNamespaces[env]; !ok || want != dest["namespace"] {
			t.Errorf("Application %s: deploys %s into %q; the chart is installed into %q", a.GetName(), path, dest["namespace"], want)
		}
		if labels, _, _ := unstructured.NestedStringMap(a.Object, "spec", "syncPolicy", "managedNamespaceMetadata", "labels"); !maps.Equal(labels, envNamespaceLabels(t, env)) {
			t.Errorf("Application %s: labels namespace %s with %v; the e2e namespaces carry %v", a.GetName(), dest["namespace"], labels, envNamespaceLabels(t, env))
		}
		rendered := renderChart(t, chartDir, "telepace-"+env, dest["namespace"], kv)
		for _, o := range rendered.Objects {
			gk := o.GroupVersionKind().GroupKind()
			s, err := scopeOf(gk)
			if err != nil {
				t.Errorf("%s: %s: %v", env, objKey(o), err)
				continue
			}
			allowed := namespacedKinds[gk] || namespacedKinds[schema.GroupKind{Group: "*", Kind: "*"}]
			if s == string(meta.RESTScopeNameRoot) {
				allowed = clusterKinds[gk]
			}
			if ns := o.GetNamespace(); ns != "" && ns != dest["namespace"] && s != string(meta.RESTScopeNameRoot) {
				t.Errorf("%s: %s goes to namespace %s, outside the Application's destination %s", env, objKey(o), ns, dest["namespace"])
			}
			if !allowed {
				t.Errorf("%s: %s is %s-scoped and not admitted by the project: Argo CD would refuse to sync it", env, objKey(o), s)
			}
			checked++
		}
	}
	t.Logf("%d Argo CD objects accepted by server-side dry-run; %d objects of %d environment charts are admitted by their projects", len(r.Objects), checked, len(apps))
}

// nilIfEmpty is what an absent string field of an unstructured object
// compares equal to.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
