//go:build unix

package jsiienv

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"

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
// stdout on stderr (jsii prints stray stderr lines as they are), and
// either the kernel's start-up snapshot (snapshot.go) or the preload
// kernel/shim.js; both turn the kernel's reads of descriptor 3 into
// reads of stdin (kernel/process.js). Any other argument list, or a
// runtime laid out differently, runs node exactly as jsii asked.
//
// The kernel is the Go process's to stop (see kernel/process.js): the
// script ignores SIGINT and SIGTERM from its first line, and, where
// setsid(1) is installed, starts node in a session of its own, so a
// signal to the terminal's process group never reaches it, even while
// node starts and before the kernel's handlers are installed (node resets
// ignored signals to their defaults).
//
// The script is launcherScript with one of kernelCommand or
// kernelTryCommand in place of its %[1]s; the exports %[2]s set the
// variables the kernel's scripts read.
//
// A kernel started ahead (Prestart) is handed jsii's pipes by %[3]s,
// adoptCommand, when one is waiting.
//
// The kernel it starts, like the one started ahead, does not see
// NODE_EXTRA_CA_CERTS (see extraCACerts).
const launcherScript = `#!/bin/sh
# Written by internal/jsiienv: runs the jsii kernel in this one node process.
trap '' INT TERM
unset TELEPACE_KERNEL_ADOPT TELEPACE_KERNEL_EXTRA_CA_CERTS
%[2]s
program="${1%%/bin/jsii-runtime.js}/lib/program.js"
if [ "$#" -eq 1 ] && [ -f "$program" ]; then
%[3]s
	if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then
		export TELEPACE_KERNEL_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"
		unset NODE_EXTRA_CA_CERTS
	fi
	setsid=
	if command -v setsid >/dev/null 2>&1; then
		setsid=setsid
	fi
%[1]s
fi
exec node "$@"
`

// adoptCommand hands this launcher's stdin, stdout and stderr, jsii's
// pipes, to the kernel Prestart started, node %[4]d, and exits, once:
// when the launcher is the first that the Go process %[1]d started for
// the program %[5]s (creating the file %[3]s, which must not exist, is
// the claim). It writes its process ID on the kernel's stdin, the pipe
// the Go process holds as its descriptor %[2]d; the kernel opens the three pipes through
// /proc/<pid>/fd, as the launcher's descriptors 7, 8 and 9, which it
// copies them to first (a redirection, such as printf's, moves 0 to 2
// for a moment), and answers with SIGUSR1, or with SIGUSR2 when it will
// not (kernel/snapshot.js). When the kernel answers SIGUSR2 or ends
// first, the launcher starts node itself, as without it. It waits for
// the answer in short sleeps, each ended early by the signal and reaped;
// a signal that comes between its check and the wait costs it one sleep.
const adoptCommand = `	set -C
	if [ "$PPID" = %[1]d ] && [ "$program" = %[5]s ] && command : 2>/dev/null >%[3]s; then
		set +C
		exec 7<&0 8>&1 9>&2
		adopted=
		trap 'adopted=yes' USR1
		trap 'adopted=no' USR2
		trap '' PIPE
		if printf '%%s\n' "$$" 2>/dev/null >/proc/%[1]d/fd/%[2]d; then
			while [ -z "$adopted" ] && kill -0 %[4]d 2>/dev/null; do
				sleep 0.02 </dev/null >/dev/null 2>&1 &
				pause=$!
				[ -z "$adopted" ] && wait $pause
				kill -KILL $pause 2>/dev/null
				wait $pause 2>/dev/null
			done
		fi
		trap - PIPE USR1 USR2
		[ "$adopted" = yes ] && exit 0
		exec 7<&- 8>&- 9>&-
	fi
	set +C`

// kernelCommand starts the kernel with node's options %[1]s.
const kernelCommand = `	exec $setsid node %[1]s --preserve-symlinks "$program" 3>&1 1>&2`

// kernelTryCommand starts the kernel with node's options %[1]s, and, when
// node ends before the kernel's script ran (it did not create the file
// TELEPACE_KERNEL_STARTED names: node refused its options, say), writes
// node's exit status to %[3]s, removes Prestart's record %[7]s (so that
// the next process starts no kernel early from these options either), and
// starts the kernel with the options %[2]s instead, without the variables
// %[6]s unsets. Node reads nothing from
// stdin before the kernel's script runs. The file %[4]s is in this
// process's own temporary directory, so no earlier run left it.
const kernelTryCommand = `	started=%[4]s
	TELEPACE_KERNEL_STARTED="$started" $setsid node %[1]s --preserve-symlinks "$program" 3>&1 1>&2
	status=$?
	if [ -e "$started" ]; then
		exit "$status"
	fi
	printf 'node did not start from these options (exit %%s): %%s\n' "$status" %[5]s >%[3]s 2>/dev/null
	rm -f %[7]s
	%[6]s
	exec $setsid node %[2]s --preserve-symlinks "$program" 3>&1 1>&2`

