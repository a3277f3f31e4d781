//! The controlled vocabularies records are normalised to: EU file types, IANA media types, EU
//! licences, frequencies, data themes, access rights and languages. The tables are data under
//! `config/vocabularies/` (derived from the EU authority tables by `tools/derive_vocabularies.py`),
//! compiled into the binary ([`Vocabularies::built_in`]) or read from a folder of the same files
//! (`vocabularies_dir`, [`Vocabularies::load`]) once at start-up; the free-text values portals
//! publish are matched through the tables' own codes, labels, extensions and URLs and through the
//! hand-written `aliases.csv`.

use crate::HarvestError;
use fedcat_catalog::oxigraph::model::{NamedNode, NamedNodeRef};
use fedcat_catalog::vocab::{dcat, dct, fedcat, skos};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// The alias table's file name.
const ALIASES: &str = "aliases.csv";

/// The shipped tables as they were when the binary was built (`config/vocabularies/`).
static BUILT_IN: [(&str, &str); 8] = [
    (
        "formats.csv",
        include_str!("../../config/vocabularies/formats.csv"),
    ),
    (
        "iana-media.csv",
        include_str!("../../config/vocabularies/iana-media.csv"),
    ),
    (
        "licences.csv",
        include_str!("../../config/vocabularies/licences.csv"),
    ),
    (
        "frequencies.csv",
        include_str!("../../config/vocabularies/frequencies.csv"),
    ),
    (
        "data-themes.csv",
        include_str!("../../config/vocabularies/data-themes.csv"),
    ),
    (
        "access-rights.csv",
        include_str!("../../config/vocabularies/access-rights.csv"),
    ),
    (
        "languages.csv",
        include_str!("../../config/vocabularies/languages.csv"),
    ),
    (
        ALIASES,
        include_str!("../../config/vocabularies/aliases.csv"),
    ),
];

/// One controlled vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VocabularyKind {
    /// EU file types (`dct:format`).
    Format,
    /// IANA media types (`dcat:mediaType`).
    MediaType,
    /// EU licences (`dct:license`).
    Licence,
    /// EU frequencies (`dct:accrualPeriodicity`).
    Frequency,
    /// EU data themes (`dcat:theme`).
    Theme,
    /// EU access rights (`dct:accessRights`).
    AccessRight,
    /// EU languages (`dct:language`).
    Language,
}

impl VocabularyKind {
    /// Every kind.
    pub const ALL: [Self; 7] = [
        Self::Format,
        Self::MediaType,
        Self::Licence,
        Self::Frequency,
        Self::Theme,
        Self::AccessRight,
        Self::Language,
    ];

    /// The name used in `aliases.csv` and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Format => "format",
            Self::MediaType => "media_type",
            Self::Licence => "licence",
            Self::Frequency => "frequency",
            Self::Theme => "theme",
            Self::AccessRight => "access_right",
            Self::Language => "language",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Self::Format => "formats.csv",
            Self::MediaType => "iana-media.csv",
            Self::Licence => "licences.csv",
            Self::Frequency => "frequencies.csv",
            Self::Theme => "data-themes.csv",
            Self::AccessRight => "access-rights.csv",
            Self::Language => "languages.csv",
        }
    }

    /// The fedcat properties that keep the portal's literal: when it was mapped, when it was not.
    pub fn original_properties(self) -> (NamedNodeRef<'static>, NamedNodeRef<'static>) {
        match self {
            Self::Format => (fedcat::ORIGINAL_FORMAT, fedcat::UNMAPPED_FORMAT),
            Self::MediaType => (fedcat::ORIGINAL_MEDIA_TYPE, fedcat::UNMAPPED_MEDIA_TYPE),
            Self::Licence => (fedcat::ORIGINAL_LICENCE, fedcat::UNMAPPED_LICENCE),
            Self::Frequency => (fedcat::ORIGINAL_FREQUENCY, fedcat::UNMAPPED_FREQUENCY),
            Self::Theme => (fedcat::ORIGINAL_THEME, fedcat::UNMAPPED_THEME),
            Self::AccessRight => (
                fedcat::ORIGINAL_ACCESS_RIGHTS,
                fedcat::UNMAPPED_ACCESS_RIGHTS,
            ),
            Self::Language => (fedcat::ORIGINAL_LANGUAGE, fedcat::UNMAPPED_LANGUAGE),
        }
    }

    /// The property whose object is a concept of this kind.
    pub fn property(self) -> NamedNodeRef<'static> {
        match self {
            Self::Format => dct::FORMAT,
            Self::MediaType => dcat::MEDIA_TYPE,
            Self::Licence => dct::LICENSE,
            Self::Frequency => dct::ACCRUAL_PERIODICITY,
            Self::Theme => dcat::THEME,
            Self::AccessRight => dct::ACCESS_RIGHTS,
            Self::Language => dct::LANGUAGE,
        }
    }

    /// The class DCAT-AP expects the concept to have (its range shapes check it).
    pub fn concept_class(self) -> NamedNodeRef<'static> {
        match self {
            Self::Format => dct::MEDIA_TYPE_OR_EXTENT,
            Self::MediaType => dct::MEDIA_TYPE,
            Self::Licence => dct::LICENSE_DOCUMENT,
            Self::Frequency => dct::FREQUENCY,
            Self::Theme => skos::CONCEPT,
            Self::AccessRight => dct::RIGHTS_STATEMENT,
            Self::Language => dct::LINGUISTIC_SYSTEM,
        }
    }
}

