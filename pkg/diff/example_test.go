package diff_test

import (
	"fmt"

	"github.com/telepace/platform-charts/internal/breakingcases"
	"github.com/telepace/platform-charts/pkg/diff"
)

// A selector change to a Deployment: the apiserver refuses it, so the
// comparison lists it as breaking, beside the field change itself.
func ExampleCompare() {
	chart := func(selector, image string) diff.Chart {
		c, err := diff.LoadChart("prod", breakingcases.Chart("prod", []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: `+selector+`}}
  template:
    metadata: {labels: {app: `+selector+`}}
    spec: {containers: [{name: web, image: `+image+`}]}
`)))
		if err != nil {
			panic(err)
		}
		return c
	}
	r := diff.Compare(
		[]diff.Chart{chart("web", "ghcr.io/telepace/web:v0.1.0")},
		[]diff.Chart{chart("frontend", "ghcr.io/telepace/web:v0.2.0")},
	)
	for _, b := range r.Breaking {
		fmt.Printf("breaking: %s %s\n", b.Object, b.Field)
	}
	for _, f := range r.Charts[0].Changed[0].Fields {
		fmt.Printf("%s: %v → %v\n", f.Path, f.Old, f.New)
	}
	// Output:
	// breaking: Deployment break/web spec.selector
	// spec.selector.matchLabels.app: web → frontend
	// spec.template.metadata.labels.app: web → frontend
	// spec.template.spec.containers[name=web].image: ghcr.io/telepace/web:v0.1.0 → ghcr.io/telepace/web:v0.2.0
}
