package e2e

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"helm.sh/helm/v3/pkg/action"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/compose"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
	"github.com/telepace/platform-charts/pkg/sealing"
	"github.com/telepace/platform-charts/test/e2e/cluster"
)

var (
	externalSecretGVR = schema.GroupVersionResource{Group: "external-secrets.io", Version: "v1", Resource: "externalsecrets"}
	secretStoreGVR    = schema.GroupVersionResource{Group: "external-secrets.io", Version: "v1", Resource: "secretstores"}
	sealedSecretGVR   = schema.GroupVersionResource{Group: "bitnami.com", Version: "v1alpha1", Resource: "sealedsecrets"}
	prometheusGVR     = schema.GroupVersionResource{Group: "monitoring.coreos.com", Version: "v1", Resource: "prometheuses"}
	alertmanagerGVR   = schema.GroupVersionResource{Group: "monitoring.coreos.com", Version: "v1", Resource: "alertmanagers"}
)

// operatorTimeout bounds each wait for an operator to act.
const operatorTimeout = 2 * time.Minute

// TestRealOperators installs the dev umbrella chart (its real
// external-secrets, sealed-secrets and seaweedfs charts, stand-ins for
// the others, as TestDevUmbrellaLifecycle does) and runs the real operators, built from
// the module proxy at the versions of their CRDs (crd-versions.txt), as
// plain processes against it:
//
//   - external-secrets, with its chart's container arguments and its
//     chart's ServiceAccount (a TokenRequest token), leader election off:
//     every ExternalSecret of the release becomes Ready, after the test
//     created the developer's source Secrets with the keys the catalog
//     (environments) says they hold. The SecretStore's server URL is
//     defaulted to kubernetes.default, which only resolves inside a pod:
//     the test points it at the loopback apiserver, nothing else;
//   - then every secretKeyRef, envFrom secretRef and secret volume of
//     every pod template of the release (hooks included) must name a key
//     of a Secret that exists in the namespace;
//   - sealed-secrets, with its chart's arguments and ServiceAccount (in a
//     private mount namespace, since it only knows rest.InClusterConfig):
//     a value sealed with the controller's certificate, fetched from its
//     HTTP endpoint, by pkg/sealing (what `synth seal` runs) into a
//     SealedSecret made by pc.NewSealedSecret is unsealed, the SealedSecret
//     reports Synced=True, and a re-sealed value reaches the Secret;
//   - prometheus-operator, scoped to the namespace: kube-prometheus-stack
//     is a stand-in in e2e, so the test creates the Prometheus and
//     Alertmanager it would, with the selectors the dev values set
//     (monitoring.prometheus.prometheusSpec.*Selector,
//     monitoring.alertmanager.alertmanagerSpec.alertmanagerConfigSelector);
//     both report Reconciled=True, every ServiceMonitor, PrometheusRule and
//     AlertmanagerConfig of the release is in the configuration the
//     operator generates, which passes `promtool check config
//     --syntax-only` (the files it names exist only in the pod),
//     `promtool check rules` and `amtool check-config`.
func TestRealOperators(t *testing.T) {
	requireE2E(t)
	tl := requireTools(t)
	c := sharedCluster(t)
	ctx := context.Background()
	k := newKube(t, c)
	const env = "dev"
	ns, release := envNamespaces[env], "telepace-"+env
	start := time.Now()

	dir := copyChart(t, filepath.Join(repoRoot, "charts", "generated", env))
	if _, err := cluster.VendorDependencies(ctx, dir); err != nil {
		t.Fatal(err)
	}
	kv := kubeVersion(t, c.Version.GitVersion)
	r := renderChart(t, dir, release, ns, kv)
	if err := k.ensureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	cfg := actionConfig(t, c, ns)
	secretsBefore := secretNames(t, ctx, k, ns)
	t.Cleanup(func() { cleanUpOperatorRun(t, k, cfg, ns, release, r, secretsBefore) })
	inst := action.NewInstall(cfg)
	inst.ReleaseName, inst.Namespace = release, ns
	inst.Wait, inst.WaitForJobs, inst.Timeout = true, true, helmTimeout
	if _, err := inst.RunWithContext(ctx, loadChart(t, dir), nil); err != nil {
		t.Fatalf("helm install %s: %v", release, err)
	}
	durInstall := time.Since(start)
	var durESO, durSealed, durPO time.Duration

	step := func(name string, d *time.Duration, f func(t *testing.T)) {
		s := time.Now()
		ok := t.Run(name, f)
		*d = time.Since(s)
		if !ok {
			t.FailNow()
		}
	}
	step("external-secrets", &durESO, func(t *testing.T) {
		runExternalSecrets(t, ctx, k, tl, env, ns, r)
		checkSecretReferences(t, ctx, k, ns, r)
	})
	step("sealed-secrets", &durSealed, func(t *testing.T) { runSealedSecrets(t, ctx, k, tl, ns, r) })
	step("prometheus-operator", &durPO, func(t *testing.T) { runPrometheusOperator(t, ctx, k, tl, dir, ns, release, r) })
	record("%-8s operators: install %s, external-secrets %s, sealed-secrets %s, prometheus-operator %s, total %s", "dev",
		r10(durInstall), r10(durESO), r10(durSealed), r10(durPO), r10(time.Since(start)))
}

