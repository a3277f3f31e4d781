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

/// One dataset's part of its producer's indicators: what [`IndicatorTally`] needs of its
/// assessment, small enough to be kept per record in the state database
/// ([`fedcat_catalog::storage::QualityMemo`]) so that the indicators of a source are computed
/// without assessing again the records that did not change.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DatasetTally {
    /// MQA and extended scores.
    pub mqa: i32,
    /// Extended score.
    pub ext: i32,
    /// MQA rating: 0 excellent, 1 good, 2 sufficient, 3 bad.
    pub band: u8,
    /// Five-star level.
    pub stars: u8,
    /// Distributions, and those under an open licence, machine-readable, non-proprietary.
    pub distributions: u32,
    /// Under an open licence (E16).
    pub open_licence: u32,
    /// Machine-readable (M12).
    pub machine_readable: u32,
    /// Non-proprietary (M11).
    pub non_proprietary: u32,
    /// Metrics not measured.
    pub not_measured: Vec<String>,
    /// Distinct SHACL violation paths.
    pub violation_paths: Vec<String>,
    /// Distinct controlled-vocabulary violation paths.
    pub vocabulary_violation_paths: Vec<String>,
    /// DCAT-AP conformance (`None`: not validated).
    pub conforms: Option<bool>,
    /// Distributions with a checked URL, and those answering 2xx.
    pub links_checked: u32,
    /// Answering 2xx.
    pub links_working: u32,
    /// Updated in time (E18), when the frequency promises a period.
    pub fresh: Option<bool>,
    /// Boolean metrics: (id, true, measured) over the dataset and its distributions.
    pub metrics: Vec<(String, u32, u32)>,
    /// Status codes of the access and download URLs: (name, code, distributions).
    pub status_codes: Vec<(String, u16, u32)>,
    /// Per distribution with a checked URL, the share (%) of its recent checks answered 2xx.
    pub uptimes: Vec<u8>,
    /// The dataset's `dct:modified` day.
    pub modified: Option<chrono::NaiveDate>,
}

impl DatasetTally {
    /// The part of an assessment made on `today` that the indicators count.
    pub fn of(a: &DatasetAssessment, today: chrono::NaiveDate) -> Self {
        let band = match a.scores.mqa.rating {
            Rating::Excellent => 0,
            Rating::Good => 1,
            Rating::Sufficient => 2,
            Rating::Bad => 3,
        };
        let mut metrics: std::collections::BTreeMap<&str, (u32, u32)> =
            std::collections::BTreeMap::new();
        let mut status_codes: std::collections::BTreeMap<(&str, u16), u32> =
            std::collections::BTreeMap::new();
        let mut tally = |values: &std::collections::BTreeMap<&'static str, Value>| {
            for (id, value) in values {
                if let Value::Bool(b) = value {
                    let entry = metrics.entry(id).or_default();
                    entry.0 += u32::from(*b);
                    entry.1 += 1;
                }
            }
        };
        tally(&a.measurements.dataset_values);
        for (_, values) in &a.measurements.distributions {
            tally(values);
            for (id, name) in [("M5", "access_url"), ("M7", "download_url")] {
                if let Some(Value::Status(code)) = values.get(id) {
                    *status_codes.entry((name, *code)).or_default() += 1;
                }
            }
        }
        let distinct = |paths: &[String]| {
            let set: std::collections::BTreeSet<&String> = paths.iter().collect();
            set.into_iter().cloned().collect()
        };
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            mqa: a.scores.mqa.total,
            ext: a.scores.ext.total,
            band,
            stars: a.stars.min(5),
            distributions: count(a.distributions),
            open_licence: count(a.open_licence),
            machine_readable: count(a.machine_readable),
            non_proprietary: count(a.non_proprietary),
            not_measured: a
                .scores
                .not_measured
                .iter()
                .map(|m| (*m).to_owned())
                .collect(),
            violation_paths: distinct(&a.violation_paths),
            vocabulary_violation_paths: distinct(&a.vocabulary_violation_paths),
            conforms: a.conforms,
            links_checked: count(a.links_checked),
            links_working: count(a.links_working),
            fresh: match a.measurements.dataset_values.get("E18") {
                Some(Value::Bool(fresh)) => Some(*fresh),
                _ => None,
            },
            metrics: metrics
                .into_iter()
                .map(|(id, (yes, all))| (id.to_owned(), yes, all))
                .collect(),
            status_codes: status_codes
                .into_iter()
                .map(|((name, code), n)| (name.to_owned(), code, n))
                .collect(),
            uptimes: a.uptimes.clone(),
            modified: a
                .days_since_modified
                .map(|days| today - chrono::Duration::days(days)),
        }
    }
}

