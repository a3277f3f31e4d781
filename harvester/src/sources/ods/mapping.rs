//! One Opendatasoft v2.1 dataset object → one DCAT-AP 3 record. The metadata lives in
//! `metas.default` (title, HTML description, keywords, themes, licence label, publisher name,
//! language, modified) and, on portals that fill it, `metas.dcat` (issued, frequency, contact,
//! creator). Distributions are the portal's standard exports of the records (CSV, JSON, and
//! GeoJSON when the dataset is geographic) and the dataset's attachments.

use crate::mapping::{MappedRecord, TripleBuilder, finish_record, json_str as string, record_key};
use crate::sources::json_page::{MappingContext, PortalLicence};
use crate::vocabulary::VocabularyKind;
use fedcat_catalog::oxigraph::model::vocab::rdf;
use fedcat_catalog::vocab::{dcat, dct, foaf};
use serde_json::Value;

/// ODS gives `keyword` as a list or a single string, `theme` as a list or a comma-separated
/// string (quirks seen by udata's ODS harvester).
fn list(value: &Value, key: &str, split_commas: bool) -> Vec<String> {
    match value.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::String(text)) if split_commas => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::String(text)) if !text.trim().is_empty() => vec![text.trim().to_owned()],
        _ => Vec::new(),
    }
}

