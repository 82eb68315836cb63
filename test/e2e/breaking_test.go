package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/telepace/platform-charts/internal/breakingcases"
	"github.com/telepace/platform-charts/pkg/diff"
	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// TestBreakingChangesAgreeWithTheAPIServer applies every change under
// pkg/diff/testdata/breaking the way an operator would, helm install then
// helm upgrade, on the real apiserver, and checks that synth diff's
// verdict and the cluster agree in both directions:
//
//   - a change the diff calls breaking on a field makes helm upgrade fail
//     with the apiserver's refusal;
//   - a removal the diff calls breaking deletes the object;
//   - a namespace change the diff calls breaking is refused by the
//     apiserver as an update of the live object;
//   - a change the diff lets through upgrades cleanly, and a removed object
//     the diff calls safe is still there.
func TestBreakingChangesAgreeWithTheAPIServer(t *testing.T) {
	c := sharedCluster(t)
	k := newKube(t, c)
	ctx := context.Background()
	cases, err := breakingcases.Load(filepath.Join(repoRoot, "pkg", "diff", "testdata", "breaking"))
	if err != nil {
		t.Fatal(err)
	}
	kv := kubeVersion(t, c.Version.GitVersion)
	// Claims are resized only through a class that allows it, and only
	// once bound; a real cluster's provisioner does both.
	for _, class := range []string{"standard", "fast"} {
		allow := true
		_, err := c.Client.StorageV1().StorageClasses().Create(ctx, &storagev1.StorageClass{
			ObjectMeta:           metav1.ObjectMeta{Name: class},
			Provisioner:          "kubernetes.io/no-provisioner",
			AllowVolumeExpansion: &allow,
		}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"break-ns-a", "break-ns-b"} {
		if err := k.ensureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	var breaking, safe int
	for _, bc := range cases {
		t.Run(bc.Name, func(t *testing.T) {
			report, err := bc.Compare()
			if err != nil {
				t.Fatal(err)
			}
			ns := "brk-" + bc.Name
			if err := k.ensureNamespace(ctx, ns); err != nil {
				t.Fatal(err)
			}
			live := func(id diff.ID) string {
				if id.Namespace == breakingcases.Namespace {
					return ns
				}
				return id.Namespace
			}
			cfg := actionConfig(t, c, ns)
			inst := action.NewInstall(cfg)
			inst.ReleaseName, inst.Namespace, inst.KubeVersion, inst.Timeout = "brk", ns, kv, 2*time.Minute
			if _, err := inst.RunWithContext(ctx, loadChart(t, writeChart(t, bc.Name, bc.Base)), nil); err != nil {
				t.Fatalf("helm install of the base: %v", err)
			}
			bindClaims(t, ctx, c.Client, ns)
			up := action.NewUpgrade(cfg)
			up.Namespace, up.Timeout = ns, 2*time.Minute
			_, upErr := up.RunWithContext(ctx, "brk", loadChart(t, writeChart(t, bc.Name, bc.Head)), nil)

			base, _, err := bc.Charts()
			if err != nil {
				t.Fatal(err)
			}
			if len(report.Breaking) == 0 {
				safe++
				if upErr != nil {
					t.Fatalf("synth diff finds nothing breaking, but helm upgrade failed: %v", upErr)
				}
				// Nothing the diff let through was deleted.
				for _, o := range base.Objects {
					if gone, _ := deleted(t, ctx, k, o, live(o.ID())); gone && diff.HoldsData(o) {
						t.Errorf("synth diff finds nothing breaking, but %s was deleted", o.ID())
					}
				}
				return
			}
			breaking++
			for _, b := range report.Breaking {
				switch b.Field {
				case "":
					if upErr != nil {
						t.Fatalf("%s: removal expected to go through and delete, but helm upgrade failed: %v", b.Object, upErr)
					}
					o := find(t, base, b.Object)
					if gone, how := deleted(t, ctx, k, o, live(b.Object)); !gone {
						t.Errorf("synth diff says the removal of %s loses it, but it is still there", b.Object)
					} else {
						t.Logf("%s: %s", b.Object, how)
					}
				case "metadata.namespace":
					// Helm deletes and creates; the apiserver itself refuses
					// to move the live object.
					o := find(t, base, diff.ID{Group: b.Object.Group, Kind: b.Object.Kind, Name: b.Object.Name, Namespace: ""})
					refuseMove(t, ctx, k, o, b.Object.Namespace)
				default:
					if upErr == nil {
						t.Fatalf("synth diff says %s %s is breaking, but helm upgrade succeeded", b.Object, b.Field)
					}
					msg := upErr.Error()
					if !strings.Contains(msg, "immutable") && !strings.Contains(msg, "Forbidden") && !strings.Contains(msg, "may not change once set") {
						t.Fatalf("helm upgrade failed, but not with the apiserver's refusal: %v", upErr)
					}
					t.Logf("%s %s: apiserver: %s", b.Object, b.Field, lastLine(msg))
				}
			}
		})
	}
	record("breaking changes: %d cases the diff calls breaking and the apiserver refuses or deletes; %d it lets through and helm upgrades", breaking, safe)
}

// writeChart writes a case's chart files into a new directory.
func writeChart(t *testing.T, name string, files map[string][]byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for rel, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// find returns the base object with the id; a zero namespace matches any.
func find(t *testing.T, c diff.Chart, id diff.ID) diff.Object {
	t.Helper()
	for _, o := range c.Objects {
		got := o.ID()
		if id.Namespace == "" {
			got.Namespace = ""
		}
		if got == id {
			return o
		}
	}
	t.Fatalf("no %s in the base", id)
	return diff.Object{}
}

// deleted reports whether the live object is gone or being deleted (a
// claim waits on its protection finalizer).
func deleted(t *testing.T, ctx context.Context, k *kube, o diff.Object, ns string) (bool, string) {
	t.Helper()
	u := &unstructured.Unstructured{Object: o.Body}
	ri, _, err := k.resource(u, ns)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ri.Get(ctx, o.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return true, "deleted"
	case err != nil:
		t.Fatal(err)
	case got.GetDeletionTimestamp() != nil:
		return true, fmt.Sprintf("being deleted (finalizers %v)", got.GetFinalizers())
	}
	return false, ""
}

// refuseMove updates the live object with another namespace and expects the
// apiserver to refuse.
func refuseMove(t *testing.T, ctx context.Context, k *kube, o diff.Object, to string) {
	t.Helper()
	u := &unstructured.Unstructured{Object: o.Body}
	ri, _, err := k.resource(u, o.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ri.Get(ctx, o.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		// helm deleted it from the old namespace: recreate it to try the
		// move itself.
		u.SetResourceVersion("")
		if got, err = ri.Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	got.SetNamespace(to)
	_, err = ri.Update(ctx, got, metav1.UpdateOptions{})
	if err == nil {
		t.Fatalf("the apiserver moved %s/%s to %s", o.Namespace, o.Name, to)
	}
	t.Logf("%s %s: apiserver: %v", o.Kind, o.Name, err)
}

// bindClaims binds every claim in ns to a volume of its own, as a
// provisioner would, so that the upgrade meets a bound claim. A claim of
// the cluster's default class (one that names none) is the stand-in
// provisioner's: it waits for that to bind it instead.
func bindClaims(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns string) {
	t.Helper()
	claims, err := cs.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pvc := range claims.Items {
		if ptr.Deref(pvc.Spec.StorageClassName, "") == cluster.StorageClassName {
			err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
				cur, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, pvc.Name, metav1.GetOptions{})
				return err == nil && cur.Status.Phase == corev1.ClaimBound, err
			})
			if err != nil {
				t.Fatalf("claim %s/%s of class %s: the stand-in provisioner did not bind it: %v", ns, pvc.Name, cluster.StorageClassName, err)
			}
			continue
		}
		name := ns + "-" + pvc.Name
		_, err := cs.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
				AccessModes:                   pvc.Spec.AccessModes,
				StorageClassName:              ptr.Deref(pvc.Spec.StorageClassName, ""),
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
				PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/" + name}},
				ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: ns, Name: pvc.Name, UID: pvc.UID},
			},
		}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		// The controller manager's volume binder may get there first:
		// bind on the latest version until it holds.
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur, err := cs.CoreV1().PersistentVolumeClaims(ns).Get(ctx, pvc.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if cur.Spec.VolumeName == "" {
				cur.Spec.VolumeName = name
				if cur, err = cs.CoreV1().PersistentVolumeClaims(ns).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
					return err
				}
			}
			if cur.Status.Phase == corev1.ClaimBound {
				return nil
			}
			cur.Status.Phase = corev1.ClaimBound
			cur.Status.AccessModes = pvc.Spec.AccessModes
			cur.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]}
			_, err = cs.CoreV1().PersistentVolumeClaims(ns).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatalf("bind claim %s: %v", pvc.Name, err)
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}
