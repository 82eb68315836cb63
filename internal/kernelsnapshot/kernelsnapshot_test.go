//go:build linux

package kernelsnapshot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
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
	"github.com/telepace/platform-charts/internal/kernelsnapshot"
	pc "github.com/telepace/platform-charts/pkg/constructs"
	"github.com/telepace/platform-charts/pkg/constructs/constructstest"
)

func TestMain(m *testing.M) { constructstest.Main(m) }

// probeVariable makes TestProbe, run by the tests below in a process of
// its own, start the kernel, synthesise a chart and print what it saw.
const probeVariable = "TELEPACE_KERNELSNAPSHOT_PROBE"

// probe runs TestProbe in a fresh test process with the given cache
// directory and extra environment, and returns its stdout and stderr. An
// entry "-NAME" of env unsets NAME.
func probe(t *testing.T, cache string, env ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := runProbe(cache, env...)
	require.NoError(t, err, stderr)
	return stdout, stderr
}

// runProbe is probe, for any goroutine.
func runProbe(cache string, env ...string) (stdout, stderr string, err error) {
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JSII_") && !strings.HasPrefix(kv, "TELEPACE_KERNEL_SNAPSHOT") && !strings.HasPrefix(kv, "XDG_CACHE_HOME=") {
			base = append(base, kv)
		}
	}
	var set []string
	for _, kv := range env {
		if name, ok := strings.CutPrefix(kv, "-"); ok {
			base = slices.DeleteFunc(base, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
		} else {
			set = append(set, kv)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestProbe$", "-test.count=1")
	cmd.Env = append(append(base, probeVariable+"=1", "XDG_CACHE_HOME="+cache, jsiienv.EndOfLifeVariable+"=20"), set...)
	if !slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "NODE_OPTIONS=") }) {
		cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, "NODE_OPTIONS=") })
	}
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err = cmd.Run()
	return out.String(), errs.String(), err
}

// TestProbe is the tests' probe: it does nothing unless probeVariable is
// set.
func TestProbe(t *testing.T) {
	if os.Getenv(probeVariable) == "" {
		return
	}
	mode, dir, why := kernelsnapshot.Current()
	fmt.Printf("mode: %s\ndir: %s\nwhy: %s\n", mode, dir, why)
	ahead := startedAhead(t)
	fmt.Printf("started ahead: %d\n", len(ahead))
	fmt.Printf("started early: %t\n", jsiienv.StartedEarly())
	switch os.Getenv("PROBE_AHEAD") {
	case "unused":
		// The kernel started ahead outlives no process that never calls
		// into the kernel.
		for _, pid := range ahead {
			fmt.Printf("pid: %d\n", pid)
			cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			require.NoError(t, err)
			fmt.Printf("cmdline: %s\n", strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
		jsiienv.Cleanup()
		return
	case "killed":
		for _, pid := range ahead {
			p, err := os.FindProcess(pid)
			require.NoError(t, err)
			require.NoError(t, p.Signal(syscall.SIGKILL))
			for syscall.Kill(pid, 0) == nil && !zombie(pid) {
				time.Sleep(time.Millisecond)
			}
		}
	case "refused":
		// A launcher of another environment asks for the kernel first: it
		// refuses, and ends.
		require.Len(t, ahead, 1)
		fmt.Printf("asked: %s\n", askAhead(t, ahead[0], "TELEPACE_PROBE_OTHER=1"))
		for syscall.Kill(ahead[0], 0) == nil && !zombie(ahead[0]) {
			time.Sleep(time.Millisecond)
		}
	}
	if os.Getenv("PROBE_BULK") != "" {
		// pkg/constructs's App loads this project's jsii library too.
		a := pc.StartApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
		pc.NewScope(pc.NewChart(a, "b", nil), "s")
		a.Kernel()
	}
	if file := os.Getenv("PROBE_YAML"); file != "" {
		// cdk8s reads a file through a script next to its own files.
		fmt.Printf("loaded: %d\n", len(*cdk8s.Yaml_Load(jsii.String(file))))
	}
	app := cdk8s.NewApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
	chart := cdk8s.NewChart(app, jsii.String("c"), &cdk8s.ChartProps{DisableResourceNameHashes: jsii.Bool(true)})
	cdk8s.NewApiObject(chart, jsii.String("cm"), &cdk8s.ApiObjectProps{
		ApiVersion: jsii.String("v1"),
		Kind:       jsii.String("ConfigMap"),
		Metadata:   &cdk8s.ApiObjectMetadata{Name: jsii.String("cm")},
	})
	fmt.Printf("yaml:\n%s", *app.SynthYaml())
	// Where the kernel keeps each package it loaded, while it runs.
	for _, name := range []string{"constructs", "cdk8s", "@telepace/cdk8s-bulk"} {
		dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "jsii-kernel-*", "node_modules", name))
		for _, dir := range dirs {
			if target, err := os.Readlink(dir); err == nil {
				fmt.Printf("package %s: link to %s\n", name, target)
			} else if entries, err := os.ReadDir(dir); err == nil {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				fmt.Printf("package %s: files %s\n", name, strings.Join(names, " "))
			}
		}
	}
	if os.Getenv("PROBE_AHEAD") == "twice" {
		// A kernel started again after the first closed: the launcher
		// starts it.
		jsii.Close()
		app := cdk8s.NewApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
		cdk8s.NewChart(app, jsii.String("again"), nil)
		app.Synth()
		fmt.Println("synthesised again")
	}
	jsii.Close()
	jsiienv.Cleanup()
}

