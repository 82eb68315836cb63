// Package constructstest synthesises constructs in tests, the way cdk8s's
// Testing.synth does, with construct validations included.
package constructstest

import (
	"bytes"
	"os"
	"testing"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
	"sigs.k8s.io/yaml"

	"github.com/telepace/platform-charts/internal/jsiienv"
	pc "github.com/telepace/platform-charts/pkg/constructs"
)

// Main runs a package's tests from its TestMain, then stops the jsii
// kernel they started, so no node process outlives them, removes what the
// kernel left in its temporary directory, and exits with the tests' code.
func Main(m *testing.M) {
	code := m.Run()
	jsii.Close()
	jsiienv.Cleanup()
	os.Exit(code)
}

// ChartID is the id of the chart that Synth builds; construct paths in
// validation messages start with it: "[test/web] ...".
const ChartID = "test"

// SynthYAML builds a fresh app with one chart, lets build add constructs to
// it, and synthesises it with cdk8s. It returns the YAML cdk8s wrote, or a
// *constructs.ValidationError listing every problem.
func SynthYAML(build func(chart constructs.Construct)) (string, error) {
	app := cdk8s.NewApp(nil)
	chart := cdk8s.NewChart(app, jsii.String(ChartID), &cdk8s.ChartProps{DisableResourceNameHashes: jsii.Bool(true)})
	build(chart)
	var out *string
	if err := pc.CatchValidation(func() { out = app.SynthYaml() }); err != nil {
		return "", err
	}
	return *out, nil
}

// Synth is SynthYAML with the documents decoded, in the order cdk8s
// resolved them.
func Synth(build func(chart constructs.Construct)) ([]map[string]any, error) {
	out, err := SynthYAML(build)
	if err != nil {
		return nil, err
	}
	var objs []map[string]any
	for _, doc := range bytes.Split([]byte(out), []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, err
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// MustSynth is Synth that fails t on error.
func MustSynth(t testing.TB, build func(chart constructs.Construct)) []map[string]any {
	t.Helper()
	objs, err := Synth(build)
	if err != nil {
		t.Fatalf("synth: %v", err)
	}
	return objs
}

// Find returns the object of the given kind and name, or nil.
func Find(objs []map[string]any, kind, name string) map[string]any {
	for _, o := range objs {
		md, _ := o["metadata"].(map[string]any)
		if o["kind"] == kind && md["name"] == name {
			return o
		}
	}
	return nil
}

// Kinds returns "Kind/name" for every object, in order.
func Kinds(objs []map[string]any) []string {
	var out []string
	for _, o := range objs {
		md, _ := o["metadata"].(map[string]any)
		out = append(out, o["kind"].(string)+"/"+md["name"].(string))
	}
	return out
}
