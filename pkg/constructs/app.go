package constructs

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"

	bulkjsii "github.com/telepace/platform-charts/internal/bulk/jsii"
)

// App is a cdk8s App whose jsii kernel starts on a goroutine of its own
// while the caller builds its charts on the Go side.
//
// Starting the kernel (a node process, jsii's kernel script, and cdk8s
// loaded into it) is most of what an empty synth costs. StartApp begins it
// at once; NewChart and this package's constructors only queue, so the
// charts are composed meanwhile, on the other core. The first thing that
// needs the kernel (Kernel, Synth, a Flush, or any method this package
// answers from the kernel's side) waits for it, and the queue, charts
// first, goes to the kernel in the order it was built, as if the App had
// existed all along.
//
// Until then, no code of the caller's may call into the jsii kernel, on
// any goroutine: jsii's client takes one call at a time. Reach the kernel
// through Kernel, which waits.
type App struct {
	// root stands for the App as the scope of its charts.
	root  *pendingConstruct
	ready chan struct{}
	// app is the kernel's App, once ready is closed.
	app cdk8s.App
	// failed is what the kernel's goroutine panicked with, if it did.
	failed any
	// checks is closed when the checks of addProblemsLater made under the
	// App may run: once Synth has handed the queue to the kernel, or their
	// problems are asked for (releaseChecks).
	checks  chan struct{}
	release sync.Once
	// checkingAfter is set while Synth has cdk8s synthesise the App
	// before it registers the problems of the App's checks. Guarded by
	// later.
	checkingAfter bool
}

// starting are the Apps whose kernel side may not be ready yet; take waits
// for them. Guarded by queue.
var starting []*App

// StartApp creates a cdk8s App with props, starting the jsii kernel first
// if it has not started, on a goroutine of its own, and returns at once.
// A failure to start (node missing or broken) panics where the kernel is
// first needed, on the caller's goroutine.
func StartApp(props *cdk8s.AppProps) *App {
	a := &App{ready: make(chan struct{}), checks: make(chan struct{})}
	a.root = &pendingConstruct{app: a}
	queue.Lock()
	starting = append(starting, a)
	queue.Unlock()
	go func() {
		defer close(a.ready)
		defer func() { a.failed = recover() }()
		a.app = cdk8s.NewApp(props)
		// Load this package's jsii library too, before anything needs it.
		bulkjsii.Initialize()
	}()
	return a
}

// Kernel hands the queue to the kernel, waiting for the kernel's App first,
// and returns the kernel's App.
func (a *App) Kernel() cdk8s.App {
	Flush()
	return a.app
}

// Synth hands the queue to the kernel and synthesises the App into its
// output directory, returning what CatchValidation returns. A failure to
// start the kernel panics, as cdk8s.NewApp's would. While the kernel is
// still starting, Synth encodes the queue, so that node creates the
// objects as soon as it is up.
//
// The checks of addProblemsLater made under the App run meanwhile, on
// the core node leaves idle while cdk8s synthesises; their problems are
// registered after. When they found any, the App is synthesised again,
// for cdk8s to report them with the rest, in its order; what the first
// synth wrote is then not a result (bench/README.md has what it saves).
func (a *App) Synth() error {
	if !a.isReady() {
		// Encode the queue while node starts, not after.
		encodeAhead()
	}
	a.await()
	later.Lock()
	a.checkingAfter = true
	later.Unlock()
	err := CatchValidation(func() {
		// The queue is with the kernel: the checks run while cdk8s
		// synthesises, on the core node leaves idle.
		a.releaseChecks()
		a.app.Synth()
	})
	later.Lock()
	a.checkingAfter = false
	later.Unlock()
	if !registerChecks(func(c *laterCheck) bool { return c.app == a }) {
		return err
	}
	var verr *ValidationError
	if err != nil && !errors.As(err, &verr) {
		return err
	}
	return CatchValidation(func() { a.app.Synth() })
}

// await waits for the kernel's side of every started App, a among them.
func (a *App) await() {
	queue.Lock()
	defer queue.Unlock()
	awaitLocked()
}

// releaseChecks lets the checks of addProblemsLater made under a run.
func (a *App) releaseChecks() {
	a.release.Do(func() { close(a.checks) })
}

// awaitLocked waits for the kernel side of every started App, which take
// needs before it hands anything over, and re-raises a failure to start on
// this goroutine. Called with the queue's lock held.
func awaitLocked() {
	for len(starting) > 0 {
		a := starting[0]
		<-a.ready
		if a.failed != nil {
			panic(a.failed)
		}
		a.root.real = a.app
		starting = starting[1:]
	}
}

// NewChart adds a cdk8s Chart with the given id and props to app. It is
// queued with this package's constructs (see Flush), so it costs no call
// into the kernel of its own, and its kernel side is created in order
// with what is queued before and in it. Use it as the scope of this
// package's constructors; cdk8s.Chart_Of(Kernel(c)) is the kernel's Chart.
func NewChart(app *App, id string, props *cdk8s.ChartProps) constructs.Construct {
	// The fields that are set, as cdk8s's ChartProps: a null would not
	// be an unset field to the Chart.
	set := map[string]any{}
	if props != nil {
		if props.DisableResourceNameHashes != nil {
			set["disableResourceNameHashes"] = *props.DisableResourceNameHashes
		}
		if props.Labels != nil {
			set["labels"] = *props.Labels
		}
		if props.Namespace != nil {
			set["namespace"] = *props.Namespace
		}
	}
	wire, err := json.Marshal(set)
	if err != nil {
		panic(fmt.Sprintf("constructs: chart %q: encoding its props: %v", id, err))
	}
	c := &pendingConstruct{parent: app.root, id: id, app: app}
	enqueue(op{kind: 'h', parent: app.root, id: id, construct: c, props: wire}, app)
	return c
}

// isReady reports whether the kernel's side of a is there, without
// waiting for it.
func (a *App) isReady() bool {
	select {
	case <-a.ready:
		return true
	default:
		return false
	}
}
