package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ssv1alpha1 "github.com/bitnami/sealed-secrets/pkg/apis/sealedsecrets/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/telepace/platform-charts/pkg/constructs/constructstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/queries"
	"github.com/telepace/platform-charts/pkg/sealing"
	"github.com/telepace/platform-charts/pkg/synth"
)

func TestMain(m *testing.M) { constructstest.Main(m) }

// noEnv is a name no environment has.
const noEnv = "no-such-env"

func runSynth(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpExitsZeroAndDocumentsExitCodes(t *testing.T) {
	code, _, stderr := runSynth("--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stderr, "Usage: synth [--env NAME[,NAME...]] [--out DIR] [--check]")
	assert.Contains(t, stderr, "Environments: "+strings.Join(envNames(), ", ")+"\n")
	assert.Contains(t, stderr, "  2    bad usage (unknown flag or environment)\n")
	assert.Contains(t, stderr, "  3    --check found stale charts (every stale file is named)\n")
	assert.Contains(t, stderr, "  4    internal error (synth panicked; please report it)\n")
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--env", noEnv}, "synth: unknown environment \"" + noEnv + "\"; known environments: " + strings.Join(envNames(), ", ") + "\n"},
		{[]string{"extra"}, "synth: unexpected arguments: extra\n"},
		{[]string{"--env", ""}, "synth: --env is empty; name one or more environments: " + strings.Join(envNames(), ", ") + "\n"},
		{[]string{"--env", "dev,"}, "synth: --env \"dev,\" names an empty environment; separate names with single commas\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runSynth(tt.args...)
			assert.Equal(t, exitUsage, code)
			assert.Equal(t, tt.want, stderr)
		})
	}
	code, _, _ := runSynth("--no-such-flag")
	assert.Equal(t, exitUsage, code)
}

// TestEnvFlagRepeats: --env given twice adds, as a comma does.
func TestEnvFlagRepeats(t *testing.T) {
	out := filepath.Join(t.TempDir(), "generated")
	code, stdout, stderr := runSynth("--env", "dev", "--env", "prod", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "synth: wrote "+out+" (dev, prod)\n", stdout)
}

func TestWriteThenCheck(t *testing.T) {
	out := filepath.Join(t.TempDir(), "generated")
	code, stdout, stderr := runSynth("--env", "dev,prod", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "synth: wrote "+out+" (dev, prod)\n", stdout)

	code, stdout, stderr = runSynth("--check", "--env", "dev,prod", "--out", out)
	assert.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "synth: "+out+" is up to date (dev, prod)\n", stdout)

	code, _, stderr = runSynth("--check", "--out", out)
	assert.Equal(t, exitChanged, code)
	assert.Contains(t, stderr, "synth: the charts under "+out+" are stale; run `make synth` and commit the result:\n")
	assert.Contains(t, stderr, "  staging/Chart.yaml (missing)\n")
	assert.NotContains(t, stderr, "prod/")
}

// TestCommandLeavesNoNodeAndPrintsNoBanner builds the command, runs it with
// no jsii switch in its environment, and checks that jsii printed no Node.js
// banner and that no node process outlived it.
func TestCommandLeavesNoNodeAndPrintsNoBanner(t *testing.T) {
	bin := synthBinary(t)
	marker := fmt.Sprintf("TELEPACE_SYNTH_TEST_MARKER=%d", time.Now().UnixNano())
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JSII_") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(bin, "--env", "dev", "--out", filepath.Join(t.TempDir(), "out"))
	cmd.Env = append(env, marker)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	assert.Empty(t, stderr.String(), "jsii must print nothing")

	// Every process started by the command inherits the marker; jsii.Close
	// waits for the kernel to exit, so none may remain once synth returns.
	assert.Empty(t, processesWith(t, marker), "processes outlived synth")
}

func processesWith(t *testing.T, marker string) []string {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*/environ")
	require.NoError(t, err)
	var pids []string
	for _, f := range dirs {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // exited, or not ours to read
		}
		if bytes.Contains(data, []byte(marker)) {
			pids = append(pids, filepath.Base(filepath.Dir(f)))
		}
	}
	return pids
}

