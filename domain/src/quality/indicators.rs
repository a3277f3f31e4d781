//! A producer's openness indicators from its datasets' assessments, and their report.

use super::*;

/// A producer's indicators, from its datasets' assessments.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Indicators {
    /// Datasets assessed.
    pub datasets: usize,
    /// Distributions.
    pub distributions: usize,
    /// Mean and median MQA score.
    pub mqa_mean: f64,
    /// Median MQA score.
    pub mqa_median: f64,
    /// Mean extended score.
    pub ext_mean: f64,
    /// Median extended score.
    pub ext_median: f64,
    /// Datasets per MQA rating: excellent, good, sufficient, bad.
    pub bands: [usize; 4],
    /// Shares of distributions: open licence, machine-readable, non-proprietary.
    pub open_licence_share: f64,
    /// Machine-readable share.
    pub machine_readable_share: f64,
    /// Non-proprietary share.
    pub non_proprietary_share: f64,
    /// Share of datasets conforming to DCAT-AP; `None` with `[shacl] enabled = false`.
    pub conformance_share: Option<f64>,
    /// Share of checked distributions with a URL answering 2xx; none checked yet: `None`.
    pub working_links_share: Option<f64>,
    /// Share of datasets updated within their declared frequency (E18), among those whose
    /// frequency promises a period.
    pub freshness_share: Option<f64>,
    /// Datasets per five-star level 0–5.
    pub stars: [usize; 6],
    /// Most frequent SHACL violation paths (datasets having each).
    pub top_violations: Vec<(String, usize)>,
    /// Most frequent controlled-vocabulary violation paths (datasets having each).
    pub top_vocabulary_violations: Vec<(String, usize)>,
    /// Share of distributions available in at least 95 % of their recent checks (E6), among
    /// those checked.
    pub available_share: Option<f64>,
    /// Mean share of recent checks answered 2xx, over the distributions checked.
    pub mean_uptime: Option<f64>,
    /// Median days since `dct:modified`, over the datasets that give it.
    pub median_days_since_modified: Option<f64>,
    /// Status codes of the access and download URLs (MQA's M5, M7; 1100 connection error,
    /// 1200 refused target, 1300 invalid URL): metric → code → distributions.
    pub status_codes:
        std::collections::BTreeMap<&'static str, std::collections::BTreeMap<u16, usize>>,
    /// For each boolean metric, the share of datasets (dataset metrics) or distributions
    /// (distribution metrics) where it was true, among those where it was measured.
    pub metric_shares: std::collections::BTreeMap<&'static str, f64>,
    /// Metrics not measured for at least one dataset.
    pub not_measured: Vec<&'static str>,
}

fn median(values: &mut [i32]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        f64::from(values[mid - 1] + values[mid]) / 2.0
    } else {
        f64::from(values[mid])
    }
}

/// The ten paths most datasets violate, with the number of datasets violating each.
fn top_paths<'a>(per_dataset: impl Iterator<Item = &'a Vec<String>>) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for paths in per_dataset {
        let distinct: std::collections::BTreeSet<&str> = paths.iter().map(String::as_str).collect();
        for path in distinct {
            *counts.entry(path).or_default() += 1;
        }
    }
    let mut top: Vec<(String, usize)> =
        counts.into_iter().map(|(p, n)| (p.to_owned(), n)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    top
}

