package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pmezard/go-difflib/difflib"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/release"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	psa "k8s.io/pod-security-admission/api"

	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// TestGeneratedCharts runs the release lifecycle (server-side dry-run,
// install, upgrade, rollback, uninstall) for every charts/generated/<env>
// chart, one environment after the other, each in its own namespace. It
// fails when no generated chart exists.
func TestGeneratedCharts(t *testing.T) {
	requireE2E(t)
	requireTools(t)
	dirs := generatedCharts(t)
	c := sharedCluster(t)
	for _, dir := range dirs {
		env := filepath.Base(dir)
		if env == gitOpsChart {
			continue // TestGitOpsObjects
		}
		t.Run(env, func(t *testing.T) {
			ns, ok := envNamespaces[env]
			if !ok {
				t.Fatalf("charts/generated/%s: no environment %q in the catalog (environments.All)", env, env)
			}
			runLifecycle(t, c, lifecycle{env: env, chart: dir, namespace: ns, release: "telepace-" + env, namespaceLabels: envNamespaceLabels(t, env)})
		})
	}
}

// TestDevUmbrellaLifecycle installs the dev umbrella in one command on the
// local control plane, its dependencies vendored as `helm dependency
// build` would (cluster.VendorDependencies: the real external-secrets,
// sealed-secrets and seaweedfs charts, same-name, same-version stand-ins
// for the charts no repository can serve here), its crds/ included; then
// upgrades, rolls back and uninstalls it, with every check of the
// environment charts. seaweedfs's StatefulSets must become Ready, their
// claims bound by the cluster's stand-in provisioner.
func TestDevUmbrellaLifecycle(t *testing.T) {
	requireE2E(t)
	requireTools(t)
	c := sharedCluster(t)
	dir := copyChart(t, filepath.Join(repoRoot, "charts", "generated", "dev"))
	standIns, err := cluster.VendorDependencies(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("vendored the real charts %v; stand-ins for %v", cluster.RealCharts(), standIns)
	if got := kindObjects(renderChart(t, dir, "telepace-dev", envNamespaces["dev"], kubeVersion(t, c.Version.GitVersion)), statefulSetGK); len(got) == 0 {
		t.Fatal("the dev umbrella renders no StatefulSet: the real seaweedfs chart's master, filer and volume servers are missing")
	}
	// The environment's own namespace: the umbrella's scoped operators and
	// its secret store name it.
	runLifecycle(t, c, lifecycle{env: "dev-umbrella", chart: dir, namespace: envNamespaces["dev"], release: "telepace-dev", wantHookJob: true, namespaceLabels: envNamespaceLabels(t, "dev")})
}

// TestFixtureChartLifecycle runs the same lifecycle against the small
// fixture chart in testdata/fixture, which always exists: it keeps the
// harness honest while the generated charts change, and gives comparable
// timings.
func TestFixtureChartLifecycle(t *testing.T) {
	requireE2E(t)
	c := sharedCluster(t)
	runLifecycle(t, c, lifecycle{env: "fixture", chart: fixtureChart(), namespace: "e2e-fixture", release: "e2e-fixture", wantHookJob: true})
}

type lifecycle struct {
	env, chart, namespace, release string
	// wantHookJob requires a pre-install,pre-upgrade Job hook in the chart.
	wantHookJob bool
	// namespaceLabels are set on the namespace before anything is
	// installed: the environment's Pod Security levels, so that a pod
	// breaking the level it enforces fails the install, and one breaking
	// restricted (the level every namespace warns at) fails the dry run.
	// Without them the namespace is created bare, and warnings are only
	// logged.
	namespaceLabels map[string]string
}

var (
	deploymentGK = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	pdbGK        = schema.GroupKind{Group: "policy", Kind: "PodDisruptionBudget"}
)

func runLifecycle(t *testing.T, c *cluster.Cluster, lc lifecycle) {
	ctx := context.Background()
	k := newKube(t, c)
	kv := kubeVersion(t, c.Version.GitVersion)
	r := renderChart(t, lc.chart, lc.release, lc.namespace, kv)
	deploys := kindObjects(r, deploymentGK)
	if len(deploys) == 0 {
		t.Fatalf("%s renders no Deployment: nothing to install, upgrade and roll back", lc.chart)
	}
	hookJobs := hookJobNames(r)
	if lc.wantHookJob && len(hookJobs) == 0 {
		t.Fatalf("%s has no install and pre-upgrade Job hook", lc.chart)
	}
	if lc.namespaceLabels != nil {
		if err := k.applyNamespace(ctx, lc.namespace, lc.namespaceLabels); err != nil {
			t.Fatal(err)
		}
	} else if err := k.ensureNamespace(ctx, lc.namespace); err != nil {
		t.Fatal(err)
	}
	cfg := actionConfig(t, c, lc.namespace)
	t.Cleanup(func() {
		// Leave no release behind for the next environment, even on failure.
		if _, err := action.NewHistory(cfg).Run(lc.release); err == nil {
			u := action.NewUninstall(cfg)
			u.Wait, u.Timeout = true, helmTimeout
			if _, err := u.Run(lc.release); err != nil {
				t.Logf("cleanup: helm uninstall %s: %v", lc.release, err)
			}
		}
	})

	// Each step needs the previous one: stop at the first failing step.
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	var (
		durDryRun, durInstall, durUpgrade, durRollback, durUninstall time.Duration
		installSpecs                                                 map[string]map[string]any
		installImages                                                map[string][]string
		replicas                                                     map[string]int32 // live, after install (an HPA may own them)
	)

	step("server-side-dry-run", func(t *testing.T) {
		start := time.Now()
		var rejected, warned, depWarned []string
		// A dependency chart's pods may break restricted where the
		// namespace enforces less (dev: baseline, and the environment's
		// PodSecurity says which charts need it); enforcement, which
		// refuses their pods at install, checks the enforced level.
		deps := dependencyChartLabels(t, lc.chart)
		enforcesRestricted := lc.namespaceLabels[psa.EnforceLevelLabel] == string(psa.LevelRestricted)
		k.warnings.take()
		for _, o := range r.Objects {
			if err := k.dryRunCreate(ctx, o, lc.namespace); err != nil {
				rejected = append(rejected, fmt.Sprintf("%s: %v", objKey(o), err))
			}
			for _, w := range podSecurityWarnings(k.warnings.take()) {
				if dep, ok := deps[o.GetLabels()["helm.sh/chart"]]; ok && lc.namespaceLabels != nil && !enforcesRestricted {
					depWarned = append(depWarned, fmt.Sprintf("%s (chart %s): %s", objKey(o), dep, w))
					continue
				}
				warned = append(warned, fmt.Sprintf("%s: %s", objKey(o), w))
			}
		}
		if len(depWarned) > 0 {
			t.Logf("%s: %d objects of dependency charts break restricted, which namespace %s only warns at (it enforces %s):\n  %s", lc.env, len(depWarned),
				lc.namespace, lc.namespaceLabels[psa.EnforceLevelLabel], strings.Join(depWarned, "\n  "))
		}
		durDryRun = time.Since(start)
		if len(rejected) > 0 {
			t.Fatalf("the apiserver rejected %d of %d rendered objects (dryRun=All, fieldValidation=Strict):\n  %s",
				len(rejected), len(r.Objects), strings.Join(rejected, "\n  "))
		}
		switch {
		case len(warned) > 0 && lc.namespaceLabels != nil:
			t.Fatalf("%d rendered objects break restricted, which namespace %s warns at:\n  %s", len(warned), lc.namespace, strings.Join(warned, "\n  "))
		case len(warned) > 0:
			t.Logf("Pod Security warnings (namespace not labelled):\n  %s", strings.Join(warned, "\n  "))
		case lc.namespaceLabels != nil:
			t.Logf("%s: no rendered object breaks restricted (namespace %s enforces %s, warns at %s)", lc.env, lc.namespace,
				lc.namespaceLabels[psa.EnforceLevelLabel], lc.namespaceLabels[psa.WarnLevelLabel])
		}
		t.Logf("%s: %d rendered objects accepted by server-side dry-run in %s", lc.env, len(r.Objects), r10(durDryRun))
	})

	step("install", func(t *testing.T) {
		inst := action.NewInstall(cfg)
		inst.ReleaseName, inst.Namespace = lc.release, lc.namespace
		inst.CreateNamespace = true
		inst.Wait, inst.WaitForJobs, inst.Timeout = true, true, helmTimeout
		start := time.Now()
		rel, err := inst.RunWithContext(ctx, loadChart(t, lc.chart), nil)
		durInstall = time.Since(start)
		if err != nil {
			t.Fatalf("helm install %s: %v", lc.release, err)
		}
		t.Logf("%s: helm install --wait took %s", lc.env, r10(durInstall))
		checkHooks(t, rel, hookJobs, release.HookPreInstall, release.HookPostInstall)
		installImages = checkDeployments(t, ctx, k, lc.namespace, deploys, nil)
		checkStatefulSets(t, ctx, k, lc.namespace, kindObjects(r, statefulSetGK))
		installSpecs = deploymentSpecs(t, ctx, k, lc.namespace, deploys)
		replicas = liveReplicas(t, ctx, k, lc.namespace, deploys)
	})

	step("upgrade", func(t *testing.T) {
		target := pickDeployment(deploys, replicas)
		oldImage := containerImages(target)[0]
		newImage := retag(oldImage)
		upChart := copyChart(t, lc.chart)
		editDoc(t, upChart, "Deployment", target.GetName(), func(doc string) string {
			return replaceImageOnce(doc, oldImage, newImage)
		})
		// The edited chart must differ from the original in that one image only.
		ru := renderChart(t, upChart, lc.release, lc.namespace, kv)
		assertOnlyImageChanged(t, r, ru, target.GetName(), newImage)

		up := action.NewUpgrade(cfg)
		up.Namespace = lc.namespace
		up.Wait, up.WaitForJobs, up.Timeout = true, true, helmTimeout
		start := time.Now()
		rel, err := up.RunWithContext(ctx, lc.release, loadChart(t, upChart), nil)
		durUpgrade = time.Since(start)
		if err != nil {
			t.Fatalf("helm upgrade %s: %v", lc.release, err)
		}
		t.Logf("%s: helm upgrade --wait (Deployment %s: %s -> %s) took %s", lc.env, target.GetName(), oldImage, newImage, r10(durUpgrade))
		checkHooks(t, rel, hookJobs, release.HookPreUpgrade)
		want := map[string][]string{target.GetName(): append([]string{newImage}, installImages[target.GetName()][1:]...)}
		checkDeployments(t, ctx, k, lc.namespace, kindObjects(ru, deploymentGK), want)
		checkPDBs(t, ctx, k, lc.namespace, kindObjects(ru, pdbGK), kindObjects(ru, deploymentGK), replicas)
		checkTopologySpread(t, ctx, c, lc.namespace, kindObjects(ru, deploymentGK), replicas)
	})

	step("rollback", func(t *testing.T) {
		rb := action.NewRollback(cfg)
		rb.Version = 1
		rb.Wait, rb.WaitForJobs, rb.Timeout = true, true, helmTimeout
		start := time.Now()
		err := rb.Run(lc.release)
		durRollback = time.Since(start)
		if err != nil {
			t.Fatalf("helm rollback %s 1: %v", lc.release, err)
		}
		t.Logf("%s: helm rollback --wait to revision 1 took %s", lc.env, r10(durRollback))
		checkDeployments(t, ctx, k, lc.namespace, deploys, installImages)
		after := deploymentSpecs(t, ctx, k, lc.namespace, deploys)
		for name, before := range installSpecs {
			if !reflect.DeepEqual(before, after[name]) {
				t.Errorf("Deployment %s: .spec after rollback differs from after install:\n%s", name, diffJSON(before, after[name]))
			}
		}
		checkHistory(t, cfg, lc.release)
	})

	step("uninstall", func(t *testing.T) {
		u := action.NewUninstall(cfg)
		u.Wait, u.Timeout = true, helmTimeout
		start := time.Now()
		if _, err := u.Run(lc.release); err != nil {
			t.Fatalf("helm uninstall %s: %v", lc.release, err)
		}
		durUninstall = time.Since(start)
		t.Logf("%s: helm uninstall --wait took %s", lc.env, r10(durUninstall))
		checkGone(t, ctx, k, lc.namespace, lc.release, r)
	})

	record("%-8s dry-run %s, install %s, upgrade %s, rollback %s, uninstall %s", lc.env,
		r10(durDryRun), r10(durInstall), r10(durUpgrade), r10(durRollback), r10(durUninstall))
}

// checkT is the part of *testing.T the checkers use, so that a test can
// run them against a deliberately broken release and assert they fail.
type checkT interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Fatal(args ...any)
	Logf(format string, args ...any)
}