// isNode reports whether the process pid runs the node binary on PATH.
// Its command name alone would not tell: the kernel's launcher, a shell
// script named node, has that name too, from before its first line runs.
func isNode(pid string) bool {
	node, err := exec.LookPath("node")
	if err != nil {
		return false
	}
	node, err = filepath.EvalSymlinks(node)
	if err != nil {
		return false
	}
	exe, err := os.Readlink(filepath.Join("/proc", pid, "exe"))
	return err == nil && exe == node
}

// synthBinary builds the command once per test binary.
var synthBinary = func() func(t *testing.T) string {
	var once sync.Once
	var bin string
	var err error
	return func(t *testing.T) string {
		t.Helper()
		once.Do(func() {
			dir, derr := os.MkdirTemp("", "synth-bin-")
			if derr != nil {
				err = derr
				return
			}
			bin = filepath.Join(dir, "synth")
			out, berr := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
			if berr != nil {
				err = fmt.Errorf("%v: %s", berr, out)
			}
		})
		require.NoError(t, err)
		return bin
	}
}()

// tempModule makes a directory whose go.mod declares this module, as a
// checkout of the repository has, with a subdirectory pkg/.
func tempModule(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "go.mod"), []byte("module "+modulePath+"\n"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(root, "pkg"), 0o755))
	return root
}

// TestDefaultOutputIsUnderTheModuleRoot runs synth from a subdirectory: it
// writes charts/generated under the module root and prints that path.
func TestDefaultOutputIsUnderTheModuleRoot(t *testing.T) {
	root := tempModule(t)
	t.Chdir(filepath.Join(root, "pkg"))
	code, stdout, stderr := runSynth("--env", "dev")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "synth: wrote ../charts/generated (dev)\n", stdout)
	_, err := os.Stat(filepath.Join(root, "charts", "generated", "dev", "Chart.yaml"))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "pkg", "charts"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing may be written under the working directory")
}

func TestOutsideTheModuleTheOutputMustBeNamed(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, _, stderr := runSynth("--env", "dev")
	assert.Equal(t, exitFailed, code)
	assert.Equal(t, "synth: cannot find the module root (the go.mod of "+modulePath+") in "+dir+" or above it; run synth inside the repository or pass --out\n", stderr)
}

// TestOutsideTheModuleDiffSaysWhere: diff reads the repository's history,
// so outside it --out is no way out, and the message does not offer it.
func TestOutsideTheModuleDiffSaysWhere(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, _, stderr := runSynth("diff", "--out", filepath.Join(dir, "summary.md"))
	assert.Equal(t, exitFailed, code)
	assert.Equal(t, "synth diff: cannot find the module root (the go.mod of "+modulePath+") in "+dir+" or above it; run synth diff inside the repository\n", stderr)
}

// TestRefusedOutputDirectories: each refusal exits 1 with its message and
// changes nothing.
func TestRefusedOutputDirectories(t *testing.T) {
	root := tempModule(t)
	t.Chdir(root)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--out", ""}, "synth: --out is empty; name the directory that holds the generated charts (default: charts/generated under the module root)\n"},
		{[]string{"--out", "."}, "synth: refusing to use . as the output directory: it is a repository root (it holds go.mod); generated charts need a directory of their own, such as charts/generated\n"},
		{[]string{"--out", "pkg/.."}, "synth: refusing to use . as the output directory: it is a repository root (it holds go.mod); generated charts need a directory of their own, such as charts/generated\n"},
		{[]string{"--out", "/"}, "synth: refusing to use / as the output directory: it is a filesystem root\n"},
		{[]string{"--check", "--out", "."}, "synth: refusing to use . as the output directory: it is a repository root (it holds go.mod); generated charts need a directory of their own, such as charts/generated\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			before := listTree(t, root)
			code, stdout, stderr := runSynth(tt.args...)
			assert.Equal(t, exitFailed, code)
			assert.Empty(t, stdout)
			assert.Equal(t, tt.want, stderr)
			assert.Equal(t, before, listTree(t, root))
		})
	}
}

