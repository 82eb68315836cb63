//go:build unix

package synth

import (
	"io/fs"
	"os"
	"syscall"
)

// singlyLinkedOwn reports whether fi, from os.Lstat, is a file owned by
// this process's effective user with a single link: one that writeChart
// may link into a new chart, which then owns it alone once the old chart
// is removed.
func singlyLinkedOwn(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 1 && int(st.Uid) == os.Geteuid()
}
