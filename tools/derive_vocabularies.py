#!/usr/bin/env python3
"""Derives fedcat's compact vocabulary tables (config/vocabularies/*.csv) from the EU
authority tables, the MQA lists and the IANA registry kept in ../shared/vocabularies/.

Run once by a person when the authority tables change (needs rdflib from PyPI):
    python3 tools/derive_vocabularies.py ../shared/vocabularies config/vocabularies
The tables are committed; fedcat reads them at start-up and the test
`vocabulary_iris_exist_in_the_authority_tables` checks every IRI in them against the sources.
`aliases.csv` is written by hand and is not touched by this script.
"""
import csv
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DC, SKOS

AT = rdflib.Namespace("http://publications.europa.eu/ontology/authority/")
EDP = rdflib.Namespace("https://europeandataportal.eu/voc#")
EU = "http://publications.europa.eu/resource/authority/"


def load(*paths):
    graph = rdflib.Graph()
    for path in paths:
        graph.parse(path)
    return graph


def label(graph, subject, lang, predicate=SKOS.prefLabel):
    for value in graph.objects(subject, predicate):
        if isinstance(value, Literal) and value.language == lang:
            return " ".join(str(value).split())
    return ""


def concepts(graph, namespace):
    return sorted(
        {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(namespace)
         and str(s) != namespace.rstrip("/")}
    )


def deprecated(graph, subject):
    return any(str(v).lower() == "true" for v in graph.objects(subject, AT.deprecated))


def write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"{path}: {len(rows)} rows")


def iana_registered(shared):
    root = ET.parse(shared / "iana/iana_media_types.xml").getroot()
    ns = {"i": "http://www.iana.org/assignments"}
    types = set()
    for registry in root.findall("i:registry", ns):
        top = registry.get("id")
        for record in registry.findall("i:record", ns):
            name = record.find("i:name", ns)
            if name is not None and name.text:
                types.add(f"{top}/{name.text.strip()}".lower())
    return types


def file_types(shared, out, registered):
    namespace = EU + "file-type/"
    skos = load(shared / "eu-authority/file-type/filetypes-skos.rdf")
    machine = load(shared / "edp-mqa/edp-machine-readable-format.rdf")
    non_prop = load(shared / "edp-mqa/edp-non-proprietary-format.rdf")
    codes = {str(s) for s in concepts(skos, namespace)}
    # The 2025 CSV has codes newer than the SKOS dump (PARQUET, GPX…); keep them with the code as label.
    with open(shared / "derived-csv/file-types.csv", encoding="utf-8") as f:
        newer = {row[0] for row in csv.reader(f) if row and row[0].startswith(namespace)}
    rows, media = [], set()
    for iri in sorted(codes | newer):
        subject = URIRef(iri)
        if deprecated(skos, subject):
            continue
        extensions, mimes = [], []
        for mapped in skos.objects(subject, AT["op-mapped-code"]):
            source = str(skos.value(mapped, DC.source) or "")
            code = str(skos.value(mapped, AT["legacy-code"]) or "").strip()
            if source == "file-extension" and code:
                extensions.append(code.lstrip(".").lower())
            elif source == "mime-type-cellar" and code:
                mimes.append(code.lower())
        mimes = [m for m in mimes if m in registered]
        media.update(mimes)
        code = iri[len(namespace):]
        rows.append([
            code, iri,
            label(skos, subject, "en") or code, label(skos, subject, "fr") or code,
            " ".join(sorted(set(extensions))), " ".join(dict.fromkeys(mimes)),
            str((subject, EDP.isMachineReadable, None) in machine).lower(),
            str((subject, EDP.isNonProprietary, None) in non_prop).lower(),
        ])
    write(out / "formats.csv",
          ["code", "iri", "label_en", "label_fr", "extensions", "media_types",
           "machine_readable", "non_proprietary"], rows)
    return media


def media_types(out, media, registered):
    # The media types the file types point to, plus the common ones portals declare.
    extra = {"text/csv", "application/json", "application/geo+json", "application/vnd.geo+json",
             "application/zip", "application/xml", "text/xml", "text/html", "application/pdf",
             "application/vnd.ms-excel", "application/msword", "text/plain", "image/jpeg",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "application/vnd.oasis.opendocument.spreadsheet", "application/x-7z-compressed",
             "application/vnd.google-earth.kml+xml", "application/vnd.google-earth.kmz",
             "application/rdf+xml", "text/turtle", "application/ld+json", "application/n-triples",
             "application/gzip", "application/x-shapefile", "application/vnd.apache.parquet",
             "application/octet-stream", "application/gml+xml", "application/gpx+xml"}
    rows = [[m, "http://www.iana.org/assignments/media-types/" + m]
            for m in sorted((media | extra) & registered)]
    write(out / "iana-media.csv", ["media_type", "iri"], rows)


