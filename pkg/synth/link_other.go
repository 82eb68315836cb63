//go:build !unix

package synth

import "io/fs"

// singlyLinkedOwn reports false: without Unix ownership and link counts,
// writeChart writes every file.
func singlyLinkedOwn(fs.FileInfo) bool { return false }
