//! Scoring: a pure function of the [`Measurements`] and a [`ScoreTable`]. data.europa.eu's
//! algorithm (QUALITY.md §1.4): each distribution's points are summed per dimension, the best
//! distribution (highest total; the first on a tie) is the only one kept, dataset-level points
//! are added, and a dataset-level issued/modified date counts only when the best distribution
//! lacks one. `mqa` uses the M metrics only (0–405); `ext` all metrics (0–580 when every
//! extension is measured), its best distribution chosen by M + E points.

use super::measure::{Measurements, Value};
use super::metrics::{self as m, Dimension, Level, Metric};
use std::collections::BTreeMap;

/// A rating band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rating {
    /// Below the sufficient threshold.
    Bad,
    /// Sufficient (piveau: "enough").
    Sufficient,
    /// Good.
    Good,
    /// Excellent.
    Excellent,
}

impl Rating {
    /// Name as written in reports.
    pub fn name(self) -> &'static str {
        match self {
            Rating::Bad => "bad",
            Rating::Sufficient => "sufficient",
            Rating::Good => "good",
            Rating::Excellent => "excellent",
        }
    }

    /// piveau's scoring concept.
    pub fn iri(self) -> &'static str {
        match self {
            Rating::Bad => "https://piveau.eu/ns/scoring#bad",
            Rating::Sufficient => "https://piveau.eu/ns/scoring#enough",
            Rating::Good => "https://piveau.eu/ns/scoring#good",
            Rating::Excellent => "https://piveau.eu/ns/scoring#excellent",
        }
    }
}

/// Points per metric and rating bands: data, so that weights change without re-harvesting.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreTable {
    /// Metric id → (points if true / 2xx, points if false / other status).
    pub points: BTreeMap<String, (i32, i32)>,
    /// MQA bands: lowest score of Excellent, Good, Sufficient.
    pub mqa_bands: [i32; 3],
    /// Extended-score bands.
    pub ext_bands: [i32; 3],
}

impl Default for ScoreTable {
    /// piveau's default score values (QUALITY.md §1.2) without the optional −5, the bands of
    /// piveau's code (≥ 351, ≥ 221, ≥ 120: a score of exactly 120 is Sufficient), and the
    /// extension points of QUALITY.md §9.2 with bands in the same proportions.
    fn default() -> Self {
        let mqa = [
            ("M1", 30),
            ("M2", 30),
            ("M3", 20),
            ("M4", 20),
            ("M5", 50),
            ("M6", 20),
            ("M7", 30),
            ("M8", 20),
            ("M9", 10),
            ("M10", 10),
            ("M11", 20),
            ("M12", 20),
            ("M13", 30),
            ("M14", 20),
            ("M15", 10),
            ("M16", 10),
            ("M17", 5),
            ("M18", 20),
            ("M19", 10),
            ("M20", 5),
            ("M21", 5),
            ("M22", 5),
            ("M23", 5),
        ];
        let ext = [
            ("E1", 10),
            ("E2", 5),
            ("E3", 5),
            ("E4", 5),
            ("E5", 5),
            ("E6", 10),
            ("E7", 5),
            ("E8", 5),
            ("E9", 5),
            ("E10", 15),
            ("E11", 15),
            ("E12", 10),
            ("E13", 10),
            ("E14", 5),
            ("E16", 10),
            ("E17", 5),
            ("E18", 10),
            ("E19", 5),
            ("E20", 5),
            ("E21", 5),
            ("E22", 5),
            ("E23", 5),
            ("E24", 5),
            ("E25", 5),
            ("E26", 5),
        ];
        Self {
            points: mqa
                .iter()
                .chain(&ext)
                .map(|(id, points)| ((*id).to_owned(), (*points, 0)))
                .collect(),
            mqa_bands: [351, 221, 120],
            ext_bands: [503, 317, 172],
        }
    }
}

impl ScoreTable {
    /// data.europa.eu's 2019 score file: a missing format or media type costs 5 points.
    pub fn with_minus_five(mut self) -> Self {
        for id in ["M8", "M9"] {
            if let Some(points) = self.points.get_mut(id) {
                points.1 = -5;
            }
        }
        self
    }

    /// Points of one measured value.
    pub fn points(&self, metric: &Metric, value: Value) -> i32 {
        let (yes, no) = self.points.get(metric.id).copied().unwrap_or((0, 0));
        match value {
            Value::Bool(true) => yes,
            Value::Bool(false) => no,
            Value::Status(code) if (200..300).contains(&code) => yes,
            Value::Status(_) => no,
            Value::NotMeasured | Value::Level(_) => 0,
        }
    }

    fn rating(bands: [i32; 3], score: i32) -> Rating {
        if score >= bands[0] {
            Rating::Excellent
        } else if score >= bands[1] {
            Rating::Good
        } else if score >= bands[2] {
            Rating::Sufficient
        } else {
            Rating::Bad
        }
    }
}

