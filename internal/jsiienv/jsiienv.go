// Package jsiienv prepares the process environment for the jsii kernel
// before it starts: it quiets the Node.js end-of-life banner for the
// Node.js release this project supports, and gives the kernel a private
// temporary directory that Cleanup removes.
//
// The cdk8s and constructs packages create the jsii client from their
// package initialisers, and the client unpacks its runtime into the
// temporary directory there and then. So the environment must be set before
// those run. Go initialises packages in import-path order among those whose
// imports are ready; this package imports only the standard library's
// fmt and os, so it is ready, and first in that order, before any jsii
// package. Importing it (pkg/constructs does) is enough.
//
// jsii prints a banner on every run when Node.js is past its end of life.
// Node.js 20 is the runtime this project supports and tests on, so its banner
// is silenced through the switch jsii documents,
// JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION, which takes a comma-separated
// list of major versions. A value already set in the environment is left as
// it is, and every other jsii warning (untested or known-broken Node.js
// releases) still shows.
//
// The kernel and its Node.js child leave files in the temporary directory
// when they are stopped by a signal. TMPDIR is therefore pointed at a
// directory of this process's own, under the original TMPDIR, and Cleanup
// removes it whatever the kernel left. A process that is killed outright
// (SIGKILL) leaves that one directory, named telepace-synth-*.
package jsiienv

import (
	"fmt"
	"os"
)

// EndOfLifeVariable is the jsii switch that silences the end-of-life banner
// for the Node.js major versions it lists.
const EndOfLifeVariable = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"

// SupportedNodeMajor is the Node.js major version whose end-of-life banner is
// silenced.
const SupportedNodeMajor = "20"

// tempDir is the private temporary directory, or "" when none was made.
var tempDir string

func init() {
	if _, set := os.LookupEnv(EndOfLifeVariable); !set {
		_ = os.Setenv(EndOfLifeVariable, SupportedNodeMajor)
	}
	dir, err := os.MkdirTemp("", "telepace-synth-")
	if err != nil {
		// jsii would panic a moment later with a bare stat error.
		fmt.Fprintf(os.Stderr, "synth: the temporary directory %s is not usable (%v); set TMPDIR to a writable directory\n", os.TempDir(), err)
		os.Exit(1)
	}
	tempDir = dir
	_ = os.Setenv("TMPDIR", dir)
}

// TempDir returns the private temporary directory the kernel uses.
func TempDir() string { return tempDir }

// Cleanup removes the private temporary directory. Call it after
// jsii.Close, when no kernel runs any more.
func Cleanup() {
	if tempDir != "" {
		_ = os.RemoveAll(tempDir)
	}
}
