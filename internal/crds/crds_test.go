package crds

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEmbeddedFilesMatchPins: the committed files are the ones the
// manifest records, and the manifest was written at today's pins. It reads
// only the embedded files, so it runs, and can fail, in every test run,
// -short included: a pin bumped without `make generate` fails here.
func TestEmbeddedFilesMatchPins(t *testing.T) {
	require.NoError(t, Verify())
	srcs, err := Sources()
	require.NoError(t, err)
	require.NotEmpty(t, srcs)
	var chartOnly int
	for _, s := range srcs {
		docs, err := Documents(s.Name)
		require.NoError(t, err)
		if len(s.Dirs) == 0 {
			assert.Empty(t, docs, "%s is pinned without CRD directories", s.Name)
			chartOnly++
			continue
		}
		assert.NotEmpty(t, docs, s.Name)
	}
	assert.Positive(t, chartOnly, "a chart-only module (seaweedfs) is pinned")
}

// TestEmbeddedFilesAreTheDiskFiles: what the package embeds is what
// internal/crds holds on disk, which is what git has, so the check above
// is a check of the committed files.
func TestEmbeddedFilesAreTheDiskFiles(t *testing.T) {
	m, err := readManifest(os.DirFS("."))
	require.NoError(t, err)
	srcs, err := Sources()
	require.NoError(t, err)
	require.NoError(t, verify(srcs, m, os.DirFS(".")))
}

func TestLoad(t *testing.T) {
	all, err := Load()
	require.NoError(t, err)
	var files int
	m, err := readManifest(embedded)
	require.NoError(t, err)
	for _, s := range m.Sources {
		files += len(s.Files)
	}
	require.Len(t, all, files)
	names := make([]string, len(all))
	for i, c := range all {
		names[i] = c.Name
		assert.NotEmpty(t, c.Spec.Versions, c.Name)
	}
	assert.True(t, slices.IsSorted(names))
	assert.Contains(t, names, "gateways.gateway.networking.k8s.io")
}

func TestLookup(t *testing.T) {
	s, err := Lookup("gateway-api")
	require.NoError(t, err)
	assert.Equal(t, "sigs.k8s.io/gateway-api", s.Module)
	_, err = Lookup("no-such-source")
	assert.ErrorIs(t, err, ErrNotPinned)
	assert.EqualError(t, err, `crd-versions.txt pins no module named "no-such-source"`)
	_, err = Documents("no-such-source")
	assert.ErrorIs(t, err, ErrNotPinned)

	s, err = Lookup("seaweedfs")
	require.NoError(t, err)
	assert.Equal(t, "github.com/seaweedfs/seaweedfs", s.Module)
	assert.Empty(t, s.Dirs, "a chart-only module")
	docs, err := Documents("seaweedfs")
	require.NoError(t, err)
	assert.Empty(t, docs)
}

