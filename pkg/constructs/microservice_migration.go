package constructs

import (
	"maps"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// MigrationSyncWave is the Argo CD sync wave of migration Jobs: after the
// secrets layer (waves -3 and -2), before the Deployments (wave 0).
const MigrationSyncWave = "-1"

// migrationJob returns the migration hook.
//
// Helm: post-install and pre-upgrade. A pre-install hook would run before
// any of the release's objects exist, the ExternalSecrets that produce the
// Secrets it reads included, and wait for them forever; after the first
// install, the previous release's Secrets are there. A Secret that a
// migration newly reads must therefore reach the cluster in an upgrade
// before the one that reads it.
//
// Argo CD ignores helm.sh/hook when argocd.argoproj.io/hook is set: there
// the Job is a Sync hook in MigrationSyncWave, re-created on every sync.
//
// As a pre-upgrade hook it can run before the chart's other objects of
// the new release, so the Job uses the namespace's default ServiceAccount
// (without a token) and gets the Config settings inline rather than from
// the ConfigMap.
func (m *Microservice) migrationJob() *batchv1.Job {
	p := m.props
	env := maps.Clone(p.envWithTelemetry())
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, p.Config)
	c := m.container()
	c.Name = "migrate"
	c.Command = slices.Clone(p.Migration.Command)
	c.Args = nil
	c.Env = p.literalEnv(env)
	spec := m.podSpec(c)
	spec.RestartPolicy = corev1.RestartPolicyNever
	name := p.Name + migrationSuffix
	migration := p.identity().WithComponent("migration")
	meta := metav1.ObjectMeta{Name: name, Labels: migration.Map()}
	meta.Annotations = map[string]string{
		"helm.sh/hook":                          "post-install,pre-upgrade",
		"helm.sh/hook-weight":                   "-5",
		"helm.sh/hook-delete-policy":            "before-hook-creation,hook-succeeded",
		"argocd.argoproj.io/hook":               "Sync",
		"argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation,HookSucceeded",
		"argocd.argoproj.io/sync-wave":          MigrationSyncWave,
	}
	if p.Migration.AfterSync {
		meta.Annotations["argocd.argoproj.io/hook"] = "PostSync"
		delete(meta.Annotations, "argocd.argoproj.io/sync-wave")
	}
	podLabels := migration.Map()
	podLabels[EnvironmentLabel] = p.Environment
	return &batchv1.Job{
		ObjectMeta: meta,
		Spec: batchv1.JobSpec{
			BackoffLimit:          ptr.To(*p.Migration.BackoffLimit),
			ActiveDeadlineSeconds: ptr.To(int64(p.Migration.Timeout / time.Second)),
			Template:              corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: podLabels}, Spec: spec},
		},
	}
}

const migrationSuffix = "-migrate"