// startedAhead returns the process IDs of this process's node children
// that run a kernel from its start-up snapshot: the one started ahead, as
// long as no kernel runs.
func startedAhead(t *testing.T) []int {
	tasks, err := filepath.Glob("/proc/self/task/*/children")
	require.NoError(t, err)
	var pids []int
	for _, task := range tasks {
		data, err := os.ReadFile(task)
		require.NoError(t, err)
		for _, f := range strings.Fields(string(data)) {
			pid, err := strconv.Atoi(f)
			require.NoError(t, err)
			cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if err == nil && bytes.Contains(cmdline, []byte("--snapshot-blob")) && !zombie(pid) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// askAhead asks the kernel started ahead, process pid, to take the pipes
// of a launcher like jsiienv's, run with this process's environment and
// extra, and returns the launcher's answer: "adopted" or "refused".
func askAhead(t *testing.T, pid int, extra ...string) string {
	// This process's descriptor of the kernel's stdin.
	stdin, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/0", pid))
	require.NoError(t, err)
	fds, err := filepath.Glob("/proc/self/fd/*")
	require.NoError(t, err)
	ctl := ""
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && target == stdin {
			ctl = filepath.Base(fd)
		}
	}
	require.NotEmpty(t, ctl, "no descriptor of the kernel's stdin")
	script := `exec 7<&0 8>&1 9>&2
answer=
trap 'answer=adopted' USR1
trap 'answer=refused' USR2
printf '%s
' "$$" >/proc/$PPID/fd/` + ctl + `
while [ -z "$answer" ]; do sleep 0.01; done
echo "$answer"`
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), extra...)
	out, err := cmd.Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// zombie reports whether process pid has ended, its parent yet to reap
// it.
func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, rest, _ := bytes.Cut(stat, []byte(") "))
	return bytes.HasPrefix(rest, []byte("Z"))
}

// TestSnapshotBuiltThenUsed: the first kernel of a node and jsii runtime
// starts without a snapshot and builds one as it exits, removing the
// snapshots nothing used for two weeks; the next starts from it, takes
// the packages it loads from it, and synthesises the same.
func TestSnapshotBuiltThenUsed(t *testing.T) {
	cache := t.TempDir()
	root := filepath.Join(cache, "telepace-platform-charts", "kernel-snapshot")
	// Another node's snapshots: one unused for a month, one used today.
	old, recent := filepath.Join(root, "0ld"), filepath.Join(root, "recent")
	require.NoError(t, os.MkdirAll(old, 0o755))
	require.NoError(t, os.MkdirAll(recent, 0o755))
	month := time.Now().Add(-30 * 24 * time.Hour)
	require.NoError(t, os.Chtimes(old, month, month))

	first, _ := probe(t, cache)
	assert.NoDirExists(t, old, "a build removes snapshots unused for two weeks")
	assert.DirExists(t, recent)
	require.NoError(t, os.RemoveAll(recent))
	assert.Contains(t, first, "mode: building\n")
	assert.Contains(t, first, "started ahead: 0\n", "only from a snapshot")
	dirs, err := filepath.Glob(filepath.Join(cache, "telepace-platform-charts", "kernel-snapshot", "*"))
	require.NoError(t, err)
	require.Len(t, dirs, 1, "one snapshot, no leftovers: %v", dirs)
	assert.FileExists(t, filepath.Join(dirs[0], "kernel.blob"))
	manifest, err := os.ReadFile(filepath.Join(dirs[0], "manifest.json"))
	require.NoError(t, err)
	assert.Contains(t, string(manifest), `"name": "constructs"`)
	assert.Contains(t, string(manifest), `"name": "cdk8s"`)
	// Each package's main file, as node resolves its name: the file the
	// kernel requires, which a run links without resolving it again.
	var m struct{ Packages []struct{ Name, Main string } }
	require.NoError(t, json.Unmarshal(manifest, &m))
	require.NotEmpty(t, m.Packages)
	for _, p := range m.Packages {
		pj, err := os.ReadFile(filepath.Join(dirs[0], "node_modules", p.Name, "package.json"))
		require.NoError(t, err)
		var fields struct{ Main string }
		require.NoError(t, json.Unmarshal(pj, &fields))
		assert.Equal(t, path.Clean(fields.Main), p.Main, p.Name)
	}

	second, stderr := probe(t, cache, "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1")
	assert.Contains(t, second, "mode: snapshot\ndir: "+dirs[0]+"\n")
	assert.Contains(t, second, "started ahead: 1\n")
	assert.Contains(t, stderr, "kernel snapshot: started ahead; adopted\n")
	assert.Contains(t, stderr, "kernel snapshot: packages from the snapshot: constructs, cdk8s\n")
	// The kernel does not extract them again: their directories hold a
	// copy of what it reads, not the packages' other files.
	for _, name := range []string{"constructs", "cdk8s"} {
		assert.Regexp(t, extracted(name), first, "the building run extracts them")
		assert.Regexp(t, `package `+name+`: files (\S+ )*\.jsii (\S+ )*lib package\.json\n`, second)
		assert.NotRegexp(t, `package `+name+`: files .*README`, second)
	}
	firstYAML, secondYAML := synthesised(first), synthesised(second)
	assert.Equal(t, firstYAML, secondYAML)
	assert.Contains(t, secondYAML, "kind: ConfigMap")
}

