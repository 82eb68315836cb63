package constructs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/telepace/platform-charts/internal/bulk"
	"github.com/telepace/platform-charts/internal/jsiienv"
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
// in the order they were added. So the queue must reach the kernel before
// anything else adds a construct to a tree. Bulk.apply, given the queue's
// flush (hook), makes the kernel call it before every construct added
// outside Bulk.apply: a chart, or a construct made with
// constructs.NewConstruct, costs the call that makes it and one callback,
// and everything queued before it goes in first. The first batch goes at
// once, to give the kernel the hook.
//
// A chart built by this package's constructors alone thus costs one call
// per MiB of objects (maxBatch), at synth.

// queue is what waits for the next call into the kernel.
var queue struct {
	sync.Mutex
	ops []op
	// hooked is set once a batch carrying the hook is on its way.
	hooked bool
	// sending is set while a background flush is on its way.
	sending bool
	// failed is what a background flush panicked with, for the next
	// flush on the builder's goroutine to re-raise.
	failed any
}

// sendMu is held while a batch is encoded and handed to the kernel, so
// that batches reach it one at a time, in the order they were taken from
// the queue.
var sendMu sync.Mutex

// flushes counts the Bulk.apply calls that handed the queue to the
// kernel, and written the files of operations written for them. Guarded
// by sendMu.
var flushes, written int

// op is one queued operation of Bulk.apply.
type op struct {
	kind      byte // 'c' construct, 'h' chart, 'o' object, 'a' annotation
	parent    constructs.Construct
	id        string
	construct *pendingConstruct // 'c'
	object    *object           // 'o'
	key, val  string            // 'a'
	props     json.RawMessage   // 'h'
}

// pendingConstruct is a construct of this package that the kernel may not
// hold yet. Its node answers its id and path on the Go side; everything
// else hands the queue to the kernel first.
type pendingConstruct struct {
	parent constructs.Construct
	id     string
	real   constructs.Construct
	// seq is its place among the constructs Bulk.apply made (registered),
	// once a batch holds it.
	seq int
	// app is the App it was built under with StartApp and NewChart, if
	// any; an App's own root has itself.
	app *App
}

// Node returns the construct's tree node. Its Id and Path are answered on
// the Go side; everything else is the kernel's node's, handing the queue
// over first if needed.
func (c *pendingConstruct) Node() constructs.Node { return &pendingNode{c} }

// ToString returns the construct's path, handing the queue to the kernel
// first if needed.
func (c *pendingConstruct) ToString() *string { return c.kernel().ToString() }

// kernel returns the kernel's construct, flushing the queue if it is not
// there yet.
func (c *pendingConstruct) kernel() constructs.Construct {
	Flush()
	if c.real == nil {
		c.real = bulk.Bulk_Construct(jsii.Number(c.seq))
	}
	return c.real
}

// isAppRoot reports whether c stands for an App of StartApp.
func (c *pendingConstruct) isAppRoot() bool { return c.app != nil && c.app.root == c }

// With applies mixins to the kernel's construct.
func (c *pendingConstruct) With(mixins ...constructs.IMixin) constructs.IConstruct {
	return c.kernel().With(mixins...)
}

var _ constructs.Construct = (*pendingConstruct)(nil)

// Kernel returns the kernel's side of c, a construct of this package or
// any other, handing the queue over first if the kernel does not hold c
// yet. The constructs of this package are Go values until then; pass
// Kernel(c), not c, where a cdk8s or constructs function takes a
// construct, such as the scope of a cdk8s.NewApiObject.
func Kernel(c constructs.Construct) constructs.Construct {
	if p, ok := c.(*pendingConstruct); ok {
		return p.kernel()
	}
	return c
}

// NewScope adds a plain construct with the given id to scope, to group
// constructs under, as constructs.NewConstruct does; but it is held on the
// Go side with this package's constructs and objects (see Flush), so it
// costs no call into the kernel, where constructs.NewConstruct costs two:
// its own and the flush it causes.
func NewScope(scope constructs.Construct, id string) constructs.Construct {
	return newConstruct(scope, id)
}

