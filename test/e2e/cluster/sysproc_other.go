//go:build unix && !linux

package cluster

import "syscall"

// sysProcAttr puts each component in its own process group. Outside Linux
// there is no parent-death signal: components of a test binary killed
// without cleanup must be stopped by hand.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
