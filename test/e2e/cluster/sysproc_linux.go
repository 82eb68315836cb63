package cluster

import "syscall"

// sysProcAttr puts each component in its own process group and has the
// kernel SIGKILL it if the test process dies (e.g. on `go test -timeout`),
// so no component outlives the harness even when cleanup cannot run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
