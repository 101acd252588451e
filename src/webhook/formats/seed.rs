//! The prototype's generic payload (`POST /api/webhooks/alerts`), for anything
//! that can POST JSON.
//!
//! ```json
//! {
//!   "asset_name": "web-01",
//!   "signature": "disk_full",
//!   "severity": "critical",
//!   "message": "/var is 97% full",
//!   "tool_source": "cron-check",
//!   "labels": {"env": "prod"},
//!   "occurred_at": "2024-05-01T12:00:00Z",
//!   "action": "trigger",
//!   "dedup_key": "web-01/var",
//!   "external_id": "check-17",
//!   "link": "https://monitor.example.com/checks/17",
//!   "delivery_id": "7f9c…"
//! }
//! ```
//!
//! Only `asset_name` (or `asset`) and `signature` are required; a JSON array of
//! such objects is a batch. Unknown fields are ignored. See
//! `docs/integrations/seed.md`.

use serde_json::Value;

use super::{FormatError, Object, fit_alert, parse_json, severity_from_name, timestamp};
use crate::proto::v1::{AlertAction, AlertInput, Severity};

/// `tool_source` when the payload names none.
const DEFAULT_TOOL_SOURCE: &str = "webhook";

/// Parses one seed alert object, or an array of them, into alerts.
pub fn parse(body: &[u8]) -> Result<Vec<AlertInput>, FormatError> {
    let value = parse_json(body)?;
    match &value {
        Value::Array(items) => {
            if items.is_empty() {
                return Err(FormatError::Unsupported(
                    "an empty array holds no alert".to_owned(),
                ));
            }
            let paths: Vec<String> = (0..items.len()).map(|index| format!("[{index}]")).collect();
            items
                .iter()
                .zip(&paths)
                .map(|(item, path)| alert(Object::at(item, path)?))
                .collect()
        }
        other => Ok(vec![alert(Object::root(other, "an alert")?)?]),
    }
}

