//go:build unix

package dirlock

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// poll is how often a waiting locker retries.
const poll = 25 * time.Millisecond

// Lock takes an exclusive flock on the directory dir, retrying for up to
// wait; it calls waiting, if not nil, once, when it first has to wait.
// It returns ErrTimeout after wait, and ctx's error when ctx ends first.
func Lock(ctx context.Context, dir string, wait time.Duration, waiting func()) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	start, said := time.Now(), false
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
		if !said && waiting != nil {
			waiting()
			said = true
		}
		if time.Since(start) >= wait {
			f.Close()
			return nil, ErrTimeout
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}
