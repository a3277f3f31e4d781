//! The `fedcat` application: configuration, the harvest runner that wires sources to the
//! catalogue, and the HTTP server that mounts the SPARQL endpoint. The command line itself is
//! in `main.rs`; this library exists so that end-to-end tests and benchmarks drive the same
//! code as the binary.

pub mod api;
pub mod ckan_api;
pub mod ckan_fq;
pub mod config;
pub mod datasets_api;
pub mod export;
pub mod harvest;
pub mod http;
pub mod jobs;
pub mod openapi;
pub mod server;
pub mod web;

pub use config::{AppConfig, ServerLimits};