// kernelFiles are the kernel's preload and snapshot scripts (see
// kernel/process.js and snapshot.go).
//
//go:embed kernel/*.js
var kernelFiles embed.FS

// installLauncher writes the launcher and the kernel's scripts into dir
// and points JSII_NODE at the launcher, unless JSII_NODE or JSII_RUNTIME
// already choose how the kernel starts. It returns the launcher's path,
// or "" when it installed none.
func installLauncher(dir string) string {
	if os.Getenv("JSII_NODE") != "" || os.Getenv("JSII_RUNTIME") != "" {
		return ""
	}
	scripts := filepath.Join(dir, "kernel")
	if os.Mkdir(scripts, 0o700) != nil {
		return ""
	}
	files, err := kernelScripts()
	if err != nil {
		return ""
	}
	for name, data := range files {
		if os.WriteFile(filepath.Join(scripts, name), data, 0o600) != nil {
			return ""
		}
	}
	launcher := filepath.Join(dir, "node")
	if writeLauncher(launcher, KernelStart{Options: []string{"--require", filepath.Join(scripts, "shim.js")}}, "") != nil {
		return "" // jsii starts node itself, as it would without us
	}
	// A temporary directory mounted noexec cannot run the launcher; jsii
	// then starts node itself.
	if unix.Access(launcher, unix.X_OK) != nil {
		return ""
	}
	kernelScriptsDir = scripts
	_ = os.Setenv("JSII_NODE", launcher)
	return launcher
}

// kernelScriptsDir is the directory of the kernel's scripts, once the
// launcher is installed.
var kernelScriptsDir string

// KernelScripts returns the directory that holds the kernel's scripts
// (kernel/*.js in this package), or "" when no launcher runs the kernel.
func KernelScripts() string { return kernelScriptsDir }

// KernelStart is how the launcher starts the kernel.
type KernelStart struct {
	// Options are node's options, before --preserve-symlinks and the
	// kernel's script.
	Options []string
	// Env are variables to set for the kernel.
	Env map[string]string
	// Fallback, when set, are the options to start the kernel with when
	// node, started with Options, ends before the kernel's script ran
	// (see kernel/snapshot.js); node's exit status is then written to
	// FallbackNote, and Env is not set for the second start.
	Fallback     []string
	FallbackNote string
	// Requires are files the start needs, and Depends variables that
	// decide it: a process starts a kernel early from Prestart's record
	// of this start (see Prestart) only while the files exist, in
	// directories no one else may write, and the variables have the
	// values (or are unset) they had.
	Requires []string
	Depends  []string
}

// SetKernelStart has the launcher start the kernel as k says, instead of
// with the preload kernel/shim.js. jsii starts the kernel at the first
// call into it, not at its package's initialisation: a change made before
// the first call holds for it. It fails when no launcher runs the kernel.
// It stops a kernel started ahead, and forgets Prestart's record: the
// next process starts none early.
func SetKernelStart(k KernelStart) error {
	if launcher == "" {
		return errors.New("no launcher runs the kernel")
	}
	ForgetPrestart()
	return writeLauncher(launcher, k, "")
}

// ForgetPrestart stops a kernel started ahead (StopPrestarted) and
// removes Prestart's record of its start, so that the next process starts
// no kernel early: for a program that will not start its kernel ahead.
func ForgetPrestart() {
	StopPrestarted()
	if path, err := startRecordPath(); err == nil {
		_ = os.Remove(path)
	}
}

// prestarted is the kernel Prestart started, until a launcher adopts it
// or it is stopped.
var prestarted struct {
	sync.Mutex
	// ctl is the write end of the kernel's stdin: the launcher writes
	// its process ID there, and the kernel ends when it is closed unread.
	ctl  *os.File
	proc *os.Process
	// ended is closed once the kernel has ended and is reaped.
	ended chan struct{}
	// node, argv and env are what the kernel was started with; named
	// says whether Prestart has told it its program and written the
	// launcher that hands it jsii's pipes.
	node      string
	argv, env []string
	named     bool
}

