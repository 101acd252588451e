//! The JSON that our Zabbix webhook media type
//! (`integrations/zabbix/alert_whisperer_media_type.yaml`) posts to
//! `/api/webhooks/zabbix`. Each field carries one Zabbix macro:
//!
//! ```json
//! {
//!   "event_source": "0",
//!   "event_id": "{EVENT.ID}",
//!   "event_value": "{EVENT.VALUE}",
//!   "event_nseverity": "{EVENT.NSEVERITY}",
//!   "event_severity": "{EVENT.SEVERITY}",
//!   "event_name": "{EVENT.NAME}",
//!   "event_opdata": "{EVENT.OPDATA}",
//!   "event_timestamp": "{EVENT.TIMESTAMP}",
//!   "event_recovery_timestamp": "{EVENT.RECOVERY.TIMESTAMP}",
//!   "event_update_status": "{EVENT.UPDATE.STATUS}",
//!   "event_update_action": "{EVENT.UPDATE.ACTION}",
//!   "event_update_timestamp": "{EVENT.UPDATE.TIMESTAMP}",
//!   "event_update_message": "{EVENT.UPDATE.MESSAGE}",
//!   "event_update_user": "{USER.FULLNAME}",
//!   "event_ack_status": "{EVENT.ACK.STATUS}",
//!   "event_tags": [{"tag": "scope", "value": "performance"}],
//!   "host_name": "{HOST.NAME}",
//!   "host_host": "{HOST.HOST}",
//!   "host_ip": "{HOST.IP}",
//!   "trigger_id": "{TRIGGER.ID}",
//!   "alert_subject": "{ALERT.SUBJECT}",
//!   "alert_message": "{ALERT.MESSAGE}",
//!   "zabbix_url": "{$ZABBIX.URL}"
//! }
//! ```
//!
//! `event_tags` is `{EVENT.TAGSJSON}`, as an array or as its JSON text. A
//! macro that Zabbix left unexpanded (`"{EVENT.RECOVERY.TIMESTAMP}"` in a
//! problem message) counts as absent. `{EVENT.ID}` is the problem's id also in
//! recovery and update messages, so it is the dedup key (`zabbix:<id>`):
//! `{EVENT.VALUE}` 1 triggers, 0 resolves, and an update
//! (`{EVENT.UPDATE.STATUS}` 1) that acknowledges the problem acknowledges it.

use std::collections::BTreeMap;

use prost_types::Timestamp;
use serde_json::Value;

use super::{FormatError, Object, fit_alert, parse_json, timestamp};
use crate::domain::ingest::{ACK_AUTHOR_LABEL, ACK_COMMENT_LABEL};
use crate::proto::v1::{AlertAction, AlertInput, Severity};

/// `tool_source` of the alerts.
const TOOL_SOURCE: &str = "zabbix";