// newConstruct queues a plain construct with the given id in scope.
func newConstruct(scope constructs.Construct, id string) constructs.Construct {
	c := &pendingConstruct{parent: scope, id: id, app: appOf(scope)}
	enqueue(op{kind: 'c', parent: scope, id: id, construct: c}, c.app)
	return c
}

// enqueueObject queues o.
func enqueueObject(o *object) {
	enqueue(op{kind: 'o', parent: o.parent, id: o.id, object: o}, appOf(o.parent))
}

// appOf returns the App started with StartApp that scope was built under,
// or nil.
func appOf(scope constructs.Construct) *App {
	if p, ok := scope.(*pendingConstruct); ok {
		return p.app
	}
	return nil
}

// backgroundOps is how many queued operations of a ready App of StartApp
// make a batch go to the kernel on another goroutine, while the queue
// fills on: about 600 KiB of today's objects.
const backgroundOps = 256

// enqueue queues o, built under app (nil outside an App of StartApp), and
// decides whether the queue goes to the kernel now.
//
// Outside an App of StartApp, the first batch goes at once, to give the
// kernel the hook (see Flush); after that, everything waits for a flush.
// Under one, the kernel belongs to this package until Kernel or Synth
// returns, so a full batch goes on a goroutine of its own once the App is
// ready, and node creates the objects on the other core while the rest
// are built. Nothing waits for an App that is still starting.
func enqueue(o op, app *App) {
	queue.Lock()
	queue.ops = append(queue.ops, o)
	var now, background bool
	switch {
	case app == nil:
		now = !queue.hooked
	case !app.isReady():
	case !queue.sending && len(queue.ops) >= backgroundOps:
		queue.sending = true
		background = true
	}
	queue.Unlock()
	switch {
	case now:
		flushSync()
	case background:
		go flushInBackground()
	}
}

// enqueueAnnotation queues an annotation of o, which is on its way to the
// kernel.
func enqueueAnnotation(o *object, key, value string) {
	queue.Lock()
	defer queue.Unlock()
	queue.ops = append(queue.ops, op{kind: 'a', parent: o.parent, id: o.id, key: key, val: value})
}

// Flush hands every construct and object this package holds on the Go side
// to the jsii kernel, in as few calls as it can, with the problems of the
// checks still running on other goroutines. Every method that needs the kernel's
// side of a construct or object of this package calls it, and so do
// CatchValidation and, through a validation this package adds to each app,
// cdk8s's App.Synth and App.SynthYaml, before they write anything. Call it
// before rendering constructs in any other way (cdk8s.Testing_Synth,
// Chart.ToJson), and before adding children to this package's constructs
// with anything but this package's constructors.
func Flush() {
	registerLaterProblems()
	flushSync()
}

// maxBatch bounds the JSON of one Bulk.apply call, so that the kernel
// applies one batch while the next is encoded. The operations go in a
// file (see send), not through jsii's pipe, which the kernel reads in
// pipe-sized chunks, joining them each time one arrives: there, a call
// cost time quadratic in its length. At 3009 objects, synth took 1.05 s
// with batches of 1 MiB, 1.07 s with 256 KiB and 1.09 s with 64 KiB
// (medians of 11 alternating runs on one machine).
const maxBatch = 1 << 20

// flushSync hands the queue to the kernel on this goroutine, after any
// background flush, waiting for the Apps still starting first; and
// re-raises what a background flush panicked with.
func flushSync() {
	sendMu.Lock()
	defer sendMu.Unlock()
	send(take())
}

// keepFailure, deferred, keeps a panic for the next flush on the
// builder's goroutine to re-raise (take).
func keepFailure() {
	if r := recover(); r != nil {
		queue.Lock()
		queue.failed = r
		queue.Unlock()
	}
}

