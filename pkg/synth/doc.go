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
// Where a full synth spends its time (today's charts, about 210 objects, on
// a two-core machine, about 0.65 s in all): starting the jsii kernel, 0.18 s
// (one node process, see internal/jsiienv); composing the construct tree,
// 0.26 s, nearly all of it the three or so calls into the kernel per object
// (NewTypedObject); cdk8s's App.Synth, 0.13 s, as long as cdk8s takes in
// plain Node; then reading back the objects' heads, rendering and writing,
// under 0.1 s. The shipped CRDs are read while cdk8s runs.
package synth
