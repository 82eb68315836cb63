package synth_test

import (
	"fmt"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/synth"
)

// Synthesize returns one Helm chart per environment; Write puts them under
// charts/generated/ all or nothing.
func ExampleSynthesize() {
	prod, _ := environments.Lookup("prod")
	charts, err := synth.Synthesize([]environments.Environment{prod})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range charts {
		for _, p := range []string{"Chart.yaml", "templates/voiceflow.yaml", "values.yaml"} {
			_, ok := c.Files[p]
			fmt.Printf("%s/%s %v\n", c.Env, p, ok)
		}
	}
	// Output:
	// prod/Chart.yaml true
	// prod/templates/voiceflow.yaml true
	// prod/values.yaml true
}
