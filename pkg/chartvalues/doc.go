// Package chartvalues holds the values of the third-party charts the dev
// umbrella installs, and the Alloy log pipeline it configures. Each
// chart's values are a Go struct whose json tags are the chart's own keys
// (checked against the chart's values.yaml at the pinned version);
// values.schema.json is generated from the same types. Only what the
// umbrella must set is modelled: everything else keeps the chart's
// default.
package chartvalues
