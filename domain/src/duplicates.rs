//! `fedcat report duplicates` and the line `fedcat harvest` prints after linking: clusters with
//! their members (the primary first) and the evidence of every link.

use fedcat_catalog::dedup::{ClusterView, DedupReport, Evidence};
use std::fmt::Write;

/// One line on what an update of the links did.
pub fn summary_line(report: &DedupReport) -> String {
    format!(
        "duplicates: {} cluster(s) holding {} record(s); this run {} {} record(s), {} removed, \
         compared {} candidate pair(s), rewrote {} cluster(s)",
        report.clusters,
        report.linked_records,
        if report.full {
            "relinked everything after summarising"
        } else {
            "summarised"
        },
        report.summarised,
        report.removed,
        report.candidates,
        report.clusters_written
    )
}

/// One evidence item as the report shows it.
pub fn describe(evidence: &Evidence) -> String {
    let share = |value: &u32| format!("{:.2}", f64::from(*value) / 100.0);
    match evidence {
        Evidence::Identifier(id) => format!("identifier {id}"),
        Evidence::PortalDataset(key) => format!("portal dataset {key}"),
        Evidence::Url(url) => format!("url {url}"),
        Evidence::Title(value) => format!("title {}", share(value)),
        Evidence::Description(value) => format!("description {}", share(value)),
        Evidence::Publisher(value) => format!("publisher {}", share(value)),
        Evidence::Temporal(value) => format!("temporal overlap {}", share(value)),
        Evidence::Spatial(value) => format!("spatial overlap {}", share(value)),
        Evidence::TitleWordsDiffer => "each title has words the other lacks".to_owned(),
    }
}

/// The clusters, each with its members and links.
pub fn render(clusters: &[ClusterView], threshold: f64) -> String {
    let mut out = String::new();
    let records: usize = clusters.iter().map(|c| c.members.len()).sum();
    let _ = writeln!(
        out,
        "{} cluster(s) of duplicates holding {records} record(s) (link threshold {threshold:.2})",
        clusters.len()
    );
    for cluster in clusters {
        let _ = writeln!(out, "\n{} ({} records)", cluster.iri, cluster.members.len());
        for member in &cluster.members {
            let _ = writeln!(
                out,
                "  {} {:<16} {}  <{}>",
                if member.primary { "*" } else { " " },
                member.source,
                member.title,
                member.dataset
            );
        }
        for link in &cluster.links {
            let source_of = |dataset: &str| {
                cluster
                    .members
                    .iter()
                    .find(|m| m.dataset == dataset)
                    .map_or("?", |m| m.source.as_str())
            };
            let evidence: Vec<String> = link.evidence.iter().map(describe).collect();
            let _ = writeln!(
                out,
                "    link {:.2}  {} ↔ {}: {}",
                link.score,
                source_of(&link.datasets.0),
                source_of(&link.datasets.1),
                evidence.join("; ")
            );
        }
    }
    if !clusters.is_empty() {
        let _ = writeln!(
            out,
            "\n* primary member (source priority, then the producer's own portal over an aggregator's copy, then completeness)"
        );
    }
    out
}
