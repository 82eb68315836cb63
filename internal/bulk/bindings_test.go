package bulk_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBindingsMatchSource regenerates the bindings from jsii/bulk with the
// compilers its package-lock.json pins (hack/gen-bulk.sh, which `make
// bulk` runs) into a temporary directory, and fails, naming the files, when
// they differ from the committed ones: a change to the library's source
// must come with its bindings. It needs jsii/bulk/node_modules, which `make
// test` installs.
func TestBindingsMatchSource(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerating the bindings takes a few seconds; make test runs it")
	}
	if _, err := os.Stat("../../jsii/bulk/node_modules/.bin/jsii-pacmak"); err != nil {
		t.Fatal("jsii/bulk/node_modules is missing: run `npm ci --prefix jsii/bulk` (make test does)")
	}
	out := t.TempDir()
	cmd := exec.Command("sh", "../../hack/gen-bulk.sh", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/gen-bulk.sh: %v\n%s", err, msg)
	}
	generated := files(t, out)
	committed := files(t, ".")
	var stale []string
	for name, want := range generated {
		if got, ok := committed[name]; !ok || !bytes.Equal(got, want) {
			stale = append(stale, name)
		}
	}
	for name := range committed {
		if _, ok := generated[name]; !ok {
			stale = append(stale, name+" (not generated any more)")
		}
	}
	slices.Sort(stale)
	if len(stale) > 0 {
		t.Errorf("internal/bulk differs from what jsii/bulk generates; run `make bulk` and commit:\n  %s", strings.Join(stale, "\n  "))
	}
}

// files reads the generated files under dir: everything but doc.go and the
// tests.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name, _ := filepath.Rel(dir, path)
		if name == "doc.go" || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		out[filepath.ToSlash(name)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