// dependencyChartLabels maps the helm.sh/chart label a dependency chart
// conventionally sets ("<name>-<version>") to the dependency's name, for
// every dependency chartDir's Chart.yaml declares.
func dependencyChartLabels(t *testing.T, chartDir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range loadChart(t, chartDir).Metadata.Dependencies {
		out[d.Name+"-"+strings.ReplaceAll(d.Version, "+", "_")] = d.Name
	}
	return out
}

func r10(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }

func loadChart(t *testing.T, dir string) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatalf("load chart %s: %v", dir, err)
	}
	return ch
}

// kindObjects returns the non-hook rendered objects of a kind, by name.
func kindObjects(r *rendered, gk schema.GroupKind) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r.Objects {
		if o.GroupVersionKind().GroupKind() == gk && !r.HookObjects[objKey(o)] {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

// hookJobNames returns the Jobs that are install (pre- or post-) and
// pre-upgrade hooks: the migrations.
func hookJobNames(r *rendered) []string {
	var out []string
	for _, h := range r.Hooks {
		if h.Kind != "Job" {
			continue
		}
		var install, upgrade bool
		for _, e := range h.Events {
			install = install || e == release.HookPreInstall || e == release.HookPostInstall
			upgrade = upgrade || e == release.HookPreUpgrade
		}
		if install && upgrade {
			out = append(out, h.Name)
		}
	}
	sort.Strings(out)
	return out
}

// checkHooks asserts every Job hook of one of the events ran to success.
func checkHooks(t *testing.T, rel *release.Release, hookJobs []string, events ...release.HookEvent) {
	t.Helper()
	ran := map[string]release.HookPhase{}
	on := map[string]release.HookEvent{}
	for _, h := range rel.Hooks {
		for _, e := range h.Events {
			if slices.Contains(events, e) && h.Kind == "Job" {
				ran[h.Name] = h.LastRun.Phase
				on[h.Name] = e
			}
		}
	}
	for _, name := range hookJobs {
		if ph := ran[name]; ph != release.HookPhaseSucceeded {
			t.Errorf("%v hook Job %s: last run phase %q, want %q", events, name, ph, release.HookPhaseSucceeded)
		} else {
			t.Logf("%s hook Job %s succeeded", on[name], name)
		}
	}
}

// checkDeployments waits until every Deployment is rolled out and
// Available with all its pods Ready on the fake nodes, running the images
// in want (name -> container images) or, for Deployments not in want, the
// images of their rendered template. It returns the images per Deployment.
func checkDeployments(t *testing.T, ctx context.Context, k *kube, ns string, deploys []*unstructured.Unstructured, want map[string][]string) map[string][]string {
	t.Helper()
	nodes := map[string]bool{}
	for _, n := range k.c.Nodes {
		nodes[n] = true
	}
	images := map[string][]string{}
	for _, d := range deploys {
		name := d.GetName()
		wantImages := containerImages(d)
		if w, ok := want[name]; ok {
			wantImages = w
		}
		images[name] = wantImages
		var last string
		err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, k.timeout, true, func(ctx context.Context) (bool, error) {
			dep, err := k.c.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				last = err.Error()
				return false, nil
			}
			last, err = deploymentNotReady(ctx, k, dep, wantImages, nodes)
			return last == "", err
		})
		if err != nil {
			t.Errorf("Deployment %s/%s not rolled out and Available: %v; last: %s", ns, name, err, last)
		}
	}
	return images
}

