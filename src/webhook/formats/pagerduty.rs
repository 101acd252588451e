//! PagerDuty Events API v2 (`POST /v2/enqueue`,
//! <https://developer.pagerduty.com/docs/send-alert-event>), so that any tool
//! that can page PagerDuty can page us: the company's API key is the
//! `routing_key`.
//!
//! | event | alert |
//! | --- | --- |
//! | `event_action` trigger / acknowledge / resolve | action |
//! | `dedup_key` (required for acknowledge and resolve) | dedup_key (empty for a trigger without one: derived by ingest) |
//! | `payload.source` | asset |
//! | `payload.class`, else `component`, else `summary` | signature |
//! | `payload.severity` critical / error / warning / info | severity critical / high / medium / info |
//! | `payload.summary` | message |
//! | `payload.timestamp` | occur_time |
//! | `component`, `group`, `class`, `client`, `custom_details.*` | labels |
//! | first `links[].href`, else `client_url` | link |
//!
//! Validation follows PagerDuty's: `routing_key` and `event_action` always,
//! and for a trigger `payload` with `summary` (at most 1,024 characters),
//! `source` and `severity`.

use serde_json::{Value, json};

use super::{FormatError, Object, fit_alert, parse_json, timestamp};
use crate::proto::v1::{AlertAction, AlertInput, Severity};

/// `tool_source` of the alerts (the sending tool is in the `client` label).
const TOOL_SOURCE: &str = "pagerduty";

/// PagerDuty's limit on `payload.summary`.
const MAX_SUMMARY_CHARS: usize = 1024;

/// PagerDuty's limit on `dedup_key`.
const MAX_DEDUP_KEY_CHARS: usize = 255;

/// One Events API v2 event: the alert, and the routing key that the caller
/// authenticates (it is the company's ingest API key).
#[derive(Debug, Clone, PartialEq)]
pub struct EnqueueEvent {
    /// `routing_key` of the event, as sent. Never log it.
    pub routing_key: String,
    /// The event as an alert.
    pub alert: AlertInput,
}

/// Parses an Events API v2 event.
pub fn parse(body: &[u8]) -> Result<EnqueueEvent, FormatError> {
    let value = parse_json(body)?;
    let root = Object::root(&value, "a PagerDuty event")?;
    let routing_key = root.required_text("routing_key")?;
    let action = match root.required_text("event_action")?.as_str() {
        "trigger" => AlertAction::Trigger,
        "acknowledge" => AlertAction::Acknowledge,
        "resolve" => AlertAction::Resolve,
        other => {
            return Err(FormatError::invalid(
                "event_action",
                format!("{other:?} is not one of trigger, acknowledge or resolve"),
            ));
        }
    };
    let dedup_key = root.text("dedup_key")?.unwrap_or_default();
    if dedup_key.chars().count() > MAX_DEDUP_KEY_CHARS {
        return Err(FormatError::invalid(
            "dedup_key",
            format!("longer than {MAX_DEDUP_KEY_CHARS} characters"),
        ));
    }
    if dedup_key.is_empty() && action != AlertAction::Trigger {
        return Err(FormatError::missing("dedup_key"));
    }

    let payload = root.object("payload", "payload")?;
    let is_trigger = action == AlertAction::Trigger;
    if is_trigger && payload.is_none() {
        return Err(FormatError::missing("payload"));
    }
    let text = |name: &str| -> Result<Option<String>, FormatError> {
        match &payload {
            Some(payload) => payload.text(name),
            None => Ok(None),
        }
    };
    let required_for_trigger = |name: &str| -> Result<Option<String>, FormatError> {
        match text(name)? {
            None if is_trigger => Err(FormatError::missing(format!("payload.{name}"))),
            value => Ok(value),
        }
    };

    let summary = required_for_trigger("summary")?;
    if summary
        .as_ref()
        .is_some_and(|summary| summary.chars().count() > MAX_SUMMARY_CHARS)
    {
        return Err(FormatError::invalid(
            "payload.summary",
            format!("longer than {MAX_SUMMARY_CHARS} characters"),
        ));
    }
    let source = required_for_trigger("source")?;
    let severity = match required_for_trigger("severity")? {
        None => Severity::Info,
        Some(name) => match name.as_str() {
            "critical" => Severity::Critical,
            "error" => Severity::High,
            "warning" => Severity::Medium,
            "info" => Severity::Info,
            other => {
                return Err(FormatError::invalid(
                    "payload.severity",
                    format!("{other:?} is not one of critical, error, warning or info"),
                ));
            }
        },
    };
    let occur_time = match text("timestamp")? {
        None => None,
        Some(text) => Some(timestamp::parse_rfc3339(&text).ok_or_else(|| {
            FormatError::invalid(
                "payload.timestamp",
                format!("{text:?} is not an ISO 8601 date-time"),
            )
        })?),
    };

    let component = text("component")?;
    let group = text("group")?;
    let class = text("class")?;
    let client = root.text("client")?;
    let mut labels: Vec<(String, String)> = [
        ("component", &component),
        ("group", &group),
        ("class", &class),
        ("client", &client),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name.to_owned(), value.clone()?)))
    .collect();
    if let Some(details) = payload.as_ref().and_then(|p| p.value("custom_details")) {
        match details {
            Value::Object(map) => labels.extend(
                map.iter()
                    .filter(|(_, value)| !value.is_null())
                    .map(|(name, value)| (name.clone(), super::label_text(value))),
            ),
            other => labels.push(("custom_details".to_owned(), super::label_text(other))),
        }
    }
    // The first value of a name wins, so that details cannot hide component etc.
    let mut label_map = std::collections::HashMap::new();
    for (name, value) in labels {
        label_map.entry(name).or_insert(value);
    }

    let signature = class
        .or(component)
        .or_else(|| summary.clone())
        .unwrap_or_else(|| dedup_key.clone());
    let link = first_link(&root)?
        .or(root.text("client_url")?)
        .unwrap_or_default();

    Ok(EnqueueEvent {
        routing_key,
        alert: fit_alert(AlertInput {
            asset: source.unwrap_or_default(),
            signature,
            severity: severity.into(),
            message: summary.unwrap_or_default(),
            tool_source: TOOL_SOURCE.to_owned(),
            labels: label_map,
            occur_time,
            action: action.into(),
            dedup_key,
            external_id: String::new(),
            link,
            delivery_id: String::new(),
        }),
    })
}

