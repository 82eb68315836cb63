package constructs

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	// Silences the jsii Node.js banner before the kernel starts.
	_ "github.com/telepace/platform-charts/internal/jsiienv"
	_ "github.com/telepace/platform-charts/internal/kernelsnapshot"
)

// NewTypedObject adds obj, a typed Kubernetes object such as an
// *appsv1.Deployment or an upstream custom resource, to scope as a cdk8s
// ApiObject with the given construct id.
//
// The apiVersion and kind come from Scheme, so the object's TypeMeta may be
// left empty; if it is set, it must agree with Scheme. Its metadata (name,
// namespace, labels, annotations) goes to cdk8s as ApiObject metadata, so
// chart-level labels and namespaces apply; every other top-level field
// except status goes in as one JSON patch each ("add", in key order).
//
// The object is held on the Go side and goes to the jsii kernel, as JSON,
// with the next batch (see Flush): it costs no call into the kernel of
// its own. The returned ApiObject answers ApiVersion, Kind, Name, and its
// metadata's Name, Namespace, GetLabel, AddLabel and AddAnnotation, on the
// Go side; its other methods need the kernel's object, which costs a flush
// and three calls the first time. Annotations added after the object went
// to the kernel are queued too. Building an object costs about as much as
// encoding it as JSON twice (bench/README.md has the figures).
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
	raw, err := json.Marshal(obj)
	var members []jsonMember
	if err == nil {
		members, err = canonicalMembers(raw)
	}
	if err != nil {
		panic(fmt.Sprintf("constructs: %T %q: %v", obj, id, err))
	}

	apiVersion, kind := gvk.ToAPIVersionAndKind()
	o := &object{
		parent:      scope,
		id:          id,
		apiVersion:  apiVersion,
		kind:        kind,
		name:        accessor.GetName(),
		namespace:   accessor.GetNamespace(),
		labels:      maps.Clone(accessor.GetLabels()),
		annotations: maps.Clone(accessor.GetAnnotations()),
	}
	// Every top-level field but these, each one JSON patch, in key order.
	for _, m := range members {
		switch m.key {
		case "apiVersion", "kind", "metadata", "status":
			continue
		}
		o.patches = append(o.patches, patch{path: "/" + escapePointer(m.key), value: m.value})
	}
	enqueueObject(o)
	return o
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

// pointerEscaper escapes a JSON pointer's reference token (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapePointer(s string) string { return pointerEscaper.Replace(s) }