// TestSnapshotCutShortIsBuiltAgain: a snapshot whose blob is not the size
// it was built with is not used (node would not start from it); the run
// builds it again.
func TestSnapshotCutShortIsBuiltAgain(t *testing.T) {
	cache := t.TempDir()
	first, _ := probe(t, cache)
	_, dir, _ := strings.Cut(first, "dir: ")
	dir, _, _ = strings.Cut(dir, "\n")
	blob := filepath.Join(dir, "kernel.blob")
	info, err := os.Stat(blob)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(blob, info.Size()/2))

	again, _ := probe(t, cache)
	assert.Contains(t, again, "mode: building\ndir: "+dir+"\n")
	rebuilt, err := os.Stat(blob)
	require.NoError(t, err)
	size, err := os.ReadFile(blob + ".size")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d\n", rebuilt.Size()), string(size), "a whole blob again")
	out, _ := probe(t, cache)
	assert.Contains(t, out, "mode: snapshot\n")

	// A FIFO in place of the size is no size, and no wait for a writer.
	require.NoError(t, os.Remove(blob+".size"))
	require.NoError(t, syscall.Mkfifo(blob+".size", 0o600))
	again, _ = probe(t, cache)
	assert.Contains(t, again, "mode: building\ndir: "+dir+"\n")
	out, _ = probe(t, cache)
	assert.Contains(t, out, "mode: snapshot\n")
}

// synthesised returns the YAML a probe's output shows, without the
// package listing after it.
func synthesised(out string) string {
	_, yaml, _ := strings.Cut(out, "yaml:\n")
	yaml, _, _ = strings.Cut(yaml, "package ")
	return yaml
}

// snapshotDir returns the snapshot directory a probe's output names.
func snapshotDir(out string) string {
	_, dir, _ := strings.Cut(out, "dir: ")
	dir, _, _ = strings.Cut(dir, "\n")
	return dir
}

