//! The connector compliance test (`STYLE.md`, "Components"): every connector kind — ckan, udata,
//! ods, dcat — runs the same checks against a recorded fixture served by the fake portal with
//! its API's real paging:
//! 1. paging: with a small page size every page is followed to the end, every record is valid
//!    and stored, one request per page;
//! 2. an unchanged portal: a second run changes nothing, and gets every page as `304 Not
//!    Modified` where the fake portal sends validators;
//! 3. a failed page (HTTP 500): the job is partial, one `page` error names that page's URL, the
//!    records of the other pages the listing reaches are stored, and no stored record is deleted;
//! 4. incremental listing: where the kind lists incrementally, a run after a change fetches only
//!    what changed.
//!
//! [`cases`] is the table, one row per kind. Where a check cannot apply to a kind in full, its
//! row says so with the reason (printed when the test runs), and the test asserts what the kind
//! does instead: no check is skipped. A new kind fails [`the_table_has_every_kind_once`] until
//! it has its row.

use crate::fake_portal::{
    Api, FakePortal, HydraStyle, ckan_packages, dataset_subjects, ods_v21_datasets, parse_fixture,
    udata_datasets,
};
use crate::support::{Deployment, source_toml};
use fedcat_catalog::oxigraph::io::RdfFormat;
use fedcat_catalog::{Catalog, JobErrorRow, JobStatus};
use fedcat_harvester::{HarvestReport, SourcesFile};
use std::collections::HashSet;

const CKAN_FIXTURE: &str = "ckan/extracted/datasud.fr_package_search_snapshot__00.json";
const UDATA_FIXTURE: &str = "udata/datagouv_fixture_results_15datasets.json";
const DCAT_FIXTURE: &str = "dcat/hydra/demo.ckan.org_catalog_page1_of_26.ttl";

/// The page the failure check makes answer 500: the second, so that a page was read before it
/// (a listing whose first page fails has nothing to go on with, and the job fails outright).
const FAILING_PAGE: u64 = 2;

/// Makes the runs after a successful job incremental (for the kinds that list so).
const FULL_SWEEP: &str = "full_sweep_schedule = \"0 0 3 * * Sun\"";

/// One connector kind in the compliance test.
struct ConnectorCase {
    /// The kind (`type` in `sources.toml`), also the source's id and the portal's name.
    kind: &'static str,
    /// Serves the kind's recorded fixture on the fake portal; `extra` goes into its table.
    setup: fn(&FakePortal, &str) -> Served,
    /// The fake portal's API that serves it (for the fault hook and the request log).
    api: Api,
    /// What names a page in its URLs.
    paging: Paging,
    /// What a second run of an unchanged portal gets.
    conditional: Conditional,
    /// What its listing does after a failed page.
    after_failure: AfterFailure,
    /// Its incremental listing.
    incremental: Incremental,
}