// startedEarly says whether the kernel Prestart handed to the launcher was
// the one this package's initialiser started (startEarly).
var startedEarly bool

// StartedEarly reports whether the kernel that Prestart handed to the
// launcher was started by this package's initialiser, from the record of
// the previous process's start, rather than by Prestart.
func StartedEarly() bool {
	prestarted.Lock()
	defer prestarted.Unlock()
	return startedEarly
}

// Prestart starts the kernel now, with node (a path), as k says (as
// SetKernelStart does too), for the kernel script program, jsii's
// lib/program.js as jsii's client unpacked it. It waits in node, its
// start-up done, until jsii's first call starts the launcher, which hands
// it jsii's pipes (adoptCommand), and ends when this process ends first.
// The kernel must be able to take them: only the start-up snapshot's
// main (kernel/snapshot.js) can.
//
// jsii starts the kernel at its first call, once this program has
// initialised its packages and done what comes before that call; a kernel
// started from a package's initialiser is up by then, or nearer to it.
// The kernel takes the pipes only from the first launcher this process
// starts on program, and only when the launcher's environment is the
// kernel's (kernelEnv builds it as jsii does: jsii's client takes this
// process's variables when it is created, in the jsii packages'
// initialisers); otherwise, or on any failure here or in the kernel, the
// launcher starts node itself, as without Prestart.
//
// Prestart also records node and k in the user's cache directory
// (startRecordPath). The next process's initialiser of this package,
// which runs before the jsii packages' (see the package's doc), starts a
// kernel from that record at once (startEarly): a kernel needs jsii's
// kernel script only once it is handed the pipes, and this package's
// initialiser is earlier than any that knows the script. When Prestart
// is then asked for a kernel that the early one is (the same node, node
// options and environment), it tells that one its program instead of
// starting another; otherwise it stops it.
func Prestart(node string, k KernelStart, program string) error {
	if launcher == "" {
		return errors.New("no launcher runs the kernel")
	}
	k = withScripts(k)
	argv, env := kernelProcess(k)
	prestarted.Lock()
	early := prestarted.proc != nil && !prestarted.named && prestarted.node == node &&
		slices.Equal(prestarted.argv, argv) && slices.Equal(prestarted.env, env)
	prestarted.Unlock()
	if early {
		// One that has ended already (its stdin is broken) would end
		// again: node did not start from these options.
		if err := nameKernel(k, program); err != nil {
			StopPrestarted()
			return fmt.Errorf("the kernel started early ended: %w", err)
		}
	} else {
		StopPrestarted()
		if err := startKernel(node, argv, env); err != nil {
			return err
		}
		if err := nameKernel(k, program); err != nil {
			return err
		}
	}
	prestarted.Lock()
	startedEarly = early
	prestarted.Unlock()
	rememberStart(node, k, argv, env)
	return nil
}

// nameKernel tells the kernel started ahead its program, and writes the
// launcher that hands it jsii's pipes, for k. The kernel reads its program
// first, then the launcher's process ID; it ends when its stdin does,
// unadopted, and the launcher then starts node itself.
func nameKernel(k KernelStart, program string) error {
	prestarted.Lock()
	defer prestarted.Unlock()
	line, err := json.Marshal(program)
	if err == nil {
		_, err = prestarted.ctl.Write(append(line, '\n'))
	}
	if err == nil {
		adopt := fmt.Sprintf(adoptCommand, os.Getpid(), prestarted.ctl.Fd(), shellQuote(claimFile()), prestarted.proc.Pid, shellQuote(program))
		err = writeLauncher(launcher, k, adopt)
	}
	if err != nil {
		prestarted.ctl.Close() // it ends unadopted
		return err
	}
	prestarted.named = true
	return nil
}

// kernelProcess returns the arguments and environment that a kernel
// started ahead for k is started with. It is started without a script:
// node runs the snapshot's main, which reads its program on stdin.
func kernelProcess(k KernelStart) (argv, env []string) {
	// The launcher's environment is jsii's (kernelEnv), and sets k.Env
	// itself: the kernel compares the launcher's, but for those, with
	// the digest of this one (a node wrapper may change the kernel's own).
	except := append(slices.Sorted(maps.Keys(k.Env)), adoptVariable)
	for _, kv := range kernelEnv() {
		if name, _, _ := strings.Cut(kv, "="); !slices.Contains(except, name) {
			env = append(env, kv)
		}
	}
	digest := envDigest(env)
	env = withoutExtraCACerts(env)
	for _, name := range slices.Sorted(maps.Keys(k.Env)) {
		env = append(env, name+"="+k.Env[name])
	}
	env = append(env, adoptVariable+"="+strings.Join(except, ",")+"|"+digest)
	argv = append(append(append([]string{"node"}, KernelNodeOptions()...), k.Options...), "--preserve-symlinks")
	return argv, env
}