func TestParseSources(t *testing.T) {
	got, err := ParseSources("# comment\n\n  a-b  example.com/m  v1.2.3  h1:abc=  x/y,z\n")
	require.NoError(t, err)
	assert.Equal(t, []Source{{Name: "a-b", Module: "example.com/m", Version: "v1.2.3", Sum: "h1:abc=", Dirs: []string{"x/y", "z"}}}, got)
	assert.Equal(t, "example.com/m@v1.2.3 h1:abc= x/y,z", got[0].String())

	got, err = ParseSources("chart-only example.com/c v0.0.0-20260101000000-abcdefabcdef h1:c= -\n")
	require.NoError(t, err)
	assert.Equal(t, []Source{{Name: "chart-only", Module: "example.com/c", Version: "v0.0.0-20260101000000-abcdefabcdef", Sum: "h1:c="}}, got)
	assert.Equal(t, "example.com/c@v0.0.0-20260101000000-abcdefabcdef h1:c= -", got[0].String())

	tests := []struct{ name, text, want string }{
		{"too few fields", "a m v1 h1:x=\n", `crd-versions.txt:1: want 'name module version h1-sum dirs', got "a m v1 h1:x="`},
		{"too many fields", "# c\na m v1 h1:x= d e\n", `crd-versions.txt:2: want 'name module version h1-sum dirs', got "a m v1 h1:x= d e"`},
		{"not an h1 sum", "a m v1 sha256:x d\n", `crd-versions.txt:1: want 'name module version h1-sum dirs', got "a m v1 sha256:x d"`},
		{"name not a directory name", "A/b m v1 h1:x= d\n", `crd-versions.txt:1: name "A/b" must be lower-case letters and digits, dash separated`},
		{"pinned twice", "a m v1 h1:x= d\n\na n v2 h1:y= d\n", "crd-versions.txt:3: a is already pinned on line 1"},
		{"empty dir", "a m v1 h1:x= d,\n", `crd-versions.txt:1: directory "" must be a relative path inside the module`},
		{"absolute dir", "a m v1 h1:x= /d\n", `crd-versions.txt:1: directory "/d" must be a relative path inside the module`},
		{"dir outside", "a m v1 h1:x= d/../../e\n", `crd-versions.txt:1: directory "d/../../e" must be a relative path inside the module`},
		{"no dirs among dirs", "a m v1 h1:x= d,-\n", `crd-versions.txt:1: dirs "d,-": "-" (no CRD directories) must stand alone`},
		{"no dirs twice", "a m v1 h1:x= -,-\n", `crd-versions.txt:1: dirs "-,-": "-" (no CRD directories) must stand alone`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSources(tt.text)
			assert.EqualError(t, err, tt.want)
		})
	}
}

const crdA = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: as.example.com\n"

// goodTree returns one pinned source "one" with one CRD, its manifest and
// its files, which agree; each case of TestVerify breaks one thing.
func goodTree() ([]Source, Manifest, fstest.MapFS) {
	pin := Source{Name: "one", Module: "example.com/one", Version: "v1.0.0", Sum: "h1:one=", Dirs: []string{"crds"}}
	f := filePath("one", "as.example.com")
	m := Manifest{Sources: []ManifestSource{{Name: "one", Module: pin.Module, Version: pin.Version, Sum: pin.Sum, Dirs: pin.Dirs,
		Files: map[string]string{f: sha256Hex([]byte(crdA))}}}}
	return []Source{pin}, m, fstest.MapFS{f: {Data: []byte(crdA)}}
}

