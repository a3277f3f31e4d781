// rdf-test-suite engine adapter for fedcat: every test goes through the running endpoint named
// by FEDCAT_SPARQL (e.g. http://127.0.0.1:PORT/sparql), started with the test-only
// `[sparql] test_data_loading` so that each query-evaluation test can load its data.
//
// Query evaluation: the test's default graph is loaded into the named graph <urn:fedcat:test:default>
// and its named graphs as themselves (fedcat's default graph is the union of all graphs, so the
// test dataset is given with the protocol's default-graph-uri / named-graph-uri, unless the query
// names its own dataset with FROM); the query gets the test's BASE; results come back as
// SPARQL JSON (SELECT, ASK) or N-Triples (CONSTRUCT, DESCRIBE).
const { QueryResultBindings } = require('rdf-test-suite/lib/testcase/sparql/QueryResultBindings');
const { QueryResultBoolean } = require('rdf-test-suite/lib/testcase/sparql/QueryResultBoolean');
const { QueryResultQuads } = require('rdf-test-suite/lib/testcase/sparql/QueryResultQuads');
const { SparqlJsonParser } = require('sparqljson-parse');
const { termToString } = require('rdf-string-ttl');
const N3 = require('n3');

const endpoint = process.env.FEDCAT_SPARQL;
const DEFAULT_GRAPH = 'urn:fedcat:test:default';

function running() {
  if (!endpoint) {
    throw new Error('FEDCAT_SPARQL is not set');
  }
  return { endpoint, close: async () => {} };
}

async function load(data) {
  const graphs = {};
  for (const quad of data) {
    const graph = quad.graph.termType === 'DefaultGraph' ? `<${DEFAULT_GRAPH}>` : termToString(quad.graph);
    const triple = `${termToString(quad.subject)} ${termToString(quad.predicate)} ${termToString(quad.object)} .`;
    (graphs[graph] || (graphs[graph] = [])).push(triple);
  }
  const body = `DROP SILENT ALL ;\nINSERT DATA { ${Object.entries(graphs)
    .map(([graph, triples]) => `GRAPH ${graph} { ${triples.join('\n')} }`)
    .join('\n')} }`;
  const response = await fetch(running().endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/sparql-update' },
    body,
  });
  if (!response.ok) {
    throw new Error(`loading the test data failed (HTTP ${response.status}): ${await response.text()}`);
  }
  return Object.keys(graphs).filter(g => g !== `<${DEFAULT_GRAPH}>`).map(g => g.slice(1, -1));
}

function withBase(query, baseIRI) {
  return baseIRI ? `BASE <${baseIRI}>\n${query}` : query;
}

async function send(query, params) {
  const url = new URL(running().endpoint);
  for (const [key, value] of params) {
    url.searchParams.append(key, value);
  }
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/sparql-query',
      accept: 'application/sparql-results+json, application/n-triples;q=0.9',
    },
    body: query,
  });
}

module.exports = {
  // Syntax: the query is sent to the empty endpoint; 400 is fedcat's answer to a syntax error
  // (an evaluation error of a well-formed query is not one).
  parse: async (queryString, options) => {
    await load([]);
    const response = await send(withBase(queryString, options.baseIRI), []);
    if (response.status === 400) {
      throw new Error(`HTTP 400: ${await response.text()}`);
    }
  },
  // CSV and TSV result formats: the endpoint's own serialisation.
  queryResultFormat: async (data, queryString, mediaType, options) => {
    const named = await load(data);
    const url = new URL(running().endpoint);
    url.searchParams.append('default-graph-uri', DEFAULT_GRAPH);
    for (const graph of named) {
      url.searchParams.append('named-graph-uri', graph);
    }
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/sparql-query', accept: mediaType },
      body: withBase(queryString, options.baseIRI),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}: ${text}`);
    }
    return require('node:stream').Readable.from([ text ]);
  },
  query: async (data, queryString, options) => {
    const named = await load(data);
    // FROM / FROM NAMED in the query define its dataset; otherwise the protocol gives it.
    const ownDataset = /\bFROM\b/iu.test(queryString.replace(/<[^>]*>/gu, '').replace(/"[^"]*"/gu, ''));
    const params = ownDataset ? [] : [
      [ 'default-graph-uri', DEFAULT_GRAPH ],
      ...named.map(graph => [ 'named-graph-uri', graph ]),
    ];
    const response = await send(withBase(queryString, options.baseIRI), params);
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`HTTP ${response.status}: ${text}`);
    }
    const contentType = response.headers.get('content-type') || '';
    if (contentType.startsWith('application/sparql-results+json')) {
      const json = JSON.parse(text);
      const parser = new SparqlJsonParser({ prefixVariableQuestionMark: true });
      if ('boolean' in json) {
        return new QueryResultBoolean(parser.parseJsonBoolean(json));
      }
      const variables = json.head.vars.map(v => `?${v}`);
      return new QueryResultBindings(variables, parser.parseJsonResults(json), options.checkOrder);
    }
    const quads = new N3.Parser({ format: 'N-Triples' }).parse(text);
    return new QueryResultQuads(quads);
  },
  startProtocolEndpoint: async () => running(),
  startServiceDescriptionEndpoint: async () => running(),
};