// startKernel starts a kernel ahead, with node, argv and env
// (kernelProcess), and keeps it in prestarted, with no program yet.
func startKernel(node string, argv, env []string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	proc, err := os.StartProcess(node, argv, &os.ProcAttr{
		Env:   env,
		Files: []*os.File{r, os.Stderr, os.Stderr},
		// Out of the terminal's process group, as the launcher starts
		// it: the Go process stops it (see kernel/process.js).
		Sys: &syscall.SysProcAttr{Setsid: true},
	})
	r.Close()
	if err != nil {
		w.Close()
		return err
	}
	ended := make(chan struct{})
	go func() {
		_, _ = proc.Wait() // reaped: the launcher sees it end
		close(ended)
	}()
	prestarted.Lock()
	defer prestarted.Unlock()
	prestarted.ctl, prestarted.proc, prestarted.ended = w, proc, ended
	prestarted.node, prestarted.argv, prestarted.env, prestarted.named = node, argv, env, false
	return nil
}

// scriptsVariable names, for the kernel's scripts, the directory that
// holds them (KernelScripts).
const scriptsVariable = "TELEPACE_KERNEL_SCRIPTS"

// withScripts returns k with scriptsVariable among its variables.
func withScripts(k KernelStart) KernelStart {
	if kernelScriptsDir == "" {
		return k
	}
	env := maps.Clone(k.Env)
	if env == nil {
		env = map[string]string{}
	}
	env[scriptsVariable] = kernelScriptsDir
	k.Env = env
	return k
}

// KernelNodeOptions returns the options node starts every kernel with,
// before a KernelStart's own (but not before its Fallback):
// --v8-pool-size=N, N being the machine's cores but one, at least 1 and
// at most node's default, 4; none when NODE_OPTIONS sets the pool's size,
// in any of the spellings node reads there. Node's four V8 worker
// threads (for the garbage collector and the compilers), the kernel's own
// thread and the Go process's, which works while the kernel starts and
// synthesises, oversubscribe a machine of two cores: there, a pool of one
// thread took 16-23 ms off today's charts and 30 ms off 3009 objects
// (bench/README.md).
func KernelNodeOptions() []string {
	return v8PoolOptions(runtime.NumCPU(), os.Getenv("NODE_OPTIONS"))
}

// v8PoolOptions is KernelNodeOptions for a machine of cpus cores and the
// given NODE_OPTIONS.
func v8PoolOptions(cpus int, nodeOptions string) []string {
	for _, f := range strings.Fields(nodeOptions) {
		// Node takes an option quoted, and with underscores for dashes.
		name, _, _ := strings.Cut(strings.Trim(f, `"`), "=")
		if strings.ReplaceAll(name, "_", "-") == "--v8-pool-size" {
			return nil
		}
	}
	return []string{fmt.Sprintf("--v8-pool-size=%d", min(max(cpus-1, 1), 4))}
}

// extraCACerts carries NODE_EXTRA_CA_CERTS past node's start to the
// kernel, which kernel/process.js puts back in its environment for the
// processes it starts: node reads every certificate of that file as it
// starts, 35-40 ms on a machine whose file holds 140 (the kernel makes no
// TLS connection of its own), while the Go process waits for the kernel.
const extraCACerts = "TELEPACE_KERNEL_EXTRA_CA_CERTS"

// withoutExtraCACerts returns env with NODE_EXTRA_CA_CERTS, if set, moved
// to extraCACerts, and any extraCACerts of env's own left out.
func withoutExtraCACerts(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if strings.HasPrefix(kv, extraCACerts+"=") {
			continue
		}
		if value, ok := strings.CutPrefix(kv, "NODE_EXTRA_CA_CERTS="); ok {
			kv = extraCACerts + "=" + value
		}
		out = append(out, kv)
	}
	return out
}

// adoptVariable tells kernel/snapshot.js to wait for a launcher to adopt
// it, and lists the variables it started with that a launcher's
// environment need not hold.
const adoptVariable = "TELEPACE_KERNEL_ADOPT"

