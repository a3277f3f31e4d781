//! Every label of the web pages, in French (the default) and English, from one table.

/// (key, French, English).
const LABELS: &[(&str, &str, &str)] = &[
    (
        "site",
        "Catalogue fédéré des données de santé",
        "Federated health data catalogue",
    ),
    ("search", "Rechercher", "Search"),
    (
        "search_placeholder",
        "Mots-clés, producteur…",
        "Keywords, producer…",
    ),
    ("results", "jeux de données", "datasets"),
    (
        "no_results",
        "Aucun jeu de données ne correspond.",
        "No dataset matches.",
    ),
    ("publisher", "Producteur", "Producer"),
    ("source", "Source", "Source"),
    ("theme", "Thème", "Theme"),
    ("format", "Format", "Format"),
    ("licence", "Licence", "Licence"),
    ("rating", "Qualité (MQA)", "Quality (MQA)"),
    ("also_published_at", "Aussi publié sur", "Also published at"),
    ("previous", "Précédent", "Previous"),
    ("next", "Suivant", "Next"),
    ("page", "Page", "Page"),
    ("remove_filter", "retirer le filtre", "remove filter"),
    ("nav_search", "Recherche", "Search"),
    ("nav_indicators", "Indicateurs", "Indicators"),
    ("nav_sources", "Moissonnage", "Harvesting"),
    ("nav_sparql", "SPARQL", "SPARQL"),
    ("language_switch", "English", "Français"),
    ("distributions", "Distributions", "Distributions"),
    ("link_status", "État du lien", "Link status"),
    ("not_checked", "non vérifié", "not checked"),
    ("quality", "Qualité des métadonnées", "Metadata quality"),
    ("mqa_score", "Score MQA (0–405)", "MQA score (0–405)"),
    (
        "ext_score",
        "Score étendu (0–580)",
        "Extended score (0–580)",
    ),
    ("dimension", "Dimension", "Dimension"),
    ("points", "Points", "Points"),
    (
        "duplicates",
        "Autres publications du même jeu",
        "Other copies of this dataset",
    ),
    ("provenance", "Provenance", "Provenance"),
    ("harvested_at", "Moissonné le", "Harvested at"),
    ("original_url", "Adresse d'origine", "Original URL"),
    ("rdf", "RDF", "RDF"),
    ("sparql_query", "Requête SPARQL prête", "Ready SPARQL query"),
    ("modified", "Modifié le", "Modified"),
    (
        "indicators_title",
        "Indicateurs d'ouverture par producteur",
        "Openness indicators per producer",
    ),
    ("datasets", "Jeux", "Datasets"),
    ("mqa_mean", "MQA moyen", "Mean MQA"),
    ("open_licence", "Licence ouverte", "Open licence"),
    (
        "machine_readable",
        "Lisible par machine",
        "Machine-readable",
    ),
    ("working_links", "Liens fonctionnels", "Working links"),
    ("freshness", "À jour", "Up to date"),
    (
        "score_trend",
        "Évolution du score MQA moyen",
        "Mean MQA score over time",
    ),
    ("download_csv", "Télécharger en CSV", "Download CSV"),
    (
        "shares_title",
        "Parts des distributions et des jeux (dernier relevé)",
        "Shares of distributions and datasets (latest snapshot)",
    ),
    (
        "bands_title",
        "Jeux par niveau MQA",
        "Datasets per MQA rating",
    ),
    ("attention_title", "À améliorer", "Needs attention"),
    (
        "worst",
        "Jeux les moins bien notés",
        "Lowest-scoring datasets",
    ),
    (
        "problems",
        "Problèmes les plus fréquents (indicateurs les moins satisfaits)",
        "Most frequent problems (least met indicators)",
    ),
    ("sources_title", "Sources moissonnées", "Harvested sources"),
    ("schedule", "Calendrier", "Schedule"),
    ("last_job", "Dernière moisson", "Last harvest"),
    ("status", "État", "Status"),
    (
        "counts",
        "Ajoutés / modifiés / inchangés / supprimés / en échec",
        "Added / updated / unchanged / deleted / failed",
    ),
    (
        "repairs",
        "Gardés avec réparations (valeurs réparées) / valeurs écartées / rejetés",
        "Kept with repairs (values repaired) / values dropped / rejected",
    ),
    ("never", "jamais", "never"),
    ("harvest_now", "Moissonner maintenant", "Harvest now"),
    ("admin_token", "Jeton d'administration", "Admin token"),
    ("log_in", "Se connecter", "Log in"),
    ("log_out", "Se déconnecter", "Log out"),
    ("not_measured", "non mesuré", "not measured"),
    ("keywords", "Mots-clés", "Keywords"),
    ("languages", "Langues", "Languages"),
    ("identifier", "Identifiant", "Identifier"),
    (
        "sparql_title",
        "Interroger le catalogue en SPARQL",
        "Query the catalogue with SPARQL",
    ),
    ("sparql_query_label", "Requête SPARQL", "SPARQL query"),
    ("run", "Exécuter", "Run"),
    ("examples", "Exemples", "Examples"),
    ("results_title", "Résultats", "Results"),
    (
        "example_0",
        "Jeux de données par producteur",
        "Datasets by producer",
    ),
    (
        "example_1",
        "Licences des distributions",
        "Distribution licences",
    ),
    (
        "example_2",
        "Doublons entre portails",
        "Duplicates across portals",
    ),
    ("example_3", "Scores de qualité MQA", "MQA quality scores"),
    (
        "shacl_findings",
        "Conformité DCAT-AP",
        "DCAT-AP conformance",
    ),
    (
        "no_findings",
        "Aucun écart aux formes DCAT-AP vérifiées (ou formes non configurées).",
        "No departure from the DCAT-AP shapes checked (or no shapes configured).",
    ),
];

/// The labels in `lang` (`fr` unless `en`), by key.
pub fn labels(lang: &str) -> std::collections::BTreeMap<&'static str, &'static str> {
    LABELS
        .iter()
        .map(|(key, fr, en)| (*key, if lang == "en" { *en } else { *fr }))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_label_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (key, fr, en) in super::LABELS {
            assert!(keys.insert(*key), "{key} twice");
            assert!(!fr.is_empty() && !en.is_empty(), "{key}");
        }
    }
}
