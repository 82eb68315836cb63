// Command gen writes the CustomResourceDefinitions that package crds
// embeds: for each source internal/crds/crd-versions.txt pins, it
// downloads the module through the Go module proxy (`go mod download`),
// checks the module's zip against the pinned h1 sum, takes the CRDs out of
// that zip, and writes them under internal/crds/files/ with
// internal/crds/manifest.json. `make generate` runs it from the repository
// root:
//
//	go run ./internal/crds/gen [-dir internal/crds]
package main

import (
	"archive/zip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/telepace/platform-charts/internal/crds"
)

func main() {
	dir := flag.String("dir", filepath.FromSlash("internal/crds"), "the crds package directory: crd-versions.txt is read there, files/ and manifest.json written")
	flag.Parse()
	if err := run(context.Background(), *dir); err != nil {
		fmt.Fprintln(os.Stderr, "crds/gen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string) error {
	text, err := os.ReadFile(filepath.Join(dir, "crd-versions.txt"))
	if err != nil {
		return err
	}
	pins, err := crds.ParseSources(string(text))
	if err != nil {
		return err
	}
	docs := map[string]map[string][]byte{}
	for _, p := range pins {
		mod, err := crds.Download(ctx, p)
		if err != nil {
			return err
		}
		d, err := extract(mod.Zip, p)
		if err != nil {
			return err
		}
		docs[p.Name] = d
		if len(p.Dirs) == 0 {
			fmt.Fprintf(os.Stderr, "crds/gen: %s: no CRD directories pinned (a chart-only module), %s@%s checked\n", p.Name, p.Module, p.Version)
			continue
		}
		fmt.Fprintf(os.Stderr, "crds/gen: %s: %d CRDs from %s@%s\n", p.Name, len(d), p.Module, p.Version)
	}
	return crds.WriteTree(dir, pins, docs)
}

// extract reads src's CRDs out of the module zip at zipPath, whose files
// are under "<module>@<version>/".
func extract(zipPath string, src crds.Source) (map[string][]byte, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	module, err := fs.Sub(zr, src.Module+"@"+src.Version)
	if err != nil {
		return nil, err
	}
	d, err := crds.Extract(module, src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", src.Name, err)
	}
	return d, err
}
