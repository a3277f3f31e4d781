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

/// Counts how many datasets have each path (a dataset counts once per path).
fn count_paths(counts: &mut HashMap<String, usize>, paths: &[String]) {
    let distinct: std::collections::BTreeSet<&str> = paths.iter().map(String::as_str).collect();
    for path in distinct {
        match counts.get_mut(path) {
            Some(n) => *n += 1,
            None => {
                counts.insert(path.to_owned(), 1);
            }
        }
    }
}

/// The ten paths most datasets violate, with the number of datasets violating each.
fn top_paths(counts: &HashMap<String, usize>) -> Vec<(String, usize)> {
    let mut top: Vec<(String, usize)> = counts.iter().map(|(p, n)| (p.clone(), *n)).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    top
}

/// A producer's indicators being gathered one assessment at a time, so that a source of any
/// size is assessed in batches: what it keeps per dataset is a few numbers (the scores and
/// days for the medians), everything else is counts.
#[derive(Debug, Default)]
pub struct IndicatorTally {
    mqa: Vec<i32>,
    ext: Vec<i32>,
    distributions: usize,
    bands: [usize; 4],
    stars: [usize; 6],
    not_measured: std::collections::BTreeSet<&'static str>,
    violation_paths: HashMap<String, usize>,
    vocabulary_violation_paths: HashMap<String, usize>,
    /// Datasets validated, and those conforming (none validated: validation is off).
    validated: usize,
    conforming: usize,
    links_checked: usize,
    links_working: usize,
    fresh: (usize, usize),
    status_codes: std::collections::BTreeMap<&'static str, std::collections::BTreeMap<u16, usize>>,
    /// Per boolean metric: (true, measured).
    tallies: std::collections::BTreeMap<&'static str, (usize, usize)>,
    /// Distributions with an uptime, those available (≥ 95 %), and the sum of their uptimes.
    uptimes: (usize, usize, u64),
    days: Vec<i32>,
    open_licence: usize,
    machine_readable: usize,
    non_proprietary: usize,
}

impl IndicatorTally {
    /// Counts one dataset's assessment.
    pub fn add(&mut self, a: &DatasetAssessment) {
        self.mqa.push(a.scores.mqa.total);
        self.ext.push(a.scores.ext.total);
        self.distributions += a.distributions;
        let band = match a.scores.mqa.rating {
            Rating::Excellent => 0,
            Rating::Good => 1,
            Rating::Sufficient => 2,
            Rating::Bad => 3,
        };
        self.bands[band] += 1;
        self.stars[usize::from(a.stars.min(5))] += 1;
        self.not_measured
            .extend(a.scores.not_measured.iter().copied());
        count_paths(&mut self.violation_paths, &a.violation_paths);
        count_paths(
            &mut self.vocabulary_violation_paths,
            &a.vocabulary_violation_paths,
        );
        if let Some(conforms) = a.conforms {
            self.validated += 1;
            self.conforming += usize::from(conforms);
        }
        self.links_checked += a.links_checked;
        self.links_working += a.links_working;
        if let Some(Value::Bool(fresh)) = a.measurements.dataset_values.get("E18") {
            self.fresh.0 += usize::from(*fresh);
            self.fresh.1 += 1;
        }
        self.tally(&a.measurements.dataset_values);
        for (_, values) in &a.measurements.distributions {
            self.tally(values);
            for (id, name) in [("M5", "access_url"), ("M7", "download_url")] {
                if let Some(Value::Status(code)) = values.get(id) {
                    *self
                        .status_codes
                        .entry(name)
                        .or_default()
                        .entry(*code)
                        .or_default() += 1;
                }
            }
        }
        for uptime in &a.uptimes {
            self.uptimes.0 += 1;
            self.uptimes.1 += usize::from(*uptime >= 95);
            self.uptimes.2 += u64::from(*uptime);
        }
        if let Some(days) = a.days_since_modified {
            self.days
                .push(days.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
        }
        self.open_licence += a.open_licence;
        self.machine_readable += a.machine_readable;
        self.non_proprietary += a.non_proprietary;
    }

    fn tally(&mut self, values: &std::collections::BTreeMap<&'static str, Value>) {
        for (id, value) in values {
            if let Value::Bool(b) = value {
                let entry = self.tallies.entry(id).or_default();
                entry.0 += usize::from(*b);
                entry.1 += 1;
            }
        }
    }

    /// The indicators of the datasets counted.
    pub fn finish(mut self) -> Indicators {
        let share = |part: usize, whole: usize| part as f64 / whole.max(1) as f64;
        let mean = |v: &[i32]| v.iter().map(|x| f64::from(*x)).sum::<f64>() / v.len().max(1) as f64;
        let datasets = self.mqa.len();
        let (with_uptime, available, uptime_sum) = self.uptimes;
        Indicators {
            available_share: (with_uptime > 0).then(|| share(available, with_uptime)),
            mean_uptime: (with_uptime > 0).then(|| uptime_sum as f64 / 100.0 / with_uptime as f64),
            median_days_since_modified: (!self.days.is_empty()).then(|| median(&mut self.days)),
            metric_shares: self
                .tallies
                .iter()
                .map(|(id, (yes, all))| (*id, share(*yes, *all)))
                .collect(),
            status_codes: self.status_codes,
            freshness_share: (self.fresh.1 > 0).then(|| share(self.fresh.0, self.fresh.1)),
            working_links_share: (self.links_checked > 0)
                .then(|| share(self.links_working, self.links_checked)),
            datasets,
            distributions: self.distributions,
            mqa_mean: mean(&self.mqa),
            mqa_median: median(&mut self.mqa),
            ext_mean: mean(&self.ext),
            ext_median: median(&mut self.ext),
            bands: self.bands,
            open_licence_share: share(self.open_licence, self.distributions),
            machine_readable_share: share(self.machine_readable, self.distributions),
            non_proprietary_share: share(self.non_proprietary, self.distributions),
            conformance_share: (self.validated > 0).then(|| share(self.conforming, datasets)),
            stars: self.stars,
            top_violations: top_paths(&self.violation_paths),
            top_vocabulary_violations: top_paths(&self.vocabulary_violation_paths),
            not_measured: self.not_measured.into_iter().collect(),
        }
    }
}

/// The indicators of one producer.
pub fn indicators(assessments: &[DatasetAssessment]) -> Indicators {
    let mut tally = IndicatorTally::default();
    for assessment in assessments {
        tally.add(assessment);
    }
    tally.finish()
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
