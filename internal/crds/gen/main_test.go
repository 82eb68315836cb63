package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/internal/crds"
)

// needModules skips under -short, saying why: these tests download the
// pinned modules (the module cache, or the proxy on a cold cache) with
// the go command. crds.TestEmbeddedFilesMatchPins checks the committed
// files without them, in every run.
func needModules(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: needs the go command and the pinned modules; the committed files are checked offline by internal/crds's TestEmbeddedFilesMatchPins")
	}
}

// TestGenerateReproducesTheCommittedFiles: the generator, run afresh from
// the pinned modules, writes exactly the committed files and manifest.
func TestGenerateReproducesTheCommittedFiles(t *testing.T) {
	needModules(t)
	dir := t.TempDir()
	pins, err := os.ReadFile(filepath.Join("..", "crd-versions.txt"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "crd-versions.txt"), pins, 0o644))
	require.NoError(t, run(context.Background(), dir))
	assert.Equal(t, tree(t, ".."), tree(t, dir))
}

// tree returns manifest.json and every file under files/ in dir.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	m, err := os.ReadFile(filepath.Join(dir, crds.ManifestFile))
	require.NoError(t, err)
	out[crds.ManifestFile] = string(m)
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "files"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	}))
	return out
}

func TestGenerateFails(t *testing.T) {
	needModules(t)
	gw, err := crds.Lookup("gateway-api")
	require.NoError(t, err)
	line := func(sum, dirs string) string {
		return strings.Join([]string{gw.Name, gw.Module, gw.Version, sum, dirs}, " ") + "\n"
	}
	tests := []struct{ name, pins, want string }{
		{"module content is not the pinned sum", line("h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "config/crd/standard"),
			"gateway-api: sigs.k8s.io/gateway-api@v1.6.3 has content hash " + gw.Sum + ", but internal/crds/crd-versions.txt pins h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
		{"a directory without CRDs", line(gw.Sum, "config/crd/standard,site-src"),
			"sigs.k8s.io/gateway-api@v1.6.3: no CustomResourceDefinition in site-src"},
		{"a malformed pin", "gateway-api " + gw.Module + "\n",
			"crd-versions.txt:1: want 'name module version h1-sum dirs', got \"gateway-api sigs.k8s.io/gateway-api\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "crd-versions.txt"), []byte(tt.pins), 0o644))
			assert.EqualError(t, run(context.Background(), dir), tt.want)
			_, err := os.Stat(filepath.Join(dir, crds.ManifestFile))
			assert.ErrorIs(t, err, fs.ErrNotExist, "nothing written")
		})
	}
}