/// The `&'static` name of a metric id or status-code group read back from a memo (unknown
/// ones, from another version, are left out).
fn static_name(name: &str) -> Option<&'static str> {
    ["access_url", "download_url"]
        .into_iter()
        .chain(fedcat_catalog::quality::metrics::ALL.iter().map(|m| m.id))
        .find(|known| *known == name)
}

/// A producer's indicators being gathered one dataset at a time, so that a source of any size
/// is counted in batches: what it keeps per dataset is a few numbers (the scores and days for
/// the medians), everything else is counts.
#[derive(Debug)]
pub struct IndicatorTally {
    today: chrono::NaiveDate,
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
    /// An empty tally; days since modification are counted to `today`.
    pub fn new(today: chrono::NaiveDate) -> Self {
        Self {
            today,
            mqa: Vec::new(),
            ext: Vec::new(),
            distributions: 0,
            bands: [0; 4],
            stars: [0; 6],
            not_measured: std::collections::BTreeSet::new(),
            violation_paths: HashMap::new(),
            vocabulary_violation_paths: HashMap::new(),
            validated: 0,
            conforming: 0,
            links_checked: 0,
            links_working: 0,
            fresh: (0, 0),
            status_codes: std::collections::BTreeMap::new(),
            tallies: std::collections::BTreeMap::new(),
            uptimes: (0, 0, 0),
            days: Vec::new(),
            open_licence: 0,
            machine_readable: 0,
            non_proprietary: 0,
        }
    }

    /// Counts one dataset.
    pub fn add(&mut self, d: &DatasetTally) {
        let n = |count: u32| count as usize;
        self.mqa.push(d.mqa);
        self.ext.push(d.ext);
        self.distributions += n(d.distributions);
        self.bands[usize::from(d.band.min(3))] += 1;
        self.stars[usize::from(d.stars.min(5))] += 1;
        self.not_measured
            .extend(d.not_measured.iter().filter_map(|m| static_name(m)));
        count_paths(&mut self.violation_paths, &d.violation_paths);
        count_paths(
            &mut self.vocabulary_violation_paths,
            &d.vocabulary_violation_paths,
        );
        if let Some(conforms) = d.conforms {
            self.validated += 1;
            self.conforming += usize::from(conforms);
        }
        self.links_checked += n(d.links_checked);
        self.links_working += n(d.links_working);
        if let Some(fresh) = d.fresh {
            self.fresh.0 += usize::from(fresh);
            self.fresh.1 += 1;
        }
        for (id, yes, all) in &d.metrics {
            if let Some(id) = static_name(id) {
                let entry = self.tallies.entry(id).or_default();
                entry.0 += n(*yes);
                entry.1 += n(*all);
            }
        }
        for (name, code, count) in &d.status_codes {
            if let Some(name) = static_name(name) {
                *self
                    .status_codes
                    .entry(name)
                    .or_default()
                    .entry(*code)
                    .or_default() += n(*count);
            }
        }
        for uptime in &d.uptimes {
            self.uptimes.0 += 1;
            self.uptimes.1 += usize::from(*uptime >= 95);
            self.uptimes.2 += u64::from(*uptime);
        }
        if let Some(modified) = d.modified {
            let days = (self.today - modified).num_days();
            self.days
                .push(days.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
        }
        self.open_licence += n(d.open_licence);
        self.machine_readable += n(d.machine_readable);
        self.non_proprietary += n(d.non_proprietary);
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

/// The indicators of one producer, from its datasets' assessments (made today).
pub fn indicators(assessments: &[DatasetAssessment]) -> Indicators {
    let today = chrono::Utc::now().date_naive();
    let mut tally = IndicatorTally::new(today);
    for assessment in assessments {
        tally.add(&DatasetTally::of(assessment, today));
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
