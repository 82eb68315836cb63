package constructs

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/internal/bulk"
	"github.com/telepace/platform-charts/internal/jsiienv"
)

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Data:       map[string]string{"k": name},
	}
}

// synthDocs synthesises app with App.SynthYaml, called directly, and
// returns each document's name, and its annotations.
func synthDocs(t *testing.T, app cdk8s.App) (names []string, annotations map[string]map[string]string) {
	t.Helper()
	annotations = map[string]map[string]string{}
	for _, doc := range strings.Split(*app.SynthYaml(), "\n---\n") {
		var o struct {
			Metadata struct {
				Name        string            `json:"name"`
				Annotations map[string]string `json:"annotations"`
			} `json:"metadata"`
		}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &o))
		names = append(names, o.Metadata.Name)
		annotations[o.Metadata.Name] = o.Metadata.Annotations
	}
	return names, annotations
}

// newTestApp returns an app with one chart, "test", once the kernel
// holds the queue's hook.
func newTestApp() (cdk8s.App, cdk8s.Chart) {
	app := cdk8s.NewApp(nil)
	chart := cdk8s.NewChart(app, jsii.String("test"), &cdk8s.ChartProps{DisableResourceNameHashes: jsii.Bool(true)})
	if !queue.hooked {
		NewScope(chart, "hook") // the first batch goes at once
	}
	return app, chart
}

// TestQueueKeepsTheTreeOrder: objects and constructs queued by this
// package, mixed with constructs made directly in the kernel, come out in
// the order they were created, as one call per object wrote them. A
// construct made directly in the kernel hands the queue over first; the
// rest waits for synth.
func TestQueueKeepsTheTreeOrder(t *testing.T) {
	app, chart := newTestApp()
	before := flushes

	a := NewScope(chart, "a")
	o1 := NewTypedObject(a, "o1", configMap("a-o1"))
	b := NewScope(a, "b")
	NewTypedObject(b, "o2", configMap("b-o2"))
	assert.Equal(t, before, flushes, "all queued")

	mid := constructs.NewConstruct(chart, jsii.String("mid")) // made directly in the kernel: the queue goes first
	assert.Equal(t, before+1, flushes)
	NewTypedObject(mid, "o3", configMap("mid-o3"))
	NewTypedObject(a, "o4", configMap("a-o4"))
	NewScope(chart, "c")
	NewTypedObject(b, "o5", configMap("b-o5"))
	o1.Metadata().AddAnnotation(jsii.String("late"), jsii.String("yes")) // o1 is in the kernel: queued
	assert.Equal(t, before+1, flushes, "all queued")

	names, annotations := synthDocs(t, app)
	assert.Equal(t, before+2, flushes, "the app's validation flushed the queue")
	assert.Equal(t, []string{"a-o1", "b-o2", "b-o5", "a-o4", "mid-o3"}, names)
	assert.Equal(t, map[string]string{"late": "yes"}, annotations["a-o1"])
}

// TestQueuedConstructInTheKernel: a queued construct handed to a cdk8s
// function as a scope, once Kernel gives its kernel side, gets its child
// in the right place.
func TestQueuedConstructInTheKernel(t *testing.T) {
	app, chart := newTestApp()
	a := NewScope(chart, "a")
	NewTypedObject(a, "o1", configMap("a-o1"))
	raw := cdk8s.NewApiObject(Kernel(a), jsii.String("raw"), &cdk8s.ApiObjectProps{
		ApiVersion: jsii.String("v1"), Kind: jsii.String("ConfigMap"),
		Metadata: &cdk8s.ApiObjectMetadata{Name: jsii.String("raw")},
	})
	NewTypedObject(a, "o2", configMap("a-o2"))
	assert.Equal(t, "test/a/raw", *raw.Node().Path())
	names, _ := synthDocs(t, app)
	assert.Equal(t, []string{"a-o1", "raw", "a-o2"}, names)
}

