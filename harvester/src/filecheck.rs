//! What a downloaded file is, judged from its first bytes within a byte budget: the format it
//! really has (sniffed from magic numbers and syntax, not from its name or the server's
//! `Content-Type`), whether it parses (JSON, XML, RDF, CSV), its digests when it was read
//! whole, and whether an RDF file links to other sites (the fifth star). The link checker
//! fetches the bytes; this module only looks at them.

use md5::Digest as _;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::Term;
use sha2::Digest as _;

/// What was learnt from one downloaded file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSample {
    /// Bytes read (at most the budget).
    pub bytes_read: u64,
    /// The whole file was read (it ended within the budget).
    pub complete: bool,
    /// The format found, as an EU file-type code (`CSV`, `JSON`, `GEOJSON`, `RDF_XML`, `PDF`…).
    pub sniffed: Option<&'static str>,
    /// The file parses in its sniffed format; `None` when that format has no syntax check here
    /// or the file was not read whole and its format cannot be checked on a prefix.
    pub syntax_valid: Option<bool>,
    /// The parser's complaint, when it failed.
    pub syntax_error: Option<String>,
    /// An RDF file has IRIs on other hosts than its own (linked data, the fifth star).
    pub external_links: Option<bool>,
    /// Digests of a file read whole: MD5, SHA-1, SHA-256, lower-case hex.
    pub digests: Option<[String; 3]>,
}

fn skip_preamble(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn lower_prefix(bytes: &[u8], length: usize) -> Vec<u8> {
    bytes[..bytes.len().min(length)].to_ascii_lowercase()
}

/// The format of a file from its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF", "PDF"),
        (b"\x1F\x8B", "GZIP"),
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "XLS"),
        (b"\x89PNG", "PNG"),
        (b"\xFF\xD8\xFF", "JPEG"),
        (b"GIF8", "GIF"),
        (b"PAR1", "PARQUET"),
        (b"SQLite format 3", "SQLITE"),
        (b"\x00\x00\x27\x0A", "SHP"),
        (b"7z\xBC\xAF", "7Z"),
        (b"Rar!", "RAR"),
    ];
    if bytes.is_empty() {
        return None;
    }
    if let Some((_, code)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
        return Some(code);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        // Office Open XML and OpenDocument files are zip archives that name their parts early.
        let head = &bytes[..bytes.len().min(4096)];
        return Some(if contains(head, b"xl/") {
            "XLSX"
        } else if contains(head, b"word/") {
            "DOCX"
        } else if contains(head, b"ppt/") {
            "PPTX"
        } else if contains(head, b"opendocument.spreadsheet") {
            "ODS"
        } else if contains(head, b"opendocument.text") {
            "ODT"
        } else {
            "ZIP"
        });
    }
    let text = skip_preamble(bytes);
    let lower = lower_prefix(text, 2048);
    if lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html") {
        return Some("HTML");
    }
    if text.starts_with(b"<") {
        return Some(
            if contains(&lower, b"<rdf:rdf") || contains(&lower, b"xmlns:rdf=") {
                "RDF_XML"
            } else if contains(&lower, b"<html") {
                "HTML"
            } else if contains(&lower, b"<kml") {
                "KML"
            } else if contains(&lower, b"<gpx") {
                "GPX"
            } else {
                "XML"
            },
        );
    }
    if text.starts_with(b"{") || text.starts_with(b"[") {
        let compact: Vec<u8> = lower.iter().copied().filter(|b| *b != b' ').collect();
        return Some(if contains(&compact, b"\"@context\"") {
            "JSON_LD"
        } else if contains(&compact, b"\"type\":\"featurecollection\"")
            || contains(&compact, b"\"type\":\"feature\"")
        {
            "GEOJSON"
        } else {
            "JSON"
        });
    }
    if lower.starts_with(b"@prefix") || lower.starts_with(b"@base") || lower.starts_with(b"prefix ")
    {
        return Some("RDF_TURTLE");
    }
    if text.iter().take(4096).any(|b| *b == 0) {
        return Some("BIN");
    }
    Some(if delimiter(text).is_some() {
        "CSV"
    } else {
        "TXT"
    })
}

