//! The service layer: what the API does, called by the gRPC handlers and the
//! webhook and report routes, which only convert their messages to and from
//! it. One module per capability; the rest of the capabilities still live in
//! their gRPC handlers (issue #24 moves them here one by one).

pub mod compliance;
pub mod correlation;
pub mod executions;
pub mod incidents;
pub mod ingest;
pub mod notifications;
pub mod runbooks;
pub mod sessions;
pub mod tenants;
