//go:build !linux

package synth

import (
	"errors"
	"os"
)

// replaceDir puts src's directory at dst; when dst exists, src then holds
// what dst held. Without an atomic exchange, dst is missing for the moment
// between two renames.
func replaceDir(src, dst string) error {
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		return os.Rename(src, dst)
	}
	return replaceDirByRenames(src, dst)
}
