// Package jsiienv quiets the jsii kernel's Node.js end-of-life banner for the
// Node.js release this project supports, before the kernel starts.
//
// The cdk8s and constructs packages start the jsii kernel, a Node.js child
// process, from their package initialisers, so the environment must be set
// before those run. Go initialises packages in import-path order among those
// whose imports are ready; this package imports only os, so it is ready, and
// first in that order, before os/exec and hence before any jsii package.
// Importing it (pkg/constructs does) is enough.
//
// jsii prints a banner on every run when Node.js is past its end of life.
// Node.js 20 is the runtime this project supports and tests on, so its banner
// is silenced through the switch jsii documents,
// JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION, which takes a comma-separated
// list of major versions. A value already set in the environment is left as
// it is, and every other jsii warning (untested or known-broken Node.js
// releases) still shows.
package jsiienv

import "os"

// EndOfLifeVariable is the jsii switch that silences the end-of-life banner
// for the Node.js major versions it lists.
const EndOfLifeVariable = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"

// SupportedNodeMajor is the Node.js major version whose end-of-life banner is
// silenced.
const SupportedNodeMajor = "20"

func init() {
	if _, set := os.LookupEnv(EndOfLifeVariable); !set {
		_ = os.Setenv(EndOfLifeVariable, SupportedNodeMajor)
	}
}