// envDigest returns the SHA-256, in hex, of env's entries sorted
// bytewise and joined by NUL bytes, as kernel/snapshot.js computes it of
// the launcher's environment.
func envDigest(env []string) string {
	sorted := slices.Sorted(slices.Values(env))
	sum := sha256.Sum256([]byte(strings.Join(sorted, "\x00")))
	return hex.EncodeToString(sum[:])
}

// StopPrestarted stops the kernel Prestart started, unless a launcher
// has claimed it (then jsii.Close stops it), and waits for it to end: an
// unclaimed kernel waits for a launcher, or is still starting, and has
// nothing of its own to finish. So it outlives no program that never
// called into the kernel (nor holds its stderr). Cleanup and
// SetKernelStart call it.
func StopPrestarted() {
	prestarted.Lock()
	defer prestarted.Unlock()
	if prestarted.proc == nil {
		return
	}
	// Closed, its stdin ends: a kernel that has not read it yet ends as it
	// does; an adopted one reads jsii's pipes instead.
	prestarted.ctl.Close()
	proc, ended := prestarted.proc, prestarted.ended
	prestarted.ctl, prestarted.proc, prestarted.ended = nil, nil, nil
	prestarted.node, prestarted.argv, prestarted.env, prestarted.named = "", nil, nil, false
	if _, err := os.Lstat(claimFile()); err == nil {
		return
	}
	_ = proc.Kill()
	<-ended
}

// claimFile is the file the launcher creates to claim the kernel
// Prestart started (adoptCommand).
func claimFile() string { return filepath.Join(tempDir, "kernel-adopted") }

// kernelEnv returns the environment jsii starts the kernel's launcher
// with: NODE_OPTIONS, unless set, then this process's variables, then
// JSII_AGENT; the last of a name's values wins, as os/exec passes them.
func kernelEnv() []string {
	all := append(append([]string{"NODE_OPTIONS=--max-old-space-size=4069"}, os.Environ()...),
		fmt.Sprintf("JSII_AGENT=%v/%v/%v", runtime.Version(), runtime.GOOS, runtime.GOARCH))
	last := map[string]int{}
	for i, kv := range all {
		name, _, _ := strings.Cut(kv, "=")
		last[name] = i
	}
	var env []string
	for i, kv := range all {
		name, _, _ := strings.Cut(kv, "=")
		if last[name] == i {
			env = append(env, kv)
		}
	}
	return env
}

// writeLauncher writes the launcher script to path, replacing it in one
// rename; adopt is adoptCommand filled in, or "".
func writeLauncher(path string, k KernelStart, adopt string) error {
	k = withScripts(k)
	var exports []string
	for _, name := range slices.Sorted(maps.Keys(k.Env)) {
		exports = append(exports, "export "+name+"="+shellQuote(k.Env[name]))
	}
	// Not the fallback's: the start it falls back to is the plainest.
	k.Options = append(KernelNodeOptions(), k.Options...)
	command := fmt.Sprintf(kernelCommand, quoteAll(k.Options))
	if k.Fallback != nil {
		started := filepath.Join(tempDir, "kernel-started")
		unset := ":"
		if len(k.Env) > 0 {
			unset = "unset " + strings.Join(slices.Sorted(maps.Keys(k.Env)), " ")
		}
		record, err := startRecordPath()
		if err != nil {
			record = filepath.Join(tempDir, "no-kernel-start.json") // none to remove
		}
		command = fmt.Sprintf(kernelTryCommand, quoteAll(k.Options), quoteAll(k.Fallback),
			shellQuote(k.FallbackNote), shellQuote(started), shellQuote(strings.Join(k.Options, " ")), unset, shellQuote(record))
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf(launcherScript, command, strings.Join(exports, "\n"), adopt)), 0o700); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// quoteAll quotes each of args for sh, joined by spaces.
func quoteAll(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

// kernelScripts returns the kernel's scripts, by file name, with the
// Node.js release whose end-of-life banner is silenced filled in.
func kernelScripts() (map[string][]byte, error) {
	entries, err := fs.ReadDir(kernelFiles, "kernel")
	if err != nil {
		return nil, err
	}
	r := strings.NewReplacer("__SUPPORTED_NODE_MAJOR__", SupportedNodeMajor, "__END_OF_LIFE_VARIABLE__", EndOfLifeVariable)
	files := map[string][]byte{}
	for _, e := range entries {
		data, err := kernelFiles.ReadFile("kernel/" + e.Name())
		if err != nil {
			return nil, err
		}
		files[e.Name()] = []byte(r.Replace(string(data)))
	}
	return files, nil
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
