//! `/sparql` in a browser (`Accept: text/html`): a query editor with example queries over the
//! catalogue, and SELECT/ASK/CONSTRUCT results as an HTML table. No script: the examples are
//! links and the editor is a form.

/// Example queries over the catalogue: (label, query).
pub const EXAMPLES: [(&str, &str); 4] = [
    (
        "Jeux de données par producteur / Datasets by producer",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>\nPREFIX dct: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\nSELECT ?producer (COUNT(DISTINCT ?d) AS ?datasets) WHERE {\n  GRAPH ?g { ?d a dcat:Dataset ; dct:publisher ?p . ?p foaf:name ?producer }\n} GROUP BY ?producer ORDER BY DESC(?datasets) LIMIT 50",
    ),
    (
        "Licences des distributions / Distribution licences",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#>\nPREFIX dct: <http://purl.org/dc/terms/>\nSELECT ?licence (COUNT(?dist) AS ?distributions) WHERE {\n  GRAPH ?g { ?d dcat:distribution ?dist . ?dist dct:license ?licence }\n} GROUP BY ?licence ORDER BY DESC(?distributions) LIMIT 50",
    ),
    (
        "Doublons entre portails / Duplicates across portals",
        "PREFIX prov: <http://www.w3.org/ns/prov#>\nPREFIX fc: <https://w3id.org/fedcat/ns#>\nSELECT ?cluster (COUNT(?member) AS ?copies) WHERE {\n  GRAPH ?links { ?cluster a fc:DuplicateCluster ; prov:hadMember ?member }\n} GROUP BY ?cluster ORDER BY DESC(?copies) LIMIT 50",
    ),
    (
        "Scores de qualité MQA / MQA quality scores",
        "PREFIX dqv: <http://www.w3.org/ns/dqv#>\nSELECT ?dataset ?score WHERE {\n  GRAPH ?q { ?dataset dqv:hasQualityMeasurement ?m .\n    ?m dqv:isMeasurementOf <https://piveau.eu/ns/voc#scoring> ; dqv:value ?score }\n} ORDER BY ?score LIMIT 50",
    ),
];

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The page: the editor (filled with `query`), the examples, and `results` (an HTML fragment).
pub fn page(query: &str, results: Option<&str>) -> String {
    let examples: String = EXAMPLES
        .iter()
        .map(|(label, text)| {
            format!(
                "<li><a href=\"/sparql?query={}\">{}</a></li>",
                encode(text),
                escape(label)
            )
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>SPARQL — fedcat</title><style>body{{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a}}header,main{{max-width:72rem;margin:0 auto;padding:.75rem 1rem}}\
a{{color:#00427a}}textarea{{width:100%;font-family:monospace;font-size:.95rem}}table{{border-collapse:collapse}}th,td{{border:1px solid #bbb;padding:.2rem .5rem;text-align:left;font-size:.9rem}}</style></head>\
<body><header><nav aria-label=\"main\"><a href=\"/\"><strong>fedcat</strong></a> · <a href=\"/indicators\">Indicateurs</a> · <a href=\"/sources\">Moissonnage</a></nav></header>\
<main id=\"main\"><h1>SPARQL</h1>\
<form method=\"get\" action=\"/sparql\"><label for=\"query\">Requête SPARQL / SPARQL query</label>\
<textarea id=\"query\" name=\"query\" rows=\"10\">{}</textarea><button type=\"submit\">Exécuter / Run</button></form>\
<section aria-labelledby=\"h-examples\"><h2 id=\"h-examples\">Exemples / Examples</h2><ul>{examples}</ul></section>\
{}</main></body></html>",
        escape(query),
        results
            .map(|r| format!("<section aria-labelledby=\"h-results\"><h2 id=\"h-results\">Résultats / Results</h2>{r}</section>"))
            .unwrap_or_default()
    )
}

/// A results table: a header row of `columns`, one row per entry of `rows`.
pub fn table(columns: &[String], rows: &[Vec<String>], truncated: bool) -> String {
    let head: String = columns
        .iter()
        .map(|c| format!("<th scope=\"col\">{}</th>", escape(c)))
        .collect();
    let body: String = rows
        .iter()
        .map(|row| {
            let cells: String = row
                .iter()
                .map(|cell| format!("<td>{}</td>", escape(cell)))
                .collect();
            format!("<tr>{cells}</tr>")
        })
        .collect();
    format!(
        "<p id=\"row-count\">{} {}</p><table id=\"results\"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
        rows.len(),
        if truncated {
            "lignes (tronqué / truncated)"
        } else {
            "lignes / rows"
        }
    )
}
