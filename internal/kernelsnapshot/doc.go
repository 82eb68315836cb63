// Package kernelsnapshot starts the jsii kernel from a Node.js start-up
// snapshot, when it can. Importing it is enough: its initialiser rewrites
// internal/jsiienv's launcher before the kernel's first call.
//
// Starting jsii's kernel costs a node process about 100 ms before it
// answers its first call: its kernel script, a webpack bundle of 370 KB,
// evaluates its modules, and the kernel then evaluates constructs and
// cdk8s, file by file, as Go loads them. A start-up snapshot (node
// --build-snapshot) holds a heap in which all of that has run. So the
// first run of a given node and jsii runtime notes what its kernel loaded
// and builds a snapshot as the kernel exits (internal/jsiienv's
// kernel/build.js, about half a second, once); later runs start the kernel
// from it (kernel/snapshot.js), and the kernel takes constructs, cdk8s and
// this project's jsii library from the snapshot where their tarballs are
// the ones the snapshot was built from (the same SHA-256), instead of
// evaluating their files again.
//
// A snapshot belongs to one node binary (its path, size and modification
// time), one NODE_OPTIONS (node refuses a snapshot built under other V8
// flags), one jsii runtime, and the kernel's scripts: its directory under
// Root is named by their hash, so a change to any of them builds a new
// one. A failed build leaves a file <dir>.failed with the reason, and the
// runs of that key start without a snapshot. A run whose kernel script is
// not the snapshot's runs the script itself, and a package whose tarball
// differs is evaluated from its files, as without a snapshot.
//
// TELEPACE_KERNEL_SNAPSHOT=off starts every kernel without one. The
// snapshot directories may be removed at any time.
package kernelsnapshot