func secretNames(t *testing.T, ctx context.Context, k *kube, ns string) map[string]bool {
	t.Helper()
	list, err := k.c.Client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, s := range list.Items {
		names[s.Name] = true
	}
	return names
}

// cleanUpOperatorRun leaves the namespace as the test found it for the
// tests that share it: it uninstalls the release, deletes the objects it
// keeps on purpose (the generated Secrets' ExternalSecrets), the Secrets
// the operators wrote that outlive it (creationPolicy Orphan, the sealing
// key, the Prometheus configuration), and the claims the release's
// StatefulSets retain, and waits until the pods and StatefulSets
// prometheus-operator made are gone.
func cleanUpOperatorRun(t *testing.T, k *kube, cfg *action.Configuration, ns, release string, r *rendered, secretsBefore map[string]bool) {
	ctx := context.Background()
	defer func() {
		for name := range secretNames(t, ctx, k, ns) {
			if secretsBefore[name] {
				continue
			}
			if err := k.c.Client.CoreV1().Secrets(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("cleanup: delete Secret %s: %v", name, err)
			}
		}
		var left []string
		err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, k.timeout, true, func(ctx context.Context) (bool, error) {
			left = nil
			sts, err := k.c.Client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			for _, s := range sts.Items {
				left = append(left, "StatefulSet/"+s.Name)
			}
			pods, err := k.c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			for _, p := range pods.Items {
				left = append(left, "Pod/"+p.Name)
			}
			return len(left) == 0, nil
		})
		if err != nil {
			t.Errorf("cleanup: still in %s: %v (%v)", ns, left, err)
		}
	}()
	if _, err := action.NewHistory(cfg).Run(release); err == nil {
		u := action.NewUninstall(cfg)
		u.Wait, u.Timeout = true, helmTimeout
		if _, err := u.Run(release); err != nil {
			t.Errorf("cleanup: helm uninstall %s: %v", release, err)
		}
	}
	for _, o := range r.Objects {
		if !r.Kept[objKey(o)] || o.GetKind() == "CustomResourceDefinition" {
			continue
		}
		ri, _, err := k.resource(o, ns)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			continue
		}
		if err := ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("cleanup: delete %s: %v", objKey(o), err)
		}
	}
	deleteClaims(t, ctx, k, ns, keptClaims(t, r))
}

