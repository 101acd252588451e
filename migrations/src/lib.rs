//! Schema migrations for Alert Whisperer.
//!
//! Written in the SeaQuery DSL only, so the same migrations run on SQLite and
//! PostgreSQL. Every `up` has a `down`. Timestamps are stored as Unix
//! milliseconds (`BIGINT`) so that both backends order and compare them alike.

pub use sea_orm_migration;
use sea_orm_migration::prelude::*;

mod ingest_log;
mod m20261126_000001_tenancy;
mod m20261126_000002_ingest;
mod m20261126_000003_correlation_rules;
mod m20261126_000004_runbooks;
mod m20261126_000005_compliance;
mod m20261127_000006_incidents;
mod m20261127_000007_remediation;
mod m20261127_000008_pending_indexes;
mod m20261127_000009_delivery_index;
mod m20261127_000010_signature_index;
mod m20261127_000011_technician_loads;
mod m20261127_000012_inhibition_sources;
mod m20261201_000013_resident_state;
mod m20261202_000014_search_by_alerts;
mod m20261204_000015_asset_labels;
mod m20261205_000016_notifications;
mod m20261206_000017_notification_limits;
mod m20261206_000018_due_covering_index;
mod m20261206_000019_storm_gap_lateness;
mod m20261207_000020_operator_token_technicians;
mod m20261207_000021_secrets_backend;
mod m20261208_000022_automation_runbooks;
mod m20261209_000023_ssm_sessions;

/// The ordered list of migrations; `serve` applies the pending ones at start.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_tenancy::Migration),
            Box::new(m20261126_000002_ingest::Migration),
            Box::new(m20261126_000003_correlation_rules::Migration),
            Box::new(m20261126_000004_runbooks::Migration),
            Box::new(m20261126_000005_compliance::Migration),
            Box::new(m20261127_000006_incidents::Migration),
            Box::new(m20261127_000007_remediation::Migration),
            Box::new(m20261127_000008_pending_indexes::Migration),
            Box::new(m20261127_000009_delivery_index::Migration),
            Box::new(m20261127_000010_signature_index::Migration),
            Box::new(m20261127_000011_technician_loads::Migration),
            Box::new(m20261127_000012_inhibition_sources::Migration),
            Box::new(m20261201_000013_resident_state::Migration),
            Box::new(m20261202_000014_search_by_alerts::Migration),
            Box::new(m20261204_000015_asset_labels::Migration),
            Box::new(m20261205_000016_notifications::Migration),
            Box::new(m20261206_000017_notification_limits::Migration),
            Box::new(m20261206_000018_due_covering_index::Migration),
            Box::new(m20261206_000019_storm_gap_lateness::Migration),
            Box::new(m20261207_000020_operator_token_technicians::Migration),
            Box::new(m20261207_000021_secrets_backend::Migration),
            Box::new(m20261208_000022_automation_runbooks::Migration),
            Box::new(m20261209_000023_ssm_sessions::Migration),
        ]
    }
}

/// The migrations of the ingest-log file that an SQLite deployment keeps
/// beside its database (on PostgreSQL the log is a table of the database,
/// made by [`Migrator`]).
#[derive(Debug)]
pub struct LogMigrator;

#[async_trait::async_trait]
impl MigratorTrait for LogMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(ingest_log::Migration)]
    }
}