func deploymentNotReady(ctx context.Context, k *kube, d *appsv1.Deployment, wantImages []string, nodes map[string]bool) (string, error) {
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	st := d.Status
	if st.ObservedGeneration < d.Generation || st.UpdatedReplicas != replicas || st.ReadyReplicas != replicas ||
		st.AvailableReplicas != replicas || st.Replicas != replicas {
		return fmt.Sprintf("generation %d/%d, replicas %d updated %d ready %d available %d, want %d",
			st.ObservedGeneration, d.Generation, st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas, replicas), nil
	}
	available := false
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			available = true
		}
	}
	if !available {
		return "condition Available is not True", nil
	}
	var gotImages []string
	for _, c := range d.Spec.Template.Spec.Containers {
		gotImages = append(gotImages, c.Image)
	}
	if !reflect.DeepEqual(gotImages, wantImages) {
		return "", fmt.Errorf("template images %v, want %v", gotImages, wantImages)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return "", err
	}
	pods, err := k.c.Client.CoreV1().Pods(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return err.Error(), nil
	}
	if int32(len(pods.Items)) != replicas {
		return fmt.Sprintf("%d pods, want %d (old pods still terminating?)", len(pods.Items), replicas), nil
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			return "pod " + p.Name + " terminating", nil
		}
		if !nodes[p.Spec.NodeName] {
			return fmt.Sprintf("pod %s on node %q, not a fake node", p.Name, p.Spec.NodeName), nil
		}
		var imgs []string
		for _, c := range p.Spec.Containers {
			imgs = append(imgs, c.Image)
		}
		if !reflect.DeepEqual(imgs, wantImages) {
			return fmt.Sprintf("pod %s runs %v, want %v", p.Name, imgs, wantImages), nil
		}
		if !podReady(&p) {
			return "pod " + p.Name + " not Ready", nil
		}
	}
	return "", nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return p.Status.Phase == corev1.PodRunning
		}
	}
	return false
}

