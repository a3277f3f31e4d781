//! The metrics: data.europa.eu's MQA indicators M1–M23 under their piveau IRIs, and the
//! extension indicators E1–E27 of QUALITY.md §9.2. Each metric is measured
//! on a dataset or on each distribution, and belongs to one FAIR-derived dimension.

/// A scoring dimension (MQA's five).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    /// Findability.
    Findability,
    /// Accessibility.
    Accessibility,
    /// Interoperability.
    Interoperability,
    /// Reusability.
    Reusability,
    /// Contextuality.
    Contextuality,
}

impl Dimension {
    /// Every dimension, in MQA's order.
    pub const ALL: [Dimension; 5] = [
        Dimension::Findability,
        Dimension::Accessibility,
        Dimension::Interoperability,
        Dimension::Reusability,
        Dimension::Contextuality,
    ];

    /// Name as written in reports.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Findability => "findability",
            Dimension::Accessibility => "accessibility",
            Dimension::Interoperability => "interoperability",
            Dimension::Reusability => "reusability",
            Dimension::Contextuality => "contextuality",
        }
    }
}

/// What a metric is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The dataset.
    Dataset,
    /// Each distribution.
    Distribution,
}

/// One metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// Short id: `M1`…`M23`, `E1`…`E27`.
    pub id: &'static str,
    /// IRI (piveau's for MQA metrics).
    pub iri: &'static str,
    /// Dimension.
    pub dimension: Dimension,
    /// Level.
    pub level: Level,
    /// Part of data.europa.eu's 405-point model.
    pub mqa: bool,
}

const PV: &str = "https://piveau.eu/ns/voc#";

macro_rules! metrics {
    ($($name:ident = ($id:literal, $ns:ident, $local:literal, $dimension:ident, $level:ident, $mqa:literal);)*) => {
        $(
            #[doc = concat!("`", $id, "`: ", $local)]
            pub const $name: Metric = Metric {
                id: $id,
                iri: const_format_concat!($ns, $local),
                dimension: Dimension::$dimension,
                level: Level::$level,
                mqa: $mqa,
            };
        )*
        /// Every metric, in table order.
        pub const ALL: &[Metric] = &[$($name),*];
    };
}

macro_rules! const_format_concat {
    (PV, $local:literal) => {
        concat!("https://piveau.eu/ns/voc#", $local)
    };
    (EXT, $local:literal) => {
        concat!("https://w3id.org/fedcat/dq#", $local)
    };
}

/// Namespace of fedcat's extension metrics.
pub const EXT_NS: &str = "https://w3id.org/fedcat/dq#";
/// Namespace of piveau's metrics.
pub const PV_NS: &str = PV;

