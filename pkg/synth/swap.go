package synth

import (
	"errors"
	"os"
)

// replaceDirByRenames swaps the directories src and dst with three renames
// through a name beside src, restoring dst if the second rename fails.
func replaceDirByRenames(src, dst string) error {
	aside := src + ".old"
	if err := os.Rename(dst, aside); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return errors.Join(err, os.Rename(aside, dst))
	}
	return os.Rename(aside, src)
}