// deploymentSpecs returns the live .spec of each Deployment, as stored.
func deploymentSpecs(t *testing.T, ctx context.Context, k *kube, ns string, deploys []*unstructured.Unstructured) map[string]map[string]any {
	t.Helper()
	gvr := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	out := map[string]map[string]any{}
	for _, d := range deploys {
		live, err := k.get(ctx, gvr, ns, d.GetName())
		if err != nil {
			t.Fatalf("get Deployment %s: %v", d.GetName(), err)
		}
		spec, ok := live.Object["spec"].(map[string]any)
		if !ok {
			t.Fatalf("Deployment %s has no spec", d.GetName())
		}
		out[d.GetName()] = spec
	}
	return out
}

// liveReplicas returns each Deployment's live spec.replicas: the chart may
// leave it to a HorizontalPodAutoscaler (whose minReplicas then applies).
func liveReplicas(t *testing.T, ctx context.Context, k *kube, ns string, deploys []*unstructured.Unstructured) map[string]int32 {
	t.Helper()
	out := map[string]int32{}
	for _, d := range deploys {
		live, err := k.c.Client.AppsV1().Deployments(ns).Get(ctx, d.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get Deployment %s: %v", d.GetName(), err)
		}
		out[d.GetName()] = 1
		if live.Spec.Replicas != nil {
			out[d.GetName()] = *live.Spec.Replicas
		}
	}
	return out
}

