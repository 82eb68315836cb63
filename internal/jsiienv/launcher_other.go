//go:build !unix

package jsiienv

import "errors"

// installLauncher installs nothing where there is no sh: jsii starts its
// two node processes itself.
func installLauncher(string) string { return "" }

// KernelScripts returns "": no launcher runs the kernel.
func KernelScripts() string { return "" }

// KernelStart is how the launcher would start the kernel.
type KernelStart struct {
	Options      []string
	Env          map[string]string
	Fallback     []string
	FallbackNote string
	Requires     []string
	Depends      []string
}

// SetKernelStart fails: no launcher runs the kernel.
func SetKernelStart(KernelStart) error {
	return errors.New("no launcher runs the kernel")
}

// Prestart fails: no launcher runs the kernel.
func Prestart(string, KernelStart, string) error {
	return errors.New("no launcher runs the kernel")
}

// KernelNodeOptions returns none: no launcher runs the kernel.
func KernelNodeOptions() []string { return nil }

// StopPrestarted does nothing: no kernel is started ahead.
func StopPrestarted() {}

// ForgetPrestart does nothing: no kernel is started ahead.
func ForgetPrestart() {}

// StartedEarly reports false: no kernel is started ahead.
func StartedEarly() bool { return false }

// startEarly does nothing: no kernel is started ahead.
func startEarly() {}

// PrivateDir checks nothing where the launcher, and so a kernel started
// ahead, does not run.
func PrivateDir(string) error { return nil }