// flushInBackground hands the queue to the kernel; a panic waits for the
// next flush on the builder's goroutine.
func flushInBackground() {
	defer keepFailure()
	sendMu.Lock()
	defer sendMu.Unlock()
	queue.Lock()
	queue.sending = false
	queue.Unlock()
	send(take())
}

// take removes the queued operations, once every App of StartApp is
// ready, and marks their objects sent: from now on their metadata changes
// go to the kernel. It re-raises what a background flush panicked with.
// Called with sendMu held.
func take() []op {
	queue.Lock()
	defer queue.Unlock()
	awaitLocked()
	return takeLocked()
}

// takeLocked is take without waiting for the Apps. Called with sendMu and
// the queue's lock held.
func takeLocked() []op {
	if r := queue.failed; r != nil {
		queue.failed = nil
		panic(r)
	}
	ops := queue.ops
	queue.ops = nil
	for _, o := range ops {
		if o.kind == 'o' {
			o.object.sent = true
		}
	}
	if len(ops) > 0 {
		queue.hooked = true
	}
	return ops
}

// ahead are batches encoded, and written, while an App of StartApp was
// still starting (encodeAhead), for the next flush to send first. Guarded
// by sendMu.
var ahead []*batch

// encodeAhead takes the queue and encodes it into batches, with their
// files, without waiting for the kernel: the work the flush of an App
// that is still starting would do after node is up, done while it
// starts. A panic waits for the next flush, as a background flush's does.
func encodeAhead() {
	sendMu.Lock()
	defer sendMu.Unlock()
	defer keepFailure()
	queue.Lock()
	ops := takeLocked()
	queue.Unlock()
	for _, b := range encode(ops) {
		b.write()
		ahead = append(ahead, b)
	}
}

// encode encodes ops into batches of at most maxBatch bytes, calling each
// one given with every batch as it is complete. Called with sendMu held.
func encode(ops []op, each ...func(*batch)) []*batch {
	var all []*batch
	done := func(b *batch) {
		if b.ops == 0 {
			return
		}
		all = append(all, b)
		for _, f := range each {
			f(b)
		}
	}
	b := newBatch()
	for _, o := range ops {
		b.add(o)
		if b.wire.Len() >= maxBatch {
			done(b)
			b = newBatch()
		}
	}
	done(b)
	return all
}

// send hands the batches encoded ahead, then ops, to the kernel, in
// Bulk.apply calls of at most maxBatch bytes, and gives each queued
// construct its kernel counterpart. Called with sendMu held, without the
// queue's lock, and once every App of StartApp is ready (take).
//
// A batch is encoded while the kernel applies the one before it, on a
// goroutine of its own: references to constructs made by earlier batches
// are their places in the kernel's list of the constructs Bulk.apply
// made (registered), known as they are encoded.
func send(ops []op) {
	batches := make(chan *batch, 1+len(ahead))
	done := make(chan any, 1)
	go func() {
		var failed any
		defer func() { done <- failed }()
		defer func() {
			if failed = recover(); failed != nil {
				for range batches {
				}
			}
		}()
		for b := range batches {
			b.send()
		}
	}()
	for _, b := range ahead {
		batches <- b
	}
	ahead = nil
	encode(ops, func(b *batch) { batches <- b })
	close(batches)
	if failed := <-done; failed != nil {
		panic(failed)
	}
}

// registered counts the constructs Bulk.apply made in the kernel, which
// keeps them in order: the next is the registered-th. Guarded by sendMu.
var registered int

// batch is one Bulk.apply call in the making.
type batch struct {
	wire   bytes.Buffer // the operations, as a JSON array
	scopes []constructs.Construct
	index  map[constructs.Construct]int
	made   int // constructs its "c" and "h" operations make
	ops    int
	file   string // the operations' file, once written
}

