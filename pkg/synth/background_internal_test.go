package synth

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestInBackground: the CRD files and the plans' files are made on
// another goroutine, at once, while the caller goes on (here, until the
// caller lets it finish), and a panic there is re-raised where the result
// is asked for.
func TestInBackground(t *testing.T) {
	started := make(chan struct{})
	finish := make(chan struct{})
	result := inBackground(func() int {
		close(started)
		<-finish
		return 7
	})
	<-started // hangs, and the test times out, if it waits for the caller
	close(finish)
	assert.Equal(t, 7, result())

	failed := inBackground(func() int { panic("boom") })
	assert.PanicsWithValue(t, "boom", func() { failed() })
}
