'use strict';
// Written by internal/jsiienv. Builds the kernel's start-up snapshot into
// dir, from this run: called by shim.js as the kernel exits, when the Go
// side found no snapshot for this node and this jsii runtime.
//
// It copies this run's kernel script and the packages the kernel loaded
// (loads: name, version, and the SHA-256 of each tarball) into a
// directory of its own, and has node build the snapshot from them
// (snapshot.js). The snapshot is used only once node started from it
// answered jsii's handshake; the directory then becomes dir in one
// rename, so a run sees a whole snapshot or none. A failure is written to
// dir + ".failed", and runs with the same key start without a snapshot
// from then on.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

function build(dir, program, loads) {
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    if (complete(dir)) return; // another run's
    fs.rmSync(tmp, { recursive: true, force: true });
    const lib = path.join(tmp, 'runtime', 'lib');
    fs.mkdirSync(lib, { recursive: true });
    for (const f of ['program.js', 'runtime-index-worker.js']) {
      fs.copyFileSync(path.join(path.dirname(program), f), path.join(lib, f));
    }
    // The kernel installs each package it loads under node_modules of a
    // jsii-kernel-* directory in its temporary directory, this run's own.
    const installs = fs.readdirSync(os.tmpdir())
      .filter((n) => n.startsWith('jsii-kernel-'))
      .map((n) => path.join(os.tmpdir(), n, 'node_modules'));
    const names = new Set(loads.map((l) => l.name));
    const packages = [];
    for (const l of loads) {
      const src = installs.map((d) => path.join(d, l.name)).find((d) => fs.existsSync(path.join(d, 'package.json')));
      if (src === undefined) throw new Error(`${l.name}: not installed by the kernel`);
      const pj = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
      if (pj.name !== l.name || pj.version !== l.version) {
        throw new Error(`${l.name}: installed as ${pj.name}@${pj.version}, loaded as ${l.version}`);
      }
      const deps = Object.keys({ ...pj.dependencies, ...pj.peerDependencies }).filter((d) => names.has(d));
      fs.cpSync(src, path.join(tmp, 'node_modules', l.name), { recursive: true, dereference: true });
      packages.push({ ...l, dependencies: deps });
    }
    fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify({ packages }, null, 2));
    const blob = path.join(tmp, 'kernel.blob');
    const made = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', path.join(__dirname, 'snapshot.js')], {
      env: { ...process.env, TELEPACE_KERNEL_SNAPSHOT_SOURCE: tmp },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (made.status !== 0) {
      throw new Error(`node --build-snapshot: ${made.error || `exit ${made.status}`}: ${lastLines(made.stderr)}`);
    }
    // It starts, and answers jsii's handshake.
    const run = spawnSync(process.execPath, ['--snapshot-blob', blob, program], {
      input: '{"exit":0}\n',
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 30000,
    });
    const answer = run.output && run.output[3] ? String(run.output[3]) : '';
    if (run.status !== 0 || !answer.startsWith('{"hello":"@jsii/runtime@')) {
      throw new Error(`the snapshot does not start: ${run.error || `exit ${run.status}`}: ${lastLines(run.stderr)}`);
    }
    fs.writeFileSync(path.join(tmp, 'kernel.blob.size'), `${fs.statSync(blob).size}\n`);
    // Whatever is at dir without a whole snapshot in it is not one.
    if (!complete(dir)) fs.rmSync(dir, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      if (!complete(dir)) throw e; // unless another run was first
    }
    pruneUnused(path.dirname(dir));
  } catch (e) {
    try {
      fs.writeFileSync(`${dir}.failed`, `${e && e.stack ? e.stack : e}\n`);
    } catch {
      // nothing to tell it to
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// complete reports whether dir holds a whole snapshot: its blob, of the
// size written next to it once it was known to start.
function complete(dir) {
  try {
    const want = Number(fs.readFileSync(path.join(dir, 'kernel.blob.size'), 'utf8'));
    return fs.statSync(path.join(dir, 'kernel.blob')).size === want;
  } catch {
    return false;
  }
}

// keepUnused is how long a snapshot no run used is kept (kernelsnapshot's
// markUsed touches the one it uses once a day): other node binaries, jsii
// runtimes and scripts had their own.
const keepUnused = 14 * 24 * 60 * 60 * 1000;

// pruneUnused removes the snapshots, failure notes and unfinished builds
// under root that nothing used for keepUnused.
function pruneUnused(root) {
  for (const name of fs.readdirSync(root)) {
    const p = path.join(root, name);
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > keepUnused) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // another run's, gone
    }
  }
}

function lastLines(text) {
  return String(text || '').trim().split('\n').slice(-5).join('\n').slice(0, 2000);
}

module.exports = { build };
