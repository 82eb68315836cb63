'use strict';
// Written by internal/jsiienv: the entry point of `node --build-snapshot`
// (build.js), and, in the snapshot, the kernel's main.
//
// At build time it evaluates jsii's kernel script, from the copy in
// TELEPACE_KERNEL_SNAPSHOT_SOURCE, up to the statement that starts the
// kernel, and every module of the script but that one; and it evaluates
// the packages the kernel loaded there (manifest.json) with loader.js.
// Node's snapshot builder may require built-in modules only, and
// SharedArrayBuffer does not exist while it runs, so a module of the
// kernel script that fails here is evaluated again at start-up.
//
// At start-up (the deserialize main) it prepares the process as shim.js
// does (process.js), and starts the kernel. When the kernel loads a
// package the snapshot holds, from a tarball of the same SHA-256, with
// every package of the snapshot it depends on also taken from the
// snapshot, the kernel's require gets the snapshot's package instead of
// evaluating the package's files again; node's module cache gets it
// under the file the kernel resolved, for any package loaded from disk
// that requires it. When this run's kernel script is not the one the
// snapshot was built from, the script is run as it is, as without a
// snapshot.
const fs = require('fs');
const path = require('path');
const v8 = require('v8');
const crypto = require('crypto');

const here = path.dirname(process.argv[1]);

// rebuildAfter is how old a snapshot must be before a kernel that loaded a
// package it does not hold builds it again.
const rebuildAfter = 60 * 60 * 1000;
// The snapshot is built in source, and renamed to final when done: every
// path the kernel and the packages keep is final's.
const source = process.env.TELEPACE_KERNEL_SNAPSHOT_SOURCE;
const final = process.env.TELEPACE_KERNEL_SNAPSHOT_FINAL;
let building = true;
function onDisk(p) {
  return building && (p === final || p.startsWith(final + path.sep)) ? source + p.slice(final.length) : p;
}

// evaluate runs a file of this directory as a CommonJS module.
function evaluate(name) {
  const m = { exports: {} };
  new Function('module', 'exports', 'require', fs.readFileSync(path.join(here, name), 'utf8'))(m, m.exports, require);
  return m.exports;
}

const { makeLoader } = evaluate('loader.js');
const { prepare, sha256 } = evaluate('process.js');

// The kernel script, evaluated up to its main.
const program = path.join(final, 'runtime', 'lib', 'program.js');
const programDigest = sha256(onDisk(program));
let text = fs.readFileSync(onDisk(program), 'utf8');
const main = /let __webpack_exports__=__webpack_require__\((\d+)\);/g;
const found = [...text.matchAll(main)];
if (found.length !== 1) {
  throw new Error(`${program}: ${found.length} statements start the kernel; want 1`);
}
const mainID = found[0][1];
text = text.slice(0, found[0].index) +
  'return [__webpack_require__, __webpack_modules__, __webpack_module_cache__];' +
  text.slice(found[0].index + found[0][0].length);
let runtimeRequire = null;
function kernelRequire(id) {
  return (runtimeRequire || require)(id);
}
kernelRequire.resolve = (...args) => runtimeRequire.resolve(...args);
const kernelModule = { exports: {} };
const [webpackRequire, webpackModules, webpackCache] = new Function(
  'exports', 'require', 'module', '__filename', '__dirname', text,
)(kernelModule.exports, kernelRequire, kernelModule, program, path.dirname(program));
const deferred = [];
for (const id of Object.keys(webpackModules)) {
  if (id === mainID) continue;
  try {
    webpackRequire(id);
  } catch {
    deferred.push(id);
  }
}

// The packages, evaluated.
const manifest = JSON.parse(fs.readFileSync(path.join(source, 'manifest.json'), 'utf8'));
const roots = {};
for (const p of manifest.packages) roots[p.name] = path.join(final, 'node_modules', p.name);
const loader = makeLoader(require, roots, onDisk);
const packages = new Map();
for (const p of manifest.packages) {
  packages.set(p.name, { ...p, exports: loader.load(loader.resolve(final, p.name)) });
}

// nodeCreateRequire is node's createRequire, which the deserialize main
// replaces with the snapshot's.
const nodeCreateRequire = require('module').createRequire;

// onDiskEntry returns the entry of the snapshot's manifest on disk for the
// package name, or undefined.
function onDiskEntry(name) {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(final, 'manifest.json'), 'utf8'));
    return m.packages.find((q) => q.name === name);
  } catch {
    return undefined;
  }
}

