package synth_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/telepace/platform-charts/environments"
	"github.com/telepace/platform-charts/internal/benchenv"
	"github.com/telepace/platform-charts/pkg/synth"
)

// fullSynthBudget is the wall-time budget of `synth` for all three
// environments, Node.js start included.
const fullSynthBudget = 1500 * time.Millisecond

// BenchmarkSynthCommand runs the synth command for all environments, as
// `make synth` does: a fresh process each time, so Node.js start and jsii
// assembly loading are included. It fails when the median exceeds the
// budget.
func BenchmarkSynthCommand(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "synth")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/synth")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "generated")
	var samples []time.Duration
	for b.Loop() {
		start := time.Now()
		cmd := exec.Command(bin, "--out", out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, msg)
		}
		samples = append(samples, time.Since(start))
	}
	median := medianOf(samples)
	b.ReportMetric(float64(median.Milliseconds()), "median-ms")
	if median > fullSynthBudget {
		b.Errorf("median wall time %s exceeds the %s budget", median, fullSynthBudget)
	}
}

// BenchmarkSynthesizeAll synthesises all environments in a warm process.
func BenchmarkSynthesizeAll(b *testing.B) {
	benchmarkSynthesize(b, environments.All())
}

// BenchmarkMicroservices synthesises N copies of a service in one chart and
// reports the cost per Kubernetes object.
func BenchmarkMicroservices(b *testing.B) {
	for _, n := range []int{10, 100, 500} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			benchmarkSynthesize(b, []environments.Environment{benchenv.Synthetic(n)})
		})
	}
}

func benchmarkSynthesize(b *testing.B, envs []environments.Environment) {
	objects := 0
	resolved, err := synth.Resolve(envs)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range resolved {
		objects += len(r.Objects)
	}
	b.ReportAllocs()
	var samples []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := synth.Synthesize(envs); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(start))
	}
	median := medianOf(samples)
	b.ReportMetric(float64(median.Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(median.Nanoseconds())/float64(objects)/1000, "µs/object")
	b.ReportMetric(float64(objects), "objects")
}

func medianOf(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestSyntheticEnvironmentSynthesizes keeps the benchmarks' input valid:
// `make bench` is not part of `make test`, so this is what notices when a
// new check rejects it.
func TestSyntheticEnvironmentSynthesizes(t *testing.T) {
	resolved, err := synth.Resolve([]environments.Environment{benchenv.Synthetic(3)})
	require.NoError(t, err)
	assert.NotEmpty(t, resolved["dev"].Objects)
}
