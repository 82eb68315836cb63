package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	psa "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	"github.com/telepace/platform-charts/environments"
)

// envNamespaceLabels returns the labels the namespace of the generated
// chart env carries in a cluster: its environment's Pod Security levels,
// as Argo CD sets them (environments.PodSecurity). It fails the test for
// a chart no environment declares.
func envNamespaceLabels(t *testing.T, env string) map[string]string {
	t.Helper()
	e, ok := environments.Lookup(env)
	if !ok {
		t.Fatalf("charts/generated/%s: no environment %q in environments.All()", env, env)
	}
	return e.PodSecurity.Labels()
}

// applyNamespace creates ns, or updates it, with exactly labels among the
// labels this suite manages (server-side apply), so that a namespace left
// by an earlier test enforces what the environment says too.
func (k *kube) applyNamespace(ctx context.Context, ns string, labels map[string]string) error {
	data, err := json.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns, "labels": labels},
	})
	if err != nil {
		return err
	}
	_, err = k.c.Client.CoreV1().Namespaces().Patch(ctx, ns, types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: "telepace-e2e", Force: ptr.To(true)})
	return err
}

// warnings records the warnings the apiserver returns (such as Pod
// Security's "would violate PodSecurity"), for a client built with it.
type warnings struct {
	mu   sync.Mutex
	list []string
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// take returns the warnings recorded since the last call, and forgets them.
func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}

// podSecurityWarnings returns the Pod Security warnings among ws.
func podSecurityWarnings(ws []string) []string {
	var out []string
	for _, w := range ws {
		if strings.Contains(w, "violate PodSecurity") {
			out = append(out, w)
		}
	}
	return out
}

// TestPodSecurityIsEnforced labels a namespace per environment exactly as
// its Application does (environments.PodSecurity), then asks the real
// apiserver to create a privileged pod there: refused, with the standard's
// exact verdict, wherever the level is above privileged; admitted, with a
// restricted warning, where it is privileged. A pod that meets restricted
// is admitted everywhere, without a warning. The expected verdict per level
// is literal; which level applies comes from the environments.
func TestPodSecurityIsEnforced(t *testing.T) {
	requireE2E(t)
	c := sharedCluster(t)
	k := newKube(t, c)
	ctx := context.Background()
	rec := &warnings{}
	cfg := rest.CopyConfig(c.Config)
	cfg.WarningHandler = rec
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	refused := map[psa.Level]string{
		psa.LevelRestricted: `pods "privileged" is forbidden: violates PodSecurity "restricted:v1.30": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`,
		psa.LevelBaseline:   `pods "privileged" is forbidden: violates PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)`,
	}
	privileged := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "privileged"},
		Spec: corev1.PodSpec{
			HostNetwork: true,
			Containers:  []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}},
		},
	}
	restricted := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "restricted"},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10", SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			}}},
		},
	}
	for _, env := range environments.All() {
		t.Run(env.Name, func(t *testing.T) {
			ns := "e2e-podsec-" + env.Name
			if err := k.applyNamespace(ctx, ns, env.PodSecurity.Labels()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
			pods := client.CoreV1().Pods(ns)

			rec.take()
			_, err := pods.Create(ctx, restricted, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			if err != nil {
				t.Errorf("a pod that meets restricted was refused: %v", err)
			}
			if w := podSecurityWarnings(rec.take()); len(w) > 0 {
				t.Errorf("a pod that meets restricted drew warnings: %v", w)
			}

			want, enforced := refused[env.PodSecurity.Enforce]
			if !enforced {
				// privileged: admitted (dry run: nothing is left to run), and
				// the warning at restricted names it.
				_, err := pods.Create(ctx, privileged, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				if err != nil {
					t.Fatalf("%s enforces %s, yet the apiserver refused a privileged pod: %v", ns, env.PodSecurity.Enforce, err)
				}
				if w := podSecurityWarnings(rec.take()); len(w) == 0 {
					t.Errorf("%s warns at restricted, yet the privileged pod drew no Pod Security warning", ns)
				} else {
					t.Logf("admitted with the warning: %s", w[0])
				}
				return
			}
			_, err = pods.Create(ctx, privileged, metav1.CreateOptions{})
			if err == nil {
				_ = pods.Delete(ctx, privileged.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
				t.Fatalf("%s enforces %s, yet the apiserver admitted a privileged pod", ns, env.PodSecurity.Enforce)
			}
			if !apierrors.IsForbidden(err) {
				t.Errorf("error is %T (reason %q), want Forbidden: %v", err, apierrors.ReasonForError(err), err)
			}
			if err.Error() != want {
				t.Errorf("error:\n  %s\nwant:\n  %s", err, want)
			}
			if _, gerr := pods.Get(ctx, privileged.Name, metav1.GetOptions{}); !apierrors.IsNotFound(gerr) {
				t.Errorf("the refused pod was stored (get: %v)", gerr)
			}
			t.Logf("refused as expected: %v", err)
		})
	}
}
