//! The facts the measurements need, read from the vocabulary tables (built in, or those of
//! `vocabularies_dir`): MQA's machine-readable and non-proprietary flags of the EU file types,
//! the media types of those file types, the EU licence table as the "predefined collection" of
//! known licences, and the open licences among them.

use super::*;

/// Licence codes of the EU table that conform to the Open Definition: public-domain
/// dedications, attribution and share-alike licences for data, never NonCommercial or
/// NoDerivatives ones.
fn is_open_licence(code: &str) -> bool {
    let open_family = code == "CC0"
        || code == "CC_PDM_1_0"
        || code.starts_with("CC_BY_")
        || code == "CC_BY"
        || code.starts_with("CC_BYSA")
        || code.starts_with("ODC_")
        || code.starts_with("ETALAB_")
        || (code.starts_with("OGL_") && !code.starts_with("OGL_NC"));
    open_family && !code.contains("NC") && !code.contains("ND")
}

/// The facts of the shipped (or configured) vocabulary tables.
pub fn facts(vocabularies: &Vocabularies) -> QualityFacts {
    let mut facts = QualityFacts::default();
    for concept in vocabularies.concepts(VocabularyKind::Format) {
        let iri = concept.iri.as_str().to_owned();
        facts.file_types.insert(
            iri.clone(),
            (concept.machine_readable, concept.non_proprietary),
        );
        if let Some(media_type) = &concept.media_type {
            facts.media_types.insert(
                format!("http://www.iana.org/assignments/media-types/{media_type}"),
                iri,
            );
        }
    }
    for concept in vocabularies.concepts(VocabularyKind::Licence) {
        let iri = concept.iri.as_str().to_owned();
        if is_open_licence(&concept.code) {
            facts.open_licences.insert(iri.clone());
        }
        facts.known_licences.insert(iri);
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_licences_exclude_non_commercial_and_no_derivatives() {
        for open in [
            "CC0",
            "CC_BY_4_0",
            "CC_BYSA_4_0",
            "ODC_BL",
            "ETALAB_2_0",
            "OGL_3_0",
        ] {
            assert!(is_open_licence(open), "{open}");
        }
        for closed in [
            "CC_BYNC_4_0",
            "CC_BYND_4_0",
            "CC_BYNCSA_4_0",
            "OGL_NC",
            "GPL_3_0",
        ] {
            assert!(!is_open_licence(closed), "{closed}");
        }
    }

    #[test]
    fn the_shipped_tables_give_mqa_flags_and_licences() {
        let facts = facts(&Vocabularies::built_in().unwrap());
        let ft = |code: &str| {
            format!("http://publications.europa.eu/resource/authority/file-type/{code}")
        };
        assert_eq!(facts.file_types[&ft("CSV")], (true, true));
        assert_eq!(facts.file_types[&ft("PDF")], (false, false));
        assert_eq!(
            facts.media_types["http://www.iana.org/assignments/media-types/text/csv"],
            ft("CSV")
        );
        let etalab = "http://publications.europa.eu/resource/authority/licence/ETALAB_2_0";
        assert!(facts.known_licences.contains(etalab));
        assert!(facts.open_licences.contains(etalab));
    }
}
