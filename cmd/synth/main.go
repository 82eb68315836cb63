// Command synth synthesises the Telepace Helm charts from the typed Go
// environments into charts/generated/<env>/.
//
// Usage:
//
//	synth [--env NAME[,NAME...]] [--out DIR] [--check]
//
// Exit codes:
//
//	0  success: the charts were written, or --check found them up to date
//	1  synthesis failed: validation problems or an error; nothing was written
//	2  bad usage: an unknown flag or environment
//	3  --check found stale charts; it names every stale file
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/aws/jsii-runtime-go"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/pkg/synth"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitChanged = 3
)

func main() {
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	// Stop the jsii kernel so no node process outlives the command.
	jsii.Close()
	os.Exit(code)
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envFlag := fs.String("env", "", "synthesise only these environments (comma-separated); default: all")
	out := fs.String("out", "charts/generated", "directory that holds one chart directory per environment")
	check := fs.Bool("check", false, "write nothing; exit 3 and name every stale file if the charts under --out differ from the code")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: synth [--env NAME[,NAME...]] [--out DIR] [--check]

Synthesise the Telepace Helm charts from environments/*.go with cdk8s into
DIR/<env>/ (Chart.yaml, values.yaml, README.md, .helmignore, templates/).
Writes are all or nothing: a failed run leaves DIR untouched.

Environments: %s

Flags:
`, strings.Join(envNames(), ", "))
		fs.PrintDefaults()
		fmt.Fprint(stderr, `
Exit codes:
  0  success (charts written, or --check found them up to date)
  1  synthesis failed (every validation problem is printed); nothing written
  2  bad usage (unknown flag or environment)
  3  --check found stale charts (every stale file is named)
`)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "synth: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return exitUsage
	}
	envs, err := selectEnvs(*envFlag)
	if err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return exitUsage
	}

	charts, err := synth.Synthesize(envs)
	if err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return exitFailed
	}
	if *check {
		stale, err := synth.Check(*out, charts)
		if err != nil {
			fmt.Fprintf(stderr, "synth: %v\n", err)
			return exitFailed
		}
		if len(stale) > 0 {
			fmt.Fprintf(stderr, "synth: the charts under %s are stale; run `make synth` and commit the result:\n", *out)
			for _, s := range stale {
				fmt.Fprintf(stderr, "  %s\n", s)
			}
			return exitChanged
		}
		fmt.Fprintf(stdout, "synth: %s is up to date (%s)\n", *out, strings.Join(chartEnvs(charts), ", "))
		return exitOK
	}
	if err := synth.Write(*out, charts); err != nil {
		fmt.Fprintf(stderr, "synth: writing %s: %v\n", *out, err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "synth: wrote %s (%s)\n", *out, strings.Join(chartEnvs(charts), ", "))
	return exitOK
}

func selectEnvs(list string) ([]environments.Environment, error) {
	if list == "" {
		return environments.All(), nil
	}
	var envs []environments.Environment
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		env, ok := environments.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("unknown environment %q; known environments: %s", name, strings.Join(envNames(), ", "))
		}
		if slices.ContainsFunc(envs, func(e environments.Environment) bool { return e.Name == name }) {
			continue
		}
		envs = append(envs, env)
	}
	return envs, nil
}

func envNames() []string {
	var names []string
	for _, e := range environments.All() {
		names = append(names, e.Name)
	}
	return names
}

func chartEnvs(charts []synth.Chart) []string {
	var names []string
	for _, c := range charts {
		names = append(names, c.Env)
	}
	return names
}
