//! The IRIs fedcat mints under its public base IRI (DESIGN.md, Data model): record graphs,
//! datasets and distributions of JSON sources, catalogues, jobs.

use crate::CatalogError;
use oxigraph::model::NamedNode;

/// Builds every IRI fedcat mints from the configured base IRI.
#[derive(Debug, Clone)]
pub struct IriMinter {
    base: String,
}

/// Characters kept as they are in a path segment; everything else is percent-encoded, so a
/// record key that is itself an IRI (DCAT sources) still gives one valid segment.
fn is_segment_safe(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~')
}

/// Percent-encodes `text` as a single IRI path segment.
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if is_segment_safe(byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The text of a segment [`encode_segment`] wrote; `None` when it is not percent-encoded UTF-8.
pub fn decode_segment(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl IriMinter {
    /// A minter for `base` (trailing slashes are ignored). The base must be an absolute IRI.
    pub fn new(base: &str) -> Result<Self, CatalogError> {
        let base = base.trim_end_matches('/').to_owned();
        NamedNode::new(format!("{base}/")).map_err(|e| CatalogError::InvalidIri {
            iri: base.clone(),
            reason: e.to_string(),
        })?;
        Ok(Self { base })
    }

    /// The base IRI, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn mint(&self, path: String) -> NamedNode {
        // Every segment is encoded and the base was checked, so the IRI is valid.
        NamedNode::new_unchecked(format!("{}/{path}", self.base))
    }

    /// `{base}/graph/{source}/{record-key}`: the named graph holding one record.
    pub fn record_graph(&self, source: &str, record_key: &str) -> NamedNode {
        self.mint(format!(
            "graph/{}/{}",
            encode_segment(source),
            encode_segment(record_key)
        ))
    }

    /// The (source, record key) of a record graph this minter names ([`Self::record_graph`]);
    /// `None` for any other IRI, the links, meta and quality graphs included.
    pub fn record_of_graph(&self, graph: &str) -> Option<(String, String)> {
        let rest = graph.strip_prefix(&self.base)?.strip_prefix("/graph/")?;
        // Both segments are encoded, so a record graph has exactly two.
        let (source, key) = rest.split_once('/')?;
        if key.contains('/') || matches!(source, "quality" | "links" | "meta") {
            return None;
        }
        Some((decode_segment(source)?, decode_segment(key)?))
    }

    /// `{base}/graph/links`: the graph holding duplicate clusters and their evidence.
    pub fn links_graph(&self) -> NamedNode {
        self.mint("graph/links".to_owned())
    }

    /// `{base}/graph/quality/{source}/{record-key}`: the last quality assessment of a record.
    pub fn quality_graph(&self, source: &str, record_key: &str) -> NamedNode {
        self.mint(format!(
            "graph/quality/{}/{}",
            encode_segment(source),
            encode_segment(record_key)
        ))
    }

    /// `{base}/graph/quality-metrics`: the metric definitions and the score table.
    pub fn quality_metrics_graph(&self) -> NamedNode {
        self.mint("graph/quality-metrics".to_owned())
    }

    /// `{base}/id/cluster/{id}`: a cluster of records describing one dataset.
    pub fn cluster(&self, id: &str) -> NamedNode {
        self.mint(format!("id/cluster/{}", encode_segment(id)))
    }

    /// `{base}/graph/meta`: the graph holding catalogues, jobs and record provenance.
    pub fn meta_graph(&self) -> NamedNode {
        self.mint("graph/meta".into())
    }

    /// `{base}/id/catalog`: the unified catalogue.
    pub fn catalog(&self) -> NamedNode {
        self.mint("id/catalog".into())
    }

    /// `{base}/id/catalog/{source}`: the catalogue of one source.
    pub fn source_catalog(&self, source: &str) -> NamedNode {
        self.mint(format!("id/catalog/{}", encode_segment(source)))
    }

    /// `{base}/id/job/{id}`: one harvest job, a `prov:Activity`.
    pub fn job(&self, job_id: i64) -> NamedNode {
        self.mint(format!("id/job/{job_id}"))
    }

    /// `{base}/id/{kind}/{source}/{local-id}`: an entity minted for a JSON-API record
    /// (`kind` is `dataset`, `distribution`, `agent`, `licence`…).
    pub fn entity(&self, kind: &str, source: &str, local_id: &str) -> NamedNode {
        self.mint(format!(
            "id/{}/{}/{}",
            encode_segment(kind),
            encode_segment(source),
            encode_segment(local_id)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_graph_gives_back_its_source_and_key() {
        let iris = IriMinter::new("http://fedcat.test").unwrap();
        let key = "https://data.example/dataset/a b#é/1";
        let graph = iris.record_graph("datasud", key);
        assert_eq!(
            iris.record_of_graph(graph.as_str()),
            Some(("datasud".to_owned(), key.to_owned()))
        );
        for other in [
            iris.quality_graph("datasud", key),
            iris.links_graph(),
            iris.meta_graph(),
            iris.quality_metrics_graph(),
        ] {
            assert_eq!(iris.record_of_graph(other.as_str()), None, "{other}");
        }
        assert_eq!(iris.record_of_graph("http://other.test/graph/a/b"), None);
    }

    #[test]
    fn record_graph_encodes_iri_keys_into_one_segment() {
        let minter = IriMinter::new("http://localhost:8080/").unwrap();
        let graph = minter.record_graph("datagouv", "https://example.org/ds/1?a=b");
        assert_eq!(
            graph.as_str(),
            "http://localhost:8080/graph/datagouv/https%3A%2F%2Fexample.org%2Fds%2F1%3Fa%3Db"
        );
    }

    #[test]
    fn base_must_be_absolute() {
        assert!(IriMinter::new("not an iri").is_err());
    }
}
