//go:build unix

package jsiienv

// V8PoolOptions is v8PoolOptions, for the external tests. This file
// imports nothing: a test file of this package that imported a package
// of its own could have constructs-go initialised, and jsii's runtime
// unpacked, before this package's init sets TMPDIR.
var V8PoolOptions = v8PoolOptions

// WriteLauncher is writeLauncher, for the external tests.
var WriteLauncher = writeLauncher
