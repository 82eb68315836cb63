//go:build unix

package synth

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockPoll is how often a waiting writer retries the lock.
const lockPoll = 25 * time.Millisecond

// lockDir takes an exclusive flock on the directory dir itself, so no lock
// file is ever left in the output. flock locks belong to the open file
// description, so two writers in one process exclude each other as two
// processes do, and the kernel releases the lock of a killed process.
func lockDir(ctx context.Context, dir, shown string, wait time.Duration) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() {
				_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, err
		}
		if time.Since(start) >= wait {
			f.Close()
			return nil, &LockError{Dir: shown, Waited: wait}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}
