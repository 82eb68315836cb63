package main

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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

func runSynth(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpExitsZeroAndDocumentsExitCodes(t *testing.T) {
	code, _, stderr := runSynth("--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stderr, "Usage: synth [--env NAME[,NAME...]] [--out DIR] [--check]")
	assert.Contains(t, stderr, "Environments: dev, staging, prod")
	assert.Contains(t, stderr, "3  --check found stale charts (every stale file is named)")
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--env", "qa"}, "synth: unknown environment \"qa\"; known environments: dev, staging, prod\n"},
		{[]string{"extra"}, "synth: unexpected arguments: extra\n"},
	}
	for _, tt := range tests {
		code, _, stderr := runSynth(tt.args...)
		assert.Equal(t, exitUsage, code, tt.args)
		assert.Equal(t, tt.want, stderr)
	}
	code, _, _ := runSynth("--no-such-flag")
	assert.Equal(t, exitUsage, code)
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
	bin := filepath.Join(t.TempDir(), "synth")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

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