/// One score with its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Total points.
    pub total: i32,
    /// Points per dimension.
    pub dimensions: BTreeMap<Dimension, i32>,
    /// Rating band.
    pub rating: Rating,
    /// The distribution whose points were kept.
    pub best_distribution: Option<String>,
}

/// Both scores of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// data.europa.eu's MQA score (0–405).
    pub mqa: Score,
    /// MQA plus the extension indicators.
    pub ext: Score,
    /// Metrics that could not be measured (their points are 0).
    pub not_measured: Vec<&'static str>,
}

fn metric(id: &str) -> &'static Metric {
    m::by_id(id).expect("measured metrics are in the table")
}

/// The distribution kept so far: its total, its points per dimension, its values, its name.
type Kept<'a> = (
    i32,
    BTreeMap<Dimension, i32>,
    &'a BTreeMap<&'static str, Value>,
    &'a String,
);

fn one_score(
    measurements: &Measurements,
    table: &ScoreTable,
    include: &dyn Fn(&Metric) -> bool,
    bands: [i32; 3],
) -> Score {
    let mut best: Option<Kept<'_>> = None;
    for (name, values) in &measurements.distributions {
        let mut dimensions: BTreeMap<Dimension, i32> = BTreeMap::new();
        for (id, value) in values {
            let metric = metric(id);
            if metric.level == Level::Distribution && include(metric) {
                *dimensions.entry(metric.dimension).or_default() += table.points(metric, *value);
            }
        }
        let total: i32 = dimensions.values().sum();
        if best.as_ref().is_none_or(|(b, ..)| total > *b) {
            best = Some((total, dimensions, values, name));
        }
    }
    let mut dimensions: BTreeMap<Dimension, i32> =
        Dimension::ALL.into_iter().map(|d| (d, 0)).collect();
    let had = |id: &str| {
        best.as_ref()
            .is_some_and(|(_, _, values, _)| values.get(id) == Some(&Value::Bool(true)))
    };
    if let Some((_, kept, ..)) = &best {
        for (dimension, points) in kept {
            *dimensions.entry(*dimension).or_default() += points;
        }
    }
    for (id, value) in &measurements.dataset_values {
        let metric = metric(id);
        if !include(metric) {
            continue;
        }
        // A date given on the dataset counts when the kept distribution has none.
        if (metric.id == m::ISSUED.id || metric.id == m::MODIFIED.id) && had(metric.id) {
            continue;
        }
        *dimensions.entry(metric.dimension).or_default() += table.points(metric, *value);
    }
    let total = dimensions.values().sum();
    Score {
        total,
        dimensions,
        rating: ScoreTable::rating(bands, total),
        best_distribution: best.map(|(.., name)| name.clone()),
    }
}

/// Scores one dataset's measurements.
pub fn score(measurements: &Measurements, table: &ScoreTable) -> Scores {
    let mut not_measured: Vec<&'static str> = measurements
        .dataset_values
        .iter()
        .chain(
            measurements
                .distributions
                .iter()
                .flat_map(|(_, v)| v.iter()),
        )
        .filter(|(_, v)| **v == Value::NotMeasured)
        .map(|(id, _)| metric(id).id)
        .collect();
    not_measured.sort_unstable();
    not_measured.dedup();
    Scores {
        mqa: one_score(measurements, table, &|metric| metric.mqa, table.mqa_bands),
        ext: one_score(measurements, table, &|_| true, table.ext_bands),
        not_measured,
    }
}

/// The five-star level of a distribution (QUALITY.md §9.3): 0 without an open licence or
/// without a working URL; then 1, +1 machine-readable, +1 non-proprietary, +1 an RDF format,
/// +1 an RDF file that links to other sites (known only when the file was downloaded).
pub fn stars(values: &BTreeMap<&'static str, Value>, rdf_format: bool, linked: bool) -> u8 {
    let yes = |id: &str| values.get(id) == Some(&Value::Bool(true));
    let reachable = [m::ACCESS_URL_STATUS.id, m::DOWNLOAD_URL_STATUS.id]
        .iter()
        .any(|id| match values.get(id) {
            Some(Value::Status(code)) => (200..300).contains(code),
            // Not checked yet: the URL is given, assume it answers.
            Some(Value::NotMeasured) => true,
            _ => false,
        });
    if !yes(m::OPEN_LICENCE.id) || !reachable {
        return 0;
    }
    1 + u8::from(yes(m::MACHINE_READABLE.id))
        + u8::from(yes(m::MACHINE_READABLE.id) && yes(m::NON_PROPRIETARY.id))
        + u8::from(yes(m::MACHINE_READABLE.id) && yes(m::NON_PROPRIETARY.id) && rdf_format)
        + u8::from(
            yes(m::MACHINE_READABLE.id) && yes(m::NON_PROPRIETARY.id) && rdf_format && linked,
        )
}
