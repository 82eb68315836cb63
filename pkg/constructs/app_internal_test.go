package constructs

import (
	"testing"

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
