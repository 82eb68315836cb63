//go:build linux

package jsiienv_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/internal/jsiienv"
)

// probeVariable makes TestProbeKernel, run by TestKernelProcesses in a
// process of its own, start the kernel and print its process tree.
const probeVariable = "TELEPACE_JSIIENV_PROBE"

// TestMain is constructstest.Main's, written out: importing that package
// (and pkg/constructs with it) would change the order in which this test
// binary initialises its packages, which TestKernelProcesses checks.
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	jsiienv.Cleanup()
	os.Exit(code)
}

// TestKernelProcesses starts the kernel in a fresh test process with no
// jsii switch set, and reads its process tree from /proc, and the pool
// size node started the kernel with (KernelNodeOptions). On the supported
// Node.js release the launcher runs jsii's lib/program.js as the only node
// process and jsii prints nothing; when that release's end-of-life banner
// is wanted, the launcher hands over to jsii's own entry point, which
// prints it and relays to the kernel in a node child of its own.
func TestKernelProcesses(t *testing.T) {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JSII_") {
			env = append(env, kv)
		}
	}
	tests := []struct {
		name        string
		env         []string
		wantTree    string
		wantOptions string // the first node's --v8-pool-size
		wantStderr  string
	}{
		{"supported release", nil, "node lib/program.js", strings.Join(jsiienv.KernelNodeOptions(), " "), ""},
		{"banner wanted", []string{jsiienv.EndOfLifeVariable + "=18"}, "node lib/program.js > node bin/jsii-runtime.js > node lib/program.js", strings.Join(jsiienv.KernelNodeOptions(), " "), "end-of-life"},
		{"pool sized by NODE_OPTIONS", []string{"NODE_OPTIONS=--v8-pool-size=3"}, "node lib/program.js", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestProbeKernel$", "-test.count=1")
			// A cache of its own: the kernel a record there would have
			// this package start early (Prestart) is for a program that
			// starts its kernel ahead, as internal/kernelsnapshot does;
			// this test's does not.
			cmd.Env = append(append(env, probeVariable+"=1", "XDG_CACHE_HOME="+t.TempDir()), tt.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Run(), stderr.String())
			assert.Contains(t, stdout.String(), "tree: "+tt.wantTree+"\n")
			assert.Contains(t, stdout.String(), "options: "+tt.wantOptions+"\n")
			if tt.wantStderr == "" {
				assert.Empty(t, stderr.String())
			} else {
				assert.Contains(t, stderr.String(), tt.wantStderr)
			}
		})
	}
}

// TestProbeKernel is TestKernelProcesses's probe: it does nothing unless
// probeVariable is set.
func TestProbeKernel(t *testing.T) {
	if os.Getenv(probeVariable) == "" {
		return
	}
	require.NotEmpty(t, jsiienv.Launcher(), "no launcher installed")
	require.Equal(t, jsiienv.Launcher(), os.Getenv("JSII_NODE"))
	app := cdk8s.NewApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
	chart := cdk8s.NewChart(app, jsii.String("c"), nil)
	require.Equal(t, "c", *chart.Node().Id(), "the kernel answers")
	var tree []string
	options := ""
	for pid := os.Getpid(); ; {
		kids := children(t, pid)
		if len(kids) == 0 {
			break
		}
		require.Len(t, kids, 1, "one child of %d", pid)
		pid = kids[0]
		if len(tree) == 0 {
			options = poolOptions(pid)
		}
		tree = append(tree, describe(pid))
	}
	fmt.Printf("tree: %s\n", strings.Join(tree, " > "))
	fmt.Printf("options: %s\n", options)
}

// children returns the pids of pid's children, from every thread's
// /proc/<pid>/task/<tid>/children.
func children(t *testing.T, pid int) []int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	require.NoError(t, err)
	var out []int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		for _, field := range strings.Fields(string(data)) {
			child, err := strconv.Atoi(field)
			require.NoError(t, err)
			out = append(out, child)
		}
	}
	return out
}

