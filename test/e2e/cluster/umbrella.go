package cluster

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/internal/crds"
)

// ModuleDir returns the directory of the module internal/crds pins under
// name (crd-versions.txt), fetched through the Go module proxy and checked
// against its pinned sum. The CRDs themselves need no download: package
// crds embeds them; the charts inside the modules do.
func ModuleDir(ctx context.Context, name string) (string, error) {
	src, err := crds.Lookup(name)
	if err != nil {
		return "", err
	}
	m, err := crds.Download(ctx, src)
	return m.Dir, err
}

// realCharts are the dependencies whose real charts ship inside a pinned
// module: the module's name in crd-versions.txt, the chart's directory in
// it, and the files of the source tree that the release packaging replaces
// (external-secrets generates its CRD templates there, behind installCRDs,
// which the umbrella turns off: its CRDs come from the umbrella's crds/).
// seaweedfs's module is pinned for its chart only (no CRDs); its
// .helmignore drops only VCS, backup and IDE files, none of which the
// module holds, so the chart directory is the released chart.
var realCharts = map[string]struct {
	module, dir string
	sourceOnly  []string
}{
	"external-secrets": {"external-secrets", "deploy/charts/external-secrets", []string{"templates/crds/README.md"}},
	"sealed-secrets":   {"sealed-secrets", "helm/sealed-secrets", nil},
	"seaweedfs":        {"seaweedfs", "k8s/charts/seaweedfs", nil},
}

// RealCharts returns the names of the dependencies VendorDependencies
// copies out of their pinned modules, sorted.
func RealCharts() []string { return slices.Sorted(maps.Keys(realCharts)) }

// VendorDependencies fills chartDir/charts/ with every dependency its
// Chart.yaml declares, as `helm dependency build` would from the
// repositories, which cannot be reached here: the real external-secrets,
// sealed-secrets and seaweedfs charts (RealCharts) from their pinned
// modules, and for every other dependency a stand-in chart of the same
// name and version that renders one ConfigMap named after the release
// and the chart. It returns the
// dependencies that got stand-ins. It never writes outside chartDir.
func VendorDependencies(ctx context.Context, chartDir string) (standIns []string, err error) {
	ch, err := loader.LoadDir(chartDir)
	if err != nil {
		return nil, err
	}
	charts := filepath.Join(chartDir, "charts")
	if err := os.MkdirAll(charts, 0o755); err != nil {
		return nil, err
	}
	for _, d := range ch.Metadata.Dependencies {
		dst := filepath.Join(charts, d.Name)
		if real, ok := realCharts[d.Name]; ok {
			dir, err := ModuleDir(ctx, real.module)
			if err != nil {
				return nil, err
			}
			src := filepath.Join(dir, filepath.FromSlash(real.dir))
			if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
				return nil, fmt.Errorf("vendor %s: %w", d.Name, err)
			}
			for _, f := range real.sourceOnly {
				if err := os.Remove(filepath.Join(dst, filepath.FromSlash(f))); err != nil {
					return nil, fmt.Errorf("vendor %s: %w", d.Name, err)
				}
			}
			// Module files are read-only; the copy must be removable.
			if err := filepath.Walk(dst, func(p string, info os.FileInfo, err error) error {
				if err != nil {
					return err
				}
				return os.Chmod(p, info.Mode()|0o200)
			}); err != nil {
				return nil, err
			}
			continue
		}
		meta, err := yaml.Marshal(map[string]any{
			"apiVersion": "v2", "name": d.Name, "version": d.Version, "type": "application",
			"description": "A stand-in for " + d.Name + " " + d.Version + " from " + d.Repository + ", made by the tests.",
		})
		if err != nil {
			return nil, err
		}
		files := map[string]string{
			"Chart.yaml":  string(meta),
			"values.yaml": "{}\n",
			"templates/stand-in.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}-stand-in
  labels:
    telepace.cc/stand-in: {{ .Chart.Name | quote }}
data:
  version: {{ .Chart.Version | quote }}
`,
		}
		for name, content := range files {
			p := filepath.Join(dst, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				return nil, err
			}
		}
		standIns = append(standIns, d.Name)
	}
	return standIns, nil
}
