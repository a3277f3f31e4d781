//! Golden vectors: small hand-written datasets, each isolating one scoring rule, with the
//! expected points worked out by hand in the comments (QUALITY.md §1.2–§1.4, §9.2).

use super::measure::{FileFacts, LinkCheck, MeasureOptions, QualityFacts, ShaclOutcome, measure};
use super::score::{Rating, ScoreTable, Scores, score, stars};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::Triple;
use std::collections::HashMap;

const PREFIXES: &str = "
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ft: <http://publications.europa.eu/resource/authority/file-type/> .
@prefix lic: <http://publications.europa.eu/resource/authority/licence/> .
@prefix iana: <http://www.iana.org/assignments/media-types/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://ex.org/> .
";

fn facts() -> QualityFacts {
    let file_type =
        |code: &str| format!("http://publications.europa.eu/resource/authority/file-type/{code}");
    let cc_by = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0".to_owned();
    QualityFacts {
        file_types: [
            (file_type("CSV"), (true, true)),
            (file_type("XLSX"), (true, false)),
            (file_type("PDF"), (false, false)),
        ]
        .into_iter()
        .collect(),
        media_types: [(
            "http://www.iana.org/assignments/media-types/text/csv".to_owned(),
            file_type("CSV"),
        )]
        .into_iter()
        .collect(),
        known_licences: [cc_by.clone()].into_iter().collect(),
        open_licences: [cc_by].into_iter().collect(),
    }
}

fn parse(turtle: &str) -> Vec<Triple> {
    RdfParser::from_format(RdfFormat::Turtle)
        .for_reader(format!("{PREFIXES}{turtle}").as_bytes())
        .map(|q| Triple::from(q.unwrap()))
        .collect()
}

#[derive(Default)]
struct Case {
    shacl: ShaclOutcome,
    links: HashMap<&'static str, LinkCheck>,
    options: MeasureOptions,
    table: ScoreTable,
}

fn ok(status: u16) -> LinkCheck {
    LinkCheck {
        head_status: status,
        status,
        availability: None,
        content_type: None,
        content_length: None,
        file: None,
    }
}

fn run(turtle: &str, case: &Case) -> Scores {
    let triples = parse(turtle);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let measurements = measure(
        &triples,
        "http://ex.org/ds",
        &facts(),
        case.shacl,
        &|url| case.links.get(url).cloned(),
        case.options,
        today,
    );
    score(&measurements, &case.table)
}

#[test]
fn only_the_best_distribution_counts() {
    let turtle = "ex:ds a dcat:Dataset ; dct:title \"x\"@en ; dcat:distribution ex:d1, ex:d2 .
        ex:d1 dcat:accessURL <https://ex.org/a1> ; dcat:downloadURL <https://ex.org/f.csv> ;
              dct:format ft:CSV ; dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> ; dct:license lic:CC_BY_4_0 ;
              dcat:byteSize 10 .
        ex:d2 dcat:accessURL <https://ex.org/a2> .";
    let case = Case {
        links: [
            ("https://ex.org/a1", ok(200)),
            ("https://ex.org/f.csv", ok(200)),
            ("https://ex.org/a2", ok(404)),
        ]
        .into_iter()
        .collect(),
        ..Case::default()
    };
    let scores = run(turtle, &case);
    // d1: M5 50 + M6 20 + M7 30 + M8 20 + M9 10 + M10 10 + M11 20 + M12 20 + M14 20 + M15 10
    //     + M21 5 = 215; d2: 0. Nothing at dataset level (M13 not measured).
    assert_eq!(scores.mqa.total, 215);
    assert_eq!(
        scores.mqa.best_distribution.as_deref(),
        Some("http://ex.org/d1")
    );
    assert_eq!(scores.mqa.rating, Rating::Sufficient);
    // Extension: d1 adds E5 (every URL https) 5 + E16 (open licence) 10.
    assert_eq!(scores.ext.total, 230);
    assert!(scores.not_measured.contains(&"M13"));
}

#[test]
fn a_dataset_date_counts_only_when_the_best_distribution_has_none() {
    let turtle = "ex:ds a dcat:Dataset ; dct:issued \"2020-01-01\"^^xsd:date ;
            dct:modified \"2021-01-01\"^^xsd:date ; dcat:distribution ex:d1 .
        ex:d1 dcat:accessURL <http://ex.org/a> ; dct:issued \"2020-01-01\"^^xsd:date .";
    let scores = run(turtle, &Case::default());
    // Distribution M22 5; dataset M22 skipped (the distribution has it), M23 5.
    assert_eq!(scores.mqa.total, 10);
    assert!(
        scores.not_measured.contains(&"M5"),
        "the URL is not checked yet"
    );
    // E24: issued ≤ modified ≤ today, 5. E5: the URL is http, 0.
    assert_eq!(scores.ext.total, 15);
}

