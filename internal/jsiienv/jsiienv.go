// Package jsiienv prepares the process environment for the jsii kernel
// before it starts: it quiets the Node.js end-of-life banner for the
// Node.js release this project supports, gives the kernel a private
// temporary directory that Cleanup removes, and starts the kernel in one
// node process instead of two.
//
// The cdk8s and constructs packages create the jsii client from their
// package initialisers, and the client unpacks its runtime into the temporary
// directory there and then. So the environment must be set before
// those run. Go initialises packages in import-path order among those whose
// imports are ready; this package imports only the standard library and
// golang.org/x/sys/unix, packages the jsii client needs too, so it is
// ready, and first in that order, before any jsii package. An import of
// another package can change that (os/exec and runtime/debug did):
// TestKernelProcesses fails when the client starts before this package.
// Importing it (pkg/constructs does) is enough.
//
// jsii prints a banner on every run when Node.js is past its end of life.
// Node.js 20 is the runtime this project supports and tests on, so its banner
// is silenced through the switch jsii documents,
// JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION, which takes a comma-separated
// list of major versions. A value already set in the environment is left as
// it is, and every other jsii warning (untested or known-broken Node.js
// releases) still shows.
//
// jsii's runtime is two node processes: an entry point that checks the
// Node.js release and relays every request and response, and the kernel
// behind it. That costs a second node start and a relay hop on every call
// into the kernel, most of what a trivial call costs (measurements in
// bench/README.md). Unless JSII_NODE or JSII_RUNTIME is
// set, JSII_NODE is pointed at a launcher in the private temporary
// directory that runs the kernel alone, on the node on PATH (see
// launcherScript) with the preload kernel/shim.js; on any Node.js release
// but the supported one it runs jsii's two processes as before, so their
// release notices still show. A kernel started this way writes what its
// JavaScript prints to stdout to stderr instead. Until the kernel's first
// call, SetKernelStart may change how the launcher starts it: package
// internal/kernelsnapshot has it start from a Node.js start-up snapshot.
// Prestart starts such a kernel at once, from a package's initialiser,
// and the launcher jsii starts at its first call hands it jsii's pipes
// instead of starting node: the kernel's start then overlaps the
// program's initialisation and what it does before that call. Prestart
// records the start in the user's cache directory, and this package's
// initialiser, the earliest of the program's that can, starts a kernel
// from that record at once; Prestart keeps it when it is the kernel asked
// for, and stops it otherwise.
//
// The kernel and its Node.js child leave files in the temporary directory
// when they are stopped by a signal. TMPDIR is therefore pointed at a
// directory of this process's own, under the original TMPDIR, and Cleanup
// removes it whatever the kernel left. A process that is killed outright
// (SIGKILL) leaves that one directory, named telepace-synth-*.
package jsiienv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EndOfLifeVariable is the jsii switch that silences the end-of-life banner
// for the Node.js major versions it lists.
const EndOfLifeVariable = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"

// SupportedNodeMajor is the Node.js major version whose end-of-life banner is
// silenced.
const SupportedNodeMajor = "20"

// tempDir is the private temporary directory, or "" when none was made.
var tempDir string

// launcher is the path JSII_NODE points at, or "".
var launcher string

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
	// A relative TMPDIR would name another directory for node, whose
	// module loader wants absolute paths.
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	tempDir = dir
	_ = os.Setenv("TMPDIR", dir)
	launcher = installLauncher(dir)
	if launcher != "" {
		startEarly()
	}
}

// Launcher returns the path of the launcher JSII_NODE points at, or "" when
// jsii starts node itself (JSII_NODE or JSII_RUNTIME were set, or no
// launcher could be written). The launcher runs the node on PATH.
func Launcher() string { return launcher }

// TempDir returns the private temporary directory the kernel uses.
func TempDir() string { return tempDir }

// Cleanup stops a kernel started ahead that nothing adopted
// (StopPrestarted) and removes the private temporary directory. Call it
// after jsii.Close, when no kernel runs any more.
func Cleanup() {
	StopPrestarted()
	if tempDir != "" {
		_ = os.RemoveAll(tempDir)
	}
}

// NodeFile identifies the file node runs: its resolved path, size and
// modification time, separated by spaces. A node upgraded in place is
// another.
func NodeFile(node string) (string, error) {
	resolved, err := filepath.EvalSymlinks(node)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(resolved)
	if err != nil {
		return "", err
	}
	if !info.Mode().IsRegular() {
		return "", errors.New(resolved + ": not a file")
	}
	return fmt.Sprintf("%s %d %d", resolved, info.Size(), info.ModTime().UnixNano()), nil
}