// TestSnapshotNodeRefusesFallsBack: a snapshot node will not start from
// (here, a blob damaged in place) costs one start: the kernel starts
// without it, synthesises the same, and the runs after start without it
// until its note is a day old.
func TestSnapshotNodeRefusesFallsBack(t *testing.T) {
	cache := t.TempDir()
	first, _ := probe(t, cache)
	dir := snapshotDir(first)
	blob := filepath.Join(dir, "kernel.blob")
	f, err := os.OpenFile(blob, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt(bytes.Repeat([]byte{0xa5}, 64), 1<<20)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	damaged, _ := probe(t, cache)
	assert.Contains(t, damaged, "mode: snapshot\n")
	_, firstYAML, _ := strings.Cut(first, "yaml:\n")
	_, damagedYAML, _ := strings.Cut(damaged, "yaml:\n")
	assert.Equal(t, firstYAML, damagedYAML)
	note, err := os.ReadFile(dir + ".failed")
	require.NoError(t, err)
	assert.Contains(t, string(note), "node did not start from these options")
	assert.NoFileExists(t, filepath.Join(cache, "telepace-platform-charts", "kernel-start.json"),
		"the next run starts no kernel early from it")

	after, _ := probe(t, cache)
	assert.Contains(t, after, "mode: off\ndir: \nwhy: it failed; see "+dir+".failed\n")
	dayAgo := time.Now().Add(-25 * time.Hour)
	require.NoError(t, os.Chtimes(dir+".failed", dayAgo, dayAgo))
	retried, _ := probe(t, cache)
	assert.Contains(t, retried, "mode: building\n", "a day on, it is built again")
	assert.NoFileExists(t, dir+".failed")
}

// TestSnapshotTakesInPackagesItLacked: a kernel started from a snapshot
// that does not hold a package it loads (the first run loaded fewer)
// builds the snapshot again as it exits, with the package and those it
// had; but not from a snapshot less than an hour old, which two programs
// loading different tarballs would otherwise rebuild on every run.
func TestSnapshotTakesInPackagesItLacked(t *testing.T) {
	cache := t.TempDir()
	first, _ := probe(t, cache) // constructs and cdk8s only
	manifest := filepath.Join(snapshotDir(first), "manifest.json")
	for range 2 {
		out, stderr := probe(t, cache, "PROBE_BULK=1", "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1")
		assert.Contains(t, stderr, "packages from the snapshot: constructs, cdk8s\n", "not rebuilt within the hour")
		assert.Regexp(t, extracted("@telepace/cdk8s-bulk"), out, "a package the snapshot lacks is extracted")
	}
	hoursAgo := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(manifest, hoursAgo, hoursAgo))
	_, stderr := probe(t, cache, "PROBE_BULK=1", "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1")
	assert.Contains(t, stderr, "packages from the snapshot: constructs, cdk8s\n")
	out, stderr := probe(t, cache, "PROBE_BULK=1", "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1")
	assert.Contains(t, stderr, "packages from the snapshot: constructs, cdk8s, @telepace/cdk8s-bulk\n")
	assert.Regexp(t, `package @telepace/cdk8s-bulk: files (\S+ )*\.jsii (\S+ )*lib package\.json\n`, out)
	_, stderr = probe(t, cache, "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1")
	assert.Contains(t, stderr, "packages from the snapshot: constructs, cdk8s\n", "a run that loads fewer keeps them all")
	entries, err := os.ReadDir(filepath.Join(cache, "telepace-platform-charts", "kernel-snapshot"))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no leftovers")
}

// extracted matches the probe's line for a package the kernel extracted
// from its tarball: a link into jsii's package cache, or a directory
// with the package's README (the kernel's copy from a snapshot holds only
// package.json, the .jsii files and the main file).
func extracted(name string) string {
	return `package ` + regexp.QuoteMeta(name) + `: (link to |files .*README)`
}

// TestSnapshotPackagesGoneOrReplacedAreExtracted: the kernel copies what
// it reads of a package from the snapshot's directory only while that
// directory is the snapshot it started from; a package whose files are
// gone, or that the manifest on disk no longer names (another run
// replaced the snapshot), is extracted from its tarball, and the run
// synthesises the same.
func TestSnapshotPackagesGoneOrReplacedAreExtracted(t *testing.T) {
	cache := t.TempDir()
	first, _ := probe(t, cache)
	dir := snapshotDir(first)
	want := synthesised(first)

	require.NoError(t, os.RemoveAll(filepath.Join(dir, "node_modules", "cdk8s")))
	out, stderr := probe(t, cache, "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1")
	assert.Contains(t, stderr, "packages from the snapshot: constructs, cdk8s\n")
	assert.Contains(t, out, "package constructs: files ")
	assert.Regexp(t, extracted("cdk8s"), out, "gone from the snapshot: extracted")
	assert.Contains(t, out, "yaml:\n"+want)

	manifest := filepath.Join(dir, "manifest.json")
	data, err := os.ReadFile(manifest)
	require.NoError(t, err)
	var m struct {
		Packages []struct{ Name, Digest string }
	}
	require.NoError(t, json.Unmarshal(data, &m))
	for _, p := range m.Packages {
		if p.Name == "constructs" {
			data = bytes.ReplaceAll(data, []byte(p.Digest), []byte(strings.Repeat("0", len(p.Digest))))
		}
	}
	require.NoError(t, os.WriteFile(manifest, data, 0o600))
	out, _ = probe(t, cache)
	assert.Regexp(t, extracted("constructs"), out, "named no more by the manifest on disk: extracted")
	assert.Contains(t, out, "yaml:\n"+want)
}

