//! Vendor payload formats, each parsed into `AlertInput` messages.
//!
//! Every parser takes the raw request body and is pure: no I/O, no HTTP types.
//! Parsers never panic, whatever the bytes; they answer [`FormatError`] for a
//! body they cannot map, naming the field at fault. The alerts they return are
//! already fitted to the ingest limits of `AlertInput` (lengths, label count,
//! absolute links), because a monitoring tool cannot shorten what it sends and
//! would otherwise retry a refused delivery forever.
//!
//! | module | endpoint | document |
//! | --- | --- | --- |
//! | [`seed`] | `POST /api/webhooks/alerts` | `docs/integrations/seed.md` |
//! | [`alertmanager`] | `POST /api/webhooks/alertmanager` | `docs/integrations/alertmanager.md` |
//! | [`datadog`] | `POST /api/webhooks/datadog` | `docs/integrations/datadog.md` |
//! | [`cloudwatch`] | `POST /api/webhooks/cloudwatch` | `docs/integrations/cloudwatch.md` |
//! | [`pagerduty`] | `POST /v2/enqueue` | `docs/integrations/pagerduty.md` |
//! | [`zabbix`] | `POST /api/webhooks/zabbix` | `docs/integrations/zabbix.md` |
//! | [`nagios`] | `POST /api/webhooks/nagios` | `docs/integrations/nagios.md` |

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::proto::v1::{AlertInput, Severity};

pub mod alertmanager;
pub mod cloudwatch;
pub mod datadog;
pub mod nagios;
pub mod pagerduty;
pub mod seed;
pub mod zabbix;

mod timestamp;

/// Why a webhook body could not be turned into alerts. Every variant is the
/// sender's fault (HTTP 400); the message is safe to show to the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The body is not JSON (or not UTF-8); the position is serde_json's,
    /// 1-based line and column of the offending byte.
    #[error("malformed JSON at line {line}, column {column}: {message}")]
    MalformedJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error (0 when the body is empty).
        column: usize,
        /// What the JSON parser expected, without the position.
        message: String,
    },
    /// A field the format requires is absent, null or empty.
    #[error("{field}: is required")]
    MissingField {
        /// Path of the field, e.g. `alerts[2].labels.alertname`.
        field: String,
    },
    /// A field is present but its value is not acceptable.
    #[error("{field}: {reason}")]
    InvalidField {
        /// Path of the field, e.g. `payload.severity`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Well-formed JSON of a kind this endpoint does not take (a JSON array
    /// where an object belongs, an SNS message that is not a CloudWatch alarm, a
    /// Nagios downtime notification…).
    #[error("unsupported content: {0}")]
    Unsupported(String),
}

impl FormatError {
    /// The path of the field at fault, when the error is about one field.
    pub fn field(&self) -> Option<&str> {
        match self {
            FormatError::MissingField { field } | FormatError::InvalidField { field, .. } => {
                Some(field)
            }
            FormatError::MalformedJson { .. } | FormatError::Unsupported(_) => None,
        }
    }

    fn missing(field: impl Into<String>) -> Self {
        FormatError::MissingField {
            field: field.into(),
        }
    }

    fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FormatError::InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

// The limits of `AlertInput`: the parsers fit alerts inside them.
use crate::domain::ingest::{
    MAX_ASSET_CHARS, MAX_KEY_CHARS, MAX_LABEL_NAME_CHARS, MAX_LABEL_VALUE_CHARS, MAX_LABELS,
    MAX_LINK_CHARS, MAX_MESSAGE_CHARS, MAX_SIGNATURE_CHARS, MAX_TOOL_SOURCE_CHARS, is_http_url,
    truncate_chars,
};

/// The asset of an alert whose payload names no host, resource or service.
const UNKNOWN_ASSET: &str = "unknown";

/// Parses the body as JSON, mapping serde_json's error to [`FormatError`].
fn parse_json(body: &[u8]) -> Result<Value, FormatError> {
    serde_json::from_slice(body).map_err(|error| json_error(&error))
}

fn json_error(error: &serde_json::Error) -> FormatError {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
    FormatError::MalformedJson {
        line: error.line(),
        column: error.column(),
        message,
    }
}

/// A JSON object being read, with the path that names its fields in errors.
#[derive(Clone, Copy)]
struct Object<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Object<'a> {
    /// The body's top-level object; anything else is unsupported.
    fn root(value: &'a Value, what: &str) -> Result<Self, FormatError> {
        match value {
            Value::Object(map) => Ok(Object { map, path: "" }),
            other => Err(FormatError::Unsupported(format!(
                "expected {what} (a JSON object), got {}",
                kind(other)
            ))),
        }
    }

