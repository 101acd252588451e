//! SeaORM entities, one module per table. Timestamps are Unix milliseconds.

pub mod alert;
pub mod alert_event;
pub mod alert_outcome;
pub mod api_key;
pub mod audit_event;
pub mod company;
pub mod company_lease;
pub mod compliance_snapshot;
pub mod correlation_config;
pub mod execution;
pub mod execution_event;
pub mod hmac_secret;
pub mod incident;
pub mod incident_event;
pub mod incident_sequence;
pub mod ingest_log;
pub mod inhibition_rule;
pub mod instance_compliance;
pub mod operator_token;
pub mod operator_token_company;
pub mod projector_checkpoint;
pub mod remediation_rule;
pub mod runbook;
pub mod silence;
pub mod sns_subscription;
pub mod technician;