func TestMissingNode(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("JSII_NODE", "")
	t.Setenv("JSII_RUNTIME", "")
	out := filepath.Join(t.TempDir(), "generated")
	code, _, stderr := runSynth("--env", "dev", "--out", out)
	assert.Equal(t, exitFailed, code)
	assert.Equal(t, "synth: Node.js 20 or newer must be on PATH (cdk8s runs its jsii kernel in node)\n", stderr)
	_, err := os.Stat(out)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestSynthWithoutGo: synth needs neither the go command nor the module
// cache nor the module proxy: the CRDs the dev chart ships are embedded in
// it (internal/crds).
func TestSynthWithoutGo(t *testing.T) {
	node, err := exec.LookPath("node")
	require.NoError(t, err)
	onlyNode := t.TempDir()
	require.NoError(t, os.Symlink(node, filepath.Join(onlyNode, "node")))
	t.Setenv("PATH", onlyNode)
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOPROXY", "off")
	out := filepath.Join(t.TempDir(), "generated")
	code, _, stderr := runSynth("--env", "dev", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	shipped, err := os.ReadDir(filepath.Join(out, "dev", "crds"))
	require.NoError(t, err)
	assert.NotEmpty(t, shipped)
}

// TestPanicIsAnInternalError: a panic is reported as a bug with exit 4,
// never as bad usage.
func TestPanicIsAnInternalError(t *testing.T) {
	saved := synthesize
	synthesize = func([]environments.Environment, bool) ([]synth.Chart, error) { panic("boom") }
	t.Cleanup(func() { synthesize = saved })
	code, _, stderr := runSynth("--env", "dev", "--out", filepath.Join(t.TempDir(), "generated"))
	assert.Equal(t, exitInternal, code)
	assert.True(t, strings.HasPrefix(stderr, "synth: internal error (exit 4): a bug in synth or a construct, not in your input; please report it:\npanic: boom\n"), stderr)
}

// TestJsiiMachineFaultIsNotABug: the jsii kernel's refusal of a package
// cache others may write (HOME below /tmp, as in some CI containers) is
// the machine's to fix: exit 1 with the kernel's advice, not exit 4.
func TestJsiiMachineFaultIsNotABug(t *testing.T) {
	const fault = "Cannot use the jsii package cache in /tmp/h/.cache/aws/jsii/package-cache: other users may be able to modify it. Fix the directory, set JSII_RUNTIME_PACKAGE_CACHE_ROOT to a different directory, or disable the package cache with JSII_RUNTIME_PACKAGE_CACHE=disabled."
	saved := synthesize
	synthesize = func([]environments.Environment, bool) ([]synth.Chart, error) {
		panic(errors.New("JsiiError: @jsii/kernel.Fault " + fault))
	}
	t.Cleanup(func() { synthesize = saved })
	code, _, stderr := runSynth("--env", "dev", "--out", filepath.Join(t.TempDir(), "generated"))
	assert.Equal(t, exitFailed, code)
	assert.Equal(t, "synth: "+fault+"\n", stderr)
}

// TestStaleChartsAreNamedAndRemoved: a chart that no environment generates
// any more (a renamed environment) is stale for --check and removed by a
// full run, but left alone by a run of one environment.
func TestStaleChartsAreNamedAndRemoved(t *testing.T) {
	out := filepath.Join(t.TempDir(), "generated")
	code, _, stderr := runSynth("--out", out)
	require.Equal(t, exitOK, code, stderr)
	require.NoError(t, os.CopyFS(filepath.Join(out, noEnv), os.DirFS(filepath.Join(out, "dev"))))

	code, _, stderr = runSynth("--check", "--out", out)
	assert.Equal(t, exitChanged, code)
	assert.Equal(t, "synth: the charts under "+out+" are stale; run `make synth` and commit the result:\n  "+noEnv+"/ (stale: no environment generates it)\n", stderr)

	code, stdout, stderr := runSynth("--env", "dev", "--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "synth: wrote "+out+" (dev)\n", stdout)
	_, err := os.Stat(filepath.Join(out, noEnv))
	require.NoError(t, err, "a one-environment run leaves other charts alone")

	code, stdout, stderr = runSynth("--out", out)
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, "synth: wrote "+out+" ("+strings.Join(append(envNames(), environments.GitOpsChart), ", ")+")\nsynth: removed stale charts no environment generates: "+noEnv+"\n", stdout)
	_, err = os.Stat(filepath.Join(out, noEnv))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestTwoSynthsAtOnce runs two synth processes against one output
// directory: the lock serialises their writes, both succeed, and the result
// is exactly the code's charts.
func TestTwoSynthsAtOnce(t *testing.T) {
	bin := synthBinary(t)
	out := filepath.Join(t.TempDir(), "generated")
	cmds := []*exec.Cmd{exec.Command(bin, "--out", out), exec.Command(bin, "--out", out)}
	outputs := make([]bytes.Buffer, len(cmds))
	for i, c := range cmds {
		c.Stdout, c.Stderr = &outputs[i], &outputs[i]
		require.NoError(t, c.Start())
	}
	for i, c := range cmds {
		assert.NoError(t, c.Wait(), outputs[i].String())
	}
	code, _, stderr := runSynth("--check", "--out", out)
	assert.Equal(t, exitOK, code, stderr)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, slices.Sorted(slices.Values(append(envNames(), environments.GitOpsChart))), names, "no temporary directory may remain")
}

// misspeltQueryLine is the line of misspeltQuery's call to MustExpr.
var misspeltQueryLine int

// misspeltQuery does what an environment does when it calls MustExpr with
// a name the catalog of queries does not hold (the first one's, misspelt).
func misspeltQuery() string {
	_, _, line, _ := runtime.Caller(0)
	misspeltQueryLine = line + 2
	return queries.MustExpr(queries.Names()[0]+"s", queries.Target{Namespace: "telepace", Service: "web"})
}

// TestPanicInUserCodeIsAMistake: a panic raised in environments/ or apps/
// (here, this file posing as one) is the user's mistake: exit 1, one line
// naming the file and line, no stack; the same panic raised anywhere else
// is still synth's bug, exit 4.
func TestPanicInUserCodeIsAMistake(t *testing.T) {
	saved, savedPkgs := synthesize, userPackages
	t.Cleanup(func() { synthesize, userPackages = saved, savedPkgs })
	synthesize = func([]environments.Environment, bool) ([]synth.Chart, error) { misspeltQuery(); return nil, nil }
	want := fmt.Sprintf("unknown query %q; known queries: %s", queries.Names()[0]+"s", strings.Join(queries.Names(), ", "))

	code, _, stderr := runSynth("--out", filepath.Join(t.TempDir(), "generated"))
	assert.Equal(t, exitInternal, code, "cmd/synth is not a user package")
	assert.True(t, strings.HasPrefix(stderr, "synth: internal error (exit 4)"), stderr)

	userPackages = map[string]string{modulePath + "/cmd/synth.misspeltQuery": "environments"}
	for _, args := range [][]string{{"--out", filepath.Join(t.TempDir(), "generated")}, {"diff", "--env", "prod"}} {
		code, _, stderr = runSynth(args...)
		assert.Equal(t, exitFailed, code, stderr)
		assert.Equal(t, fmt.Sprintf("synth: environments/main_test.go:%d: %s\n", misspeltQueryLine, want), stderr)
	}
}

// TestSignalStopsNodeAndRemovesTemporaryFiles interrupts synth and synth
// diff while the jsii kernel runs, as a terminal does (SIGINT to the whole
// process group, node included) and as kill does (to synth's PID only),
// just after node starts and in the middle of the synthesis: synth exits
// 128+signal with exactly one line, no node process outlives it, its
// temporary directories are gone and the output is untouched.
func TestSignalStopsNodeAndRemovesTemporaryFiles(t *testing.T) {
	bin := synthBinary(t)
	out := filepath.Join(t.TempDir(), "generated")
	code, _, stderr := runSynth("--out", out)
	require.Equal(t, exitOK, code, stderr)
	before := listTree(t, out)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)

	tests := []struct {
		name  string
		args  []string
		sig   syscall.Signal
		group bool
		after time.Duration
	}{
		{"synth, SIGTERM to its PID", []string{"--out", out}, syscall.SIGTERM, false, 0},
		{"synth, SIGINT to its PID", []string{"--out", out}, syscall.SIGINT, false, 0},
		{"synth, SIGINT to the group as node starts", []string{"--out", out}, syscall.SIGINT, true, 0},
		{"synth, SIGINT to the group mid-synth", []string{"--out", out}, syscall.SIGINT, true, 300 * time.Millisecond},
		{"synth, SIGINT to its PID mid-synth", []string{"--out", out}, syscall.SIGINT, false, 300 * time.Millisecond},
		{"diff, SIGINT to its PID", []string{"diff", "--env", "prod"}, syscall.SIGINT, false, 0},
		{"diff, SIGINT to the group mid-synth", []string{"diff", "--env", "prod"}, syscall.SIGINT, true, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			marker := fmt.Sprintf("TELEPACE_SYNTH_SIGNAL_MARKER=%d", time.Now().UnixNano())
			cmd := exec.Command(bin, tt.args...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), marker, "TMPDIR="+tmp)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())

			// Wait until the kernel, a node child carrying the marker, is up
			// (not only the launcher that starts it, which ignores SIGINT
			// from its first line, not from its start).
			deadline := time.Now().Add(20 * time.Second)
			for !slices.ContainsFunc(processesWith(t, marker), isNode) {
				require.True(t, time.Now().Before(deadline), "node never started: %s", stderr.String())
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(tt.after)
			pid := cmd.Process.Pid
			if tt.group {
				pid = -pid
			}
			require.NoError(t, syscall.Kill(pid, tt.sig))
			err := cmd.Wait()
			if err == nil {
				t.Skipf("synth finished before the signal: %s", stderr.String())
			}
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, stderr.String())
			assert.Equal(t, exitSignal+int(tt.sig), exit.ExitCode(), stderr.String())
			assert.Equal(t, "synth: interrupted; temporary files removed, nothing written\n", stderr.String())
			assert.Empty(t, processesWith(t, marker), "node outlived synth")
			left, err := os.ReadDir(tmp)
			require.NoError(t, err)
			assert.Empty(t, left, "temporary files left behind")
			assert.Equal(t, before, listTree(t, out))
		})
	}
}

