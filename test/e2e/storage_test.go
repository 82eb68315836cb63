package e2e

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/telepace/platform-charts/test/e2e/cluster"
)

var statefulSetGK = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}

// statefulSetOf decodes a rendered StatefulSet.
func statefulSetOf(t checkT, o *unstructured.Unstructured) *appsv1.StatefulSet {
	t.Helper()
	var s appsv1.StatefulSet
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &s); err != nil {
		t.Fatalf("StatefulSet %s: %v", o.GetName(), err)
	}
	return &s
}

// claimsOf returns the names of the claims the StatefulSet controller
// makes for s: <template>-<statefulset>-<ordinal>, for every
// volumeClaimTemplate and replica (1 when unset).
func claimsOf(s *appsv1.StatefulSet) []string {
	var out []string
	for _, tpl := range s.Spec.VolumeClaimTemplates {
		for i := range ptr.Deref(s.Spec.Replicas, 1) {
			out = append(out, fmt.Sprintf("%s-%s-%d", tpl.Name, s.Name, i))
		}
	}
	return out
}

// keptClaims returns, sorted, the claims of the release's StatefulSets
// that outlive them: Kubernetes' default retention (whenDeleted: Retain)
// keeps a StatefulSet's claims when it is deleted, so helm uninstall leaves
// them; a StatefulSet with whenDeleted: Delete has its claims removed.
func keptClaims(t checkT, r *rendered) []string {
	t.Helper()
	var out []string
	for _, o := range kindObjects(r, statefulSetGK) {
		s := statefulSetOf(t, o)
		if p := s.Spec.PersistentVolumeClaimRetentionPolicy; p != nil && p.WhenDeleted == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
			continue
		}
		out = append(out, claimsOf(s)...)
	}
	sort.Strings(out)
	return out
}

// checkStatefulSets waits until every StatefulSet is rolled out with all
// its replicas Ready and Available, and checks that each of its claims is
// Bound to a volume of the cluster's default class (the stand-in
// provisioner's: kwok mounts nothing, the binding is what the scheduler
// needs).
func checkStatefulSets(t checkT, ctx context.Context, k *kube, ns string, sets []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range sets {
		name := o.GetName()
		var last string
		err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, k.timeout, true, func(ctx context.Context) (bool, error) {
			s, err := k.c.Client.AppsV1().StatefulSets(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				last = err.Error()
				return false, nil
			}
			want, st := ptr.Deref(s.Spec.Replicas, 1), s.Status
			last = fmt.Sprintf("observedGeneration %d/%d, replicas %d, ready %d, available %d, updated %d (want %d), revision %s -> %s",
				st.ObservedGeneration, s.Generation, st.Replicas, st.ReadyReplicas, st.AvailableReplicas, st.UpdatedReplicas, want, st.CurrentRevision, st.UpdateRevision)
			return st.ObservedGeneration >= s.Generation && st.Replicas == want && st.ReadyReplicas == want &&
				st.AvailableReplicas == want && st.UpdatedReplicas == want && st.CurrentRevision == st.UpdateRevision, nil
		})
		if err != nil {
			t.Errorf("StatefulSet %s/%s not Ready: %v; last: %s", ns, name, err, last)
			continue
		}
		claims := claimsOf(statefulSetOf(t, o))
		for _, c := range claims {
			pvc, err := k.c.Client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, c, metav1.GetOptions{})
			if err != nil {
				t.Errorf("StatefulSet %s/%s: claim %s: %v", ns, name, c, err)
				continue
			}
			if pvc.Status.Phase != corev1.ClaimBound || ptr.Deref(pvc.Spec.StorageClassName, "") != cluster.StorageClassName {
				t.Errorf("StatefulSet %s/%s: claim %s is %s of class %q, want Bound of %q", ns, name, c, pvc.Status.Phase, ptr.Deref(pvc.Spec.StorageClassName, ""), cluster.StorageClassName)
			}
		}
		t.Logf("StatefulSet %s/%s Ready, claims Bound: %v", ns, name, claims)
	}
}

// checkKeptClaims, after helm uninstall, checks that the claims left in ns
// are exactly keptClaims(r), deletes them, and waits until they and the
// volumes the stand-in provisioner made for them are gone.
func checkKeptClaims(t checkT, ctx context.Context, k *kube, ns string, r *rendered) {
	t.Helper()
	want := keptClaims(t, r)
	list, err := k.c.Client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list.Items {
		got = append(got, c.Name)
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("after helm uninstall, claims in %s: %v; want exactly the StatefulSets' retained claims %v", ns, got, want)
	} else if len(want) > 0 {
		t.Logf("after helm uninstall the StatefulSets' %d claims are retained, as Kubernetes' default retention keeps them: %v", len(want), want)
	}
	deleteClaims(t, ctx, k, ns, got)
}

// deleteClaims deletes the named claims in ns and waits until they, and
// every volume bound to a claim in ns, are gone (the stand-in provisioner
// deletes its Released volumes).
func deleteClaims(t checkT, ctx context.Context, k *kube, ns string, names []string) {
	t.Helper()
	for _, c := range names {
		if err := k.c.Client.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, c, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete claim %s/%s: %v", ns, c, err)
		}
	}
	var left []string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, k.timeout, true, func(ctx context.Context) (bool, error) {
		left = nil
		for _, c := range names {
			if _, err := k.c.Client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, c, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				left = append(left, "PersistentVolumeClaim/"+c)
			}
		}
		pvs, err := k.c.Client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, pv := range pvs.Items {
			if ref := pv.Spec.ClaimRef; ref != nil && ref.Namespace == ns && slices.Contains(names, ref.Name) {
				left = append(left, fmt.Sprintf("PersistentVolume/%s (%s)", pv.Name, pv.Status.Phase))
			}
		}
		return len(left) == 0, nil
	})
	if err != nil {
		t.Errorf("claims deleted, still present: %s: %v", strings.Join(left, ", "), err)
	}
}

func TestKeptClaims(t *testing.T) {
	sts := func(name string, replicas *int32, retention appsv1.PersistentVolumeClaimRetentionPolicyType, templates ...string) *unstructured.Unstructured {
		s := appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: metav1.ObjectMeta{Name: name}}
		s.Spec.Replicas = replicas
		if retention != "" {
			s.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: retention}
		}
		for _, tpl := range templates {
			s.Spec.VolumeClaimTemplates = append(s.Spec.VolumeClaimTemplates, corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: tpl}})
		}
		u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&s)
		if err != nil {
			t.Fatal(err)
		}
		return &unstructured.Unstructured{Object: u}
	}
	r := &rendered{Objects: []*unstructured.Unstructured{
		sts("master", nil, "", "data"),
		sts("volume", ptr.To[int32](2), appsv1.RetainPersistentVolumeClaimRetentionPolicyType, "data", "idx"),
		sts("scratch", ptr.To[int32](3), appsv1.DeletePersistentVolumeClaimRetentionPolicyType, "tmp"),
		sts("none", ptr.To[int32](1), ""),
	}}
	want := []string{"data-master-0", "data-volume-0", "data-volume-1", "idx-volume-0", "idx-volume-1"}
	if got := keptClaims(t, r); !slices.Equal(got, want) {
		t.Errorf("keptClaims: %v, want %v", got, want)
	}
}
