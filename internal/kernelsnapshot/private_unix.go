//go:build unix

package kernelsnapshot

import (
	"fmt"
	"syscall"
)

// writable returns an error unless this user may create files in dir.
func writable(dir string) error {
	if err := syscall.Access(dir, 2 /* W_OK */); err != nil {
		return fmt.Errorf("%s is not writable: %w", dir, err)
	}
	return nil
}
