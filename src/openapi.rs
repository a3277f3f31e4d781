//! `/api/openapi.json`: the OpenAPI 3.1 description of the REST API, written by hand beside the
//! handlers it describes (a test checks that every route it lists answers).

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

fn parameter(name: &str, location: &str, description: &str, schema: Value) -> Value {
    json!({
        "name": name,
        "in": location,
        "required": location == "path",
        "description": description,
        "schema": schema,
    })
}

fn text(name: &str, description: &str) -> Value {
    parameter(name, "query", description, json!({"type": "string"}))
}

/// The description.
pub fn document() -> Value {
    let problem = json!({"description": "problem+json (RFC 9457): type, code, status, title, detail",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "fedcat",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Federated DCAT-AP catalogue of health open data: search, datasets, publishers, sources and harvest jobs, openness indicators. SPARQL at /sparql, DCAT-AP at /catalog, CKAN Action API at /api/3/action/."
        },
        "paths": {
            "/api/datasets": {"get": {
                "summary": "Full-text search with facets",
                "parameters": [
                    text("q", "words, French or English, accents optional; at most 1,000 characters and 32 levels of parentheses (400 beyond); `field:` syntax only for the facets and modified, any other `name:` is read as words"),
                    text("publisher", "publisher name (facet value)"),
                    text("source", "source id"),
                    text("theme", "EU data-theme code, e.g. HEAL"),
                    text("format", "EU file-type code, e.g. CSV"),
                    text("licence", "EU licence code, e.g. ETALAB_2_0"),
                    text("keyword", "keyword"),
                    text("language", "EU language code, e.g. FRA"),
                    text("rating", "excellent, good, sufficient or bad (MQA)"),
                    parameter("modified_after", "query", "YYYY-MM-DD", json!({"type": "string", "format": "date"})),
                    parameter("sort", "query", "order", json!({"type": "string", "enum": ["relevance", "modified", "title", "quality"]})),
                    parameter("page", "query", "from 1; page × page_size at most [search] max_result_window (10,000 by default), 400 beyond", json!({"type": "integer", "minimum": 1})),
                    parameter("page_size", "query", "1 to 100, default 20", json!({"type": "integer", "minimum": 1, "maximum": 100})),
                    parameter("collapse", "query", "one result per duplicate cluster (default true)", json!({"type": "boolean"})),
                ],
                "responses": {"200": {"description": "a page of results with facet counts",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResults"}}}},
                    "400": problem, "503": problem}
            }},
            "/api/datasets/{source}/{key}": {"get": {
                "summary": "One dataset: metadata, distributions and link status, quality, duplicates, provenance; its RDF with Accept text/turtle, application/ld+json, application/n-triples or application/rdf+xml",
                "parameters": [
                    parameter("source", "path", "source id", json!({"type": "string"})),
                    parameter("key", "path", "record key", json!({"type": "string"})),
                ],
                "responses": {"200": {"description": "the dataset", "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/turtle": {"schema": {"type": "string"}},
                    "application/ld+json": {"schema": {"type": "object"}}}},
                    "404": problem}
            }},
            "/api/publishers": {"get": {
                "summary": "Publishers with their number of datasets",
                "responses": {"200": {"description": "publishers", "content": {"application/json": {"schema": {"type": "object"}}}}}
            }},
            "/api/sources": {"get": {
                "summary": "Configured sources, running state and last job",
                "responses": {"200": {"description": "sources", "content": {"application/json": {"schema": {"type": "array"}}}}}
            }},
            "/api/sources/{id}/jobs": {"get": {
                "summary": "A source's last jobs",
                "parameters": [parameter("id", "path", "source id", json!({"type": "string"}))],
                "responses": {"200": {"description": "jobs", "content": {"application/json": {"schema": {"type": "array"}}}}, "404": problem}
            }},
            "/api/sources/{id}/harvest": {"post": {
                "summary": "Start a harvest now (admin token)",
                "security": [{"bearer": []}],
                "parameters": [parameter("id", "path", "source id", json!({"type": "string"}))],
                "responses": {"202": {"description": "started"}, "401": problem, "403": problem, "404": problem, "409": problem}
            }},
            "/api/jobs/{id}": {"get": {
                "summary": "One job with its errors and deleted records",
                "parameters": [parameter("id", "path", "job id", json!({"type": "integer"}))],
                "responses": {"200": {"description": "the job", "content": {"application/json": {"schema": {"type": "object"}}}}, "404": problem}
            }},
            "/api/indicators": {"get": {
                "summary": "Openness indicators per producer over time",
                "parameters": [
                    text("producer", "source id"),
                    text("publisher", "publisher name within the source"),
                    text("from", "RFC 3339 time or date prefix"),
                    text("to", "RFC 3339 time or date prefix"),
                    parameter("format", "query", "csv for CSV", json!({"type": "string", "enum": ["json", "csv"]})),
                ],
                "responses": {"200": {"description": "snapshots", "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "text/csv": {"schema": {"type": "string"}}}}, "404": problem}
            }},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {"type": "object", "required": ["type", "code", "status", "title"], "properties": {
                    "type": {"type": "string"}, "code": {"type": "string"}, "status": {"type": "integer"},
                    "title": {"type": "string"}, "detail": {"type": "string"}}},
                "SearchResults": {"type": "object", "required": ["total", "page", "page_size", "results", "facets"], "properties": {
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "page_size": {"type": "integer"},
                    "collapse": {"type": "boolean"},
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/DatasetSummary"}},
                    "facets": {"type": "object", "additionalProperties": {"type": "array", "items": {
                        "type": "object", "properties": {"value": {"type": "string"}, "count": {"type": "integer"}}}}}}},
                "DatasetSummary": {"type": "object", "properties": {
                    "id": {"type": "string"}, "dataset": {"type": "string"}, "source": {"type": "string"},
                    "title": {"type": "string"}, "description": {"type": ["string", "null"]},
                    "publisher": {"type": ["string", "null"]},
                    "themes": {"type": "array", "items": {"type": "string"}},
                    "formats": {"type": "array", "items": {"type": "string"}},
                    "licences": {"type": "array", "items": {"type": "string"}},
                    "keywords": {"type": "array", "items": {"type": "string"}},
                    "modified": {"type": ["string", "null"]},
                    "mqa_score": {"type": ["integer", "null"]}, "rating": {"type": ["string", "null"]},
                    "also_published_at": {"type": "array", "items": {"type": "object"}}}}
            }
        }
    })
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Response {
    Json(document()).into_response()
}