// newBatch starts a batch with the check that the kernel holds as many
// constructs of Bulk.apply's as this package counts.
func newBatch() *batch {
	b := &batch{index: map[constructs.Construct]int{}}
	fmt.Fprintf(&b.wire, `[["b",%d]`, registered)
	return b
}

// ref returns the Bulk.apply reference to parent: for a construct of this
// package, -(its place among the constructs Bulk.apply made + 1); for any
// other, its index in scopes. An App of StartApp is in scopes as its
// root, which may be encoded before the App is ready (encodeAhead); send
// puts the App there.
func (b *batch) ref(parent constructs.Construct) int {
	if p, ok := parent.(*pendingConstruct); ok && !p.isAppRoot() {
		return -(p.seq + 1)
	}
	i, ok := b.index[parent]
	if !ok {
		i = len(b.scopes)
		b.scopes = append(b.scopes, parent)
		b.index[parent] = i
	}
	return i
}

// add encodes o.
func (b *batch) add(o op) {
	b.ops++
	var wire []any
	switch o.kind {
	case 'c':
		wire = []any{"c", b.ref(o.parent), o.id}
		b.made++
		o.construct.seq = registered
		registered++
	case 'h':
		wire = []any{"h", b.ref(o.parent), o.id, o.props}
		b.made++
		o.construct.seq = registered
		registered++
	case 'o':
		b.wire.WriteByte(',')
		if err := o.object.appendWire(&b.wire, b.ref(o.parent)); err != nil {
			panic(fmt.Sprintf("constructs: encoding object %q for the kernel: %v", o.id, err))
		}
		return
	case 'a':
		wire = []any{"a", b.ref(o.parent), o.id, o.key, o.val}
	}
	data, err := json.Marshal(wire)
	if err != nil {
		panic(fmt.Sprintf("constructs: encoding %s %q for the kernel: %v", string(o.kind), o.id, err))
	}
	b.wire.WriteByte(',')
	b.wire.Write(data)
}

// write puts the operations in a file of the process's private temporary
// directory, which the kernel reads (send): as the call's argument, a
// string, jsii would escape them a second time (a dashboard's every quote
// becomes four characters) and the kernel would parse them twice. At 3009
// objects, the file took synth from 1.14 s to 1.09 s (medians of 11 runs).
func (b *batch) write() {
	b.wire.WriteByte(']')
	written++
	b.file = filepath.Join(jsiienv.TempDir(), fmt.Sprintf("bulk-%d.json", written))
	if err := os.WriteFile(b.file, b.wire.Bytes(), 0o600); err != nil {
		panic(fmt.Sprintf("constructs: writing operations for the kernel: %v", err))
	}
}

// send makes the Bulk.apply call, writing the batch's file first if
// encodeAhead did not. Every App of StartApp is ready.
func (b *batch) send() {
	if b.file == "" {
		b.write()
	}
	defer os.Remove(b.file)
	flushes++
	for i, s := range b.scopes {
		if p, ok := s.(*pendingConstruct); ok {
			b.scopes[i] = p.real // an App's root, which take waited for
		}
	}
	made := bulk.Bulk_Apply(&b.scopes, &b.file, hook)
	if made == nil || *made != float64(b.made) {
		panic(fmt.Sprintf("constructs: the kernel made %v constructs, want %d", made, b.made))
	}
}

// hook is the queue's flush, as the kernel calls it: before it adds a
// construct that does not come from the queue, and, as a validation of
// every app, when cdk8s validates the app before it writes it (the app
// itself first), so whatever is still queued when an app is synthesised
// without Flush (by app.Synth or app.SynthYaml) goes to the kernel then.
// jsii registers it with the kernel once, on its first use.
var hook = &flushHook{}

// flushHook is the validation that flushes the queue.
type flushHook struct{}

// Validate flushes the queue and reports no problem.
func (*flushHook) Validate() *[]*string {
	Flush()
	return &[]*string{}
}

var _ constructs.IValidation = (*flushHook)(nil)
