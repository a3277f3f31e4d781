//! DCAT-AP 3.0.1 conformance of what fedcat stores: every record mapped from the recorded CKAN,
//! udata and Opendatasoft fixtures is validated in-process against the official SHACL shapes
//! (mandatory properties and ranges) fedcat uses by default: the set compiled into the binary
//! from `config/shacl/dcat-ap-3.0.1/shacl/` (`../shared/shacl/dcat-ap/3.0.1/shacl/`, byte for
//! byte). Records whose source gives the mandatory information produce no violation; the
//! exceptions are listed below with their reason, and each must be a real lack in the source
//! record.

use crate::fake_portal::{
    FakePortal, ckan_packages, ods_v21_datasets, udata_dataset_dir, udata_datasets,
};
use crate::support::{Deployment, source_toml};
use fedcat_domain::report::source_conformance;

/// Findings allowed when, and only when, the source record lacks the information:
/// (property path, message start, reason).
const LEGITIMATE: [(&str, &str, &str); 2] = [
    (
        "<http://purl.org/dc/terms/description>",
        "Property has 0 values (min: 1)",
        "the portal's record has no description (empty `notes` / `description`)",
    ),
    (
        "<http://www.w3.org/ns/dcat#accessURL>",
        "Property has 0 values (min: 1)",
        "the portal's resource has no URL",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn mapped_fixtures_conform_to_dcat_ap_3() {
    let portal = FakePortal::start().await;
    let datasud = portal.add_ckan(
        "datasud",
        ckan_packages("ckan/extracted/datasud.fr_package_search_snapshot__00.json"),
    );
    let legado = portal.add_ckan(
        "legado",
        ckan_packages("ckan/extracted/legado.dados.gov.br_vcr_catalog__00.json"),
    );
    let www = portal.add_udata(
        "www",
        udata_dataset_dir(
            "udata/datagouv-search-indicator/www.data.gouv.fr/2022-12-02-17-29/datasets",
        ),
    );
    let spf = portal.add_udata(
        "spf",
        udata_datasets("udata/datagouv_fixture_results_15datasets.json"),
    );
    let ods = portal.add_ods("ods", ods_v21_datasets());
    let sources = [
        source_toml("datasud", "ckan", &datasud, "language = \"fr\""),
        source_toml("legado", "ckan", &legado, "language = \"pt\""),
        source_toml("www", "udata", &www, "language = \"fr\""),
        source_toml("spf", "udata", &spf, "language = \"fr\""),
        source_toml("ods", "ods", &ods, ""),
    ]
    .concat();
    // No `[shacl]`: the built-in shapes.
    let deployment = Deployment::new(&sources, "");
    let shapes = fedcat_domain::quality::ShapeSets::load(&deployment.config.domain())
        .unwrap()
        .core
        .unwrap();
    assert_eq!(shapes.files(), ["dcat-ap-SHACL.ttl", "ranges.ttl"]);
    let catalog = deployment.open().await;
    let mut unexpected = Vec::new();
    let mut allowed = 0;
    let mut records = 0;
    for source in ["datasud", "legado", "www", "spf", "ods"] {
        let report = deployment.harvest(&catalog, source).await;
        assert_eq!(report.counts.failed, 0, "{source}: {report:?}");
        let conformance =
            source_conformance(catalog.graphs(), catalog.iris(), source, &shapes).unwrap();
        records += conformance.len();
        for record in conformance {
            for violation in record.violations {
                let legitimate = LEGITIMATE.iter().any(|(path, message, _)| {
                    violation.path.as_deref() == Some(*path)
                        && violation.message.starts_with(message)
                });
                if legitimate {
                    allowed += 1;
                    eprintln!("legitimate: {source} {} {:?}", record.key, violation.path);
                } else {
                    unexpected.push(format!("{source} {}: {violation:?}", record.key));
                }
            }
        }
    }
    assert!(records >= 390, "{records}");
    unexpected.sort();
    let total = unexpected.len();
    // One line per kind of finding (property and message) is enough to read.
    let mut kinds = std::collections::BTreeMap::new();
    for line in &unexpected {
        let kind = line.split("path: ").nth(1).map(|rest| {
            let path = rest.split(',').next().unwrap_or("");
            let message = rest.split("message: ").nth(1).unwrap_or("");
            format!("{path} {message}")
        });
        kinds
            .entry(kind.unwrap_or_default())
            .or_insert_with(|| line.clone());
    }
    assert!(
        unexpected.is_empty(),
        "{total} unexpected SHACL results (first of each kind):\n{}",
        kinds.values().cloned().collect::<Vec<_>>().join("\n")
    );
    eprintln!("{records} records validated, {allowed} legitimate findings");
}
