// Package bench_test holds the side-by-side benchmark of `make bench`:
// this project's synth against cdk8s in plain Node on the same objects,
// both as whole processes, alternating, on the same machine in the same
// run. Machines differ in speed; the ratio is the figure that travels.
package bench_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// runs is how many times each side runs, alternating; the medians are
// reported.
const runs = 9

// BenchmarkSideBySide times, for empty charts (each side's fixed cost:
// process and kernel start, and an App synth), for today's charts and for synthetic
// environments of about 600 and 3000 objects, the Go synth as a fresh
// process (bench/synthgo, which writes the charts as `synth` does) and
// the cdk8s-in-Node twin (bench/cdk8s-ts) creating one ApiObject per
// object of the same resolved objects and synthesising them, each writing
// over its previous run's output, as a developer's `make synth` writes
// over charts/generated (synth then links the files it finds unchanged,
// and makes no new ones). It reports
// both medians and their ratio, and the bound: the ratio Go would reach if
// each object cost it what it costs TypeScript, on top of Go's fixed cost.
// `make bench` installs the twin's node modules first.
//
// Synth starts its kernel's node tuned (internal/jsiienv): without
// NODE_EXTRA_CA_CERTS, whose file node reads as it starts, and with a V8
// pool sized to the machine (jsiienv.KernelNodeOptions, which
// `synthgo -kernel-node-options` prints). The twin runs as a cdk8s
// user runs it, with neither. So the empty and today's cases run once
// more like for like: the twin with the kernel's node options, both sides
// without NODE_EXTRA_CA_CERTS.
func BenchmarkSideBySide(b *testing.B) {
	twin, err := filepath.Abs("cdk8s-ts")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(twin, "node_modules", "cdk8s")); err != nil {
		b.Fatalf("the twin's node modules are missing: run `npm ci --prefix bench/cdk8s-ts` (make bench does)")
	}
	goBin := filepath.Join(b.TempDir(), "synthgo")
	if out, err := exec.Command("go", "build", "-o", goBin, "./synthgo").CombinedOutput(); err != nil {
		b.Fatalf("go build ./synthgo: %v\n%s", err, out)
	}
	// fixed holds, for each environment, the "empty" case's medians: what
	// each side pays before its first object.
	type costs struct{ goSide, ts time.Duration }
	fixed := map[bool]costs{}
	for _, tc := range []struct {
		name        string
		services    int  // -1: empty charts
		likeForLike bool // the twin with the kernel's node options
	}{
		{"empty", -1, false}, {"today", 0, false}, {"600", 60, false}, {"3000", 300, false},
		{"empty-like-for-like", -1, true}, {"today-like-for-like", 0, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			fixture := filepath.Join(dir, "fixture.json")
			args := []string{"-fixture", fixture}
			if tc.services > 0 {
				args = append(args, "-services", fmt.Sprint(tc.services))
			}
			if tc.services < 0 {
				if err := os.WriteFile(fixture, []byte(`{"dev":[],"staging":[],"prod":[],"argocd":[]}`), 0o644); err != nil {
					b.Fatal(err)
				}
			} else if out, err := exec.Command(goBin, args...).CombinedOutput(); err != nil {
				b.Fatalf("synthgo %v: %v\n%s", args, err, out)
			}
			objects, err := countObjects(fixture)
			if err != nil {
				b.Fatal(err)
			}
			// Each side writes over its previous output, as `make synth`
			// writes over charts/generated: a first, untimed run of each
			// makes it.
			goOut, tsOut := filepath.Join(dir, "go"), filepath.Join(dir, "ts")
			goArgs := []string{"-out", goOut}
			switch {
			case tc.services > 0:
				goArgs = append(goArgs, "-services", fmt.Sprint(tc.services))
			case tc.services < 0:
				goArgs = append(goArgs, "-empty")
			}
			env := os.Environ()
			var nodeOptions []string
			if tc.likeForLike {
				env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "NODE_EXTRA_CA_CERTS=") })
				out, err := exec.Command(goBin, "-kernel-node-options").Output()
				if err != nil {
					b.Fatalf("synthgo -kernel-node-options: %v", err)
				}
				nodeOptions = strings.Fields(string(out))
			}
			command := func(name string, args ...string) *exec.Cmd {
				cmd := exec.Command(name, args...)
				cmd.Env = env
				return cmd
			}
			goRun := func() *exec.Cmd { return command(goBin, goArgs...) }
			tsArgs := append(slices.Clone(nodeOptions), filepath.Join(twin, "synth.js"), fixture, tsOut)
			tsRun := func() *exec.Cmd { return command("node", tsArgs...) }
			timed(b, goRun())
			timed(b, tsRun())
			var goTimes, tsTimes []time.Duration
			for b.Loop() {
				for range runs {
					goTimes = append(goTimes, timed(b, goRun()))
					tsTimes = append(tsTimes, timed(b, tsRun()))
				}
			}
			g, ts := median(goTimes), median(tsTimes)
			b.ReportMetric(float64(g.Milliseconds()), "go-ms")
			b.ReportMetric(float64(ts.Milliseconds()), "ts-ms")
			b.ReportMetric(float64(g)/float64(ts), "ratio")
			b.ReportMetric(float64(objects), "objects")
			b.Logf("%-6s %4d objects: Go %v, cdk8s-TS %v, ratio %.2f (medians of %d alternating runs)", tc.name, objects, g.Round(time.Millisecond), ts.Round(time.Millisecond), float64(g)/float64(ts), len(goTimes))
			if tc.services < 0 {
				fixed[tc.likeForLike] = costs{g, ts}
				return
			}
			// The best ratio a Go synth through the jsii kernel could reach
			// here: its fixed cost, plus TypeScript's own cost per object
			// as if crossing into the kernel were free.
			bound := fixed[tc.likeForLike].goSide + (ts - fixed[tc.likeForLike].ts)
			b.ReportMetric(float64(bound)/float64(ts), "bound-ratio")
			b.Logf("%-6s bound: Go's fixed cost + TS's per-object work = %v, ratio %.2f", tc.name, bound.Round(time.Millisecond), float64(bound)/float64(ts))
		})
	}
}

// countObjects returns how many objects a fixture holds, in all charts.
func countObjects(fixture string) (int, error) {
	data, err := os.ReadFile(fixture)
	if err != nil {
		return 0, err
	}
	var charts map[string][]json.RawMessage
	if err := json.Unmarshal(data, &charts); err != nil {
		return 0, fmt.Errorf("%s: %w", fixture, err)
	}
	n := 0
	for _, objs := range charts {
		n += len(objs)
	}
	return n, nil
}

func timed(b *testing.B, cmd *exec.Cmd) time.Duration {
	b.Helper()
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	}
	return time.Since(start)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