// chartDeployment returns the release's Deployment of a subchart, found by
// its app.kubernetes.io/name label, and its only container.
func chartDeployment(t *testing.T, r *rendered, appName string) (*unstructured.Unstructured, corev1.PodSpec) {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, d := range kindObjects(r, deploymentGK) {
		if d.GetLabels()["app.kubernetes.io/name"] == appName {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		t.Fatalf("the release renders %d Deployments labelled app.kubernetes.io/name=%s, want 1", len(found), appName)
	}
	spec := podSpecOf(t, found[0])
	if len(spec.Containers) != 1 {
		t.Fatalf("Deployment %s: %d containers, want 1", found[0].GetName(), len(spec.Containers))
	}
	return found[0], spec
}

// podSpecOf returns the pod template's spec of a workload (Deployment,
// StatefulSet, DaemonSet, ReplicaSet, Job: spec.template; CronJob:
// spec.jobTemplate.spec.template).
func podSpecOf(t checkT, o *unstructured.Unstructured) corev1.PodSpec {
	t.Helper()
	path := []string{"spec", "template", "spec"}
	if o.GetKind() == "CronJob" {
		path = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	}
	m, ok, err := unstructured.NestedMap(o.Object, path...)
	if err != nil || !ok {
		t.Fatalf("%s: no %s: %v", objKey(o), strings.Join(path, "."), err)
	}
	var spec corev1.PodSpec
	data, err := yaml.Marshal(m)
	if err == nil {
		err = yaml.UnmarshalStrict(data, &spec)
	}
	if err != nil {
		t.Fatalf("%s: %s: %v", objKey(o), strings.Join(path, "."), err)
	}
	return spec
}

// serviceAccountToken returns a one-hour token of a ServiceAccount.
func serviceAccountToken(t *testing.T, ctx context.Context, k *kube, ns, name string) string {
	t.Helper()
	exp := int64(3600)
	tr, err := k.c.Client.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for ServiceAccount %s/%s: %v", ns, name, err)
	}
	return tr.Status.Token
}

func startOperator(t *testing.T, c *cluster.Cluster, opts cluster.OperatorOptions) *cluster.Operator {
	t.Helper()
	op, err := c.StartOperator(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log (%s), last lines:\n%s", op.Name, op.LogPath(), op.Tail(40))
		}
		if err := op.Stop(); err != nil {
			t.Logf("stop %s: %v", op.Name, err)
		}
	})
	return op
}

// freePort returns a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	ports, err := cluster.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return ports[0]
}

// plan plans an environment from the catalogs.
func plan(t *testing.T, env string) compose.Plan {
	t.Helper()
	e, ok := environments.Lookup(env)
	if !ok {
		t.Fatalf("environments: no environment %q", env)
	}
	p := compose.Compose(e)
	if len(p.Problems) > 0 {
		t.Fatalf("compose %s: %v", env, p.Problems)
	}
	return p
}

