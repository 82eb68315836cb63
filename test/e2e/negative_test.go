package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAPIServerRejectsInvalidObjects shows the checks the lifecycle relies
// on can fail: the real apiserver rejects invalid objects, built-in and
// custom, with these messages, and stores nothing.
func TestAPIServerRejectsInvalidObjects(t *testing.T) {
	requireE2E(t)
	c := sharedCluster(t)
	k := newKube(t, c)
	ctx := context.Background()
	const ns = "e2e-negative"
	if err := k.ensureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, manifest string
		want           []string
	}{{
		name: "deployment with negative replicas",
		manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad-replicas}
spec:
  replicas: -1
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad}}
    spec: {containers: [{name: c, image: ghcr.io/telepace/e2e-web:1.0.0}]}
`,
		want: []string{`spec.replicas: Invalid value: -1: must be greater than or equal to 0`},
	}, {
		name: "deployment whose selector does not match its template",
		manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad-selector}
spec:
  selector: {matchLabels: {app: one}}
  template:
    metadata: {labels: {app: other}}
    spec: {containers: [{name: c, image: ghcr.io/telepace/e2e-web:1.0.0}]}
`,
		want: []string{"spec.template.metadata.labels", "`selector` does not match template `labels`"},
	}, {
		name: "service with an unknown field (strict field validation)",
		manifest: `
apiVersion: v1
kind: Service
metadata: {name: bad-field}
spec:
  portz: [{port: 80}]
  ports: [{port: 80}]
`,
		want: []string{`unknown field "spec.portz"`},
	}, {
		name: "ServiceMonitor violating its CRD schema",
		manifest: `
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: bad-schema}
spec:
  selector: {matchLabels: {app: bad}}
  endpoints: http
`,
		want: []string{`spec.endpoints: Invalid value: "string": spec.endpoints in body must be of type array`},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := parseObjects(t, tc.manifest)
			if len(objs) != 1 {
				t.Fatalf("test manifest has %d objects", len(objs))
			}
			o := objs[0]
			o.SetNamespace(ns)
			ri, _, err := k.resource(o, ns)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ri.Create(ctx, o, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict})
			if err == nil {
				t.Fatalf("the apiserver accepted %s", objKey(o))
			}
			if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
				t.Errorf("error is %T (reason %q), want Invalid or BadRequest: %v", err, apierrors.ReasonForError(err), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err.Error(), w)
				}
			}
			if _, gerr := ri.Get(ctx, o.GetName(), metav1.GetOptions{}); !apierrors.IsNotFound(gerr) {
				t.Errorf("rejected %s was stored (get: %v)", objKey(o), gerr)
			}
			t.Logf("rejected as expected: %v", err)
		})
	}

	t.Run("helm install of a chart with an invalid object", func(t *testing.T) {
		cfg := actionConfig(t, c, ns)
		inst := action.NewInstall(cfg)
		inst.ReleaseName, inst.Namespace = "e2e-invalid", ns
		inst.Wait, inst.Timeout = true, helmTimeout
		_, err := inst.RunWithContext(ctx, loadChart(t, filepath.Join(repoRoot, "test", "e2e", "testdata", "invalid")), nil)
		t.Cleanup(func() { _, _ = action.NewUninstall(cfg).Run("e2e-invalid") })
		if err == nil {
			t.Fatal("helm install of testdata/invalid succeeded")
		}
		const want = `spec.replicas: Invalid value: -1: must be greater than or equal to 0`
		if !strings.Contains(err.Error(), want) {
			t.Errorf("helm install error %q does not contain the apiserver's %q", err, want)
		}
		if _, gerr := c.Client.AppsV1().Deployments(ns).Get(ctx, "invalid", metav1.GetOptions{}); !apierrors.IsNotFound(gerr) {
			t.Errorf("Deployment invalid exists after the failed install (get: %v)", gerr)
		}
		t.Logf("helm install failed as expected: %v", err)
	})
}

