// rdf-test-suite engine adapter for fedcat: the protocol and service-description tests are run
// against the running endpoint named by FEDCAT_SPARQL (e.g. http://127.0.0.1:PORT/sparql).
// Query-evaluation tests need each test's data loaded, which a read-only endpoint does not
// allow: this adapter does not run them (parse and query reject).
const endpoint = process.env.FEDCAT_SPARQL;

function running() {
  if (!endpoint) {
    throw new Error('FEDCAT_SPARQL is not set');
  }
  return { endpoint, close: async () => {} };
}

module.exports = {
  parse: async () => {
    throw new Error('fedcat adapter: syntax tests are not run through this adapter');
  },
  query: async () => {
    throw new Error('fedcat adapter: query-evaluation tests need a data-loading endpoint');
  },
  startProtocolEndpoint: async () => running(),
  startServiceDescriptionEndpoint: async () => running(),
};
