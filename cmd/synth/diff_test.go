package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiffUsageErrors(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--base", ""}, "synth diff: --base is empty; name a git ref such as main or origin/main\n"},
		{[]string{"--base", " "}, "synth diff: --base is empty; name a git ref such as main or origin/main\n"},
		{[]string{"--base", "-x"}, "synth diff: --base \"-x\" is not a git ref\n"},
		{[]string{"--base", "no-such-ref-anywhere"}, "synth diff: --base \"no-such-ref-anywhere\" does not name a commit in " + root + " (fetch it first, e.g. git fetch origin main)\n"},
		{[]string{"--base", "HEAD~100000"}, "synth diff: --base \"HEAD~100000\" does not name a commit in " + root + "\n"},
		{[]string{"--base", "HEAD:charts"}, "synth diff: --base \"HEAD:charts\" does not name a commit in " + root + "\n"},
		{[]string{"--base", "main..HEAD"}, "synth diff: --base \"main..HEAD\" is a range; name one commit, such as main or origin/main\n"},
		{[]string{"--env", noEnv}, "synth diff: unknown environment \"" + noEnv + "\"; known environments: " + strings.Join(envNames(), ", ") + "\n"},
		{[]string{"--env", ""}, "synth diff: --env is empty; name one or more environments: " + strings.Join(envNames(), ", ") + "\n"},
		{[]string{"--out", ""}, "synth diff: --out is empty; name a file, or leave it out for standard output\n"},
		{[]string{"extra"}, "synth diff: unexpected arguments: extra\n"},
		{[]string{"--out", "../../charts/generated/dev/values.yaml"}, "synth diff: --out \"../../charts/generated/dev/values.yaml\" is inside charts/generated, which holds only generated charts; write the summary elsewhere\n"},
		{[]string{"--nope"}, "flag provided but not defined: -nope\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runSynth(append([]string{"diff"}, tt.args...)...)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Empty(t, stdout)
			assert.True(t, strings.HasPrefix(stderr, tt.want), "stderr: %s", stderr)
		})
	}
}

func TestDiffHelpDocumentsExitCodes(t *testing.T) {
	code, _, stderr := runSynth("diff", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stderr, "Usage: synth diff [--base REF]")
	assert.Contains(t, stderr, "3 breaking changes found, with --fail-on-breaking.")
}

// TestDiffAgainstHEAD runs the summary of the repository itself: whatever
// the working tree holds, it is a summary with the marker CI looks for.
func TestDiffAgainstHEAD(t *testing.T) {
	code, stdout, stderr := runSynth("diff", "--env", "prod")
	require.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, diffMarker+"\n## Chart changes: HEAD → working tree\n"), stdout)
	assert.Contains(t, stdout, "| analysis | image | ")
}

// TestDiffFailsOnBreaking commits, in a repository of its own, a staging
// chart whose Deployment selector differs from what the code produces:
// the summary lists it first, and --fail-on-breaking exits 3.
func TestDiffFailsOnBreaking(t *testing.T) {
	commitCharts(t, "staging", func(dst string) {
		web := filepath.Join(dst, "templates", "web.yaml")
		raw, err := os.ReadFile(web)
		require.NoError(t, err)
		old := "  selector:\n    matchLabels:\n      app.kubernetes.io/component: frontend\n      app.kubernetes.io/instance: telepace-staging\n      app.kubernetes.io/name: web\n"
		require.Contains(t, string(raw), old, "the web Deployment's selector, the file's first")
		require.NoError(t, os.WriteFile(web, []byte(strings.Replace(string(raw), old, strings.Replace(old, "name: web", "name: web-old", 1), 1)), 0o644))
	})

	out := filepath.Join(t.TempDir(), "summary.md")
	code, stdout, stderr := runSynth("diff", "--env", "staging", "--fail-on-breaking", "--out", out)
	require.Equal(t, exitChanged, code, stderr)
	assert.Empty(t, stdout)
	assert.Equal(t, "synth diff: 1 breaking changes\n", stderr)
	md, err := os.ReadFile(out)
	require.NoError(t, err)
	text := string(md)
	assert.Contains(t, text, "**1 breaking change.**")
	assert.Contains(t, text, "| staging | `Deployment telepace-staging/web` | `spec.selector` | the selector is immutable: the apiserver refuses the update (field is immutable) |")
	assert.Less(t, strings.Index(text, "### Breaking"), strings.Index(text, "### staging"), "breaking changes come first")
	assert.NotContains(t, text, "```mermaid", "a change that does not touch the topology adds no picture")
	assert.NotContains(t, text, "topology changed")

	code, _, stderr = runSynth("diff", "--env", "staging")
	assert.Equal(t, exitOK, code, "without --fail-on-breaking the summary is the result: %s", stderr)
}