/// The indicators of one producer.
#[expect(
    clippy::too_many_lines,
    reason = "every indicator of QUALITY.md computed over the assessments, in the document's order"
)]
pub fn indicators(assessments: &[DatasetAssessment]) -> Indicators {
    let share = |part: usize, whole: usize| part as f64 / whole.max(1) as f64;
    let mut mqa: Vec<i32> = assessments.iter().map(|a| a.scores.mqa.total).collect();
    let mut ext: Vec<i32> = assessments.iter().map(|a| a.scores.ext.total).collect();
    let mean = |v: &[i32]| v.iter().map(|x| f64::from(*x)).sum::<f64>() / v.len().max(1) as f64;
    let distributions: usize = assessments.iter().map(|a| a.distributions).sum();
    let mut bands = [0; 4];
    let mut stars_histogram = [0; 6];
    let mut not_measured: Vec<&'static str> = Vec::new();
    for a in assessments {
        let band = match a.scores.mqa.rating {
            Rating::Excellent => 0,
            Rating::Good => 1,
            Rating::Sufficient => 2,
            Rating::Bad => 3,
        };
        bands[band] += 1;
        stars_histogram[usize::from(a.stars.min(5))] += 1;
        not_measured.extend(a.scores.not_measured.iter().copied());
    }
    not_measured.sort_unstable();
    not_measured.dedup();
    let top_violations = top_paths(assessments.iter().map(|a| &a.violation_paths));
    let top_vocabulary_violations =
        top_paths(assessments.iter().map(|a| &a.vocabulary_violation_paths));
    let conformance_share = assessments.first().and_then(|a| a.conforms).map(|_| {
        share(
            assessments
                .iter()
                .filter(|a| a.conforms == Some(true))
                .count(),
            assessments.len(),
        )
    });
    let links_checked: usize = assessments.iter().map(|a| a.links_checked).sum();
    let links_working: usize = assessments.iter().map(|a| a.links_working).sum();
    let fresh: Vec<bool> = assessments
        .iter()
        .filter_map(|a| match a.measurements.dataset_values.get("E18") {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        })
        .collect();
    let mut status_codes: std::collections::BTreeMap<
        &'static str,
        std::collections::BTreeMap<u16, usize>,
    > = std::collections::BTreeMap::new();
    let mut tallies: std::collections::BTreeMap<&'static str, (usize, usize)> =
        std::collections::BTreeMap::new();
    let mut tally = |values: &std::collections::BTreeMap<&'static str, Value>| {
        for (id, value) in values {
            if let Value::Bool(b) = value {
                let entry = tallies.entry(id).or_default();
                entry.0 += usize::from(*b);
                entry.1 += 1;
            }
        }
    };
    for a in assessments {
        tally(&a.measurements.dataset_values);
        for (_, values) in &a.measurements.distributions {
            tally(values);
            for (id, name) in [("M5", "access_url"), ("M7", "download_url")] {
                if let Some(Value::Status(code)) = values.get(id) {
                    *status_codes
                        .entry(name)
                        .or_default()
                        .entry(*code)
                        .or_default() += 1;
                }
            }
        }
    }
    let metric_shares = tallies
        .into_iter()
        .map(|(id, (yes, all))| (id, share(yes, all)))
        .collect();
    let uptimes: Vec<u8> = assessments
        .iter()
        .flat_map(|a| a.uptimes.iter().copied())
        .collect();
    let mut days: Vec<i32> = assessments
        .iter()
        .filter_map(|a| a.days_since_modified)
        .map(|d| d.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
        .collect();
    Indicators {
        available_share: (!uptimes.is_empty())
            .then(|| share(uptimes.iter().filter(|u| **u >= 95).count(), uptimes.len())),
        mean_uptime: (!uptimes.is_empty()).then(|| {
            uptimes.iter().map(|u| f64::from(*u)).sum::<f64>() / 100.0 / uptimes.len() as f64
        }),
        median_days_since_modified: (!days.is_empty()).then(|| median(&mut days)),
        status_codes,
        metric_shares,
        freshness_share: (!fresh.is_empty())
            .then(|| share(fresh.iter().filter(|b| **b).count(), fresh.len())),
        working_links_share: (links_checked > 0).then(|| share(links_working, links_checked)),
        datasets: assessments.len(),
        distributions,
        mqa_mean: mean(&mqa),
        mqa_median: median(&mut mqa),
        ext_mean: mean(&ext),
        ext_median: median(&mut ext),
        bands,
        open_licence_share: share(
            assessments.iter().map(|a| a.open_licence).sum(),
            distributions,
        ),
        machine_readable_share: share(
            assessments.iter().map(|a| a.machine_readable).sum(),
            distributions,
        ),
        non_proprietary_share: share(
            assessments.iter().map(|a| a.non_proprietary).sum(),
            distributions,
        ),
        conformance_share,
        stars: stars_histogram,
        top_violations,
        top_vocabulary_violations,
        not_measured,
    }
}

/// `fedcat report quality` for one producer.
pub fn render(source: &str, indicators: &Indicators) -> String {
    let pct = |share: f64| format!("{:.0} %", share * 100.0);
    let mut out = format!(
        "== {source}: {} datasets, {} distributions\n\
         MQA score (0–405)       mean {:.1}  median {:.1}\n\
         extended score          mean {:.1}  median {:.1}\n\
         MQA rating              excellent {}  good {}  sufficient {}  bad {}\n\
         distributions           open licence {}  machine-readable {}  non-proprietary {}\n\
         DCAT-AP conformance     {}\n\
         working links           {}\n\
         updated in time         {}\n\
         days since modified     median {}\n\
         availability (≥ 95 %)   {}  mean uptime {}\n\
         five stars (datasets)   0★ {}  1★ {}  2★ {}  3★ {}  4★ {}  5★ {}\n",
        indicators.datasets,
        indicators.distributions,
        indicators.mqa_mean,
        indicators.mqa_median,
        indicators.ext_mean,
        indicators.ext_median,
        indicators.bands[0],
        indicators.bands[1],
        indicators.bands[2],
        indicators.bands[3],
        pct(indicators.open_licence_share),
        pct(indicators.machine_readable_share),
        pct(indicators.non_proprietary_share),
        indicators
            .conformance_share
            .map_or("not measured ([shacl] enabled = false)".to_owned(), pct),
        indicators
            .working_links_share
            .map_or("not checked yet (fedcat check-links)".to_owned(), pct),
        indicators
            .freshness_share
            .map_or("no dataset declares a regular frequency".to_owned(), pct),
        indicators
            .median_days_since_modified
            .map_or("no dataset gives dct:modified".to_owned(), |d| format!(
                "{d:.0}"
            )),
        indicators
            .available_share
            .map_or("not checked yet".to_owned(), pct),
        indicators.mean_uptime.map_or("–".to_owned(), pct),
        indicators.stars[0],
        indicators.stars[1],
        indicators.stars[2],
        indicators.stars[3],
        indicators.stars[4],
        indicators.stars[5],
    );
    for (name, codes) in &indicators.status_codes {
        let codes: Vec<String> = codes.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
        out.push_str(&format!("{name:<24}{}\n", codes.join(", ")));
    }
    let shares: Vec<String> = fedcat_catalog::quality::metrics::ALL
        .iter()
        .filter_map(|m| {
            let share = indicators.metric_shares.get(m.id)?;
            Some(format!("{} {}", m.id, pct(*share)))
        })
        .collect();
    if !shares.is_empty() {
        out.push_str(&format!("metrics true            {}\n", shares.join(", ")));
    }
    for (path, count) in &indicators.top_violations {
        out.push_str(&format!("  violation {path}  ({count} datasets)\n"));
    }
    for (path, count) in &indicators.top_vocabulary_violations {
        out.push_str(&format!(
            "  vocabulary violation {path}  ({count} datasets)\n"
        ));
    }
    if !indicators.not_measured.is_empty() {
        out.push_str(&format!(
            "not measured (0 points): {}\n",
            indicators.not_measured.join(", ")
        ));
    }
    out
}
