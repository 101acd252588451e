//! Datadog webhooks (<https://docs.datadoghq.com/integrations/webhooks/>): the
//! default payload and our recommended custom payload.
//!
//! The default payload only has the event title and text, so the transition,
//! priority and scope are read from the title Datadog writes for monitor
//! events (`[P1] [Triggered on {host:web-01}] CPU is high`). The recommended
//! custom payload (see `docs/integrations/datadog.md`) carries them as fields:
//!
//! ```json
//! {
//!   "alert_id": "$ALERT_ID",
//!   "alert_cycle_key": "$ALERT_CYCLE_KEY",
//!   "alert_transition": "$ALERT_TRANSITION",
//!   "alert_type": "$ALERT_TYPE",
//!   "alert_priority": "$ALERT_PRIORITY",
//!   "alert_title": "$ALERT_TITLE",
//!   "alert_scope": "$ALERT_SCOPE",
//!   "hostname": "$HOSTNAME",
//!   "tags": "$TAGS",
//!   "event_id": "$ID",
//!   "event_title": "$EVENT_TITLE",
//!   "event_msg": "$EVENT_MSG",
//!   "event_type": "$EVENT_TYPE",
//!   "link": "$LINK",
//!   "date": "$DATE",
//!   "org": {"id": "$ORG_ID", "name": "$ORG_NAME"}
//! }
//! ```
//!
//! `Recovered` (or alert type `success`) resolves; every other transition
//! (Triggered, Re-Triggered, Warn, Re-Warn, No Data, Re-No Data, Renotify)
//! triggers. The dedup key is `datadog:<alert_cycle_key>`, else
//! `datadog:<alert_id>:<host or scope>`, else (default payload)
//! `datadog:<title>:<scope>`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{FormatError, Object, fit_alert, non_blank, parse_json, severity_from_name, timestamp};
use crate::proto::v1::{AlertAction, AlertInput, Severity};

/// `tool_source` of the alerts.
const TOOL_SOURCE: &str = "datadog";

/// Transitions that resolve the alert (compared case-insensitively).
const RESOLVING_TRANSITIONS: &[&str] = &["recovered", "recovery", "resolved"];

/// The first words of the bracketed transition Datadog puts in event titles.
const TITLE_TRANSITIONS: &[&str] = &[
    "triggered",
    "re-triggered",
    "recovered",
    "warn",
    "re-warn",
    "no data",
    "re-no data",
    "renotify",
];

/// Parses a Datadog webhook (default or recommended custom payload) into one
/// alert.
pub fn parse(body: &[u8]) -> Result<Vec<AlertInput>, FormatError> {
    let value = parse_json(body)?;
    let root = Object::root(&value, "a Datadog webhook payload")?;

    let event_title = root.first_text(&["event_title", "title"])?;
    let parsed_title = event_title.as_deref().map(TitleParts::parse);
    let from_title = |part: fn(&TitleParts) -> Option<String>| parsed_title.as_ref().and_then(part);

    let transition = root
        .first_text(&["alert_transition", "transition"])?
        .or_else(|| from_title(|title| title.transition.clone()));
    let alert_type = root.text("alert_type")?;
    let priority = root
        .first_text(&["alert_priority", "priority"])?
        .filter(|p| priority_severity(p).is_some())
        .or_else(|| from_title(|title| title.priority.clone()));
    let scope = root
        .first_text(&["alert_scope", "scope"])?
        .or_else(|| from_title(|title| title.scope.clone()))
        .filter(|scope| scope != "*");
    let signature = root
        .first_text(&["alert_title"])?
        .or_else(|| from_title(|title| non_blank(&title.rest)))
        .or_else(|| event_title.clone())
        .ok_or_else(|| FormatError::missing("alert_title"))?;

    let tags = tags(&root)?;
    let scope_tags = scope.as_deref().map(parse_tags).unwrap_or_default();
    let hostname = root
        .first_text(&["hostname", "host"])?
        .or_else(|| scope_tags.get("host").cloned())
        .or_else(|| tags.get("host").cloned());
    let asset = hostname
        .clone()
        .or_else(|| scope.clone())
        .unwrap_or_default();

    let resolves = match &transition {
        Some(transition) => RESOLVING_TRANSITIONS
            .iter()
            .any(|word| transition.eq_ignore_ascii_case(word)),
        None => alert_type
            .as_deref()
            .is_some_and(|kind| kind.eq_ignore_ascii_case("success")),
    };
    let severity = priority
        .as_deref()
        .and_then(priority_severity)
        .or_else(|| alert_type.as_deref().and_then(alert_type_severity))
        .unwrap_or_else(|| transition_severity(transition.as_deref()));

    let alert_id = root.text("alert_id")?;
    let dedup_key = match (root.text("alert_cycle_key")?, &alert_id) {
        (Some(cycle), _) => format!("datadog:{cycle}"),
        (None, Some(alert_id)) => format!(
            "datadog:{alert_id}:{}",
            hostname.as_deref().or(scope.as_deref()).unwrap_or_default()
        ),
        (None, None) => format!(
            "datadog:{signature}:{}",
            scope.as_deref().unwrap_or_default()
        ),
    };
    let occur_time = root
        .first_text(&["date", "last_updated"])?
        .and_then(|date| timestamp::from_unix_auto(&date));
    let message = root
        .first_text(&["event_msg", "body", "text_only_msg", "message"])?
        .map(|text| strip_markdown_fence(&text))
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| signature.clone());
    let delivery_id = root
        .first_text(&["event_id", "id"])?
        .map(|id| format!("datadog:{id}"))
        .unwrap_or_default();

    Ok(vec![fit_alert(AlertInput {
        asset,
        signature,
        severity: severity.into(),
        message,
        tool_source: TOOL_SOURCE.to_owned(),
        labels: tags.into_iter().collect(),
        occur_time,
        action: if resolves {
            AlertAction::Resolve
        } else {
            AlertAction::Trigger
        }
        .into(),
        dedup_key,
        external_id: alert_id.unwrap_or_default(),
        link: root.text("link")?.unwrap_or_default(),
        delivery_id,
    })])
}

