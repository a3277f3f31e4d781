//! IRIs of the vocabularies fedcat writes, as constants, so no IRI string is scattered in code.
//! Grouped by namespace like `oxigraph::model::vocab`.

macro_rules! terms {
    ($ns:literal; $($name:ident = $local:literal),* $(,)?) => {
        /// The namespace IRI.
        pub const NS: &str = $ns;
        $(
            #[doc = concat!("`", $ns, $local, "`")]
            pub const $name: oxigraph::model::NamedNodeRef<'static> =
                oxigraph::model::NamedNodeRef::new_unchecked(concat!($ns, $local));
        )*
    };
}

/// W3C Data Catalog Vocabulary (DCAT 3).
pub mod dcat {
    terms!("http://www.w3.org/ns/dcat#";
        CATALOG = "Catalog", CATALOG_RECORD = "CatalogRecord", DATASET = "Dataset",
        DATASET_SERIES = "DatasetSeries", DATA_SERVICE = "DataService",
        DISTRIBUTION = "Distribution", HAS_CATALOG = "catalog", HAS_DATASET = "dataset",
        HAS_RECORD = "record", HAS_DISTRIBUTION = "distribution", ACCESS_URL = "accessURL",
        DOWNLOAD_URL = "downloadURL", MEDIA_TYPE = "mediaType", BYTE_SIZE = "byteSize",
        SPATIAL_RESOLUTION_IN_METERS = "spatialResolutionInMeters", START_DATE = "startDate",
        END_DATE = "endDate", COMPRESS_FORMAT = "compressFormat", PACKAGE_FORMAT = "packageFormat",
        KEYWORD = "keyword", LANDING_PAGE = "landingPage", CONTACT_POINT = "contactPoint",
        THEME = "theme", TEMPORAL_RESOLUTION = "temporalResolution",
        ACCESS_SERVICE = "accessService",
    );
}

/// DCMI Metadata Terms.
pub mod dct {
    terms!("http://purl.org/dc/terms/";
        TITLE = "title", DESCRIPTION = "description", PUBLISHER = "publisher",
        IDENTIFIER = "identifier", ISSUED = "issued", MODIFIED = "modified", LICENSE = "license",
        LICENSE_DOCUMENT = "LicenseDocument", FORMAT = "format", LANGUAGE = "language",
        SOURCE = "source", CREATOR = "creator", RIGHTS = "rights", IS_PART_OF = "isPartOf",
        ACCRUAL_PERIODICITY = "accrualPeriodicity", ACCESS_RIGHTS = "accessRights",
        TEMPORAL = "temporal", SPATIAL = "spatial", PERIOD_OF_TIME = "PeriodOfTime",
        LOCATION = "Location", TYPE = "type", FREQUENCY = "Frequency",
        MEDIA_TYPE_OR_EXTENT = "MediaTypeOrExtent", MEDIA_TYPE = "MediaType",
        LINGUISTIC_SYSTEM = "LinguisticSystem", RIGHTS_STATEMENT = "RightsStatement",
        CONFORMS_TO = "conformsTo", REFERENCES = "references", RELATION = "relation",
        PROVENANCE = "provenance",
    );
}

/// FOAF.
pub mod foaf {
    terms!("http://xmlns.com/foaf/0.1/";
        AGENT = "Agent", ORGANIZATION = "Organization", PERSON = "Person", NAME = "name",
        HOMEPAGE = "homepage", DOCUMENT = "Document",
        PAGE = "page", PRIMARY_TOPIC = "primaryTopic", MBOX = "mbox",
    );
}

/// vCard (contact points).
pub mod vcard {
    terms!("http://www.w3.org/2006/vcard/ns#";
        KIND = "Kind", INDIVIDUAL = "Individual", ORGANIZATION = "Organization", FN = "fn",
        HAS_EMAIL = "hasEmail", HAS_URL = "hasURL",
    );
}

/// W3C PROV-O.
pub mod prov {
    terms!("http://www.w3.org/ns/prov#";
        ENTITY = "Entity", ACTIVITY = "Activity", WAS_GENERATED_BY = "wasGeneratedBy",
        GENERATED_AT_TIME = "generatedAtTime", HAD_PRIMARY_SOURCE = "hadPrimarySource",
        STARTED_AT_TIME = "startedAtTime", USED = "used", WAS_DERIVED_FROM = "wasDerivedFrom",
        ALTERNATE_OF = "alternateOf", COLLECTION = "Collection", HAD_MEMBER = "hadMember",
    );
}

/// SKOS (concepts of controlled vocabularies).
pub mod skos {
    terms!("http://www.w3.org/2004/02/skos/core#";
        CONCEPT = "Concept", CONCEPT_SCHEME = "ConceptScheme", PREF_LABEL = "prefLabel",
        IN_SCHEME = "inScheme", NOTATION = "notation",
    );
}

