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
// flags; an empty NODE_OPTIONS is not an unset one, which jsii sets), one
// jsii kernel script, and the kernel's scripts: its directory under Root is
// named by their hash, so a change to any of them builds a new one. A
// package whose tarball differs from the snapshot's is evaluated from its
// files, and the kernel then builds the snapshot again with it, keeping
// the packages it had, unless the snapshot is less than an hour old (two
// checkouts of other versions would rebuild it for each other on every
// run); a run whose kernel script is not the snapshot's runs the script
// itself.
//
// A kernel that starts from the snapshot starts at once, from this
// package's initialiser (jsiienv.Prestart), not at jsii's first call: it
// is up about 20 ms sooner for synth, whose first call comes after the
// rest of the program's initialisers and its own preparations. It waits
// for the launcher jsii starts then, and takes jsii's pipes from it; it
// ends with the Go process if nothing calls into the kernel. A second
// kernel in one process (after jsii.Close) starts as before. The start is
// recorded in the user's cache directory, and the next run's jsiienv
// starts that kernel from its own initialiser, which runs before the jsii
// packages' and this package's; this package keeps it when it is the
// kernel the snapshot's key now chooses, or stops it (see
// jsiienv.Prestart). A run that starts no kernel from a snapshot removes
// the record.
//
// A snapshot node will not start from all the same (damaged, or a node
// wrapper that runs another node) costs one try: the launcher starts the
// kernel without it and writes <dir>.failed; so does a failed build. A
// note keeps the runs of its key from the snapshot for a day (retryAfter).
// A root or snapshot directory that is not the user's, or that others may
// write to, is not used.
//
// TELEPACE_KERNEL_SNAPSHOT=off (or 0, false, no) starts every kernel
// without one. The snapshot directories may be removed at any time.
package kernelsnapshot