/// `$TAGS`: a comma-separated string (`env:prod,role:db`) or an array of tags.
fn tags(root: &Object<'_>) -> Result<BTreeMap<String, String>, FormatError> {
    match root.value("tags") {
        None => Ok(BTreeMap::new()),
        Some(Value::Array(items)) => Ok(parse_tags(
            &items
                .iter()
                .filter_map(super::scalar_text)
                .collect::<Vec<_>>()
                .join(","),
        )),
        Some(_) => Ok(root
            .text("tags")?
            .as_deref()
            .map(parse_tags)
            .unwrap_or_default()),
    }
}

/// Datadog tags to labels: `key:value` → `key = value` (the value may hold
/// more colons), a bare `tag` → `tag = ""`, repeated keys joined with commas.
fn parse_tags(text: &str) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    let text = text.trim().trim_start_matches('{').trim_end_matches('}');
    for tag in text.split(',').map(str::trim).filter(|tag| !tag.is_empty()) {
        let (key, value) = tag.split_once(':').unwrap_or((tag, ""));
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            continue;
        }
        labels
            .entry(key.to_owned())
            .and_modify(|existing| {
                if !value.is_empty() && !existing.split(',').any(|v| v == value) {
                    if !existing.is_empty() {
                        existing.push(',');
                    }
                    existing.push_str(value);
                }
            })
            .or_insert_with(|| value.to_owned());
    }
    labels
}

/// `$ALERT_PRIORITY`: `P1`…`P5` (or the bare digit).
fn priority_severity(priority: &str) -> Option<Severity> {
    let digit = priority.trim().trim_start_matches(['P', 'p']);
    let severity = match digit {
        "1" => Severity::Critical,
        "2" => Severity::High,
        "3" => Severity::Medium,
        "4" => Severity::Low,
        "5" => Severity::Info,
        _ => return None,
    };
    Some(severity)
}

/// `$ALERT_TYPE`: error, warning, info, success.
fn alert_type_severity(alert_type: &str) -> Option<Severity> {
    if alert_type.eq_ignore_ascii_case("success") {
        Some(Severity::Info)
    } else {
        severity_from_name(alert_type)
    }
}

fn transition_severity(transition: Option<&str>) -> Severity {
    let transition = transition.unwrap_or_default().to_ascii_lowercase();
    if transition.contains("warn") {
        Severity::Medium
    } else if transition.contains("no data") {
        Severity::Low
    } else if RESOLVING_TRANSITIONS.contains(&transition.as_str()) {
        Severity::Info
    } else {
        Severity::High
    }
}

/// Removes the `%%%` lines that wrap Markdown in Datadog's `$EVENT_MSG`.
fn strip_markdown_fence(text: &str) -> String {
    let text = text.trim();
    let text = text.strip_prefix("%%%").unwrap_or(text);
    let text = text.strip_suffix("%%%").unwrap_or(text);
    text.trim().to_owned()
}

/// What a monitor event title says in its bracketed prefixes:
/// `[P2] [Re-Triggered on {host:web-01,device:sda}] Disk is full`.
#[derive(Debug, Default, PartialEq)]
struct TitleParts {
    priority: Option<String>,
    transition: Option<String>,
    scope: Option<String>,
    rest: String,
}

