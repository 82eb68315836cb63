package diff_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/internal/breakingcases"
)

// TestBreakingCases pins the verdict on every case under
// testdata/breaking; test/e2e's TestBreakingChangesAgreeWithTheAPIServer
// applies the same changes to a real apiserver.
func TestBreakingCases(t *testing.T) {
	want := map[string][]string{
		"configmap-data": nil,
		"configmap-immutable": {
			"ConfigMap break/settings data: the ConfigMap is immutable: the apiserver refuses a change to its data (field is immutable when `immutable` is set)",
		},
		"configmap-mutable-again": {
			"ConfigMap break/settings immutable: an immutable ConfigMap cannot become mutable: the apiserver refuses the update (field is immutable when `immutable` is set)",
		},
		"deployment-image": nil,
		"deployment-selector": {
			"Deployment break/web spec.selector: the selector is immutable: the apiserver refuses the update (field is immutable)",
		},
		"external-secret-removed": {
			"ExternalSecret break/creds (whole): custom resource whose CRD stays installed: helm deletes it, and the Secret it owns (creationPolicy Owner) is garbage-collected",
		},
		"job-completions": {
			"Job break/migrate spec.completions: a Job's spec.completions is immutable: the apiserver refuses the update (field is immutable)",
		},
		"job-hook-template": nil,
		"job-template": {
			"Job break/migrate spec.template: a Job's spec.template is immutable: the apiserver refuses the update (field is immutable)",
		},
		"kept-claim-removed": nil,
		"monitor-removed":    nil,
		"namespace-change": {
			"ConfigMap break-ns-b/settings metadata.namespace: an object cannot change namespace (the apiserver refuses the update); it is deleted from break-ns-a and created in break-ns-b",
		},
		"pvc-grow": nil,
		"pvc-rename": {
			"PersistentVolumeClaim break/data (whole): holds a volume; helm deletes it on upgrade and Argo CD prunes it (PersistentVolumeClaim data-v2 is added: a rename starts empty)",
		},
		"pvc-shrink": {
			"PersistentVolumeClaim break/data spec.resources.requests.storage: a claim cannot shrink: the apiserver refuses the update (can not be less than status.capacity)",
		},
		"pvc-storage-class": {
			"PersistentVolumeClaim break/data spec.storageClassName: a claim's spec is immutable after creation except resources.requests and volumeAttributesClassName: the apiserver refuses the update (Forbidden)",
		},
		"rolebinding-role-ref": {
			"RoleBinding break/reader roleRef: a binding's roleRef is immutable: the apiserver refuses the update (field is immutable); a new role needs a new binding",
		},
		"sealed-secret-removed": {
			"SealedSecret break/creds (whole): custom resource whose CRD stays installed: helm deletes it, and the Secret it owns is garbage-collected (no sealedsecrets.bitnami.com/skip-set-owner-references in spec.template.metadata.annotations)",
		},
		"sealed-secret-unowned-removed": nil,
		"secret-type": {
			"Secret break/creds type: a Secret's type is immutable: the apiserver refuses the update (field is immutable)",
		},
		"service-cluster-ip": {
			"Service break/api spec.clusterIP: clusterIP is immutable once set: the apiserver refuses the update (may not change once set)",
		},
		"service-from-external-name": nil,
		"service-port":               nil,
		"service-to-external-name":   nil,
		"statefulset-claim-templates": {
			"StatefulSet break/db spec.volumeClaimTemplates: a StatefulSet's spec is immutable except replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds: the apiserver refuses the update (field is immutable)",
		},
		"statefulset-default": nil,
		"statefulset-image":   nil,
		"statefulset-rename": {
			"StatefulSet break/db (whole): its claims stay behind, unused: the claims of a StatefulSet are named after it (StatefulSet db-v2 is added: a rename starts empty)",
		},
		"statefulset-selector": {
			"StatefulSet break/db spec.selector: a StatefulSet's spec is immutable except replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds: the apiserver refuses the update (field is immutable)",
		},
		"statefulset-service-name": {
			"StatefulSet break/db spec.serviceName: a StatefulSet's spec is immutable except replicas, ordinals, template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy and minReadySeconds: the apiserver refuses the update (field is immutable)",
		},
	}
	cases, err := breakingcases.Load("testdata/breaking")
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			seen[c.Name] = true
			exp, ok := want[c.Name]
			require.True(t, ok, "case %s has no expectation here", c.Name)
			var got []string
			r, err := c.Compare()
			require.NoError(t, err)
			for _, b := range r.Breaking {
				field := b.Field
				if field == "" {
					field = "(whole)"
				}
				got = append(got, fmt.Sprintf("%s %s: %s", b.Object, field, b.Reason))
			}
			require.Equal(t, exp, got)
		})
	}
	require.Len(t, seen, len(want), "every expectation has a case directory")
}
