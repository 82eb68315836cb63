//go:build !unix

package dirlock

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// Lock fails: it needs flock, which this platform lacks, and nothing here
// writes unlocked.
func Lock(ctx context.Context, dir string, wait time.Duration, waiting func()) (func(), error) {
	return nil, fmt.Errorf("cannot lock %s: it needs flock, which %s lacks", dir, runtime.GOOS)
}
