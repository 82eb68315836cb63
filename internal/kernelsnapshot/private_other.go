//go:build !unix

package kernelsnapshot

// private checks nothing where the launcher, and so the snapshot, does not
// run.
func private(string) error { return nil }

// writable checks nothing where the snapshot does not run.
func writable(string) error { return nil }
