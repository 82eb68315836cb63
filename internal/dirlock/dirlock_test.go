//go:build unix

package dirlock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telepace/platform-charts/internal/dirlock"
)

// TestLockExcludes: a second Lock on a held directory waits, says so once,
// and times out with ErrTimeout; once the first is released it succeeds.
func TestLockExcludes(t *testing.T) {
	dir := t.TempDir()
	unlock, err := dirlock.Lock(context.Background(), dir, time.Second, nil)
	require.NoError(t, err)

	var said int
	_, err = dirlock.Lock(context.Background(), dir, 100*time.Millisecond, func() { said++ })
	assert.ErrorIs(t, err, dirlock.ErrTimeout)
	assert.Equal(t, 1, said, "waiting is said once")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = dirlock.Lock(ctx, dir, time.Minute, nil)
	assert.ErrorIs(t, err, context.Canceled)

	unlock()
	unlock2, err := dirlock.Lock(context.Background(), dir, 100*time.Millisecond, func() { t.Error("waited for a free lock") })
	require.NoError(t, err)
	unlock2()
}

func TestLockMissingDirectory(t *testing.T) {
	_, err := dirlock.Lock(context.Background(), t.TempDir()+"/missing", time.Second, nil)
	assert.ErrorContains(t, err, "no such file or directory")
}