// pickDeployment returns the first multi-replica Deployment by name, or
// the first Deployment.
func pickDeployment(deploys []*unstructured.Unstructured, replicas map[string]int32) *unstructured.Unstructured {
	for _, d := range deploys {
		if replicas[d.GetName()] > 1 {
			return d
		}
	}
	return deploys[0]
}

func containerImages(d *unstructured.Unstructured) []string {
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	var out []string
	for _, c := range cs {
		if m, ok := c.(map[string]any); ok {
			img, _ := m["image"].(string)
			out = append(out, img)
		}
	}
	return out
}

// retag returns image with its tag (or digest) replaced by a new tag.
func retag(image string) string {
	repo := image
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	return repo + ":e2e-upgrade"
}

// replaceImageOnce replaces the first `image: <old>` line of a document.
func replaceImageOnce(doc, oldImage, newImage string) string {
	re := regexp.MustCompile(`(?m)^(\s*-?\s*image:\s*)(["']?)` + regexp.QuoteMeta(oldImage) + `(["']?)[ \t]*$`)
	done := false
	return re.ReplaceAllStringFunc(doc, func(m string) string {
		if done {
			return m
		}
		done = true
		sub := re.FindStringSubmatch(m)
		return sub[1] + sub[2] + newImage + sub[3]
	})
}

// assertOnlyImageChanged checks that the edited chart renders the same
// objects as the original except for the first container image of one
// Deployment, so the upgrade step tests exactly what it claims to.
func assertOnlyImageChanged(t *testing.T, before, after *rendered, deployment, newImage string) {
	t.Helper()
	if len(before.Objects) != len(after.Objects) {
		t.Fatalf("edited chart renders %d objects, original %d", len(after.Objects), len(before.Objects))
	}
	for i, a := range after.Objects {
		b := before.Objects[i]
		if objKey(a) == objKey(b) && a.GetKind() == "Deployment" && a.GetName() == deployment && !before.HookObjects[objKey(b)] {
			if got := containerImages(a)[0]; got != newImage {
				t.Fatalf("edited Deployment %s has image %s, want %s", deployment, got, newImage)
			}
			a = a.DeepCopy()
			cs, _, _ := unstructured.NestedSlice(a.Object, "spec", "template", "spec", "containers")
			cs[0].(map[string]any)["image"] = containerImages(b)[0]
			_ = unstructured.SetNestedSlice(a.Object, cs, "spec", "template", "spec", "containers")
		}
		if !reflect.DeepEqual(a.Object, b.Object) {
			t.Fatalf("editing the image of %s also changed %s:\n%s", deployment, objKey(a), diffJSON(b.Object, a.Object))
		}
	}
}