// poolOptions returns the --v8-pool-size options a node process was
// started with.
func poolOptions(pid int) string {
	data, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	var options []string
	for _, a := range strings.Split(strings.TrimRight(string(data), "\x00"), "\x00") {
		if strings.HasPrefix(a, "--v8-pool-size") {
			options = append(options, a)
		}
	}
	return strings.Join(options, " ")
}

// describe returns "node" and the script a node process runs, its last two
// path elements; or the command line of any other process.
func describe(pid int) string {
	data, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
	if filepath.Base(args[0]) != "node" {
		return strings.Join(args, " ")
	}
	script := args[len(args)-1]
	return "node " + filepath.Join(filepath.Base(filepath.Dir(script)), filepath.Base(script))
}

// TestV8PoolOptions: the kernel's V8 pool is the machine's cores but one,
// at least 1 and at most node's default, unless NODE_OPTIONS sizes it.
func TestV8PoolOptions(t *testing.T) {
	for _, tc := range []struct {
		cpus        int
		nodeOptions string
		want        []string
	}{
		{1, "", []string{"--v8-pool-size=1"}},
		{2, "", []string{"--v8-pool-size=1"}},
		{3, "", []string{"--v8-pool-size=2"}},
		{4, "", []string{"--v8-pool-size=3"}},
		{5, "", []string{"--v8-pool-size=4"}},
		{64, "", []string{"--v8-pool-size=4"}},
		{2, "--max-old-space-size=4069", []string{"--v8-pool-size=1"}},
		{2, "--max-old-space-size=4069 --v8-pool-size=3", nil},
		{2, "--v8-pool-size 3", nil},
		{2, "--v8_pool_size=3", nil},
		{2, "--v8_pool-size=3", nil},
		{2, `"--v8-pool-size=3"`, nil},
		{2, `--max-old-space-size=100 "--v8_pool_size=3"`, nil},
		{2, "--v8-pool-sizes=3", []string{"--v8-pool-size=1"}},
	} {
		t.Run(fmt.Sprintf("%d %q", tc.cpus, tc.nodeOptions), func(t *testing.T) {
			assert.Equal(t, tc.want, jsiienv.V8PoolOptions(tc.cpus, tc.nodeOptions))
		})
	}
}

// TestLauncherFallsBackWithoutThePool: the launcher starts the kernel
// with KernelNodeOptions before a KernelStart's options, and its
// fallback, the plainest start, without them: a node that refuses an
// option of KernelNodeOptions still gets a kernel.
func TestLauncherFallsBackWithoutThePool(t *testing.T) {
	var pool string // as the launcher quotes them, each followed by a space
	for _, o := range jsiienv.KernelNodeOptions() {
		pool += "'" + o + "' "
	}
	path := filepath.Join(t.TempDir(), "node")
	require.NoError(t, jsiienv.WriteLauncher(path, jsiienv.KernelStart{
		Options:      []string{"--snapshot-blob", "/blob"},
		Fallback:     []string{"--require", "/shim.js"},
		FallbackNote: "/note",
	}, ""))
	script, err := os.ReadFile(path)
	require.NoError(t, err)
	var starts []string
	for _, line := range strings.Split(string(script), "\n") {
		if _, start, ok := strings.Cut(line, "$setsid node "); ok {
			starts = append(starts, start)
		}
	}
	assert.Equal(t, []string{
		pool + `'--snapshot-blob' '/blob' --preserve-symlinks "$program" 3>&1 1>&2`,
		`'--require' '/shim.js' --preserve-symlinks "$program" 3>&1 1>&2`,
	}, starts)
}