fn alert(object: Object<'_>) -> Result<AlertInput, FormatError> {
    let asset = object
        .first_text(&["asset_name", "asset"])?
        .ok_or_else(|| FormatError::missing(object.path_of("asset_name")))?;
    let signature = object.required_text("signature")?;
    let severity = match object.text("severity")? {
        None => Severity::Medium,
        Some(name) => severity_from_name(&name).ok_or_else(|| {
            FormatError::invalid(
                object.path_of("severity"),
                format!("unknown severity {name:?} (critical, high, medium, low or info)"),
            )
        })?,
    };
    let action = match object.text("action")? {
        None => AlertAction::Trigger,
        Some(name) => match name.to_ascii_lowercase().as_str() {
            "trigger" | "firing" | "problem" => AlertAction::Trigger,
            "acknowledge" | "ack" => AlertAction::Acknowledge,
            "resolve" | "resolved" | "recovery" => AlertAction::Resolve,
            _ => {
                return Err(FormatError::invalid(
                    object.path_of("action"),
                    format!("unknown action {name:?} (trigger, acknowledge or resolve)"),
                ));
            }
        },
    };
    let occur_time = match object.first_text(&["occurred_at", "occur_time"])? {
        None => None,
        Some(text) => Some(timestamp::parse_rfc3339(&text).ok_or_else(|| {
            FormatError::invalid(
                object.path_of("occurred_at"),
                format!("{text:?} is not an RFC 3339 date-time"),
            )
        })?),
    };
    let link = object.text("link")?.unwrap_or_default();
    if !link.is_empty() && !super::is_http_url(&link) {
        return Err(FormatError::invalid(
            object.path_of("link"),
            "must be an absolute http or https URL",
        ));
    }
    Ok(fit_alert(AlertInput {
        asset,
        signature,
        severity: severity.into(),
        message: object.text("message")?.unwrap_or_default(),
        tool_source: object
            .text("tool_source")?
            .unwrap_or_else(|| DEFAULT_TOOL_SOURCE.to_owned()),
        labels: object.labels("labels")?.into_iter().collect(),
        occur_time,
        action: action.into(),
        dedup_key: object.text("dedup_key")?.unwrap_or_default(),
        external_id: object.text("external_id")?.unwrap_or_default(),
        link,
        delivery_id: object.text("delivery_id")?.unwrap_or_default(),
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::testing;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_prototype_payload() {
        let body = br#"{"asset_name": "web-01", "signature": "disk_full",
            "severity": "critical", "message": "/var is 97% full", "tool_source": "nagios"}"#;
        let alerts = parse(body).unwrap();
        assert_eq!(alerts.len(), 1);
        let alert = &alerts[0];
        assert_eq!(alert.asset, "web-01");
        assert_eq!(alert.signature, "disk_full");
        assert_eq!(alert.severity(), Severity::Critical);
        assert_eq!(alert.message, "/var is 97% full");
        assert_eq!(alert.tool_source, "nagios");
        assert_eq!(alert.action(), AlertAction::Trigger);
        assert!(alert.occur_time.is_none());
        assert!(alert.dedup_key.is_empty());
    }

    #[test]
    fn parses_the_optional_fields() {
        let body = br#"{"asset_name": "db-02", "signature": "replication_lag",
            "severity": "Warning", "message": "lag 42s", "tool_source": "custom",
            "labels": {"env": "prod", "replica": 2, "ignored": null},
            "occurred_at": "2024-05-01T12:00:00.5+02:00", "action": "RESOLVE",
            "dedup_key": "db-02/lag", "external_id": "x-1",
            "link": "https://monitor.example.com/x-1", "delivery_id": "d-1",
            "unknown_field": {"nested": true}}"#;
        let alert = &parse(body).unwrap()[0];
        assert_eq!(alert.severity(), Severity::Medium);
        assert_eq!(alert.action(), AlertAction::Resolve);
        assert_eq!(alert.labels.len(), 2);
        assert_eq!(alert.labels["replica"], "2");
        let occur_time = alert.occur_time.unwrap();
        assert_eq!(
            (occur_time.seconds, occur_time.nanos),
            (1_714_557_600, 500_000_000)
        );
        assert_eq!(alert.dedup_key, "db-02/lag");
        assert_eq!(alert.external_id, "x-1");
        assert_eq!(alert.link, "https://monitor.example.com/x-1");
        assert_eq!(alert.delivery_id, "d-1");
    }

    #[test]
    fn maps_severity_synonyms() {
        for (name, severity) in [
            ("error", Severity::High),
            ("HIGH", Severity::High),
            ("low", Severity::Low),
            ("info", Severity::Info),
            ("medium", Severity::Medium),
        ] {
            let body = format!(r#"{{"asset_name":"a","signature":"s","severity":"{name}"}}"#);
            assert_eq!(parse(body.as_bytes()).unwrap()[0].severity(), severity);
        }
        let alert = &parse(br#"{"asset_name":"a","signature":"s"}"#).unwrap()[0];
        assert_eq!(alert.severity(), Severity::Medium);
        assert_eq!(alert.tool_source, DEFAULT_TOOL_SOURCE);
    }

    #[test]
    fn names_the_field_at_fault() {
        let field = |body: &str| parse(body.as_bytes()).unwrap_err();
        assert_eq!(
            field(r#"{"signature":"s"}"#),
            FormatError::missing("asset_name")
        );
        assert_eq!(
            field(r#"{"asset_name":" ","signature":"s"}"#),
            FormatError::missing("asset_name")
        );
        assert_eq!(
            field(r#"{"asset_name":"a"}"#),
            FormatError::missing("signature")
        );
        assert_eq!(
            field(r#"{"asset_name":"a","signature":"s","severity":"bad"}"#).field(),
            Some("severity")
        );
        assert_eq!(
            field(r#"{"asset_name":"a","signature":"s","action":"snooze"}"#).field(),
            Some("action")
        );
        assert_eq!(
            field(r#"{"asset_name":"a","signature":"s","occurred_at":"yesterday"}"#).field(),
            Some("occurred_at")
        );
        assert_eq!(
            field(r#"{"asset_name":"a","signature":"s","labels":[1]}"#).field(),
            Some("labels")
        );
        assert_eq!(
            field(r#"{"asset_name":{"x":1},"signature":"s"}"#).field(),
            Some("asset_name")
        );
        assert_eq!(
            field(r#"[{"asset_name":"a","signature":"s"},{"asset_name":"b"}]"#),
            FormatError::missing("[1].signature")
        );
        assert!(matches!(field("42"), FormatError::Unsupported(_)));
        assert!(matches!(field("[]"), FormatError::Unsupported(_)));
        assert!(matches!(
            field(r#"{"asset_name":"a","#),
            FormatError::MalformedJson { line: 1, .. }
        ));
    }

    #[test]
    fn takes_a_batch() {
        let body = br#"[{"asset_name":"a","signature":"s"},{"asset":"b","signature":"t"}]"#;
        let alerts = parse(body).unwrap();
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[1].asset, "b");
    }

    const KEYS: &[&str] = &[
        "asset_name",
        "asset",
        "signature",
        "severity",
        "message",
        "tool_source",
        "labels",
        "occurred_at",
        "action",
        "dedup_key",
        "external_id",
        "link",
        "delivery_id",
    ];

    proptest! {
        #[test]
        fn never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&body);
        }

        #[test]
        fn never_panics_on_jsonish_text(body in testing::jsonish_text()) {
            let _ = parse(body.as_bytes());
        }

        #[test]
        fn never_panics_on_json(value in testing::json_with_keys(KEYS)) {
            let _ = parse(value.to_string().as_bytes());
        }
    }
}