// checkPDBs asserts each rendered PodDisruptionBudget exists with the
// rendered spec, selects the pods of at least one Deployment, and that the
// disruption controller counts them; and that every multi-replica
// Deployment is covered by a PodDisruptionBudget.
func checkPDBs(t checkT, ctx context.Context, k *kube, ns string, pdbs, deploys []*unstructured.Unstructured, replicas map[string]int32) {
	t.Helper()
	covered := map[string]bool{}
	gvr := schema.GroupVersionResource{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"}
	for _, p := range pdbs {
		live, err := k.get(ctx, gvr, ns, p.GetName())
		if err != nil {
			t.Errorf("PodDisruptionBudget %s: %v", p.GetName(), err)
			continue
		}
		if diffs := notSubset("spec", p.Object["spec"], live.Object["spec"]); len(diffs) > 0 {
			t.Errorf("PodDisruptionBudget %s: live spec differs from rendered: %s", p.GetName(), strings.Join(diffs, "; "))
		}
		typed, err := k.c.Client.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, p.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Errorf("PodDisruptionBudget %s: %v", p.GetName(), err)
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(typed.Spec.Selector)
		if err != nil {
			t.Errorf("PodDisruptionBudget %s: selector: %v", p.GetName(), err)
			continue
		}
		var expected int32
		var matched []string
		for _, d := range deploys {
			tmplLabels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
			if !sel.Empty() && sel.Matches(labels.Set(tmplLabels)) {
				expected += replicas[d.GetName()]
				matched = append(matched, d.GetName())
				covered[d.GetName()] = true
			}
		}
		if len(matched) == 0 {
			t.Errorf("PodDisruptionBudget %s (selector %s) matches the pods of no Deployment", p.GetName(), sel)
			continue
		}
		var last string
		err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, k.timeout, true, func(ctx context.Context) (bool, error) {
			cur, err := k.c.Client.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, p.GetName(), metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			s := cur.Status
			last = fmt.Sprintf("observedGeneration %d/%d expectedPods %d currentHealthy %d desiredHealthy %d",
				s.ObservedGeneration, cur.Generation, s.ExpectedPods, s.CurrentHealthy, s.DesiredHealthy)
			return s.ObservedGeneration >= cur.Generation && s.ExpectedPods == expected && s.CurrentHealthy >= s.DesiredHealthy, nil
		})
		if err != nil {
			t.Errorf("PodDisruptionBudget %s (for %v): want expectedPods %d and healthy: %v; last: %s", p.GetName(), matched, expected, err, last)
		} else {
			t.Logf("PodDisruptionBudget %s covers %v: %s", p.GetName(), matched, last)
		}
	}
	for _, d := range deploys {
		if n := replicas[d.GetName()]; n > 1 && !covered[d.GetName()] {
			t.Errorf("Deployment %s has %d replicas but no PodDisruptionBudget selects its pods", d.GetName(), n)
		}
	}
}

