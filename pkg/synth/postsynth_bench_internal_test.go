package synth

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/internal/benchenv"
)

// postSynthServices is the size of the synthetic environment the post-synth
// benchmarks work on: bench/synthgo's -services 300, about 3000 objects.
const postSynthServices = 300

var postSynth struct {
	once sync.Once
	env  environments.Environment
	r    Resolved
	raw  []byte
	err  error
}

// postSynthInput resolves the synthetic environment once, with cdk8s, and
// returns it, its resolved objects and the multi-document file cdk8s wrote
// for it (its documents joined by "---" lines, as cdk8s joins them).
func postSynthInput(b *testing.B) (environments.Environment, Resolved, []byte) {
	b.Helper()
	postSynth.once.Do(func() {
		postSynth.env = benchenv.Synthetic(postSynthServices)
		resolved, err := Resolve([]environments.Environment{postSynth.env})
		if err != nil {
			postSynth.err = err
			return
		}
		postSynth.r = resolved[postSynth.env.Name]
		var raw bytes.Buffer
		for i, o := range postSynth.r.Objects {
			if i > 0 {
				raw.WriteString("---\n")
			}
			raw.Write(o.YAML)
		}
		postSynth.raw = raw.Bytes()
	})
	if postSynth.err != nil {
		b.Fatal(postSynth.err)
	}
	return postSynth.env, postSynth.r, postSynth.raw
}

// BenchmarkSplitObjects splits and identifies the objects of cdk8s's file
// for the synthetic environment: what resolve does first after App.synth.
func BenchmarkSplitObjects(b *testing.B) {
	_, _, raw := postSynthInput(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := splitObjects(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObjectChecks runs the checks resolve makes of every chart's
// objects after splitting them; none reports a problem, so no construct
// is consulted.
func BenchmarkObjectChecks(b *testing.B) {
	_, r, _ := postSynthInput(b)
	b.ReportAllocs()
	for b.Loop() {
		if p := plaintextSecrets(nil, r.Objects); len(p) > 0 {
			b.Fatal(p)
		}
		if p := duplicateObjects(nil, r.Objects); len(p) > 0 {
			b.Fatal(p)
		}
		if p := kindsOutsideProject(nil, r.Objects); len(p) > 0 {
			b.Fatal(p)
		}
	}
}

// BenchmarkRenderChart lays out the synthetic environment's chart.
func BenchmarkRenderChart(b *testing.B) {
	env, r, _ := postSynthInput(b)
	b.ReportAllocs()
	for b.Loop() {
		renderChart(env, r)
	}
}

// BenchmarkRenderPlanFiles renders the files of the synthetic
// environment's chart that its plan decides: the part of renderChart that
// can run while cdk8s synthesises.
func BenchmarkRenderPlanFiles(b *testing.B) {
	env, r, _ := postSynthInput(b)
	b.ReportAllocs()
	for b.Loop() {
		renderPlanFiles(env, r.Plan)
	}
}

// BenchmarkRenderObjectFiles completes the synthetic environment's plan
// files with its objects: the part of renderChart that needs them.
func BenchmarkRenderObjectFiles(b *testing.B) {
	env, r, _ := postSynthInput(b)
	p := renderPlanFiles(env, r.Plan)
	b.ReportAllocs()
	for b.Loop() {
		p.withObjects(r.Objects)
	}
}

// BenchmarkWrite writes the synthetic environment's chart over the copy
// the previous iteration wrote, as a second `synth` run does: the new
// chart is staged, swapped in, and the old one removed.
func BenchmarkWrite(b *testing.B) {
	env, r, _ := postSynthInput(b)
	charts := []Chart{renderChart(env, r)}
	out := filepath.Join(b.TempDir(), "generated")
	if _, err := Write(context.Background(), out, charts, WriteOptions{Complete: true}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Write(context.Background(), out, charts, WriteOptions{Complete: true}); err != nil {
			b.Fatal(err)
		}
	}
}
