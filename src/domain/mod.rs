//! Pure domain logic: no tonic, axum or SeaORM types in signatures.

pub mod ingest;
pub mod tenant;
