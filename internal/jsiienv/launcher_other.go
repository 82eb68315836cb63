//go:build !unix

package jsiienv

// installLauncher installs nothing where there is no sh: jsii starts its
// two node processes itself.
func installLauncher(string) string { return "" }