/// CKAN 2.12's default licence register: (id, title), as `ckan/model/license.py` of the
/// `ckan==2.12.0` wheel writes them.
const CKAN_LICENCES: [(&str, &str); 15] = [
    ("notspecified", "License not specified"),
    (
        "odc-pddl",
        "Open Data Commons Public Domain Dedication and License (PDDL)",
    ),
    ("odc-odbl", "Open Data Commons Open Database License (ODbL)"),
    ("odc-by", "Open Data Commons Attribution License"),
    ("cc-zero", "Creative Commons CCZero"),
    ("cc-by", "Creative Commons Attribution"),
    ("cc-by-sa", "Creative Commons Attribution Share-Alike"),
    ("gfdl", "GNU Free Documentation License"),
    ("other-open", "Other (Open)"),
    ("other-pd", "Other (Public Domain)"),
    ("other-at", "Other (Attribution)"),
    ("uk-ogl", "UK Open Government Licence (OGL)"),
    ("cc-nc", "Creative Commons Non-Commercial (Any)"),
    ("other-nc", "Other (Non-Commercial)"),
    ("other-closed", "Other (Not Open)"),
];

/// One entry of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concept {
    /// The authority code (`CSV`, `ETALAB_2_0`) or, for media types, the type itself.
    pub code: String,
    /// The IRI.
    pub iri: NamedNode,
    /// English label.
    pub label_en: String,
    /// French label (may be empty).
    pub label_fr: String,
    /// MQA's machine-readable flag (file types only).
    pub machine_readable: bool,
    /// MQA's non-proprietary flag (file types only).
    pub non_proprietary: bool,
    /// The IANA media type of the format, when the authority table gives one (file types only).
    pub media_type: Option<String>,
}

/// What a literal maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// A concept of the table.
    Concept(&'a Concept),
    /// A value known to mean "none" (`notspecified`).
    KnownNone,
    /// Nothing matched.
    Unmapped,
}

#[derive(Debug, Default)]
struct Table {
    concepts: Vec<Concept>,
    /// Normalised key → concept index, or `None` for "known none".
    index: HashMap<String, Option<usize>>,
}

/// All the tables, loaded once.
#[derive(Debug, Default)]
pub struct Vocabularies {
    tables: HashMap<VocabularyKind, Table>,
}

