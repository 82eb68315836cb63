// Command synthgo is the Go side of `make bench`'s side-by-side table: it
// synthesises either every environment (and the Argo CD chart), as
// `synth` does, or one environment of N synthetic services, and writes the
// charts; or, with -fixture, it writes the resolved objects as the JSON
// fixture the cdk8s-in-Node twin (bench/cdk8s-ts) synthesises.
//
//	synthgo [-services N] -out DIR
//	synthgo [-services N] -fixture FILE
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/internal/benchenv"
	"github.com/telepace/platform-charts/internal/jsiienv"
	"github.com/telepace/platform-charts/pkg/synth"
)

func main() {
	services := flag.Int("services", 0, "synthesise one environment of this many synthetic services instead of every environment")
	out := flag.String("out", "", "write the charts into this directory")
	fixture := flag.String("fixture", "", "write the resolved objects, by chart, as JSON to this file")
	flag.Parse()
	err := run(*services, *out, *fixture)
	jsii.Close()
	jsiienv.Cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "synthgo:", err)
		os.Exit(1)
	}
}

func run(services int, out, fixture string) error {
	if (out == "") == (fixture == "") {
		return fmt.Errorf("give exactly one of -out and -fixture")
	}
	envs := environments.All()
	gitops := &environments.Repository
	if services > 0 {
		envs = []environments.Environment{benchenv.Synthetic(services)}
		gitops = nil
	}
	if fixture != "" {
		var resolved map[string]synth.Resolved
		var err error
		if gitops != nil {
			resolved, err = synth.ResolveWithGitOps(envs, *gitops)
		} else {
			resolved, err = synth.Resolve(envs)
		}
		if err != nil {
			return err
		}
		charts := map[string][]json.RawMessage{}
		for name, r := range resolved {
			for _, o := range r.Objects {
				raw, err := yaml.YAMLToJSON(o.YAML)
				if err != nil {
					return err
				}
				charts[name] = append(charts[name], raw)
			}
		}
		data, err := json.Marshal(charts)
		if err != nil {
			return err
		}
		return os.WriteFile(fixture, data, 0o644)
	}
	var charts []synth.Chart
	var err error
	if gitops != nil {
		charts, err = synth.SynthesizeWithGitOps(envs, *gitops)
	} else {
		charts, err = synth.Synthesize(envs)
	}
	if err != nil {
		return err
	}
	_, err = synth.Write(context.Background(), out, charts, synth.WriteOptions{Complete: true})
	return err
}
