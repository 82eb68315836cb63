package synth_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	psa "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	argov1alpha1 "github.com/telepace/platform-charts/pkg/apis/argocd/v1alpha1"
	"github.com/telepace/platform-charts/pkg/synth"
)

// podTemplates maps every kind that holds a pod template to the template,
// decoded into the typed k8s.io/api object. A construct that starts
// emitting another such kind must add it here: TestEveryPodIsHardened
// fails on a pod template of a kind it does not know.
var podTemplates = map[string]func(runtime.Object) corev1.PodTemplateSpec{
	"Deployment":  func(o runtime.Object) corev1.PodTemplateSpec { return o.(*appsv1.Deployment).Spec.Template },
	"StatefulSet": func(o runtime.Object) corev1.PodTemplateSpec { return o.(*appsv1.StatefulSet).Spec.Template },
	"DaemonSet":   func(o runtime.Object) corev1.PodTemplateSpec { return o.(*appsv1.DaemonSet).Spec.Template },
	"Job":         func(o runtime.Object) corev1.PodTemplateSpec { return o.(*batchv1.Job).Spec.Template },
	"CronJob": func(o runtime.Object) corev1.PodTemplateSpec {
		return o.(*batchv1.CronJob).Spec.JobTemplate.Spec.Template
	},
}

// podHardeningProblems returns every way a pod template breaks the secure
// defaults: non-root, read-only root filesystem, no privilege escalation,
// every capability dropped, RuntimeDefault seccomp, no service account
// token, no host namespaces, and cpu and memory requests and limits on
// every container.
func podHardeningProblems(where string, t corev1.PodTemplateSpec) []string {
	var p []string
	addf := func(format string, args ...any) { p = append(p, where+": "+fmt.Sprintf(format, args...)) }
	spec := t.Spec
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		addf("automountServiceAccountToken is not false")
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		addf("uses a host namespace")
	}
	podSC := spec.SecurityContext
	if podSC == nil || podSC.RunAsNonRoot == nil || !*podSC.RunAsNonRoot {
		addf("pod runAsNonRoot is not true")
	}
	if podSC == nil || podSC.SeccompProfile == nil || podSC.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		addf("pod seccompProfile is not RuntimeDefault")
	}
	for _, c := range append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...) {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			addf("container %s has no securityContext", c.Name)
			continue
		case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
			addf("container %s: runAsNonRoot is not true", c.Name)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			addf("container %s: readOnlyRootFilesystem is not true", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			addf("container %s: allowPrivilegeEscalation is not false", c.Name)
		}
		if sc.Privileged != nil && *sc.Privileged {
			addf("container %s: privileged", c.Name)
		}
		if sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) > 0 {
			addf("container %s: capabilities are not exactly drop ALL", c.Name)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[r]; !ok {
				addf("container %s: no %s request", c.Name, r)
			}
			if _, ok := c.Resources.Limits[r]; !ok {
				addf("container %s: no %s limit", c.Name, r)
			}
		}
	}
	return p
}

// TestEveryPodIsHardened decodes every object of every chart into its
// typed k8s.io/api object and checks the secure defaults on every pod
// template, whatever its kind (Deployment and the migration Job today),
// and on every ServiceAccount.
func TestEveryPodIsHardened(t *testing.T) {
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	decode := clientgoscheme.Codecs.UniversalDeserializer().Decode
	seen := map[string]int{}
	for _, env := range environments.All() {
		for _, o := range resolved[env.Name].Objects {
			where := fmt.Sprintf("%s: %s %s", env.Name, o.Kind, o.Name)
			if o.Kind == "ServiceAccount" {
				obj, _, err := decode(o.YAML, nil, nil)
				require.NoError(t, err, where)
				sa := obj.(*corev1.ServiceAccount)
				assert.False(t, sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken, "%s: automountServiceAccountToken is not false", where)
				seen["ServiceAccount"]++
				continue
			}
			get, known := podTemplates[o.Kind]
			if !known {
				var probe struct {
					Spec struct {
						Template    *struct{} `json:"template"`
						JobTemplate *struct{} `json:"jobTemplate"`
					} `json:"spec"`
				}
				require.NoError(t, yaml.Unmarshal(o.YAML, &probe))
				assert.False(t, probe.Spec.Template != nil || probe.Spec.JobTemplate != nil, "%s holds a pod template of a kind podTemplates does not know; add it", where)
				continue
			}
			obj, _, err := decode(o.YAML, nil, nil)
			require.NoError(t, err, where)
			assert.Empty(t, podHardeningProblems(where, get(obj)))
			seen[o.Kind]++
		}
	}
	assert.Positive(t, seen["Deployment"])
	assert.Positive(t, seen["Job"], "the migration Job")
	assert.Positive(t, seen["ServiceAccount"])
}

// TestPodHardeningCheckFails: each weakening is named.
func TestPodHardeningCheckFails(t *testing.T) {
	yes, no := true, false
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		AutomountServiceAccountToken: &yes,
		HostNetwork:                  true,
		SecurityContext:              &corev1.PodSecurityContext{RunAsNonRoot: &no},
		Containers: []corev1.Container{{Name: "app", SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot: &yes, ReadOnlyRootFilesystem: &no, AllowPrivilegeEscalation: &yes, Privileged: &yes,
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"NET_RAW"}},
		}}},
	}}
	assert.Equal(t, []string{
		"x: automountServiceAccountToken is not false",
		"x: uses a host namespace",
		"x: pod runAsNonRoot is not true",
		"x: pod seccompProfile is not RuntimeDefault",
		"x: container app: readOnlyRootFilesystem is not true",
		"x: container app: allowPrivilegeEscalation is not false",
		"x: container app: privileged",
		"x: container app: capabilities are not exactly drop ALL",
		"x: container app: no cpu request",
		"x: container app: no cpu limit",
		"x: container app: no memory request",
		"x: container app: no memory limit",
	}, podHardeningProblems("x", tmpl))
}

