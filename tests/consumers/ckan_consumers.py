"""CKAN's own harvesting code against fedcat, from PyPI at the versions test.sh pins (ckan
2.12.0, ckanext-dcat 2.4.4, ckanext-harvest 1.6.3), without a CKAN site: the parts that read the
remote catalogue. Prints one JSON line.

  python ckan_consumers.py dcat URL
      ckanext-dcat's DCATRDFHarvester gather loop: fetch a page, parse it with RDFParser, go to
      RDFParser.next_page(), until there is none; every dataset dict, with its license_id.
  python ckan_consumers.py search BASE [FQ_TERM...]
      ckanext-harvest's CKANHarvester._search_for_datasets(BASE, FQ_TERMS), as the harvester
      calls it with organizations_filter_include / organizations_filter_exclude.
"""

import json
import sys

import requests


def dcat(url):
    from ckanext.dcat.processors import RDFParser

    formats = {"ttl": "turtle", "rdf": "xml", "jsonld": "json-ld"}
    fmt = formats[url.split("?")[0].rsplit(".", 1)[1]]
    datasets, pages = [], 0
    while url:
        response = requests.get(url, timeout=30)
        response.raise_for_status()
        parser = RDFParser()
        parser.parse(response.content, _format=fmt)
        for dataset in parser.datasets():
            extras = {e["key"]: e["value"] for e in dataset.get("extras", [])}
            datasets.append(
                {
                    "uri": dataset.get("uri") or extras.get("uri"),
                    "title": dataset.get("title"),
                    "license_id": dataset.get("license_id"),
                }
            )
        pages += 1
        url = parser.next_page()
        if pages > 1000:
            raise SystemExit("the paging does not end")
    print(json.dumps({"pages": pages, "datasets": datasets}, ensure_ascii=False))


def search(base, fq_terms):
    from ckanext.harvest.harvesters.ckanharvester import CKANHarvester

    harvester = CKANHarvester()
    harvester.config = {}
    packages = harvester._search_for_datasets(base, fq_terms or None)
    print(json.dumps({"ids": [p["id"] for p in packages]}))


if __name__ == "__main__":
    if sys.argv[1] == "dcat":
        dcat(sys.argv[2])
    else:
        search(sys.argv[2], sys.argv[3:])
    print("ckan done")
