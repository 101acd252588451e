//! The one integration-test binary: every test boots the real server on
//! 127.0.0.1:0 and talks to it with real clients.

#![allow(clippy::unwrap_used, unreachable_pub)]

mod automation;
mod aws;
mod client;
mod compliance;
mod correlation;
mod crash;
mod dashboard;
mod export;
mod fuzz;
mod harness;
mod incidents;
mod ingest;
mod isolation;
mod notifications;
mod remediation;
mod runbooks;
mod secrets;
mod senders;
mod server;
mod sessions;
mod tenancy;
mod tls;
mod traces;
mod webhooks;