#[test]
fn the_minus_five_option_penalises_a_missing_format_and_media_type() {
    let turtle = "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
        ex:d1 dcat:accessURL <https://ex.org/a> .";
    let mut case = Case {
        links: [("https://ex.org/a", ok(200))].into_iter().collect(),
        ..Case::default()
    };
    assert_eq!(run(turtle, &case).mqa.total, 50);
    case.table = ScoreTable::default().with_minus_five();
    assert_eq!(run(turtle, &case).mqa.total, 40);
}

#[test]
fn a_score_of_exactly_120_is_sufficient_by_default() {
    let turtle = "ex:ds a dcat:Dataset ; dcat:keyword \"a\" ; dcat:theme ex:t ;
        dct:spatial ex:s ; dct:temporal [ dcat:startDate \"2020-01-01\"^^xsd:date ] ;
        dct:publisher ex:p ; dct:accessRights ex:r .";
    // 30 + 30 + 20 + 20 + 10 (publisher) + 10 (access rights, not from the EU table) = 120.
    let mut case = Case::default();
    let scores = run(turtle, &case);
    assert_eq!(scores.mqa.total, 120);
    assert_eq!(scores.mqa.rating, Rating::Sufficient);
    // mjanez/ckan-mqa's bands put 120 in Bad.
    case.table.mqa_bands = [351, 221, 121];
    assert_eq!(run(turtle, &case).mqa.rating, Rating::Bad);
}

#[test]
fn head_refused_then_get_answered_scores_unless_strict_head() {
    let turtle = "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
        ex:d1 dcat:accessURL <https://ex.org/a> .";
    let mut case = Case {
        links: [(
            "https://ex.org/a",
            LinkCheck {
                head_status: 405,
                status: 200,
                availability: Some(100),
                content_type: None,
                content_length: None,
                file: None,
            },
        )]
        .into_iter()
        .collect(),
        ..Case::default()
    };
    assert_eq!(run(turtle, &case).mqa.total, 50);
    // E5 (https) 5 + E6 (100 % of recent checks answered) 10 in the extended score.
    assert_eq!(run(turtle, &case).ext.total, 65);
    case.options.strict_head = true;
    assert_eq!(run(turtle, &case).mqa.total, 0);
}

#[test]
fn a_dataset_without_distribution_scores_its_dataset_metrics_only() {
    let turtle =
        "ex:ds a dcat:Dataset ; dcat:keyword \"a\" ; dct:issued \"2020-01-01\"^^xsd:date .";
    let scores = run(turtle, &Case::default().with_minus_five());
    // Keyword 30 + dataset issued 5 (no distribution has one); no −5 without a distribution.
    assert_eq!(scores.mqa.total, 35);
    assert_eq!(scores.mqa.best_distribution, None);
    assert_eq!(scores.mqa.rating, Rating::Bad);
}

#[test]
fn a_known_licence_earns_ten_more_than_an_unknown_one() {
    let known = "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
        ex:d1 dct:license lic:CC_BY_4_0 .";
    let unknown = "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
        ex:d1 dct:license <http://ex.org/my-licence> .";
    // M14 20 + M15 10, against M14 20.
    assert_eq!(run(known, &Case::default()).mqa.total, 30);
    assert_eq!(run(unknown, &Case::default()).mqa.total, 20);
    // The open licence (E16) only in the extended score.
    assert_eq!(run(known, &Case::default()).ext.total, 40);
}

#[test]
fn machine_readable_and_non_proprietary_are_judged_apart() {
    let with = |format: &str| {
        run(
            &format!(
                "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 . ex:d1 dct:format ft:{format} ."
            ),
            &Case::default(),
        )
        .mqa
        .total
    };
    // M8 20, then M12 20 (machine-readable) and M11 20 (non-proprietary).
    assert_eq!(with("CSV"), 60);
    assert_eq!(with("XLSX"), 40);
    assert_eq!(with("PDF"), 20);
}

#[test]
fn vocabulary_alignment_needs_both_a_file_type_and_an_iana_media_type() {
    let literal = "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
        ex:d1 dct:format \"CSV\" ; dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> .";
    let aligned = "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
        ex:d1 dct:format ft:CSV ; dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv> .";
    // M8 20 + M9 10 + M11 20 + M12 20 (the media type is CSV's) = 70; aligned adds M10 10.
    assert_eq!(run(literal, &Case::default()).mqa.total, 70);
    assert_eq!(run(aligned, &Case::default()).mqa.total, 80);
}

#[test]
fn dcat_ap_compliance_is_never_assumed() {
    let turtle = "ex:ds a dcat:Dataset .";
    let with = |core| {
        run(
            turtle,
            &Case {
                shacl: ShaclOutcome {
                    core,
                    ..ShaclOutcome::default()
                },
                ..Case::default()
            },
        )
    };
    assert_eq!(with(Some(true)).mqa.total, 30);
    assert_eq!(with(Some(false)).mqa.total, 0);
    let unmeasured = with(None);
    assert_eq!(unmeasured.mqa.total, 0);
    // E18 too: without a declared frequency there is no period to keep.
    // E13 and E14 (recommended and controlled-vocabulary shapes) neither.
    assert_eq!(unmeasured.not_measured, vec!["E13", "E14", "E18", "M13"]);
}

#[test]
fn the_best_of_several_download_urls_is_kept() {
    let turtle = "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
        ex:d1 dcat:downloadURL <https://ex.org/x>, <https://ex.org/y> .";
    let case = Case {
        links: [("https://ex.org/x", ok(404)), ("https://ex.org/y", ok(200))]
            .into_iter()
            .collect(),
        ..Case::default()
    };
    // M6 20 + M7 30 (the 200 wins over the 404).
    assert_eq!(run(turtle, &case).mqa.total, 50);
}

#[test]
fn five_stars_need_an_open_licence_and_a_working_url() {
    let measured = |turtle: &str, status: u16| {
        let triples = parse(turtle);
        let measurements = measure(
            &triples,
            "http://ex.org/ds",
            &facts(),
            ShaclOutcome::default(),
            &|_| Some(ok(status)),
            MeasureOptions::default(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        );
        stars(&measurements.distributions[0].1, false, false)
    };
    let open = |format: &str| {
        format!(
            "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
             ex:d1 dcat:downloadURL <https://ex.org/f> ; dct:format ft:{format} ;
                   dct:license lic:CC_BY_4_0 ."
        )
    };
    assert_eq!(measured(&open("CSV"), 200), 3);
    assert_eq!(measured(&open("XLSX"), 200), 2);
    assert_eq!(measured(&open("PDF"), 200), 1);
    assert_eq!(measured(&open("CSV"), 404), 0);
    let closed = "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
        ex:d1 dcat:downloadURL <https://ex.org/f> ; dct:format ft:CSV .";
    assert_eq!(measured(closed, 200), 0);
}

impl Case {
    fn with_minus_five(mut self) -> Self {
        self.table = self.table.with_minus_five();
        self
    }
}

#[test]
fn the_dqv_graph_carries_every_measurement_the_scores_and_the_rating() {
    use oxigraph::model::{NamedNode, Term};
    let turtle = "ex:ds a dcat:Dataset ; dcat:keyword \"a\" ; dcat:distribution ex:d1 .
        ex:d1 dct:format ft:CSV .";
    let triples = parse(turtle);
    let measurements = measure(
        &triples,
        "http://ex.org/ds",
        &facts(),
        ShaclOutcome::default(),
        &|_| None,
        MeasureOptions::default(),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    );
    let scores = score(&measurements, &ScoreTable::default());
    let graph = NamedNode::new_unchecked("http://fedcat.test/graph/quality/x");
    let quads =
        super::dqv::assessment_quads(&graph, &measurements, &scores, "2026-12-01T00:00:00Z", &[]);
    let value_of = |metric: &str| -> Vec<String> {
        let nodes: Vec<_> = quads
            .iter()
            .filter(|q| {
                q.predicate.as_str() == "http://www.w3.org/ns/dqv#isMeasurementOf"
                    && q.object == Term::NamedNode(NamedNode::new_unchecked(metric))
            })
            .map(|q| q.subject.clone())
            .collect();
        quads
            .iter()
            .filter(|q| {
                nodes.contains(&q.subject)
                    && q.predicate.as_str() == "http://www.w3.org/ns/dqv#value"
            })
            .map(|q| match &q.object {
                Term::Literal(l) => l.value().to_owned(),
                other => other.to_string(),
            })
            .collect()
    };
    // Keyword 30 + format 20 + machine-readable 20 + non-proprietary 20 = 90.
    assert_eq!(value_of("https://piveau.eu/ns/voc#scoring"), vec!["90"]);
    assert_eq!(
        value_of("https://piveau.eu/ns/voc#keywordAvailability"),
        vec!["true"]
    );
    // M13 and the URL checks were not measured: no measurement, never a false one.
    assert!(value_of("https://piveau.eu/ns/voc#dcatApCompliance").is_empty());
    assert!(quads.iter().any(|q| q.object
        == Term::NamedNode(NamedNode::new_unchecked("https://piveau.eu/ns/scoring#bad"))));
}

#[test]
fn an_annual_dataset_modified_this_year_is_updated_in_time() {
    let with = |modified: &str, frequency: &str| {
        run(
            &format!(
                "ex:ds a dcat:Dataset ; dct:modified \"{modified}\"^^xsd:date ;
                 dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/{frequency}> ."
            ),
            &Case::default(),
        )
    };
    // MQA: M23 (dataset modified, no distribution) 5. Extended: + E17 5 + E24 5, + E18 10 when
    // in time (today 2026-12-01).
    let fresh = with("2026-03-01", "ANNUAL");
    assert_eq!((fresh.mqa.total, fresh.ext.total), (5, 25));
    let stale = with("2024-03-01", "ANNUAL");
    assert_eq!(stale.ext.total, 15);
    let monthly = with("2026-10-01", "MONTHLY");
    assert_eq!(monthly.ext.total, 15, "two months old, monthly");
    let irregular = with("2020-01-01", "IRREG");
    assert_eq!(irregular.ext.total, 15);
    assert!(irregular.not_measured.contains(&"E18"));
}

#[test]
fn served_content_types_show_direct_downloads_and_matching_formats() {
    let turtle = "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
        ex:d1 dcat:downloadURL <https://ex.org/f> ; dct:format ft:CSV .";
    let served = |content_type: &str| {
        let case = Case {
            links: [(
                "https://ex.org/f",
                LinkCheck {
                    head_status: 200,
                    status: 200,
                    availability: None,
                    content_type: Some(content_type.to_owned()),
                    content_length: None,
                    file: None,
                },
            )]
            .into_iter()
            .collect(),
            ..Case::default()
        };
        run(turtle, &case)
    };
    // MQA: M6 20 + M7 30 + M8 20 + M11 20 + M12 20 = 110 either way.
    // Extended: + E5 5, + E9 5 (not an HTML page), + E7 5 (text/csv is CSV's media type).
    let csv = served("text/csv; charset=utf-8");
    assert_eq!((csv.mqa.total, csv.ext.total), (110, 125));
    // An HTML page where a file was promised: neither E9 nor E7.
    let html = served("text/html");
    assert_eq!((html.mqa.total, html.ext.total), (110, 115));
}

#[test]
fn a_declared_byte_size_within_one_percent_of_content_length_is_consistent() {
    let with = |declared: u64, served: u64| {
        let case = Case {
            links: [(
                "https://ex.org/f",
                LinkCheck {
                    head_status: 200,
                    status: 200,
                    availability: None,
                    content_type: None,
                    content_length: Some(served),
                    file: None,
                },
            )]
            .into_iter()
            .collect(),
            ..Case::default()
        };
        run(
            &format!(
                "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
                 ex:d1 dcat:downloadURL <https://ex.org/f> ; dcat:byteSize {declared} ."
            ),
            &case,
        )
    };
    // MQA: M6 20 + M7 30 + M21 5 = 55. Extended: + E5 5, + E23 5 when consistent.
    let close = with(10_050, 10_000);
    assert_eq!((close.mqa.total, close.ext.total), (55, 65));
    let off = with(12_000, 10_000);
    assert_eq!((off.mqa.total, off.ext.total), (55, 60));
}

#[test]
fn recommended_and_vocabulary_shapes_score_only_in_the_extended_score() {
    let turtle = "ex:ds a dcat:Dataset .";
    let with = |recommended, vocabularies| {
        run(
            turtle,
            &Case {
                shacl: ShaclOutcome {
                    core: Some(true),
                    recommended,
                    vocabularies,
                },
                ..Case::default()
            },
        )
    };
    // M13 30 in both scores; E13 10 and E14 5 in the extended one.
    let both = with(Some(true), Some(true));
    assert_eq!((both.mqa.total, both.ext.total), (30, 45));
    let warned = with(Some(false), Some(true));
    assert_eq!((warned.mqa.total, warned.ext.total), (30, 35));
    let unset = with(None, None);
    assert_eq!(unset.ext.total, 30);
    assert!(unset.not_measured.contains(&"E13") && unset.not_measured.contains(&"E14"));
}

fn downloaded(file: FileFacts) -> LinkCheck {
    LinkCheck {
        file: Some(file),
        ..ok(200)
    }
}

fn csv_file(digests: Option<[String; 3]>) -> FileFacts {
    FileFacts {
        bytes_read: 12,
        complete: true,
        sniffed: Some("CSV".into()),
        syntax_valid: Some(true),
        external_links: None,
        digests,
    }
}

const SHA256_OF_FILE: &str = "5a936ee19a0cf3c70d8cb0006111b7a52f45ec01703e0af8cdc8c6d81ac5850c";

fn csv_distribution(checksum: &str) -> String {
    format!(
        "@prefix spdx: <http://spdx.org/rdf/terms#> .
         ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
         ex:d1 dcat:downloadURL <https://ex.org/f.csv> ; dct:format ft:CSV ; dcat:byteSize 12 ;
               spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ;
                               spdx:checksumValue \"{checksum}\" ] ."
    )
}

#[test]
fn a_downloaded_file_shows_its_format_syntax_size_and_checksum() {
    let digests = Some([
        "md5".to_owned(),
        "sha1".to_owned(),
        SHA256_OF_FILE.to_owned(),
    ]);
    let case = Case {
        links: [("https://ex.org/f.csv", downloaded(csv_file(digests)))]
            .into_iter()
            .collect(),
        ..Case::default()
    };
    let scores = run(&csv_distribution(SHA256_OF_FILE), &case);
    // MQA: M6 20 + M7 30 + M8 20 + M11 20 + M12 20 + M21 5 = 115.
    // Extended: + E5 5 + E10 15 (sniffed CSV, declared CSV) + E11 15 (it parses) + E22 5
    // (the SHA-256 is the file's) + E23 5 (12 bytes read whole, 12 declared) = 160.
    assert_eq!((scores.mqa.total, scores.ext.total), (115, 160));
    // The same file under a wrong checksum loses E22.
    let wrong = run(&csv_distribution(&"0".repeat(64)), &case);
    assert_eq!(wrong.ext.total, 155);
    // A file sniffed as a PDF where a CSV is declared, that does not parse: no E10, no E11.
    let pdf = FileFacts {
        sniffed: Some("PDF".into()),
        syntax_valid: None,
        digests: None,
        complete: false,
        ..csv_file(None)
    };
    let case = Case {
        links: [("https://ex.org/f.csv", downloaded(pdf))]
            .into_iter()
            .collect(),
        ..Case::default()
    };
    let scores = run(&csv_distribution(SHA256_OF_FILE), &case);
    // E5 5, E22 5 (a checksum given, not verifiable on a partial read); E11 not measured.
    assert_eq!(scores.ext.total, 125);
    assert!(scores.not_measured.contains(&"E11"));
}

#[test]
fn linked_rdf_under_an_open_licence_earns_five_stars() {
    let turtle = "ex:ds a dcat:Dataset ; dcat:distribution ex:d1 .
        ex:d1 dcat:downloadURL <https://ex.org/f.ttl> ; dct:format ft:RDF_TURTLE ;
              dct:license lic:CC_BY_4_0 .";
    let mut file_types = facts();
    file_types.file_types.insert(
        "http://publications.europa.eu/resource/authority/file-type/RDF_TURTLE".into(),
        (true, true),
    );
    let level = |external_links: Option<bool>| {
        let file = FileFacts {
            sniffed: Some("RDF_TURTLE".into()),
            external_links,
            ..csv_file(None)
        };
        let measurements = measure(
            &parse(turtle),
            "http://ex.org/ds",
            &file_types,
            ShaclOutcome::default(),
            &|_| Some(downloaded(file.clone())),
            MeasureOptions::default(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        );
        let values = &measurements.distributions[0].1;
        (values["E27"], values["E15"])
    };
    use super::measure::Value;
    assert_eq!(level(Some(true)), (Value::Level(5), Value::Bool(true)));
    assert_eq!(level(Some(false)), (Value::Level(4), Value::Bool(true)));
    assert_eq!(level(None), (Value::Level(4), Value::Bool(true)));
}