// TestQueuedObjectAnswersOnTheGoSide: a queued object's name, kind,
// labels and annotations cost no call into the kernel; its node does, and
// is the kernel's.
func TestQueuedObjectAnswersOnTheGoSide(t *testing.T) {
	_, chart := newTestApp()
	scope := NewScope(chart, "scope")
	before := flushes
	obj := NewTypedObject(scope, "cm", configMap("cm"))
	md := obj.Metadata()
	md.AddAnnotation(jsii.String("early"), jsii.String("1"))
	md.AddLabel(jsii.String("extra"), jsii.String("2"))
	assert.Equal(t, "cm", *obj.Name())
	assert.Equal(t, "ConfigMap", *obj.Kind())
	assert.Equal(t, "v1", *obj.ApiVersion())
	assert.Equal(t, "cm", *md.GetLabel(jsii.String("app")))
	assert.Equal(t, "2", *md.GetLabel(jsii.String("extra")))
	assert.Nil(t, md.GetLabel(jsii.String("none")))
	assert.Equal(t, before, flushes, "no call into the kernel")

	assert.Equal(t, "test/scope", *scope.Node().Path())
	assert.Equal(t, "scope", *scope.Node().Id())
	assert.Equal(t, before, flushes, "no call into the kernel")
	assert.Equal(t, "test/scope/cm", *obj.Node().Path())
	assert.Equal(t, before+1, flushes)
	assert.Equal(t, "core", *obj.ApiGroup())
	json, ok := obj.ToJson().(map[string]any)
	require.True(t, ok, "%T", obj.ToJson())
	assert.Equal(t, map[string]any{"early": "1"}, json["metadata"].(map[string]any)["annotations"])
	assert.Equal(t, map[string]any{"app": "cm", "extra": "2"}, json["metadata"].(map[string]any)["labels"])
}

// TestQueueGoesInBoundedCalls: a queue longer than maxBatch goes in
// several calls, and a construct one call makes is the scope of the next
// call's objects.
func TestQueueGoesInBoundedCalls(t *testing.T) {
	app, chart := newTestApp()
	before := flushes
	a := NewScope(chart, "a")
	big := strings.Repeat("x", 1<<10)
	var want []string
	// A quarter more than maxBatch of objects of a KiB and a little more.
	for i := range maxBatch>>10 + maxBatch>>12 {
		cm := configMap(fmt.Sprintf("cm-%04d", i))
		cm.Data["big"] = big
		NewTypedObject(a, cm.Name, cm)
		want = append(want, cm.Name)
	}
	b := NewScope(a, "b")
	NewTypedObject(b, "last", configMap("last"))
	want = append(want, "last")
	names, _ := synthDocs(t, app)
	assert.Equal(t, before+2, flushes, "1.25 maxBatch in two calls")
	assert.Equal(t, want, names)
	assert.Equal(t, "test/a/b", *b.Node().Path())
	assert.Equal(t, *Kernel(b).Node().Path(), *b.Node().Path())
	assert.Equal(t, *Kernel(a).Node().Path(), *a.Node().Path())
	left, err := filepath.Glob(filepath.Join(jsiienv.TempDir(), "bulk-*"))
	require.NoError(t, err)
	assert.Empty(t, left, "the calls' files outlive them")
}

// TestKernelConstructsAreLookedUp: constructs are looked up by their place: Bulk.apply returns how
// many constructs it made, and a construct's kernel side is asked for
// when it is needed; a place the kernel does not hold is refused.
func TestKernelConstructsAreLookedUp(t *testing.T) {
	_, chart := newTestApp()
	first := NewScope(chart, "first")
	second := NewScope(first, "second")
	Flush()
	for _, c := range []constructs.Construct{second, first} {
		k := Kernel(c)
		assert.NotSame(t, c, k)
		assert.Equal(t, *c.Node().Path(), *k.Node().Path())
	}
	sendMu.Lock()
	beyond := registered
	sendMu.Unlock()
	var msg string
	func() {
		defer func() { msg = fmt.Sprint(recover()) }()
		bulk.Bulk_Construct(jsii.Number(beyond))
	}()
	assert.Contains(t, msg, fmt.Sprintf("Bulk.construct: no construct %d; the kernel holds %d", beyond, beyond))
}

// TestQueueCountsWithTheKernel: a batch refuses to run when the kernel
// holds another number of the constructs Bulk.apply made than this
// package counts (its references would name other constructs), and the
// refusal reaches the flushing goroutine.
func TestQueueCountsWithTheKernel(t *testing.T) {
	_, chart := newTestApp()
	Flush()
	sendMu.Lock()
	kernelCount := registered
	registered++
	sendMu.Unlock()
	defer func() {
		// The kernel made nothing of the refused batch.
		sendMu.Lock()
		registered = kernelCount
		sendMu.Unlock()
	}()
	NewScope(chart, "miscounted")
	var msg string
	func() {
		defer func() { msg = fmt.Sprint(recover()) }()
		Flush()
	}()
	assert.Contains(t, msg, "constructs of Bulk.apply, the caller counts")
}