// listTree returns every path under dir with its mode and size.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %s %d", path, info.Mode(), info.Size()))
		return nil
	}))
	return out
}

// TestEnvironmentProblemsExitOne runs the command with a Node.js that is
// too old and with an unusable TMPDIR: both are the machine's problem, exit
// 1 with a message, and are never reported as a bug (4) or bad usage (2).
func TestEnvironmentProblemsExitOne(t *testing.T) {
	bin := synthBinary(t)
	oldNode := filepath.Join(t.TempDir(), "node")
	require.NoError(t, os.WriteFile(oldNode, []byte("#!/bin/sh\necho v18.0.0\n"), 0o755))
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"old node", []string{"JSII_NODE=" + oldNode}, []string{"--env", "dev", "--out", filepath.Join(t.TempDir(), "out")},
			"synth: Node.js 20 or newer must be on PATH (cdk8s runs its jsii kernel in node); found v18.0.0\n"},
		{"unusable TMPDIR", []string{"TMPDIR=/nonexistent"}, []string{"--help"},
			"synth: the temporary directory /nonexistent is not usable (stat /nonexistent: no such file or directory); set TMPDIR to a writable directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = append(os.Environ(), tt.env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit)
			assert.Equal(t, exitFailed, exit.ExitCode())
			assert.Equal(t, tt.want, stderr.String())
		})
	}
}

