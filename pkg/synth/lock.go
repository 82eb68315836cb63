package synth

import (
	"context"
	"errors"
	"time"

	"github.com/telepace/platform-charts/internal/dirlock"
)

// lockDir takes an exclusive lock on the output directory dir itself
// (shown is its name in messages), waiting up to wait.
func lockDir(ctx context.Context, dir, shown string, wait time.Duration) (unlock func(), err error) {
	unlock, err = dirlock.Lock(ctx, dir, wait, nil)
	if errors.Is(err, dirlock.ErrTimeout) {
		return nil, &LockError{Dir: shown, Waited: wait}
	}
	return unlock, err
}
