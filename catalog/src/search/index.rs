//! The tantivy index: one document per dataset, texts analysed for French and for English with
//! accents folded (so `sante` finds `santé`), facet fields kept as fast fields and counted by
//! term aggregations, and the fields sorting needs. Updating compares each document's
//! fingerprint with the indexed one, so only what changed is rewritten. A client's query text is
//! checked ([`check_query_text`]) before tantivy's recursive grammar parses it, and a page is
//! never collected past the number of documents, whatever offset and limit were asked.

use super::document::SearchDocument;
use super::query_text::{check_query_text, fields_as_text};
use crate::CatalogError;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::{AggregationResult, BucketResult};
use tantivy::aggregation::{AggregationCollector, Key};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{DateTime, Index, IndexReader, IndexWriter, Order, TantivyDocument, Term};

/// The facets a search can filter on and counts.
pub const FACETS: [&str; 8] = [
    "publisher",
    "source",
    "theme",
    "format",
    "licence",
    "keyword",
    "language",
    "rating",
];

/// The fields the query text's `field:value` syntax may name: the facets and `modified`, all
/// fast fields, so `field:*` works on each. Any other `name:` is read as words (an internal
/// field such as `id:*` would otherwise fail at search time with a schema error).
pub const QUERY_FIELDS: [&str; FACETS.len() + 1] = {
    let mut fields = [""; FACETS.len() + 1];
    let mut i = 0;
    while i < FACETS.len() {
        fields[i] = FACETS[i];
        i += 1;
    }
    fields[FACETS.len()] = "modified";
    fields
};

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first (newest first without a text query).
    #[default]
    Relevance,
    /// Most recently modified first.
    Modified,
    /// Least recently modified first.
    ModifiedAscending,
    /// By title.
    Title,
    /// By title, Z to A.
    TitleDescending,
    /// Most recently changed in fedcat first (CKAN's `metadata_modified desc`).
    RecordChanged,
    /// Least recently changed in fedcat first.
    RecordChangedAscending,
    /// Most recently created in fedcat first (CKAN's `metadata_created desc`).
    RecordCreated,
    /// Least recently created in fedcat first.
    RecordCreatedAscending,
    /// By CKAN package name.
    Name,
    /// By CKAN package name, descending.
    NameDescending,
    /// By id (`source/key`).
    Id,
    /// By id, descending.
    IdDescending,
    /// Best MQA score first.
    Quality,
    /// Lowest MQA score first (the datasets that need attention).
    WorstFirst,
}

/// A boolean filter over the facets and the modification date (CKAN's Solr `fq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// A facet holds this value.
    Facet(String, String),
    /// Modified within these dates (inclusive; `None` is open).
    Modified(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>),
    /// fedcat's record changed within these times (inclusive; `None` is open).
    RecordChanged(
        Option<chrono::DateTime<chrono::Utc>>,
        Option<chrono::DateTime<chrono::Utc>>,
    ),
    /// fedcat's record was created within these times (inclusive; `None` is open).
    RecordCreated(
        Option<chrono::DateTime<chrono::Utc>>,
        Option<chrono::DateTime<chrono::Utc>>,
    ),
    /// Every one holds.
    All(Vec<Filter>),
    /// At least one holds.
    Any(Vec<Filter>),
    /// It does not hold.
    Not(Box<Filter>),
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// Free text (any words, French or English).
    pub text: Option<String>,
    /// Facet filters: facet name → value (every filter must hold).
    pub filters: Vec<(String, String)>,
    /// Only datasets modified on or after this date.
    pub modified_after: Option<chrono::NaiveDate>,
    /// Only datasets modified on or before this date.
    pub modified_before: Option<chrono::NaiveDate>,
    /// Order.
    pub sort: Sort,
    /// Results skipped. Any value is safe here (the page collected never reaches past the
    /// number of documents); the APIs bound `offset + limit` by `search.max_result_window`.
    pub offset: usize,
    /// Results returned.
    pub limit: usize,
    /// One result per duplicate cluster (its primary).
    pub collapse: bool,
    /// A boolean filter, besides `filters` (which must all hold too).
    pub filter: Option<Filter>,
}

/// A page of results with the facet counts of the whole result set.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// Datasets matching.
    pub total: usize,
    /// The page asked for.
    pub hits: Vec<SearchDocument>,
    /// Facet → (value, datasets), most frequent first.
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
}

impl SearchResults {
    /// The counts of one facet, most frequent first (none for a facet not counted).
    pub fn facet(&self, name: &str) -> &[(String, u64)] {
        self.facets.get(name).map_or(&[], Vec::as_slice)
    }
}

struct Fields {
    id: Field,
    text_fr: Field,
    text_en: Field,
    title_fr: Field,
    title_en: Field,
    facets: HashMap<&'static str, Field>,
    modified: Field,
    record_created: Field,
    record_changed: Field,
    title_sort: Field,
    name_sort: Field,
    quality: Field,
    visible: Field,
    cluster: Field,
    stored: Field,
}

