//go:build !unix

package synth

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// lockDir fails: synth locks its output directory with flock, which this
// platform lacks, and it does not write unlocked.
func lockDir(ctx context.Context, dir, shown string, wait time.Duration) (func(), error) {
	return nil, fmt.Errorf("cannot lock %s: writing charts needs flock, which %s lacks", shown, runtime.GOOS)
}
