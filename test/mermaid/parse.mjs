// Parses each Mermaid diagram file given as an argument with Mermaid's own
// parser (the version package-lock.json pins) and prints one line per file:
//
//   <file>: ok <diagram type>
//   <file>: error <first line of the message>   (the full message follows, indented)
//
// Exits 1 when any file fails to parse or read, 2 on a usage error.
// mermaid expects a browser; jsdom gives it a window and a document, which
// must exist before mermaid is imported.
import fs from 'node:fs';
import { JSDOM } from 'jsdom';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node parse.mjs FILE...');
  process.exit(2);
}

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let failed = 0;
for (const file of files) {
  try {
    const result = await mermaid.parse(fs.readFileSync(file, 'utf8'));
    console.log(`${file}: ok ${result.diagramType}`);
  } catch (e) {
    failed++;
    const lines = String((e && e.message) || e).split('\n');
    console.log(`${file}: error ${lines[0]}`);
    for (const line of lines.slice(1)) console.log(`    ${line}`);
  }
}
process.exit(failed ? 1 : 0);
