package constructs

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AddProblems registers problems, each "field: message", as a validation of
// scope. cdk8s reports them, prefixed with scope's path, when the app is
// synthesised. It does nothing when there are no problems.
func AddProblems(scope constructs.Construct, problems ...string) {
	if len(problems) == 0 {
		return
	}
	constructs.Node_Of(Kernel(scope)).AddValidation(&reportedProblems{problems: slices.Clone(problems)})
}

// later holds the checks of addProblemsLater whose problems are not
// registered yet, in the order they were made.
var later struct {
	sync.Mutex
	checks []*laterCheck
}

// laterCheck is one check of addProblemsLater.
type laterCheck struct {
	scope constructs.Construct
	// app is the App of StartApp scope was built under, or nil.
	app      *App
	problems chan []string
}

// checkSlot lets one check of addProblemsLater run at a time. They run
// while cdk8s synthesises, when the kernel calls back into Go (the flush
// hook) and waits for the answer: with two cores, checks on both would
// leave that goroutine waiting for a P, up to a scheduler slice (10 ms;
// a first callback was seen answered 13 ms late). One at a time, today's
// charts took 2.2 ms less (31 paired rounds, 90% interval 1.2-5.5), 3009
// objects no longer.
var checkSlot = make(chan struct{}, 1)

// addProblemsLater runs check, a pure Go function with no jsii call, on a
// goroutine of its own, and registers the problems it returns as a
// validation of scope (AddProblems). A panic in check is reported as a
// problem.
//
// A chart's costliest checks so run on the other core, and, under an App
// of StartApp, not while the App is built or node starts, when the two
// cores are busy: App.Synth lets them run once it has handed the queue to
// the kernel, while cdk8s synthesises on node's core alone, and registers
// their problems after (see App.Synth); anything that needs their
// problems first (Flush) lets them run then. Elsewhere they run at once,
// and their problems are registered when the queue is next handed to the
// kernel, at the latest when the app is synthesised, before cdk8s
// validates it.
func addProblemsLater(scope constructs.Construct, check func() []string) {
	c := &laterCheck{scope: scope, app: appOf(scope), problems: make(chan []string, 1)}
	var release <-chan struct{}
	if c.app != nil {
		release = c.app.checks
	}
	go func() {
		if release != nil {
			<-release
		}
		defer func() {
			if r := recover(); r != nil {
				c.problems <- []string{fmt.Sprintf("internal error checking this construct: %v", r)}
			}
		}()
		checkSlot <- struct{}{}
		defer func() { <-checkSlot }()
		c.problems <- check()
	}()
	later.Lock()
	later.checks = append(later.checks, c)
	later.Unlock()
}

// registerLaterProblems waits for the checks of addProblemsLater and
// registers their problems, but for those of an App whose Synth
// registers them itself after cdk8s's synth (App.Synth).
func registerLaterProblems() {
	registerChecks(func(c *laterCheck) bool { return c.app == nil || !c.app.checkingAfter })
}

// registerChecks waits for the checks that match, which it calls with
// later's lock held, and registers their problems, in the order the checks
// were made. It reports whether any check found a problem.
func registerChecks(match func(*laterCheck) bool) (found bool) {
	later.Lock()
	var checks []*laterCheck
	later.checks = slices.DeleteFunc(later.checks, func(c *laterCheck) bool {
		if match(c) {
			checks = append(checks, c)
			return true
		}
		return false
	})
	later.Unlock()
	for _, c := range checks {
		if c.app != nil {
			c.app.releaseChecks()
		}
		problems := <-c.problems
		AddProblems(c.scope, problems...)
		found = found || len(problems) > 0
	}
	return found
}

// reportedProblems adapts a list of problems to the constructs IValidation
// interface. jsii passes it to the kernel by reference, which takes a struct
// pointer.
type reportedProblems struct{ problems []string }

// Validate returns the problems.
func (r *reportedProblems) Validate() *[]*string { return jsii.Strings(r.problems...) }

var _ constructs.IValidation = (*reportedProblems)(nil)

// ValidationError lists every problem cdk8s reported when it validated an
// app, each prefixed with its construct path:
// "[prod/voiceflow] image: tag "latest" is floating; ...".
type ValidationError struct {
	// Problems are the messages, in the order cdk8s reported them.
	Problems []string
}

// Error returns every problem, one per line.
func (e *ValidationError) Error() string {
	return "validation failed:\n  " + strings.Join(e.Problems, "\n  ")
}

// validationHeader starts the message of the error cdk8s throws when
// construct validations fail; each problem follows on a line of its own.
const validationHeader = "Validation failed with the following errors:"

// CatchValidation hands the queue to the kernel (Flush), runs synth, a
// call such as app.Synth or app.SynthYaml, and
// turns the error cdk8s throws through jsii when validations fail into a
// *ValidationError. Any other failure becomes a plain error.
func CatchValidation(synth func()) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		msg := fmt.Sprint(r)
		_, list, found := strings.Cut(msg, validationHeader)
		if !found {
			err = fmt.Errorf("cdk8s synth: %s", msg)
			return
		}
		var problems []string
		for _, line := range strings.Split(list, "\n") {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "[") {
				problems = append(problems, line)
			}
		}
		err = &ValidationError{Problems: problems}
	}()
	Flush()
	synth()
	return nil
}
