//! Pure domain logic: no tonic, axum or SeaORM types in signatures.

pub mod compliance;
pub mod correlation;
pub mod engine;
pub mod error;
pub mod execution;
pub mod incident;
pub mod ingest;
pub mod lifecycle;
pub mod notification;
pub mod record;
pub mod remediation;
pub mod runbook;
pub mod template;
pub mod tenant;
