package cluster

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/internal/yamlhead"
)

//go:embed crd-versions.txt
var crdVersionsTxt string

// CRDSource is one pinned upstream module and the directories in it whose
// CustomResourceDefinitions are installed. See crd-versions.txt.
type CRDSource struct {
	Name, Module, Version, Sum string
	Dirs                       []string
}

// CRDSources parses the embedded crd-versions.txt.
func CRDSources() ([]CRDSource, error) {
	var out []CRDSource
	sc := bufio.NewScanner(strings.NewReader(crdVersionsTxt))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 5 || !strings.HasPrefix(f[3], "h1:") {
			return nil, fmt.Errorf("crd-versions.txt:%d: want 'name module version h1-sum dirs', got %q", n, line)
		}
		out = append(out, CRDSource{Name: f[0], Module: f[1], Version: f[2], Sum: f[3], Dirs: strings.Split(f[4], ",")})
	}
	return out, sc.Err()
}

// downloadModule fetches module@version through the Go module proxy (the
// go command's own cache) and returns its directory after checking its
// content hash against the pinned sum.
func downloadModule(ctx context.Context, src CRDSource) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", src.Module+"@"+src.Version)
	cmd.Dir = os.TempDir() // outside any module: never touches a go.mod
	// The pinned h1 sum is the integrity check (some module paths, e.g.
	// github.com/kong/..., are unknown to the checksum database).
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GONOSUMDB="+src.Module, "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res struct{ Dir, Sum, Error string }
	if jerr := json.Unmarshal(out, &res); jerr != nil && err == nil {
		err = jerr
	}
	if res.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", src.Module, src.Version, res.Error)
	}
	if errors.Is(err, exec.ErrNotFound) {
		return "", fmt.Errorf("go mod download %s@%s: the go command must be on PATH: the CRDs come from the Go module cache", src.Module, src.Version)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v: %s", src.Module, src.Version, err, strings.TrimSpace(stderr.String()))
	}
	if res.Sum != src.Sum {
		return "", fmt.Errorf("%s@%s has content hash %s, crd-versions.txt pins %s", src.Module, src.Version, res.Sum, src.Sum)
	}
	return res.Dir, nil
}

// LoadCRDs downloads every pinned module and returns the CRDs found in
// their listed directories, sorted by name. It fails if a directory holds
// none, or if two sources define the same CRD.
func LoadCRDs(ctx context.Context) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	srcs, err := CRDSources()
	if err != nil {
		return nil, err
	}
	seen := map[string]string{}
	var all []*apiextensionsv1.CustomResourceDefinition
	for _, src := range srcs {
		dir, err := downloadModule(ctx, src)
		if err != nil {
			return nil, err
		}
		for _, sub := range src.Dirs {
			files, err := filepath.Glob(filepath.Join(dir, sub, "*.yaml"))
			if err != nil {
				return nil, err
			}
			found := 0
			for _, f := range files {
				crds, err := readCRDs(f)
				if err != nil {
					return nil, err
				}
				for _, c := range crds {
					if prev, ok := seen[c.Name]; ok {
						return nil, fmt.Errorf("CRD %s defined by both %s and %s", c.Name, prev, src.Name)
					}
					seen[c.Name] = src.Name
					all = append(all, c)
					found++
				}
			}
			if found == 0 {
				return nil, fmt.Errorf("%s@%s: no CustomResourceDefinition in %s", src.Module, src.Version, sub)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all, nil
}

func readCRDs(path string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	docs, err := crdDocuments(path)
	if err != nil {
		return nil, err
	}
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(docs))
	for _, d := range docs {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(d.doc, crd); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, crd)
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
// documents of the YAML file at path, skipping every other document.
func crdDocuments(path string) ([]crdDocument, error) {
	f, err := os.Open(path)
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
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var head struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        struct{ Name string } `json:"metadata"`
		}
		if err := yaml.Unmarshal(yamlhead.Head(doc), &head); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if head.Kind != "CustomResourceDefinition" || head.APIVersion != "apiextensions.k8s.io/v1" {
			continue
		}
		out = append(out, crdDocument{name: head.Metadata.Name, doc: bytes.TrimLeft(doc, "\n")})
	}
}

// InstallCRDs creates the CRDs (a few at a time) and waits until every one
// is Established.
func InstallCRDs(ctx context.Context, c apiextensionsclient.Interface, crds []*apiextensionsv1.CustomResourceDefinition) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 4)
	)
	for _, crd := range crds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := c.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{FieldManager: fieldManager})
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("create CRD %s: %w", crd.Name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, crd := range crds {
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
			got, err := c.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			for _, cond := range got.Status.Conditions {
				if cond.Type == apiextensionsv1.NamesAccepted && cond.Status == apiextensionsv1.ConditionFalse {
					return false, fmt.Errorf("CRD %s names not accepted: %s", crd.Name, cond.Message)
				}
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("waiting for CRD %s to be Established: %w", crd.Name, err)
		}
	}
	return nil
}

// CRDDocuments returns, for the pinned source called name, every
// CustomResourceDefinition document exactly as its module ships it, keyed
// by the CRD's name (such as "gateways.gateway.networking.k8s.io"). The
// dev umbrella chart ships them in its crds/ directory.
func CRDDocuments(ctx context.Context, name string) (map[string][]byte, error) {
	src, err := sourceNamed(name)
	if err != nil {
		return nil, err
	}
	dir, err := downloadModule(ctx, src)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, sub := range src.Dirs {
		files, err := filepath.Glob(filepath.Join(dir, sub, "*.yaml"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			docs, err := crdDocuments(f)
			if err != nil {
				return nil, err
			}
			for _, d := range docs {
				if _, dup := out[d.name]; dup {
					return nil, fmt.Errorf("%s: CRD %s twice", src.Name, d.name)
				}
				out[d.name] = d.doc
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s@%s: no CustomResourceDefinition in %v", src.Module, src.Version, src.Dirs)
	}
	return out, nil
}

// sourceNamed returns the source crd-versions.txt pins under name.
func sourceNamed(name string) (CRDSource, error) {
	srcs, err := CRDSources()
	if err != nil {
		return CRDSource{}, err
	}
	for _, s := range srcs {
		if s.Name == name {
			return s, nil
		}
	}
	return CRDSource{}, fmt.Errorf("%w named %q", ErrNotPinned, name)
}
