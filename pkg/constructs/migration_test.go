package constructs_test

import (
	"testing"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/yaml"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

// migrationJob synthesises a service with a migration and returns its Job,
// decoded into the typed batch/v1 object.
func migrationJob(t *testing.T, m pc.Migration) *batchv1.Job {
	t.Helper()
	p := validProps()
	p.Migration = &m
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) { pc.NewMicroservice(chart, "svc", p) })
	raw := constructstest.Find(objs, "Job", "svc-migrate") // the name defaults to the construct id
	require.NotNil(t, raw, "no migration Job")
	data, err := yaml.Marshal(raw)
	require.NoError(t, err)
	job := &batchv1.Job{}
	require.NoError(t, runtime.DecodeInto(serializer.NewCodecFactory(pc.Scheme).UniversalDecoder(), data, job))
	return job
}

// TestMigrationJobRunsBeforeTheNewPods: the migration is a Helm hook that
// runs after the first install and before every upgrade, replaced on the
// next run and removed once it succeeded; under Argo CD a Sync hook in the
// wave before the Deployments (or, AfterSync, a PostSync hook). Without
// these annotations it would be an ordinary object, running beside the new
// pods instead of before them.
func TestMigrationJobRunsBeforeTheNewPods(t *testing.T) {
	job := migrationJob(t, pc.Migration{Command: []string{"migrate"}})
	a := job.Annotations
	assert.Equal(t, "post-install,pre-upgrade", a["helm.sh/hook"])
	assert.Equal(t, "-5", a["helm.sh/hook-weight"])
	assert.Equal(t, "before-hook-creation,hook-succeeded", a["helm.sh/hook-delete-policy"])
	assert.Equal(t, "Sync", a["argocd.argoproj.io/hook"])
	assert.Equal(t, pc.MigrationSyncWave, a["argocd.argoproj.io/sync-wave"])
	assert.Equal(t, "BeforeHookCreation,HookSucceeded", a["argocd.argoproj.io/hook-delete-policy"])

	after := migrationJob(t, pc.Migration{Command: []string{"migrate"}, AfterSync: true}).Annotations
	assert.Equal(t, "PostSync", after["argocd.argoproj.io/hook"])
	assert.NotContains(t, after, "argocd.argoproj.io/sync-wave")
	assert.Equal(t, "post-install,pre-upgrade", after["helm.sh/hook"], "Helm's ordering does not change")
}

// TestMigrationJobIsBoundedAndHardened: the Job never restarts its pod in
// place, retries a bounded number of times, is killed at its deadline, and
// its pod has every hardening a Deployment's has.
func TestMigrationJobIsBoundedAndHardened(t *testing.T) {
	job := migrationJob(t, pc.Migration{Command: []string{"migrate"}, Timeout: 3 * time.Minute, BackoffLimit: ptrTo(int32(4))})
	assert.Equal(t, corev1.RestartPolicyNever, job.Spec.Template.Spec.RestartPolicy)
	require.NotNil(t, job.Spec.BackoffLimit)
	assert.Equal(t, int32(4), *job.Spec.BackoffLimit)
	require.NotNil(t, job.Spec.ActiveDeadlineSeconds)
	assert.Equal(t, int64(180), *job.Spec.ActiveDeadlineSeconds)

	defaults := migrationJob(t, pc.Migration{Command: []string{"migrate"}})
	assert.Equal(t, int32(2), *defaults.Spec.BackoffLimit)
	assert.Equal(t, int64(600), *defaults.Spec.ActiveDeadlineSeconds)

	spec := job.Spec.Template.Spec
	require.NotNil(t, spec.AutomountServiceAccountToken)
	assert.False(t, *spec.AutomountServiceAccountToken)
	require.NotNil(t, spec.SecurityContext)
	assert.True(t, *spec.SecurityContext.RunAsNonRoot)
	assert.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, spec.SecurityContext.SeccompProfile.Type)
	require.Len(t, spec.Containers, 1)
	c := spec.Containers[0]
	assert.Equal(t, []string{"migrate"}, c.Command)
	sc := c.SecurityContext
	require.NotNil(t, sc)
	assert.True(t, *sc.RunAsNonRoot)
	assert.True(t, *sc.ReadOnlyRootFilesystem)
	assert.False(t, *sc.AllowPrivilegeEscalation)
	assert.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
	assert.Empty(t, sc.Capabilities.Add)
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		assert.Contains(t, c.Resources.Requests, r)
		assert.Contains(t, c.Resources.Limits, r)
	}
}

func ptrTo[T any](v T) *T { return &v }
