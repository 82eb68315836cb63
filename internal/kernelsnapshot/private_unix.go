//go:build unix

package kernelsnapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// private returns an error unless dir is this user's and no one else may
// write to it, nor to the directory it is in.
func private(dir string) error {
	for _, d := range []string{dir, filepath.Dir(dir)} {
		info, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no owner", d)
		}
		if int(st.Uid) != os.Getuid() {
			return fmt.Errorf("%s belongs to user %d, not to this one", d, st.Uid)
		}
		if info.Mode().Perm()&0o022 != 0 {
			return fmt.Errorf("%s may be written by others (%v)", d, info.Mode().Perm())
		}
	}
	return nil
}

// writable returns an error unless this user may create files in dir.
func writable(dir string) error {
	if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
		return fmt.Errorf("%s is not writable: %w", dir, err)
	}
	return nil
}
