package synth

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestInBackgroundWaitsForStart: the CRD files and the plans' files are
// made on another goroutine only once start is closed (the kernel ready:
// until then node starts on the other core), and a panic there is
// re-raised where the result is asked for.
func TestInBackgroundWaitsForStart(t *testing.T) {
	start := make(chan struct{})
	ran := make(chan struct{})
	result := inBackground(start, func() int { close(ran); return 7 })
	select {
	case <-ran:
		t.Fatal("ran before start was closed")
	case <-time.After(100 * time.Millisecond):
	}
	close(start)
	assert.Equal(t, 7, result())

	failed := inBackground(start, func() int { panic("boom") })
	assert.PanicsWithValue(t, "boom", func() { failed() })
}
