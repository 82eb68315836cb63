// Package breakingcases reads the pairs of manifests under
// pkg/diff/testdata/breaking/: each directory holds base.yaml and
// head.yaml, one change that synth diff must judge. The diff's unit tests
// check its verdict; the end-to-end tests apply the same change with helm
// on a real apiserver and check that the cluster agrees.
package breakingcases

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/telepace/platform-charts/pkg/diff"
)

// Namespace is the namespace the cases' charts install into; a case may
// name others in its objects.
const Namespace = "break"

// Case is one change: a chart before and after.
type Case struct {
	// Name is the directory's name.
	Name string
	// Base and Head are the files of the chart before and after the
	// change, as pkg/diff.LoadChart reads them.
	Base, Head map[string][]byte
}

// Charts loads both sides of the case as pkg/diff reads charts.
func (c Case) Charts() (base, head diff.Chart, err error) {
	if base, err = diff.LoadChart(c.Name, c.Base); err != nil {
		return base, head, err
	}
	head, err = diff.LoadChart(c.Name, c.Head)
	return base, head, err
}

// Compare is synth diff's comparison of the case's two sides.
func (c Case) Compare() (diff.Report, error) {
	base, head, err := c.Charts()
	if err != nil {
		return diff.Report{}, err
	}
	return diff.Compare([]diff.Chart{base}, []diff.Chart{head}), nil
}

// Load reads every case under dir, in name order.
func Load(dir string) ([]Case, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var cases []Case
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c := Case{Name: e.Name()}
		for _, side := range []struct {
			file  string
			files *map[string][]byte
		}{{"base.yaml", &c.Base}, {"head.yaml", &c.Head}} {
			raw, err := os.ReadFile(filepath.Join(dir, e.Name(), side.file))
			if err != nil {
				return nil, err
			}
			*side.files = Chart(e.Name(), raw)
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("no cases under %s", dir)
	}
	return cases, nil
}

// Chart returns the files of a chart called name whose one template is
// manifest, installed into Namespace.
func Chart(name string, manifest []byte) map[string][]byte {
	return map[string][]byte{
		"Chart.yaml": fmt.Appendf(nil, `apiVersion: v2
name: %s
version: 0.1.0
annotations:
  telepace.cc/namespace: %s
`, name, Namespace),
		"templates/objects.yaml": manifest,
	}
}
