// The TypeScript-side anchor of `make bench`: cdk8s (the same version the
// Go bindings run in their jsii kernel) synthesising the objects of a JSON
// fixture exported by bench/synthgo, one ApiObject per object, one chart
// per environment, into an output directory. Timed as a whole process,
// node start and require('cdk8s') included.
//
//   node synth.js <fixture.json> <outdir>
'use strict';
const fs = require('fs');
const { App, Chart, ApiObject, YamlOutputType } = require('cdk8s');

const [fixture, outdir] = process.argv.slice(2);
if (!fixture || !outdir) {
  console.error('usage: node synth.js <fixture.json> <outdir>');
  process.exit(2);
}
const charts = JSON.parse(fs.readFileSync(fixture, 'utf8'));
const app = new App({ outdir, outputFileExtension: '.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
for (const [name, objects] of Object.entries(charts)) {
  const chart = new Chart(app, name, { disableResourceNameHashes: true });
  objects.forEach((obj, i) => {
    new ApiObject(chart, `o${i}`, obj);
  });
}
app.synth();
