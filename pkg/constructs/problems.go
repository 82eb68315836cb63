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

// later holds the checks running on other goroutines, whose problems
// Flush registers, in the order the checks were started, before it hands
// the queue to the kernel.
var later struct {
	sync.Mutex
	checks []laterCheck
}

// laterCheck is one check of addProblemsLater.
type laterCheck struct {
	scope    constructs.Construct
	problems chan []string
}

// addProblemsLater runs check, a pure Go function with no jsii call, on a
// goroutine of its own, and registers the problems it returns as a
// validation of scope (AddProblems) when the queue is next handed to the
// kernel: at the latest when the app is synthesised, before cdk8s
// validates it. A chart's costliest checks so run on the other core.
// While an App of StartApp starts, they wait (see held): until it is
// ready, or until its build is done and something waits for it. A panic
// in check is reported as a problem.
func addProblemsLater(scope constructs.Construct, check func() []string) {
	c := laterCheck{scope: scope, problems: make(chan []string, 1)}
	ready, released := appsReady(), checksReleased()
	go func() {
		select {
		case <-ready:
		case <-released:
		}
		defer func() {
			if r := recover(); r != nil {
				c.problems <- []string{fmt.Sprintf("internal error checking this construct: %v", r)}
			}
		}()
		c.problems <- check()
	}()
	later.Lock()
	later.checks = append(later.checks, c)
	later.Unlock()
}

// held holds the checks of addProblemsLater made while an App of
// StartApp starts, so that node's start, which the synth waits for, has
// the other core to itself. They run once the Apps are ready, or when
// something waits for an App or for their problems (releaseChecks),
// whichever comes first.
var held struct {
	sync.Mutex
	release chan struct{}
}

// checksReleased returns the channel releaseChecks closes next.
func checksReleased() <-chan struct{} {
	held.Lock()
	defer held.Unlock()
	if held.release == nil {
		held.release = make(chan struct{})
	}
	return held.release
}

// releaseChecks lets every check held so far run.
func releaseChecks() {
	held.Lock()
	defer held.Unlock()
	if held.release != nil {
		close(held.release)
		held.release = nil
	}
}

// registerLaterProblems waits for the checks of addProblemsLater and
// registers their problems.
func registerLaterProblems() {
	releaseChecks()
	later.Lock()
	checks := later.checks
	later.checks = nil
	later.Unlock()
	for _, c := range checks {
		AddProblems(c.scope, <-c.problems...)
	}
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