impl TitleParts {
    fn parse(title: &str) -> Self {
        let mut parts = TitleParts::default();
        let mut rest = title.trim();
        while let Some(inner) = rest.strip_prefix('[') {
            let Some((token, after)) = inner.split_once(']') else {
                break;
            };
            let token = token.trim();
            if priority_severity(token).is_some() && token.len() <= 2 {
                parts.priority = Some(token.to_owned());
            } else if let Some(transition) = title_transition(token) {
                let scope = token.get(transition.len()..).unwrap_or_default().trim();
                parts.transition = Some(transition.to_owned());
                if let Some(scope) = scope.strip_prefix("on ") {
                    parts.scope = non_blank(scope.trim().trim_matches(['{', '}']));
                }
            } else {
                break;
            }
            rest = after.trim_start();
        }
        parts.rest = rest.to_owned();
        parts
    }
}

/// The transition that `token` starts with, as written in the token.
fn title_transition(token: &str) -> Option<&str> {
    let lower = token.to_ascii_lowercase();
    TITLE_TRANSITIONS
        .iter()
        .filter(|word| {
            lower.starts_with(**word)
                && matches!(lower.as_bytes().get(word.len()), None | Some(b' '))
        })
        .map(|word| word.len())
        .max()
        .and_then(|len| token.get(..len))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::testing;
    use super::*;
    use proptest::prelude::*;

    // Datadog's default webhook payload, as sent for a multi-alert monitor.
    const DEFAULT_TRIGGERED: &str = r#"{
        "body": "%%%\nCPU usage is above 90% on web-01\n\n@webhook-alert-whisperer\n\nThe monitor was last triggered at Wed May 01 2024 12:00:00 UTC.\n%%%",
        "last_updated": "1714564800000",
        "event_type": "query_alert_monitor",
        "title": "[P2] [Triggered on {host:web-01}] CPU usage is high",
        "date": "1714564800000",
        "org": {"id": "11287", "name": "Example MSP"},
        "id": "7439213488416745271"
    }"#;

    const DEFAULT_RECOVERED: &str = r#"{
        "body": "%%%\nCPU usage is back to normal\n%%%",
        "last_updated": "1714565400000",
        "event_type": "query_alert_monitor",
        "title": "[P2] [Recovered on {host:web-01}] CPU usage is high",
        "date": "1714565400000",
        "org": {"id": "11287", "name": "Example MSP"},
        "id": "7439213488416745999"
    }"#;

    // The recommended custom payload, as Datadog fills it in.
    const CUSTOM: &str = r#"{
        "alert_id": "146370871",
        "alert_cycle_key": "7439213488416745123",
        "alert_transition": "Triggered",
        "alert_type": "error",
        "alert_priority": "P1",
        "alert_title": "Disk space is low",
        "alert_scope": "host:db-02,device:/dev/sda1",
        "hostname": "db-02",
        "tags": "env:prod,role:db,device:/dev/sda1,monitor",
        "event_id": "7439213488416746000",
        "event_title": "[P1] [Triggered on {host:db-02,device:/dev/sda1}] Disk space is low",
        "event_msg": "%%%\nDisk /dev/sda1 on db-02 is 95% full\n%%%",
        "event_type": "query_alert_monitor",
        "link": "https://app.datadoghq.com/event/event?id=7439213488416746000",
        "date": "1714564800000",
        "org": {"id": "11287", "name": "Example MSP"}
    }"#;

    #[test]
    fn parses_the_default_payload_from_the_title() {
        let triggered = &parse(DEFAULT_TRIGGERED.as_bytes()).unwrap()[0];
        assert_eq!(triggered.asset, "web-01");
        assert_eq!(triggered.signature, "CPU usage is high");
        assert_eq!(triggered.severity(), Severity::High);
        assert_eq!(triggered.action(), AlertAction::Trigger);
        assert!(
            triggered
                .message
                .starts_with("CPU usage is above 90% on web-01")
        );
        assert_eq!(triggered.tool_source, "datadog");
        assert_eq!(triggered.occur_time.unwrap().seconds, 1_714_564_800);
        assert_eq!(triggered.delivery_id, "datadog:7439213488416745271");

        let recovered = &parse(DEFAULT_RECOVERED.as_bytes()).unwrap()[0];
        assert_eq!(recovered.action(), AlertAction::Resolve);
        assert_eq!(recovered.dedup_key, triggered.dedup_key);
        assert_eq!(recovered.dedup_key, "datadog:CPU usage is high:host:web-01");
    }

    #[test]
    fn parses_the_recommended_custom_payload() {
        let alert = &parse(CUSTOM.as_bytes()).unwrap()[0];
        assert_eq!(alert.asset, "db-02");
        assert_eq!(alert.signature, "Disk space is low");
        assert_eq!(alert.severity(), Severity::Critical);
        assert_eq!(alert.action(), AlertAction::Trigger);
        assert_eq!(alert.message, "Disk /dev/sda1 on db-02 is 95% full");
        assert_eq!(alert.dedup_key, "datadog:7439213488416745123");
        assert_eq!(alert.external_id, "146370871");
        assert_eq!(alert.labels["env"], "prod");
        assert_eq!(alert.labels["device"], "/dev/sda1");
        assert_eq!(alert.labels["monitor"], "");
        assert_eq!(
            alert.link,
            "https://app.datadoghq.com/event/event?id=7439213488416746000"
        );

        let recovered = CUSTOM
            .replace("\"Triggered\"", "\"Recovered\"")
            .replace("\"error\"", "\"success\"");
        let alert = &parse(recovered.as_bytes()).unwrap()[0];
        assert_eq!(alert.action(), AlertAction::Resolve);
        assert_eq!(alert.dedup_key, "datadog:7439213488416745123");
    }

    #[test]
    fn falls_back_without_cycle_key_and_priority() {
        let body = br#"{"alert_id":"42","alert_transition":"Warn","alert_type":"warning",
            "alert_title":"Latency high","alert_scope":"service:checkout","hostname":"",
            "tags":"service:checkout,env:prod,env:staging","date":"1714564800"}"#;
        let alert = &parse(body).unwrap()[0];
        assert_eq!(alert.asset, "service:checkout");
        assert_eq!(alert.severity(), Severity::Medium);
        assert_eq!(alert.action(), AlertAction::Trigger);
        assert_eq!(alert.dedup_key, "datadog:42:service:checkout");
        assert_eq!(alert.labels["env"], "prod,staging");
        assert_eq!(alert.occur_time.unwrap().seconds, 1_714_564_800);
        assert!(alert.delivery_id.is_empty());

        let body = br#"{"alert_id":"42","alert_transition":"No Data","alert_title":"Heartbeat",
            "alert_priority":"","hostname":"web-03","tags":["role:web"],"date":"$DATE"}"#;
        let alert = &parse(body).unwrap()[0];
        assert_eq!(alert.severity(), Severity::Low);
        assert_eq!(alert.dedup_key, "datadog:42:web-03");
        assert_eq!(alert.labels["role"], "web");
        assert!(alert.occur_time.is_none());
    }

    #[test]
    fn reads_monitor_titles() {
        assert_eq!(
            TitleParts::parse("[P1] [Re-Triggered on {host:a,device:sda}] Disk full"),
            TitleParts {
                priority: Some("P1".to_owned()),
                transition: Some("Re-Triggered".to_owned()),
                scope: Some("host:a,device:sda".to_owned()),
                rest: "Disk full".to_owned(),
            }
        );
        assert_eq!(
            TitleParts::parse("[No Data] Heartbeat")
                .transition
                .as_deref(),
            Some("No Data")
        );
        assert_eq!(
            TitleParts::parse("[Re-No Data on {host:x}] Heartbeat")
                .transition
                .as_deref(),
            Some("Re-No Data")
        );
        assert_eq!(
            TitleParts::parse("[prod] deploy finished"),
            TitleParts {
                rest: "[prod] deploy finished".to_owned(),
                ..TitleParts::default()
            }
        );
        assert_eq!(TitleParts::parse("[Triggered").rest, "[Triggered");
    }

    #[test]
    fn names_the_field_at_fault() {
        assert_eq!(
            parse(br#"{"body":"x"}"#).unwrap_err(),
            FormatError::missing("alert_title")
        );
        assert_eq!(
            parse(br#"{"alert_title":["x"]}"#).unwrap_err().field(),
            Some("alert_title")
        );
        assert!(matches!(
            parse(b"[1]").unwrap_err(),
            FormatError::Unsupported(_)
        ));
    }

    const KEYS: &[&str] = &[
        "alert_id",
        "alert_cycle_key",
        "alert_transition",
        "transition",
        "alert_type",
        "alert_priority",
        "alert_title",
        "alert_scope",
        "hostname",
        "tags",
        "event_id",
        "event_title",
        "event_msg",
        "body",
        "title",
        "date",
        "last_updated",
        "id",
        "link",
        "org",
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

        #[test]
        fn never_panics_on_titles(title in "(\\[[ -~]{0,12}\\] ?){0,3}[ -~\u{e9}]{0,20}") {
            let _ = TitleParts::parse(&title);
        }
    }
}