// notSubset lists the paths where want (rendered) is not contained in got
// (live, which also carries defaults).
func notSubset(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		var out []string
		for k, v := range w {
			out = append(out, notSubset(path+"."+k, v, g[k])...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, notSubset(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		return nil
	}
}

// checkTopologySpread asserts, for every multi-replica Deployment, that it
// declares a zone topologySpreadConstraint, and that its pods' placement
// respects every DoNotSchedule constraint's maxSkew over the domains of the
// fake nodes. ScheduleAnyway constraints are only preferences for the
// scheduler: their skew is logged, not asserted.
func checkTopologySpread(t checkT, ctx context.Context, c *cluster.Cluster, ns string, deploys []*unstructured.Unstructured, replicas map[string]int32) {
	t.Helper()
	nodeList, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range deploys {
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err != nil {
			t.Fatalf("Deployment %s: %v", u.GetName(), err)
		}
		n := replicas[d.Name]
		if n <= 1 {
			continue
		}
		tsc := d.Spec.Template.Spec.TopologySpreadConstraints
		hasZone := false
		for _, cst := range tsc {
			hasZone = hasZone || cst.TopologyKey == cluster.ZoneLabel
		}
		if !hasZone {
			t.Errorf("Deployment %s has %d replicas but no topologySpreadConstraint on %s", d.Name, n, cluster.ZoneLabel)
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			t.Fatal(err)
		}
		pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			t.Fatal(err)
		}
		for _, cst := range tsc {
			counts := spreadCounts(t, cst, d.Spec.Template.Spec.NodeSelector, pods.Items, nodeList.Items)
			total := 0
			for _, v := range counts {
				total += v
			}
			if total != int(n) {
				t.Errorf("Deployment %s: constraint on %s counts %d pods over %v, want all %d replicas", d.Name, cst.TopologyKey, total, counts, n)
			}
			skew := maxSkew(counts)
			desc := fmt.Sprintf("Deployment %s: %s spread (maxSkew %d, %s): %v, skew %d",
				d.Name, cst.TopologyKey, cst.MaxSkew, cst.WhenUnsatisfiable, counts, skew)
			switch {
			case cst.WhenUnsatisfiable == corev1.DoNotSchedule && skew > int(cst.MaxSkew):
				t.Errorf("%s: exceeds maxSkew", desc)
			case cst.WhenUnsatisfiable == corev1.DoNotSchedule:
				t.Logf("%s: ok", desc)
			default:
				t.Logf("%s: not enforced (ScheduleAnyway is a preference)", desc)
			}
		}
	}
}

// spreadCounts counts the running pods matching a constraint's selector
// (plus its matchLabelKeys) per topology domain of the eligible nodes
// (those with the key and matching the pod's nodeSelector).
func spreadCounts(t checkT, cst corev1.TopologySpreadConstraint, nodeSelector map[string]string, pods []corev1.Pod, nodes []corev1.Node) map[string]int {
	t.Helper()
	counts := map[string]int{}
	nodeDomain := map[string]string{}
	for _, n := range nodes {
		v, ok := n.Labels[cst.TopologyKey]
		if !ok || !labels.SelectorFromSet(nodeSelector).Matches(labels.Set(n.Labels)) {
			continue
		}
		counts[v] += 0
		nodeDomain[n.Name] = v
	}
	sel, err := metav1.LabelSelectorAsSelector(cst.LabelSelector)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if p.DeletionTimestamp != nil || p.Spec.NodeName == "" || !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		match := true
		for _, key := range cst.MatchLabelKeys {
			// All pods of the Deployment's current ReplicaSet share these
			// values (e.g. pod-template-hash); compare with the first pod.
			if len(pods) > 0 && p.Labels[key] != pods[0].Labels[key] {
				match = false
			}
		}
		if d, ok := nodeDomain[p.Spec.NodeName]; ok && match {
			counts[d]++
		}
	}
	return counts
}

func maxSkew(counts map[string]int) int {
	if len(counts) == 0 {
		return 0
	}
	lo, hi := int(^uint(0)>>1), 0
	for _, n := range counts {
		lo, hi = min(lo, n), max(hi, n)
	}
	return hi - lo
}

// checkHistory asserts the release has exactly the three revisions install,
// upgrade, rollback, the last one deployed from revision 1's manifest.
func checkHistory(t *testing.T, cfg *action.Configuration, name string) {
	t.Helper()
	h := action.NewHistory(cfg)
	h.Max = 256
	rels, err := h.Run(name)
	if err != nil {
		t.Fatalf("helm history %s: %v", name, err)
	}
	sort.Slice(rels, func(i, j int) bool { return rels[i].Version < rels[j].Version })
	var lines []string
	for _, r := range rels {
		lines = append(lines, fmt.Sprintf("%d %s %q", r.Version, r.Info.Status, r.Info.Description))
	}
	t.Logf("helm history %s:\n  %s", name, strings.Join(lines, "\n  "))
	if len(rels) != 3 {
		t.Fatalf("helm history %s: %d revisions, want 3 (install, upgrade, rollback)", name, len(rels))
	}
	last := rels[2]
	if last.Version != 3 || last.Info.Status != release.StatusDeployed ||
		!strings.Contains(strings.ToLower(last.Info.Description), "rollback") {
		t.Errorf("revision 3: version %d status %s description %q, want 3, deployed, a rollback", last.Version, last.Info.Status, last.Info.Description)
	}
	for _, r := range rels[:2] {
		if r.Info.Status != release.StatusSuperseded {
			t.Errorf("revision %d: status %s, want superseded", r.Version, r.Info.Status)
		}
	}
	if last.Manifest != rels[0].Manifest {
		t.Errorf("revision 3 manifest differs from revision 1's")
	}
}

