package constructs_test

import (
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// TestCatchValidationParsesCdk8sErrors pins the format of the error cdk8s
// throws through jsii when validations fail: CatchValidation must recover
// every problem, with its construct path, in cdk8s's order.
func TestCatchValidationParsesCdk8sErrors(t *testing.T) {
	app := cdk8s.NewApp(&cdk8s.AppProps{Outdir: jsii.String(t.TempDir())})
	chart := cdk8s.NewChart(app, jsii.String("prod"), nil)
	pc.AddProblems(chart, "services: the environment deploys no services")
	svc := cdk8s.NewChart(chart, jsii.String("web"), nil)
	pc.AddProblems(svc, "image: first", "replicas: second [with brackets]")
	pc.AddProblems(svc)

	err := pc.CatchValidation(func() { app.Synth() })
	var verr *pc.ValidationError
	require.ErrorAs(t, err, &verr)
	assert.Equal(t, []string{
		"[prod] services: the environment deploys no services",
		"[prod/web] image: first",
		"[prod/web] replicas: second [with brackets]",
	}, verr.Problems)
	assert.Equal(t, "validation failed:\n  [prod] services: the environment deploys no services\n  [prod/web] image: first\n  [prod/web] replicas: second [with brackets]", err.Error())
}

func TestCatchValidationPassesOtherFailuresThrough(t *testing.T) {
	err := pc.CatchValidation(func() { panic("kernel went away") })
	require.Error(t, err)
	var verr *pc.ValidationError
	assert.NotErrorAs(t, err, &verr)
	assert.Equal(t, "cdk8s synth: kernel went away", err.Error())
	assert.NoError(t, pc.CatchValidation(func() {}))
}
