'use strict';
// Written by internal/jsiienv; preloaded by its launcher into jsii's
// kernel when it starts without a start-up snapshot (process.js). When
// TELEPACE_KERNEL_SNAPSHOT_BUILD names a directory, the packages the
// kernel loads are noted, and at its exit the snapshot is built there
// (build.js) for the runs that follow.
const { prepare } = require('./process.js');

const program = process.argv[1];
const dir = process.env.TELEPACE_KERNEL_SNAPSHOT_BUILD;
delete process.env.TELEPACE_KERNEL_SNAPSHOT_BUILD;
if (!dir) {
  prepare(program);
} else {
  const loads = [];
  prepare(program, (name, version, digest) => {
    loads.push({ name, version, digest });
  });
  process.on('exit', (code) => {
    if (code === 0 && loads.length > 0) {
      require('./build.js').build(dir, program, loads);
    }
  });
}