/// The text of an HTML description: tags dropped, block ends as line breaks, the few entities
/// ODS writes decoded.
pub(super) fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = &rest[start..];
            break;
        };
        let tag = rest[start + 1..start + end]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        if [
            "p", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "tr",
        ]
        .iter()
        .any(|t| tag == *t || tag.starts_with(&format!("{t} ")) || tag == format!("{t}/"))
        {
            text.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    text.push_str(rest);
    let decoded = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .replace('\u{a0}', " ");
    decoded
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The standard exports offered as distributions: (ODS format name, EU file type, media type).
const EXPORTS: [(&str, &str, &str); 3] = [
    ("csv", "csv", "text/csv"),
    ("json", "json", "application/json"),
    ("geojson", "geojson", "application/geo+json"),
];

/// Maps one dataset: `None` only when it has no usable identity (no `dataset_id`,
/// `dataset_uid` or title); a bad value is repaired or dropped, never the dataset.
#[expect(
    clippy::too_many_lines,
    reason = "Opendatasoft's metas mapped to DCAT-AP one by one"
)]
pub(super) fn map_dataset(ctx: &MappingContext<'_>, dataset_json: &Value) -> Option<MappedRecord> {
    static NO_METAS: Value = Value::Null;
    // A dataset without `metas.default` keeps its identity; its other fields are absent.
    let metas = dataset_json
        .get("metas")
        .and_then(|m| m.get("default"))
        .filter(|m| m.is_object())
        .unwrap_or(&NO_METAS);
    let id = record_key(&[
        string(dataset_json, "dataset_id"),
        string(dataset_json, "dataset_uid"),
        string(metas, "title"),
    ])?;
    let dcat_metas = dataset_json
        .get("metas")
        .and_then(|m| m.get("dcat"))
        .filter(|m| m.is_object());
    let language = string(metas, "language").or(ctx.language);
    let dataset = ctx.iris.entity("dataset", ctx.source_id, id);
    let mut out = TripleBuilder::new(language);
    out.add(dataset.clone(), rdf::TYPE, dcat::DATASET);
    out.text(&dataset, dct::TITLE, string(metas, "title"));
    if let Some(description) = string(metas, "description") {
        out.text(&dataset, dct::DESCRIPTION, Some(&html_to_text(description)));
    }
    out.plain(&dataset, dct::IDENTIFIER, Some(id));
    let landing = format!("{}/explore/dataset/{id}/", ctx.portal_base);
    out.document(&dataset, dcat::LANDING_PAGE, Some(&landing));
    out.date(&dataset, dct::MODIFIED, string(metas, "modified"));
    if let Some(dcat_metas) = dcat_metas {
        out.date(
            &dataset,
            dct::ISSUED,
            string(dcat_metas, "issued").or(string(dcat_metas, "created")),
        );
    }
    for keyword in list(metas, "keyword", false) {
        out.text(&dataset, dcat::KEYWORD, Some(&keyword));
    }
    for theme in list(metas, "theme", true) {
        ctx.concept(&mut out, &dataset, VocabularyKind::Theme, Some(&theme));
    }
    ctx.concept(&mut out, &dataset, VocabularyKind::Language, language);
    ctx.concept(
        &mut out,
        &dataset,
        VocabularyKind::Frequency,
        dcat_metas.and_then(|m| string(m, "accrualperiodicity")),
    );
    out.document(&dataset, foaf::PAGE, string(metas, "references"));
    let licence = ctx.licence(
        &dataset,
        PortalLicence {
            url: string(metas, "license_url"),
            title: string(metas, "license"),
            ..PortalLicence::default()
        },
        &mut out,
    );
    if let Some(name) = string(metas, "publisher") {
        let publisher = ctx.iris.entity("agent", ctx.source_id, name);
        out.add(dataset.clone(), dct::PUBLISHER, publisher.clone());
        out.add(publisher.clone(), rdf::TYPE, foaf::AGENT);
        out.text(&publisher, foaf::NAME, Some(name));
    }
    if let Some(dcat_metas) = dcat_metas
        && (string(dcat_metas, "contact_name").is_some()
            || string(dcat_metas, "contact_email").is_some())
    {
        let contact = ctx.iris.entity("contact", ctx.source_id, id);
        out.contact_point(
            &dataset,
            &contact,
            string(dcat_metas, "contact_name"),
            string(dcat_metas, "contact_email"),
        );
    }

    let api = format!("{}/api/explore/v2.1/catalog/datasets/{id}", ctx.portal_base);
    let has_records = dataset_json
        .get("has_records")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let is_geographic = dataset_json
        .get("features")
        .and_then(Value::as_array)
        .is_some_and(|f| f.iter().any(|v| v.as_str() == Some("geo")));
    if has_records {
        for (export, format, media_type) in EXPORTS {
            if export == "geojson" && !is_geographic {
                continue;
            }
            let distribution =
                ctx.iris
                    .entity("distribution", ctx.source_id, &format!("{id}-{export}"));
            let url = format!("{api}/exports/{export}");
            out.add(
                dataset.clone(),
                dcat::HAS_DISTRIBUTION,
                distribution.clone(),
            );
            out.add(distribution.clone(), rdf::TYPE, dcat::DISTRIBUTION);
            out.plain(
                &distribution,
                dct::TITLE,
                Some(&format!("Export {}", export.to_ascii_uppercase())),
            );
            out.iri(&distribution, dcat::ACCESS_URL, Some(&url));
            out.iri(&distribution, dcat::DOWNLOAD_URL, Some(&url));
            ctx.concept(
                &mut out,
                &distribution,
                VocabularyKind::Format,
                Some(format),
            );
            ctx.concept(
                &mut out,
                &distribution,
                VocabularyKind::MediaType,
                Some(media_type),
            );
            out.date(
                &distribution,
                dct::MODIFIED,
                string(metas, "data_processed"),
            );
            if let Some(licence) = &licence {
                out.add(distribution.clone(), dct::LICENSE, licence.clone());
            }
        }
    }
    if let Some(attachments) = dataset_json.get("attachments").and_then(Value::as_array) {
        for attachment in attachments {
            let Some(attachment_id) = string(attachment, "id") else {
                continue;
            };
            // `url` is an internal `odsfile://` reference; the public one is under the API.
            let url = format!("{api}/attachments/{attachment_id}");
            let distribution = ctx.iris.entity(
                "distribution",
                ctx.source_id,
                &format!("{id}-attachment-{attachment_id}"),
            );
            out.add(
                dataset.clone(),
                dcat::HAS_DISTRIBUTION,
                distribution.clone(),
            );
            out.add(distribution.clone(), rdf::TYPE, dcat::DISTRIBUTION);
            out.text(&distribution, dct::TITLE, string(attachment, "title"));
            out.iri(&distribution, dcat::ACCESS_URL, Some(&url));
            out.iri(&distribution, dcat::DOWNLOAD_URL, Some(&url));
            let mimetype = string(attachment, "mimetype");
            ctx.concept(&mut out, &distribution, VocabularyKind::MediaType, mimetype);
            ctx.concept(&mut out, &distribution, VocabularyKind::Format, mimetype);
            if let Some(licence) = &licence {
                out.add(distribution.clone(), dct::LICENSE, licence.clone());
            }
        }
    }

    Some(finish_record(id, dataset, out.into_triples(), ctx.page_url))
}

#[cfg(test)]
mod tests {
    use super::{html_to_text, list};
    use serde_json::json;

    #[test]
    fn keywords_and_themes_come_as_lists_or_strings() {
        let metas = json!({"keyword": "santé", "theme": "Santé, Social", "other": ["a", " ", "b"]});
        assert_eq!(list(&metas, "keyword", false), ["santé"]);
        assert_eq!(list(&metas, "theme", true), ["Santé", "Social"]);
        assert_eq!(list(&metas, "other", true), ["a", "b"]);
        assert!(list(&metas, "missing", true).is_empty());
    }

    #[test]
    fn html_descriptions_become_text() {
        assert_eq!(
            html_to_text(
                "<p>All cities &gt; 1000</p><ul><li><strong>Sources</strong> : x</li></ul>"
            ),
            "All cities > 1000\nSources : x"
        );
    }
}