// TestRelativeTMPDIR: a TMPDIR relative to the working directory works
// as its absolute path does.
func TestRelativeTMPDIR(t *testing.T) {
	bin := synthBinary(t)
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "tmp"), 0o700))
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	tmp, err := filepath.Rel(root, filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	cmd := exec.Command(bin, "--env", "dev", "--out", filepath.Join(dir, "out"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.FileExists(t, filepath.Join(dir, "out", "dev", "Chart.yaml"))
	left, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	assert.Empty(t, left, "temporary files left behind")
}

// TestSeal runs `synth seal` with a certificate generated here and checks
// that the sealed-secrets library unseals its output.
func TestSeal(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	certFile := filepath.Join(t.TempDir(), "cert.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))

	stdin = strings.NewReader("s3cret")
	t.Cleanup(func() { stdin = os.Stdin })
	code, stdout, stderr := runSynth("seal", "--cert", certFile, "--namespace", "telepace", "--name", "feedback-db")
	require.Equal(t, exitOK, code, stderr)
	ss := &ssv1alpha1.SealedSecret{
		ObjectMeta: metav1.ObjectMeta{Name: "feedback-db", Namespace: "telepace"},
		Spec:       ssv1alpha1.SealedSecretSpec{EncryptedData: ssv1alpha1.SealedSecretEncryptedData{"password": strings.TrimSpace(stdout)}},
	}
	secret, err := ss.Unseal(scheme.Codecs, map[string]*rsa.PrivateKey{"k": key})
	require.NoError(t, err)
	assert.Equal(t, "s3cret", string(secret.Data["password"]))

	tests := []struct {
		args []string
		in   string
		code int
		want string
	}{
		{[]string{"seal", "--namespace", "telepace", "--name", "x"}, "v", exitUsage, "synth seal: --cert is required\n"},
		{[]string{"seal", "--cert", certFile, "--name", "x"}, "v", exitUsage, "synth seal: a namespace is required unless the scope is cluster-wide\n"},
		{[]string{"seal", "--cert", certFile, "--namespace", "telepace", "--name", "x"}, "", exitUsage, "synth seal: stdin is empty; pipe the value in\n"},
		{[]string{"seal", "--cert", certFile, "--namespace", "telepace", "--name", "x", "--scope", "global"}, "v", exitUsage, "synth seal: scope \"global\" is not strict, namespace-wide or cluster-wide\n"},
		{[]string{"seal", "--cert", certFile, "--namespace", "Telepace Prod", "--name", "x"}, "v", exitUsage, "synth seal: namespace \"Telepace Prod\" is not a valid namespace name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n"},
		{[]string{"seal", "--cert", certFile, "--namespace", "telepace", "--name", "feedback db"}, "v", exitUsage, "synth seal: name \"feedback db\" is not a valid Secret name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n"},
		{[]string{"seal", "--cert", certFile, "--namespace", "telepace", "--name", "x"}, strings.Repeat("v", sealing.MaxValueSize+1), exitFailed, "synth seal: stdin: the value is over 1048576 bytes (1 MiB), the most a Secret holds\n"},
		{[]string{"seal", "--cert", certFile + ".missing", "--namespace", "telepace", "--name", "x"}, "v", exitFailed, "synth seal: open " + certFile + ".missing: no such file or directory\n"},
	}
	for _, tt := range tests {
		stdin = strings.NewReader(tt.in)
		code, _, stderr := runSynth(tt.args...)
		assert.Equal(t, tt.code, code, tt.args)
		assert.Equal(t, tt.want, stderr, tt.args)
	}
}

// TestNodeThatDoesNotStart: a node that is on PATH but refuses to start
// (here, an option NODE_OPTIONS may not hold) is named with what it said,
// not taken for a missing node.
func TestNodeThatDoesNotStart(t *testing.T) {
	t.Setenv("NODE_OPTIONS", "--cpu-prof")
	t.Setenv("JSII_NODE", "")
	err := checkNodeVersion()
	require.Error(t, err)
	assert.Equal(t, "node does not start (node --version: exit status 9): node: --cpu-prof is not allowed in NODE_OPTIONS; check NODE_OPTIONS and the node installation", err.Error())
}
