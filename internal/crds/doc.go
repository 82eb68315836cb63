// Package crds holds the upstream CustomResourceDefinitions the project
// uses, and the one file that pins them: crd-versions.txt, which names for
// each source the Go module that ships its CRDs, the module's version, the
// module's h1 content hash (the hash go.sum records) and the directories of
// the module that hold the CRDs, or "-" (NoDirs) for a module pinned only
// for a chart it ships (seaweedfs).
//
// The CRD documents themselves are committed under files/<source>/, one
// file per CRD named after it, byte for byte as the module ships them, and
// embedded in the package: reading them needs neither the go command nor
// the module cache nor a network. `make generate` writes them with
// `go run ./internal/crds/gen`, which downloads each pinned module through
// the Go module proxy, checks the module's zip against the pinned h1 sum,
// takes the CRDs out of the verified zip and records in manifest.json the
// pin each source was read at and the sha256 of every file. Verify, which
// Documents and Load run once, fails when the embedded files differ from
// the manifest or the manifest from the pins, naming the pin: a pin bumped
// without `make generate` cannot go unnoticed.
//
// Both cmd/synth (through pkg/synth, which copies the CRDs an environment
// names into its chart's crds/ directory) and the end-to-end harness
// (test/e2e/cluster, which installs every pinned CRD, vendors charts out of
// the pinned modules and checks the operators' versions against the pins)
// import it. It is internal because it is the project's own data, read by
// the project's own programs and tests, not an API for other modules;
// production code must never import test/.
package crds
