//go:build linux

package kernelsnapshot_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/internal/jsiienv"
	"github.com/telepace/platform-charts/internal/kernelsnapshot"
)

// probeVariable makes TestProbe, run by the tests below in a process of
// its own, start the kernel, synthesise a chart and print what it saw.
const probeVariable = "TELEPACE_KERNELSNAPSHOT_PROBE"

// probe runs TestProbe in a fresh test process with the given cache
// directory and extra environment, and returns its stdout and stderr.
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
	cmd := exec.Command(os.Args[0], "-test.run=^TestProbe$", "-test.count=1")
	cmd.Env = append(append(base, probeVariable+"=1", "XDG_CACHE_HOME="+cache, jsiienv.EndOfLifeVariable+"=20"), env...)
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
	app := cdk8s.NewApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
	chart := cdk8s.NewChart(app, jsii.String("c"), &cdk8s.ChartProps{DisableResourceNameHashes: jsii.Bool(true)})
	cdk8s.NewApiObject(chart, jsii.String("cm"), &cdk8s.ApiObjectProps{
		ApiVersion: jsii.String("v1"),
		Kind:       jsii.String("ConfigMap"),
		Metadata:   &cdk8s.ApiObjectMetadata{Name: jsii.String("cm")},
	})
	fmt.Printf("yaml:\n%s", *app.SynthYaml())
	jsii.Close()
	jsiienv.Cleanup()
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
	dirs, err := filepath.Glob(filepath.Join(cache, "telepace-platform-charts", "kernel-snapshot", "*"))
	require.NoError(t, err)
	require.Len(t, dirs, 1, "one snapshot, no leftovers: %v", dirs)
	assert.FileExists(t, filepath.Join(dirs[0], "kernel.blob"))
	manifest, err := os.ReadFile(filepath.Join(dirs[0], "manifest.json"))
	require.NoError(t, err)
	assert.Contains(t, string(manifest), `"name": "constructs"`)
	assert.Contains(t, string(manifest), `"name": "cdk8s"`)

	second, stderr := probe(t, cache, "TELEPACE_KERNEL_SNAPSHOT_DEBUG=1")
	assert.Contains(t, second, "mode: snapshot\ndir: "+dirs[0]+"\n")
	assert.Contains(t, stderr, "kernel snapshot: packages from the snapshot: constructs, cdk8s\n")
	_, firstYAML, _ := strings.Cut(first, "yaml:\n")
	_, secondYAML, _ := strings.Cut(second, "yaml:\n")
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
}

// TestSnapshotOff: TELEPACE_KERNEL_SNAPSHOT=off starts the kernel without
// a snapshot and builds none.
func TestSnapshotOff(t *testing.T) {
	cache := t.TempDir()
	out, _ := probe(t, cache, kernelsnapshot.Variable+"=off")
	assert.Contains(t, out, "mode: off\ndir: \nwhy: TELEPACE_KERNEL_SNAPSHOT=off\n")
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
	assert.Contains(t, out, "mode: off\ndir: \nwhy: building it failed; see "+dir+".failed\n")
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
