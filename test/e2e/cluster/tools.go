package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/telepace/platform-charts/internal/crds"
)

// EnvToolsDir names the environment variable that overrides where
// hack/e2e-tools.sh caches binaries (and where the harness looks for them).
const EnvToolsDir = "TELEPACE_TOOLS_DIR"

// DefaultToolsDir returns ${TELEPACE_TOOLS_DIR:-$HOME/.cache/telepace-platform-charts/tools}.
func DefaultToolsDir() string {
	if d := os.Getenv(EnvToolsDir); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "telepace-platform-charts", "tools")
}

// tool says where a binary's version is pinned: in the go.mod of a module
// under tools/ (the only place tool versions live).
type tool struct {
	name   string // binary name; cached as <name>-<version>
	gomod  string // relative to the repository root
	module string // module whose required version is the tool's version
}

var tools = []tool{
	{"kube-apiserver", "tools/go.mod", "k8s.io/kubernetes"},
	{"kube-controller-manager", "tools/go.mod", "k8s.io/kubernetes"},
	{"kube-scheduler", "tools/go.mod", "k8s.io/kubernetes"},
	{"etcd", "tools/etcd/go.mod", "go.etcd.io/etcd/server/v3"},
	{"kwok", "tools/kwok/go.mod", "sigs.k8s.io/kwok"},
	{"helm", "tools/helm/go.mod", "helm.sh/helm/v3"},
	{"kube-score", "tools/kube-score/go.mod", "github.com/zegl/kube-score"},
	{"promtool", "tools/promtool/go.mod", "github.com/prometheus/prometheus"},
	{"amtool", "tools/amtool/go.mod", "github.com/prometheus/alertmanager"},
	// The operators of the CRDs crd-versions.txt pins, at the same versions.
	{"external-secrets", "tools/external-secrets/go.mod", "github.com/external-secrets/external-secrets"},
	{"sealed-secrets-controller", "tools/sealed-secrets/go.mod", "github.com/bitnami/sealed-secrets"},
	{"prometheus-operator", "tools/prometheus-operator/go.mod", "github.com/prometheus-operator/prometheus-operator"},
}

// operatorCRDs maps an operator binary to the crd-versions.txt name of the
// CRDs it serves: both must be pinned at the same version.
var operatorCRDs = map[string]string{
	"external-secrets":          "external-secrets",
	"sealed-secrets-controller": "sealed-secrets",
	"prometheus-operator":       "prometheus-operator",
}

// Tools are the resolved paths of the pinned binaries.
type Tools struct {
	Dir      string            // cache directory
	Versions map[string]string // binary name -> version
	Paths    map[string]string // binary name -> absolute path
	// KwokStages is the kwok configuration holding the upstream default
	// node and pod stages, written by hack/e2e-tools.sh.
	KwokStages string
}

// Path returns the path of the named binary.
func (t *Tools) Path(name string) string { return t.Paths[name] }

// ErrMissingTools is wrapped by the error LocateTools returns when binaries
// are missing.
var ErrMissingTools = errors.New("e2e tool binaries are missing")

// LocateTools resolves the cached binaries for the versions pinned under
// repoRoot/tools in dir (DefaultToolsDir() if empty). It returns an error
// wrapping ErrMissingTools, naming every missing file and telling how to
// build them, when any of them is absent.
func LocateTools(repoRoot, dir string) (*Tools, error) {
	if dir == "" {
		dir = DefaultToolsDir()
	}
	t := &Tools{Dir: dir, Versions: map[string]string{}, Paths: map[string]string{}}
	var missing []string
	for _, tl := range tools {
		v, err := requiredVersion(filepath.Join(repoRoot, tl.gomod), tl.module)
		if err != nil {
			return nil, err
		}
		if crd, ok := operatorCRDs[tl.name]; ok {
			src, err := crds.Lookup(crd)
			if err != nil {
				return nil, err
			}
			if src.Version != v {
				return nil, fmt.Errorf("%s requires %s %s, but crd-versions.txt pins %s %s: the operator must run at its CRDs' version",
					tl.gomod, tl.module, v, crd, src.Version)
			}
		}
		p := filepath.Join(dir, tl.name+"-"+v)
		t.Versions[tl.name] = v
		t.Paths[tl.name] = p
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	t.KwokStages = filepath.Join(dir, "kwok-"+t.Versions["kwok"]+"-stages.yaml")
	if _, err := os.Stat(t.KwokStages); err != nil {
		missing = append(missing, t.KwokStages)
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("%w: %s\nrun hack/e2e-tools.sh (from the repository root; it builds them into %s=%s)",
			ErrMissingTools, strings.Join(missing, ", "), EnvToolsDir, dir)
	}
	return t, nil
}

// KubernetesVersion returns the k8s.io/kubernetes version pinned in
// repoRoot/tools/go.mod, e.g. "v1.37.2".
func KubernetesVersion(repoRoot string) (string, error) {
	return requiredVersion(filepath.Join(repoRoot, "tools", "go.mod"), "k8s.io/kubernetes")
}

func requiredVersion(gomod, module string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", fmt.Errorf("reading tool pins: %w", err)
	}
	f, err := modfile.ParseLax(gomod, data, nil)
	if err != nil {
		return "", fmt.Errorf("parsing %s: %w", gomod, err)
	}
	for _, r := range f.Require {
		if r.Mod.Path == module {
			return r.Mod.Version, nil
		}
	}
	return "", fmt.Errorf("%s does not require %s", gomod, module)
}

// FindRepoRoot walks up from dir (the working directory if empty) to the
// directory holding both go.mod and tools/go.mod.
func FindRepoRoot(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if fileExists(filepath.Join(d, "go.mod")) && fileExists(filepath.Join(d, "tools", "go.mod")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no repository root (go.mod + tools/go.mod) above %s", dir)
		}
		d = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// LocateChromium returns the launcher of Debian's chromium that
// hack/e2e-tools.sh unpacks into dir (DefaultToolsDir() if empty), at the
// version repoRoot/tools/chromium/version pins. It returns an error
// wrapping ErrMissingTools, telling how to get it, when it is absent.
func LocateChromium(repoRoot, dir string) (path, version string, err error) {
	if dir == "" {
		dir = DefaultToolsDir()
	}
	pin := filepath.Join(repoRoot, "tools", "chromium", "version")
	data, err := os.ReadFile(pin)
	if err != nil {
		return "", "", fmt.Errorf("reading tool pins: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			version = f[0]
			break
		}
	}
	if version == "" {
		return "", "", fmt.Errorf("%s names no version", pin)
	}
	path = filepath.Join(dir, "chromium-"+version, "chromium")
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return path, version, fmt.Errorf("%w: %s\nrun hack/e2e-tools.sh (from the repository root; it unpacks Debian's chromium into %s=%s)",
			ErrMissingTools, path, EnvToolsDir, dir)
	}
	return path, version, nil
}
