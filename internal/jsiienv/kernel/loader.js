'use strict';
// Written by internal/jsiienv. A small CommonJS loader for the snapshot
// builder (snapshot.js): node's own loader may not load files into a
// start-up snapshot, so the packages it preloads are evaluated here, each
// file with new Function, resolved by relative path, package.json's main
// or exports, and node_modules; the packages of `roots` resolve to their
// directories wherever they are required from, as the jsii kernel
// installs them side by side. Node's built-in modules come from
// builtinRequire. Paths are the packages' paths once the snapshot is in
// place; onDisk maps one to where the file is while it is built.
const fs = require('fs');
const path = require('path');

// The built-in modules the packages may require. Node 20's snapshot
// builder has no module.builtinModules.
const builtins = new Set([
  'assert', 'buffer', 'child_process', 'constants', 'crypto', 'dns', 'events', 'fs', 'fs/promises',
  'http', 'https', 'net', 'os', 'path', 'process', 'punycode', 'querystring', 'stream',
  'string_decoder', 'timers', 'tty', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
]);

let onDisk = (p) => p;

function isFile(f) {
  try {
    return fs.statSync(onDisk(f)).isFile();
  } catch {
    return false;
  }
}

function asFile(f) {
  for (const c of [f, f + '.js', f + '.json']) {
    if (isFile(c)) return c;
  }
  return null;
}

// The file a package.json's exports map gives for require, if any.
function exported(e) {
  if (typeof e === 'string') return e;
  if (e === null || typeof e !== 'object') return null;
  if (e['.'] !== undefined) return exported(e['.']);
  return exported(e.node) || exported(e.require) || exported(e.default);
}

function asDir(d) {
  const pj = path.join(d, 'package.json');
  if (isFile(pj)) {
    const p = JSON.parse(fs.readFileSync(onDisk(pj), 'utf8'));
    const main = (p.exports !== undefined && exported(p.exports)) || p.main;
    if (main) {
      const f = asFile(path.join(d, main)) || asFile(path.join(d, main, 'index'));
      if (f) return f;
    }
  }
  return asFile(path.join(d, 'index'));
}

// packageName splits a bare specifier into its package and the rest.
function packageName(id) {
  const parts = id.split('/');
  const n = id.startsWith('@') ? 2 : 1;
  return [parts.slice(0, n).join('/'), parts.slice(n).join('/')];
}

function makeLoader(builtinRequire, roots, disk) {
  if (disk !== undefined) onDisk = disk;
  const cache = new Map();
  function resolve(dir, id) {
    if (builtins.has(id) || id.startsWith('node:')) return id;
    let found = null;
    if (id === '.' || id === '..' || id.startsWith('./') || id.startsWith('../') || id.startsWith('/')) {
      const t = path.resolve(dir, id);
      found = asFile(t) || asDir(t);
    } else {
      const [pkg, rest] = packageName(id);
      if (Object.prototype.hasOwnProperty.call(roots, pkg)) {
        const t = path.join(roots[pkg], rest);
        found = asFile(t) || asDir(t);
      }
      for (let d = dir; found === null; d = path.dirname(d)) {
        if (path.basename(d) !== 'node_modules') {
          const t = path.join(d, 'node_modules', id);
          found = asFile(t) || asDir(t);
        }
        if (d === path.dirname(d)) break;
      }
    }
    if (found === null) {
      const err = new Error(`Cannot find module '${id}' from ${dir}`);
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    }
    return found;
  }
  function load(file) {
    if (builtins.has(file) || file.startsWith('node:')) return builtinRequire(file);
    let m = cache.get(file);
    if (m) return m.exports;
    m = { exports: {}, id: file, filename: file, loaded: false, children: [], paths: [] };
    cache.set(file, m);
    if (file.endsWith('.json')) {
      m.exports = JSON.parse(fs.readFileSync(onDisk(file), 'utf8'));
    } else {
      let src = fs.readFileSync(onDisk(file), 'utf8');
      if (src.startsWith('#!')) src = '//' + src;
      const dir = path.dirname(file);
      const req = (id) => load(resolve(dir, id));
      req.resolve = (id) => resolve(dir, id);
      new Function('exports', 'require', 'module', '__filename', '__dirname', `${src}\n//# sourceURL=${file.replace(/[\r\n\u2028\u2029]/g, ' ')}`)
        .call(m.exports, m.exports, req, m, file, dir);
    }
    m.loaded = true;
    return m.exports;
  }
  return { load, resolve, cache };
}

module.exports = { makeLoader };
