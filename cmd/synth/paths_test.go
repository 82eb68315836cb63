package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRealPath resolves what the kernel would: symlinks element by
// element, ".." after a symlink from its target, dangling symlinks to
// where they point, and missing elements as they are.
func TestRealPath(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	for _, d := range []string{"a/b", "c"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	for link, target := range map[string]string{
		"c/to-b":     "../a/b",
		"abs-to-b":   filepath.Join(root, "a", "b"),
		"dangling":   "a/new/file",
		"loop":       "loop",
		"c/to-b-rel": "to-b",
	} {
		require.NoError(t, os.Symlink(target, filepath.Join(root, link)))
	}
	t.Chdir(filepath.Join(root, "c"))
	tests := []struct{ in, want string }{
		{filepath.Join(root, "a", "b", "f"), "a/b/f"},
		{"to-b/f", "a/b/f"},
		{"to-b/../f", "a/f"}, // the symlink's target's parent, not c/
		{"to-b-rel/x/y", "a/b/x/y"},
		{"../abs-to-b/f", "a/b/f"},
		{"../dangling", "a/new/file"},
		{"../c/./missing/../f", "c/f"},
		{"", "c"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := realPath(tt.in)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(root, tt.want), got)
		})
	}
	_, err = realPath("../loop/f")
	assert.EqualError(t, err, filepath.Join(root, "loop")+": too many levels of symbolic links")
}

// TestNothingWritesIntoGeneratedCharts: diff --out, synth --out and
// set-image --file are refused inside charts/generated, however the path
// is spelt, before anything is written. It runs in a module of its own,
// so that a guard that fails cannot reach the repository's charts.
func TestNothingWritesIntoGeneratedCharts(t *testing.T) {
	goMod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	require.NoError(t, err)
	mod, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(mod, "go.mod"), goMod, 0o644))
	gen := filepath.Join(mod, "charts", "generated")
	web := filepath.Join(gen, "prod", "templates", "web.yaml")
	require.NoError(t, os.MkdirAll(filepath.Dir(web), 0o755))
	require.NoError(t, os.WriteFile(web, []byte("kind: Deployment\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(mod, "environments"), 0o755))
	elsewhere := t.TempDir()
	require.NoError(t, os.Symlink(gen, filepath.Join(elsewhere, "gen")))
	require.NoError(t, os.Symlink(web, filepath.Join(elsewhere, "web.yaml")))
	require.NoError(t, os.Symlink(filepath.Join(mod, "charts"), filepath.Join(mod, "environments", "charts")))
	t.Chdir(filepath.Join(mod, "environments"))
	before := listTree(t, mod)

	outs := []string{
		web,
		filepath.Join(gen, "summary.md"),
		"../charts/generated/prod/templates/web.yaml",
		"../charts/x/../generated/summary.md",
		"charts/generated/dev",         // through environments/charts, a symlink
		"charts/../charts/generated/x", // ".." after that symlink is charts/
		filepath.Join(elsewhere, "gen", "summary.md"),
		filepath.Join(elsewhere, "web.yaml"),
	}
	for _, out := range outs {
		t.Run(out, func(t *testing.T) {
			code, _, stderr := runSynth("diff", "--out", out)
			assert.Equal(t, exitUsage, code, stderr)
			assert.Equal(t, "synth diff: --out \""+out+"\" is inside charts/generated, which holds only generated charts; write the summary elsewhere\n", stderr)

			code, _, stderr = runSynth("--out", out)
			assert.Equal(t, exitFailed, code, stderr)
			assert.Equal(t, "synth: --out \""+out+"\" is inside "+gen+", which holds only the generated charts synth writes there; write the charts to "+gen+" itself or elsewhere\n", stderr)

			code, _, stderr = runSynth("set-image", "--env", "prod", "--service", "web", "--tag", "v9.9.9", "--file", out)
			assert.Equal(t, exitFailed, code, stderr)
			assert.Equal(t, "synth set-image: --file \""+out+"\" is inside charts/generated, which only synth writes\n", stderr)
		})
	}
	assert.Equal(t, before, listTree(t, mod), "nothing under the module changed")
	assert.False(t, strings.Contains(strings.Join(listTree(t, elsewhere), "\n"), "summary.md"))
}
