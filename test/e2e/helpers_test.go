package e2e

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/telepace/platform-charts/test/e2e/cluster"
)

// Unit tests of the checkers the e2e tests rely on. They need no cluster
// and run in -short mode too: a checker that cannot fail would make the
// e2e assertions vacuous.

func TestSplitDocsRoundTrip(t *testing.T) {
	in := "a: 1\n---\nb: 2\n--- # c\nc: 3\n---\n"
	docs := splitDocs(in)
	if len(docs) != 4 || strings.Join(docs, "") != in {
		t.Fatalf("splitDocs(%q) = %q", in, docs)
	}
	if !docIs("kind: Deployment\nmetadata:\n  name: web\n", "Deployment", "web") ||
		docIs("kind: Deployment\nmetadata:\n  name: web2\n", "Deployment", "web") {
		t.Fatal("docIs")
	}
}

func TestReplaceImageOnce(t *testing.T) {
	doc := "      containers:\n        - name: a\n          image: \"r/a:1\"\n        - image: r/a:1\n"
	got := replaceImageOnce(doc, "r/a:1", "r/a:2")
	want := "      containers:\n        - name: a\n          image: \"r/a:2\"\n        - image: r/a:1\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if replaceImageOnce(doc, "r/a:10", "x") != doc {
		t.Fatal("replaced a different image")
	}
}

func TestRetag(t *testing.T) {
	for in, want := range map[string]string{
		"ghcr.io/telepace/web:v0.1.0":     "ghcr.io/telepace/web:e2e-upgrade",
		"localhost:5000/web":              "localhost:5000/web:e2e-upgrade",
		"ghcr.io/telepace/web@sha256:abc": "ghcr.io/telepace/web:e2e-upgrade",
	} {
		if got := retag(in); got != want {
			t.Errorf("retag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpreadCheckerDetectsSkew(t *testing.T) {
	var nodes []corev1.Node
	for _, z := range []string{"a", "b", "c"} {
		nodes = append(nodes, corev1.Node{ObjectMeta: metav1.ObjectMeta{
			Name: "n-" + z, Labels: map[string]string{cluster.ZoneLabel: z},
		}})
	}
	pod := func(node, hash string) corev1.Pod {
		return corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x", "pod-template-hash": hash}},
			Spec:       corev1.PodSpec{NodeName: node},
		}
	}
	cst := corev1.TopologySpreadConstraint{
		MaxSkew: 1, TopologyKey: cluster.ZoneLabel, WhenUnsatisfiable: corev1.DoNotSchedule,
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}},
	}
	// All in one zone: the empty zones count, skew 3.
	counts := spreadCounts(t, cst, nil, []corev1.Pod{pod("n-a", "1"), pod("n-a", "1"), pod("n-a", "1")}, nodes)
	if got := maxSkew(counts); got != 3 || len(counts) != 3 {
		t.Fatalf("counts %v skew %d, want 3 domains and skew 3", counts, got)
	}
	counts = spreadCounts(t, cst, nil, []corev1.Pod{pod("n-a", "1"), pod("n-b", "1"), pod("n-c", "1")}, nodes)
	if got := maxSkew(counts); got != 0 {
		t.Fatalf("counts %v skew %d, want 0", counts, got)
	}
	// matchLabelKeys: pods of another ReplicaSet are not counted.
	cst.MatchLabelKeys = []string{"pod-template-hash"}
	counts = spreadCounts(t, cst, nil, []corev1.Pod{pod("n-a", "1"), pod("n-b", "2")}, nodes)
	if counts["a"] != 1 || counts["b"] != 0 {
		t.Fatalf("counts %v, want only the first ReplicaSet's pod", counts)
	}
}

func TestNotSubset(t *testing.T) {
	want := map[string]any{"maxUnavailable": int64(1), "selector": map[string]any{"matchLabels": map[string]any{"a": "b"}}}
	live := map[string]any{"maxUnavailable": int64(1), "unhealthyPodEvictionPolicy": "x", "selector": map[string]any{"matchLabels": map[string]any{"a": "b"}}}
	if d := notSubset("spec", want, live); len(d) != 0 {
		t.Fatalf("unexpected diffs %v", d)
	}
	live["maxUnavailable"] = int64(2)
	if d := notSubset("spec", want, live); len(d) != 1 {
		t.Fatalf("diffs %v, want one", d)
	}
}

// TestPodSecretRefs: the Secret reference collector of TestRealOperators
// finds every kind of reference, so a pod template cannot slip past it.
func TestPodSecretRefs(t *testing.T) {
	spec := corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "migrate", EnvFrom: []corev1.EnvFromSource{
			{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}}},
		}}},
		Containers: []corev1.Container{{Name: "app", Env: []corev1.EnvVar{
			{Name: "PLAIN", Value: "x"},
			{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}},
		}}},
		Volumes: []corev1.Volume{
			{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "tls"}}},
			{Name: "key", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "api",
				Items: []corev1.KeyToPath{{Key: "key", Path: "key"}}}}},
			{Name: "all", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "ca"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			}}}},
		},
	}
	want := []secretRef{
		{"Deployment/x container migrate envFrom", "db", ""},
		{"Deployment/x container app env PASSWORD", "db", "password"},
		{"Deployment/x volume tls", "tls", ""},
		{"Deployment/x volume key", "api", "key"},
		{"Deployment/x volume all", "ca", "ca.crt"},
	}
	if got := podSecretRefs("Deployment/x", spec); !reflect.DeepEqual(got, want) {
		t.Errorf("podSecretRefs:\n got %v\nwant %v", got, want)
	}
}
