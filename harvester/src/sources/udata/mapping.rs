//! One udata dataset (API v1 JSON) → one DCAT-AP 3 record, following udata's own RDF export
//! (`udata/core/dataset/rdf.py`) where it is clear: organization → publisher (its data.gouv.fr
//! URI kept), tags → keywords, `frequency` → accrual periodicity, `temporal_coverage` →
//! `dct:temporal`, `spatial` → `dct:spatial`, resources → distributions. The `harvest` block of a
//! dataset data.gouv.fr copied from another portal is kept as provenance.

use crate::mapping::{
    MappedRecord, TripleBuilder, finish_record, json_str as string, raw_iri, record_key,
};
use crate::repair::{IriRepair, repair_iri};
use crate::sources::json_page::{MappingContext, PortalLicence, resources};
use crate::vocabulary::VocabularyKind;
use fedcat_catalog::oxigraph::model::vocab::{rdf, xsd};
use fedcat_catalog::oxigraph::model::{Literal, NamedNode};
use fedcat_catalog::vocab::{dcat, dct, fedcat, foaf, prov, spdx, vcard};
use serde_json::Value;

fn object<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value.get(key).filter(|v| v.is_object())
}

/// A number as the portal wrote it (a JSON number, or text): the record check normalises it or
/// drops it.
fn number(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// Maps one dataset: `None` only when it has no usable identity (no id, slug, page or title);
/// a bad value is repaired or dropped, never the dataset.
pub(super) fn map_dataset(ctx: &MappingContext<'_>, dataset_json: &Value) -> Option<MappedRecord> {
    let id = record_key(&[
        string(dataset_json, "id"),
        string(dataset_json, "slug"),
        string(dataset_json, "page"),
        string(dataset_json, "uri"),
        string(dataset_json, "title"),
    ])?;
    let dataset = ctx.iris.entity("dataset", ctx.source_id, id);
    let mut out = TripleBuilder::new(ctx.language);
    out.add(dataset.clone(), rdf::TYPE, dcat::DATASET);
    out.text(&dataset, dct::TITLE, string(dataset_json, "title"));
    out.text(
        &dataset,
        dct::DESCRIPTION,
        string(dataset_json, "description"),
    );
    out.plain(&dataset, dct::IDENTIFIER, Some(id));
    out.document(&dataset, dcat::LANDING_PAGE, string(dataset_json, "page"));
    out.date(&dataset, dct::ISSUED, string(dataset_json, "created_at"));
    out.date(
        &dataset,
        dct::MODIFIED,
        string(dataset_json, "last_modified").or(string(dataset_json, "last_update")),
    );
    if let Some(tags) = dataset_json.get("tags").and_then(Value::as_array) {
        for tag in tags.iter().filter_map(Value::as_str) {
            out.text(&dataset, dcat::KEYWORD, Some(tag));
        }
    }
    ctx.concept(&mut out, &dataset, VocabularyKind::Language, ctx.language);
    ctx.concept(
        &mut out,
        &dataset,
        VocabularyKind::Frequency,
        string(dataset_json, "frequency"),
    );
    ctx.concept(
        &mut out,
        &dataset,
        VocabularyKind::AccessRight,
        string(dataset_json, "access_type"),
    );
    let licence = ctx.licence(
        &dataset,
        PortalLicence {
            id: string(dataset_json, "license"),
            ..PortalLicence::default()
        },
        &mut out,
    );
    publisher(ctx, &dataset, dataset_json, &mut out);
    contact_points(ctx, id, &dataset, dataset_json, &mut out);
    temporal(ctx, id, &dataset, dataset_json, &mut out);
    spatial(ctx, &dataset, dataset_json, &mut out);
    harvest_provenance(&dataset, dataset_json, &mut out);

    for (resource, distribution) in resources(ctx, dataset_json, id) {
        map_resource(
            ctx,
            resource,
            &dataset,
            &distribution,
            licence.as_ref(),
            &mut out,
        );
        out.add(dataset.clone(), dcat::HAS_DISTRIBUTION, distribution);
    }

    Some(finish_record(id, dataset, out.into_triples(), ctx.page_url))
}

/// The organization (or, for a dataset a user owns, the user) as `dct:publisher`, under the
/// IRI data.gouv.fr gives it (`uri`), so the same organization is one node across records.
fn publisher(
    ctx: &MappingContext<'_>,
    dataset: &NamedNode,
    dataset_json: &Value,
    out: &mut TripleBuilder,
) {
    let (agent_json, class) = match (
        object(dataset_json, "organization"),
        object(dataset_json, "owner"),
    ) {
        (Some(org), _) => (org, foaf::ORGANIZATION),
        (None, Some(owner)) => (owner, foaf::PERSON),
        (None, None) => return,
    };
    // The portal's IRI for the agent when it can be one, else one minted from its id.
    let portal_iri = string(agent_json, "uri")
        .or(string(agent_json, "page"))
        .filter(|iri| !matches!(repair_iri(iri.trim()), IriRepair::Unusable { .. }));
    let agent = match (portal_iri, string(agent_json, "id")) {
        (Some(iri), _) => raw_iri(iri),
        (None, Some(agent_id)) => ctx.iris.entity("agent", ctx.source_id, agent_id),
        (None, None) => return,
    };
    out.add(dataset.clone(), dct::PUBLISHER, agent.clone());
    out.add(agent.clone(), rdf::TYPE, foaf::AGENT);
    out.add(agent.clone(), rdf::TYPE, class);
    let name = string(agent_json, "name").map(str::to_owned).or_else(|| {
        let first = string(agent_json, "first_name").unwrap_or("");
        let last = string(agent_json, "last_name").unwrap_or("");
        let full = format!("{first} {last}");
        (!full.trim().is_empty()).then(|| full.trim().to_owned())
    });
    out.text(&agent, foaf::NAME, name.as_deref());
    out.plain(&agent, dct::IDENTIFIER, string(agent_json, "id"));
    out.document(&agent, foaf::HOMEPAGE, string(agent_json, "page"));
}

/// udata ≥ 7 has `contact_points` (name, email, contact_form); older records have none.
fn contact_points(
    ctx: &MappingContext<'_>,
    id: &str,
    dataset: &NamedNode,
    dataset_json: &Value,
    out: &mut TripleBuilder,
) {
    let Some(points) = dataset_json.get("contact_points").and_then(Value::as_array) else {
        return;
    };
    for (index, point) in points.iter().enumerate() {
        let contact = ctx
            .iris
            .entity("contact", ctx.source_id, &format!("{id}-{index}"));
        out.contact_point(
            dataset,
            &contact,
            string(point, "name"),
            string(point, "email"),
        );
        out.iri(&contact, vcard::HAS_URL, string(point, "contact_form"));
    }
}

fn temporal(
    ctx: &MappingContext<'_>,
    id: &str,
    dataset: &NamedNode,
    dataset_json: &Value,
    out: &mut TripleBuilder,
) {
    let Some(coverage) = object(dataset_json, "temporal_coverage") else {
        return;
    };
    let (start, end) = (string(coverage, "start"), string(coverage, "end"));
    if start.is_none() && end.is_none() {
        return;
    }
    let period = ctx.iris.entity("period", ctx.source_id, id);
    out.add(dataset.clone(), dct::TEMPORAL, period.clone());
    out.add(period.clone(), rdf::TYPE, dct::PERIOD_OF_TIME);
    out.date(&period, dcat::START_DATE, start);
    out.date(&period, dcat::END_DATE, end);
}

/// `spatial.zones` are udata GeoZone ids (`country:fr`, `fr:departement:33`); each is a
/// `dct:Location` named by its id. `spatial.granularity` (`country`, `fr:commune`, `other`…)
/// has no DCAT-AP property and is kept as `fedcat:spatialGranularity`.
fn spatial(
    ctx: &MappingContext<'_>,
    dataset: &NamedNode,
    dataset_json: &Value,
    out: &mut TripleBuilder,
) {
    let Some(spatial) = object(dataset_json, "spatial") else {
        return;
    };
    if let Some(zones) = spatial.get("zones").and_then(Value::as_array) {
        for zone in zones.iter().filter_map(Value::as_str) {
            let location = ctx.iris.entity("zone", "udata", zone);
            out.add(dataset.clone(), dct::SPATIAL, location.clone());
            out.add(location.clone(), rdf::TYPE, dct::LOCATION);
            out.plain(&location, dct::IDENTIFIER, Some(zone));
        }
    }
    out.plain(
        dataset,
        fedcat::SPATIAL_GRANULARITY,
        string(spatial, "granularity"),
    );
}

/// A dataset data.gouv.fr harvested from another portal: which backend, which remote id and
/// URL. The remote URL is also `prov:wasDerivedFrom`, which the deduplication relies on.
fn harvest_provenance(dataset: &NamedNode, dataset_json: &Value, out: &mut TripleBuilder) {
    let Some(harvest) = object(dataset_json, "harvest") else {
        return;
    };
    out.plain(dataset, fedcat::HARVEST_BACKEND, string(harvest, "backend"));
    out.plain(dataset, fedcat::HARVEST_DOMAIN, string(harvest, "domain"));
    out.plain(dataset, fedcat::REMOTE_ID, string(harvest, "remote_id"));
    let remote_url = string(harvest, "remote_url").or(string(harvest, "ods_url"));
    if let Some(remote) = remote_url {
        match repair_iri(remote.trim()) {
            // A remote "URL" that is not one is still evidence for deduplication.
            IriRepair::Unusable { .. } => out.plain(dataset, fedcat::REMOTE_URL, Some(remote)),
            _ => {
                let iri = raw_iri(remote);
                out.add(dataset.clone(), fedcat::REMOTE_URL, iri.clone());
                out.add(dataset.clone(), prov::WAS_DERIVED_FROM, iri);
            }
        }
    }
    out.plain(
        dataset,
        fedcat::REMOTE_IDENTIFIER,
        string(harvest, "dct_identifier"),
    );
}

fn map_resource(
    ctx: &MappingContext<'_>,
    resource: &Value,
    dataset: &NamedNode,
    distribution: &NamedNode,
    licence: Option<&NamedNode>,
    out: &mut TripleBuilder,
) {
    out.add(distribution.clone(), rdf::TYPE, dcat::DISTRIBUTION);
    out.text(distribution, dct::TITLE, string(resource, "title"));
    out.text(
        distribution,
        dct::DESCRIPTION,
        string(resource, "description"),
    );
    let url = string(resource, "url");
    out.iri(distribution, dcat::ACCESS_URL, url);
    // An uploaded file is a direct download; a remote link may be a page.
    if string(resource, "filetype") == Some("file") {
        out.iri(distribution, dcat::DOWNLOAD_URL, url);
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
        string(resource, "mime"),
    );
    if let Some(size) = number(resource, "filesize") {
        out.add(
            distribution.clone(),
            dcat::BYTE_SIZE,
            Literal::new_typed_literal(size, xsd::NON_NEGATIVE_INTEGER),
        );
    }
    if let Some(checksum) = object(resource, "checksum")
        && let Some(value) = string(checksum, "value")
    {
        let algorithm = match string(checksum, "type")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("sha1") => Some(spdx::ALGORITHM_SHA1),
            Some("sha256") => Some(spdx::ALGORITHM_SHA256),
            Some("md5") => Some(spdx::ALGORITHM_MD5),
            _ => None,
        };
        if let Some(algorithm) = algorithm {
            let node = NamedNode::new_unchecked(format!("{}/checksum", distribution.as_str()));
            out.add(distribution.clone(), spdx::CHECKSUM, node.clone());
            out.add(node.clone(), rdf::TYPE, spdx::CHECKSUM_CLASS);
            out.add(node.clone(), spdx::ALGORITHM, algorithm);
            out.add(algorithm, rdf::TYPE, spdx::CHECKSUM_ALGORITHM);
            out.add(
                node,
                spdx::CHECKSUM_VALUE,
                Literal::new_typed_literal(value.trim(), xsd::HEX_BINARY),
            );
        }
    }
    out.date(
        distribution,
        dct::ISSUED,
        string(resource, "published").or(string(resource, "created_at")),
    );
    out.date(
        distribution,
        dct::MODIFIED,
        string(resource, "last_modified"),
    );
    // udata's resource types: main, documentation, update, api, code, other.
    if let Some(kind) = string(resource, "type") {
        out.plain(distribution, fedcat::RESOURCE_TYPE, Some(kind));
        if kind == "documentation" {
            out.document(dataset, foaf::PAGE, url);
        }
    }
    if let Some(licence) = licence {
        out.add(distribution.clone(), dct::LICENSE, licence.clone());
    }
}