    /// The object `value`, found at `path`.
    fn at(value: &'a Value, path: &'a str) -> Result<Self, FormatError> {
        match value {
            Value::Object(map) => Ok(Object { map, path }),
            other => Err(FormatError::invalid(
                path,
                format!("expected an object, got {}", kind(other)),
            )),
        }
    }

    /// The path of field `name` of this object.
    fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// The raw value of a field; `None` when absent or null.
    fn value(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !value.is_null())
    }

    /// A scalar field as trimmed text (numbers and booleans in their JSON
    /// spelling); `None` when absent, null or blank.
    fn text(&self, name: &str) -> Result<Option<String>, FormatError> {
        match self.value(name) {
            None => Ok(None),
            Some(value) => scalar_text(value)
                .map(|text| non_blank(&text))
                .ok_or_else(|| {
                    FormatError::invalid(
                        self.path_of(name),
                        format!("expected a string, got {}", kind(value)),
                    )
                }),
        }
    }

    /// The first of `names` that has text.
    fn first_text(&self, names: &[&str]) -> Result<Option<String>, FormatError> {
        for name in names {
            if let Some(text) = self.text(name)? {
                return Ok(Some(text));
            }
        }
        Ok(None)
    }

    /// A scalar field that must be present and not blank.
    fn required_text(&self, name: &str) -> Result<String, FormatError> {
        self.text(name)?
            .ok_or_else(|| FormatError::missing(self.path_of(name)))
    }

    /// An object field, at `path`; `None` when absent or null.
    fn object(&self, name: &str, path: &'a str) -> Result<Option<Object<'a>>, FormatError> {
        self.value(name)
            .map(|value| Object::at(value, path))
            .transpose()
    }

    /// An array field; `None` when absent or null.
    fn array(&self, name: &str) -> Result<Option<&'a Vec<Value>>, FormatError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(FormatError::invalid(
                self.path_of(name),
                format!("expected an array, got {}", kind(other)),
            )),
        }
    }

    /// An object of labels (`{"name": "value"}`); values that are not strings
    /// are kept in their JSON spelling, nulls are dropped.
    fn labels(&self, name: &str) -> Result<BTreeMap<String, String>, FormatError> {
        match self.value(name) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(map)) => Ok(map
                .iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| (key.clone(), label_text(value)))
                .collect()),
            Some(other) => Err(FormatError::invalid(
                self.path_of(name),
                format!("expected an object, got {}", kind(other)),
            )),
        }
    }
}

