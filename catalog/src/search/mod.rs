//! Full-text and faceted search over the catalogue's datasets: a tantivy index beside the store
//! (`{data_dir}/search`), one document per dataset record read from its graph, with the quality
//! rating and duplicate cluster the application adds. The index is derived data: it can be
//! rebuilt from the store at any time and is repaired by comparing record sets.

mod document;
mod index;

pub use document::SearchDocument;
pub use index::{FACETS, SearchIndex, SearchQuery, SearchResults, Sort};