/// The key a literal is matched on: lower case, accents folded, inner whitespace collapsed, a
/// leading dot dropped; for URLs the scheme, `www.` and a trailing slash are dropped too.
pub fn match_key(value: &str) -> String {
    let mut text = value.trim().to_lowercase();
    for scheme in ["https://", "http://"] {
        if let Some(rest) = text.strip_prefix(scheme) {
            text = rest.strip_prefix("www.").unwrap_or(rest).to_owned();
            while text.ends_with('/') {
                text.pop();
            }
            return text;
        }
    }
    let folded: String = text
        .trim_start_matches('.')
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'ã' => 'a',
            'ç' => 'c',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' | 'õ' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ÿ' => 'y',
            '’' => '\'',
            other => other,
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Vocabularies {
    /// Loads every table and the aliases from `dir`, a folder laid out as `config/vocabularies/`
    /// (the `vocabularies_dir` override).
    pub fn load(dir: &Path) -> Result<Self, HarvestError> {
        Self::read_all(|file| {
            let path = dir.join(file);
            let name = path.display().to_string();
            let reader = std::fs::File::open(&path).map_err(|e| HarvestError::Vocabulary {
                path: name.clone(),
                cause: format!("cannot open: {e}"),
            })?;
            Ok((name, Box::new(reader) as Box<dyn Read>))
        })
    }

    /// The tables compiled into the binary: `config/vocabularies/` as it was at build time, read
    /// through the same code as [`Self::load`]. What fedcat uses unless `vocabularies_dir` is set.
    pub fn built_in() -> Result<Self, HarvestError> {
        Self::read_all(|file| {
            let &(name, text) =
                BUILT_IN
                    .iter()
                    .find(|(name, _)| *name == file)
                    .ok_or_else(|| HarvestError::Vocabulary {
                        path: format!("(built in) {file}"),
                        cause: "not compiled in".into(),
                    })?;
            Ok((
                format!("(built in) {name}"),
                Box::new(text.as_bytes()) as Box<dyn Read>,
            ))
        })
    }

    /// Reads every table, then the aliases, each opened by `open` (its name for errors and its
    /// bytes).
    fn read_all(
        open: impl Fn(&str) -> Result<(String, Box<dyn Read>), HarvestError>,
    ) -> Result<Self, HarvestError> {
        let mut vocabularies = Self::default();
        for kind in VocabularyKind::ALL {
            let (name, reader) = open(kind.file())?;
            let table = read_table(kind, &name, reader)?;
            vocabularies.tables.insert(kind, table);
        }
        let (name, reader) = open(ALIASES)?;
        vocabularies.read_aliases(&name, reader)?;
        Ok(vocabularies)
    }

    /// Maps a literal found in a record.
    /// The title CKAN's licence register (CKAN 2.12, `ckan/model/license.py`) gives the licence
    /// `iri` stands for, when one of its licences maps to it: ckanext-dcat's parser matches a
    /// distribution's licence to CKAN's `license_id` by that title (or by the register's URL),
    /// so a catalogue that fedcat exports re-harvests into CKAN with its licence.
    pub fn ckan_licence_title(&self, iri: &NamedNode) -> Option<&'static str> {
        CKAN_LICENCES.iter().find_map(|(id, title)| {
            match self.lookup(VocabularyKind::Licence, id) {
                Lookup::Concept(concept) if concept.iri == *iri => Some(*title),
                _ => None,
            }
        })
    }

    /// Looks a portal's value up (see [`Lookup`]).
    pub fn lookup(&self, kind: VocabularyKind, value: &str) -> Lookup<'_> {
        let Some(table) = self.tables.get(&kind) else {
            return Lookup::Unmapped;
        };
        let mut key = match_key(value);
        // Media types come with parameters (`text/csv;charset=utf-8`).
        if kind == VocabularyKind::MediaType
            && let Some((bare, _)) = key.split_once(';')
        {
            key = bare.trim().to_owned();
        }
        match table.index.get(&key) {
            Some(Some(index)) => Lookup::Concept(&table.concepts[*index]),
            Some(None) => Lookup::KnownNone,
            None => Lookup::Unmapped,
        }
    }

    /// The concepts of one table.
    pub fn concepts(&self, kind: VocabularyKind) -> &[Concept] {
        self.tables
            .get(&kind)
            .map_or(&[][..], |table| &table.concepts[..])
    }

    /// The concept with this code.
    pub fn by_code(&self, kind: VocabularyKind, code: &str) -> Option<&Concept> {
        self.concepts(kind).iter().find(|c| c.code == code)
    }

    fn read_aliases(&mut self, display: &str, reader: impl Read) -> Result<(), HarvestError> {
        let mut reader = csv_reader(reader);
        for (line, row) in reader.records().enumerate() {
            let row = row.map_err(|e| vocabulary_error(display, e))?;
            let fail = |cause: String| HarvestError::Vocabulary {
                path: display.to_owned(),
                cause: format!("row {}: {cause}", line + 1),
            };
            let (Some(kind), Some(alias), Some(code)) = (row.get(0), row.get(1), row.get(2)) else {
                return Err(fail("expected kind,alias,code".into()));
            };
            let kind = VocabularyKind::ALL
                .into_iter()
                .find(|k| k.as_str() == kind.trim())
                .ok_or_else(|| fail(format!("unknown kind {kind:?}")))?;
            let table = self.tables.get_mut(&kind).expect("all kinds loaded");
            let target = if code.trim() == "-" {
                None
            } else {
                Some(
                    table
                        .concepts
                        .iter()
                        .position(|c| c.code == code.trim())
                        .ok_or_else(|| {
                            fail(format!(
                                "{code:?} is not a code of the {} table",
                                kind.as_str()
                            ))
                        })?,
                )
            };
            // An alias is deliberate: it wins over what the table's own labels suggest.
            table.index.insert(match_key(alias), target);
        }
        Ok(())
    }
}