// TestEarlyKernelRefused: a kernel is started early from Prestart's
// record only where node would start from it as the record's process
// chose it: the files it requires exist in directories no one else may
// write, the variables it depends on are as they were, node is the same
// file, and node's arguments and NODE_OPTIONS are the record's (a
// snapshot built under other V8 flags, or by another node, makes node
// fail, and say so).
func TestEarlyKernelRefused(t *testing.T) {
	t.Setenv("NODE_OPTIONS", "")
	os.Unsetenv("NODE_OPTIONS")
	dir := t.TempDir()
	node := filepath.Join(dir, "node")
	require.NoError(t, os.WriteFile(node, []byte("#!/bin/sh\n"), 0o755))
	blob := filepath.Join(dir, "kernel.blob")
	require.NoError(t, os.WriteFile(blob, nil, 0o600))
	t.Setenv("TELEPACE_PROBE_SWITCH", "")
	os.Unsetenv("TELEPACE_PROBE_SWITCH")
	k := jsiienv.KernelStart{
		Options:  []string{"--snapshot-blob", blob},
		Requires: []string{blob},
		Depends:  []string{"TELEPACE_PROBE_SWITCH", "PATH"},
	}
	record, err := jsiienv.StartRecord(node, k)
	require.NoError(t, err)
	require.NoError(t, jsiienv.EarlyKernel(record))
	argv := append(append([]string{"node"}, jsiienv.KernelNodeOptions()...), "--snapshot-blob", blob, "--preserve-symlinks")

	for _, tc := range []struct {
		name   string
		change func(t *testing.T)
		want   string
	}{
		{"required file gone", func(t *testing.T) {
			require.NoError(t, os.Remove(blob))
			t.Cleanup(func() { require.NoError(t, os.WriteFile(blob, nil, 0o600)) })
		}, blob + " is not a file"},
		{"node replaced", func(t *testing.T) {
			info, err := os.Stat(node)
			require.NoError(t, err)
			later := info.ModTime().Add(time.Second)
			require.NoError(t, os.Chtimes(node, later, later))
			t.Cleanup(func() { require.NoError(t, os.Chtimes(node, info.ModTime(), info.ModTime())) })
		}, ""},
		{"required file's directory writable by others", func(t *testing.T) {
			require.NoError(t, os.Chmod(dir, 0o777))
			t.Cleanup(func() { require.NoError(t, os.Chmod(dir, 0o700)) })
		}, fmt.Sprintf("%s may be written by others (-rwxrwxrwx)", dir)},
		{"a variable it depends on set", func(t *testing.T) {
			t.Setenv("TELEPACE_PROBE_SWITCH", "off")
		}, `TELEPACE_PROBE_SWITCH is "off", not unset`},
		{"a variable it depends on changed", func(t *testing.T) {
			t.Setenv("PATH", "/nowhere")
		}, fmt.Sprintf("PATH is %q, not %q", "/nowhere", os.Getenv("PATH"))},
		{"other NODE_OPTIONS", func(t *testing.T) {
			t.Setenv("NODE_OPTIONS", "--max-old-space-size=2048")
		}, `NODE_OPTIONS is "--max-old-space-size=2048", not "--max-old-space-size=4069"`},
		{"NODE_OPTIONS sizes the pool", func(t *testing.T) {
			t.Setenv("NODE_OPTIONS", "--v8-pool-size=3")
		}, fmt.Sprintf("node's arguments are %q, not %q", []string{"node", "--snapshot-blob", blob, "--preserve-symlinks"}, argv)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.change(t)
			err := jsiienv.EarlyKernel(record)
			require.Error(t, err)
			if tc.want != "" {
				assert.Equal(t, tc.want, err.Error())
			} else {
				assert.Regexp(t, `^node is \S+ 10 \d+, not \S+ 10 \d+$`, err.Error())
			}
		})
	}
	require.NoError(t, jsiienv.EarlyKernel(record), "as recorded again")
}