metrics! {
    KEYWORD = ("M1", PV, "keywordAvailability", Findability, Dataset, true);
    CATEGORY = ("M2", PV, "categoryAvailability", Findability, Dataset, true);
    SPATIAL = ("M3", PV, "spatialAvailability", Findability, Dataset, true);
    TEMPORAL = ("M4", PV, "temporalAvailability", Findability, Dataset, true);
    ACCESS_URL_STATUS = ("M5", PV, "accessUrlStatusCode", Accessibility, Distribution, true);
    DOWNLOAD_URL = ("M6", PV, "downloadUrlAvailability", Accessibility, Distribution, true);
    DOWNLOAD_URL_STATUS = ("M7", PV, "downloadUrlStatusCode", Accessibility, Distribution, true);
    FORMAT = ("M8", PV, "formatAvailability", Interoperability, Distribution, true);
    MEDIA_TYPE = ("M9", PV, "mediaTypeAvailability", Interoperability, Distribution, true);
    VOCABULARY_ALIGNMENT = ("M10", PV, "formatMediaTypeVocabularyAlignment", Interoperability, Distribution, true);
    NON_PROPRIETARY = ("M11", PV, "formatMediaTypeNonProprietary", Interoperability, Distribution, true);
    MACHINE_READABLE = ("M12", PV, "formatMediaTypeMachineInterpretable", Interoperability, Distribution, true);
    DCAT_AP_COMPLIANCE = ("M13", PV, "dcatApCompliance", Interoperability, Dataset, true);
    LICENCE = ("M14", PV, "licenceAvailability", Reusability, Distribution, true);
    KNOWN_LICENCE = ("M15", PV, "knownLicence", Reusability, Distribution, true);
    ACCESS_RIGHTS = ("M16", PV, "accessRightsAvailability", Reusability, Dataset, true);
    ACCESS_RIGHTS_VOCABULARY = ("M17", PV, "accessRightsVocabularyAlignment", Reusability, Dataset, true);
    CONTACT_POINT = ("M18", PV, "contactPointAvailability", Reusability, Dataset, true);
    PUBLISHER = ("M19", PV, "publisherAvailability", Reusability, Dataset, true);
    RIGHTS = ("M20", PV, "rightsAvailability", Contextuality, Distribution, true);
    BYTE_SIZE = ("M21", PV, "byteSizeAvailability", Contextuality, Distribution, true);
    ISSUED = ("M22", PV, "dateIssuedAvailability", Contextuality, Distribution, true);
    MODIFIED = ("M23", PV, "dateModifiedAvailability", Contextuality, Distribution, true);
    DESCRIPTION_LENGTH = ("E1", EXT, "descriptionLength", Findability, Dataset, false);
    LANDING_PAGE = ("E2", EXT, "landingPageAvailability", Findability, Dataset, false);
    IDENTIFIER = ("E3", EXT, "identifierAvailability", Findability, Dataset, false);
    LANGUAGE_TAGGED = ("E4", EXT, "languageTagged", Findability, Dataset, false);
    URL_HTTPS = ("E5", EXT, "urlHttps", Accessibility, Distribution, false);
    AVAILABILITY_HISTORY = ("E6", EXT, "urlAvailabilityHistory", Accessibility, Distribution, false);
    CONTENT_TYPE_MATCH = ("E7", EXT, "contentTypeMatch", Accessibility, Distribution, false);
    ACCESS_SERVICE = ("E8", EXT, "accessServiceAvailability", Accessibility, Dataset, false);
    DIRECT_DOWNLOAD = ("E9", EXT, "directDownload", Accessibility, Distribution, false);
    FORMAT_MATCH = ("E10", PV, "formatMatch", Interoperability, Distribution, false);
    SYNTAX_VALID = ("E11", PV, "syntaxValid", Interoperability, Distribution, false);
    CONFORMS_TO = ("E12", EXT, "conformsToAvailability", Interoperability, Distribution, false);
    RECOMMENDED_COMPLETENESS = ("E13", EXT, "dcatApRecommendedCompleteness", Interoperability, Dataset, false);
    VOCABULARY_COMPLIANCE = ("E14", EXT, "controlledVocabularyCompliance", Interoperability, Dataset, false);
    AT_LEAST_FOUR_STARS = ("E15", PV, "atLeastFourStars", Interoperability, Distribution, false);
    OPEN_LICENCE = ("E16", EXT, "openLicence", Reusability, Distribution, false);
    ACCRUAL_PERIODICITY = ("E17", EXT, "accrualPeriodicityAvailability", Reusability, Dataset, false);
    UPDATE_IN_TIME = ("E18", EXT, "updateFulfilledInTime", Reusability, Dataset, false);
    DOCUMENTATION = ("E19", EXT, "documentationAvailability", Reusability, Dataset, false);
    CONTACT_POINT_VALID = ("E20", EXT, "contactPointValid", Reusability, Dataset, false);
    RESOLUTION = ("E21", EXT, "resolutionAvailability", Contextuality, Dataset, false);
    CHECKSUM = ("E22", EXT, "checksumAvailability", Contextuality, Distribution, false);
    BYTE_SIZE_CONSISTENT = ("E23", EXT, "byteSizeConsistent", Contextuality, Distribution, false);
    DATE_CONSISTENCY = ("E24", EXT, "dateConsistency", Contextuality, Dataset, false);
    LANGUAGE = ("E25", EXT, "languageAvailability", Contextuality, Dataset, false);
    PROVENANCE = ("E26", EXT, "provenanceAvailability", Contextuality, Dataset, false);
    OPEN_DATA_STARS = ("E27", EXT, "openDataStars", Interoperability, Distribution, false);
}

/// The metric with this short id.
pub fn by_id(id: &str) -> Option<&'static Metric> {
    ALL.iter().find(|m| m.id == id)
}