// TestUpgradeChangingSelectorFails installs the fixture chart, then
// upgrades it to a copy whose Deployment has a different spec.selector: the
// apiserver refuses the immutable change, the upgrade fails, and the live
// Deployment keeps its selector.
func TestUpgradeChangingSelectorFails(t *testing.T) {
	requireE2E(t)
	c := sharedCluster(t)
	ctx := context.Background()
	const ns, name = "e2e-immutable", "e2e-immutable"
	cfg := actionConfig(t, c, ns)

	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace, inst.CreateNamespace = name, ns, true
	inst.Wait, inst.WaitForJobs, inst.Timeout = true, true, helmTimeout
	if _, err := inst.RunWithContext(ctx, loadChart(t, fixtureChart()), nil); err != nil {
		t.Fatalf("helm install: %v", err)
	}
	t.Cleanup(func() {
		u := action.NewUninstall(cfg)
		u.Wait, u.Timeout = true, helmTimeout
		if _, err := u.Run(name); err != nil {
			t.Errorf("helm uninstall: %v", err)
		}
	})
	before, err := c.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	changed := copyChart(t, fixtureChart())
	editDoc(t, changed, "Deployment", "web", func(doc string) string {
		// Selector, template labels and the spread/affinity selectors all
		// change together: a valid Deployment, but a new selector.
		return strings.ReplaceAll(doc, "app.kubernetes.io/name: web", "app.kubernetes.io/name: web-v2")
	})
	up := action.NewUpgrade(cfg)
	up.Namespace = ns
	up.Wait, up.WaitForJobs, up.Timeout = true, true, helmTimeout
	_, err = up.RunWithContext(ctx, name, loadChart(t, changed), nil)
	if err == nil {
		t.Fatal("helm upgrade changing the Deployment's spec.selector succeeded")
	}
	for _, want := range []string{"spec.selector", "field is immutable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("helm upgrade error does not contain %q: %v", want, err)
		}
	}
	t.Logf("helm upgrade failed as expected: %v", err)

	after, err := c.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := metav1.FormatLabelSelector(after.Spec.Selector), metav1.FormatLabelSelector(before.Spec.Selector); got != want {
		t.Errorf("live selector changed to %s (was %s)", got, want)
	}
	rel, err := action.NewGet(cfg).Run(name)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Version != 2 || rel.Info.Status != release.StatusFailed {
		t.Errorf("latest revision %d is %s, want 2 failed", rel.Version, rel.Info.Status)
	}
}

// TestLifecycleChecksDetectBrokenChart installs testdata/broken and runs
// the lifecycle checkers on it with a recorder instead of t: each must
// report the rule the chart breaks. This keeps the checks able to fail.
func TestLifecycleChecksDetectBrokenChart(t *testing.T) {
	requireE2E(t)
	c := sharedCluster(t)
	ctx := context.Background()
	const ns, name = "e2e-broken", "e2e-broken"
	k := newKube(t, c)
	k.timeout = 15 * time.Second // the checks are expected to time out
	chartDir := filepath.Join(repoRoot, "test", "e2e", "testdata", "broken")
	r := renderChart(t, chartDir, name, ns, kubeVersion(t, c.Version.GitVersion))
	cfg := actionConfig(t, c, ns)
	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace, inst.CreateNamespace = name, ns, true
	inst.Wait, inst.WaitForJobs, inst.Timeout = true, true, helmTimeout
	if _, err := inst.RunWithContext(ctx, loadChart(t, chartDir), nil); err != nil {
		t.Fatalf("helm install: %v", err)
	}
	t.Cleanup(func() {
		_, _ = action.NewUninstall(cfg).Run(name)
		_ = c.Client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	deploys := kindObjects(r, deploymentGK)
	replicas := liveReplicas(t, ctx, k, ns, deploys)

	expectFailure(t, "checkPDBs", []string{
		"PodDisruptionBudget selects-nothing (selector app.kubernetes.io/name=nobody) matches the pods of no Deployment",
		"Deployment unprotected has 3 replicas but no PodDisruptionBudget selects its pods",
	}, func(rec checkT) { checkPDBs(rec, ctx, k, ns, kindObjects(r, pdbGK), deploys, replicas) })

	expectFailure(t, "checkTopologySpread", []string{
		"Deployment unprotected has 3 replicas but no topologySpreadConstraint on topology.kubernetes.io/zone",
	}, func(rec checkT) { checkTopologySpread(rec, ctx, c, ns, deploys, replicas) })

	u := action.NewUninstall(cfg)
	u.Wait, u.Timeout = true, helmTimeout
	if _, err := u.Run(name); err != nil {
		t.Fatalf("helm uninstall: %v", err)
	}
	expectFailure(t, "checkGone", []string{
		"Job.batch/leftover-hook (hook: its helm.sh/hook-delete-policy must delete it)",
	}, func(rec checkT) { checkGone(rec, ctx, k, ns, name, r) })
}

// recorder is a checkT that records failures instead of failing the test.
type recorder struct {
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Logf(string, ...any)       {}
func (r *recorder) Errorf(f string, a ...any) { r.add(fmt.Sprintf(f, a...)) }
func (r *recorder) Fatalf(f string, a ...any) { r.add(fmt.Sprintf(f, a...)); runtime.Goexit() }
func (r *recorder) Fatal(a ...any)            { r.add(fmt.Sprint(a...)); runtime.Goexit() }
func (r *recorder) add(s string)              { r.mu.Lock(); r.errors = append(r.errors, s); r.mu.Unlock() }

// expectFailure runs check with a recorder and requires every wanted
// message among the failures it reported.
func expectFailure(t *testing.T, name string, want []string, check func(checkT)) {
	t.Helper()
	rec := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(rec)
	}()
	<-done
	all := strings.Join(rec.errors, "\n")
	if len(rec.errors) == 0 {
		t.Errorf("%s reported no failure on the broken chart", name)
	}
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("%s did not report %q; it reported:\n%s", name, w, all)
		}
	}
	if !t.Failed() {
		t.Logf("%s failed as it must: %s", name, strings.ReplaceAll(all, "\n", " | "))
	}
}
