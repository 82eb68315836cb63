package synth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeChart is a small generated chart whose files all say what they hold.
func fakeChart(env, content string) Chart {
	return Chart{Env: env, Files: map[string][]byte{
		"Chart.yaml":         []byte(GeneratedMarker + "\nname: telepace-" + env + "\n"),
		"templates/app.yaml": []byte(content),
	}}
}

// TestWriteRollsBackAFailedSwap makes the second of three chart swaps fail
// and checks that the first is swapped back: every chart keeps its old
// content and no temporary directory stays.
func TestWriteRollsBackAFailedSwap(t *testing.T) {
	out := t.TempDir()
	old := []Chart{fakeChart("a", "old a"), fakeChart("b", "old b")}
	_, err := Write(context.Background(), out, old, WriteOptions{})
	require.NoError(t, err)

	calls := 0
	swapDir = func(src, dst string) error {
		calls++
		if calls == 2 {
			return errors.New("disk on fire")
		}
		return replaceDir(src, dst)
	}
	t.Cleanup(func() { swapDir = replaceDir })

	_, err = Write(context.Background(), out, []Chart{fakeChart("a", "new a"), fakeChart("b", "new b"), fakeChart("c", "new c")}, WriteOptions{})
	require.Error(t, err)
	assert.Equal(t, "swapping in "+filepath.Join(out, "b")+": disk on fire", err.Error())
	for env, want := range map[string]string{"a": "old a", "b": "old b"} {
		got, err := os.ReadFile(filepath.Join(out, env, "templates", "app.yaml"))
		require.NoError(t, err)
		assert.Equal(t, want, string(got), env)
		// The new copies linked the unchanged Chart.yaml; they are gone.
		info, err := os.Stat(filepath.Join(out, env, "Chart.yaml"))
		require.NoError(t, err)
		assert.Equal(t, uint64(1), uint64(info.Sys().(*syscall.Stat_t).Nlink), env)
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"a", "b"}, names, "no new chart and no temporary directory may remain")
}

// TestReplaceDirExchanges checks both directions of the swap: dst gets
// src's content and src gets dst's.
func TestReplaceDirExchanges(t *testing.T) {
	for name, swap := range map[string]func(string, string) error{"replaceDir": replaceDir, "replaceDirByRenames": replaceDirByRenames} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
			for p, content := range map[string]string{src: "new", dst: "old"} {
				require.NoError(t, os.Mkdir(p, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(p, "f"), []byte(content), 0o644))
			}
			require.NoError(t, swap(src, dst))
			for p, want := range map[string]string{dst: "new", src: "old"} {
				got, err := os.ReadFile(filepath.Join(p, "f"))
				require.NoError(t, err)
				assert.Equal(t, want, string(got))
			}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			for _, e := range entries {
				assert.False(t, strings.HasSuffix(e.Name(), ".old"), "left behind: %s", e.Name())
			}
		})
	}
}
