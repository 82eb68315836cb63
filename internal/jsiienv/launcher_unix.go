//go:build unix

package jsiienv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// launcherScript runs the jsii kernel in one node process instead of two.
// jsii starts JSII_NODE with one argument, the entry point of the runtime it
// unpacked (<dir>/bin/jsii-runtime.js). That entry point only checks the
// Node.js release and starts a second node process running the kernel,
// <dir>/lib/program.js, which talks the jsii protocol on its file
// descriptor 3; the first process relays every request and response
// between its own stdin and stdout and that descriptor. The script starts
// the kernel directly instead, with descriptor 3 on jsii's stdout and
// stdout on stderr (jsii prints stray stderr lines as they are), and the
// preload in shimFile turning the kernel's reads of descriptor 3 into
// reads of stdin. Any other argument list, or a runtime laid out
// differently, runs node exactly as jsii asked.
//
// The kernel is the Go process's to stop (see shimFile): the script
// ignores SIGINT and SIGTERM from its first line, and, where setsid(1) is
// installed, starts node in a session of its own, so a signal to the
// terminal's process group never reaches it, even while node starts and
// before the preload's handlers are installed (node resets ignored signals
// to their defaults).
const launcherScript = `#!/bin/sh
# Written by internal/jsiienv: runs the jsii kernel in this one node process.
trap '' INT TERM
program="${1%%/bin/jsii-runtime.js}/lib/program.js"
if [ "$#" -eq 1 ] && [ -f "$program" ]; then
	if command -v setsid >/dev/null 2>&1; then
		exec setsid node --require %[1]s --preserve-symlinks "$program" 3>&1 1>&2
	fi
	exec node --require %[1]s --preserve-symlinks "$program" 3>&1 1>&2
fi
exec node "$@"
`

// shimFile is preloaded into the kernel's process. On the Node.js release
// whose end-of-life banner jsii is told to silence (the only notice jsii's
// entry point would print for it), it maps the kernel's reads of
// descriptor 3 to stdin. On any other release it runs jsii's own entry
// point, which checks the release and prints its notices, with stdout on
// descriptor 3, and exits with its status: the stock two-process runtime.
//
// The Go process owns the kernel's life: it stops it by closing its pipes
// (jsii.Close), also on SIGINT and SIGTERM. So the kernel ignores those two
// signals, which a terminal's Ctrl-C or a kill of the process group would
// otherwise deliver to it too (node would die mid-call, and jsii print
// "Runtime process exited abnormally" into synth's one line), and runs
// jsii's two processes in a process group of their own. A write to a pipe
// the Go process closed (EPIPE, when it stops the kernel during a call)
// ends the kernel quietly, instead of with an uncaught exception that
// prints the minified kernel's source line, hundreds of kilobytes.
const shimFile = `'use strict';
// Written by internal/jsiienv; preloaded by its launcher into jsii's kernel.
const fs = require('fs');
const path = require('path');
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
const writeSync = fs.writeSync;
fs.writeSync = function (...args) {
  try {
    return writeSync.apply(this, args);
  } catch (e) {
    if (e && e.code === 'EPIPE') process.exit(0);
    throw e;
  }
};
const major = process.versions.node.split('.')[0];
const silenced = (process.env.%[1]s || '').split(',').map((v) => v.trim());
if (major !== '%[2]s' || !silenced.includes(major)) {
  const entry = path.join(path.dirname(process.argv[1]), '..', 'bin', 'jsii-runtime.js');
  const r = require('child_process').spawnSync(process.execPath, [entry], { stdio: [0, 3, 2], detached: true });
  process.exit(r.status === null ? 1 : r.status);
}
const readSync = fs.readSync;
fs.readSync = function (fd, ...rest) {
  return readSync.call(this, fd === 3 ? 0 : fd, ...rest);
};
`

// installLauncher writes the launcher and its preload into dir and points
// JSII_NODE at it, unless JSII_NODE or JSII_RUNTIME already choose how the
// kernel starts. It returns the launcher's path, or "" when it installed
// none.
func installLauncher(dir string) string {
	if os.Getenv("JSII_NODE") != "" || os.Getenv("JSII_RUNTIME") != "" {
		return ""
	}
	shim := filepath.Join(dir, "jsii-single-process.js")
	launcher := filepath.Join(dir, "node")
	script := fmt.Sprintf(launcherScript, shellQuote(shim))
	js := fmt.Sprintf(shimFile, EndOfLifeVariable, SupportedNodeMajor)
	if os.WriteFile(shim, []byte(js), 0o600) != nil || os.WriteFile(launcher, []byte(script), 0o700) != nil {
		return "" // jsii starts node itself, as it would without us
	}
	// A temporary directory mounted noexec cannot run the launcher; jsii
	// then starts node itself.
	if unix.Access(launcher, unix.X_OK) != nil {
		return ""
	}
	_ = os.Setenv("JSII_NODE", launcher)
	return launcher
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
