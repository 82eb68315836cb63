package constructs

import (
	"fmt"
	"slices"
	"strings"

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
