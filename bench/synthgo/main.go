// Command synthgo is the Go side of `make bench`'s side-by-side table: it
// synthesises either every environment (and the Argo CD chart), as
// `synth` does, or one environment of N synthetic services, and writes the
// charts; or, with -fixture, it writes the resolved objects as the JSON
// fixture the cdk8s-in-Node twin (bench/cdk8s-ts) synthesises.
//
//	synthgo [-services N] -out DIR
//	synthgo [-services N] -fixture FILE
//	synthgo -empty -out DIR
//	synthgo -kernel-node-options
//
// -cpuprofile FILE writes the Go side's CPU profile; the kernel's is
// NODE_OPTIONS=--cpu-prof's.
//
// With -empty it measures the fixed cost of synthesising with cdk8s from
// Go: the jsii kernel starts, an App with one empty chart per chart that
// synth writes is synthesised, and nothing else happens.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
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
	empty := flag.Bool("empty", false, "synthesise an App of empty charts into -out: the fixed cost")
	cpuprofile := flag.String("cpuprofile", "", "write the Go side's CPU profile to this file")
	nodeOptions := flag.Bool("kernel-node-options", false, "print the options node starts the kernel with, and exit")
	flag.Parse()
	if *nodeOptions {
		fmt.Println(strings.Join(jsiienv.KernelNodeOptions(), " "))
		jsiienv.Cleanup()
		return
	}
	// As cmd/synth does, so that the benchmark measures what synth runs.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "synthgo:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	var err error
	if *empty {
		err = runEmpty(*out)
	} else {
		err = run(*services, *out, *fixture)
	}
	jsii.Close()
	jsiienv.Cleanup()
	if err != nil {
		pprof.StopCPUProfile()
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
	// As cmd/synth does: the kernel stops while the charts are written.
	go jsii.Close()
	if err != nil {
		return err
	}
	_, err = synth.Write(context.Background(), out, charts, synth.WriteOptions{Complete: true})
	return err
}

// emptyCharts are the charts a full synth writes: every environment's and
// the Argo CD chart.
func emptyCharts() []string {
	var names []string
	for _, e := range environments.All() {
		names = append(names, e.Name)
	}
	return append(names, environments.GitOpsChart)
}

// runEmpty synthesises an App of empty charts: the kernel's start and an
// App synth, with no object.
func runEmpty(out string) error {
	if out == "" {
		return fmt.Errorf("-empty needs -out")
	}
	app := cdk8s.NewApp(&cdk8s.AppProps{
		Outdir:              jsii.String(out),
		OutputFileExtension: jsii.String(".yaml"),
		YamlOutputType:      cdk8s.YamlOutputType_FILE_PER_CHART,
	})
	for _, name := range emptyCharts() {
		cdk8s.NewChart(app, jsii.String(name), &cdk8s.ChartProps{DisableResourceNameHashes: jsii.Bool(true)})
	}
	app.Synth()
	return nil
}