def licences(shared, out):
    namespace = EU + "licence/"
    table = load(shared / "eu-authority/licence/licences-sparql-result.ttl")
    old = load(shared / "eu-authority/licence/licences-skos.rdf")
    urls = {}
    with open(shared / "derived-csv/licenses.csv", encoding="utf-8") as f:
        for row in csv.reader(f):
            if len(row) >= 3 and row[2].startswith(namespace):
                urls.setdefault(row[2], []).append(row[0])
    rows = []
    for subject in concepts(table, namespace):
        iri = str(subject)
        code = iri[len(namespace):]
        rows.append([
            code, iri, label(table, subject, "en") or code,
            label(old, subject, "fr") or label(table, subject, "fr") or "",
            " ".join(urls.get(iri, [])), str(deprecated(table, subject)).lower(),
        ])
    write(out / "licences.csv", ["code", "iri", "label_en", "label_fr", "urls", "deprecated"], rows)


def simple_table(shared, out, name, namespace, files, fr_files=(), french=None):
    """`french` supplies French labels by code where the source has none."""
    table = load(*[shared / f for f in files])
    labels = load(*[shared / f for f in fr_files]) if fr_files else table
    rows = []
    for subject in concepts(table, namespace):
        if deprecated(table, subject):
            continue
        iri = str(subject)
        code = iri[len(namespace):]
        rows.append([code, iri, label(table, subject, "en") or label(labels, subject, "en") or code,
                     label(labels, subject, "fr") or label(table, subject, "fr")
                     or (french or {}).get(code, "")])
    write(out / f"{name}.csv", ["code", "iri", "label_en", "label_fr"], rows)


def languages(shared, out):
    namespace = EU + "language/"
    table = load(shared / "eu-authority/language/language.ttl")
    newer = load(shared / "eu-authority/language/language-subset-de-fr-it-en-rm.xml")
    # The full table has no ISO 639-1 codes and few labels: the languages of the portals fedcat
    # harvests are listed here by hand (code, ISO 639-1, English, French); the newer subset's
    # labels win where it has them. Every IRI is checked against the full table by a test.
    wanted = [("FRA", "fr", "French", "français"), ("ENG", "en", "English", "anglais"),
              ("DEU", "de", "German", "allemand"), ("ITA", "it", "Italian", "italien"),
              ("SPA", "es", "Spanish", "espagnol"), ("NLD", "nl", "Dutch", "néerlandais"),
              ("POR", "pt", "Portuguese", "portugais"), ("ROH", "rm", "Romansh", "romanche"),
              ("CAT", "ca", "Catalan", "catalan"), ("EUS", "eu", "Basque", "basque"),
              ("BRE", "br", "Breton", "breton"), ("OCI", "oc", "Occitan", "occitan"),
              ("COS", "co", "Corsican", "corse"), ("LTZ", "lb", "Luxembourgish", "luxembourgeois"),
              ("DAN", "da", "Danish", "danois"), ("SWE", "sv", "Swedish", "suédois"),
              ("FIN", "fi", "Finnish", "finnois"), ("POL", "pl", "Polish", "polonais"),
              ("CES", "cs", "Czech", "tchèque"), ("ELL", "el", "Greek", "grec"),
              ("ARA", "ar", "Arabic", "arabe"), ("NOR", "no", "Norwegian", "norvégien")]
    rows = []
    for code, iso1, en, fr in wanted:
        subject = URIRef(namespace + code)
        rows.append([code, str(subject), iso1, label(newer, subject, "en") or en,
                     (label(newer, subject, "fr") or fr).lower()])
    write(out / "languages.csv", ["code", "iri", "iso_639_1", "label_en", "label_fr"], rows)


def main():
    shared, out = Path(sys.argv[1]), Path(sys.argv[2])
    registered = iana_registered(shared)
    media = file_types(shared, out, registered)
    media_types(out, media, registered)
    licences(shared, out)
    simple_table(shared, out, "frequencies", EU + "frequency/",
                 ["eu-authority/frequency/frequencies-sparql-result.ttl"],
                 ["eu-authority/frequency/frequency.ttl"],
                 french={"1MIN": "toutes les minutes", "5MIN": "toutes les cinq minutes",
                         "10MIN": "toutes les dix minutes", "15MIN": "toutes les quinze minutes",
                         "30MIN": "toutes les trente minutes", "12HRS": "toutes les douze heures",
                         "AS_NEEDED": "au besoin", "NOT_PLANNED": "non planifié"})
    simple_table(shared, out, "data-themes", EU + "data-theme/",
                 ["eu-authority/data-theme/data-theme-sparql-result.ttl"],
                 ["eu-authority/data-theme/data-theme.ttl"])
    simple_table(shared, out, "access-rights", EU + "access-right/",
                 ["eu-authority/access-right/access-right-sparql-result.ttl"],
                 french={"PUBLIC": "public", "RESTRICTED": "restreint", "NON_PUBLIC": "non public",
                         "SENSITIVE": "sensible", "CONFIDENTIAL": "confidentiel",
                         "NORMAL": "normal"})
    languages(shared, out)


if __name__ == "__main__":
    main()