// podSecurityViolations evaluates a pod template with the Pod Security
// admission library the apiserver runs, and returns its verdict as the
// apiserver words it, or "" when the pod is admitted at lv.
func podSecurityViolations(t *testing.T, lv psa.LevelVersion, tmpl corev1.PodTemplateSpec) string {
	t.Helper()
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	require.NoError(t, err)
	result := policy.AggregateCheckResults(evaluator.EvaluatePod(lv, &tmpl.ObjectMeta, &tmpl.Spec))
	if result.Allowed {
		return ""
	}
	return fmt.Sprintf("violates PodSecurity %q: %s", lv.String(), result.ForbiddenDetail())
}

// TestEveryPodMeetsPodSecurity evaluates every pod template of every
// environment chart with the Pod Security admission library: each is
// admitted at the level its namespace enforces (environments' PodSecurity)
// and, whatever that level, at restricted, both at the pinned version and
// at the latest one the warnings use: the services meet restricted in
// dev too, where the umbrella's third-party charts keep the namespace
// below it.
func TestEveryPodMeetsPodSecurity(t *testing.T) {
	resolved, err := synth.Resolve(environments.All())
	require.NoError(t, err)
	decode := clientgoscheme.Codecs.UniversalDeserializer().Decode
	pinned, err := psa.ParseVersion(environments.PodSecurityVersion)
	require.NoError(t, err)
	for _, env := range environments.All() {
		levels := []psa.LevelVersion{
			env.PodSecurity.EnforcedLevel(),
			{Level: psa.LevelRestricted, Version: pinned},
			{Level: psa.LevelRestricted, Version: psa.LatestVersion()},
		}
		var pods int
		for _, o := range resolved[env.Name].Objects {
			get, ok := podTemplates[o.Kind]
			if !ok {
				continue // TestEveryPodIsHardened fails on an unknown kind holding a pod template
			}
			obj, _, err := decode(o.YAML, nil, nil)
			require.NoError(t, err)
			for _, lv := range levels {
				assert.Empty(t, podSecurityViolations(t, lv, get(obj)), "%s: %s %s at %s", env.Name, o.Kind, o.Name, lv)
			}
			pods++
		}
		assert.Positive(t, pods, "%s: no pod template to evaluate", env.Name)
	}
}

// TestPodSecurityCheckFails: the evaluation names what a privileged pod
// breaks, at restricted and at baseline, and admits it at privileged.
func TestPodSecurityCheckFails(t *testing.T) {
	v, err := psa.ParseVersion(environments.PodSecurityVersion)
	require.NoError(t, err)
	yes := true
	pod := corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		HostNetwork: true,
		Containers:  []corev1.Container{{Name: "c", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}},
	}}
	tests := []struct {
		level psa.Level
		want  string
	}{
		{psa.LevelRestricted, `violates PodSecurity "restricted:v1.30": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`},
		{psa.LevelBaseline, `violates PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)`},
		{psa.LevelPrivileged, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.level), func(t *testing.T) {
			assert.Equal(t, tt.want, podSecurityViolations(t, psa.LevelVersion{Level: tt.level, Version: v}, pod))
		})
	}
}

// TestApplicationsLabelTheirNamespaces: each environment's Application
// creates its namespace with exactly the environment's Pod Security
// labels, enforcing its level at PodSecurityVersion.
func TestApplicationsLabelTheirNamespaces(t *testing.T) {
	resolved, err := synth.ResolveWithGitOps(environments.All(), environments.Repository)
	require.NoError(t, err)
	byNamespace := map[string]argov1alpha1.Application{}
	for _, o := range resolved[environments.GitOpsChart].Objects {
		if o.Kind == "Application" {
			var a argov1alpha1.Application
			require.NoError(t, yaml.UnmarshalStrict(o.YAML, &a), o.Name)
			byNamespace[a.Spec.Destination.Namespace] = a
		}
	}
	for _, env := range environments.All() {
		a, ok := byNamespace[env.Namespace]
		if !assert.True(t, ok, "%s: no Application deploys to namespace %s", env.Name, env.Namespace) {
			continue
		}
		policy := a.Spec.SyncPolicy
		require.NotNil(t, policy, a.Name)
		assert.Contains(t, policy.SyncOptions, "CreateNamespace=true", "%s: managedNamespaceMetadata does nothing without it", a.Name)
		if assert.NotNil(t, policy.ManagedNamespaceMetadata, a.Name) {
			labels := policy.ManagedNamespaceMetadata.Labels
			assert.Equal(t, env.PodSecurity.Labels(), labels, a.Name)
			assert.Equal(t, string(env.PodSecurity.Enforce), labels[psa.EnforceLevelLabel], a.Name)
			assert.Equal(t, environments.PodSecurityVersion, labels[psa.EnforceVersionLabel], a.Name)
		}
	}
}

// TestPodSecurityVersionIsTheOldestSupported: the enforced version is the
// lower bound of the charts' kubeVersion, so that every cluster they
// install on judges pods by the same rules.
func TestPodSecurityVersionIsTheOldestSupported(t *testing.T) {
	lower, ok := strings.CutPrefix(synth.KubeVersion, ">=")
	require.True(t, ok, "synth.KubeVersion %q has no lower bound", synth.KubeVersion)
	parts := strings.SplitN(strings.TrimSuffix(lower, "-0"), ".", 3)
	require.Len(t, parts, 3, lower)
	assert.Equal(t, "v"+parts[0]+"."+parts[1], environments.PodSecurityVersion)
}
