package constructs

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// roundTripMembers is what canonicalMembers stands for: json.Unmarshal
// into an any, every null member removed, each member json.Marshal'ed,
// in key order.
func roundTripMembers(raw []byte) ([]jsonMember, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	var prune func(v any)
	prune = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				if e == nil {
					delete(t, k)
					continue
				}
				prune(e)
			}
		case []any:
			for _, e := range t {
				prune(e)
			}
		}
	}
	prune(m)
	var out []jsonMember
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		v, err := json.Marshal(m[k])
		if err != nil {
			return nil, err
		}
		out = append(out, jsonMember{key: k, value: v})
	}
	return out, nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// canonicalCorpus are JSON objects the round trip changes in every way it
// can: nulls at every depth, unsorted and duplicate keys, escapes, HTML
// characters, non-ASCII and invalid UTF-8, U+2028, numbers of every form.
var canonicalCorpus = []string{
	`{}`,
	`{"b":1,"a":2}`,
	`{"a":null,"b":{"c":null,"d":[null,1,{"e":null}]}}`,
	`{"a":1,"a":null}`,
	`{"a":null,"a":1}`,
	`{"a":{"x":1},"a":{"y":2}}`,
	`{"s":"<tag> & \"q\" \\ \/ \u0041 \n\t\u001f"}`,
	`{"s":"héllo \u2028 \u2029 😀","k\u00e9y":"v","\u003ckey\u003e":1}`,
	"{\"s\":\"bad \xff\xfe utf8\"}",
	"{\"s\":\"raw \xe2\x80\xa8 line separator\"}",
	`{"n":[0,-0,1,-1,123456789012345,1234567890123456,12345678901234567890,1.5,-2.25,1e3,1E-7,1e21,1e-6,0.000001,100000000000000000000,3.0,1.0e2,-1e-300]}`,
	`{"b":[true,false,null],"o":{},"e":[]}`,
	`{"h":"<b>&</b>","<k>":"x"}`,
	`{"e":["\b\f\u0008\u000c\u0001\u001f\u001F","\u00e9","\ufffd","\u2028\u2029","\u003C\u003c\u0026\u003e","\"\\\/","\n\r\t\u000a"]}`,
	"{\"r\":\"caf\xc3\xa9 \xef\xbf\xbd \xed\xa0\x80\"}",
	` { "spaced" : [ 1 , 2 ] , "z" : { } } `,
	`{"Z":1,"a":2,"_":3,"A":4,"aa":5,"a\u0000":6}`,
}

// TestCanonicalMembersIsTheRoundTrip: canonicalMembers gives what the
// round trip gives, for the corpus and for typed objects of every kind of
// field this package writes: quantities, int-or-strings, times, nil
// pointers and empty structs.
func TestCanonicalMembersIsTheRoundTrip(t *testing.T) {
	replicas := int32(3)
	deployment := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "d", Labels: map[string]string{"b": "1", "a": "<2>"}, CreationTimestamp: metav1.NewTime(time.Unix(1700000000, 0).UTC())},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Strategy: appsv1.DeploymentStrategy{RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &intstr.IntOrString{Type: intstr.String, StrVal: "25%"}}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name:  "c",
				Image: "example.com/a:1 & b",
				Resources: corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi"), corev1.ResourceCPU: resource.MustParse("1.5")},
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
				},
				Ports:          []corev1.ContainerPort{{ContainerPort: 8080}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}},
			}}}},
		},
	}
	cm := &corev1.ConfigMap{Data: map[string]string{"dashboard.json": "{\n  \"title\": \"<x> & y\"\n}", "z": "", "a": "é"}}
	inputs := append([]string{}, canonicalCorpus...)
	for _, obj := range []any{deployment, cm, &corev1.Service{}, &corev1.Secret{StringData: map[string]string{"k": "v"}}} {
		raw, err := json.Marshal(obj)
		require.NoError(t, err)
		inputs = append(inputs, string(raw))
	}
	for _, in := range inputs {
		want, wantErr := roundTripMembers([]byte(in))
		require.NoError(t, wantErr, in)
		got, err := canonicalMembers([]byte(in))
		require.NoError(t, err, in)
		assert.Equal(t, render(want), render(got), in)
	}
}

// render lays members out for comparison.
func render(ms []jsonMember) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.key+" = "+string(m.value))
	}
	return out
}

// FuzzCanonicalMembers: on any JSON object, canonicalMembers gives what
// the round trip gives.
func FuzzCanonicalMembers(f *testing.F) {
	for _, in := range canonicalCorpus {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantErr := roundTripMembers(in)
		if wantErr != nil || !json.Valid(in) || !bytes.HasPrefix(bytes.TrimLeft(in, " \t\r\n"), []byte("{")) {
			return // not an object
		}
		got, err := canonicalMembers(in)
		require.NoError(t, err)
		assert.Equal(t, render(want), render(got))
	})
}

// TestAppendWireIsJSONMarshal: an object's operation, written by hand, is
// byte for byte what json.Marshal writes for it.
func TestAppendWireIsJSONMarshal(t *testing.T) {
	_, chart := newTestApp()
	objs := []*object{
		NewTypedObject(chart, "plain", configMap("plain")).(*object),
		NewTypedObject(chart, "rich", &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Name: "rich", Namespace: "ns",
				Labels:      map[string]string{"b": "<2>", "a": "1"},
				Annotations: map[string]string{"note": "a & b", "é": "ü"},
			},
			Data:       map[string]string{"x": "{\"k\": \"<v>\"}\n"},
			BinaryData: map[string][]byte{"bin": {0, 1, 2}},
		}).(*object),
		NewTypedObject(chart, "empty", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "empty"}}).(*object),
	}
	for _, o := range objs {
		patches := [][2]any{}
		for _, p := range o.patches {
			patches = append(patches, [2]any{p.path, p.value})
		}
		want, err := json.Marshal([]any{"o", 7, o.id, o.apiVersion, o.kind, o.wireMetadata(), patches})
		require.NoError(t, err)
		var got bytes.Buffer
		require.NoError(t, o.appendWire(&got, 7))
		assert.Equal(t, string(want), got.String(), o.id)
	}
}