/// Parses a notification of our Zabbix media type into one alert.
pub fn parse(body: &[u8]) -> Result<Vec<AlertInput>, FormatError> {
    let value = parse_json(body)?;
    let root = Object::root(&value, "a Zabbix media type notification")?;
    let field = |name: &str| macro_text(&root, name);
    let required = |name: &str| field(name)?.ok_or_else(|| FormatError::missing(name));

    if let Some(source) = field("event_source")?
        && source != "0"
        && source != "3"
    {
        return Err(FormatError::Unsupported(format!(
            "Zabbix event source {source}: only trigger (0) and internal (3) events are alerts"
        )));
    }
    let event_id = required("event_id")?;
    let asset = match field("host_name")? {
        Some(host) => host,
        None => required("host_host").map_err(|_| FormatError::missing("host_name"))?,
    };
    let event_name = required("event_name")?;
    let severity = match required("event_nseverity")?.as_str() {
        "0" | "1" => Severity::Info,
        "2" => Severity::Low,
        "3" => Severity::Medium,
        "4" => Severity::High,
        "5" => Severity::Critical,
        other => {
            return Err(FormatError::invalid(
                "event_nseverity",
                format!("{other:?} is not a Zabbix severity 0–5"),
            ));
        }
    };
    let updating = field("event_update_status")?.as_deref() == Some("1");
    let (action, time_field) = match required("event_value")?.as_str() {
        "0" => (AlertAction::Resolve, "event_recovery_timestamp"),
        "1" if updating => {
            if !acknowledges(
                field("event_update_action")?.as_deref(),
                field("event_ack_status")?.as_deref(),
            ) {
                return Err(FormatError::Unsupported(
                    "a Zabbix problem update that does not acknowledge the problem \
                     (a comment, a severity change, an unacknowledge) has no alert action"
                        .to_owned(),
                ));
            }
            (AlertAction::Acknowledge, "event_update_timestamp")
        }
        "1" => (AlertAction::Trigger, "event_timestamp"),
        other => {
            return Err(FormatError::invalid(
                "event_value",
                format!("{other:?} is neither 1 (problem) nor 0 (recovery)"),
            ));
        }
    };
    let occur_time = epoch_field(&root, time_field)?;

    let trigger_id = field("trigger_id")?;
    let mut labels = tags(&root)?;
    for (name, value) in [
        ("trigger_id", trigger_id.clone()),
        ("host_ip", field("host_ip")?),
        ("host_host", field("host_host")?),
    ] {
        if let Some(value) = value {
            labels.entry(name.to_owned()).or_insert(value);
        }
    }

    let message = match (field("alert_message")?, field("event_opdata")?) {
        (Some(message), _) => message,
        (None, Some(opdata)) => format!("{event_name} ({opdata})"),
        (None, None) => event_name.clone(),
    };
    let update_message = field("event_update_message")?;
    let message = match &update_message {
        Some(comment) if action == AlertAction::Acknowledge && !message.contains(comment) => {
            format!("{message}\n\n{comment}")
        }
        _ => message,
    };
    // Who acknowledged and why reach the incident's timeline.
    if action == AlertAction::Acknowledge {
        for (name, value) in [
            (ACK_AUTHOR_LABEL, field("event_update_user")?),
            (ACK_COMMENT_LABEL, update_message),
        ] {
            if let Some(value) = value {
                labels.insert(name.to_owned(), value);
            }
        }
    }
    let link = match (field("zabbix_url")?, &trigger_id) {
        (Some(base), Some(trigger_id)) => format!(
            "{}/tr_events.php?triggerid={}&eventid={}",
            base.trim_end_matches('/'),
            super::percent_encode(trigger_id),
            super::percent_encode(&event_id)
        ),
        (Some(base), None) => base,
        (None, _) => String::new(),
    };

    Ok(vec![fit_alert(AlertInput {
        asset,
        signature: event_name,
        severity: severity.into(),
        message,
        tool_source: TOOL_SOURCE.to_owned(),
        labels: labels.into_iter().collect(),
        occur_time,
        action: action.into(),
        dedup_key: format!("zabbix:{event_id}"),
        external_id: event_id,
        link,
        delivery_id: String::new(),
    })])
}

/// A field's text, `None` when blank or an unexpanded macro like `{EVENT.ID}`.
fn macro_text(root: &Object<'_>, name: &str) -> Result<Option<String>, FormatError> {
    Ok(root.text(name)?.filter(|text| !is_unexpanded_macro(text)))
}

fn is_unexpanded_macro(text: &str) -> bool {
    text.len() > 2
        && text.starts_with('{')
        && text.ends_with('}')
        && text[1..text.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"._$#".contains(&b))
}

/// Whether a problem update acknowledges: `{EVENT.UPDATE.ACTION}` names
/// "acknowledged" (not "unacknowledged"), or, without it, `{EVENT.ACK.STATUS}`
/// is "Yes".
fn acknowledges(update_action: Option<&str>, ack_status: Option<&str>) -> bool {
    match update_action {
        Some(action) => {
            let action = action.to_ascii_lowercase();
            action.match_indices("acknowledged").any(|(index, _)| {
                !action
                    .get(..index)
                    .is_some_and(|before| before.ends_with("un"))
            })
        }
        None => ack_status.is_some_and(|status| status.eq_ignore_ascii_case("yes")),
    }
}

fn epoch_field(root: &Object<'_>, name: &str) -> Result<Option<Timestamp>, FormatError> {
    match macro_text(root, name)? {
        None => Ok(None),
        Some(text) => timestamp::from_unix_seconds(text.parse().map_err(|_| {
            FormatError::invalid(name, format!("{text:?} is not a Unix timestamp"))
        })?)
        .map(Some)
        .ok_or_else(|| FormatError::invalid(name, "out of range")),
    }
}