func TestVerify(t *testing.T) {
	pins, m, fsys := goodTree()
	require.NoError(t, verify(pins, m, fsys))

	const head = "the embedded CRDs disagree with internal/crds/crd-versions.txt:\n"
	tests := []struct {
		name    string
		breakIt func(pins []Source, m *Manifest, fsys fstest.MapFS) []Source
		want    string
	}{
		{"pin bumped without make generate", func(pins []Source, _ *Manifest, _ fstest.MapFS) []Source {
			pins[0].Version = "v1.1.0"
			pins[0].Sum = "h1:new="
			return pins
		}, "one: crd-versions.txt pins example.com/one@v1.1.0 h1:new= crds, but the embedded CRDs are of example.com/one@v1.0.0 h1:one= crds: run make generate"},
		{"pin's dirs changed", func(pins []Source, _ *Manifest, _ fstest.MapFS) []Source {
			pins[0].Dirs = []string{"crds", "more"}
			return pins
		}, "one: crd-versions.txt pins example.com/one@v1.0.0 h1:one= crds,more, but the embedded CRDs are of example.com/one@v1.0.0 h1:one= crds: run make generate"},
		{"new pin without make generate", func(pins []Source, _ *Manifest, _ fstest.MapFS) []Source {
			return append(pins, Source{Name: "two", Module: "example.com/two", Version: "v2.0.0", Sum: "h1:two=", Dirs: []string{"c"}})
		}, "two: crd-versions.txt pins example.com/two@v2.0.0 h1:two= c, but no CRDs of it are embedded: run make generate"},
		{"pin removed without make generate", func([]Source, *Manifest, fstest.MapFS) []Source {
			return nil
		}, "one: the embedded CRDs are of example.com/one@v1.0.0 h1:one= crds, which crd-versions.txt does not pin: run make generate"},
		{"file edited by hand", func(pins []Source, _ *Manifest, fsys fstest.MapFS) []Source {
			fsys["files/one/as.example.com.yaml"] = &fstest.MapFile{Data: []byte(crdA + "# edited\n")}
			return pins
		}, "files/one/as.example.com.yaml: sha256 " + sha256Hex([]byte(crdA+"# edited\n")) + ", but manifest.json records " + sha256Hex([]byte(crdA)) + ": run make generate, and never edit the files by hand"},
		{"file removed", func(pins []Source, _ *Manifest, fsys fstest.MapFS) []Source {
			delete(fsys, "files/one/as.example.com.yaml")
			return pins
		}, "files/one/as.example.com.yaml: in manifest.json, but not embedded: run make generate"},
		{"file added", func(pins []Source, _ *Manifest, fsys fstest.MapFS) []Source {
			fsys["files/one/bs.example.com.yaml"] = &fstest.MapFile{Data: []byte(crdA)}
			return pins
		}, "files/one/bs.example.com.yaml: embedded, but not in manifest.json: run make generate"},
		{"CRD of two sources", func(pins []Source, m *Manifest, fsys fstest.MapFS) []Source {
			two := m.Sources[0]
			two.Name = "two"
			two.Files = map[string]string{"files/two/as.example.com.yaml": sha256Hex([]byte(crdA))}
			m.Sources = append(m.Sources, two)
			fsys["files/two/as.example.com.yaml"] = &fstest.MapFile{Data: []byte(crdA)}
			p := pins[0]
			p.Name = "two"
			return append(pins, p)
		}, "files/two/as.example.com.yaml: CRD as.example.com is defined by both one and two"},
		{"pin's dirs dropped without make generate", func(pins []Source, _ *Manifest, _ fstest.MapFS) []Source {
			pins[0].Dirs = nil
			return pins
		}, "one: crd-versions.txt pins example.com/one@v1.0.0 h1:one= -, but the embedded CRDs are of example.com/one@v1.0.0 h1:one= crds: run make generate"},
		{"chart-only pin without make generate", func(pins []Source, _ *Manifest, _ fstest.MapFS) []Source {
			return append(pins, Source{Name: "chart", Module: "example.com/chart", Version: "v0.1.0", Sum: "h1:chart="})
		}, "chart: crd-versions.txt pins example.com/chart@v0.1.0 h1:chart= -, but no CRDs of it are embedded: run make generate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pins, m, fsys := goodTree()
			pins = tt.breakIt(pins, &m, fsys)
			assert.EqualError(t, verify(pins, m, fsys), head+tt.want)
		})
	}
}

