//! Full-text and faceted search over the catalogue's datasets: a tantivy index beside the store
//! (`{data_dir}/search`), one document per dataset record read from its graph, with the quality
//! rating and duplicate cluster the application adds. The index is derived data: it can be
//! rebuilt from the store at any time and is repaired by comparing record sets.

mod document;
mod index;
mod query_text;

pub use document::{SearchDocument, ckan_name, package_name};
pub use index::{FACETS, Filter, QUERY_FIELDS, SearchIndex, SearchQuery, SearchResults, Sort};
pub use query_text::{MAX_QUERY_CHARS, MAX_QUERY_DEPTH, QueryTextError, check_query_text};
