package constructs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	// Silences the jsii Node.js banner before the kernel starts.
	_ "github.com/telepace/platform-charts/internal/jsiienv"
)

// NewTypedObject adds obj, a typed Kubernetes object such as an
// *appsv1.Deployment or an upstream custom resource, to scope as a cdk8s
// ApiObject with the given construct id.
//
// The apiVersion and kind come from Scheme, so the object's TypeMeta may be
// left empty; if it is set, it must agree with Scheme. Its metadata (name, namespace, labels,
// annotations) goes to cdk8s as ApiObject metadata, so chart-level labels and
// namespaces apply; every other top-level field except status goes in as one
// JSON patch each, all added in a single jsii call. The object costs two
// crossings into the jsii kernel plus one per such field (spec or data:
// usually one). Over half of an object's cost is the JSON patch, whose
// value the kernel checks value by value on its way in, so the cost grows
// with the body (measurements in bench/README.md). cdk8s's own bulk path,
// Include, is no cheaper: it loads its file in a node child process of its
// own, and its objects would get construct ids and paths of its making.
//
// NewTypedObject panics when obj's type is not registered in Scheme, or is
// registered under several kinds and its TypeMeta does not pick one, or when
// it does not marshal to a JSON object: all are programming errors.
func NewTypedObject(scope constructs.Construct, id string, obj runtime.Object) cdk8s.ApiObject {
	gvk := groupVersionKind(obj, id)
	accessor, err := meta.Accessor(obj)
	if err != nil {
		panic(fmt.Sprintf("constructs: %T %q has no object metadata: %v", obj, id, err))
	}
	body, err := toJSONObject(obj)
	if err != nil {
		panic(fmt.Sprintf("constructs: %T %q: %v", obj, id, err))
	}
	delete(body, "apiVersion")
	delete(body, "kind")
	delete(body, "metadata")
	delete(body, "status")

	apiVersion, kind := gvk.ToAPIVersionAndKind()
	md := &cdk8s.ApiObjectMetadata{Name: jsii.String(accessor.GetName())}
	if ns := accessor.GetNamespace(); ns != "" {
		md.Namespace = jsii.String(ns)
	}
	if l := accessor.GetLabels(); len(l) > 0 {
		md.Labels = stringPtrMap(l)
	}
	if a := accessor.GetAnnotations(); len(a) > 0 {
		md.Annotations = stringPtrMap(a)
	}
	apiObject := cdk8s.NewApiObject(scope, jsii.String(id), &cdk8s.ApiObjectProps{
		ApiVersion: jsii.String(apiVersion),
		Kind:       jsii.String(kind),
		Metadata:   md,
	})
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	patches := make([]cdk8s.JsonPatch, 0, len(keys))
	for _, k := range keys {
		patches = append(patches, cdk8s.JsonPatch_Add(jsii.String("/"+escapePointer(k)), body[k]))
	}
	if len(patches) > 0 {
		apiObject.AddJsonPatch(patches...)
	}
	return apiObject
}

// groupVersionKind returns obj's kind as Scheme registers it.
func groupVersionKind(obj runtime.Object, id string) schema.GroupVersionKind {
	kinds, _, err := Scheme.ObjectKinds(obj)
	if err != nil {
		panic(fmt.Sprintf("constructs: %T %q: its type is not registered in constructs.Scheme; add its API group there: %v", obj, id, err))
	}
	set := obj.GetObjectKind().GroupVersionKind()
	if set.Empty() {
		if len(kinds) > 1 {
			panic(fmt.Sprintf("constructs: %T %q is registered as %v; set its TypeMeta to choose one", obj, id, kinds))
		}
		return kinds[0]
	}
	if !slices.Contains(kinds, set) {
		panic(fmt.Sprintf("constructs: %T %q has TypeMeta %s, but constructs.Scheme registers it as %v", obj, id, set, kinds))
	}
	return set
}

// toJSONObject marshals obj and returns it as a JSON object with every null
// removed (apimachinery writes creationTimestamp: null for unset times).
func toJSONObject(obj any) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	pruneNulls(m)
	return m, nil
}

func pruneNulls(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			pruneNulls(e)
		}
	case []any:
		for _, e := range t {
			pruneNulls(e)
		}
	}
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

func stringPtrMap(m map[string]string) *map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = jsii.String(v)
	}
	return &out
}
