// Package constructs holds the typed cdk8s constructs of the Telepace
// platform.
//
// A construct takes a props struct whose every optional field documents its
// default, builds its Kubernetes objects from the typed k8s.io/api structs,
// and adds them to the cdk8s construct tree with NewTypedObject. Defaults are
// secure: non-root pods with a read-only root filesystem, no privilege
// escalation, all capabilities dropped, the RuntimeDefault seccomp profile,
// no mounted service account token, and mandatory requests and limits.
//
// Constructs never panic on bad props. They register every problem as a
// construct validation (AddProblems), and cdk8s reports them all at synth
// time, each prefixed with the construct path and naming the field:
//
//	[prod/voiceflow] image: tag "latest" is floating; prod needs a release tag (vX.Y.Z) or a digest
//
// CatchValidation turns that report into a *ValidationError.
//
// The package starts the jsii kernel (Node.js) on import, as every cdk8s Go
// program does; call jsii.Close when done so that no node process outlives
// the program.
package constructs