/// The search index of the catalogue.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    facet_cache: Mutex<FacetCache>,
}

/// The total and facet counts of searches without text (an empty search, filters only: the
/// most frequent and, on a large index, the costliest to count), kept for the index generation
/// they were counted on.
#[derive(Default)]
struct FacetCache {
    generation: u64,
    counts: HashMap<String, (usize, Facets)>,
}

/// Facet → (value, datasets), most frequent first.
type Facets = BTreeMap<String, Vec<(String, u64)>>;

/// The most searches without text whose counts are kept; past it the cache starts again.
const FACET_CACHE_ENTRIES: usize = 512;

/// A time in microseconds that tantivy's nanosecond dates can hold (years 1678 to 2262): a
/// bound a client writes (`metadata_modified:[2999-01-01 TO *]`) or a portal's year 9999 must
/// not overflow them.
fn representable_micros(micros: i64) -> i64 {
    // Whole seconds at the ends: the index keeps dates to the second, so a clamped bound and a
    // clamped date meet.
    const LIMIT: i64 = i64::MAX / 1_000_000_000 * 1_000_000;
    micros.clamp(-LIMIT, LIMIT)
}

fn error(context: &str, cause: impl std::fmt::Display) -> CatalogError {
    CatalogError::Search(format!("{context}: {cause}"))
}

fn analyzer(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(language))
        .build()
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |name: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(name)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    // FAST: CKAN clients page by `sort=id asc` (ckanext-harvest does).
    let id = builder.add_text_field("id", STRING | STORED | FAST);
    let text_fr = builder.add_text_field("text_fr", text("fr"));
    let text_en = builder.add_text_field("text_en", text("en"));
    let title_fr = builder.add_text_field("title_fr", text("fr"));
    let title_en = builder.add_text_field("title_en", text("en"));
    let facets = FACETS
        .iter()
        .map(|name| (*name, builder.add_text_field(name, STRING | FAST)))
        .collect();
    let modified = builder.add_date_field("modified", INDEXED | FAST);
    let record_created = builder.add_date_field("record_created", INDEXED | FAST);
    let record_changed = builder.add_date_field("record_changed", INDEXED | FAST);
    let title_sort = builder.add_text_field("title_sort", STRING | FAST);
    // The package name the CKAN API shows, for `sort=name`.
    let name_sort = builder.add_text_field("name_sort", STRING | FAST);
    let quality = builder.add_u64_field("quality", FAST);
    let visible = builder.add_u64_field("visible", INDEXED);
    let cluster = builder.add_text_field("cluster", STRING);
    let stored = builder.add_text_field("document", STORED);
    let fields = Fields {
        id,
        text_fr,
        text_en,
        title_fr,
        title_en,
        facets,
        modified,
        record_created,
        record_changed,
        title_sort,
        name_sort,
        quality,
        visible,
        cluster,
        stored,
    };
    (builder.build(), fields)
}

/// Lower case, accents folded: the key titles are sorted on.
fn sort_key(title: &str) -> String {
    let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    let mut stream = analyzer.token_stream(title);
    let mut words = Vec::new();
    while let Some(token) = stream.next() {
        words.push(token.text.clone());
    }
    words.join(" ")
}

