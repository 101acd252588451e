//! The service layer: what the API does, called by the gRPC handlers and the
//! webhook and report routes, which only convert their messages to and from
//! it. One module per capability. The watch streams stay in `grpc/` (they
//! only read the log and convert), and the executor and the notifier run
//! beside this layer as background workers.

pub mod compliance;
pub mod correlation;
pub mod executions;
pub mod incidents;
pub mod ingest;
pub mod notifications;
pub mod runbooks;
pub mod sessions;
pub mod tenants;
