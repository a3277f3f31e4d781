//! Placeholder, replaced by the harvest throughput benchmark.
fn main() {}
