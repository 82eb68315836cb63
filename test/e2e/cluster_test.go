package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// TestClusterSmoke checks what the chart tests take for granted: fake nodes
// in three zones, a real scheduler honouring zone spread, kwok making pods
// Ready, and Job pods Succeeded so Jobs complete.
func TestClusterSmoke(t *testing.T) {
	requireE2E(t)
	c := sharedCluster(t)
	ctx := context.Background()
	const ns = "e2e-smoke"
	k := newKube(t, c)
	if err := k.ensureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}

	nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string]int{}
	for _, n := range nodes.Items {
		zones[n.Labels[cluster.ZoneLabel]]++
	}
	if len(nodes.Items) != 6 || len(zones) != 3 {
		t.Fatalf("%d nodes over zones %v, want 6 over 3", len(nodes.Items), zones)
	}

	labels := map[string]string{"app": "smoke"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "smoke"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](6),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "c", Image: "ghcr.io/telepace/e2e-web:1.0.0"}},
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
						MaxSkew: 1, TopologyKey: cluster.ZoneLabel, WhenUnsatisfiable: corev1.DoNotSchedule,
						LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
					}},
				},
			},
		},
	}
	if _, err := c.Client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "smoke"},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "c", Image: "ghcr.io/telepace/e2e-web:1.0.0"}},
			}},
		},
	}
	start := time.Now()
	if _, err := c.Client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		j, err := c.Client.BatchV1().Jobs(ns).Get(ctx, "smoke", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range j.Status.Conditions {
			if cond.Type == batchv1.JobFailed && cond.Status == corev1.ConditionTrue {
				return false, fmt.Errorf("job failed: %s", cond.Message)
			}
			if cond.Type == batchv1.JobComplete && cond.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("Job did not complete: %v", err)
	}
	t.Logf("Job completed in %s", r10(time.Since(start)))

	var perZone map[string]int
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := c.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=smoke"})
		if err != nil {
			return false, err
		}
		perZone = map[string]int{}
		ready := 0
		for _, p := range pods.Items {
			if podReady(&p) {
				ready++
				perZone[c.NodeZones[p.Spec.NodeName]]++
			}
		}
		return ready == 6, nil
	})
	if err != nil {
		t.Fatalf("6 smoke pods not Ready: %v (per zone %v)", err, perZone)
	}
	for z, n := range perZone {
		if n != 2 {
			t.Errorf("zone %s has %d of 6 pods, want 2 (maxSkew 1 over 3 zones): %v", z, n, perZone)
		}
	}
	t.Logf("6 pods Ready, per zone %v", perZone)

	if err := c.Client.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}