impl SearchIndex {
    /// Opens (or creates) the index in `dir`.
    pub fn open(dir: &Path) -> Result<Self, CatalogError> {
        std::fs::create_dir_all(dir).map_err(|e| error(&dir.display().to_string(), e))?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| error(&dir.display().to_string(), e))?;
        let index = match Index::open_or_create(directory, schema.clone()) {
            Ok(index) => index,
            // An index written by another version of fedcat, with other fields: it is derived
            // from the store, so it is emptied and filled again by the next sync.
            Err(tantivy::TantivyError::SchemaError(why)) => {
                tracing::warn!(dir = %dir.display(), %why, "search index schema changed: rebuilding it");
                std::fs::remove_dir_all(dir).map_err(|e| error(&dir.display().to_string(), e))?;
                std::fs::create_dir_all(dir).map_err(|e| error(&dir.display().to_string(), e))?;
                let directory = tantivy::directory::MmapDirectory::open(dir)
                    .map_err(|e| error(&dir.display().to_string(), e))?;
                Index::create(directory, schema, tantivy::IndexSettings::default()).map_err(
                    |e| {
                        error(
                            &format!("creating the search index in {}", dir.display()),
                            e,
                        )
                    },
                )?
            }
            Err(e) => {
                return Err(error(
                    &format!("opening the search index in {}", dir.display()),
                    e,
                ));
            }
        };
        Self::with_index(index, fields)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self, CatalogError> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<Self, CatalogError> {
        index
            .tokenizers()
            .register("fr", analyzer(Language::French));
        index
            .tokenizers()
            .register("en", analyzer(Language::English));
        let writer = index.writer(50_000_000).map_err(|e| {
            error(
                "the search index is locked (another fedcat process holds it)",
                e,
            )
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| error("search index reader", e))?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            facet_cache: Mutex::new(FacetCache::default()),
        })
    }

    fn to_tantivy(&self, document: &SearchDocument) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &document.id);
        let body: Vec<&str> = document
            .descriptions
            .iter()
            .chain(&document.keywords)
            .map(String::as_str)
            .chain(document.publisher.as_deref())
            .collect();
        for title in &document.titles {
            doc.add_text(f.title_fr, title);
            doc.add_text(f.title_en, title);
        }
        for text in body {
            doc.add_text(f.text_fr, text);
            doc.add_text(f.text_en, text);
        }
        let mut facet = |name: &str, value: &str| {
            doc.add_text(f.facets[name], value);
        };
        if let Some(publisher) = &document.publisher {
            facet("publisher", publisher);
        }
        facet("source", &document.source);
        for (name, values) in [
            ("theme", &document.themes),
            ("format", &document.formats),
            ("licence", &document.licences),
            ("keyword", &document.keywords),
            ("language", &document.languages),
        ] {
            for value in values {
                facet(name, value);
            }
        }
        if let Some(rating) = &document.rating {
            facet("rating", rating);
        }
        if let Some(date) = document
            .modified
            .as_deref()
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        {
            let seconds = date
                .and_hms_opt(0, 0, 0)
                .map_or(0, |t| t.and_utc().timestamp());
            // A portal's year 9999 must not overflow tantivy's nanoseconds.
            doc.add_date(
                f.modified,
                DateTime::from_timestamp_micros(representable_micros(
                    seconds.saturating_mul(1_000_000),
                )),
            );
        }
        for (field, time) in [
            (f.record_created, &document.record_created),
            (f.record_changed, &document.record_changed),
        ] {
            if let Some(time) = time
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            {
                doc.add_date(
                    field,
                    DateTime::from_timestamp_micros(representable_micros(time.timestamp_micros())),
                );
            }
        }
        doc.add_text(f.title_sort, sort_key(document.title()));
        doc.add_text(f.name_sort, super::package_name(&document.id));
        doc.add_u64(f.quality, document.mqa_score.unwrap_or(0));
        doc.add_u64(f.visible, u64::from(document.primary));
        if let Some(cluster) = &document.cluster {
            doc.add_text(f.cluster, cluster);
        }
        doc.add_text(
            f.stored,
            serde_json::to_string(document).unwrap_or_default(),
        );
        doc
    }

    fn stored(&self, doc: &TantivyDocument) -> Option<SearchDocument> {
        let text = doc.get_first(self.fields.stored)?.as_str()?;
        serde_json::from_str(text).ok()
    }

    /// Every indexed document of `source` (all sources with `None`).
    pub fn documents(&self, source: Option<&str>) -> Result<Vec<SearchDocument>, CatalogError> {
        let searcher = self.reader.searcher();
        let query: Box<dyn Query> = match source {
            Some(source) => Box::new(TermQuery::new(
                Term::from_field_text(self.fields.facets["source"], source),
                IndexRecordOption::Basic,
            )),
            None => Box::new(AllQuery),
        };
        let count = searcher
            .search(&query, &Count)
            .map_err(|e| error("search", e))?;
        let hits = searcher
            .search(&query, &TopDocs::with_limit(count.max(1)).order_by_score())
            .map_err(|e| error("search", e))?;
        hits.into_iter()
            .map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address).map_err(|e| error("search", e))?;
                Ok(self.stored(&doc))
            })
            .filter_map(Result::transpose)
            .collect()
    }

    /// The indexed documents among `ids` (id → document): what a batch of the sync compares
    /// its documents with.
    pub fn documents_by_id(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, SearchDocument>, CatalogError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let searcher = self.reader.searcher();
        let query = TermSetQuery::new(
            ids.iter()
                .map(|id| Term::from_field_text(self.fields.id, id)),
        );
        let hits = searcher
            .search(&query, &TopDocs::with_limit(ids.len()).order_by_score())
            .map_err(|e| error("search", e))?;
        let mut out = HashMap::with_capacity(hits.len());
        for (_, address) in hits {
            let doc: TantivyDocument = searcher.doc(address).map_err(|e| error("search", e))?;
            if let Some(document) = self.stored(&doc) {
                out.insert(document.id.clone(), document);
            }
        }
        Ok(out)
    }

    /// The ids of the documents of `source`, each stored document read and dropped in turn.
    pub fn source_ids(&self, source: &str) -> Result<HashSet<String>, CatalogError> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.facets["source"], source),
            IndexRecordOption::Basic,
        );
        let addresses = searcher
            .search(&query, &DocSetCollector)
            .map_err(|e| error("search", e))?;
        let mut ids = HashSet::with_capacity(addresses.len());
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address).map_err(|e| error("search", e))?;
            if let Some(id) = doc.get_first(self.fields.id).and_then(|v| v.as_str()) {
                ids.insert(id.to_owned());
            }
        }
        Ok(ids)
    }

    /// The sources that have documents in the index.
    pub fn indexed_sources(&self) -> Result<Vec<String>, CatalogError> {
        Ok(self
            .facet_values("source")?
            .into_iter()
            .map(|(source, _)| source)
            .collect())
    }

    /// Writes those of `documents` that differ from what is indexed (`indexed`, id →
    /// document), without committing: a sync stages batch after batch, then commits once.
    /// Returns how many were written.
    pub fn stage_changes(
        &self,
        indexed: &HashMap<String, SearchDocument>,
        documents: Vec<SearchDocument>,
    ) -> Result<usize, CatalogError> {
        let writer = self.writer.lock().expect("search writer");
        let mut written = 0;
        for document in documents {
            if indexed.get(&document.id) == Some(&document) {
                continue;
            }
            writer.delete_term(Term::from_field_text(self.fields.id, &document.id));
            writer
                .add_document(self.to_tantivy(&document))
                .map_err(|e| error("indexing", e))?;
            written += 1;
        }
        Ok(written)
    }

    /// Deletes documents by id, without committing.
    pub fn stage_deletions<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> usize {
        let writer = self.writer.lock().expect("search writer");
        let mut deleted = 0;
        for id in ids {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
            deleted += 1;
        }
        deleted
    }

    /// Commits what was staged and makes it visible to searches.
    pub fn commit(&self) -> Result<(), CatalogError> {
        let mut writer = self.writer.lock().expect("search writer");
        writer
            .commit()
            .map_err(|e| error("committing the index", e))?;
        self.reader.reload().map_err(|e| error("reloading", e))?;
        Ok(())
    }

    /// Makes the documents of `sources` exactly `documents`: new and changed ones are written,
    /// those no longer present deleted, unchanged ones left alone. Returns (written, deleted).
    pub fn sync(
        &self,
        sources: &[&str],
        documents: Vec<SearchDocument>,
    ) -> Result<(usize, usize), CatalogError> {
        let mut indexed: HashMap<String, SearchDocument> = HashMap::new();
        for source in sources {
            for document in self.documents(Some(source))? {
                indexed.insert(document.id.clone(), document);
            }
        }
        self.sync_against(indexed, documents)
    }

    /// [`sync`](Self::sync) given the documents indexed now (id → document), when the caller
    /// has already read them.
    pub fn sync_against(
        &self,
        indexed: HashMap<String, SearchDocument>,
        documents: Vec<SearchDocument>,
    ) -> Result<(usize, usize), CatalogError> {
        let seen: HashSet<String> = documents.iter().map(|d| d.id.clone()).collect();
        let written = self.stage_changes(&indexed, documents)?;
        let deleted = self.stage_deletions(indexed.keys().filter(|id| !seen.contains(*id)));
        if written + deleted > 0 {
            self.commit()?;
        }
        Ok((written, deleted))
    }

    /// Deletes every document (before a rebuild).
    pub fn clear(&self) -> Result<(), CatalogError> {
        let mut writer = self.writer.lock().expect("search writer");
        writer
            .delete_all_documents()
            .map_err(|e| error("clearing the index", e))?;
        writer
            .commit()
            .map_err(|e| error("committing the index", e))?;
        self.reader.reload().map_err(|e| error("reloading", e))?;
        Ok(())
    }

    /// The ids of the documents indexed, by source.
    pub fn ids_by_source(&self) -> Result<BTreeMap<String, HashSet<String>>, CatalogError> {
        let mut out: BTreeMap<String, HashSet<String>> = BTreeMap::new();
        for document in self.documents(None)? {
            out.entry(document.source.clone())
                .or_default()
                .insert(document.id);
        }
        Ok(out)
    }

    fn build_query(&self, query: &SearchQuery) -> Result<Box<dyn Query>, CatalogError> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text) = query.text.as_deref().filter(|t| !t.trim().is_empty()) {
            // Refused before the grammar recurses over it; then unknown fields become words.
            check_query_text(text)?;
            let (parsed, _) = tantivy::query_grammar::parse_query_lenient(text);
            let parsed = fields_as_text(parsed, &QUERY_FIELDS);
            let mut parser = QueryParser::for_index(
                &self.index,
                vec![f.title_fr, f.title_en, f.text_fr, f.text_en],
            );
            parser.set_field_boost(f.title_fr, 3.0);
            parser.set_field_boost(f.title_en, 3.0);
            parser.set_conjunction_by_default();
            let (parsed, _) = parser.build_query_from_user_input_ast_lenient(parsed);
            clauses.push((Occur::Must, parsed));
        }
        for (name, value) in &query.filters {
            let field = f.facets.get(name.as_str()).ok_or_else(|| {
                CatalogError::Search(format!("no facet {name:?} (facets: {})", FACETS.join(", ")))
            })?;
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(*field, value),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        if query.modified_after.is_some() || query.modified_before.is_some() {
            clauses.push((
                Occur::Must,
                self.modified_range(query.modified_after, query.modified_before),
            ));
        }
        if let Some(filter) = &query.filter {
            clauses.push((Occur::Must, self.filter_query(filter)?));
        }
        if query.collapse {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.visible, 1),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        Ok(if clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(clauses))
        })
    }

    fn modified_range(
        &self,
        after: Option<chrono::NaiveDate>,
        before: Option<chrono::NaiveDate>,
    ) -> Box<dyn Query> {
        let bound = |date: Option<chrono::NaiveDate>| match date {
            Some(date) => {
                let seconds = date
                    .and_hms_opt(0, 0, 0)
                    .map_or(0, |t| t.and_utc().timestamp());
                std::ops::Bound::Included(Term::from_field_date(
                    self.fields.modified,
                    DateTime::from_timestamp_micros(representable_micros(
                        seconds.saturating_mul(1_000_000),
                    )),
                ))
            }
            None => std::ops::Bound::Unbounded,
        };
        Box::new(RangeQuery::new(bound(after), bound(before)))
    }

    fn time_range(
        &self,
        field: Field,
        after: Option<chrono::DateTime<chrono::Utc>>,
        before: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Box<dyn Query> {
        let bound = |time: Option<chrono::DateTime<chrono::Utc>>| match time {
            Some(time) => std::ops::Bound::Included(Term::from_field_date(
                field,
                DateTime::from_timestamp_micros(representable_micros(time.timestamp_micros())),
            )),
            None => std::ops::Bound::Unbounded,
        };
        Box::new(RangeQuery::new(bound(after), bound(before)))
    }

    /// A [`Filter`] as a tantivy query (its depth is bounded by whoever parsed it).
    fn filter_query(&self, filter: &Filter) -> Result<Box<dyn Query>, CatalogError> {
        Ok(match filter {
            Filter::Facet(name, value) => {
                let field = self.fields.facets.get(name.as_str()).ok_or_else(|| {
                    CatalogError::Search(format!(
                        "no facet {name:?} (facets: {})",
                        FACETS.join(", ")
                    ))
                })?;
                Box::new(TermQuery::new(
                    Term::from_field_text(*field, value),
                    IndexRecordOption::Basic,
                ))
            }
            Filter::Modified(after, before) => self.modified_range(*after, *before),
            Filter::RecordChanged(after, before) => {
                self.time_range(self.fields.record_changed, *after, *before)
            }
            Filter::RecordCreated(after, before) => {
                self.time_range(self.fields.record_created, *after, *before)
            }
            Filter::All(parts) | Filter::Any(parts) if parts.is_empty() => Box::new(AllQuery),
            Filter::All(parts) => Box::new(BooleanQuery::new(
                parts
                    .iter()
                    .map(|p| Ok((Occur::Must, self.filter_query(p)?)))
                    .collect::<Result<Vec<_>, CatalogError>>()?,
            )),
            Filter::Any(parts) => Box::new(BooleanQuery::new(
                parts
                    .iter()
                    .map(|p| Ok((Occur::Should, self.filter_query(p)?)))
                    .collect::<Result<Vec<_>, CatalogError>>()?,
            )),
            Filter::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, self.filter_query(inner)?),
            ])),
        })
    }

    /// Runs a search: the page asked for, the total and the facet counts.
    #[expect(
        clippy::too_many_lines,
        reason = "one tantivy query (text, facets, dates) whose page, facet counts and collapse are collected over the same searcher"
    )]
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults, CatalogError> {
        let searcher = self.reader.searcher();
        let built = self.build_query(query)?;
        // tantivy reserves room for `offset + limit` hits per segment: never ask for more than
        // there are documents, and skip collecting when the page starts past the last one.
        let documents = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
        let limit = query
            .limit
            .max(1)
            .min(documents.saturating_sub(query.offset));
        let top = TopDocs::with_limit(limit.max(1)).and_offset(query.offset);
        let has_text = query.text.as_deref().is_some_and(|t| !t.trim().is_empty());
        let addresses: Vec<tantivy::DocAddress> = match (query.sort, has_text) {
            _ if limit == 0 => Vec::new(),
            (Sort::Relevance, true) => searcher
                .search(&built, &top.order_by_score())
                .map_err(|e| error("search", e))?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            (Sort::Relevance | Sort::Modified, _) => searcher
                .search(
                    &built,
                    &top.order_by_fast_field::<DateTime>("modified", Order::Desc),
                )
                .map_err(|e| error("search", e))?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            (Sort::Quality, _) => searcher
                .search(
                    &built,
                    &top.order_by_fast_field::<u64>("quality", Order::Desc),
                )
                .map_err(|e| error("search", e))?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            (Sort::WorstFirst, _) => searcher
                .search(
                    &built,
                    &top.order_by_fast_field::<u64>("quality", Order::Asc),
                )
                .map_err(|e| error("search", e))?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            (Sort::ModifiedAscending, _) => searcher
                .search(
                    &built,
                    &top.order_by_fast_field::<DateTime>("modified", Order::Asc),
                )
                .map_err(|e| error("search", e))?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            (
                Sort::RecordChanged
                | Sort::RecordChangedAscending
                | Sort::RecordCreated
                | Sort::RecordCreatedAscending,
                _,
            ) => {
                let (field, order) = match query.sort {
                    Sort::RecordChanged => ("record_changed", Order::Desc),
                    Sort::RecordChangedAscending => ("record_changed", Order::Asc),
                    Sort::RecordCreated => ("record_created", Order::Desc),
                    _ => ("record_created", Order::Asc),
                };
                searcher
                    .search(&built, &top.order_by_fast_field::<DateTime>(field, order))
                    .map_err(|e| error("search", e))?
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect()
            }
            (Sort::Id | Sort::IdDescending | Sort::Name | Sort::NameDescending, _) => {
                let (field, order) = match query.sort {
                    Sort::Id => ("id", Order::Asc),
                    Sort::IdDescending => ("id", Order::Desc),
                    Sort::Name => ("name_sort", Order::Asc),
                    _ => ("name_sort", Order::Desc),
                };
                searcher
                    .search(&built, &top.order_by_string_fast_field(field, order))
                    .map_err(|e| error("search", e))?
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect()
            }
            (Sort::Title | Sort::TitleDescending, _) => {
                let order = if query.sort == Sort::Title {
                    Order::Asc
                } else {
                    Order::Desc
                };
                searcher
                    .search(&built, &top.order_by_string_fast_field("title_sort", order))
                    .map_err(|e| error("search", e))?
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect()
            }
        };
        let (total, facets) = self.counts(&searcher, &built, query, has_text)?;
        let mut hits = Vec::with_capacity(addresses.len());
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address).map_err(|e| error("search", e))?;
            if let Some(document) = self.stored(&doc) {
                hits.push(document);
            }
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    /// The total and the facet counts of a search: from the cache for a search without text
    /// counted before on this generation of the index, counted (and kept) otherwise.
    fn counts(
        &self,
        searcher: &tantivy::Searcher,
        built: &dyn Query,
        query: &SearchQuery,
        has_text: bool,
    ) -> Result<(usize, Facets), CatalogError> {
        if has_text {
            return self.count_facets(searcher, built);
        }
        // What decides the counts: everything but the page and the order.
        let key = format!(
            "{:?}",
            SearchQuery {
                offset: 0,
                limit: 0,
                sort: Sort::default(),
                ..query.clone()
            }
        );
        let generation = searcher.generation().generation_id();
        {
            let cache = self.facet_cache.lock().expect("facet cache");
            if cache.generation == generation
                && let Some(counted) = cache.counts.get(&key)
            {
                return Ok(counted.clone());
            }
        }
        let counted = self.count_facets(searcher, built)?;
        let mut cache = self.facet_cache.lock().expect("facet cache");
        if cache.generation != generation || cache.counts.len() >= FACET_CACHE_ENTRIES {
            cache.generation = generation;
            cache.counts.clear();
        }
        cache.counts.insert(key, counted.clone());
        Ok(counted)
    }

    fn count_facets(
        &self,
        searcher: &tantivy::Searcher,
        built: &dyn Query,
    ) -> Result<(usize, Facets), CatalogError> {
        let mut aggregations = serde_json::Map::new();
        for name in FACETS {
            aggregations.insert(
                name.to_owned(),
                serde_json::json!({ "terms": { "field": name, "size": 50 } }),
            );
        }
        let aggregations: Aggregations =
            serde_json::from_value(serde_json::Value::Object(aggregations))
                .map_err(|e| error("facet request", e))?;
        let collector = AggregationCollector::from_aggs(aggregations, Default::default());
        let (total, counted) = searcher
            .search(built, &(Count, collector))
            .map_err(|e| error("search", e))?;
        let mut facets = BTreeMap::new();
        for (name, result) in counted.0 {
            if let AggregationResult::BucketResult(BucketResult::Terms { buckets, .. }) = result {
                let values = buckets
                    .into_iter()
                    .map(|bucket| {
                        let value = match bucket.key {
                            Key::Str(text) => text,
                            other => format!("{other:?}"),
                        };
                        (value, bucket.doc_count)
                    })
                    .collect();
                facets.insert(name, values);
            }
        }
        Ok((total, facets))
    }

    /// Every value of a facet over the whole index, with its number of datasets.
    pub fn facet_values(&self, facet: &str) -> Result<Vec<(String, u64)>, CatalogError> {
        let searcher = self.reader.searcher();
        let aggregations: Aggregations = serde_json::from_value(serde_json::json!({
            facet: { "terms": { "field": facet, "size": 65000 } }
        }))
        .map_err(|e| error("facet request", e))?;
        let collector = AggregationCollector::from_aggs(aggregations, Default::default());
        let counted = searcher
            .search(&AllQuery, &collector)
            .map_err(|e| error("search", e))?;
        let mut out = Vec::new();
        for (_, result) in counted.0 {
            if let AggregationResult::BucketResult(BucketResult::Terms { buckets, .. }) = result {
                for bucket in buckets {
                    if let Key::Str(text) = bucket.key {
                        out.push((text, bucket.doc_count));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The documents of a duplicate cluster.
    pub fn cluster_members(&self, cluster: &str) -> Result<Vec<SearchDocument>, CatalogError> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.cluster, cluster),
            IndexRecordOption::Basic,
        );
        let hits = searcher
            .search(&query, &TopDocs::with_limit(100).order_by_score())
            .map_err(|e| error("search", e))?;
        let mut out = Vec::new();
        for (_, address) in hits {
            let doc: TantivyDocument = searcher.doc(address).map_err(|e| error("search", e))?;
            out.extend(self.stored(&doc));
        }
        out.sort_by(|a, b| b.primary.cmp(&a.primary).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// One document by id.
    pub fn get(&self, id: &str) -> Result<Option<SearchDocument>, CatalogError> {
        let searcher = self.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let hits = searcher
            .search(&query, &TopDocs::with_limit(1).order_by_score())
            .map_err(|e| error("search", e))?;
        match hits.first() {
            Some((_, address)) => {
                let doc: TantivyDocument =
                    searcher.doc(*address).map_err(|e| error("search", e))?;
                Ok(self.stored(&doc))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_past_what_tantivy_holds_neither_panic_nor_vanish() {
        let index = SearchIndex::in_memory().unwrap();
        let document = SearchDocument {
            id: "s/far".into(),
            source: "s".into(),
            titles: vec!["Far future".into()],
            // A portal's year 9999, and fedcat times far away.
            modified: Some("9999-12-31".into()),
            record_changed: Some("9999-12-31T00:00:00Z".into()),
            record_created: Some("0001-01-01T00:00:00Z".into()),
            primary: true,
            ..Default::default()
        };
        index.sync(&["s"], vec![document]).unwrap();
        let far = chrono::NaiveDate::from_ymd_opt(9000, 1, 1).unwrap();
        let results = index
            .search(&SearchQuery {
                modified_after: Some(far),
                filter: Some(Filter::RecordChanged(
                    far.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
                    None,
                )),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(results.total, 1);
    }

    #[test]
    fn an_index_of_another_schema_is_rebuilt_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        {
            // An index as an older fedcat wrote it: other fields.
            let mut builder = Schema::builder();
            builder.add_text_field("id", STRING | STORED);
            let old = Index::create_in_dir(dir.path(), builder.build()).unwrap();
            let mut writer: tantivy::IndexWriter = old.writer(15_000_000).unwrap();
            writer.commit().unwrap();
        }
        let index = SearchIndex::open(dir.path()).unwrap();
        let results = index.search(&SearchQuery::default()).unwrap();
        assert_eq!(results.total, 0);
    }
    use crate::search::QueryTextError;

    fn index_of(titles: &[&str]) -> SearchIndex {
        let index = SearchIndex::in_memory().unwrap();
        let documents = titles
            .iter()
            .enumerate()
            .map(|(n, title)| SearchDocument {
                id: format!("s/{n}"),
                source: "s".into(),
                dataset: format!("http://example.org/d/{n}"),
                titles: vec![(*title).to_owned()],
                publisher: Some("ARS".into()),
                modified: Some("2024-01-31".into()),
                primary: true,
                ..Default::default()
            })
            .collect();
        index.sync(&["s"], documents).unwrap();
        index
    }

    fn search(
        index: &SearchIndex,
        text: Option<&str>,
        offset: usize,
        limit: usize,
        sort: Sort,
    ) -> SearchResults {
        index
            .search(&SearchQuery {
                text: text.map(str::to_owned),
                sort,
                offset,
                limit,
                ..Default::default()
            })
            .unwrap()
    }

    #[test]
    fn deep_or_huge_pages_collect_no_more_than_the_documents() {
        let index = index_of(&["Séjours hospitaliers", "Vaccination", "Séjours longs"]);
        for sort in [
            Sort::Relevance,
            Sort::Modified,
            Sort::Title,
            Sort::Quality,
            Sort::WorstFirst,
        ] {
            // Past the end, at the very end of usize, and a limit as large as usize: no room is
            // reserved from these numbers, no addition overflows.
            let past = search(&index, None, 3, 100, sort);
            assert_eq!((past.total, past.hits.len()), (3, 0));
            let far = search(&index, None, usize::MAX, usize::MAX, sort);
            assert_eq!((far.total, far.hits.len()), (3, 0));
            let all = search(&index, None, 0, usize::MAX, sort);
            assert_eq!(all.hits.len(), 3);
            let rest = search(&index, None, 1, usize::MAX - 1, sort);
            assert_eq!(rest.hits.len(), 2);
        }
        let scored = search(&index, Some("séjours"), 1, usize::MAX, Sort::Relevance);
        assert_eq!((scored.total, scored.hits.len()), (2, 1));
    }

    #[test]
    fn internal_or_unknown_fields_are_searched_as_words() {
        let index = index_of(&["Séjours hospitaliers", "Vaccination"]);
        // Each of these failed at search time with a schema error (`field:*` needs a fast
        // field; `nope` does not exist).
        for text in [
            "id:*",
            "visible:*",
            "cluster:*",
            "document:*",
            "quality:*",
            "title_sort:*",
            "text_fr:*",
            "nope:*",
            "publisher.x:*",
        ] {
            let results = index.search(&SearchQuery {
                text: Some(text.into()),
                limit: 10,
                ..Default::default()
            });
            if let Err(error) = results {
                panic!("{text}: {error}");
            }
        }
        // A word before a colon is read as a word: "vaccination : données" finds nothing more
        // than its words do, and the French typography no longer drops the first one.
        assert_eq!(
            search(
                &index,
                Some("Vaccination : vaccination"),
                0,
                10,
                Sort::Relevance
            )
            .total,
            1
        );
        // The facet fields keep their syntax.
        assert_eq!(
            search(&index, Some("publisher:*"), 0, 10, Sort::Relevance).total,
            2
        );
        assert_eq!(
            search(&index, Some("publisher:ARS"), 0, 10, Sort::Relevance).total,
            2
        );
        assert_eq!(
            search(&index, Some("publisher:Other"), 0, 10, Sort::Relevance).total,
            0
        );
    }

    #[test]
    fn texts_past_the_limits_are_refused_with_a_typed_error() {
        let index = index_of(&["Vaccination"]);
        let refused = |text: String| {
            index.search(&SearchQuery {
                text: Some(text),
                limit: 10,
                ..Default::default()
            })
        };
        assert!(matches!(
            refused(format!("{}a{}", "(".repeat(1000), ")".repeat(1000))),
            Err(CatalogError::QueryText(QueryTextError::TooLong { .. }))
        ));
        assert!(matches!(
            refused(format!("{}a{}", "(".repeat(100), ")".repeat(100))),
            Err(CatalogError::QueryText(QueryTextError::TooDeep {
                depth: 100,
                ..
            }))
        ));
    }

    #[test]
    fn texts_at_the_limits_parse_within_a_blocking_threads_stack() {
        let index = std::sync::Arc::new(index_of(&["Vaccination", "Séjours hospitaliers"]));
        // The deepest shapes the check lets through: groups, negated and boosted groups, a
        // chain of NOTs then groups, a field's group; tokio's blocking threads have 2 MiB.
        let texts = [
            format!("{}vaccination{}", "(".repeat(32), ")".repeat(32)),
            format!("{}a b{}", "-(".repeat(32), ")^2".repeat(32)),
            format!("{}{}a{}", "NOT ".repeat(16), "(".repeat(16), ")".repeat(16)),
            format!("publisher:{}a b{}", "(".repeat(32), ")".repeat(32)),
            format!("{}a OR b AND c{}", "+(".repeat(32), ")".repeat(32)),
        ];
        for text in texts {
            assert_eq!(crate::search::check_query_text(&text), Ok(()), "{text}");
            let index = index.clone();
            let outcome = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    index
                        .search(&SearchQuery {
                            text: Some(text),
                            limit: 10,
                            ..Default::default()
                        })
                        .map(|r| r.total)
                        .map_err(|e| e.to_string())
                })
                .unwrap()
                .join()
                .unwrap();
            assert!(outcome.is_ok(), "{outcome:?}");
        }
    }

    /// Counts of searches without text are kept per index generation: the same empty search
    /// on other pages and orders gives the same counts, and a sync that adds a document
    /// (a new generation) is counted again, not served stale.
    #[test]
    fn counts_without_text_are_kept_until_the_index_changes() {
        let index = index_of(&["Vaccination", "Hôpitaux", "Urgences"]);
        let first = search(&index, None, 0, 1, Sort::Relevance);
        let second = search(&index, None, 2, 1, Sort::Title);
        assert_eq!(first.total, 3);
        assert_eq!((second.total, &second.facets), (first.total, &first.facets));
        assert_eq!(first.facet("publisher"), [("ARS".to_owned(), 3)]);
        let mut documents = index.documents(Some("s")).unwrap();
        documents.push(SearchDocument {
            id: "s/new".into(),
            source: "s".into(),
            dataset: "http://example.org/d/new".into(),
            titles: vec!["Pharmacies".into()],
            publisher: Some("RAMQ".into()),
            primary: true,
            ..Default::default()
        });
        index.sync(&["s"], documents).unwrap();
        let after = search(&index, None, 0, 1, Sort::Relevance);
        assert_eq!(after.total, 4);
        assert_eq!(
            after.facet("publisher"),
            [("ARS".to_owned(), 3), ("RAMQ".to_owned(), 1)]
        );
    }
}