func TestExtract(t *testing.T) {
	src := Source{Name: "one", Module: "example.com/one", Version: "v1.0.0", Dirs: []string{"crds"}}
	crdB := strings.ReplaceAll(crdA, "as.", "bs.")
	module := fstest.MapFS{
		"crds/a.yaml":             {Data: []byte("\n" + crdA + "---\n" + crdB)},
		"crds/kustomization.yaml": {Data: []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")},
		"crds/sub/c.yaml":         {Data: []byte(strings.ReplaceAll(crdA, "as.", "cs."))},
		"crds/notes.md":           {Data: []byte(crdA)},
	}
	got, err := Extract(module, src)
	require.NoError(t, err)
	assert.Equal(t, map[string][]byte{"as.example.com": []byte(crdA), "bs.example.com": []byte(crdB)}, got)
	chartOnly := src
	chartOnly.Dirs = nil
	got, err = Extract(module, chartOnly)
	require.NoError(t, err)
	assert.Empty(t, got, "a chart-only module provides no CRDs")

	tests := []struct {
		name   string
		module fstest.MapFS
		dirs   []string
		want   string
	}{
		{"no CRD in a directory", module, []string{"crds", "crds/sub", "empty"}, "example.com/one@v1.0.0: no CustomResourceDefinition in empty"},
		{"a CRD twice", module, []string{"crds", "crds"}, "example.com/one@v1.0.0: CRD as.example.com twice"},
		{"a name that cannot name a file", fstest.MapFS{"crds/a.yaml": {Data: []byte(strings.ReplaceAll(crdA, "as.example.com", "../x"))}}, []string{"crds"},
			`example.com/one@v1.0.0: crds/a.yaml: CRD name "../x" cannot name a file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := src
			s.Dirs = tt.dirs
			_, err := Extract(tt.module, s)
			assert.EqualError(t, err, tt.want)
		})
	}
}

// TestWriteTree: what WriteTree writes verifies, stale files go, and it
// refuses what it cannot write truthfully.
func TestWriteTree(t *testing.T) {
	pins, _, _ := goodTree()
	dir := t.TempDir()
	stale := filepath.Join(dir, "files", "old", "x.yaml")
	require.NoError(t, os.MkdirAll(filepath.Dir(stale), 0o755))
	require.NoError(t, os.WriteFile(stale, nil, 0o644))
	docs := map[string]map[string][]byte{"one": {"as.example.com": []byte(crdA)}}
	require.NoError(t, WriteTree(dir, pins, docs))
	_, err := os.Stat(stale)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	m, err := readManifest(os.DirFS(dir))
	require.NoError(t, err)
	require.NoError(t, verify(pins, m, os.DirFS(dir)))
	got, err := documents(os.DirFS(dir), "one")
	require.NoError(t, err)
	assert.Equal(t, docs["one"], got)

	// A chart-only pin: an entry without files, nothing under files/.
	chart := Source{Name: "chart", Module: "example.com/chart", Version: "v0.1.0", Sum: "h1:chart="}
	withChart := append(slices.Clone(pins), chart)
	chartDocs := map[string]map[string][]byte{"one": docs["one"], "chart": {}}
	dir = t.TempDir()
	require.NoError(t, WriteTree(dir, withChart, chartDocs))
	m, err = readManifest(os.DirFS(dir))
	require.NoError(t, err)
	require.Len(t, m.Sources, 2)
	assert.Equal(t, ManifestSource{Name: "chart", Module: chart.Module, Version: chart.Version, Sum: chart.Sum, Dirs: []string{}, Files: map[string]string{}}, m.Sources[1])
	require.NoError(t, verify(withChart, m, os.DirFS(dir)))
	_, err = os.Stat(filepath.Join(dir, "files", "chart"))
	assert.ErrorIs(t, err, fs.ErrNotExist)

	two := pins[0]
	two.Name = "two"
	tests := []struct {
		name string
		pins []Source
		docs map[string]map[string][]byte
		want string
	}{
		{"a pin without documents", append(slices.Clone(pins), two), docs, "two: no CRDs to write"},
		{"documents without a pin", pins, map[string]map[string][]byte{"one": docs["one"], "two": docs["one"]}, "documents of 2 sources for 1 pins"},
		{"a CRD of two sources", append(slices.Clone(pins), two), map[string]map[string][]byte{"one": docs["one"], "two": docs["one"]}, "CRD as.example.com is defined by both one and two"},
		{"CRDs of a chart-only pin", withChart, map[string]map[string][]byte{"one": docs["one"], "chart": docs["one"]}, "chart: pinned without CRD directories, but has 1 CRDs to write"},
		{"a chart-only pin without its entry", withChart, docs, "documents of 1 sources for 2 pins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			assert.EqualError(t, WriteTree(dir, tt.pins, tt.docs), tt.want)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing written")
		})
	}
}
