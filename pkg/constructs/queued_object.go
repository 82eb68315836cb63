package constructs

import (
	"bytes"
	"encoding/json"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
)

// object is the ApiObject NewTypedObject returns: the object as this
// package queues it for the kernel, and, once something needs it, the
// kernel's ApiObject.
type object struct {
	parent                  constructs.Construct
	id                      string
	apiVersion, kind        string
	name, namespace         string
	labels, annotations     map[string]string
	patches                 []patch
	sent                    bool // taken for a batch to the kernel; guarded by queue
	real                    cdk8s.ApiObject
	metadataBeforeTheKernel *metadata
}

var _ cdk8s.ApiObject = (*object)(nil)

// wireMetadata returns the object's metadata as its "o" operation holds
// it.
func (o *object) wireMetadata() map[string]any {
	md := map[string]any{"name": o.name}
	if o.namespace != "" {
		md["namespace"] = o.namespace
	}
	if len(o.labels) > 0 {
		md["labels"] = o.labels
	}
	if len(o.annotations) > 0 {
		md["annotations"] = o.annotations
	}
	return md
}

// patch is one JSON patch that adds a top-level field.
type patch struct {
	// path is the field's JSON pointer.
	path string
	// value is the field's value, canonical JSON (canonicalMembers).
	value json.RawMessage
}

// appendWire appends the object's "o" operation of Bulk.apply to b, its
// parent being parent. The patches' values are copied as they are: they
// are compact, escaped as json.Marshal escapes, and so would come out of
// json.Marshal unchanged, after a scan of every byte.
func (o *object) appendWire(b *bytes.Buffer, parent int) error {
	head, err := json.Marshal([]any{"o", parent, o.id, o.apiVersion, o.kind, o.wireMetadata()})
	if err != nil {
		return err
	}
	b.Write(head[:len(head)-1]) // without its "]"
	b.WriteString(",[")
	for i, p := range o.patches {
		path, err := json.Marshal(p.path)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		b.Write(path)
		b.WriteByte(',')
		b.Write(p.value)
		b.WriteByte(']')
	}
	b.WriteString("]]")
	return nil
}

// kernel returns the kernel's ApiObject, handing the queue over first: the
// first time, it costs the flush and three calls.
func (o *object) kernel() cdk8s.ApiObject {
	if o.real == nil {
		Flush()
		child := Kernel(o.parent).Node().FindChild(jsii.String(o.id))
		o.real = cdk8s.ApiObject_Of(child)
	}
	return o.real
}

// Node returns the kernel object's construct node.
func (o *object) Node() constructs.Node { return o.kernel().Node() }

// ToString returns the kernel object's construct path.
func (o *object) ToString() *string { return o.kernel().ToString() }

// With applies mixins to the kernel's object.
func (o *object) With(mixins ...constructs.IMixin) constructs.IConstruct {
	return o.kernel().With(mixins...)
}

// ApiGroup returns the kernel object's API group.
func (o *object) ApiGroup() *string { return o.kernel().ApiGroup() }

// ApiVersion returns the object's apiVersion.
func (o *object) ApiVersion() *string { return jsii.String(o.apiVersion) }

// Kind returns the object's kind.
func (o *object) Kind() *string { return jsii.String(o.kind) }

// Name returns the object's name; when it has none, the one cdk8s
// generates.
func (o *object) Name() *string {
	if o.name != "" {
		return jsii.String(o.name)
	}
	return o.kernel().Name()
}

// Chart returns the kernel object's chart.
func (o *object) Chart() cdk8s.Chart { return o.kernel().Chart() }

// Metadata returns the object's metadata.
func (o *object) Metadata() cdk8s.ApiObjectMetadataDefinition {
	if o.real != nil {
		return o.real.Metadata()
	}
	if o.metadataBeforeTheKernel == nil {
		o.metadataBeforeTheKernel = &metadata{o}
	}
	return o.metadataBeforeTheKernel
}

// AddDependency makes the kernel object depend on dependencies.
func (o *object) AddDependency(dependencies ...constructs.IConstruct) {
	deps := make([]constructs.IConstruct, len(dependencies))
	for i, d := range dependencies {
		deps[i] = kernelIConstruct(d)
	}
	o.kernel().AddDependency(deps...)
}

// AddJsonPatch adds JSON patches to the kernel object.
func (o *object) AddJsonPatch(ops ...cdk8s.JsonPatch) { o.kernel().AddJsonPatch(ops...) }

// ToJson renders the kernel object.
func (o *object) ToJson() any { return o.kernel().ToJson() }

// kernelIConstruct returns the kernel's side of c.
func kernelIConstruct(c constructs.IConstruct) constructs.IConstruct {
	switch t := c.(type) {
	case *object:
		return t.kernel()
	case *pendingConstruct:
		return t.kernel()
	}
	return c
}

// metadata is an object's metadata before the kernel holds the object's
// ApiObject; afterwards it forwards to the kernel's.
type metadata struct{ o *object }

var _ cdk8s.ApiObjectMetadataDefinition = (*metadata)(nil)

func (m *metadata) kernel() cdk8s.ApiObjectMetadataDefinition { return m.o.kernel().Metadata() }

// Name returns the object's name.
func (m *metadata) Name() *string { return m.o.Name() }

// Namespace returns the object's namespace; when it has none, the one
// cdk8s gives it.
func (m *metadata) Namespace() *string {
	if m.o.real == nil && m.o.namespace != "" {
		return jsii.String(m.o.namespace)
	}
	return m.kernel().Namespace()
}

// Add sets a metadata field on the kernel's object.
func (m *metadata) Add(key *string, value any) { m.kernel().Add(key, value) }

// AddAnnotation adds an annotation: on the Go side, or, once the object
// is on its way to the kernel, with the next batch.
func (m *metadata) AddAnnotation(key *string, value *string) {
	if m.o.real != nil {
		m.o.real.Metadata().AddAnnotation(key, value)
		return
	}
	if m.o.setUnsent(&m.o.annotations, *key, *value) {
		return
	}
	enqueueAnnotation(m.o, *key, *value)
}

// AddFinalizers adds finalizers on the kernel's object.
func (m *metadata) AddFinalizers(finalizers ...*string) { m.kernel().AddFinalizers(finalizers...) }

// AddLabel adds a label: on the Go side until the object is on its way to
// the kernel, on the kernel's object afterwards.
func (m *metadata) AddLabel(key *string, value *string) {
	if m.o.real == nil && m.o.setUnsent(&m.o.labels, *key, *value) {
		return
	}
	m.kernel().AddLabel(key, value)
}

// setUnsent sets key to value in *fields, the object's labels or
// annotations, and reports true, while the object is not yet taken for a
// batch (under the queue's lock); once it is, it reports false.
func (o *object) setUnsent(fields *map[string]string, key, value string) bool {
	queue.Lock()
	defer queue.Unlock()
	if o.sent {
		return false
	}
	if *fields == nil {
		*fields = map[string]string{}
	}
	(*fields)[key] = value
	return true
}

// AddOwnerReference adds an owner reference on the kernel's object.
func (m *metadata) AddOwnerReference(owner *cdk8s.OwnerReference) {
	m.kernel().AddOwnerReference(owner)
}

// GetLabel returns the value of a label, or nil.
func (m *metadata) GetLabel(key *string) *string {
	if m.o.real != nil {
		return m.o.real.Metadata().GetLabel(key)
	}
	if v, ok := m.o.labels[*key]; ok {
		return jsii.String(v)
	}
	return nil
}

// ToJson renders the kernel object's metadata.
func (m *metadata) ToJson() any { return m.kernel().ToJson() }
