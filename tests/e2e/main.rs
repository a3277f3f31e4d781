//! End-to-end tests: the real harvester, catalogue and SPARQL endpoint (and the real binary)
//! against a fake portal on loopback serving the recorded fixtures of `../shared/fixtures/`.
//! One test binary, so the RocksDB-linked code is linked once.
#![allow(
    clippy::too_many_lines,
    reason = "a test or a benchmark reads as one scenario, top to bottom"
)]

mod cli;
mod clients;
mod conformance;
mod connector_compliance;
mod consumers;
mod dcat;
mod dedup;
mod export;
mod fake_portal;
mod faults;
mod fixture_coverage;
mod hardening;
mod harvest_ckan;
mod hostile_input;
mod hostile_portal;
mod incremental;
mod jobs_api;
mod linkcheck;
mod minimal_config;
mod quality;
mod search;
mod sparql_limits;
mod sparql_protocol;
mod support;
mod udata_ods;
mod vocabularies;
mod w3c;
mod web;
