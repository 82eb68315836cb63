package crds

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/internal/yamlhead"
)

// Extract returns the CustomResourceDefinition documents of src found in
// module, the file tree of src's module: every apiextensions.k8s.io/v1
// CustomResourceDefinition document of the *.yaml files directly in each of
// src.Dirs, as the file holds it, keyed by the CRD's name. Other documents
// (kustomization.yaml, the Gateway API's ValidatingAdmissionPolicy) are
// skipped; a src without Dirs (a chart-only module) has none. It fails
// when a directory holds no CRD, or a CRD comes twice.
func Extract(module fs.FS, src Source) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, dir := range src.Dirs {
		files, err := fs.Glob(module, path.Join(dir, "*.yaml"))
		if err != nil {
			return nil, err
		}
		found := 0
		for _, f := range files {
			docs, err := crdDocuments(module, f)
			if err != nil {
				return nil, fmt.Errorf("%s@%s: %w", src.Module, src.Version, err)
			}
			for _, d := range docs {
				if _, dup := out[d.name]; dup {
					return nil, fmt.Errorf("%s@%s: CRD %s twice", src.Module, src.Version, d.name)
				}
				out[d.name] = d.doc
				found++
			}
		}
		if found == 0 {
			return nil, fmt.Errorf("%s@%s: no CustomResourceDefinition in %s", src.Module, src.Version, dir)
		}
	}
	return out, nil
}

// crdDocument is one CustomResourceDefinition document of a file, as the
// file holds it.
type crdDocument struct {
	name string
	doc  []byte
}

// crdDocuments returns the apiextensions.k8s.io/v1 CustomResourceDefinition
// documents of the YAML file at name in fsys, skipping every other document.
func crdDocuments(fsys fs.FS, name string) ([]crdDocument, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []crdDocument
	r := utilyaml.NewYAMLReader(bufio.NewReaderSize(f, 1<<20))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var head struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        struct{ Name string } `json:"metadata"`
		}
		if err := yaml.Unmarshal(yamlhead.Head(doc), &head); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if head.Kind != "CustomResourceDefinition" || head.APIVersion != "apiextensions.k8s.io/v1" {
			continue
		}
		if !validFileName(head.Metadata.Name) {
			return nil, fmt.Errorf("%s: CRD name %q cannot name a file", name, head.Metadata.Name)
		}
		out = append(out, crdDocument{name: head.Metadata.Name, doc: bytes.TrimLeft(doc, "\n")})
	}
}

// validFileName reports whether a CRD's name can be a file name: a CRD's
// name is "<plural>.<group>", DNS labels, which always can.
func validFileName(s string) bool {
	return s != "" && s != "." && s != ".." && path.Base(s) == s && s[0] != '.'
}

// WriteTree writes, in dir (the package directory), files/<source>/<crd>.yaml
// for every document of docs (source name, then CRD name, to the document)
// and the manifest recording pins and the files' sha256. It first removes
// dir/files, so a CRD an upgrade drops goes too. Every pin with CRD
// directories must have docs, a pin without (a chart-only module) must
// have none and gets a manifest entry with no files, and no CRD may come
// from two sources.
func WriteTree(dir string, pins []Source, docs map[string]map[string][]byte) error {
	m := Manifest{Comment: manifestComment}
	definedBy := map[string]string{}
	for _, p := range pins {
		d := docs[p.Name]
		switch {
		case len(p.Dirs) > 0 && len(d) == 0:
			return fmt.Errorf("%s: no CRDs to write", p.Name)
		case len(p.Dirs) == 0 && len(d) > 0:
			return fmt.Errorf("%s: pinned without CRD directories, but has %d CRDs to write", p.Name, len(d))
		}
		dirs := p.Dirs
		if dirs == nil {
			dirs = []string{} // "dirs": [] in the manifest, not null
		}
		e := ManifestSource{Name: p.Name, Module: p.Module, Version: p.Version, Sum: p.Sum, Dirs: dirs, Files: map[string]string{}}
		for _, crd := range slices.Sorted(maps.Keys(d)) {
			if prev, dup := definedBy[crd]; dup {
				return fmt.Errorf("CRD %s is defined by both %s and %s", crd, prev, p.Name)
			}
			definedBy[crd] = p.Name
			e.Files[filePath(p.Name, crd)] = sha256Hex(d[crd])
		}
		m.Sources = append(m.Sources, e)
	}
	if len(docs) != len(pins) {
		return fmt.Errorf("documents of %d sources for %d pins", len(docs), len(pins))
	}
	if err := os.RemoveAll(filepath.Join(dir, "files")); err != nil {
		return err
	}
	for _, p := range pins {
		for crd, doc := range docs[p.Name] {
			f := filepath.Join(dir, filepath.FromSlash(filePath(p.Name, crd)))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(f, doc, 0o644); err != nil {
				return err
			}
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), append(data, '\n'), 0o644)
}