func runExternalSecrets(t *testing.T, ctx context.Context, k *kube, tl *cluster.Tools, env, ns string, r *rendered) {
	c := k.c
	// The developer's source Secrets: every key the catalog says the
	// Secret read from the store holds, and, for a Secret extracted whole,
	// every key its readers (the services, Kong consumers, Alertmanager
	// routing) declare, optional ones included.
	comp := plan(t, env)
	var refs []pc.SecretReference
	for _, s := range comp.Services {
		refs = append(refs, s.Props.SecretReferences()...)
	}
	for _, kc := range comp.Gateway.Consumers {
		refs = append(refs, kc.SecretReferences()...)
	}
	if comp.Monitoring.Alertmanager != nil {
		refs = append(refs, comp.Monitoring.Alertmanager.SecretReferences()...)
	}
	sources := map[string][]string{} // target Secret -> keys
	for _, s := range comp.Secrets.Sources {
		if !s.FromStore {
			continue
		}
		keys := slices.Clone(s.Keys)
		for _, ref := range refs {
			if ref.Secret == s.Name && !slices.Contains(keys, ref.Key) {
				keys = append(keys, ref.Key)
			}
		}
		sources[s.Name] = keys
	}
	var esNames []string
	for _, o := range r.Objects {
		if o.GroupVersionKind().GroupKind() != (schema.GroupKind{Group: externalSecretGVR.Group, Kind: "ExternalSecret"}) {
			continue
		}
		esNames = append(esNames, o.GetName())
		var es struct {
			Spec struct {
				SecretStoreRef struct{ Name string } `json:"secretStoreRef"`
				Target         struct{ Name string } `json:"target"`
				DataFrom       []struct {
					Extract *struct{ Key string } `json:"extract"`
				} `json:"dataFrom"`
				Data []struct {
					RemoteRef struct{ Key, Property string } `json:"remoteRef"`
				} `json:"data"`
			} `json:"spec"`
		}
		if err := fromUnstructured(o, &es); err != nil {
			t.Fatal(err)
		}
		if es.Spec.SecretStoreRef.Name == "" {
			continue // generated
		}
		keys, ok := sources[es.Spec.Target.Name]
		if !ok || len(keys) == 0 {
			t.Fatalf("ExternalSecret %s reads the store for Secret %s, but neither the %s composition nor its readers name a key of it", o.GetName(), es.Spec.Target.Name, env)
		}
		remote := map[string]map[string][]byte{}
		for _, df := range es.Spec.DataFrom {
			if df.Extract == nil {
				t.Fatalf("ExternalSecret %s: a dataFrom other than extract; the test knows how to feed extract and data only", o.GetName())
			}
			remote[df.Extract.Key] = map[string][]byte{}
			for _, key := range keys {
				remote[df.Extract.Key][key] = []byte("e2e-" + key)
			}
		}
		for _, d := range es.Spec.Data {
			if remote[d.RemoteRef.Key] == nil {
				remote[d.RemoteRef.Key] = map[string][]byte{}
			}
			remote[d.RemoteRef.Key][cmp.Or(d.RemoteRef.Property, "value")] = []byte("e2e-" + d.RemoteRef.Key)
		}
		for name, data := range remote {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
			if _, err := c.Client.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("create the developer's source Secret %s: %v", name, err)
			}
			t.Cleanup(func() { _ = c.Client.CoreV1().Secrets(ns).Delete(context.Background(), name, metav1.DeleteOptions{}) })
		}
	}
	if len(esNames) == 0 {
		t.Fatalf("the %s release renders no ExternalSecret", env)
	}
	sort.Strings(esNames)

	// kubernetes.default resolves only in a pod: point every SecretStore
	// of the kubernetes provider at the loopback apiserver (its TLS name
	// and the CA in kube-root-ca.crt stay as they are).
	stores, err := k.dyn.Resource(secretStoreGVR).Namespace(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stores.Items {
		if _, ok, _ := unstructured.NestedMap(s.Object, "spec", "provider", "kubernetes"); !ok {
			continue
		}
		patch := fmt.Sprintf(`{"spec":{"provider":{"kubernetes":{"server":{"url":%q}}}}}`, c.Config.Host)
		if _, err := k.dyn.Resource(secretStoreGVR).Namespace(ns).Patch(ctx, s.GetName(), types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatalf("SecretStore %s: point it at %s: %v", s.GetName(), c.Config.Host, err)
		}
	}

	dep, spec := chartDeployment(t, r, "external-secrets")
	token := serviceAccountToken(t, ctx, k, ns, spec.ServiceAccountName)
	kc, err := c.ServiceAccountKubeconfig("external-secrets", token)
	if err != nil {
		t.Fatal(err)
	}
	args := append(slices.Clone(spec.Containers[0].Args),
		fmt.Sprintf("--metrics-addr=127.0.0.1:%d", freePort(t)), "--enable-leader-election=false")
	t.Logf("external-secrets %s: Deployment %s's arguments and ServiceAccount %s: %q", tl.Versions["external-secrets"], dep.GetName(), spec.ServiceAccountName, args)
	op := startOperator(t, c, cluster.OperatorOptions{Name: "external-secrets", Binary: tl.Path("external-secrets"), Args: args, Kubeconfig: kc})

	notReady := map[string]string{}
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, operatorTimeout, true, func(ctx context.Context) (bool, error) {
		if done, err := op.Exited(); done {
			return false, fmt.Errorf("external-secrets exited: %v", err)
		}
		clear(notReady)
		for _, name := range esNames {
			es, err := k.dyn.Resource(externalSecretGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				notReady[name] = err.Error()
				continue
			}
			if st, msg := condition(es, "Ready"); st != "True" {
				notReady[name] = fmt.Sprintf("Ready=%q %s", st, msg)
			}
		}
		return len(notReady) == 0, nil
	})
	if err != nil {
		t.Fatalf("ExternalSecrets not Ready after %s: %v: %v", operatorTimeout, err, notReady)
	}
	t.Logf("all %d ExternalSecrets are Ready: %v", len(esNames), esNames)
}

