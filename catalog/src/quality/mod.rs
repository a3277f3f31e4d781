//! Metadata quality (work in progress: measurements and scores of one record; the link
//! checker, DQV graphs and indicators come next). Every check produces a typed measurement
//! ([`measure::measure`]); scores are a pure function of the measurements and a score table
//! kept as data ([`score::score`]): data.europa.eu's MQA (0–405, the best-distribution and
//! dataset-date rules, its rating bands) and fedcat's extended score (MQA plus extension
//! indicators), and a five-star level per distribution.

pub mod dqv;
pub mod measure;
pub mod metrics;
pub mod score;

#[cfg(test)]
mod golden;