// copyPackage links (or copies), from the snapshot's node_modules into
// to, what the kernel reads of the package name: package.json, the
// assembly's .jsii files, and its main file. It reports whether it did,
// the snapshot on disk holding the tarball of digest throughout; when
// not, to is gone.
function copyPackage(name, digest, to) {
  const from = path.join(final, 'node_modules', name);
  try {
    const entry = onDiskEntry(name);
    if (entry === undefined || entry.digest !== digest) return false;
    const files = fs.readdirSync(from).filter((f) => f === 'package.json' || f.startsWith('.jsii'));
    // The file the kernel resolves the package's name to: node's own
    // resolution, made when the snapshot was built (build.js), since
    // the kernel's goes through the snapshot's (below).
    if (typeof entry.main !== 'string' || entry.main === '' || path.isAbsolute(entry.main)) return false;
    // Within the package, wherever its ".." lead.
    const main = path.relative(from, path.resolve(from, entry.main));
    if (main === '' || main === '..' || main.startsWith(`..${path.sep}`) || path.isAbsolute(main)) return false;
    files.push(main);
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
      try {
        fs.linkSync(path.join(from, f), path.join(to, f)); // the file, whatever replaces its name
      } catch {
        fs.copyFileSync(path.join(from, f), path.join(to, f)); // another file system
      }
    }
    const after = onDiskEntry(name);
    if (after !== undefined && after.digest === digest) return true;
  } catch {
    // extracted as without a snapshot
  }
  fs.rmSync(to, { recursive: true, force: true });
  return false;
}

// adopt waits, in a kernel internal/jsiienv started ahead (Prestart),
// for the Go process to write the path of the kernel script on stdin, as
// a JSON string on a line, then for the launcher jsii starts to write its
// process ID there, and returns the script's path and the descriptors of
// jsii's pipes, the launcher's stdin, stdout and stderr, which it keeps
// as its descriptors 7, 8 and 9, opened through /proc, having told the
// launcher (SIGUSR1). listed is
// TELEPACE_KERNEL_ADOPT: the variables the launcher sets itself, a "|",
// and the SHA-256 of the environment jsii starts the launcher with but
// for those (jsiienv's envDigest). When the launcher's is another, or the
// pipes cannot be opened, it tells the launcher to start node itself
// (SIGUSR2) and exits; it exits too when stdin ends unwritten (the Go
// process ended first, or stopped it).
function adopt(listed) {
  const bar = listed.lastIndexOf('|');
  const except = new Set(listed.slice(0, bar).split(','));
  const digest = listed.slice(bar + 1);
  const buf = Buffer.alloc(4096);
  const lines = [];
  let rest = Buffer.alloc(0);
  while (lines.length < 2) {
    let n = 0;
    try {
      n = fs.readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      if (e && e.code === 'EAGAIN') continue;
    }
    if (n === 0) process.exit(0);
    rest = Buffer.concat([rest, buf.subarray(0, n)]);
    for (let nl = rest.indexOf(10); nl >= 0 && lines.length < 2; nl = rest.indexOf(10)) {
      lines.push(rest.subarray(0, nl).toString('utf8'));
      rest = rest.subarray(nl + 1);
    }
  }
  let program;
  try {
    program = JSON.parse(lines[0]);
  } catch {
    process.exit(0);
  }
  if (typeof program !== 'string' || !path.isAbsolute(program)) process.exit(0);
  const pid = Number(lines[1].trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) process.exit(0);
  const debug = (msg) => {
    if (process.env.TELEPACE_KERNEL_SNAPSHOT_DEBUG) fs.writeSync(2, `kernel snapshot: started ahead; ${msg}\n`);
  };
  try {
    const entries = [];
    const environ = fs.readFileSync(`/proc/${pid}/environ`);
    for (let i = 0; i < environ.length;) {
      let end = environ.indexOf(0, i);
      if (end < 0) end = environ.length;
      const kv = environ.subarray(i, end);
      const eq = kv.indexOf(0x3d);
      if (kv.length > 0 && !except.has(kv.subarray(0, eq < 0 ? kv.length : eq).toString('latin1'))) entries.push(kv);
      i = end + 1;
    }
    entries.sort(Buffer.compare);
    const sum = crypto.createHash('sha256');
    entries.forEach((kv, i) => {
      if (i > 0) sum.update(Buffer.from([0]));
      sum.update(kv);
    });
    if (sum.digest('hex') !== digest) throw new Error('the launcher has another environment');
    const { O_RDONLY, O_WRONLY } = fs.constants;
    const pipes = {
      in: fs.openSync(`/proc/${pid}/fd/7`, O_RDONLY),
      out: fs.openSync(`/proc/${pid}/fd/8`, O_WRONLY),
      err: fs.openSync(`/proc/${pid}/fd/9`, O_WRONLY),
    };
    process.kill(pid, 'SIGUSR1');
    debug('adopted');
    return { pipes, program };
  } catch (e) {
    debug(`not adopted: ${e && e.message}`);
    try {
      process.kill(pid, 'SIGUSR2');
    } catch {
      // gone
    }
    process.exit(0);
  }
}