/// A scalar as text; `None` for objects and arrays.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Any value as a label value: strings as they are, the rest as JSON text.
fn label_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `text` trimmed, or `None` when that leaves nothing.
fn non_blank(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A severity from the names tools use for it, case-insensitively: ours
/// (critical, high, medium, low, info) and the common synonyms (`warning`,
/// `error`, PagerDuty's, syslog's, Zabbix's names, P1–P5).
fn severity_from_name(name: &str) -> Option<Severity> {
    let name = name.trim().to_ascii_lowercase();
    let severity = match name.as_str() {
        "critical" | "crit" | "fatal" | "emergency" | "emerg" | "alert" | "disaster" | "page"
        | "p1" => Severity::Critical,
        "high" | "error" | "err" | "major" | "severe" | "p2" => Severity::High,
        "medium" | "warning" | "warn" | "average" | "moderate" | "p3" => Severity::Medium,
        "low" | "minor" | "p4" => Severity::Low,
        "info" | "informational" | "information" | "notice" | "debug" | "none" | "ok"
        | "not classified" | "p5" => Severity::Info,
        _ => return None,
    };
    Some(severity)
}

/// A key (dedup key, delivery id) that fits in [`MAX_KEY_CHARS`]: kept when it
/// fits, else replaced by its SHA-256, so that the same long key still maps to
/// the same short one.
fn fit_key(key: &str) -> String {
    if key.chars().count() <= MAX_KEY_CHARS {
        key.to_owned()
    } else {
        format!("sha256:{}", hex::encode(Sha256::digest(key.as_bytes())))
    }
}

/// `text` with every control character (line breaks, tabs, NUL, …) replaced
/// by a space: for one-line fields, which gRPC refuses with control characters.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Fits an alert into the ingest limits of `AlertInput`, so that a sender's
/// payload is taken rather than refused for what the sender cannot change:
/// trims and cuts text, turns control characters in one-line fields into
/// spaces and NUL in the message into U+FFFD, falls back to [`UNKNOWN_ASSET`]
/// for a blank asset, keeps at most [`MAX_LABELS`] labels (by name order),
/// hashes overlong keys and drops a link that is not an absolute http(s) URL.
fn fit_alert(mut alert: AlertInput) -> AlertInput {
    alert.asset = truncate_chars(one_line(&alert.asset).trim(), MAX_ASSET_CHARS);
    if alert.asset.is_empty() {
        UNKNOWN_ASSET.clone_into(&mut alert.asset);
    }
    alert.signature = truncate_chars(one_line(&alert.signature).trim(), MAX_SIGNATURE_CHARS);
    alert.message = truncate_chars(
        alert.message.replace('\0', "\u{FFFD}").trim(),
        MAX_MESSAGE_CHARS,
    );
    alert.tool_source = truncate_chars(one_line(&alert.tool_source).trim(), MAX_TOOL_SOURCE_CHARS);
    alert.dedup_key = fit_key(one_line(&alert.dedup_key).trim());
    alert.delivery_id = fit_key(one_line(&alert.delivery_id).trim());
    alert.external_id = truncate_chars(one_line(&alert.external_id).trim(), MAX_KEY_CHARS);
    if alert.link.chars().count() > MAX_LINK_CHARS || !is_http_url(alert.link.trim()) {
        alert.link.clear();
    } else {
        alert.link = alert.link.trim().to_owned();
    }
    let labels: BTreeMap<String, String> = alert
        .labels
        .drain()
        .map(|(name, value)| (one_line(&name), one_line(&value)))
        .filter(|(name, _)| !name.trim().is_empty())
        .map(|(name, value)| {
            (
                truncate_chars(name.trim(), MAX_LABEL_NAME_CHARS),
                truncate_chars(&value, MAX_LABEL_VALUE_CHARS),
            )
        })
        .collect();
    alert.labels = labels
        .into_iter()
        .take(MAX_LABELS)
        .collect::<HashMap<_, _>>();
    alert
}

/// Percent-encodes `text` for a URL path segment or query value (RFC 3986
/// unreserved characters stay as they are).
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod testing {
    //! Strategies shared by the parsers' property tests.

    use proptest::prelude::*;
    use serde_json::Value;

    /// Arbitrary JSON whose object keys are mostly `keys` (the format's own
    /// field names) so that the parsers get past their first checks, with
    /// scalar values that are often dates, epochs, severities or states.
    pub(super) fn json_with_keys(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
        let scalar = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
            prop::sample::select(vec![
                "2024-05-01T12:00:00Z",
                "0001-01-01T00:00:00Z",
                "2015-07-17T08:42:58.315+0000",
                "1700000000",
                "1700000000000",
                "firing",
                "resolved",
                "ALARM",
                "OK",
                "Notification",
                "SubscriptionConfirmation",
                "trigger",
                "acknowledge",
                "resolve",
                "critical",
                "warning",
                "PROBLEM",
                "RECOVERY",
                "ACKNOWLEDGEMENT",
                "DOWNTIMESTART",
                "Recovered",
                "P1",
                "0",
                "1",
                "5",
                "Yes",
                "{EVENT.ID}",
                "[{\"tag\":\"a\",\"value\":\"b\"}]",
                "{\"AlarmName\":\"x\",\"NewStateValue\":\"ALARM\"}",
                "",
            ])
            .prop_map(|s| Value::String(s.to_owned())),
        ];
        let key = prop_oneof![
            4 => prop::sample::select(keys).prop_map(str::to_owned),
            1 => "\\PC{0,6}",
        ];
        scalar.prop_recursive(4, 48, 8, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..8)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// Bytes that look like JSON: brackets, quotes, digits and escapes.
    pub(super) fn jsonish_text() -> impl Strategy<Value = String> {
        "[\\[\\]{}\":,0-9a-zA-Z_ .+\\-\\\\\u{e9}\u{1F600}]{0,200}"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn malformed_json_carries_the_position() {
        let error = parse_json(b"{\n  \"a\": 1,\n  \"b\": }").unwrap_err();
        let FormatError::MalformedJson {
            line,
            column,
            message,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!((*line, *column), (3, 8));
        assert_eq!(message, "expected value");
        assert_eq!(
            error.to_string(),
            "malformed JSON at line 3, column 8: expected value"
        );
        assert!(matches!(
            parse_json(b""),
            Err(FormatError::MalformedJson { line: 1, .. })
        ));
        assert!(matches!(
            parse_json(b"\"\xff\""),
            Err(FormatError::MalformedJson { .. })
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let body = "[".repeat(100_000);
        assert!(matches!(
            parse_json(body.as_bytes()),
            Err(FormatError::MalformedJson { .. })
        ));
    }

    #[test]
    fn fits_alerts_into_the_ingest_limits() {
        let mut alert = AlertInput {
            asset: "  ".to_owned(),
            signature: "é".repeat(300),
            message: "m".repeat(5000),
            tool_source: "t".repeat(100),
            dedup_key: "k".repeat(256),
            link: "javascript:alert(1)".to_owned(),
            ..AlertInput::default()
        };
        for index in 0..70 {
            alert
                .labels
                .insert(format!("l{index:02}"), "v".repeat(2000));
        }
        alert.labels.insert(" ".to_owned(), "dropped".to_owned());
        let alert = fit_alert(alert);
        assert_eq!(alert.asset, UNKNOWN_ASSET);
        assert_eq!(alert.signature.chars().count(), 255);
        assert_eq!(alert.message.len(), 4096);
        assert_eq!(alert.tool_source.len(), 64);
        assert!(alert.dedup_key.starts_with("sha256:"));
        assert_eq!(alert.dedup_key, fit_key(&"k".repeat(256)));
        assert!(alert.link.is_empty());
        assert_eq!(alert.labels.len(), 64);
        assert!(alert.labels.contains_key("l00") && !alert.labels.contains_key("l64"));
        assert!(alert.labels.values().all(|value| value.len() == 1024));
    }

    #[test]
    fn recognises_severity_names() {
        assert_eq!(severity_from_name("CRITICAL"), Some(Severity::Critical));
        assert_eq!(severity_from_name(" Warning "), Some(Severity::Medium));
        assert_eq!(severity_from_name("error"), Some(Severity::High));
        assert_eq!(severity_from_name("p4"), Some(Severity::Low));
        assert_eq!(severity_from_name("bogus"), None);
    }

    #[test]
    fn encodes_url_components() {
        assert_eq!(percent_encode("a b/ü"), "a%20b%2F%C3%BC");
        assert!(is_http_url("https://x") && is_http_url("HTTP://x"));
        assert!(!is_http_url("https://") && !is_http_url("ftp://x") && !is_http_url("ü"));
    }
}