// TestSnapshotPackageMainFromTheManifest: a run links the main file the
// manifest on disk names for a package; when it names none, or a file
// the package lacks, or one outside it, the package is extracted from
// its tarball (and so are the packages that depend on it), and the run
// synthesises the same.
func TestSnapshotPackageMainFromTheManifest(t *testing.T) {
	cache := t.TempDir()
	first, _ := probe(t, cache)
	dir := snapshotDir(first)
	want := synthesised(first)
	manifest := filepath.Join(dir, "manifest.json")
	original, err := os.ReadFile(manifest)
	require.NoError(t, err)
	require.Contains(t, string(original), `"main": "lib/index.js"`)

	for _, tc := range []struct{ name, main string }{
		{"none", `"main": ""`},
		{"missing", `"main": "lib/gone.js"`},
		{"outside", `"main": "../cdk8s/lib/index.js"`},
		{"outside, by way of inside", `"main": "lib/../../cdk8s/lib/index.js"`},
		{"a file outside, by way of inside", `"main": "lib/../../../manifest.json"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// constructs is the manifest's first package.
			data := strings.Replace(string(original), `"main": "lib/index.js"`, tc.main, 1)
			require.NoError(t, os.WriteFile(manifest, []byte(data), 0o600))
			out, _ := probe(t, cache)
			assert.Regexp(t, extracted("constructs"), out)
			assert.Contains(t, out, "yaml:\n"+want)
		})
	}
}

// TestSnapshotPackagesKeepTheirFiles: a package taken from the snapshot
// finds the files next to its own where the snapshot keeps them.
func TestSnapshotPackagesKeepTheirFiles(t *testing.T) {
	cache := t.TempDir()
	manifest := filepath.Join(t.TempDir(), "cm.yaml")
	require.NoError(t, os.WriteFile(manifest, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), 0o644))
	probe(t, cache)
	out, stderr := probe(t, cache, "PROBE_YAML="+manifest, "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1")
	assert.Contains(t, stderr, "packages from the snapshot: constructs, cdk8s\n")
	assert.Contains(t, out, "loaded: 1\n")
}

// TestSnapshotNodeOptionsSetEmpty: an empty NODE_OPTIONS is not an unset
// one (jsii sets its own then), so each has its own snapshot.
func TestSnapshotNodeOptionsSetEmpty(t *testing.T) {
	cache := t.TempDir()
	unset, _ := probe(t, cache)
	empty, _ := probe(t, cache, "NODE_OPTIONS=")
	assert.Contains(t, empty, "mode: building\n")
	assert.NotEqual(t, snapshotDir(unset), snapshotDir(empty))
}

// TestSnapshotOff: TELEPACE_KERNEL_SNAPSHOT=off starts the kernel without
// a snapshot and builds none.
func TestSnapshotOff(t *testing.T) {
	cache := t.TempDir()
	out, _ := probe(t, cache, kernelsnapshot.Variable+"=off")
	assert.Contains(t, out, "mode: off\ndir: \nwhy: TELEPACE_KERNEL_SNAPSHOT=off\n")
	out, _ = probe(t, cache, kernelsnapshot.Variable+"=False")
	assert.Contains(t, out, "mode: off\n")
	assert.NoDirExists(t, filepath.Join(cache, "telepace-platform-charts", "kernel-snapshot"))
}

// TestSnapshotFailedBuildRemembered: after a failed build, the runs of
// that key start without a snapshot and try no other build.
func TestSnapshotFailedBuildRemembered(t *testing.T) {
	cache := t.TempDir()
	first, _ := probe(t, cache, kernelsnapshot.Variable+"=")
	_, dir, _ := strings.Cut(first, "dir: ")
	dir, _, _ = strings.Cut(dir, "\n")
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.WriteFile(dir+".failed", []byte("node --build-snapshot: exit 1\n"), 0o644))
	out, _ := probe(t, cache)
	assert.Contains(t, out, "mode: off\ndir: \nwhy: it failed; see "+dir+".failed\n")
	assert.NoDirExists(t, dir)
}

// TestSnapshotBuiltByTwoAtOnce: two first runs at once both build; one
// snapshot stays, whole, and nothing else.
func TestSnapshotBuiltByTwoAtOnce(t *testing.T) {
	cache := t.TempDir()
	type result struct {
		out, stderr string
		err         error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			out, stderr, err := runProbe(cache)
			results <- result{out, stderr, err}
		}()
	}
	for range 2 {
		r := <-results
		require.NoError(t, r.err, r.stderr)
		assert.Contains(t, r.out, "mode: building\n")
	}
	entries, err := os.ReadDir(filepath.Join(cache, "telepace-platform-charts", "kernel-snapshot"))
	require.NoError(t, err)
	require.Len(t, entries, 1, "one snapshot, no leftovers")
	assert.FileExists(t, filepath.Join(cache, "telepace-platform-charts", "kernel-snapshot", entries[0].Name(), "kernel.blob"))
	out, _ := probe(t, cache)
	assert.Contains(t, out, "mode: snapshot\n")
}

// TestSnapshotOthersMayWrite: a snapshot root others may write to is not
// used, nor built in: another user could put a snapshot of their own
// there, and this one's kernel would run it.
func TestSnapshotOthersMayWrite(t *testing.T) {
	cache := t.TempDir()
	root := filepath.Join(cache, "telepace-platform-charts", "kernel-snapshot")
	require.NoError(t, os.MkdirAll(root, 0o700))
	require.NoError(t, os.Chmod(root, 0o777))
	out, _ := probe(t, cache)
	assert.Contains(t, out, "mode: off\ndir: \nwhy: cache directory: "+root+" may be written by others (-rwxrwxrwx)\n")
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestStartedAheadKernel: a kernel started from the snapshot as the
// program initialises (jsiienv.Prestart) serves jsii's first kernel
// (TestSnapshotBuiltThenUsed) but for a launcher whose environment is not
// jsii's (it tells it to start node itself, and ends); a kernel started
// again after the first closes is the launcher's own; when the kernel
// started ahead is gone before jsii starts the launcher, the launcher
// starts node itself; a variable of its name in the environment, or a
// node wrapper that changes the environment, is no matter; and it ends
// with a process that never calls into the kernel. Each run synthesises
// the same objects.
func TestStartedAheadKernel(t *testing.T) {
	cache := t.TempDir()
	probe(t, cache) // builds the snapshot
	second, _ := probe(t, cache)
	want := synthesised(second)
	require.Contains(t, want, "kind: ConfigMap")

	for _, tc := range []struct {
		ahead, wantStderr string
		notStderr         string
	}{
		{"refused", "kernel snapshot: started ahead; not adopted: the launcher has another environment\n", "adopted\n"},
		{"twice", "kernel snapshot: started ahead; adopted\n", "not adopted"},
		{"killed", "", "started ahead;"},
	} {
		t.Run(tc.ahead, func(t *testing.T) {
			stdout, stderr := probe(t, cache, "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1", "PROBE_AHEAD="+tc.ahead)
			assert.Contains(t, stdout, "mode: snapshot\n")
			assert.Contains(t, stdout, "started ahead: 1\n")
			assert.Contains(t, stderr, tc.wantStderr)
			assert.NotContains(t, stderr, tc.notStderr)
			assert.Contains(t, stderr, "kernel snapshot: packages from the snapshot: constructs, cdk8s\n", "the launcher's kernel starts from the snapshot too")
			got := synthesised(stdout)
			assert.Equal(t, want, got)
			if tc.ahead == "refused" {
				assert.Contains(t, stdout, "asked: refused\n")
			}
			if tc.ahead == "twice" {
				assert.Contains(t, stdout, "synthesised again\n")
				assert.Equal(t, 2, strings.Count(stderr, "packages from the snapshot"), "two kernels, both from the snapshot")
			}
		})
	}

	// A TELEPACE_KERNEL_ADOPT of the user's own is not the kernel's: it
	// is adopted, and the launcher's own node would not wait for one.
	t.Run("variable set", func(t *testing.T) {
		stdout, stderr := probe(t, cache, "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1", "TELEPACE_KERNEL_ADOPT=x")
		assert.Contains(t, stdout, "started ahead: 1\n")
		assert.Contains(t, stderr, "kernel snapshot: started ahead; adopted\n")
	})

	// A node wrapper on PATH that changes the environment it runs node
	// with: the kernel compares the launcher's with the one Go started it
	// with, not with its own.
	t.Run("wrapper", func(t *testing.T) {
		node, err := exec.LookPath("node")
		require.NoError(t, err)
		bin := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(bin, "node"), []byte("#!/bin/sh\nexport TELEPACE_WRAPPED=1\nexec "+node+" \"$@\"\n"), 0o755))
		path := "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")
		probe(t, cache, path) // builds this node's snapshot
		stdout, stderr := probe(t, cache, path, "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1")
		assert.Contains(t, stdout, "started ahead: 1\n")
		assert.Contains(t, stderr, "kernel snapshot: started ahead; adopted\n")
	})

	t.Run("unused", func(t *testing.T) {
		stdout, _ := probe(t, cache, "PROBE_AHEAD=unused")
		assert.Contains(t, stdout, "started ahead: 1\n")
		assert.Regexp(t, `cmdline: node `+strings.Join(jsiienv.KernelNodeOptions(), " ")+` --snapshot-blob `, stdout, "started with the kernel's node options")
		_, pid, found := strings.Cut(stdout, "pid: ")
		require.True(t, found, stdout)
		pid, _, _ = strings.Cut(pid, "\n")
		n, err := strconv.Atoi(pid)
		require.NoError(t, err)
		deadline := time.Now().Add(10 * time.Second)
		for syscall.Kill(n, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		assert.ErrorIs(t, syscall.Kill(n, 0), syscall.ESRCH, "the kernel started ahead outlived its process")
	})
}

// TestStartedEarly: a run that starts its kernel ahead records the start
// (jsiienv.Prestart); the next run's jsiienv starts that kernel from its
// initialiser, and Prestart keeps it, as long as the record is this
// user's alone, the files it requires exist, and it is the kernel this
// run asks for. Otherwise the run starts its kernel as without the
// record, quietly, and records its own. A run that starts no kernel ahead
// removes the record.
func TestStartedEarly(t *testing.T) {
	cache := t.TempDir()
	record := filepath.Join(cache, "telepace-platform-charts", "kernel-start.json")
	first, _ := probe(t, cache) // builds the snapshot
	assert.Contains(t, first, "mode: building\n")
	assert.NoFileExists(t, record, "no kernel started ahead")
	second, _ := probe(t, cache)
	dir := snapshotDir(second)
	assert.Contains(t, second, "started ahead: 1\nstarted early: false\n")
	data, err := os.ReadFile(record)
	require.NoError(t, err)
	node, err := exec.LookPath("node")
	require.NoError(t, err)
	blob := filepath.Join(dir, "kernel.blob")
	resolved, err := filepath.EvalSymlinks(node)
	require.NoError(t, err)
	nodeInfo, err := os.Stat(resolved)
	require.NoError(t, err)
	var argv []any
	for _, a := range append(append(append([]string{"node"}, jsiienv.KernelNodeOptions()...), "--snapshot-blob", blob), "--preserve-symlinks") {
		argv = append(argv, a)
	}
	var got map[string]any
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, map[string]any{
		"node":     node,
		"options":  []any{"--snapshot-blob", blob},
		"env":      map[string]any{"TELEPACE_KERNEL_SNAPSHOT_BUILD": dir},
		"requires": []any{blob},
		// What chose the start: the snapshot's switch, unset, and PATH.
		"depends":  map[string]any{kernelsnapshot.Variable: nil, "PATH": os.Getenv("PATH")},
		"nodeFile": fmt.Sprintf("%s %d %d", resolved, nodeInfo.Size(), nodeInfo.ModTime().UnixNano()),
		"argv":     argv,
		// jsii's, NODE_OPTIONS being unset (runProbe unsets it).
		"nodeOptions": "--max-old-space-size=4069",
	}, got)
	info, err := os.Stat(record)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	want := synthesised(second)

	run := func(t *testing.T, early bool) {
		t.Helper()
		stdout, stderr := probe(t, cache, "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1")
		assert.Contains(t, stdout, fmt.Sprintf("started ahead: 1\nstarted early: %t\n", early))
		assert.Equal(t, "kernel snapshot: started ahead; adopted\nkernel snapshot: packages from the snapshot: constructs, cdk8s\n", stderr)
		got := synthesised(stdout)
		assert.Equal(t, want, got)
	}
	t.Run("recorded", func(t *testing.T) { run(t, true) })
	t.Run("other options", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "kernel.blob")
		blobData, err := os.ReadFile(blob)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(other, blobData, 0o600))
		require.NoError(t, os.WriteFile(record, bytes.ReplaceAll(data, []byte(`"--snapshot-blob","`+blob), []byte(`"--snapshot-blob","`+other)), 0o600))
		run(t, false)
		again, err := os.ReadFile(record)
		require.NoError(t, err)
		assert.Equal(t, string(data), string(again), "this run's start recorded")
		run(t, true)
	})
	t.Run("required file gone", func(t *testing.T) {
		// Node would fail, and say so: no kernel is started early.
		gone := filepath.Join(t.TempDir(), "gone.blob")
		require.NoError(t, os.WriteFile(record, bytes.ReplaceAll(data, []byte(blob), []byte(gone)), 0o600))
		run(t, false)
		run(t, true)
	})
	t.Run("another node file", func(t *testing.T) {
		// The node on PATH was replaced: a snapshot built by another
		// node makes it fail, and say so.
		var r map[string]any
		require.NoError(t, json.Unmarshal(data, &r))
		r["nodeFile"] = r["nodeFile"].(string) + "0"
		other, err := json.Marshal(r)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(record, other, 0o600))
		run(t, false)
		run(t, true)
	})
	t.Run("other node options", func(t *testing.T) {
		// V8 flags of another NODE_OPTIONS make node refuse the
		// snapshot, and say so; this one's snapshot is built, and the
		// record forgotten.
		stdout, stderr := probe(t, cache, "NODE_OPTIONS=--max-old-space-size=2048")
		assert.Contains(t, stdout, "mode: building\n")
		assert.Contains(t, stdout, "started early: false\n")
		assert.Empty(t, stderr)
		assert.NoFileExists(t, record)
		stdout, _ = probe(t, cache)
		assert.Contains(t, stdout, "started early: false\n")
		run(t, true)
	})
	t.Run("a FIFO in its place", func(t *testing.T) {
		// Read without waiting for a writer, it is no record; it is
		// replaced by this run's.
		require.NoError(t, os.Remove(record))
		require.NoError(t, syscall.Mkfifo(record, 0o600))
		run(t, false)
		again, err := os.ReadFile(record)
		require.NoError(t, err)
		assert.Equal(t, string(data), string(again))
		run(t, true)
	})
	t.Run("PATH changed", func(t *testing.T) {
		// The node on another PATH may be another: none is started
		// early, and this run's start is recorded.
		stdout, _ := probe(t, cache, "PATH="+os.Getenv("PATH")+string(os.PathListSeparator)+t.TempDir())
		assert.Contains(t, stdout, "started early: false\n")
		stdout, _ = probe(t, cache)
		assert.Contains(t, stdout, "started early: false\n")
		run(t, true)
	})
	t.Run("others may write", func(t *testing.T) {
		require.NoError(t, os.Chmod(record, 0o622))
		run(t, false)
		info, err := os.Stat(record)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "recorded again")
		run(t, true)
		parent := filepath.Dir(record)
		require.NoError(t, os.Chmod(parent, 0o777))
		t.Cleanup(func() { _ = os.Chmod(parent, 0o700) })
		stdout, _ := probe(t, cache)
		assert.Contains(t, stdout, "started early: false\n")
	})
	t.Run("snapshot off", func(t *testing.T) {
		stdout, stderr := probe(t, cache, kernelsnapshot.Variable+"=off")
		assert.Contains(t, stdout, "mode: off\n")
		assert.Contains(t, stdout, "started ahead: 0\n", "the kernel started early is stopped")
		assert.Empty(t, stderr)
		assert.NoFileExists(t, record)
		stdout, _ = probe(t, cache)
		assert.Contains(t, stdout, "started early: false\n")
	})
}

// TestKernelStartsWithoutExtraCACerts: node starts the kernel, from the
// snapshot (started ahead, or by the launcher when that one is gone) and
// without one, without NODE_EXTRA_CA_CERTS, whose file node reads as it
// starts (one it cannot read makes it warn); the processes the kernel
// starts, cdk8s's file reader here, get the variable back, and only it.
func TestKernelStartsWithoutExtraCACerts(t *testing.T) {
	cache := t.TempDir()
	manifest := filepath.Join(t.TempDir(), "cm.yaml")
	require.NoError(t, os.WriteFile(manifest, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), 0o644))
	certs := "NODE_EXTRA_CA_CERTS=" + filepath.Join(t.TempDir(), "missing.pem")
	warning := "Warning: Ignoring extra certs from `" + strings.TrimPrefix(certs, "NODE_EXTRA_CA_CERTS=") + "`"
	probe(t, cache) // builds the snapshot
	for _, tc := range []struct {
		name, mode, ahead string
		env               []string
	}{
		{"started ahead", "snapshot", "adopted\n", []string{"TELEPACE_KERNEL_SNAPSHOT_DEBUG=1"}},
		{"the launcher's", "snapshot", "", []string{"TELEPACE_KERNEL_SNAPSHOT_DEBUG=1", "PROBE_AHEAD=killed"}},
		{"without a snapshot", "off", "", []string{kernelsnapshot.Variable + "=off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr := probe(t, cache, append(tc.env, certs)...)
			assert.Contains(t, stdout, "mode: "+tc.mode+"\n")
			assert.Contains(t, stdout, "kind: ConfigMap")
			if tc.ahead != "" {
				assert.Contains(t, stderr, "kernel snapshot: started ahead; "+tc.ahead)
			}
			assert.NotContains(t, stderr, warning, "node read NODE_EXTRA_CA_CERTS as it started the kernel")

			stdout, stderr = probe(t, cache, append(tc.env, certs, "PROBE_YAML="+manifest)...)
			assert.Contains(t, stdout, "loaded: 1\n")
			assert.Equal(t, 1, strings.Count(stderr, warning), "the process cdk8s started to read the file, alone, read NODE_EXTRA_CA_CERTS:\n%s", stderr)

			// The variable that carries it is the kernel's alone.
			_, stderr = probe(t, cache, append(tc.env, "-NODE_EXTRA_CA_CERTS", "TELEPACE_KERNEL_EXTRA_CA_CERTS="+strings.TrimPrefix(certs, "NODE_EXTRA_CA_CERTS="), "PROBE_YAML="+manifest)...)
			assert.NotContains(t, stderr, warning, "a TELEPACE_KERNEL_EXTRA_CA_CERTS of the user's own became NODE_EXTRA_CA_CERTS")
		})
	}
}
