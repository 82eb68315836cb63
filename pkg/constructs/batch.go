package constructs

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/aws/constructs-go/constructs/v10"

	"github.com/telepace/platform-charts/internal/bulk"
)

// The constructs and objects of this package are built on the Go side and
// handed to the jsii kernel in batches, through the Bulk class of
// jsii/bulk (internal/bulk): a batch is one call into the kernel, however
// many objects it holds. The kernel then creates exactly what one call per
// object used to create (the same ApiObject, the same JSON patches, the
// same construct ids), in the order this package created them, so cdk8s
// orders, validates and writes the same tree.
//
// Order is what decides when a batch must go. cdk8s writes a chart's
// objects in the order of the construct tree, and a construct's children
// in the order they were added. Children added to a scope this package
// made (owned) come only from this package (an assumption the package
// documents: add children to its constructs through its constructors), so
// they can wait in the queue in their order. A scope made elsewhere (a
// chart, or a construct made with constructs.NewConstruct) may get
// children from code that calls the kernel directly, so what this package
// adds there goes to the kernel at once, with everything queued before it:
// one call per construct made directly in a foreign scope, and the rest of
// its subtree rides along with the next call.

// queue is what waits for the next call into the kernel.
var queue struct {
	sync.Mutex
	ops []op
	// owned are the kernel-side constructs this package made: their
	// children come only from this package.
	owned map[constructs.Construct]struct{}
}

// flushes counts the calls into the kernel that handed the queue over.
var flushes int

// op is one queued operation of Bulk.apply.
type op struct {
	kind      byte // 'c' construct, 'o' object, 'a' annotation
	parent    constructs.Construct
	id        string
	construct *pendingConstruct // 'c'
	object    *object           // 'o'
	key, val  string            // 'a'
}

// pendingConstruct is a construct of this package that the kernel may not
// hold yet. Node and ToString hand the queue to the kernel first.
type pendingConstruct struct {
	real constructs.Construct
	// made is its index among the constructs of the batch that creates
	// it, while real is nil.
	made int
}

// Node returns the construct tree node, handing the queue to the kernel
// first if needed.
func (c *pendingConstruct) Node() constructs.Node { return c.kernel().Node() }

// ToString returns the construct's path, handing the queue to the kernel
// first if needed.
func (c *pendingConstruct) ToString() *string { return c.kernel().ToString() }

// kernel returns the kernel's construct, flushing the queue if it is not
// there yet.
func (c *pendingConstruct) kernel() constructs.Construct {
	queue.Lock()
	defer queue.Unlock()
	if c.real == nil {
		flushLocked()
	}
	return c.real
}

// With applies mixins to the kernel's construct.
func (c *pendingConstruct) With(mixins ...constructs.IMixin) constructs.IConstruct {
	return c.kernel().With(mixins...)
}

var _ constructs.Construct = (*pendingConstruct)(nil)

// kernelConstruct returns the kernel's construct for c, a construct of
// this package or any other, handing the queue over first if needed.
func kernelConstruct(c constructs.Construct) constructs.Construct {
	if p, ok := c.(*pendingConstruct); ok {
		return p.kernel()
	}
	return c
}

// ownedLocked reports whether this package made scope, so that only it adds
// children to scope.
func ownedLocked(scope constructs.Construct) bool {
	if _, ok := scope.(*pendingConstruct); ok {
		return true
	}
	_, ok := queue.owned[scope]
	return ok
}

// newConstruct adds a plain construct with the given id to scope. Under a
// construct of this package it is queued; under any other scope it is
// created at once, with the queue, in one call.
func newConstruct(scope constructs.Construct, id string) constructs.Construct {
	queue.Lock()
	defer queue.Unlock()
	c := &pendingConstruct{}
	queue.ops = append(queue.ops, op{kind: 'c', parent: scope, id: id, construct: c})
	if ownedLocked(scope) {
		return c
	}
	flushLocked()
	if queue.owned == nil {
		queue.owned = map[constructs.Construct]struct{}{}
	}
	queue.owned[c.real] = struct{}{}
	return c.real
}

// enqueueObject queues o. When its scope is not a construct of this
// package, the queue goes to the kernel at once.
func enqueueObject(o *object) {
	queue.Lock()
	defer queue.Unlock()
	queue.ops = append(queue.ops, op{kind: 'o', parent: o.parent, id: o.id, object: o})
	if !ownedLocked(o.parent) {
		flushLocked()
	}
}

// enqueueAnnotation queues an annotation of o, which the kernel holds.
func enqueueAnnotation(o *object, key, value string) {
	queue.Lock()
	defer queue.Unlock()
	queue.ops = append(queue.ops, op{kind: 'a', parent: o.parent, id: o.id, key: key, val: value})
}

// Flush hands every construct and object this package holds on the Go side
// to the jsii kernel, in one call. Every method that needs the kernel's
// side of a construct or object of this package calls it, and so do
// CatchValidation and, through a validation this package adds to each app,
// cdk8s's App.Synth and App.SynthYaml, before they write anything. Call it
// before rendering constructs in any other way (cdk8s.Testing_Synth,
// Chart.ToJson), and before adding children to this package's constructs
// with anything but this package's constructors.
func Flush() {
	queue.Lock()
	defer queue.Unlock()
	flushLocked()
}

// flushLocked sends the queue to the kernel as one Bulk.apply call, and
// gives each queued construct its kernel counterpart.
func flushLocked() {
	if len(queue.ops) == 0 {
		return
	}
	ops := queue.ops
	queue.ops = nil
	var scopes []constructs.Construct
	index := map[constructs.Construct]int{}
	var made []*pendingConstruct
	ref := func(parent constructs.Construct) int {
		if p, ok := parent.(*pendingConstruct); ok {
			if p.real == nil {
				return -(p.made + 1)
			}
			parent = p.real
		}
		i, ok := index[parent]
		if !ok {
			i = len(scopes)
			scopes = append(scopes, parent)
			index[parent] = i
		}
		return i
	}
	wire := make([]any, 0, len(ops))
	for _, o := range ops {
		switch o.kind {
		case 'c':
			wire = append(wire, []any{"c", ref(o.parent), o.id})
			o.construct.made = len(made)
			made = append(made, o.construct)
		case 'o':
			wire = append(wire, o.object.wire(ref(o.parent)))
			o.object.sent = true
		case 'a':
			wire = append(wire, []any{"a", ref(o.parent), o.id, o.key, o.val})
		}
	}
	data, err := json.Marshal(wire)
	if err != nil {
		panic(fmt.Sprintf("constructs: encoding the queued objects: %v", err))
	}
	flushes++
	created := bulk.Bulk_Apply(&scopes, stringPtr(string(data)), hook)
	if created == nil || len(*created) != len(made) {
		panic(fmt.Sprintf("constructs: the kernel made %v constructs, want %d", created, len(made)))
	}
	for i, c := range *created {
		made[i].real = c
	}
}

func stringPtr(s string) *string { return &s }

// hook is added by Bulk.apply, once per app, as a validation of the app:
// cdk8s validates an app before it writes it, the app itself first, so
// whatever is still queued when an app is synthesised without Flush (by
// app.Synth or app.SynthYaml) goes to the kernel then. jsii registers it
// with the kernel once, on its first use.
var hook = &flushHook{}

// flushHook is the validation that flushes the queue.
type flushHook struct{}

// Validate flushes the queue and reports no problem.
func (*flushHook) Validate() *[]*string {
	Flush()
	return &[]*string{}
}

var _ constructs.IValidation = (*flushHook)(nil)
