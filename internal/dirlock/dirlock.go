package dirlock

import "errors"

// ErrTimeout is the error of a Lock that waited its whole wait.
var ErrTimeout = errors.New("timed out waiting for the lock")
