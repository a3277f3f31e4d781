#!/usr/bin/env python3
"""Third-party clients against a running fedcat (started by tests/e2e/clients.rs after it
harvested the fixtures): ckanapi through the CKAN-compatible API, SPARQLWrapper on /sparql,
rdflib on every DCAT export format and the Hydra paging, pySHACL on every page of /catalog.ttl
against the official DCAT-AP 3.0.1 core shapes.

Usage: check_clients.py SERVER EXPECTED_DATASETS SHAPES_FILE...
Exits non-zero with the failed check on stderr.
"""

import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import ckanapi
import pyshacl
import rdflib
from rdflib.namespace import DCAT, DCTERMS
from SPARQLWrapper import JSON, XML, TURTLE, SPARQLWrapper

HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {message}")


def ckan(server, expected):
    site = ckanapi.RemoteCKAN(server, user_agent="fedcat-client-test")
    status = site.action.status_show()
    check(status["site_title"] == "fedcat", "ckanapi status_show")
    organizations = site.action.organization_list(all_fields=True)
    check(len(organizations) > 0, f"ckanapi organization_list: {len(organizations)} organizations")
    total = site.action.package_search(rows=0)["count"]
    check(total == expected, f"ckanapi package_search count {total} == {expected}")
    names, start = set(), 0
    while True:
        page = site.action.package_search(rows=7, start=start, sort="title_string asc")
        if not page["results"]:
            break
        for package in page["results"]:
            check(package["name"] not in names, f"package {package['name']} on one page only")
            names.add(package["name"])
        start += 7
    check(len(names) == expected, f"ckanapi paged through {len(names)} packages")
    counted = sum(o["package_count"] for o in organizations)
    with_org = site.action.package_search(rows=1000)["results"]
    check(counted == sum(1 for p in with_org if p["organization"]),
          "organization package counts add up to the packages with an organization")
    name = organizations[0]["name"]
    by_org = site.action.package_search(fq=f"organization:{name}", rows=0)["count"]
    check(by_org == organizations[0]["package_count"], f"fq=organization:{name} count")
    shown = site.action.package_show(id=next(iter(names)))
    check(shown["resources"] is not None, "ckanapi package_show")
    try:
        site.action.package_show(id="no-such-package")
        check(False, "package_show of a missing package raises NotFound")
    except ckanapi.NotFound:
        check(True, "package_show of a missing package raises NotFound")


def sparql(server, expected):
    endpoint = f"{server}/sparql"
    count_query = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
        SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { GRAPH ?g { ?d a dcat:Dataset } }"""
    client = SPARQLWrapper(endpoint)
    client.setQuery(count_query)
    client.setReturnFormat(JSON)
    n = int(client.query().convert()["results"]["bindings"][0]["n"]["value"])
    check(n == expected, f"SPARQLWrapper SELECT JSON: {n} datasets")
    client.setReturnFormat(XML)
    document = client.query().convert()
    values = [v.firstChild.data for v in document.getElementsByTagName("literal")]
    check(values == [str(expected)], "SPARQLWrapper SELECT XML")
    client.setQuery("PREFIX dcat: <http://www.w3.org/ns/dcat#> ASK { GRAPH ?g { ?d a dcat:Dataset } }")
    client.setReturnFormat(JSON)
    check(client.query().convert()["boolean"] is True, "SPARQLWrapper ASK JSON")
    client.setReturnFormat(XML)
    answer = client.query().convert()
    check(answer.getElementsByTagName("boolean")[0].firstChild.data == "true", "SPARQLWrapper ASK XML")
    client.setQuery("""PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/>
        CONSTRUCT { ?d dct:title ?t } WHERE { GRAPH ?g { ?d a dcat:Dataset ; dct:title ?t } }""")
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    check(len(set(graph.subjects(DCTERMS.title, None))) == expected, "SPARQLWrapper CONSTRUCT Turtle")
    client.setReturnFormat(XML)
    graph = client.query().convert()
    check(len(set(graph.subjects(DCTERMS.title, None))) == expected, "SPARQLWrapper CONSTRUCT RDF/XML")
    client.setQuery("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    client.setMethod("POST")
    try:
        client.query()
        check(False, "an update is refused")
    except Exception as error:  # SPARQLWrapper raises on the 4xx answer
        check("403" in str(error), f"an update is refused with 403 ({type(error).__name__}: {error})")


def exports(server, shapes_files, expected):
    formats = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld", "nt": "nt"}
    shapes = rdflib.Graph()
    for path in shapes_files:
        shapes.parse(Path(path), format="turtle")
    for extension, rdflib_format in formats.items():
        seen = {}
        url = f"{server}/catalog.{extension}?page_size=6"
        pages = 0
        while url:
            graph = rdflib.Graph().parse(url, format=rdflib_format)
            pages += 1
            catalog = next(graph.subjects(HYDRA.view, None))
            datasets = list(graph.objects(catalog, DCAT.dataset))
            for dataset in datasets:
                seen[dataset] = seen.get(dataset, 0) + 1
            missing = [d for d in datasets if graph.value(d, DCTERMS.identifier) is None]
            check(not missing, f"/catalog.{extension} page {pages}: every dataset has a dct:identifier {missing}")
            if extension == "ttl":
                conforms, _, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none",
                                                     allow_warnings=True)
                check(conforms, f"pySHACL: page {pages} of /catalog.ttl conforms\n{'' if conforms else text}")
            following = list(graph.objects(None, HYDRA.next))
            old_style = list(graph.objects(None, HYDRA.nextPage))
            check(following == old_style, "hydra:next and hydra:nextPage agree")
            url = str(following[0]) if following else None
            if url:
                # Page links are under base_iri, the deployment's public name (never the
                # request's Host); this test server listens on another address.
                served, link = urlsplit(server), urlsplit(url)
                url = urlunsplit((served.scheme, served.netloc, link.path, link.query, link.fragment))
            check(pages <= 100, "the paging ends")
        check(len(seen) == expected and all(n == 1 for n in seen.values()),
              f"rdflib /catalog.{extension}: Hydra paging reached {len(seen)} datasets once each in {pages} pages")


def main():
    server, expected, shapes_files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    ckan(server, expected)
    sparql(server, expected)
    exports(server, shapes_files, expected)
    print("all client checks passed")


if __name__ == "__main__":
    main()
