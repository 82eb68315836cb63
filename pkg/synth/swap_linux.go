package synth

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// replaceDir puts src's directory at dst. When dst exists, the two are
// exchanged in one atomic step (renameat2 RENAME_EXCHANGE), so dst is never
// missing, and src then holds what dst held. Filesystems without exchange
// fall back to three renames.
func replaceDir(src, dst string) error {
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		return os.Rename(src, dst)
	}
	err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return replaceDirByRenames(src, dst)
	}
	if err != nil {
		return &os.LinkError{Op: "exchange", Old: src, New: dst, Err: err}
	}
	return nil
}