/// The first `links[].href` that is an absolute http(s) URL.
fn first_link(root: &Object<'_>) -> Result<Option<String>, FormatError> {
    let Some(links) = root.array("links")? else {
        return Ok(None);
    };
    Ok(links
        .iter()
        .filter_map(|link| link.get("href").and_then(Value::as_str))
        .map(str::trim)
        .find(|href| super::is_http_url(href))
        .map(str::to_owned))
}

/// The body PagerDuty answers an accepted event with (HTTP 202):
/// `{"status":"success","message":"Event processed","dedup_key":"…"}`.
pub fn accepted_response(dedup_key: &str) -> Value {
    json!({
        "status": "success",
        "message": "Event processed",
        "dedup_key": dedup_key,
    })
}

/// The body PagerDuty answers an invalid event with (HTTP 400):
/// `{"status":"invalid event","message":"Event object is invalid","errors":[…]}`.
pub fn invalid_response(error: &FormatError) -> Value {
    json!({
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [error.to_string()],
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::testing;
    use super::*;
    use proptest::prelude::*;

    // The trigger example of PagerDuty's Events API v2 documentation.
    const TRIGGER: &str = r#"{
      "payload": {
        "summary": "DISK at 99% on machine prod-datapipe03.example.com",
        "timestamp": "2015-07-17T08:42:58.315+0000",
        "severity": "critical",
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "custom_details": {
          "free space": "1%",
          "ping time": "1500ms",
          "load avg": 0.75
        }
      },
      "routing_key": "e93facc04764012d7bfb002500d5d1a6",
      "dedup_key": "srv01/mysql",
      "event_action": "trigger",
      "client": "Sample Monitoring Service",
      "client_url": "https://monitoring.service.com",
      "links": [
        {
          "href": "http://pagerduty.example.com",
          "text": "An example link."
        }
      ],
      "images": [
        {
          "src": "https://chart.googleapis.com/chart?chs=600x400&chd=t:6,2,9,5,2,5,7,4,7,3&cht=lc&chds=0,10&chxt=y&chxr=0,0,10&chls=1.5&chco=66B2FF&chm=B,66B2FF,0,0,0",
          "href": "https://example.com/",
          "alt": "An example link with an image"
        }
      ]
    }"#;

    #[test]
    fn parses_the_documented_trigger() {
        let event = parse(TRIGGER.as_bytes()).unwrap();
        assert_eq!(event.routing_key, "e93facc04764012d7bfb002500d5d1a6");
        let alert = &event.alert;
        assert_eq!(alert.asset, "prod-datapipe03.example.com");
        assert_eq!(alert.signature, "disk");
        assert_eq!(alert.severity(), Severity::Critical);
        assert_eq!(
            alert.message,
            "DISK at 99% on machine prod-datapipe03.example.com"
        );
        assert_eq!(alert.action(), AlertAction::Trigger);
        assert_eq!(alert.dedup_key, "srv01/mysql");
        assert_eq!(alert.tool_source, "pagerduty");
        assert_eq!(alert.labels["component"], "mysql");
        assert_eq!(alert.labels["group"], "prod-datapipe");
        assert_eq!(alert.labels["client"], "Sample Monitoring Service");
        assert_eq!(alert.labels["free space"], "1%");
        assert_eq!(alert.labels["load avg"], "0.75");
        assert_eq!(alert.link, "http://pagerduty.example.com");
        let occur_time = alert.occur_time.unwrap();
        assert_eq!(
            (occur_time.seconds, occur_time.nanos),
            (1_437_122_578, 315_000_000)
        );
    }

    #[test]
    fn acknowledges_and_resolves_by_dedup_key() {
        for (action, expected) in [
            ("acknowledge", AlertAction::Acknowledge),
            ("resolve", AlertAction::Resolve),
        ] {
            let body = format!(
                r#"{{"routing_key":"k","event_action":"{action}","dedup_key":"srv01/mysql"}}"#
            );
            let event = parse(body.as_bytes()).unwrap();
            assert_eq!(event.alert.action(), expected);
            assert_eq!(event.alert.dedup_key, "srv01/mysql");
            assert_eq!(event.alert.signature, "srv01/mysql");
            assert_eq!(event.alert.asset, super::super::UNKNOWN_ASSET);
            assert_eq!(event.alert.severity(), Severity::Info);

            let body = format!(r#"{{"routing_key":"k","event_action":"{action}"}}"#);
            assert_eq!(
                parse(body.as_bytes()).unwrap_err(),
                FormatError::missing("dedup_key")
            );
        }
    }

    #[test]
    fn leaves_the_dedup_key_of_a_trigger_to_ingest() {
        let body = br#"{"routing_key":"k","event_action":"trigger","payload":{
            "summary":"Ping failed","source":"10.0.0.7","severity":"warning",
            "custom_details":"a plain string"},"client_url":"https://nms.example.com"}"#;
        let alert = parse(body).unwrap().alert;
        assert!(alert.dedup_key.is_empty());
        assert_eq!(alert.signature, "Ping failed");
        assert_eq!(alert.severity(), Severity::Medium);
        assert_eq!(alert.labels["custom_details"], "a plain string");
        assert_eq!(alert.link, "https://nms.example.com");
    }

    #[test]
    fn applies_pagerdutys_validation() {
        let error = |body: &str| parse(body.as_bytes()).unwrap_err();
        let trigger = |payload: &str| {
            format!(r#"{{"routing_key":"k","event_action":"trigger","payload":{payload}}}"#)
        };
        assert_eq!(
            error(r#"{"event_action":"trigger"}"#),
            FormatError::missing("routing_key")
        );
        assert_eq!(
            error(r#"{"routing_key":"k"}"#),
            FormatError::missing("event_action")
        );
        assert_eq!(
            error(r#"{"routing_key":"k","event_action":"snooze"}"#).field(),
            Some("event_action")
        );
        assert_eq!(
            error(r#"{"routing_key":"k","event_action":"trigger"}"#),
            FormatError::missing("payload")
        );
        assert_eq!(
            error(&trigger(r#"{"source":"s","severity":"info"}"#)),
            FormatError::missing("payload.summary")
        );
        assert_eq!(
            error(&trigger(r#"{"summary":"s","severity":"info"}"#)),
            FormatError::missing("payload.source")
        );
        assert_eq!(
            error(&trigger(r#"{"summary":"s","source":"s"}"#)),
            FormatError::missing("payload.severity")
        );
        assert_eq!(
            error(&trigger(
                r#"{"summary":"s","source":"s","severity":"high"}"#
            ))
            .field(),
            Some("payload.severity")
        );
        let long = format!(
            r#"{{"summary":"{}","source":"s","severity":"info"}}"#,
            "x".repeat(1025)
        );
        assert_eq!(error(&trigger(&long)).field(), Some("payload.summary"));
        let long_key = format!(
            r#"{{"routing_key":"k","event_action":"resolve","dedup_key":"{}"}}"#,
            "k".repeat(256)
        );
        assert_eq!(error(&long_key).field(), Some("dedup_key"));
        assert_eq!(
            error(&trigger(
                r#"{"summary":"s","source":"s","severity":"info","timestamp":"now"}"#
            ))
            .field(),
            Some("payload.timestamp")
        );
        assert_eq!(error(&trigger("[]")).field(), Some("payload"));
    }

    #[test]
    fn answers_like_pagerduty() {
        assert_eq!(
            accepted_response("srv01/mysql"),
            json!({"status":"success","message":"Event processed","dedup_key":"srv01/mysql"})
        );
        assert_eq!(
            invalid_response(&FormatError::missing("payload.summary"))["errors"][0],
            "payload.summary: is required"
        );
    }

    const KEYS: &[&str] = &[
        "routing_key",
        "event_action",
        "dedup_key",
        "payload",
        "summary",
        "source",
        "severity",
        "timestamp",
        "component",
        "group",
        "class",
        "custom_details",
        "links",
        "href",
        "images",
        "client",
        "client_url",
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
