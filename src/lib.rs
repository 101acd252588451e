//! Alert Whisperer: the alert control plane for managed service providers.
//!
//! One binary serves gRPC, grpc-web and HTTP on one port. [`server::run`] is the
//! entry point of `alert-whisperer serve`; tests use [`server::Server`] directly on
//! 127.0.0.1:0.

pub mod app;
pub mod auth;
pub mod aws;
pub mod config;
pub(crate) mod connections;
pub mod dashboard;
pub mod domain;
pub mod error;
pub mod executor;
pub mod extract;
pub mod feed;
pub mod grpc;
pub mod ingest;
pub mod metrics;
pub mod notify;
pub mod owner;
pub mod proto;
pub mod reports;
pub mod secret_cache;
pub mod secrets;
pub mod server;
pub mod service;
pub mod store;
pub mod telemetry;
pub(crate) mod tls;
pub mod webhook;

pub use config::Config;
pub use server::{Server, ServerOptions, run};