// TestChecksWaitForTheBuild: a check made on a scope of no App of
// StartApp runs at once; one made under such an App waits, its kernel
// side ready, until the App's Synth has handed the queue over
// (releaseChecks) or its problems are asked for (Flush).
func TestChecksWaitForTheBuild(t *testing.T) {
	ran := func() (chan struct{}, func() []string) {
		c := make(chan struct{})
		return c, func() []string { close(c); return nil }
	}
	_, chart := newTestApp()
	now, check := ran()
	addProblemsLater(chart, check)
	select {
	case <-now:
	case <-time.After(5 * time.Second):
		t.Fatal("a check made under no App of StartApp did not run")
	}
	Flush()

	for name, release := range map[string]func(a *App){
		"queue handed over":  func(a *App) { a.releaseChecks() },
		"problems asked for": func(*App) { Flush() },
	} {
		t.Run(name, func(t *testing.T) {
			a := StartApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
			chart := NewChart(a, "c", nil)
			held, check := ran()
			addProblemsLater(chart, check)
			<-a.ready // its build not done
			select {
			case <-held:
				t.Fatal("a check ran while its App was built")
			case <-time.After(100 * time.Millisecond):
			}
			release(a)
			select {
			case <-held:
			case <-time.After(5 * time.Second):
				t.Fatal("a released check did not run")
			}
			Flush()
		})
	}
}

// callback is a validation that calls f when cdk8s validates its construct.
type callback struct{ f func() }

func (c *callback) Validate() *[]*string {
	c.f()
	return &[]*string{}
}

// TestAppChecksRunWhileCdk8sSynthesises: App.Synth does not wait for the
// checks of its App before cdk8s synthesises it (a check that waits for
// cdk8s's validation completes); the problems they find come back from
// App.Synth with those registered at once, in cdk8s's order (the tree's),
// whether or not cdk8s found any in its first synth; and an App whose
// checks find nothing synthesises once.
func TestAppChecksRunWhileCdk8sSynthesises(t *testing.T) {
	for _, tc := range []struct {
		name string
		now  bool // a problem registered at once, after the later one in the tree
		want []string
	}{
		{"later problems only", false, []string{"[c/first] x: later"}},
		{"later and immediate problems", true, []string{"[c/first] x: later", "[c/second] y: now"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := StartApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
			chart := NewChart(a, "c", nil)
			first := NewScope(chart, "first")
			second := NewScope(chart, "second")
			// Both hand the queue to the kernel (Flush), which registers
			// the checks made so far: they come first.
			if tc.now {
				AddProblems(second, "y: now")
			}
			validating := make(chan struct{})
			var once sync.Once
			constructs.Node_Of(Kernel(chart)).AddValidation(&callback{func() { once.Do(func() { close(validating) }) }})
			addProblemsLater(first, func() []string {
				select {
				case <-validating:
					return []string{"x: later"}
				case <-time.After(10 * time.Second):
					return []string{"x: the check ran to its end before cdk8s validated"}
				}
			})
			err := a.Synth()
			var verr *ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tc.want, verr.Problems)
		})
	}

	// cdk8s validates an App as it synthesises it, and again as it
	// writes each chart (Chart.toJson): one synth validates as often as
	// one with no check.
	validations := func(check bool) int {
		a := StartApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
		chart := NewChart(a, "c", nil)
		n := 0
		constructs.Node_Of(Kernel(chart)).AddValidation(&callback{func() { n++ }})
		if check {
			addProblemsLater(chart, func() []string { return nil })
		}
		require.NoError(t, a.Synth())
		return n
	}
	assert.Equal(t, validations(false), validations(true))
}

// TestChecksRunOneAtATime: released checks of addProblemsLater run one at
// a time (checkSlot), and all of them run.
func TestChecksRunOneAtATime(t *testing.T) {
	a := StartApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
	chart := NewChart(a, "c", nil)
	var running, most, ran atomic.Int32
	for range 4 {
		addProblemsLater(chart, func() []string {
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(20 * time.Millisecond)
			running.Add(-1)
			ran.Add(1)
			return nil
		})
	}
	a.releaseChecks()
	Flush() // waits for the checks
	assert.Equal(t, int32(4), ran.Load())
	assert.Equal(t, int32(1), most.Load(), "checks ran at once")
}