// condition returns a status condition's status and message.
func condition(o *unstructured.Unstructured, typ string) (status, message string) {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			msg, _ := m["message"].(string)
			reason, _ := m["reason"].(string)
			return s, strings.TrimSpace(reason + " " + msg)
		}
	}
	return "", "(no " + typ + " condition)"
}

func fromUnstructured(o *unstructured.Unstructured, v any) error {
	data, err := yaml.Marshal(o.Object)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", objKey(o), err)
	}
	return nil
}

// secretRef is one reference of a pod template to a Secret's key ("" for
// a whole Secret: envFrom, a volume without items).
type secretRef struct{ where, secret, key string }

// podSecretRefs lists every Secret reference of a pod spec.
func podSecretRefs(owner string, spec corev1.PodSpec) []secretRef {
	var refs []secretRef
	containers := append(slices.Clone(spec.InitContainers), spec.Containers...)
	for _, ctr := range containers {
		where := owner + " container " + ctr.Name
		for _, e := range ctr.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				refs = append(refs, secretRef{where + " env " + e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key})
			}
		}
		for _, ef := range ctr.EnvFrom {
			if ef.SecretRef != nil {
				refs = append(refs, secretRef{where + " envFrom", ef.SecretRef.Name, ""})
			}
		}
	}
	for _, v := range spec.Volumes {
		where := owner + " volume " + v.Name
		if v.Secret != nil {
			if len(v.Secret.Items) == 0 {
				refs = append(refs, secretRef{where, v.Secret.SecretName, ""})
			}
			for _, it := range v.Secret.Items {
				refs = append(refs, secretRef{where, v.Secret.SecretName, it.Key})
			}
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.Secret == nil {
					continue
				}
				if len(src.Secret.Items) == 0 {
					refs = append(refs, secretRef{where, src.Secret.Name, ""})
				}
				for _, it := range src.Secret.Items {
					refs = append(refs, secretRef{where, src.Secret.Name, it.Key})
				}
			}
		}
	}
	return refs
}

var workloadKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "Job": true, "CronJob": true, "Pod": true}

// checkSecretReferences asserts every Secret reference of every pod
// template the release renders (hooks included) names an existing Secret
// and, when it names a key, a key of it.
func checkSecretReferences(t *testing.T, ctx context.Context, k *kube, ns string, r *rendered) {
	t.Helper()
	var refs []secretRef
	workloads := 0
	for _, o := range r.Objects {
		if !workloadKinds[o.GetKind()] {
			continue
		}
		workloads++
		var spec corev1.PodSpec
		if o.GetKind() == "Pod" {
			m, _, _ := unstructured.NestedMap(o.Object, "spec")
			if err := fromUnstructured(&unstructured.Unstructured{Object: m}, &spec); err != nil {
				t.Fatal(err)
			}
		} else {
			spec = podSpecOf(t, o)
		}
		refs = append(refs, podSecretRefs(objKey(o), spec)...)
	}
	if len(refs) == 0 {
		t.Fatalf("the release's %d pod templates reference no Secret: nothing to check", workloads)
	}
	secrets := map[string]*corev1.Secret{}
	var bad []string
	for _, ref := range refs {
		s, ok := secrets[ref.secret]
		if !ok {
			got, err := k.c.Client.CoreV1().Secrets(ns).Get(ctx, ref.secret, metav1.GetOptions{})
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s: Secret %s: %v", ref.where, ref.secret, err))
				continue
			}
			s, secrets[ref.secret] = got, got
		}
		if ref.key == "" {
			continue
		}
		if _, ok := s.Data[ref.key]; !ok {
			bad = append(bad, fmt.Sprintf("%s: Secret %s has no key %q (it has %v)", ref.where, ref.secret, ref.key, slices.Sorted(maps.Keys(s.Data))))
		}
	}
	if len(bad) > 0 {
		t.Fatalf("%d of %d Secret references of the release's pod templates do not resolve:\n  %s", len(bad), len(refs), strings.Join(bad, "\n  "))
	}
	t.Logf("all %d Secret references of %d pod templates resolve to %d Secrets in %s", len(refs), workloads, len(secrets), ns)
}