// TestDiffGitFailures: when git cannot answer, synth diff fails (exit 1)
// with a message that fits the cause; no --base would help, so none is
// bad usage, and none advises a fetch.
func TestDiffGitFailures(t *testing.T) {
	goMod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	require.NoError(t, err)
	noGit := t.TempDir() // a PATH without git
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"git missing", func(t *testing.T, dir string) { t.Setenv("PATH", noGit) },
			"synth diff: git is not on PATH; synth diff reads the base's charts from git\n"},
		{"not a repository", func(t *testing.T, dir string) {},
			"synth diff: DIR is not in a git repository; synth diff compares the working tree with a commit\n"},
		{"no commits", func(t *testing.T, dir string) {
			out, err := exec.Command("git", "init", "-q", dir).CombinedOutput()
			require.NoError(t, err, string(out))
		}, "synth diff: the repository of DIR has no commits yet; commit the charts, then compare\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), goMod, 0o644))
			t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
			tt.setup(t, dir)
			t.Chdir(dir)
			for _, args := range [][]string{{"diff"}, {"diff", "--base", "main"}} {
				code, stdout, stderr := runSynth(args...)
				assert.Equal(t, exitFailed, code, stderr)
				assert.Empty(t, stdout)
				assert.Equal(t, strings.ReplaceAll(tt.want, "DIR", dir), stderr)
			}
		})
	}
}

// TestStaleBinaryWarning: a built synth warns when the code it was built
// from may not be the working tree's, since diff compares what its own
// compiled code produces.
func TestStaleBinaryWarning(t *testing.T) {
	const head = "5cdc3b4823645326ed0a800ea82bbbdc71a12947"
	tests := []struct {
		name            string
		rev             string
		modified, dirty bool
		want            string
	}{
		{"built at HEAD, clean", head, false, false, ""},
		{"built at another commit", "0123456789abcdef0123456789abcdef01234567", false, false, "this synth was built from commit 0123456789ab, not HEAD; it compares what that code produces: rebuild it, or use go run ./cmd/synth diff"},
		{"built from uncommitted changes", head, true, false, "this synth was built from, or is run beside, uncommitted Go changes; it compares what its own build produces: rebuild it after editing, or use go run ./cmd/synth diff"},
		{"run beside uncommitted changes", head, false, true, "this synth was built from, or is run beside, uncommitted Go changes; it compares what its own build produces: rebuild it after editing, or use go run ./cmd/synth diff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, staleWarning(tt.rev, tt.modified, head, tt.dirty))
		})
	}
}

// commitCharts makes a repository of its own holding go.mod and the
// committed charts of env, after edit has changed them, and makes it the
// working directory.
func commitCharts(t *testing.T, env string, edit func(dir string)) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required for synth diff")
	}
	repo := t.TempDir()
	goMod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(repo, "go.mod"), goMod, 0o644))
	dst := filepath.Join(repo, "charts", "generated", env)
	require.NoError(t, os.CopyFS(dst, os.DirFS(filepath.Join("..", "..", "charts", "generated", env))))
	edit(dst)
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "."},
		{"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	t.Chdir(repo)
}

// TestDiffDrawsTopologyChange commits a staging chart whose README draws
// one egress edge fewer than the code does, as a base from before that
// rule would: the summary holds the picture, with that edge, by its
// index, marked added; the exit code is 0.
func TestDiffDrawsTopologyChange(t *testing.T) {
	var edge string
	var index int
	commitCharts(t, "staging", func(dir string) {
		path := filepath.Join(dir, "README.md")
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		_, block, ok := strings.Cut(string(raw), "```mermaid\n")
		require.True(t, ok, "staging's README has no diagram")
		block, _, _ = strings.Cut(block, "```")
		index = -1
		n := 0
		for _, line := range strings.Split(block, "\n") {
			if !strings.Contains(line, "-->") && !strings.Contains(line, "-.-") {
				continue
			}
			if index < 0 && strings.Contains(line, "| internet") {
				edge, index = line, n
			}
			n++
		}
		require.GreaterOrEqual(t, index, 0, "staging draws no edge to the internet")
		require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(raw), edge+"\n", "", 1)), 0o644))
	})

	code, stdout, stderr := runSynth("diff", "--env", "staging", "--fail-on-breaking")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "No breaking changes. staging: topology changed\n")
	assert.Contains(t, stdout, "\n**Topology:** 1 edge added. Green and thick: added;")
	from, rest, _ := strings.Cut(strings.TrimSpace(edge), ` -->|"`)
	assert.Contains(t, stdout, "\n  "+from+` -->|"added: `+rest+"\n")
	assert.Contains(t, stdout, fmt.Sprintf("\n  linkStyle %d stroke:#1a7f37,stroke-width:4px\n```\n", index))
	assert.Equal(t, 1, strings.Count(stdout, "```mermaid\n"), "one picture")
}

// failingWriter refuses every write, like a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestDiffFailsWhenItCannotWrite: a summary that cannot be written is exit
// 1, never a success with nothing posted.
func TestDiffFailsWhenItCannotWrite(t *testing.T) {
	var errb bytes.Buffer
	code := run(context.Background(), []string{"diff", "--env", "prod"}, failingWriter{}, &errb)
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, errb.String(), "writing the summary: no space left on device")
}