/// The delimiter of a delimited text file: the most frequent of `,`, `;`, tab and `|` on the
/// first line, when it also appears on the second.
fn delimiter(text: &[u8]) -> Option<u8> {
    let mut lines = text.split(|b| *b == b'\n');
    let first = lines.next()?;
    let second = lines.next().filter(|l| !l.is_empty());
    [b',', b';', b'\t', b'|']
        .into_iter()
        .map(|d| (d, first.iter().filter(|b| **b == d).count()))
        .filter(|(d, n)| *n > 0 && second.is_none_or(|l| l.contains(d)))
        .max_by_key(|(_, n)| *n)
        .map(|(d, _)| d)
}

/// Every row of a delimited file has the header's number of fields. A file read only in part
/// is checked on its complete lines.
fn check_csv(bytes: &[u8], complete: bool) -> Result<(), String> {
    let text = skip_preamble(bytes);
    let text = if complete {
        text
    } else {
        match text.iter().rposition(|b| *b == b'\n') {
            Some(end) => &text[..end],
            None => return Ok(()),
        }
    };
    let delimiter = delimiter(text).unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(false)
        .from_reader(text);
    for record in reader.byte_records() {
        if let Err(error) = record {
            // A partial read may cut a quoted field that spans lines: not the file's fault.
            if !complete && matches!(error.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                let line = error.position().map_or(0, csv::Position::line);
                let lines = text.iter().filter(|b| **b == b'\n').count() as u64;
                if line + 1 >= lines {
                    return Ok(());
                }
            }
            return Err(error.to_string());
        }
    }
    Ok(())
}

fn check_xml(bytes: &[u8]) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buffer = Vec::new();
    let mut depth: i64 = 0;
    let mut roots = 0;
    loop {
        match reader.read_event_into(&mut buffer) {
            Ok(quick_xml::events::Event::Start(_)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(quick_xml::events::Event::Empty(_)) if depth == 0 => roots += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(error) => {
                return Err(format!("at byte {}: {error}", reader.error_position()));
            }
        }
        buffer.clear();
    }
    match (depth, roots) {
        (0, 1) => Ok(()),
        (0, 0) => Err("no root element".into()),
        (0, _) => Err("more than one root element".into()),
        _ => Err("the document ends inside an element".into()),
    }
}

/// Parses an RDF file; true when some IRI is on another host than the file's.
fn check_rdf(bytes: &[u8], format: RdfFormat, url: &str) -> Result<bool, String> {
    let own_host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let mut external = false;
    let parser = RdfParser::from_format(format)
        .with_base_iri(url)
        .unwrap_or_else(|_| RdfParser::from_format(format));
    for quad in parser.for_slice(bytes) {
        let quad = quad.map_err(|e| e.to_string())?;
        if external {
            continue;
        }
        let iris = [
            match &quad.subject {
                oxigraph::model::NamedOrBlankNode::NamedNode(n) => Some(n.as_str()),
                _ => None,
            },
            match &quad.object {
                Term::NamedNode(n) => Some(n.as_str()),
                _ => None,
            },
        ];
        external = iris.into_iter().flatten().any(|iri| {
            url::Url::parse(iri).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().map(str::to_ascii_lowercase) != own_host
                    // Vocabulary terms are not links to other data.
                    && !matches!(
                        u.host_str(),
                        Some("www.w3.org" | "purl.org" | "xmlns.com" | "schema.org")
                    )
            })
        });
    }
    Ok(external)
}

