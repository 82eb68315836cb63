// Package dirlock takes an exclusive lock on a directory itself, with
// flock, so that no lock file is ever left behind: synth locks its output
// directory while it swaps charts in, and set-image locks the module
// root while it edits and synthesises. flock locks belong to the open
// file description, so two lockers in one process exclude each other as
// two processes do, and the kernel releases the lock of a killed process.
package dirlock
