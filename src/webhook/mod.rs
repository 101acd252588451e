//! The HTTP webhook adapter: authenticates, parses a vendor format into alert
//! inputs and hands them to the same ingest path that gRPC clients use.

pub mod formats;
pub mod routes;
pub mod signature;
pub mod sns;
