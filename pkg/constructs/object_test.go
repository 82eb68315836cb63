package constructs_test

import (
	"testing"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

// unregistered is a Kubernetes-shaped type no API group registers.
type unregistered struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
}

func (u *unregistered) DeepCopyObject() runtime.Object { c := *u; return &c }

// TestNewTypedObjectTakesKindsFromTheScheme: apiVersion and kind come from
// pc.Scheme; a TypeMeta that disagrees, or a type no group registers, is a
// programming error with a clear panic.
func TestNewTypedObjectTakesKindsFromTheScheme(t *testing.T) {
	objs := constructstest.MustSynth(t, func(chart constructs.Construct) {
		pc.NewTypedObject(chart, "sa", &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "x"}})
	})
	require.Len(t, objs, 1)
	assert.Equal(t, "v1", objs[0]["apiVersion"])
	assert.Equal(t, "ServiceAccount", objs[0]["kind"])

	tests := []struct {
		name string
		obj  runtime.Object
		want string
	}{
		{"unregistered type", &unregistered{}, `constructs: *constructs_test.unregistered "obj": its type is not registered in constructs.Scheme; add its API group there: no kind is registered for the type constructs_test.unregistered in scheme "pkg/runtime/scheme.go:111"`},
		{"TypeMeta that disagrees", &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}}, `constructs: *v1.ConfigMap "obj" has TypeMeta /v1, Kind=Secret, but constructs.Scheme registers it as [/v1, Kind=ConfigMap]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.PanicsWithValue(t, tt.want, func() {
				_, _ = constructstest.Synth(func(chart constructs.Construct) { pc.NewTypedObject(chart, "obj", tt.obj) })
			})
		})
	}
}
