//go:build !unix

package jsiienv

import "errors"

// installLauncher installs nothing where there is no sh: jsii starts its
// two node processes itself.
func installLauncher(string) string { return "" }

// KernelScripts returns "": no launcher runs the kernel.
func KernelScripts() string { return "" }

// SetKernelStart fails: no launcher runs the kernel.
func SetKernelStart([]string, map[string]string) error {
	return errors.New("no launcher runs the kernel")
}
