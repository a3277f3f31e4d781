// Comunica (@comunica/query-sparql, pinned in package-lock.json) reading fedcat's DCAT-AP export
// as an RDF source, as a consumer would: it is given one URL and follows the Hydra links of the
// page named by that URL. Prints the distinct dcat:Dataset it found and the pages it read.
// Usage: node count.js URL
const { QueryEngine } = require('@comunica/query-sparql');

async function main() {
  const url = process.argv[2];
  const engine = new QueryEngine();
  const stream = await engine.queryBindings(
    'SELECT DISTINCT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }',
    { sources: [url], lenient: false },
  );
  const datasets = new Set();
  for (const binding of await stream.toArray()) {
    datasets.add(binding.get('d').value);
  }
  console.log(JSON.stringify({ source: url, datasets: datasets.size }));
  console.log('comunica done');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
