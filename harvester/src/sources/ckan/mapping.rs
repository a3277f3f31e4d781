//! One CKAN package → one DCAT-AP 3 record. Follows ckanext-dcat's profile where it is clear
//! (package → `dcat:Dataset`, resource → `dcat:Distribution`, organization → publisher,
//! maintainer/author → contact point, tags → keywords) with IRIs minted under fedcat's base.

use crate::mapping::{
    MappedRecord, TripleBuilder, finish_record, json_str as string, raw_iri, record_key,
};
use crate::sources::json_page::{MappingContext, PortalLicence, resources};
use crate::vocabulary::VocabularyKind;
use fedcat_catalog::oxigraph::model::vocab::{rdf, xsd};
use fedcat_catalog::oxigraph::model::{Literal, NamedNode};
use fedcat_catalog::vocab::{dcat, dct, foaf};
use serde_json::Value;

/// A value from the package or, failing that, from its `extras` list (`[{key, value}]`), under
/// the first of `keys` present.
fn field_or_extra<'v>(package: &'v Value, keys: &[&str]) -> Option<&'v str> {
    keys.iter()
        .find_map(|key| string(package, key))
        .or_else(|| {
            let extras = package.get("extras")?.as_array()?;
            keys.iter().find_map(|key| {
                extras
                    .iter()
                    .find(|e| string(e, "key") == Some(key))
                    .and_then(|e| string(e, "value"))
            })
        })
}

/// Maps one package: `None` only when it has no usable identity (no id, name, url or title);
/// a bad value is repaired or dropped, never the package.
#[expect(
    clippy::too_many_lines,
    reason = "CKAN's package fields mapped to DCAT-AP one by one, in the order of ckanext-dcat's profile"
)]
pub(super) fn map_package(ctx: &MappingContext<'_>, package: &Value) -> Option<MappedRecord> {
    let id = record_key(&[
        string(package, "id"),
        string(package, "name"),
        string(package, "url"),
        string(package, "title"),
    ])?;
    let dataset = ctx.iris.entity("dataset", ctx.source_id, id);
    let mut out = TripleBuilder::new(ctx.language);
    out.add(dataset.clone(), rdf::TYPE, dcat::DATASET);
    out.text(
        &dataset,
        dct::TITLE,
        string(package, "title").or(string(package, "name")),
    );
    out.text(&dataset, dct::DESCRIPTION, string(package, "notes"));
    out.plain(&dataset, dct::IDENTIFIER, Some(id));
    if let Some(name) = string(package, "name") {
        let page = format!("{}/dataset/{}", ctx.portal_base, name);
        out.document(&dataset, dcat::LANDING_PAGE, Some(&page));
    }
    // CKAN's `url` is the dataset's "source" page on the producer's site.
    out.document(&dataset, foaf::PAGE, string(package, "url"));
    out.date(&dataset, dct::ISSUED, string(package, "metadata_created"));
    out.date(
        &dataset,
        dct::MODIFIED,
        string(package, "metadata_modified"),
    );
    // Données Québec writes `language: "FR"`; otherwise the portal's configured language.
    let language = field_or_extra(package, &["language"])
        .or(ctx.language.map(|l| l.split('-').next().unwrap_or(l)));
    ctx.concept(&mut out, &dataset, VocabularyKind::Language, language);
    ctx.concept(
        &mut out,
        &dataset,
        VocabularyKind::Frequency,
        field_or_extra(
            package,
            &[
                "update_frequency",
                "frequency",
                "accrual_periodicity",
                "frequence",
            ],
        ),
    );
    ctx.concept(
        &mut out,
        &dataset,
        VocabularyKind::AccessRight,
        field_or_extra(
            package,
            &["inv_access_level", "access_rights", "access_level"],
        ),
    );
    if let Some(groups) = package.get("groups").and_then(Value::as_array) {
        for group in groups {
            ctx.concept(
                &mut out,
                &dataset,
                VocabularyKind::Theme,
                string(group, "title").or(string(group, "name")),
            );
        }
    }

    if let Some(org) = package.get("organization").filter(|o| o.is_object())
        && let Some(org_name) = string(org, "name")
    {
        let publisher = raw_iri(&format!("{}/organization/{org_name}", ctx.portal_base));
        out.add(dataset.clone(), dct::PUBLISHER, publisher.clone());
        out.add(publisher.clone(), rdf::TYPE, foaf::ORGANIZATION);
        out.add(publisher.clone(), rdf::TYPE, foaf::AGENT);
        out.text(
            &publisher,
            foaf::NAME,
            string(org, "title").or(Some(org_name)),
        );
    }

    let (contact_name, contact_email) = match (
        string(package, "maintainer"),
        string(package, "maintainer_email"),
    ) {
        (None, None) => (string(package, "author"), string(package, "author_email")),
        pair => pair,
    };
    if contact_name.is_some() || contact_email.is_some() {
        let contact = ctx.iris.entity("contact", ctx.source_id, id);
        out.contact_point(&dataset, &contact, contact_name, contact_email);
    }

    if let Some(tags) = package.get("tags").and_then(Value::as_array) {
        for tag in tags {
            out.text(
                &dataset,
                dcat::KEYWORD,
                string(tag, "display_name").or(string(tag, "name")),
            );
        }
    }

    let licence = ctx.licence(
        &dataset,
        PortalLicence {
            id: string(package, "license_id"),
            url: string(package, "license_url"),
            title: string(package, "license_title"),
        },
        &mut out,
    );

    for (resource, distribution) in resources(ctx, package, id) {
        map_resource(ctx, resource, &distribution, licence.as_ref(), &mut out);
        out.add(dataset.clone(), dcat::HAS_DISTRIBUTION, distribution);
    }

    Some(finish_record(id, dataset, out.into_triples(), ctx.page_url))
}