/// Looks at the first `bytes` of the file at `url` (all of it when `complete`).
pub fn analyse(url: &str, bytes: &[u8], complete: bool) -> FileSample {
    let sniffed = sniff(bytes);
    let mut sample = FileSample {
        bytes_read: bytes.len() as u64,
        complete,
        sniffed,
        digests: complete.then(|| {
            [
                hex::encode(md5::Md5::digest(bytes)),
                hex::encode(sha1::Sha1::digest(bytes)),
                hex::encode(sha2::Sha256::digest(bytes)),
            ]
        }),
        ..FileSample::default()
    };
    let rdf_format = match sniffed {
        Some("RDF_XML") => Some(RdfFormat::RdfXml),
        Some("RDF_TURTLE") => Some(RdfFormat::Turtle),
        _ => None,
    };
    let outcome: Option<Result<(), String>> = match sniffed {
        Some("CSV") => Some(check_csv(bytes, complete)),
        // A prefix of a JSON or XML document never parses: judged only when read whole.
        Some("JSON" | "GEOJSON" | "JSON_LD") if complete => Some(
            serde_json::from_slice::<serde::de::IgnoredAny>(skip_preamble(bytes))
                .map(|_| ())
                .map_err(|e| e.to_string()),
        ),
        Some("XML" | "KML" | "GPX") if complete => Some(check_xml(bytes)),
        Some("RDF_XML" | "RDF_TURTLE") if complete => {
            let format = rdf_format.expect("an RDF format");
            Some(check_rdf(bytes, format, url).map(|external| {
                sample.external_links = Some(external);
            }))
        }
        _ => None,
    };
    if let Some(outcome) = outcome {
        sample.syntax_valid = Some(outcome.is_ok());
        sample.syntax_error = outcome.err();
    }
    sample
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_sniffed_from_content_not_names() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("PDF"));
        assert_eq!(sniff(b"\xEF\xBB\xBFa;b;c\n1;2;3\n"), Some("CSV"));
        assert_eq!(
            sniff(b"  {\"type\": \"FeatureCollection\"}"),
            Some("GEOJSON")
        );
        assert_eq!(sniff(b"[{\"a\":1}]"), Some("JSON"));
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><rdf:RDF>"), Some("RDF_XML"));
        assert_eq!(sniff(b"<!DOCTYPE html><html>"), Some("HTML"));
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><root/>"), Some("XML"));
        assert_eq!(
            sniff(b"@prefix dcat: <http://www.w3.org/ns/dcat#> ."),
            Some("RDF_TURTLE")
        );
        assert_eq!(
            sniff(b"PK\x03\x04....[Content_Types].xml xl/workbook.xml"),
            Some("XLSX")
        );
        assert_eq!(sniff(b"just some words\n"), Some("TXT"));
    }

    #[test]
    fn syntax_checks_catch_broken_files() {
        let ok = analyse("https://a.example/x.csv", b"a,b\n1,2\n3,4\n", true);
        assert_eq!((ok.sniffed, ok.syntax_valid), (Some("CSV"), Some(true)));
        let ragged = analyse("https://a.example/x.csv", b"a,b\n1,2\n3,4,5\n", true);
        assert_eq!(ragged.syntax_valid, Some(false));
        assert!(ragged.syntax_error.unwrap().contains("fields"));
        let json = analyse("https://a.example/x.json", b"{\"a\": [1, 2}", true);
        assert_eq!(
            (json.sniffed, json.syntax_valid),
            (Some("JSON"), Some(false))
        );
        let prefix = analyse("https://a.example/x.json", b"{\"a\": [1, 2", false);
        assert_eq!(prefix.syntax_valid, None, "a prefix of JSON is not judged");
        let xml = analyse("https://a.example/x.xml", b"<a><b></a>", true);
        assert_eq!(xml.syntax_valid, Some(false));
    }

    #[test]
    fn linked_rdf_earns_the_fifth_star_and_digests_are_of_the_whole_file() {
        let turtle = b"@prefix dct: <http://purl.org/dc/terms/> .\n\
            <https://a.example/d> dct:source <https://b.example/other> .\n";
        let sample = analyse("https://a.example/d.ttl", turtle, true);
        assert_eq!(sample.syntax_valid, Some(true));
        assert_eq!(sample.external_links, Some(true));
        let local = b"@prefix dct: <http://purl.org/dc/terms/> .\n\
            <https://a.example/d> dct:source <https://a.example/e> .\n";
        assert_eq!(
            analyse("https://a.example/d.ttl", local, true).external_links,
            Some(false)
        );
        let digests = analyse("https://a.example/x.txt", b"abc", true)
            .digests
            .unwrap();
        assert_eq!(digests[0], "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(digests[1], "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert!(digests[2].starts_with("ba7816bf8f01cfea"));
        assert_eq!(
            analyse("https://a.example/x.txt", b"abc", false).digests,
            None
        );
    }
}
