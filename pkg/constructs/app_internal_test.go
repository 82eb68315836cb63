package constructs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStartAppBuildsWithoutTheKernel: charts and constructs built under
// an App of StartApp stay on the Go side, not one call into the kernel,
// until the App is needed; then they come out as the same charts built
// directly in the kernel would, chart props included, in the same order.
func TestStartAppBuildsWithoutTheKernel(t *testing.T) {
	props := func(env string) *cdk8s.ChartProps {
		return &cdk8s.ChartProps{
			DisableResourceNameHashes: jsii.Bool(true),
			Namespace:                 jsii.String("ns-" + env),
			Labels:                    &map[string]*string{"env": jsii.String(env)},
		}
	}
	fill := func(chart cdk8s.Chart, env string) {
		NewTypedObject(chart, "a", configMap(env+"-a"))
		NewTypedObject(NewScope(chart, "group"), "b", configMap(env+"-b"))
	}

	// Directly in the kernel, as before.
	want := cdk8s.NewApp(nil)
	for _, env := range []string{"one", "two"} {
		chart := cdk8s.NewChart(want, jsii.String(env), props(env))
		fill(chart, env)
	}
	Flush()
	wantYAML := *want.SynthYaml()

	before := flushes
	app := StartApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
	var charts []string
	for _, env := range []string{"one", "two"} {
		chart := NewChart(app, env, props(env))
		NewTypedObject(chart, "a", configMap(env+"-a"))
		NewTypedObject(NewScope(chart, "group"), "b", configMap(env+"-b"))
		charts = append(charts, *chart.Node().Path())
	}
	assert.Equal(t, before, flushes, "building under a starting App made a call into the kernel")
	assert.Equal(t, []string{"one", "two"}, charts, "paths answered on the Go side")

	got := *app.Kernel().SynthYaml()
	assert.Equal(t, wantYAML, got)
	assert.Contains(t, got, "namespace: ns-two", "chart props reached the kernel")
	assert.Contains(t, got, "env: one", "chart labels reached the kernel")
	assert.Greater(t, flushes, before, "the queue went to the kernel")
	chart := cdk8s.Chart_Of(Kernel(NewChart(app, "three", nil)))
	assert.Equal(t, "three", *chart.Node().Id(), "a chart added once the App is ready")
}

// TestStartAppProblemsWaitForTheKernel: problems added to a construct of a
// starting App wait for the kernel, and cdk8s reports them at their path.
func TestStartAppProblemsWaitForTheKernel(t *testing.T) {
	app := StartApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
	chart := NewChart(app, "env", nil)
	scope := NewScope(chart, "svc")
	AddProblems(scope, "image: is required")
	err := app.Synth()
	var verr *ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, []string{"[env/svc] image: is required"}, verr.Problems)
}

// TestStartAppFlushesInTheBackground: once the kernel's App is ready, a
// full batch goes to the kernel while the chart is still being built, and
// the chart comes out as if it had gone in one flush: every object in
// order, an annotation added after its object went still on it.
func TestStartAppFlushesInTheBackground(t *testing.T) {
	app := StartApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
	<-app.ready
	chart := NewChart(app, "big", &cdk8s.ChartProps{DisableResourceNameHashes: jsii.Bool(true)})
	var first cdk8s.ApiObject
	var want []string
	add := func(i int) {
		o := NewTypedObject(chart, fmt.Sprintf("o%d", i), configMap(fmt.Sprintf("cm-%04d", i)))
		want = append(want, fmt.Sprintf("cm-%04d", i))
		if i == 0 {
			first = o
		}
	}
	for i := range backgroundOps {
		add(i)
	}
	// The batch goes with no flush of this goroutine's.
	require.Eventually(t, func() bool {
		queue.Lock()
		defer queue.Unlock()
		return first.(*object).sent
	}, 10*time.Second, time.Millisecond, "the full batch did not go in the background")
	// The first object went; its annotation follows it.
	first.Metadata().AddAnnotation(jsii.String("late"), jsii.String("yes"))
	for i := backgroundOps; i < 2*backgroundOps+7; i++ {
		add(i)
	}

	names, annotations := synthDocs(t, app.Kernel())
	assert.Equal(t, want, names)
	assert.Equal(t, map[string]string{"late": "yes"}, annotations["cm-0000"])
}

// TestQueueEncodedWhileTheAppStarts: Synth of an App that is still
// starting encodes the queue and writes its file without the kernel
// (encodeAhead), makes no call before the App is ready, and the charts
// come out as they do when the queue is encoded once it is; App roots
// held in the batch's scopes become the App.
func TestQueueEncodedWhileTheAppStarts(t *testing.T) {
	build := func(app *App) {
		for _, env := range []string{"one", "two"} {
			chart := NewChart(app, env, &cdk8s.ChartProps{DisableResourceNameHashes: jsii.Bool(true)})
			o := NewTypedObject(chart, "a", configMap(env+"-a"))
			NewTypedObject(NewScope(chart, "group"), "b", configMap(env+"-b"))
			o.Metadata().AddAnnotation(jsii.String("env"), jsii.String(env))
		}
	}
	synthesized := func(dir string) string {
		var all string
		for _, env := range []string{"one", "two"} {
			data, err := os.ReadFile(filepath.Join(dir, env+".k8s.yaml"))
			require.NoError(t, err)
			all += string(data)
		}
		return all
	}

	wantDir := t.TempDir()
	want := StartApp(&cdk8s.AppProps{Outdir: jsii.String(wantDir)})
	<-want.ready
	build(want)
	require.NoError(t, want.Synth())

	// An App whose kernel side this test holds back.
	dir := t.TempDir()
	app := &App{ready: make(chan struct{}), checks: make(chan struct{})}
	app.root = &pendingConstruct{app: app}
	queue.Lock()
	starting = append(starting, app)
	queue.Unlock()
	build(app)
	before := flushes
	type seen struct {
		batches, calls int
		file           string
		fileExists     bool
	}
	whileStarting := make(chan seen, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		sendMu.Lock() // free while Synth waits for the App
		s := seen{batches: len(ahead), calls: flushes - before}
		if len(ahead) > 0 {
			s.file = ahead[0].file
			_, err := os.Stat(s.file)
			s.fileExists = err == nil
		}
		sendMu.Unlock()
		whileStarting <- s
		app.app = cdk8s.NewApp(&cdk8s.AppProps{Outdir: jsii.String(dir)})
		close(app.ready)
	}()
	require.NoError(t, app.Synth())
	s := <-whileStarting
	assert.Equal(t, 1, s.batches, "batches encoded while the App was starting")
	assert.True(t, s.fileExists, "the batch's file written while the App was starting")
	assert.Zero(t, s.calls, "calls into the kernel before the App was ready")
	assert.Equal(t, before+1, flushes, "one call")
	assert.NoFileExists(t, s.file, "the batch's file outlived its call")
	assert.Empty(t, ahead)
	got := synthesized(dir)
	assert.Equal(t, synthesized(wantDir), got)
	assert.Contains(t, got, "env: two", "an annotation added before the batch was encoded")
}