func runSealedSecrets(t *testing.T, ctx context.Context, k *kube, tl *cluster.Tools, ns string, r *rendered) {
	c := k.c
	dep, spec := chartDeployment(t, r, "sealed-secrets")
	token := serviceAccountToken(t, ctx, k, ns, spec.ServiceAccountName)
	listen, metrics := freePort(t), freePort(t)
	args := append(slices.Clone(spec.Containers[0].Args),
		fmt.Sprintf("--listen-addr=127.0.0.1:%d", listen), fmt.Sprintf("--listen-metrics-addr=127.0.0.1:%d", metrics))
	t.Logf("sealed-secrets %s: Deployment %s's arguments and ServiceAccount %s: %q", tl.Versions["sealed-secrets-controller"], dep.GetName(), spec.ServiceAccountName, args)
	op := startOperator(t, c, cluster.OperatorOptions{
		Name: "sealed-secrets", Binary: tl.Path("sealed-secrets-controller"), Args: args,
		InCluster: &cluster.ServiceAccountFiles{Token: token, Namespace: ns},
	})
	certPEM, err := op.GetHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/v1/cert.pem", listen), operatorTimeout)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sealing.ParseCertificate(certPEM)
	if err != nil {
		t.Fatalf("the controller's certificate: %v", err)
	}

	const name, key = "e2e-sealed", "password"
	seal := func(value string) map[string]any {
		ct, err := sealing.Seal(pub, ns, name, sealing.Strict, []byte(value))
		if err != nil {
			t.Fatalf("seal: %v", err)
		}
		objs := constructstest.MustSynth(t, func(chart constructs.Construct) {
			pc.NewSealedSecret(chart, name, pc.SealedSecretProps{
				Labels: pc.Labels{Name: "secrets", Instance: "e2e"}, EncryptedData: map[string]string{key: ct},
			})
		})
		return constructstest.Find(objs, "SealedSecret", name)
	}
	ri := k.dyn.Resource(sealedSecretGVR).Namespace(ns)
	t.Cleanup(func() {
		_ = ri.Delete(context.Background(), name, metav1.DeleteOptions{})
		_ = c.Client.CoreV1().Secrets(ns).Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	if _, err := ri.Create(ctx, &unstructured.Unstructured{Object: seal("first-value")}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create SealedSecret %s: %v", name, err)
	}
	waitUnsealed(t, ctx, k, op, ns, name, key, "first-value")

	// Re-seal a changed value: it must reach the same Secret.
	cur, err := ri.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	next := &unstructured.Unstructured{Object: seal("second-value")}
	next.SetResourceVersion(cur.GetResourceVersion())
	if _, err := ri.Update(ctx, next, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update SealedSecret %s: %v", name, err)
	}
	waitUnsealed(t, ctx, k, op, ns, name, key, "second-value")
}

// waitUnsealed waits until the Secret holds want under key and the
// SealedSecret, at its current generation, reports Synced=True.
func waitUnsealed(t *testing.T, ctx context.Context, k *kube, op *cluster.Operator, ns, name, key, want string) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, operatorTimeout, true, func(ctx context.Context) (bool, error) {
		if done, err := op.Exited(); done {
			return false, fmt.Errorf("sealed-secrets exited: %v", err)
		}
		ss, err := k.dyn.Resource(sealedSecretGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		st, msg := condition(ss, "Synced")
		observed, _, _ := unstructured.NestedInt64(ss.Object, "status", "observedGeneration")
		sec, err := k.c.Client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		got := "(no Secret)"
		if err == nil {
			got = fmt.Sprintf("%q", sec.Data[key])
		}
		last = fmt.Sprintf("Synced=%q %s at generation %d/%d; Secret %s[%s] = %s", st, msg, observed, ss.GetGeneration(), name, key, got)
		return st == "True" && observed == ss.GetGeneration() && err == nil && string(sec.Data[key]) == want, nil
	})
	if err != nil {
		t.Fatalf("SealedSecret %s/%s: the Secret does not hold the sealed value %q: %v; last: %s", ns, name, want, err, last)
	}
	t.Logf("SealedSecret %s/%s: Synced=True, Secret %s[%s] holds the sealed value %q", ns, name, name, key, want)
}

func runPrometheusOperator(t *testing.T, ctx context.Context, k *kube, tl *cluster.Tools, chartDir, ns, release string, r *rendered) {
	c := k.c
	values := readValues(t, filepath.Join(chartDir, "values.yaml"))
	selector := func(path ...string) map[string]any {
		m, ok, err := unstructured.NestedMap(values, path...)
		if err != nil || !ok {
			t.Fatalf("%s values.yaml: no %s (the selector kube-prometheus-stack would use): %v", chartDir, strings.Join(path, "."), err)
		}
		return m
	}
	promSpec := map[string]any{
		"serviceMonitorSelector":          selector("monitoring", "prometheus", "prometheusSpec", "serviceMonitorSelector"),
		"serviceMonitorNamespaceSelector": map[string]any{},
		"ruleSelector":                    selector("monitoring", "prometheus", "prometheusSpec", "ruleSelector"),
		"ruleNamespaceSelector":           map[string]any{},
		"alerting": map[string]any{"alertmanagers": []any{map[string]any{
			"namespace": ns, "name": "alertmanager-operated", "port": "http-web",
		}}},
	}
	amSpec := map[string]any{
		"alertmanagerConfigSelector":          selector("monitoring", "alertmanager", "alertmanagerSpec", "alertmanagerConfigSelector"),
		"alertmanagerConfigNamespaceSelector": map[string]any{},
	}
	for _, o := range []struct {
		gvr  schema.GroupVersionResource
		kind string
		spec map[string]any
	}{{prometheusGVR, "Prometheus", promSpec}, {alertmanagerGVR, "Alertmanager", amSpec}} {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "monitoring.coreos.com/v1", "kind": o.kind,
			"metadata": map[string]any{"name": "e2e", "namespace": ns}, "spec": o.spec,
		}}
		if _, err := k.dyn.Resource(o.gvr).Namespace(ns).Create(ctx, obj, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil {
			t.Fatalf("create %s e2e: %v", o.kind, err)
		}
		t.Cleanup(func() {
			_ = k.dyn.Resource(o.gvr).Namespace(ns).Delete(context.Background(), "e2e", metav1.DeleteOptions{})
		})
	}

	args := []string{
		"--namespaces=" + ns,
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", freePort(t)),
		"--log-level=info",
	}
	t.Logf("prometheus-operator %s: %q", tl.Versions["prometheus-operator"], args)
	op := startOperator(t, c, cluster.OperatorOptions{Name: "prometheus-operator", Binary: tl.Path("prometheus-operator"), Args: args})

	var (
		serviceMonitors = kindNames(r, "ServiceMonitor")
		rules           = kindNames(r, "PrometheusRule")
		amConfigs       = kindNames(r, "AlertmanagerConfig")
	)
	if len(serviceMonitors) == 0 || len(rules) == 0 || len(amConfigs) == 0 {
		t.Fatalf("the release renders %d ServiceMonitors, %d PrometheusRules, %d AlertmanagerConfigs; want some of each", len(serviceMonitors), len(rules), len(amConfigs))
	}

	var promCfg, amCfg []byte
	var ruleFiles map[string]string
	var last string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, operatorTimeout, true, func(ctx context.Context) (bool, error) {
		if done, err := op.Exited(); done {
			return false, fmt.Errorf("prometheus-operator exited: %v", err)
		}
		var missing []string
		for _, o := range []schema.GroupVersionResource{prometheusGVR, alertmanagerGVR} {
			obj, err := k.dyn.Resource(o).Namespace(ns).Get(ctx, "e2e", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if st, msg := condition(obj, "Reconciled"); st != "True" {
				missing = append(missing, fmt.Sprintf("%s e2e Reconciled=%q %s", o.Resource, st, msg))
			}
		}
		var err error
		if promCfg, err = gunzipSecret(ctx, k, ns, "prometheus-e2e", "prometheus.yaml.gz"); err != nil {
			missing = append(missing, err.Error())
		}
		if amCfg, err = gunzipSecret(ctx, k, ns, "alertmanager-e2e-generated", "alertmanager.yaml.gz"); err != nil {
			missing = append(missing, err.Error())
		}
		ruleFiles = map[string]string{}
		cms, err := c.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, cm := range cms.Items {
			if !strings.HasPrefix(cm.Name, "prometheus-e2e-rulefiles-") {
				continue
			}
			for f, data := range cm.Data {
				ruleFiles[f] = data
			}
		}
		for _, name := range serviceMonitors {
			if !bytes.Contains(promCfg, []byte("serviceMonitor/"+ns+"/"+name+"/")) {
				missing = append(missing, "ServiceMonitor "+name+" not in prometheus.yaml")
			}
		}
		for _, name := range rules {
			if !hasRuleFile(ruleFiles, ns, name) {
				missing = append(missing, "PrometheusRule "+name+" not in the rule files")
			}
		}
		for _, name := range amConfigs {
			if !bytes.Contains(amCfg, []byte(ns+"/"+name+"/")) {
				missing = append(missing, "AlertmanagerConfig "+name+" not in alertmanager.yaml")
			}
		}
		last = strings.Join(missing, "; ")
		return len(missing) == 0, nil
	})
	if err != nil {
		t.Fatalf("prometheus-operator did not accept every object after %s: %v; last: %s", operatorTimeout, err, last)
	}
	t.Logf("prometheus-operator: Prometheus and Alertmanager Reconciled; %d ServiceMonitors in prometheus.yaml, %d PrometheusRules in %d rule files, %d AlertmanagerConfigs in alertmanager.yaml",
		len(serviceMonitors), len(rules), len(ruleFiles), len(amConfigs))

	work := t.TempDir()
	promFile, amFile := "prometheus.yaml", "alertmanager.yaml"
	if err := os.WriteFile(filepath.Join(work, promFile), promCfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, amFile), amCfg, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(bin string, args ...string) {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
			return
		}
		t.Logf("%s %s: %s", filepath.Base(bin), strings.Join(args, " "), strings.TrimSpace(string(out)))
	}
	run(tl.Path("promtool"), "check", "config", "--syntax-only", promFile)
	var rf []string
	for _, f := range slices.Sorted(maps.Keys(ruleFiles)) {
		if err := os.WriteFile(filepath.Join(work, f), []byte(ruleFiles[f]), 0o600); err != nil {
			t.Fatal(err)
		}
		rf = append(rf, f)
	}
	run(tl.Path("promtool"), append([]string{"check", "rules"}, rf...)...)
	run(tl.Path("amtool"), "check-config", amFile)
}

// kindNames returns the names of the release's non-hook objects of a kind.
func kindNames(r *rendered, kind string) []string {
	var out []string
	for _, o := range r.Objects {
		if o.GetKind() == kind && !r.HookObjects[objKey(o)] {
			out = append(out, o.GetName())
		}
	}
	sort.Strings(out)
	return out
}

// hasRuleFile reports whether the operator wrote a rule file for the
// PrometheusRule ns/name (it names them <ns>-<name>-<uid>.yaml).
func hasRuleFile(files map[string]string, ns, name string) bool {
	for f := range files {
		if strings.HasPrefix(f, ns+"-"+name+"-") && strings.HasSuffix(f, ".yaml") {
			return true
		}
	}
	return false
}

func gunzipSecret(ctx context.Context, k *kube, ns, name, key string) ([]byte, error) {
	s, err := k.c.Client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("Secret %s: %w", name, err)
	}
	data, ok := s.Data[key]
	if !ok {
		return nil, fmt.Errorf("Secret %s has no key %s", name, key)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("Secret %s[%s]: %w", name, key, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("Secret %s[%s]: %w", name, key, err)
	}
	return out, nil
}

func readValues(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}
