// Package benchenv builds the synthetic environments the benchmarks
// synthesise: pkg/synth's in-process benchmarks and bench/synthgo, the Go
// side of the side-by-side table.
package benchenv

import (
	"fmt"

	"github.com/telepace/platform-charts/environments"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// Synthetic is dev with n copies of the analysis service, each routed on
// its own path, about ten objects per service, and nothing else: no
// umbrella, no shipped CRDs, no secrets layer (analysis reads no Secret).
func Synthetic(n int) environments.Environment {
	env, _ := environments.Lookup("dev")
	env.Umbrella = nil
	env.CRDs = nil
	env.Retention = environments.Retention{}
	env.Secrets = environments.Secrets{}
	env.Services = nil
	env.Images = map[string]string{}
	for i := range n {
		name := fmt.Sprintf("svc-%03d", i)
		env.Services = append(env.Services, environments.Service{
			App: "analysis", Name: name, Replicas: 1,
			Resources: environments.Resources("10m", "32Mi", "100m", "64Mi"),
			Routes:    []pc.Route{{Host: env.Domains.API, Path: "/api/" + name}},
		})
		env.Images[name] = "main"
	}
	return env
}
