// Package synth turns the environments into Helm charts.
//
// Synthesize builds one cdk8s App with a Chart per environment, lets cdk8s
// validate and resolve the tree (App.Synth), and lays each environment's
// resolved objects out as a Helm chart: Chart.yaml, values.yaml, a generated
// README.md, .helmignore, and one template file per component named after
// its app.kubernetes.io/name label. Template files hold the documents exactly
// as cdk8s wrote them, with Helm's delimiters escaped so that Helm renders
// them literally.
//
// Write swaps the charts into place all or nothing, and Check is the drift
// check behind `synth --check`. Output is deterministic to the byte.
//
// A full synth spends its time starting the jsii kernel (one node process,
// see internal/jsiienv), composing the construct tree on the Go side (the
// objects reach the kernel in a few batched calls, see pkg/constructs's
// Flush; validating alert rules and dashboards takes most of it), and in
// cdk8s's App.Synth; reading back the objects' heads, rendering and
// writing take the least. bench/README.md has the figures. The shipped CRDs are read while cdk8s runs.
package synth