fn map_resource(
    ctx: &MappingContext<'_>,
    resource: &Value,
    distribution: &NamedNode,
    licence: Option<&NamedNode>,
    out: &mut TripleBuilder,
) {
    out.add(distribution.clone(), rdf::TYPE, dcat::DISTRIBUTION);
    out.text(distribution, dct::TITLE, string(resource, "name"));
    out.text(
        distribution,
        dct::DESCRIPTION,
        string(resource, "description"),
    );
    let url = string(resource, "url");
    out.iri(distribution, dcat::ACCESS_URL, url);
    // An uploaded file (or an explicit download URL) is a direct download.
    let is_upload = string(resource, "url_type") == Some("upload")
        || string(resource, "resource_type").is_some_and(|t| t.contains("upload"));
    match string(resource, "download_url") {
        Some(download) => out.iri(distribution, dcat::DOWNLOAD_URL, Some(download)),
        None if is_upload => out.iri(distribution, dcat::DOWNLOAD_URL, url),
        None => {}
    }
    ctx.concept(
        out,
        distribution,
        VocabularyKind::Format,
        string(resource, "format"),
    );
    ctx.concept(
        out,
        distribution,
        VocabularyKind::MediaType,
        string(resource, "mimetype"),
    );
    // The size as the portal wrote it (a number, or text such as "1 234" or "12 Mo"): the
    // record check normalises it or drops it.
    let size = resource.get("size").and_then(|v| match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    });
    if let Some(size) = size {
        out.add(
            distribution.clone(),
            dcat::BYTE_SIZE,
            Literal::new_typed_literal(size, xsd::NON_NEGATIVE_INTEGER),
        );
    }
    out.date(distribution, dct::ISSUED, string(resource, "created"));
    out.date(
        distribution,
        dct::MODIFIED,
        string(resource, "last_modified"),
    );
    if let Some(licence) = licence {
        out.add(distribution.clone(), dct::LICENSE, licence.clone());
    }
}
