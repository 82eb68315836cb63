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

// migrationJob returns the pre-install/pre-upgrade hook. Hooks run before the
// chart's other objects exist, so the Job uses the namespace's default
// ServiceAccount (without a token) and gets the Config settings inline rather
// than from the ConfigMap.
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
		"helm.sh/hook":               "pre-install,pre-upgrade",
		"helm.sh/hook-weight":        "-5",
		"helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
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