/// `{EVENT.TAGSJSON}`: `[{"tag": "scope", "value": "availability"}, …]`, as an
/// array or as JSON text. Repeated tags are joined with commas.
fn tags(root: &Object<'_>) -> Result<BTreeMap<String, String>, FormatError> {
    let parsed;
    let items = match root.value("event_tags") {
        None => return Ok(BTreeMap::new()),
        Some(Value::Array(items)) => items,
        Some(Value::String(text)) if text.trim().is_empty() || is_unexpanded_macro(text) => {
            return Ok(BTreeMap::new());
        }
        Some(Value::String(text)) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|error| {
                FormatError::invalid("event_tags", format!("not JSON: {error}"))
            })?;
            match &parsed {
                Value::Array(items) => items,
                _ => {
                    return Err(FormatError::invalid(
                        "event_tags",
                        "expected an array of {\"tag\", \"value\"} objects",
                    ));
                }
            }
        }
        Some(_) => {
            return Err(FormatError::invalid(
                "event_tags",
                "expected an array of {\"tag\", \"value\"} objects",
            ));
        }
    };
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for item in items {
        let Some(tag) = item
            .get("tag")
            .and_then(super::scalar_text)
            .and_then(|t| super::non_blank(&t))
        else {
            continue;
        };
        let value = item
            .get("value")
            .and_then(super::scalar_text)
            .unwrap_or_default();
        labels
            .entry(tag)
            .and_modify(|existing| {
                if !existing.split(',').any(|v| v == value) {
                    existing.push(',');
                    existing.push_str(&value);
                }
            })
            .or_insert(value);
    }
    Ok(labels)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::testing;
    use super::*;
    use proptest::prelude::*;

    // What the media type posts for a problem of the "Linux by Zabbix agent"
    // template, macros expanded by Zabbix 7.0.
    const PROBLEM: &str = r#"{
        "event_source": "0",
        "event_id": "4172",
        "event_value": "1",
        "event_nseverity": "4",
        "event_severity": "High",
        "event_name": "Linux: High CPU utilization (over 90% for 5m)",
        "event_opdata": "Current utilization: 97.3 %",
        "event_timestamp": "1714564800",
        "event_recovery_timestamp": "{EVENT.RECOVERY.TIMESTAMP}",
        "event_update_status": "0",
        "event_update_action": "",
        "event_update_timestamp": "{EVENT.UPDATE.TIMESTAMP}",
        "event_update_message": "",
        "event_ack_status": "No",
        "event_tags": [
            {"tag": "class", "value": "os"},
            {"tag": "component", "value": "cpu"},
            {"tag": "scope", "value": "performance"},
            {"tag": "component", "value": "system"}
        ],
        "host_name": "Web server 01",
        "host_host": "web-01",
        "host_ip": "10.0.0.11",
        "trigger_id": "23561",
        "alert_subject": "Problem: Linux: High CPU utilization (over 90% for 5m)",
        "alert_message": "Problem started at 12:00:00 on 2024.05.01\nProblem name: Linux: High CPU utilization (over 90% for 5m)\nHost: Web server 01\nSeverity: High",
        "zabbix_url": "https://zabbix.example.com/"
    }"#;

    #[test]
    fn parses_a_problem() {
        let alert = &parse(PROBLEM.as_bytes()).unwrap()[0];
        assert_eq!(alert.asset, "Web server 01");
        assert_eq!(
            alert.signature,
            "Linux: High CPU utilization (over 90% for 5m)"
        );
        assert_eq!(alert.severity(), Severity::High);
        assert_eq!(alert.action(), AlertAction::Trigger);
        assert!(alert.message.starts_with("Problem started at 12:00:00"));
        assert_eq!(alert.tool_source, "zabbix");
        assert_eq!(alert.dedup_key, "zabbix:4172");
        assert_eq!(alert.external_id, "4172");
        assert_eq!(alert.occur_time.unwrap().seconds, 1_714_564_800);
        assert_eq!(alert.labels["component"], "cpu,system");
        assert_eq!(alert.labels["scope"], "performance");
        assert_eq!(alert.labels["trigger_id"], "23561");
        assert_eq!(alert.labels["host_host"], "web-01");
        assert_eq!(
            alert.link,
            "https://zabbix.example.com/tr_events.php?triggerid=23561&eventid=4172"
        );
    }

    #[test]
    fn recovery_resolves_the_problem() {
        let recovery = PROBLEM
            .replace(r#""event_value": "1""#, r#""event_value": "0""#)
            .replace("{EVENT.RECOVERY.TIMESTAMP}", "1714565400");
        let alert = &parse(recovery.as_bytes()).unwrap()[0];
        assert_eq!(alert.action(), AlertAction::Resolve);
        assert_eq!(alert.dedup_key, "zabbix:4172");
        assert_eq!(alert.occur_time.unwrap().seconds, 1_714_565_400);
    }

    #[test]
    fn an_acknowledging_update_acknowledges() {
        let update = PROBLEM
            .replace(
                r#""event_update_status": "0""#,
                r#""event_update_status": "1""#,
            )
            .replace(
                r#""event_update_action": """#,
                r#""event_update_action": "acknowledged and commented""#,
            )
            .replace(
                r#""event_update_message": """#,
                r#""event_update_message": "Looking into it""#,
            )
            .replace("{EVENT.UPDATE.TIMESTAMP}", "1714565000");
        let alert = &parse(update.as_bytes()).unwrap()[0];
        assert_eq!(alert.action(), AlertAction::Acknowledge);
        assert_eq!(alert.dedup_key, "zabbix:4172");
        assert!(alert.message.ends_with("\n\nLooking into it"));
        assert_eq!(alert.labels[ACK_COMMENT_LABEL], "Looking into it");
        assert!(!alert.labels.contains_key(ACK_AUTHOR_LABEL));
        let named = update.replace(
            r#""event_update_message": "Looking into it""#,
            r#""event_update_message": "Looking into it", "event_update_user": "Alice Admin""#,
        );
        let alert = &parse(named.as_bytes()).unwrap()[0];
        assert_eq!(alert.labels[ACK_AUTHOR_LABEL], "Alice Admin");
        assert_eq!(alert.occur_time.unwrap().seconds, 1_714_565_000);

        let comment = update.replace("acknowledged and commented", "commented");
        assert!(matches!(
            parse(comment.as_bytes()),
            Err(FormatError::Unsupported(_))
        ));
        let unack = update.replace("acknowledged and commented", "unacknowledged");
        assert!(matches!(
            parse(unack.as_bytes()),
            Err(FormatError::Unsupported(_))
        ));
    }

    #[test]
    fn maps_every_severity() {
        for (nseverity, severity) in [
            ("0", Severity::Info),
            ("1", Severity::Info),
            ("2", Severity::Low),
            ("3", Severity::Medium),
            ("4", Severity::High),
            ("5", Severity::Critical),
        ] {
            let body = PROBLEM.replace(
                r#""event_nseverity": "4""#,
                &format!(r#""event_nseverity": {nseverity}"#),
            );
            assert_eq!(parse(body.as_bytes()).unwrap()[0].severity(), severity);
        }
    }

    #[test]
    fn reads_tags_as_json_text_and_minimal_payloads() {
        let body = br#"{"event_id":7,"event_value":1,"event_nseverity":5,
            "event_name":"Host is unreachable","host_name":"{HOST.NAME}","host_host":"sw-01",
            "event_tags":"[{\"tag\":\"site\",\"value\":\"ams\"}]","event_opdata":"ping loss 100%"}"#;
        let alert = &parse(body).unwrap()[0];
        assert_eq!(alert.asset, "sw-01");
        assert_eq!(alert.labels["site"], "ams");
        assert_eq!(alert.message, "Host is unreachable (ping loss 100%)");
        assert!(alert.link.is_empty());
        assert!(alert.occur_time.is_none());
    }

    #[test]
    fn names_the_field_at_fault() {
        let without = |name: &str| {
            let mut value: Value = serde_json::from_str(PROBLEM).unwrap();
            value.as_object_mut().unwrap().remove(name);
            if name == "host_name" {
                value.as_object_mut().unwrap().remove("host_host");
            }
            parse(value.to_string().as_bytes()).unwrap_err()
        };
        for name in [
            "event_id",
            "event_value",
            "event_nseverity",
            "event_name",
            "host_name",
        ] {
            assert_eq!(without(name), FormatError::missing(name));
        }
        let error = |from: &str, to: &str| parse(PROBLEM.replace(from, to).as_bytes()).unwrap_err();
        assert_eq!(
            error(r#""event_nseverity": "4""#, r#""event_nseverity": "9""#).field(),
            Some("event_nseverity")
        );
        assert_eq!(
            error(r#""event_value": "1""#, r#""event_value": "2""#).field(),
            Some("event_value")
        );
        assert_eq!(
            error(
                r#""event_timestamp": "1714564800""#,
                r#""event_timestamp": "noon""#
            )
            .field(),
            Some("event_timestamp")
        );
        assert_eq!(
            error(
                r#""event_tags": ["#,
                r#""event_tags": {"x":1}, "ignored": ["#
            )
            .field(),
            Some("event_tags")
        );
        assert!(matches!(
            error(r#""event_source": "0""#, r#""event_source": "1""#),
            FormatError::Unsupported(_)
        ));
    }

    #[test]
    fn recognises_unexpanded_macros() {
        assert!(is_unexpanded_macro("{EVENT.RECOVERY.ID}"));
        assert!(is_unexpanded_macro("{$ZABBIX.URL}"));
        assert!(!is_unexpanded_macro("{}"));
        assert!(!is_unexpanded_macro("{json: true}"));
        assert!(!is_unexpanded_macro("{é}"));
    }

    const KEYS: &[&str] = &[
        "event_source",
        "event_id",
        "event_value",
        "event_nseverity",
        "event_name",
        "event_opdata",
        "event_timestamp",
        "event_recovery_timestamp",
        "event_update_status",
        "event_update_action",
        "event_update_timestamp",
        "event_update_message",
        "event_update_user",
        "event_ack_status",
        "event_tags",
        "tag",
        "value",
        "host_name",
        "host_host",
        "host_ip",
        "trigger_id",
        "alert_message",
        "zabbix_url",
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
