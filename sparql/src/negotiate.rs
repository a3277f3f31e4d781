//! Content negotiation, the one fedcat uses everywhere: query results (SPARQL 1.1 Protocol
//! §2.1.3 leaves it to HTTP), the DCAT export, dereferenced IRIs and the dataset API. `Accept`
//! is read as RFC 9110 §12.5.1 says: media ranges ordered by their `q`, ties in the client's
//! order, `q=0` refused, `type/*` and `*/*` ranges.

use oxigraph::io::{JsonLdProfileSet, RdfFormat};
use oxigraph::sparql::results::QueryResultsFormat;

/// The media type of a request's body: the `Content-Type` header without its parameters,
/// lower-cased (RFC 9110 §8.3.1: type and subtype are case-insensitive); empty without one.
pub fn content_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// One media range of an `Accept` header with its quality.
struct Range<'a> {
    media: &'a str,
    quality: f32,
}

fn parse_accept(header: &str) -> Vec<Range<'_>> {
    let mut ranges: Vec<Range<'_>> = header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let media = pieces.next()?.trim();
            if media.is_empty() {
                return None;
            }
            let quality = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            Some(Range { media, quality })
        })
        .filter(|r| r.quality > 0.0)
        .collect();
    // Stable sort: equal qualities keep the client's order.
    ranges.sort_by(|a, b| b.quality.total_cmp(&a.quality));
    ranges
}

/// Picks the first offered format the client accepts. `offers` lists (media type, value) in
/// the server's order of preference; the first one is the default for `*/*` or no header.
pub fn choose<T: Copy>(accept: Option<&str>, offers: &[(&str, T)]) -> Option<T> {
    let Some(header) = accept.filter(|h| !h.trim().is_empty()) else {
        return offers.first().map(|(_, v)| *v);
    };
    for range in parse_accept(header) {
        let media = range.media.to_ascii_lowercase();
        if media == "*/*" {
            return offers.first().map(|(_, v)| *v);
        }
        if let Some(prefix) = media.strip_suffix("/*") {
            if let Some((_, v)) = offers
                .iter()
                .find(|(m, _)| m.starts_with(&format!("{prefix}/")))
            {
                return Some(*v);
            }
            continue;
        }
        if let Some((_, v)) = offers.iter().find(|(m, _)| *m == media) {
            return Some(*v);
        }
    }
    None
}

/// The results format for SELECT/ASK, JSON by default.
pub fn results_format(accept: Option<&str>) -> Option<QueryResultsFormat> {
    choose(
        accept,
        &[
            ("application/sparql-results+json", QueryResultsFormat::Json),
            ("application/json", QueryResultsFormat::Json),
            ("application/sparql-results+xml", QueryResultsFormat::Xml),
            ("application/xml", QueryResultsFormat::Xml),
            ("text/xml", QueryResultsFormat::Xml),
            ("text/csv", QueryResultsFormat::Csv),
            ("text/tab-separated-values", QueryResultsFormat::Tsv),
        ],
    )
}

/// The RDF serialisations fedcat writes, by their own media type, Turtle first (the default).
pub fn rdf_offers() -> [(&'static str, RdfFormat); 4] {
    [
        ("text/turtle", RdfFormat::Turtle),
        ("application/n-triples", RdfFormat::NTriples),
        ("application/rdf+xml", RdfFormat::RdfXml),
        (
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: JsonLdProfileSet::empty(),
            },
        ),
    ]
}

/// The RDF format for CONSTRUCT/DESCRIBE, Turtle by default; the generic media types a SPARQL
/// client may send (`text/plain`, `application/xml`, `application/json`) are read as their RDF
/// serialisation.
pub fn graph_format(accept: Option<&str>) -> Option<RdfFormat> {
    let [turtle, n_triples, rdf_xml, json_ld] = rdf_offers();
    choose(
        accept,
        &[
            turtle,
            n_triples,
            ("text/plain", n_triples.1),
            rdf_xml,
            ("application/xml", rdf_xml.1),
            json_ld,
            ("application/json", json_ld.1),
        ],
    )
}

/// The RDF format for a graph fedcat serves (export, dereferenced IRI), with the media type
/// it is answered with; Turtle by default.
pub fn rdf_answer(accept: Option<&str>) -> Option<(&'static str, RdfFormat)> {
    // The RDF media types only: the generic aliases SPARQL results accept (`application/xml`,
    // `application/json`, `text/plain`) would give a browser, which sends `application/xml`
    // at q=0.9, RDF/XML instead of its fallback.
    choose(accept, &rdf_offers()).map(|format| (format.media_type(), format))
}

/// Whether the client prefers an HTML page to any RDF format (a browser): `text/html` ranks
/// above every RDF media type, by quality then by the client's order; `*/*` alone is not.
pub fn prefers_html(accept: Option<&str>) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Answer {
        Rdf,
        Html,
    }
    let offers: Vec<(&str, Answer)> = rdf_offers()
        .iter()
        .map(|(media, _)| (*media, Answer::Rdf))
        .chain([("text/html", Answer::Html)])
        .collect();
    choose(accept, &offers) == Some(Answer::Html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_prefers_html_a_client_asking_for_rdf_does_not() {
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert!(prefers_html(Some(firefox)));
        assert!(!prefers_html(Some("text/turtle, text/html")));
        assert!(prefers_html(Some("text/turtle;q=0.5, text/html")));
        assert!(!prefers_html(Some("*/*")));
        assert!(!prefers_html(None));
        assert_eq!(
            rdf_answer(Some("application/ld+json;q=0.4, application/rdf+xml;q=0.9")),
            Some(("application/rdf+xml", RdfFormat::RdfXml))
        );
        assert_eq!(
            rdf_answer(None).map(|(media, _)| media),
            Some("text/turtle")
        );
        assert_eq!(rdf_answer(Some("image/png")), None);
        // A browser gets no RDF/XML for its `application/xml`: it is an alias of results only.
        assert_eq!(
            rdf_answer(Some(
                "text/html,application/xhtml+xml,application/xml;q=0.9"
            )),
            None
        );
    }

    #[test]
    fn quality_orders_choices() {
        assert_eq!(
            results_format(Some("text/csv;q=0.5, application/sparql-results+xml")),
            Some(QueryResultsFormat::Xml)
        );
        assert_eq!(results_format(None), Some(QueryResultsFormat::Json));
        assert_eq!(results_format(Some("image/png")), None);
        assert_eq!(graph_format(Some("text/*")), Some(RdfFormat::Turtle));
    }
}
