"""udata's DCAT harvester (data.gouv.fr's `DcatBackend`, from PyPI, pinned by test.sh) run in
dry-run mode against fedcat's DCAT-AP export, with mongomock for its database (nothing is
written). Prints one JSON line: what udata read from the catalogue.

Usage: python udata_dcat.py URL
"""

import json
import sys

import mongomock
from udata.app import create_app, standalone


class Settings:
    SECRET_KEY = "fedcat-test"
    API_TOKEN_SECRET = "fedcat-test"
    MONGODB_HOST = "mongodb://localhost:27017/udata"
    MONGODB_SETTINGS = {
        "host": "mongodb://localhost:27017/udata",
        "mongo_client_class": mongomock.MongoClient,
    }
    # fedcat is on loopback in the tests.
    URLS_ALLOW_LOCAL = True
    URLS_RESOLVE_HOSTNAME = False
    TESTING = True


def main(url):
    app = create_app(override=Settings)
    standalone(app)
    with app.app_context():
        from udata.harvest.backends.dcat import DcatBackend
        from udata.harvest.models import HarvestSource

        source = HarvestSource(name="fedcat", url=url, backend="dcat")
        job = DcatBackend(source, dryrun=True).harvest()
        items = []
        for item in job.items:
            dataset = item.dataset
            temporal = dataset.temporal_coverage if dataset else None
            items.append(
                {
                    "remote_id": item.remote_id,
                    "status": item.status,
                    "errors": [e.message for e in item.errors],
                    "title": dataset.title if dataset else None,
                    "temporal": bool(temporal and (temporal.start or temporal.end)),
                    "license": dataset.license.id if dataset and dataset.license else None,
                }
            )
        print(
            json.dumps(
                {
                    "status": job.status,
                    "errors": [e.message for e in job.errors],
                    "items": items,
                },
                ensure_ascii=False,
            )
        )
        print("udata done")


if __name__ == "__main__":
    main(sys.argv[1])
