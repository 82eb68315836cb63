'use strict';
// Written by internal/jsiienv. Prepares the node process that runs jsii's
// kernel, program being this run's lib/program.js; the launcher's preload
// (shim.js) and the start-up snapshot (snapshot.js) both call it.
//
// On the Node.js release whose end-of-life banner jsii is told to silence
// (the only notice jsii's entry point would print for it), it maps the
// kernel's reads of descriptor 3 to stdin. On any other release it runs
// jsii's own entry point, which checks the release and prints its
// notices, with stdout on descriptor 3, and exits with its status: the
// stock two-process runtime.
//
// The Go process owns the kernel's life: it stops it by closing its pipes
// (jsii.Close), also on SIGINT and SIGTERM. So the kernel ignores those two
// signals, which a terminal's Ctrl-C or a kill of the process group would
// otherwise deliver to it too (node would die mid-call, and jsii print
// "Runtime process exited abnormally" into synth's one line). A write to a
// pipe the Go process closed (EPIPE, when it stops the kernel during a
// call) ends the kernel quietly, instead of with an uncaught exception
// that prints the minified kernel's source line, hundreds of kilobytes.
//
// Node started the kernel without NODE_EXTRA_CA_CERTS, which the launcher
// and internal/jsiienv's Prestart pass as TELEPACE_KERNEL_EXTRA_CA_CERTS
// instead: node reads every certificate of that file as it starts, and the
// kernel makes no TLS connection of its own. prepare puts it back, for the
// processes the kernel starts (jsii's own entry point among them).
//
// onLoad, if given, is called with the name, version and SHA-256 (hex) of
// the tarball of every package the kernel is asked to load, when the
// kernel reads the request, before it acts on it.
//
// pipes, if given, are the descriptors of jsii's pipes when they are not
// the process's own (a kernel started ahead, which a launcher hands them
// to: see snapshot.js): { in, out, err }, which the kernel's reads of
// descriptor 3, its writes to 3 and its writes to 2 go to.
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const supportedMajor = '__SUPPORTED_NODE_MAJOR__';
const endOfLifeVariable = '__END_OF_LIFE_VARIABLE__';

function prepare(program, onLoad, pipes) {
  if (process.env.TELEPACE_KERNEL_EXTRA_CA_CERTS !== undefined) {
    process.env.NODE_EXTRA_CA_CERTS = process.env.TELEPACE_KERNEL_EXTRA_CA_CERTS;
    delete process.env.TELEPACE_KERNEL_EXTRA_CA_CERTS;
  }
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const io = pipes || { in: 0, out: 3, err: 2 };
  const writeSync = fs.writeSync;
  fs.writeSync = function (fd, ...rest) {
    try {
      return writeSync.call(this, fd === 3 ? io.out : fd === 2 ? io.err : fd, ...rest);
    } catch (e) {
      if (e && e.code === 'EPIPE') process.exit(0);
      throw e;
    }
  };
  const major = process.versions.node.split('.')[0];
  const silenced = (process.env[endOfLifeVariable] || '').split(',').map((v) => v.trim());
  if (major !== supportedMajor || !silenced.includes(major)) {
    const entry = path.join(path.dirname(program), '..', 'bin', 'jsii-runtime.js');
    const r = require('child_process').spawnSync(process.execPath, [entry], { stdio: [io.in, io.out, io.err], detached: true });
    process.exit(r.status === null ? 1 : r.status);
  }
  const watch = onLoad === undefined ? null : loadWatcher(onLoad);
  const readSync = fs.readSync;
  fs.readSync = function (fd, buffer, ...rest) {
    const n = readSync.call(this, fd === 3 ? io.in : fd, buffer, ...rest);
    if (watch !== null && fd === 3 && n > 0) {
      const offset = typeof rest[0] === 'number' ? rest[0] : (rest[0] && rest[0].offset) || 0;
      watch(buffer, offset, offset + n);
    }
    return n;
  };
}

// loadWatcher returns a function that reads the kernel's requests as they
// arrive, one JSON object a line, and hands the load requests to onLoad.
// A line is kept only when it starts as jsii-runtime-go writes a load
// request; every other line, a batch of objects among them, is skipped as
// it goes, without being decoded.
function loadWatcher(onLoad) {
  const prefix = '{"api":"load"';
  let mode = 'head'; // reading a line's start; then 'keep' or 'skip'
  let head = '';
  let kept = [];
  return function (buffer, start, end) {
    for (let i = start; i < end; ) {
      const nl = buffer.indexOf(10, i);
      const stop = nl < 0 || nl >= end ? end : nl;
      let from = i;
      if (mode === 'head') {
        const n = Math.min(stop - from, prefix.length - head.length);
        head += buffer.toString('latin1', from, from + n);
        from += n;
        if (head.length === prefix.length) {
          mode = head === prefix ? 'keep' : 'skip';
          if (mode === 'keep') kept = [Buffer.from(head, 'latin1')];
        }
      }
      if (mode === 'keep' && from < stop) kept.push(Buffer.from(buffer.subarray(from, stop)));
      if (stop < end) {
        if (mode === 'keep') loaded(Buffer.concat(kept).toString('utf8'));
        mode = 'head';
        head = '';
        kept = [];
      }
      i = stop + 1;
    }
  };
  function loaded(line) {
    let req;
    try {
      req = JSON.parse(line);
    } catch {
      return;
    }
    if (req.api !== 'load' || typeof req.tarball !== 'string') return;
    let digest;
    try {
      digest = sha256(req.tarball);
    } catch {
      return; // the kernel reports the missing tarball itself
    }
    onLoad(req.name, req.version, digest);
  }
}

// sha256 returns the SHA-256 of a file's bytes, in hex.
function sha256(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

module.exports = { prepare, sha256 };
