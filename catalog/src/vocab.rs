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
        KEYWORD = "keyword", LANDING_PAGE = "landingPage", CONTACT_POINT = "contactPoint",
        THEME = "theme",
    );
}

/// DCMI Metadata Terms.
pub mod dct {
    terms!("http://purl.org/dc/terms/";
        TITLE = "title", DESCRIPTION = "description", PUBLISHER = "publisher",
        IDENTIFIER = "identifier", ISSUED = "issued", MODIFIED = "modified", LICENSE = "license",
        LICENSE_DOCUMENT = "LicenseDocument", FORMAT = "format", LANGUAGE = "language",
        SOURCE = "source", CREATOR = "creator", RIGHTS = "rights", IS_PART_OF = "isPartOf",
    );
}

/// FOAF.
pub mod foaf {
    terms!("http://xmlns.com/foaf/0.1/";
        AGENT = "Agent", ORGANIZATION = "Organization", NAME = "name", HOMEPAGE = "homepage",
        PAGE = "page", PRIMARY_TOPIC = "primaryTopic", MBOX = "mbox",
    );
}

/// vCard (contact points).
pub mod vcard {
    terms!("http://www.w3.org/2006/vcard/ns#";
        KIND = "Kind", INDIVIDUAL = "Individual", ORGANIZATION = "Organization", FN = "fn",
        HAS_EMAIL = "hasEmail",
    );
}

/// W3C PROV-O.
pub mod prov {
    terms!("http://www.w3.org/ns/prov#";
        ENTITY = "Entity", ACTIVITY = "Activity", WAS_GENERATED_BY = "wasGeneratedBy",
        GENERATED_AT_TIME = "generatedAtTime", HAD_PRIMARY_SOURCE = "hadPrimarySource",
        STARTED_AT_TIME = "startedAtTime", USED = "used",
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