fn vocabulary_error(path: &str, error: impl std::fmt::Display) -> HarvestError {
    HarvestError::Vocabulary {
        path: path.to_owned(),
        cause: error.to_string(),
    }
}

fn csv_reader<R: Read>(reader: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .flexible(true)
        .from_reader(reader)
}

fn read_table(
    kind: VocabularyKind,
    display: &str,
    reader: impl Read,
) -> Result<Table, HarvestError> {
    let mut reader = csv_reader(reader);
    let headers = reader
        .headers()
        .map_err(|e| vocabulary_error(display, e))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let code_column = column(if kind == VocabularyKind::MediaType {
        "media_type"
    } else {
        "code"
    })
    .ok_or_else(|| vocabulary_error(display, "no code column"))?;
    let iri_column = column("iri").ok_or_else(|| vocabulary_error(display, "no iri column"))?;
    let mut table = Table::default();
    // Keys of weaker evidence (labels, extensions) only fill gaps left by stronger ones.
    let mut weak_keys: Vec<(String, usize)> = Vec::new();
    for (line, row) in reader.records().enumerate() {
        let row = row.map_err(|e| vocabulary_error(display, e))?;
        let field = |name: &str| column(name).and_then(|i| row.get(i)).unwrap_or("").trim();
        let code = row.get(code_column).unwrap_or("").trim().to_owned();
        let iri = NamedNode::new(row.get(iri_column).unwrap_or("").trim()).map_err(|e| {
            vocabulary_error(display, format!("row {}: invalid IRI: {e}", line + 1))
        })?;
        if code.is_empty() {
            return Err(vocabulary_error(
                display,
                format!("row {}: empty code", line + 1),
            ));
        }
        if field("deprecated") == "true" {
            continue;
        }
        let index = table.concepts.len();
        table.index.insert(match_key(&code), Some(index));
        table.index.insert(match_key(iri.as_str()), Some(index));
        for url in field("urls").split_whitespace() {
            table.index.insert(match_key(url), Some(index));
        }
        for weak in [field("label_en"), field("label_fr"), field("iso_639_1")] {
            if !weak.is_empty() {
                weak_keys.push((match_key(weak), index));
            }
        }
        for extension in field("extensions").split_whitespace() {
            weak_keys.push((match_key(extension), index));
        }
        for media_type in field("media_types").split_whitespace() {
            weak_keys.push((match_key(media_type), index));
        }
        table.concepts.push(Concept {
            code,
            iri,
            label_en: field("label_en").to_owned(),
            label_fr: field("label_fr").to_owned(),
            machine_readable: field("machine_readable") == "true",
            non_proprietary: field("non_proprietary") == "true",
            media_type: field("media_types")
                .split_whitespace()
                .next()
                .map(str::to_owned),
        });
    }
    for (key, index) in weak_keys {
        table.index.entry(key).or_insert(Some(index));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licences_ckan_knows_carry_ckans_title() {
        let vocabularies = Vocabularies::built_in().unwrap();
        let eu = |code: &str| {
            NamedNode::new(format!(
                "http://publications.europa.eu/resource/authority/licence/{code}"
            ))
            .unwrap()
        };
        assert_eq!(
            vocabularies.ckan_licence_title(&eu("CC_BY_4_0")),
            Some("Creative Commons Attribution")
        );
        assert_eq!(
            vocabularies.ckan_licence_title(&eu("ODC_BL")),
            Some("Open Data Commons Open Database License (ODbL)")
        );
        // Etalab's licence has no CKAN register entry.
        assert_eq!(vocabularies.ckan_licence_title(&eu("ETALAB_2_0")), None);
    }

    fn shipped() -> Vocabularies {
        Vocabularies::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/vocabularies"))
            .expect("the shipped tables load")
    }

    #[test]
    fn the_built_in_tables_are_the_shipped_ones() {
        let built_in = Vocabularies::built_in().expect("the compiled-in tables parse");
        let shipped = shipped();
        for kind in VocabularyKind::ALL {
            assert_eq!(
                built_in.concepts(kind),
                shipped.concepts(kind),
                "{}",
                kind.as_str()
            );
            assert_eq!(
                built_in.tables[&kind].index,
                shipped.tables[&kind].index,
                "{}",
                kind.as_str()
            );
        }
    }

    #[test]
    fn a_folder_without_the_tables_is_an_error() {
        let missing = Path::new(env!("CARGO_MANIFEST_DIR")).join("no-such-folder");
        let error = Vocabularies::load(&missing).unwrap_err().to_string();
        assert!(error.contains("formats.csv: cannot open"), "{error}");
    }

    #[test]
    fn keys_ignore_case_accents_and_url_decoration() {
        assert_eq!(match_key("  Annuelle "), "annuelle");
        assert_eq!(match_key("Irrégulière"), "irreguliere");
        assert_eq!(match_key(".CSV"), "csv");
        assert_eq!(
            match_key("https://www.etalab.gouv.fr/licence-ouverte-open-licence/"),
            "etalab.gouv.fr/licence-ouverte-open-licence"
        );
    }

    #[test]
    fn codes_labels_and_aliases_map() {
        let v = shipped();
        let code = |kind, text| match v.lookup(kind, text) {
            Lookup::Concept(c) => c.code.clone(),
            Lookup::KnownNone => "-".into(),
            Lookup::Unmapped => "?".into(),
        };
        assert_eq!(code(VocabularyKind::Format, "csv"), "CSV");
        assert_eq!(code(VocabularyKind::Format, "text/csv"), "CSV");
        assert_eq!(code(VocabularyKind::Format, "json"), "JSON");
        assert_eq!(code(VocabularyKind::Format, "zip"), "ZIP");
        assert_eq!(code(VocabularyKind::Licence, "lov2"), "ETALAB_2_0");
        assert_eq!(code(VocabularyKind::Licence, "notspecified"), "-");
        assert_eq!(code(VocabularyKind::Licence, "fr-lo"), "?");
        assert_eq!(code(VocabularyKind::Frequency, "Annuelle"), "ANNUAL");
        assert_eq!(code(VocabularyKind::Frequency, "irregular"), "IRREG");
        assert_eq!(code(VocabularyKind::Theme, "Santé"), "HEAL");
        assert_eq!(code(VocabularyKind::Language, "fr"), "FRA");
        assert_eq!(
            code(
                VocabularyKind::Frequency,
                "http://publications.europa.eu/resource/authority/frequency/DAILY"
            ),
            "DAILY"
        );
        assert_eq!(
            code(VocabularyKind::MediaType, "text/csv; charset=utf-8"),
            "text/csv"
        );
    }
}