/// SPDX (checksums of distributions).
pub mod spdx {
    terms!("http://spdx.org/rdf/terms#";
        CHECKSUM = "checksum", CHECKSUM_CLASS = "Checksum", ALGORITHM = "algorithm",
        CHECKSUM_VALUE = "checksumValue", CHECKSUM_ALGORITHM = "ChecksumAlgorithm",
        ALGORITHM_SHA1 = "checksumAlgorithm_sha1",
        ALGORITHM_SHA256 = "checksumAlgorithm_sha256", ALGORITHM_MD5 = "checksumAlgorithm_md5",
    );
}

/// ADMS (other identifiers, sample distributions).
pub mod adms {
    terms!("http://www.w3.org/ns/adms#";
        IDENTIFIER = "Identifier", IDENTIFIER_PROP = "identifier",
    );
}

/// RDF Schema.
pub mod rdfs {
    terms!("http://www.w3.org/2000/01/rdf-schema#"; LABEL = "label");
}

/// Hydra core (paging of DCAT catalogues).
pub mod hydra {
    terms!("http://www.w3.org/ns/hydra/core#";
        PAGED_COLLECTION = "PagedCollection", PARTIAL_COLLECTION_VIEW = "PartialCollectionView",
        NEXT_PAGE = "nextPage", NEXT = "next", VIEW = "view", TOTAL_ITEMS = "totalItems",
        FIRST_PAGE = "firstPage", LAST_PAGE = "lastPage", ITEMS_PER_PAGE = "itemsPerPage",
        FIRST = "first", LAST = "last",
    );
}

/// fedcat's own terms, for facts no standard vocabulary names.
pub mod fedcat {
    terms!("https://w3id.org/fedcat/ns#";
        CONTENT_HASH = "contentHash", RECORD_KEY = "recordKey", HARVEST_SOURCE = "harvestSource",
        ORIGINAL_FORMAT = "originalFormat", UNMAPPED_FORMAT = "unmappedFormat",
        ORIGINAL_MEDIA_TYPE = "originalMediaType", UNMAPPED_MEDIA_TYPE = "unmappedMediaType",
        ORIGINAL_LICENCE = "originalLicence", UNMAPPED_LICENCE = "unmappedLicence",
        ORIGINAL_FREQUENCY = "originalFrequency", UNMAPPED_FREQUENCY = "unmappedFrequency",
        ORIGINAL_THEME = "originalTheme", UNMAPPED_THEME = "unmappedTheme",
        ORIGINAL_ACCESS_RIGHTS = "originalAccessRights",
        UNMAPPED_ACCESS_RIGHTS = "unmappedAccessRights",
        ORIGINAL_LANGUAGE = "originalLanguage", UNMAPPED_LANGUAGE = "unmappedLanguage",
        ORIGINAL_IRI = "originalIri",
        HARVESTED_FROM = "harvestedFrom", REMOTE_ID = "remoteId", REMOTE_URL = "remoteUrl",
        HARVEST_BACKEND = "harvestBackend", HARVEST_DOMAIN = "harvestDomain",
        SPATIAL_GRANULARITY = "spatialGranularity", RESOURCE_TYPE = "resourceType",
        REMOTE_IDENTIFIER = "remoteIdentifier",
        DUPLICATE_CLUSTER = "DuplicateCluster", DUPLICATE_LINK = "DuplicateLink",
        PRIMARY_MEMBER = "primaryMember", IN_CLUSTER = "inCluster", HAS_LINK = "hasLink",
        LINKED_RECORD = "linkedRecord", LINK_SCORE = "linkScore",
        MATCHED_IDENTIFIER = "matchedIdentifier", MATCHED_URL = "matchedUrl",
        MATCHED_PORTAL_DATASET = "matchedPortalDataset", TITLE_SIMILARITY = "titleSimilarity",
        DESCRIPTION_SIMILARITY = "descriptionSimilarity",
        PUBLISHER_SIMILARITY = "publisherSimilarity", MEMBER_COUNT = "memberCount",
        TEMPORAL_OVERLAP = "temporalOverlap", SPATIAL_OVERLAP = "spatialOverlap",
        TITLE_WORDS_DIFFER = "titleWordsDiffer",
    );
}

/// EU language authority table, for `dct:language`.
pub mod eu_language {
    /// The authority table's namespace.
    pub const NS: &str = "http://publications.europa.eu/resource/authority/language/";
}

/// IANA media types, for `dcat:mediaType`.
pub mod iana {
    /// The registry's namespace.
    pub const NS: &str = "http://www.iana.org/assignments/media-types/";
}