v8.startupSnapshot.setDeserializeMainFunction(() => {
  building = false;
  const listed = process.env.TELEPACE_KERNEL_ADOPT;
  delete process.env.TELEPACE_KERNEL_ADOPT;
  const adopted = listed === undefined ? undefined : adopt(listed);
  const pipes = adopted && adopted.pipes;
  // Tell the launcher the kernel's script runs: from here on, node
  // started from the snapshot.
  const started = process.env.TELEPACE_KERNEL_STARTED;
  delete process.env.TELEPACE_KERNEL_STARTED;
  if (started) {
    try {
      fs.writeFileSync(started, '');
    } catch {
      // the launcher falls back to starting without the snapshot
    }
  }
  // The kernel script: a kernel started ahead has no script argument.
  const current = adopted ? adopted.program : process.argv[1];
  if (adopted) process.argv.splice(1, 0, current);
  const verified = new Set();
  const taken = new Set();
  const loads = [];
  prepare(current, (name, version, digest) => {
    loads.push({ name, version, digest });
    const p = packages.get(name);
    if (p !== undefined && p.version === version && p.digest === digest) verified.add(name);
  }, pipes);
  // A package the kernel loaded from its files (not in the snapshot, or
  // from another tarball) is in the snapshot the next run starts from.
  const rebuild = process.env.TELEPACE_KERNEL_SNAPSHOT_BUILD;
  const scripts = process.env.TELEPACE_KERNEL_SCRIPTS;
  delete process.env.TELEPACE_KERNEL_SNAPSHOT_BUILD;
  process.on('exit', (code) => {
    if (code !== 0 || !rebuild || !scripts || loads.every((l) => taken.has(l.name))) return;
    // At most once an hour: two programs that load different tarballs
    // (two checkouts of other versions) would otherwise rebuild it on
    // every run, each for the other.
    try {
      if (Date.now() - fs.statSync(path.join(final, 'manifest.json')).mtimeMs < rebuildAfter) return;
    } catch {
      return; // gone: the next run builds it
    }
    // A package taken from the snapshot is in this run's temporary
    // directory only as the few files the kernel reads (copyPackage): it
    // comes from the snapshot, with those this run did not load.
    const extracted = loads.filter((l) => !taken.has(l.name));
    const previous = manifest.packages.filter((p) => !extracted.some((l) => l.name === p.name));
    nodeCreateRequire(path.join(scripts, 'build.js'))('./build.js')
      .build(rebuild, current, extracted, { from: final, packages: previous });
  });
  const Module = require('module');
  if (sha256(current) !== programDigest) {
    nodeCreateRequire(current)(current);
    return;
  }
  runtimeRequire = nodeCreateRequire(current);
  const marker = '\0telepace-snapshot:';
  Module.createRequire = function (from) {
    const r = nodeCreateRequire.call(this, from);
    const wrapped = function (id) {
      if (typeof id === 'string' && id.startsWith(marker)) return packages.get(id.slice(marker.length)).exports;
      return r(id);
    };
    wrapped.resolve = function (id, options) {
      const file = r.resolve(id, options);
      const p = packages.get(id);
      if (p !== undefined && verified.has(id) && !taken.has(id) && p.dependencies.every((d) => taken.has(d))) {
        taken.add(id);
        const m = new Module(file);
        m.filename = file;
        m.loaded = true;
        m.exports = p.exports;
        Module._cache[file] = m;
        return marker + id;
      }
      if (taken.has(id)) return marker + id;
      return file;
    };
    wrapped.resolve.paths = r.resolve.paths;
    wrapped.cache = r.cache;
    wrapped.main = r.main;
    return wrapped;
  };
  if (process.env.TELEPACE_KERNEL_SNAPSHOT_DEBUG) {
    process.on('exit', () => {
      fs.writeSync(2, `kernel snapshot: packages from the snapshot: ${[...taken].join(', ') || 'none'}\n`);
    });
  }
  for (const id of deferred) {
    const m = webpackCache[id];
    webpackModules[id].call(m.exports, m, m.exports, webpackRequire);
  }
  // The kernel extracts each package it loads into a directory of its
  // own (through jsii's package cache, which links every file), to read
  // its assembly there and resolve its main file. A package the kernel
  // takes from the snapshot (from a tarball of the same SHA-256, its
  // dependencies taken too) is already extracted, in the snapshot's
  // node_modules: the kernel's directory gets hard links to what it reads
  // there (package.json, the assembly's .jsii files, the main file)
  // instead, or copies on another file system. Links to the files, not a
  // link to the directory: another run may replace the snapshot's
  // directory while this kernel runs. The snapshot on disk must still be
  // this one (its manifest names this tarball) before and after; when it
  // is not, or anything fails, the package is extracted as without a
  // snapshot.
  const tar = Object.values(webpackCache).find((m) => m && m.exports &&
    typeof m.exports.extract === 'function' && typeof m.exports.setPackageCacheEnabled === 'function');
  if (tar !== undefined) {
    const extract = tar.exports.extract;
    tar.exports.extract = function (tarball, outDir, options, name, version, ...rest) {
      const p = packages.get(name);
      if (p !== undefined && p.version === version && verified.has(name) && p.dependencies.every((d) => taken.has(d)) &&
          copyPackage(name, p.digest, outDir)) {
        return {};
      }
      return extract.call(this, tarball, outDir, options, name, version, ...rest);
    };
  }
  webpackRequire(mainID);
});