// checkGone waits until nothing the chart created remains: no rendered
// object (hooks included), no pod, ReplicaSet or Job in the namespace, and
// no helm release record; the kept objects and the StatefulSets' retained
// claims (checkKeptClaims) must remain, and are then deleted.
func checkGone(t checkT, ctx context.Context, k *kube, ns, releaseName string, r *rendered) {
	t.Helper()
	var left []string
	var lastErr error
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, k.timeout, true, func(ctx context.Context) (bool, error) {
		// Report the last complete pass: a pass cut short near the poll's
		// deadline sees only client errors, not what is left.
		var pass []string
		for _, o := range r.Objects {
			ri, _, err := k.resource(o, ns)
			if err != nil {
				return false, err
			}
			_, err = ri.Get(ctx, o.GetName(), metav1.GetOptions{})
			switch {
			case r.Kept[objKey(o)]:
				// Checked below: it must still be there.
			case apierrors.IsNotFound(err):
			case err != nil:
				lastErr = fmt.Errorf("%s: %w", objKey(o), err)
				return false, nil
			default:
				what := objKey(o)
				if r.HookObjects[objKey(o)] {
					what += " (hook: its helm.sh/hook-delete-policy must delete it)"
				}
				pass = append(pass, what)
			}
		}
		pods, err := k.c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, p := range pods.Items {
			pass = append(pass, "Pod/"+p.Name)
		}
		rss, err := k.c.Client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, rs := range rss.Items {
			pass = append(pass, "ReplicaSet/"+rs.Name)
		}
		jobs, err := k.c.Client.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, j := range jobs.Items {
			pass = append(pass, "Job/"+j.Name)
		}
		secrets, err := k.c.Client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm,name=" + releaseName})
		if err != nil {
			return false, err
		}
		for _, s := range secrets.Items {
			pass = append(pass, "Secret/"+s.Name+" (helm release record)")
		}
		left = pass
		return len(pass) == 0, nil
	})
	if err != nil {
		t.Errorf("after helm uninstall, still present in %s: %s (last client error: %v)", ns, strings.Join(left, ", "), lastErr)
	} else {
		t.Logf("after helm uninstall none of the %d rendered objects but the %d kept ones, and no pod, ReplicaSet, Job or release record, remains", len(r.Objects), len(r.Kept))
	}
	// The kept objects (the generated Secrets' ExternalSecrets and their
	// generator) outlive the release, so the data stores' passwords do;
	// then they are removed by hand, as docs/secrets.md says.
	for _, o := range r.Objects {
		if !r.Kept[objKey(o)] {
			continue
		}
		ri, _, err := k.resource(o, ns)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ri.Get(ctx, o.GetName(), metav1.GetOptions{}); err != nil {
			t.Errorf("%s: a kept object must outlive helm uninstall: %v", objKey(o), err)
		}
		if o.GetKind() == "CustomResourceDefinition" {
			continue // shared by every test of the cluster
		}
		if err := ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("%s: delete: %v", objKey(o), err)
		}
	}
	checkKeptClaims(t, ctx, k, ns, r)
}

// dryRunCreate sends o to the apiserver as a dry-run create with strict
// field validation (an object that already exists is dry-run applied
// instead).
func (k *kube) dryRunCreate(ctx context.Context, o *unstructured.Unstructured, ns string) error {
	ri, m, err := k.resource(o, ns)
	if err != nil {
		return err
	}
	obj := o.DeepCopy()
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		obj.SetNamespace(ns)
	}
	_, err = ri.Create(ctx, obj, metav1.CreateOptions{
		DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict, FieldManager: "telepace-e2e",
	})
	if apierrors.IsAlreadyExists(err) {
		data, jerr := json.Marshal(obj.Object)
		if jerr != nil {
			return jerr
		}
		force := true
		_, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
			DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict, FieldManager: "telepace-e2e", Force: &force,
		})
	}
	return err
}

func diffJSON(a, b any) string {
	ja, _ := json.MarshalIndent(a, "", "  ")
	jb, _ := json.MarshalIndent(b, "", "  ")
	d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(ja)), B: difflib.SplitLines(string(jb)),
		FromFile: "before", ToFile: "after", Context: 3,
	})
	return d
}