/// How a kind's pages are addressed: in the URL, and by the fake portal's fault hook.
#[derive(Clone, Copy)]
enum Paging {
    /// This query parameter is the offset of the page's first record (CKAN `start`,
    /// Opendatasoft `offset`).
    Offset(&'static str),
    /// This query parameter is the page's number from 1 (udata `page`).
    Number(&'static str),
    /// The page's number from 1 ends the path (`…/page/2`, the re-paged DCAT collections).
    PathNumber,
}

/// What a second run of an unchanged portal gets.
#[derive(Clone, Copy)]
enum Conditional {
    /// The fake portal sends an ETag and answers `If-None-Match` with 304: every page is 304.
    NotModified,
    /// The fake portal sends no validator for this kind (why): every page is read again.
    NoValidators { reason: &'static str },
}

/// What the listing does after a failed page.
#[derive(Clone, Copy)]
enum AfterFailure {
    /// It goes on with the page after (offset or page-number paging).
    GoesOn,
    /// It ends there (why): the records of the pages before are stored.
    Ends { reason: &'static str },
}

/// A kind's incremental listing.
#[derive(Clone, Copy)]
enum Incremental {
    /// With a `full_sweep_schedule`, a run after a successful one lists only what changed since;
    /// `change` edits one record on the portal, now.
    OnlyChanges { change: fn(&FakePortal) },
    /// It lists incrementally with `extra` in its table, asking with `asks_with` in the first
    /// page's URL, but the fake portal cannot answer with less (why): the run is checked to ask
    /// so, to be incomplete and to delete nothing.
    AsksOnly {
        extra: &'static str,
        asks_with: &'static str,
        reason: &'static str,
    },
    /// It cannot list incrementally (why): a `full_sweep_schedule` on it is refused.
    Unsupported { reason: &'static str },
}

/// The compliance table: every connector kind, in `KINDS` order.
fn cases() -> Vec<ConnectorCase> {
    vec![
        ConnectorCase {
            kind: "ckan",
            setup: serve_ckan,
            api: Api::Ckan,
            paging: Paging::Offset("start"),
            conditional: Conditional::NotModified,
            after_failure: AfterFailure::GoesOn,
            incremental: Incremental::OnlyChanges {
                change: edit_a_ckan_package,
            },
        },
        ConnectorCase {
            kind: "udata",
            setup: serve_udata,
            api: Api::Udata,
            paging: Paging::Number("page"),
            conditional: Conditional::NoValidators {
                reason: "the fake portal's udata API sends no ETag or Last-Modified",
            },
            after_failure: AfterFailure::GoesOn,
            incremental: Incremental::OnlyChanges {
                change: edit_a_udata_dataset,
            },
        },
        ConnectorCase {
            kind: "ods",
            setup: serve_ods,
            api: Api::Ods,
            paging: Paging::Offset("offset"),
            conditional: Conditional::NoValidators {
                reason: "the fake portal's Opendatasoft API sends no ETag or Last-Modified",
            },
            // Page 2 of the two datasets is the last page: the listing goes on, and ends.
            after_failure: AfterFailure::GoesOn,
            incremental: Incremental::Unsupported {
                reason: "the Explore API connector has no modified-since listing: an ods \
                         source always sweeps in full",
            },
        },
        ConnectorCase {
            kind: "dcat",
            setup: serve_dcat,
            api: Api::Dcat,
            paging: Paging::PathNumber,
            conditional: Conditional::NoValidators {
                reason: "the fake portal's re-paged DCAT collections send no ETag or \
                         Last-Modified",
            },
            after_failure: AfterFailure::Ends {
                reason: "the next page is named only by the failed page's Hydra link",
            },
            incremental: Incremental::AsksOnly {
                extra: "modified_since_param = \"modified_since\"",
                asks_with: "?modified_since=",
                reason: "the fake portal's re-paged DCAT collections ignore `modified_since` \
                         (no recorded catalogue answers one), so every page comes back",
            },
        },
    ]
}

/// A kind's fixture as served: its source and what a full listing of it holds.
struct Served {
    /// Its `[[source]]` table.
    source: String,
    /// Distinct records in the fixture.
    records: u64,
    /// Records per page.
    page_size: u64,
}

impl Served {
    /// Pages of a full listing.
    fn pages(&self) -> u64 {
        self.records.div_ceil(self.page_size)
    }

    /// Records on the pages before page `page` (from 1).
    fn records_before(&self, page: u64) -> u64 {
        ((page - 1) * self.page_size).min(self.records)
    }

    /// Records on page `page` (from 1).
    fn records_on(&self, page: u64) -> u64 {
        self.records_before(page + 1) - self.records_before(page)
    }
}

/// How many different ids.
fn distinct<'a>(ids: impl Iterator<Item = &'a str>) -> u64 {
    ids.collect::<HashSet<_>>().len() as u64
}

/// datasud.fr's 7 packages, 3 per page.
fn serve_ckan(portal: &FakePortal, extra: &str) -> Served {
    let packages = ckan_packages(CKAN_FIXTURE);
    let records = distinct(packages.iter().map(|p| p["id"].as_str().unwrap()));
    let url = portal.add_ckan("ckan", packages);
    Served {
        source: source_toml("ckan", "ckan", &url, &format!("page_size = 3\n{extra}")),
        records,
        page_size: 3,
    }
}

/// data.gouv.fr's 15 datasets of 2025, 4 per page.
fn serve_udata(portal: &FakePortal, extra: &str) -> Served {
    let datasets = udata_datasets(UDATA_FIXTURE);
    let records = distinct(datasets.iter().map(|d| d["id"].as_str().unwrap()));
    let url = portal.add_udata("udata", datasets);
    Served {
        source: source_toml("udata", "udata", &url, &format!("page_size = 4\n{extra}")),
        records,
        page_size: 4,
    }
}

/// The two datasets of the Opendatasoft v2.1 catalogue, one per page.
fn serve_ods(portal: &FakePortal, extra: &str) -> Served {
    let datasets = ods_v21_datasets();
    let records = distinct(datasets.iter().map(|d| d["dataset_id"].as_str().unwrap()));
    let url = portal.add_ods("ods", datasets);
    Served {
        source: source_toml("ods", "ods", &url, &format!("page_size = 1\n{extra}")),
        records,
        page_size: 1,
    }
}

/// demo.ckan.org's catalogue page (100 datasets, Turtle) re-paged 40 per page.
fn serve_dcat(portal: &FakePortal, extra: &str) -> Served {
    let per_page = 40;
    let url = portal.add_repaged_dcat(
        "dcat",
        DCAT_FIXTURE,
        per_page,
        HydraStyle::PagedCollection,
        RdfFormat::Turtle,
    );
    Served {
        source: source_toml("dcat", "dcat", &url, extra),
        records: dataset_subjects(&parse_fixture(DCAT_FIXTURE)).len() as u64,
        page_size: per_page as u64,
    }
}

/// A modification time of now, as CKAN and udata write them.
fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string()
}

fn edit_a_ckan_package(portal: &FakePortal) {
    portal.edit_ckan_package("ckan", "b63fa801-a20a-4cbd-b202-398d3afbd328", |package| {
        package["title"] = "Titre modifié".into();
        package["metadata_modified"] = now().into();
    });
}

fn edit_a_udata_dataset(portal: &FakePortal) {
    let datasets = udata_datasets(UDATA_FIXTURE);
    let id = datasets[0]["id"].as_str().unwrap();
    portal.edit_udata_dataset("udata", id, |dataset| {
        dataset["title"] = "Titre modifié".into();
        dataset["last_update"] = now().into();
    });
}

impl Paging {
    /// What addresses page `page` (from 1) of `page_size` records: an offset or a number.
    fn at(self, page: u64, page_size: u64) -> u64 {
        match self {
            Self::Offset(_) => (page - 1) * page_size,
            Self::Number(_) | Self::PathNumber => page,
        }
    }

    /// True when `page_url` is page `page` (from 1) of `page_size` records.
    fn names_page(self, page_url: &str, page: u64, page_size: u64) -> bool {
        let Ok(url) = url::Url::parse(page_url) else {
            return false;
        };
        let at = self.at(page, page_size).to_string();
        match self {
            Self::Offset(param) | Self::Number(param) => url
                .query_pairs()
                .any(|(key, value)| &*key == param && &*value == at.as_str()),
            Self::PathNumber => url.path().ends_with(&format!("/page/{at}")),
        }
    }
}

impl ConnectorCase {
    /// Makes page `page` (from 1) answer 500, or recover.
    fn fail(&self, portal: &FakePortal, page: u64, page_size: u64, failing: bool) {
        let at = self.paging.at(page, page_size);
        portal.fail_page(self.api, self.kind, at, failing);
    }

    /// How the fake portal logs the case's page requests.
    fn request_prefix(&self) -> String {
        match self.api {
            Api::Ckan => format!("/ckan/{}/package_search", self.kind),
            Api::Udata => format!("/udata/{}/datasets", self.kind),
            Api::Ods => format!("/ods/{}/datasets", self.kind),
            Api::Dcat => format!("/dcat/{}/page/", self.kind),
        }
    }
}

/// A case's fixture on a new fake portal, with a new deployment harvesting it.
struct Setup {
    /// Declared first so that it is dropped first, before the deployment's directory goes.
    catalog: Catalog,
    deployment: Deployment,
    served: Served,
    portal: FakePortal,
}

impl Setup {
    async fn new(case: &ConnectorCase, extra: &str) -> Self {
        let portal = FakePortal::start().await;
        let served = (case.setup)(&portal, extra);
        let deployment = Deployment::new(&served.source, "");
        let catalog = deployment.open().await;
        Self {
            catalog,
            deployment,
            served,
            portal,
        }
    }

    async fn harvest(&self, case: &ConnectorCase) -> HarvestReport {
        self.deployment.harvest(&self.catalog, case.kind).await
    }

    async fn live_records(&self, case: &ConnectorCase) -> u64 {
        self.catalog
            .records()
            .live_record_count(case.kind)
            .await
            .unwrap() as u64
    }

    async fn errors(&self, report: &HarvestReport) -> Vec<JobErrorRow> {
        self.catalog.jobs().job_errors(report.job_id).await.unwrap()
    }

    /// The case's page requests the portal answered so far (304s included, once each).
    fn page_requests(&self, case: &ConnectorCase) -> Vec<String> {
        let prefix = case.request_prefix();
        self.portal
            .requests()
            .into_iter()
            .filter(|r| r.starts_with(&prefix))
            .collect()
    }

    /// Asserts that the job recorded one page error, naming [`FAILING_PAGE`] and its 500.
    async fn assert_failed_page_recorded(&self, case: &ConnectorCase, report: &HarvestReport) {
        let kind = case.kind;
        let errors = self.errors(report).await;
        let pages: Vec<&JobErrorRow> = errors.iter().filter(|e| e.kind == "page").collect();
        assert_eq!(pages.len(), 1, "{kind}: one page error: {errors:?}");
        let url = pages[0].url.as_deref().unwrap_or_default();
        assert!(
            url.starts_with(&self.portal.base)
                && case
                    .paging
                    .names_page(url, FAILING_PAGE, self.served.page_size),
            "{kind}: the error names page {FAILING_PAGE}: {url}"
        );
        assert!(
            pages[0].message.contains("500"),
            "{kind}: the error says why: {}",
            pages[0].message
        );
    }
}

#[test]
fn the_table_has_every_kind_once() {
    let table: Vec<&str> = cases().iter().map(|case| case.kind).collect();
    let kinds: Vec<&str> = fedcat_harvester::sources::KINDS
        .iter()
        .map(|spec| spec.name)
        .collect();
    assert_eq!(
        table, kinds,
        "every connector kind has its row, in KINDS order"
    );
}

/// Check 1: every page followed to the end, every record valid and stored.
#[tokio::test(flavor = "multi_thread")]
async fn every_connector_follows_its_pages_to_the_end() {
    for case in cases() {
        let kind = case.kind;
        let setup = Setup::new(&case, "").await;
        let served = &setup.served;
        assert!(
            served.pages() >= FAILING_PAGE,
            "{kind}: the fixture fills the pages the failure check needs"
        );
        let report = setup.harvest(&case).await;
        let errors = setup.errors(&report).await;
        assert_eq!(
            report.status,
            JobStatus::Succeeded,
            "{kind}: {report:?} {errors:?}"
        );
        assert!(report.complete_listing, "{kind}: {report:?}");
        assert_eq!(report.counts.pages, served.pages(), "{kind}: pages");
        assert_eq!(
            report.counts.added, served.records,
            "{kind}: records added: {report:?}"
        );
        assert_eq!(
            (report.counts.failed, report.counts.records_rejected),
            (0, 0),
            "{kind}: every record valid: {errors:?}"
        );
        // Values repaired or dropped are warnings of kind `value`; nothing else went wrong.
        assert!(
            errors.iter().all(|e| e.kind == "value"),
            "{kind}: {errors:?}"
        );
        assert_eq!(
            setup.live_records(&case).await,
            served.records,
            "{kind}: live records"
        );
        assert_eq!(
            setup.page_requests(&case).len() as u64,
            served.pages(),
            "{kind}: one request per page: {:?}",
            setup.page_requests(&case)
        );
    }
}

/// Check 2: a second run of an unchanged portal changes nothing; 304s where validators are sent.
#[tokio::test(flavor = "multi_thread")]
async fn every_connector_changes_nothing_when_the_portal_did_not_change() {
    for case in cases() {
        let kind = case.kind;
        let setup = Setup::new(&case, "").await;
        let served = &setup.served;
        let first = setup.harvest(&case).await;
        assert_eq!(first.status, JobStatus::Succeeded, "{kind}: {first:?}");
        let stored = setup
            .catalog
            .records()
            .record_fingerprints(kind)
            .await
            .unwrap();

        let second = setup.harvest(&case).await;
        assert_eq!(second.status, JobStatus::Succeeded, "{kind}: {second:?}");
        assert!(second.complete_listing, "{kind}: {second:?}");
        let c = second.counts;
        assert_eq!(
            (c.added, c.updated, c.deleted, c.failed),
            (0, 0, 0, 0),
            "{kind}: {c:?}"
        );
        assert_eq!(
            c.unchanged, served.records,
            "{kind}: every record unchanged"
        );
        assert_eq!(c.pages, served.pages(), "{kind}: every page listed");
        let not_modified = match case.conditional {
            Conditional::NotModified => served.pages(),
            Conditional::NoValidators { reason } => {
                eprintln!("{kind}: no 304 expected: {reason}");
                0
            }
        };
        assert_eq!(
            c.not_modified_pages, not_modified,
            "{kind}: pages answered 304"
        );
        assert_eq!(
            setup
                .catalog
                .records()
                .record_fingerprints(kind)
                .await
                .unwrap(),
            stored,
            "{kind}: stored records (content hashes) changed"
        );
        assert_eq!(setup.live_records(&case).await, served.records, "{kind}");
    }
}

/// Check 3: a page answering 500 is recorded with its URL; the other pages are stored; nothing
/// stored is deleted.
#[tokio::test(flavor = "multi_thread")]
async fn every_connector_records_a_failed_page_and_keeps_the_others() {
    for case in cases() {
        let kind = case.kind;
        let setup = Setup::new(&case, "").await;
        let served = &setup.served;
        let lost = served.records_on(FAILING_PAGE);
        let (reached, requested) = match case.after_failure {
            AfterFailure::GoesOn => (served.records - lost, served.pages()),
            AfterFailure::Ends { reason } => {
                eprintln!("{kind}: the listing ends at a failed page: {reason}");
                (served.records_before(FAILING_PAGE), FAILING_PAGE)
            }
        };

        // A first run with the page failing: the pages reached are stored, and only them.
        case.fail(&setup.portal, FAILING_PAGE, served.page_size, true);
        let report = setup.harvest(&case).await;
        assert_eq!(report.status, JobStatus::Partial, "{kind}: {report:?}");
        assert!(!report.complete_listing, "{kind}: {report:?}");
        assert_eq!(report.counts.failed, 1, "{kind}: {report:?}");
        assert_eq!(report.counts.pages, requested - 1, "{kind}: pages read");
        assert_eq!(
            report.counts.added, reached,
            "{kind}: records of the other pages"
        );
        assert_eq!(setup.live_records(&case).await, reached, "{kind}");
        assert_eq!(
            setup.page_requests(&case).len() as u64,
            requested,
            "{kind}: pages asked: {:?}",
            setup.page_requests(&case)
        );
        setup.assert_failed_page_recorded(&case, &report).await;

        // The portal recovers: the rest comes in.
        case.fail(&setup.portal, FAILING_PAGE, served.page_size, false);
        let healed = setup.harvest(&case).await;
        assert_eq!(healed.status, JobStatus::Succeeded, "{kind}: {healed:?}");
        assert_eq!(
            (healed.counts.added, healed.counts.deleted),
            (served.records - reached, 0),
            "{kind}: {healed:?}"
        );
        assert_eq!(setup.live_records(&case).await, served.records, "{kind}");
        let stored = setup
            .catalog
            .records()
            .record_fingerprints(kind)
            .await
            .unwrap();

        // The page fails again: its records are not seen, and not deleted either.
        case.fail(&setup.portal, FAILING_PAGE, served.page_size, true);
        let again = setup.harvest(&case).await;
        case.fail(&setup.portal, FAILING_PAGE, served.page_size, false);
        assert_eq!(again.status, JobStatus::Partial, "{kind}: {again:?}");
        assert!(!again.complete_listing, "{kind}: {again:?}");
        assert_eq!(again.counts.deleted, 0, "{kind}: {again:?}");
        setup.assert_failed_page_recorded(&case, &again).await;
        assert!(
            setup
                .catalog
                .records()
                .records_deleted_by_job(again.job_id)
                .await
                .unwrap()
                .is_empty(),
            "{kind}: a record was deleted"
        );
        assert_eq!(setup.live_records(&case).await, served.records, "{kind}");
        assert_eq!(
            setup
                .catalog
                .records()
                .record_fingerprints(kind)
                .await
                .unwrap(),
            stored,
            "{kind}: stored records (content hashes) changed"
        );
    }
}

/// Check 4: a run after a change lists only what changed, where the kind lists incrementally.
#[tokio::test(flavor = "multi_thread")]
async fn every_incremental_connector_lists_only_what_changed() {
    for case in cases() {
        let kind = case.kind;
        match case.incremental {
            Incremental::OnlyChanges { change } => lists_only_what_changed(&case, change).await,
            Incremental::AsksOnly {
                extra,
                asks_with,
                reason,
            } => {
                eprintln!("{kind}: incremental listing asked for, not answered: {reason}");
                asks_for_what_changed(&case, extra, asks_with).await;
            }
            Incremental::Unsupported { reason } => {
                eprintln!("{kind}: no incremental listing: {reason}");
                refuses_a_full_sweep_schedule(&case).await;
            }
        }
    }
}

/// A deployment of `case` whose source has a `full_sweep_schedule` (and `extra`), after its
/// first run: a full listing, there being no successful job before it.
async fn incremental_source_after_a_full_listing(case: &ConnectorCase, extra: &str) -> Setup {
    let kind = case.kind;
    let setup = Setup::new(case, &format!("{extra}\n{FULL_SWEEP}")).await;
    let source = setup.deployment.config.sources.get(kind).unwrap();
    assert!(source.kind.lists_incrementally(), "{kind}");
    let first = setup.harvest(case).await;
    assert_eq!(
        (first.status, first.complete_listing, first.counts.added),
        (JobStatus::Succeeded, true, setup.served.records),
        "{kind}: no successful job before, a full listing: {first:?}"
    );
    setup
}

/// After `change` on the portal, the run reads one page and updates the changed record.
async fn lists_only_what_changed(case: &ConnectorCase, change: fn(&FakePortal)) {
    let kind = case.kind;
    let setup = incremental_source_after_a_full_listing(case, "").await;
    change(&setup.portal);
    let asked_before = setup.page_requests(case).len();
    let report = setup.harvest(case).await;
    assert_eq!(report.status, JobStatus::Succeeded, "{kind}: {report:?}");
    assert!(!report.complete_listing, "{kind}: {report:?}");
    assert!(
        report
            .message
            .as_deref()
            .is_some_and(|m| m.contains("incremental")),
        "{kind}: {report:?}"
    );
    let c = report.counts;
    assert_eq!(
        (c.pages, c.added, c.updated, c.deleted, c.failed),
        (1, 0, 1, 0, 0),
        "{kind}: one page, the changed record updated: {c:?}"
    );
    assert!(
        c.unchanged + c.updated <= setup.served.page_size,
        "{kind}: {c:?}"
    );
    let asked = setup.page_requests(case).split_off(asked_before);
    assert_eq!(asked.len(), 1, "{kind}: one page asked: {asked:?}");
    assert_eq!(
        setup.live_records(case).await,
        setup.served.records,
        "{kind}"
    );
}

/// The run asks with `asks_with` on its first page, is incomplete, and changes nothing.
async fn asks_for_what_changed(case: &ConnectorCase, extra: &str, asks_with: &str) {
    let kind = case.kind;
    let setup = incremental_source_after_a_full_listing(case, extra).await;
    let asked_before = setup.page_requests(case).len();
    let report = setup.harvest(case).await;
    assert_eq!(report.status, JobStatus::Succeeded, "{kind}: {report:?}");
    assert!(!report.complete_listing, "{kind}: {report:?}");
    let c = report.counts;
    assert_eq!(
        (c.added, c.updated, c.deleted, c.failed),
        (0, 0, 0, 0),
        "{kind}: {c:?}"
    );
    let asked = setup.page_requests(case).split_off(asked_before);
    assert!(
        asked.first().is_some_and(|r| r.contains(asks_with)),
        "{kind}: the first page asks with {asks_with:?}: {asked:?}"
    );
    assert_eq!(
        setup.live_records(case).await,
        setup.served.records,
        "{kind}"
    );
}

/// The kind's source is refused with a `full_sweep_schedule`.
async fn refuses_a_full_sweep_schedule(case: &ConnectorCase) {
    let kind = case.kind;
    let portal = FakePortal::start().await;
    let served = (case.setup)(&portal, FULL_SWEEP);
    let Err(problems) = SourcesFile::from_toml("sources.toml", &served.source) else {
        panic!(
            "{kind}: full_sweep_schedule accepted, but the table says it cannot list \
             incrementally"
        );
    };
    assert!(
        problems
            .iter()
            .any(|p| p.key.ends_with(".full_sweep_schedule")),
        "{kind}: {problems:?}"
    );
}
