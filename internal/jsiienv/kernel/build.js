'use strict';
// Written by internal/jsiienv. Builds the kernel's start-up snapshot into
// dir, from this run: called as the kernel exits, by shim.js when the Go
// side found no snapshot for this node and this jsii runtime, and by
// snapshot.js when the kernel loaded a package its snapshot does not hold
// (previous: that snapshot's directory and its other packages, which the
// new one keeps).
//
// It copies this run's kernel script and the packages the kernel loaded
// (loads: name, version, and the SHA-256 of each tarball) into a
// directory of its own, and has node build the snapshot from them
// (snapshot.js), in a directory of its own that becomes dir in one rename
// once node started from it answered jsii's handshake, with the blob's
// size next to the blob, so a run sees a whole snapshot or none. A failure is written to
// dir + ".failed", and runs with the same key start without a snapshot
// from then on.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

function build(dir, program, loads, previous) {
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    if (previous === undefined && complete(dir)) return; // another run's
    removeAbandoned(path.dirname(dir));
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { mode: 0o700 });
    fs.chmodSync(tmp, 0o700);
    const lib = path.join(tmp, 'runtime', 'lib');
    fs.mkdirSync(lib, { recursive: true });
    for (const f of ['program.js', 'runtime-index-worker.js']) {
      fs.copyFileSync(path.join(path.dirname(program), f), path.join(lib, f));
    }
    // The kernel installs each package it loads under node_modules of a
    // jsii-kernel-* directory in its temporary directory, this run's own;
    // the packages of the snapshot this run started from that it did not
    // load are in that snapshot.
    const installs = fs.readdirSync(os.tmpdir())
      .filter((n) => n.startsWith('jsii-kernel-'))
      .map((n) => path.join(os.tmpdir(), n, 'node_modules'));
    const sources = loads.map((l) => ({
      ...l,
      src: installs.map((d) => path.join(d, l.name)).find((d) => fs.existsSync(path.join(d, 'package.json'))),
    }));
    for (const p of previous ? previous.packages : []) {
      const { dependencies, ...rest } = p;
      sources.push({ ...rest, src: path.join(previous.from, 'node_modules', p.name) });
    }
    const names = new Set(sources.map((l) => l.name));
    const packages = [];
    for (const l of sources) {
      const { src, ...entry } = l;
      if (src === undefined) throw new Error(`${l.name}: not installed by the kernel`);
      const pj = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
      if (pj.name !== l.name || pj.version !== l.version) {
        throw new Error(`${l.name}: installed as ${pj.name}@${pj.version}, loaded as ${l.version}`);
      }
      const deps = Object.keys({ ...pj.dependencies, ...pj.peerDependencies }).filter((d) => names.has(d));
      const to = path.join(tmp, 'node_modules', l.name);
      fs.cpSync(src, to, { recursive: true, dereference: true });
      // The file node resolves the package's name to, relative to its
      // directory: the file the kernel requires (see copyPackage).
      const main = path.relative(to, require.resolve(l.name, { paths: [tmp] }));
      if (main === '' || main === '..' || main.startsWith(`..${path.sep}`) || path.isAbsolute(main)) {
        throw new Error(`${l.name}: resolves outside its directory, to ${main}`);
      }
      packages.push({ ...entry, dependencies: deps, main });
    }
    fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify({ packages }, null, 2));
    const blob = path.join(tmp, 'kernel.blob');
    const made = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', path.join(__dirname, 'snapshot.js')], {
      env: { ...process.env, TELEPACE_KERNEL_SNAPSHOT_SOURCE: tmp, TELEPACE_KERNEL_SNAPSHOT_FINAL: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (made.status !== 0) {
      throw new Error(`node --build-snapshot: ${ended(made)}: ${lastLines(made.stderr)}`);
    }
    fs.writeFileSync(path.join(tmp, 'kernel.blob.size'), `${fs.statSync(blob).size}\n`);
    // It starts and answers jsii's handshake.
    const run = spawnSync(process.execPath, ['--snapshot-blob', blob, program], {
      input: '{"exit":0}\n',
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 30000,
    });
    const answer = run.output && run.output[3] ? String(run.output[3]) : '';
    if (run.status !== 0 || !answer.startsWith('{"hello":"@jsii/runtime@')) {
      throw new Error(`the snapshot does not start: ${ended(run)}: ${lastLines(run.stderr)}`);
    }
    if (previous === undefined && complete(dir)) return; // another run was first
    const old = `${dir}.old-${process.pid}`;
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    fs.rmSync(old, { recursive: true, force: true });
    fs.rmSync(`${dir}.failed`, { force: true });
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

// ended says how a child process ended.
function ended(r) {
  if (r.error) return String(r.error);
  if (r.signal) return `killed by ${r.signal}`;
  return `exit ${r.status}`;
}

// removeAbandoned removes the unfinished builds and replaced snapshots
// under root that a build killed midway left, ten minutes on.
function removeAbandoned(root) {
  for (const name of fs.readdirSync(root)) {
    if (!/\.(tmp|old)-\d+$/.test(name)) continue;
    const p = path.join(root, name);
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > 10 * 60 * 1000) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // another run's, gone
    }
  }
}

// complete reports whether dir holds a whole snapshot: its blob, of the
// size written next to it once it was known to start.
function complete(dir) {
  try {
    // Not blocking: a FIFO in its place would wait for a writer.
    const fd = fs.openSync(path.join(dir, 'kernel.blob.size'), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    let want;
    try {
      if (!fs.fstatSync(fd).isFile()) return false;
      const buf = Buffer.alloc(64);
      want = Number(buf.toString('utf8', 0, fs.readSync(fd, buf, 0, buf.length, 0)));
    } finally {
      fs.closeSync(fd);
    }
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
