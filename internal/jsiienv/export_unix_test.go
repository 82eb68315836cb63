//go:build unix

package jsiienv

import "encoding/json"

// V8PoolOptions is v8PoolOptions, for the external tests. This file
// imports no package this package does not: a test file of this package
// that imported a package of its own could have constructs-go
// initialised, and jsii's runtime unpacked, before this package's init
// sets TMPDIR.
var V8PoolOptions = v8PoolOptions

// WriteLauncher is writeLauncher, for the external tests.
var WriteLauncher = writeLauncher

// StartRecord returns the record Prestart writes for node and k, as
// JSON.
func StartRecord(node string, k KernelStart) ([]byte, error) {
	k = withScripts(k)
	argv, env := kernelProcess(k)
	r, err := newStartRecord(node, k, argv, env)
	if err != nil {
		return nil, err
	}
	return json.Marshal(r)
}

// EarlyKernel reports why this process would start no kernel early from
// record, or nil.
func EarlyKernel(record []byte) error {
	var r startRecord
	if err := json.Unmarshal(record, &r); err != nil {
		return err
	}
	_, _, err := earlyKernel(r)
	return err
}
