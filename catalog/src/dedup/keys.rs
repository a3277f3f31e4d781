//! Normalised blocking keys: identifiers and URLs written differently by different portals for
//! the same dataset or file reduce to the same key.

/// Query parameters that track visits and never identify a resource.
const TRACKING_PARAMETERS: [&str; 8] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "fbclid",
    "gclid",
    "xtor",
];

/// A URL as a comparison key: scheme dropped (http = https), host lower-cased without `www.`
/// and default port, path without trailing slashes, query parameters sorted with tracking
/// ones removed, fragment dropped. `None` when the text is not an http(s) URL.
pub fn normalize_url(text: &str) -> Option<String> {
    let url = url::Url::parse(text.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
    let port = match url.port() {
        Some(80 | 443) | None => String::new(),
        Some(port) => format!(":{port}"),
    };
    let path = url.path().trim_end_matches('/');
    let mut query: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !TRACKING_PARAMETERS.contains(&k.to_ascii_lowercase().as_str()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    query.sort();
    let query = if query.is_empty() {
        String::new()
    } else {
        let mut serializer = url::form_urlencoded::Serializer::new(String::from("?"));
        for (k, v) in &query {
            serializer.append_pair(k, v);
        }
        serializer.finish()
    };
    Some(format!("{host}{port}{path}{query}"))
}

/// The key of the dataset an Opendatasoft or CKAN URL points into, so that a landing page, an
/// export and an API URL of the same dataset meet: `ods:{host}:{dataset}` for
/// `/explore/dataset/{id}/…` and `/api/explore/v2.1/catalog/datasets/{id}/…`,
/// `ckan:{host}:{package}` for `/dataset/{name}/…`.
pub fn portal_dataset_key(text: &str) -> Option<String> {
    let normalized = normalize_url(text)?;
    let (host, path) = normalized.split_once('/')?;
    let host = host.split(':').next().unwrap_or(host);
    let segments: Vec<&str> = path.split(['/', '?']).collect();
    let after = |marker: &[&str]| -> Option<&str> {
        segments
            .windows(marker.len() + 1)
            .find(|w| w[..marker.len()] == *marker)
            .map(|w| w[marker.len()])
            .filter(|id| !id.is_empty())
    };
    if let Some(id) = after(&["explore", "dataset"])
        .or_else(|| after(&["catalog", "datasets"]))
        .or_else(|| after(&["records", "1.0", "download"]))
    {
        return Some(format!("ods:{host}:{}", id.to_ascii_lowercase()));
    }
    after(&["dataset"]).map(|name| format!("ckan:{host}:{}", name.to_ascii_lowercase()))
}

/// Identifiers shorter than this say nothing across portals ("1", "2019", "ds-1").
const MIN_IDENTIFIER_LEN: usize = 6;

/// An identifier as a comparison key: a URL is normalised as one, other text is trimmed and
/// lower-cased with inner whitespace collapsed. `None` for text too short to identify anything
/// outside its own portal.
pub fn normalize_identifier(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if trimmed.chars().count() < MIN_IDENTIFIER_LEN {
        return None;
    }
    if let Some(url) = normalize_url(trimmed) {
        return Some(url);
    }
    Some(
        trimmed
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Words that carry no identity in an organisation's name.
const NAME_STOPWORDS: [&str; 14] = [
    "de", "des", "du", "la", "le", "les", "l", "d", "et", "en", "the", "of", "and", "a",
];

/// The words of a publisher name that identify it: folded, stop words removed, sorted.
pub fn publisher_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = super::minhash::words(name)
        .into_iter()
        .filter(|w| !NAME_STOPWORDS.contains(&w.as_str()))
        .collect();
    words.sort();
    words.dedup();
    words
}

/// How much two publisher names agree: the share of the shorter name's words found in the
/// longer one, so that a renamed or abbreviated organisation ("Education Nationale" and
/// "Ministère de l'Éducation nationale") still matches. 0 when either is unknown.
pub fn publisher_similarity(a: &[String], b: &[String]) -> f64 {
    let shorter = a.len().min(b.len());
    if shorter == 0 {
        return 0.0;
    }
    let shared = a.iter().filter(|w| b.binary_search(w).is_ok()).count();
    shared as f64 / shorter as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_written_differently_meet() {
        let a = normalize_url("https://www.Data.Gouv.fr/fr/datasets/open-damir/?utm_source=x");
        let b = normalize_url("http://data.gouv.fr/fr/datasets/open-damir");
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("data.gouv.fr/fr/datasets/open-damir"));
        assert_eq!(
            normalize_url("https://h.org/a?b=2&a=1#frag"),
            normalize_url("https://h.org/a?a=1&b=2")
        );
        assert_eq!(normalize_url("ftp://h.org/a"), None);
        assert_eq!(normalize_url("not a url"), None);
    }

    #[test]
    fn ods_urls_of_one_dataset_share_a_key() {
        let landing =
            "https://vanves-seineouest.opendatasoft.com/explore/dataset/bureau-de-vote-vanves/";
        let export = "https://vanves-seineouest.opendatasoft.com/api/explore/v2.1/catalog/datasets/bureau-de-vote-vanves/exports/csv";
        let key = portal_dataset_key(landing).unwrap();
        assert_eq!(
            key,
            "ods:vanves-seineouest.opendatasoft.com:bureau-de-vote-vanves"
        );
        assert_eq!(portal_dataset_key(export).as_deref(), Some(key.as_str()));
        assert_eq!(
            portal_dataset_key(
                "https://www.datasud.fr/dataset/canispaces/resource/1/download/x.csv"
            )
            .as_deref(),
            Some("ckan:datasud.fr:canispaces")
        );
        assert_eq!(portal_dataset_key("https://example.org/page"), None);
    }

    #[test]
    fn identifiers_are_compared_loosely() {
        assert_eq!(normalize_identifier("  ABC  123 "), Some("abc 123".into()));
        assert_eq!(normalize_identifier(""), None);
        assert_eq!(normalize_identifier("2019"), None);
        assert_eq!(
            normalize_identifier("https://www.example.org/id/1/"),
            Some("example.org/id/1".into())
        );
    }

    #[test]
    fn renamed_publishers_still_match() {
        let old = publisher_words("Education Nationale");
        let new = publisher_words("Ministère de l'Éducation Nationale et de la Jeunesse");
        assert_eq!(publisher_similarity(&old, &new), 1.0);
        let other = publisher_words("Région Bretagne");
        assert_eq!(publisher_similarity(&old, &other), 0.0);
        assert_eq!(publisher_similarity(&old, &[]), 0.0);
    }
}