// earlyProbeVariable makes TestProbeEarly, run by
// TestPrestartKeepsOrReplacesTheEarlyKernel in a process of its own,
// call Prestart for the kernel its record names.
const earlyProbeVariable = "TELEPACE_JSIIENV_EARLY_PROBE"

// TestPrestartKeepsOrReplacesTheEarlyKernel: a process whose cache holds
// Prestart's record starts that kernel from this package's initialiser;
// Prestart keeps it when it is asked for that kernel, and starts another
// when the early one is another. An early one that has ended (its stdin
// broken) would end again: Prestart fails, and the program starts its
// kernel as without Prestart. The "node" here is a script that reads its
// stdin to the end.
func TestPrestartKeepsOrReplacesTheEarlyKernel(t *testing.T) {
	dir := t.TempDir()
	node := filepath.Join(dir, "node")
	// The shell itself reads stdin, so that its end closes the pipe.
	require.NoError(t, os.WriteFile(node, []byte("#!/bin/sh\nwhile IFS= read -r line; do :; done\n"), 0o755))
	cache := filepath.Join(dir, "cache")
	record := filepath.Join(cache, "telepace-platform-charts", "kernel-start.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(record), 0o700))
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JSII_") && !strings.HasPrefix(kv, "NODE_OPTIONS=") {
			env = append(env, kv)
		}
	}
	env = append(env, "XDG_CACHE_HOME="+cache, "PROBE_NODE="+node)
	probeEarly := func(t *testing.T, mode string) string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestProbeEarly$", "-test.count=1")
		cmd.Env = append(env, earlyProbeVariable+"="+mode)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), stderr.String())
		out, _, _ := strings.Cut(stdout.String(), "PASS\n")
		return out
	}
	for _, tc := range []struct {
		name, mode string
		record     bool
		want       string
	}{
		{"no record", "keep", false, "early kernels: 0\nstarted early: false\nkernels: 1\n"},
		{"recorded", "keep", true, "early kernels: 1\nstarted early: true\nkernels: 1\n"},
		{"early kernel ended", "kill", true, "early kernels: 1\nprestart: the kernel started early ended: write |1: broken pipe\nstarted early: false\nkernels: 0\n"},
		{"another kernel asked for", "other", true, "early kernels: 1\nstarted early: false\nkernels: 1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_ = os.Remove(record)
			if tc.record {
				probeEarly(t, "keep") // records its start
				require.FileExists(t, record)
			}
			assert.Equal(t, tc.want, probeEarly(t, tc.mode))
		})
	}
}

// TestProbeEarly is TestPrestartKeepsOrReplacesTheEarlyKernel's probe: it
// counts the kernels this package's initialiser started, stops them when
// its mode is "kill", calls Prestart (for another kernel when "other"),
// and counts the kernels running then.
func TestProbeEarly(t *testing.T) {
	mode := os.Getenv(earlyProbeVariable)
	if mode == "" {
		return
	}
	node := os.Getenv("PROBE_NODE")
	kernels := func() []int {
		var pids []int
		for _, pid := range children(t, os.Getpid()) {
			data, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
			if strings.HasSuffix(string(data), "\x00--preserve-symlinks\x00") {
				pids = append(pids, pid)
			}
		}
		return pids
	}
	early := kernels()
	fmt.Printf("early kernels: %d\n", len(early))
	if mode == "kill" {
		for _, pid := range early {
			require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
			for syscall.Kill(pid, 0) == nil {
				time.Sleep(time.Millisecond) // until reaped
			}
		}
	}
	k := jsiienv.KernelStart{Options: []string{"--title=probe"}}
	if mode == "other" {
		k.Options = []string{"--title=other"}
	}
	if err := jsiienv.Prestart(node, k, "/probe/lib/program.js"); err != nil {
		fmt.Printf("prestart: %v\n", err)
	}
	fmt.Printf("started early: %t\n", jsiienv.StartedEarly())
	fmt.Printf("kernels: %d\n", len(kernels()))
	jsiienv.Cleanup()
}
