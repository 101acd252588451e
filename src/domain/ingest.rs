//! Validation and normalisation of incoming alerts, shared by gRPC and webhooks.
//! All-or-nothing: a batch with any invalid alert is refused whole.

use borsh::{BorshDeserialize, BorshSerialize};
use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::proto::v1::{AlertAction, AlertInput, Severity};

// The limits of `AlertInput`, in characters. alert.proto's comments, the
// docs, gRPC validation and the webhook parsers (which fit alerts inside
// them) all use these.

/// Most alerts in one batch.
pub const MAX_BATCH: usize = 1000;
/// Longest asset.
pub const MAX_ASSET_CHARS: usize = 255;
/// Longest signature.
pub const MAX_SIGNATURE_CHARS: usize = 255;
/// Longest message.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Longest tool source.
pub const MAX_TOOL_SOURCE_CHARS: usize = 64;
/// Most labels on one alert.
pub const MAX_LABELS: usize = 64;
/// Longest label name.
pub const MAX_LABEL_NAME_CHARS: usize = 128;
/// Longest label value.
pub const MAX_LABEL_VALUE_CHARS: usize = 1024;
/// Longest dedup key, external id or delivery id.
pub const MAX_KEY_CHARS: usize = 255;
/// Longest link.
pub const MAX_LINK_CHARS: usize = 2048;
/// Label of an acknowledge action naming who acknowledged at the source
/// (Nagios' author, Zabbix's user); shown on the incident's timeline.
pub const ACK_AUTHOR_LABEL: &str = "ack_author";
/// Label of an acknowledge action holding the comment made at the source.
pub const ACK_COMMENT_LABEL: &str = "ack_comment";
/// The tool source of an alert that names none.
pub const DEFAULT_TOOL_SOURCE: &str = "api";
/// How far in the future an occurrence time may be (clock skew), in ms.
pub const MAX_FUTURE_SKEW_MS: i64 = 3_600_000;

/// Alert severity, most severe last (ordered).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[borsh(use_discriminant = true)]
pub enum AlertSeverity {
    Info = 1,
    Low = 2,
    /// Medium (warnings).
    Medium = 3,
    High = 4,
    Critical = 5,
}

impl AlertSeverity {
    /// The lower-case name (`critical`, `high`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// The stored number (the proto enum's number).
    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// From the stored number.
    pub fn from_i16(value: i16) -> Option<Self> {
        match value {
            1 => Some(Self::Info),
            2 => Some(Self::Low),
            3 => Some(Self::Medium),
            4 => Some(Self::High),
            5 => Some(Self::Critical),
            _ => None,
        }
    }
}

/// What an alert event does to its alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize)]
#[borsh(use_discriminant = true)]
pub enum AlertEventAction {
    /// The alert fires (or fires again).
    Trigger = 1,
    /// Someone acknowledged it at the source.
    Acknowledge = 2,
    /// It resolved at the source.
    Resolve = 3,
}

impl AlertEventAction {
    /// The stored number (the proto enum's number).
    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// From the stored number.
    pub fn from_i16(value: i16) -> Option<Self> {
        match value {
            1 => Some(Self::Trigger),
            2 => Some(Self::Acknowledge),
            3 => Some(Self::Resolve),
            _ => None,
        }
    }
}

/// A validated alert event, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AlertEvent {
    /// The affected asset (host, service, instance).
    pub asset: String,
    /// What is wrong (e.g. `disk_full`).
    pub signature: String,
    pub severity: AlertSeverity,
    pub message: String,
    /// The monitoring tool that sent it.
    pub tool_source: String,
    /// Labels, sorted by key.
    pub labels: BTreeMap<String, String>,
    /// When it happened at the source (Unix ms).
    pub occurred_at_ms: i64,
    /// Trigger, acknowledge or resolve.
    pub action: AlertEventAction,
    /// Identity of the alert across its events.
    pub dedup_key: String,
    /// The sender's id of the alert.
    pub external_id: String,
    /// A link back to the source.
    pub link: String,
    /// The sender's delivery id, for idempotent retries.
    pub delivery_id: Option<String>,
}

impl AlertEvent {
    /// Same for a retried delivery of the same event: hex SHA-256 of the dedup
    /// key, occurrence time and action.
    pub fn idempotency_key(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.dedup_key.as_bytes());
        hasher.update([0]);
        hasher.update(self.occurred_at_ms.to_be_bytes());
        hasher.update([0, u8::try_from(self.action.as_i16()).unwrap_or(0)]);
        hex::encode(hasher.finalize())
    }
}

/// One problem with one alert of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Index of the alert in the batch.
    pub index: usize,
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Every problem of a refused batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchErrors(pub Vec<FieldError>);

impl std::fmt::Display for BatchErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, error) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str("; ")?;
            }
            write!(
                f,
                "alerts[{}].{}: {}",
                error.index, error.field, error.message
            )?;
        }
        Ok(())
    }
}

fn check_text(
    errors: &mut Vec<FieldError>,
    index: usize,
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        errors.push(FieldError {
            index,
            field,
            message: "is required".to_owned(),
        });
    } else if value.chars().count() > max {
        errors.push(FieldError {
            index,
            field,
            message: format!("must be at most {max} characters"),
        });
    } else if value.chars().any(char::is_control) {
        errors.push(FieldError {
            index,
            field,
            message: "must not contain control characters".to_owned(),
        });
    }
    value.to_owned()
}

/// Labels (Alertmanager and Grafana labels, Datadog tags, CloudWatch
/// dimensions) that name the asset in each label-based webhook format, in
/// the order the format's parser looks for them; `None` for other formats,
/// whose payloads name the asset directly.
pub fn format_asset_labels(source: &str) -> Option<&'static [&'static str]> {
    match source {
        "alertmanager" | "grafana" => Some(&[
            "instance", "host", "hostname", "node", "pod", "job", "service",
        ]),
        "datadog" => Some(&["host"]),
        "cloudwatch" => Some(CLOUDWATCH_ASSET_DIMENSIONS),
        _ => None,
    }
}

/// CloudWatch dimensions that name the affected resource, most specific first.
pub const CLOUDWATCH_ASSET_DIMENSIONS: &[&str] = &[
    "InstanceId",
    "DBInstanceIdentifier",
    "DBClusterIdentifier",
    "CacheClusterId",
    "LoadBalancer",
    "LoadBalancerName",
    "TargetGroup",
    "FunctionName",
    "AutoScalingGroupName",
    "ServiceName",
    "ClusterName",
    "QueueName",
    "TableName",
    "BucketName",
    "DomainName",
    "StreamName",
    "DeliveryStreamName",
];

/// `host:9100` → `host`, `[::1]:9100` → `::1`; anything else (a URL of the
/// blackbox exporter, a bare IPv6 address) as it is.
pub fn strip_port(value: &str) -> &str {
    let Some((host, port)) = value.rsplit_once(':') else {
        return value;
    };
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || host.is_empty() {
        return value;
    }
    if let Some(bracketed) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return bracketed;
    }
    if host.contains(':') { value } else { host }
}

/// The first of `order` that `labels` holds with a non-blank value: the
/// asset it names (port stripped, cut to the asset limit) and the label.
pub fn asset_from_labels<'a>(
    labels: &BTreeMap<String, String>,
    order: impl IntoIterator<Item = &'a str>,
) -> Option<(String, &'a str)> {
    order.into_iter().find_map(|label| {
        let value = labels.get(label)?.trim();
        let asset: String = strip_port(value).chars().take(MAX_ASSET_CHARS).collect();
        (!asset.is_empty() && !asset.chars().any(char::is_control)).then_some((asset, label))
    })
}

/// Which label named `event`'s asset, for an event of a label-based format
/// `source`: the first of the company's `asset_labels`, then the format's own
/// order, whose value (port stripped) is the asset. `None` when the asset came
/// from elsewhere (a Datadog title, an alarm name) or the format names assets
/// directly.
pub fn asset_label_of(event: &AlertEvent, source: &str, asset_labels: &[String]) -> Option<String> {
    let defaults = format_asset_labels(source)?;
    asset_labels
        .iter()
        .map(String::as_str)
        .chain(defaults.iter().copied())
        .find(|label| {
            event
                .labels
                .get(*label)
                .is_some_and(|value| strip_port(value.trim()) == event.asset)
        })
        .map(str::to_owned)
}

/// Re-derives the asset of an event of label-based format `source` from the
/// company's `asset_labels` (in order), when one of them is on the event; a
/// dedup key that was the default `asset|signature` follows the asset.
/// Answers whether the asset changed.
pub fn apply_asset_labels(event: &mut AlertEvent, source: &str, asset_labels: &[String]) -> bool {
    if asset_labels.is_empty() || format_asset_labels(source).is_none() {
        return false;
    }
    let Some((asset, _)) =
        asset_from_labels(&event.labels, asset_labels.iter().map(String::as_str))
    else {
        return false;
    };
    if asset == event.asset {
        return false;
    }
    if event.dedup_key == format!("{}|{}", event.asset, event.signature) {
        event.dedup_key = format!("{asset}|{}", event.signature);
    }
    event.asset = asset;
    true
}

/// Whether `link` is an absolute http(s) URL with a host (`http://` alone is not).
pub fn is_http_url(link: &str) -> bool {
    let lower = link.get(..8).unwrap_or(link).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &link[8..]
    } else if lower.starts_with("http://") {
        &link[7..]
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    !host.is_empty() && !host.starts_with(':') && !host.chars().any(char::is_whitespace)
}

/// Text cut to at most `max` characters (not bytes).
pub fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}

/// Validates a batch received at `received_at_ms`; answers every problem at once.
pub fn validate_batch(
    inputs: &[AlertInput],
    received_at_ms: i64,
) -> Result<Vec<AlertEvent>, BatchErrors> {
    if inputs.is_empty() {
        return Err(BatchErrors(vec![FieldError {
            index: 0,
            field: "alerts",
            message: "at least one alert is required".to_owned(),
        }]));
    }
    if inputs.len() > MAX_BATCH {
        return Err(BatchErrors(vec![FieldError {
            index: MAX_BATCH,
            field: "alerts",
            message: format!("at most {MAX_BATCH} alerts per batch, got {}", inputs.len()),
        }]));
    }
    let mut errors = Vec::new();
    let mut events = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        if let Some(event) = validate_one(&mut errors, index, input, received_at_ms) {
            events.push(event);
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(BatchErrors(errors))
    }
}

fn validate_one(
    errors: &mut Vec<FieldError>,
    index: usize,
    input: &AlertInput,
    received_at_ms: i64,
) -> Option<AlertEvent> {
    let before = errors.len();
    let asset = check_text(errors, index, "asset", &input.asset, true, MAX_ASSET_CHARS);
    let signature = check_text(
        errors,
        index,
        "signature",
        &input.signature,
        true,
        MAX_SIGNATURE_CHARS,
    );
    let severity = match Severity::try_from(input.severity) {
        Ok(Severity::Info) => Some(AlertSeverity::Info),
        Ok(Severity::Low) => Some(AlertSeverity::Low),
        Ok(Severity::Medium) => Some(AlertSeverity::Medium),
        Ok(Severity::High) => Some(AlertSeverity::High),
        Ok(Severity::Critical) => Some(AlertSeverity::Critical),
        Ok(Severity::Unspecified) | Err(_) => {
            errors.push(FieldError {
                index,
                field: "severity",
                message: "must be one of critical, high, medium, low, info".to_owned(),
            });
            None
        }
    };
    if input.message.chars().count() > MAX_MESSAGE_CHARS {
        errors.push(FieldError {
            index,
            field: "message",
            message: format!("must be at most {MAX_MESSAGE_CHARS} characters"),
        });
    } else if input.message.contains('\0') {
        // Line breaks and tabs are fine in a message; NUL is refused by PostgreSQL.
        errors.push(FieldError {
            index,
            field: "message",
            message: "must not contain the NUL character (U+0000)".to_owned(),
        });
    }
    let tool_source = check_text(
        errors,
        index,
        "tool_source",
        &input.tool_source,
        false,
        MAX_TOOL_SOURCE_CHARS,
    );
    let tool_source = if tool_source.is_empty() {
        DEFAULT_TOOL_SOURCE.to_owned()
    } else {
        tool_source
    };
    if input.labels.len() > MAX_LABELS {
        errors.push(FieldError {
            index,
            field: "labels",
            message: format!("at most {MAX_LABELS} labels"),
        });
    }
    let mut labels = BTreeMap::new();
    for (key, value) in &input.labels {
        let key_ok = !key.is_empty()
            && key.chars().count() <= MAX_LABEL_NAME_CHARS
            && !key.chars().any(char::is_control);
        let value_ok =
            value.chars().count() <= MAX_LABEL_VALUE_CHARS && !value.chars().any(char::is_control);
        if !key_ok || !value_ok {
            errors.push(FieldError {
                index,
                field: "labels",
                message: format!(
                    "label {:?}: names are 1 to {MAX_LABEL_NAME_CHARS} characters, values at most {MAX_LABEL_VALUE_CHARS}, no control characters",
                    key.chars().take(40).collect::<String>()
                ),
            });
        } else {
            labels.insert(key.clone(), value.clone());
        }
    }
    let occurred_at_ms = match &input.occur_time {
        None => received_at_ms,
        Some(time) if !(0..1_000_000_000).contains(&time.nanos) || time.seconds < 0 => {
            errors.push(FieldError {
                index,
                field: "occur_time",
                message: "is not a valid timestamp".to_owned(),
            });
            received_at_ms
        }
        Some(time) => {
            let ms = time
                .seconds
                .saturating_mul(1000)
                .saturating_add(i64::from(time.nanos / 1_000_000));
            if ms > received_at_ms.saturating_add(MAX_FUTURE_SKEW_MS) {
                errors.push(FieldError {
                    index,
                    field: "occur_time",
                    message: "is more than an hour in the future".to_owned(),
                });
            }
            ms
        }
    };
    let action = match AlertAction::try_from(input.action) {
        Ok(AlertAction::Unspecified | AlertAction::Trigger) => AlertEventAction::Trigger,
        Ok(AlertAction::Acknowledge) => AlertEventAction::Acknowledge,
        Ok(AlertAction::Resolve) => AlertEventAction::Resolve,
        Err(_) => {
            errors.push(FieldError {
                index,
                field: "action",
                message: "must be trigger, acknowledge or resolve".to_owned(),
            });
            AlertEventAction::Trigger
        }
    };
    let dedup_key = check_text(
        errors,
        index,
        "dedup_key",
        &input.dedup_key,
        false,
        MAX_KEY_CHARS,
    );
    // The default identity is the default aggregation key, asset|signature.
    let dedup_key = if dedup_key.is_empty() {
        format!("{asset}|{signature}")
    } else {
        dedup_key
    };
    let external_id = check_text(
        errors,
        index,
        "external_id",
        &input.external_id,
        false,
        MAX_KEY_CHARS,
    );
    let link = check_text(errors, index, "link", &input.link, false, MAX_LINK_CHARS);
    if !link.is_empty() && !is_http_url(&link) {
        errors.push(FieldError {
            index,
            field: "link",
            message: "must be an absolute http or https URL with a host".to_owned(),
        });
    }
    let delivery_id = check_text(
        errors,
        index,
        "delivery_id",
        &input.delivery_id,
        false,
        MAX_KEY_CHARS,
    );
    if errors.len() > before {
        return None;
    }
    Some(AlertEvent {
        asset,
        signature,
        severity: severity?,
        message: input.message.clone(),
        tool_source,
        labels,
        occurred_at_ms,
        action,
        dedup_key,
        external_id,
        link,
        delivery_id: Some(delivery_id).filter(|id| !id.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AlertInput {
        AlertInput {
            asset: "web-01".into(),
            signature: "high_cpu".into(),
            severity: Severity::Critical.into(),
            message: "CPU above 90%".into(),
            tool_source: "Datadog".into(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_are_filled() {
        let events = validate_batch(&[input()], 1_000).expect("valid");
        let event = &events[0];
        assert_eq!(event.occurred_at_ms, 1_000);
        assert_eq!(event.action, AlertEventAction::Trigger);
        assert_eq!(event.dedup_key, "web-01|high_cpu");
        assert_eq!(event.delivery_id, None);
    }

    #[test]
    fn every_bad_field_is_named_with_its_index() {
        let mut bad = input();
        bad.asset = String::new();
        bad.severity = 0;
        bad.link = "ftp://x".into();
        let errors = validate_batch(&[input(), bad], 0).expect_err("invalid");
        let text = errors.to_string();
        assert!(text.contains("alerts[1].asset: is required"), "{text}");
        assert!(text.contains("alerts[1].severity"), "{text}");
        assert!(text.contains("alerts[1].link"), "{text}");
        assert!(!text.contains("alerts[0]"), "{text}");
    }

    #[test]
    fn batch_size_is_bounded() {
        assert!(validate_batch(&[], 0).is_err());
        let many = vec![input(); MAX_BATCH + 1];
        assert!(validate_batch(&many, 0).is_err());
        let max = vec![input(); MAX_BATCH];
        assert_eq!(validate_batch(&max, 0).expect("valid").len(), MAX_BATCH);
    }

    #[test]
    fn idempotency_key_depends_on_dedup_time_and_action() {
        let events = validate_batch(&[input()], 1_000).expect("valid");
        let a = events[0].clone();
        let mut b = a.clone();
        assert_eq!(a.idempotency_key(), b.idempotency_key());
        b.action = AlertEventAction::Resolve;
        assert_ne!(a.idempotency_key(), b.idempotency_key());
        let mut c = a.clone();
        c.occurred_at_ms += 1;
        assert_ne!(a.idempotency_key(), c.idempotency_key());
    }

    #[test]
    fn limits_are_the_ones_alert_proto_states() {
        let refused = |change: fn(&mut AlertInput)| {
            let mut alert = input();
            change(&mut alert);
            validate_batch(&[alert], 0)
                .expect_err("refused")
                .to_string()
        };
        assert!(refused(|a| a.tool_source = "t".repeat(65)).contains("alerts[0].tool_source"));
        assert!(refused(|a| a.dedup_key = "k".repeat(256)).contains("alerts[0].dedup_key"));
        assert!(refused(|a| a.message = "m".repeat(4097)).contains("alerts[0].message"));
        assert!(refused(|a| a.message = "a\0b".into()).contains("NUL"));
        assert!(refused(|a| a.link = "http://".into()).contains("alerts[0].link"));
        assert!(refused(|a| a.link = "https://:80/x".into()).contains("alerts[0].link"));
        let mut fits = input();
        fits.tool_source = "t".repeat(64);
        fits.dedup_key = "k".repeat(255);
        fits.message = "é\n".repeat(2048);
        fits.link = "HTTPS://grafana.example/d/1?x=1".into();
        assert!(validate_batch(&[fits], 0).is_ok());
        let mut unnamed = input();
        unnamed.tool_source = String::new();
        let events = validate_batch(&[unnamed], 0).expect("valid");
        assert_eq!(events[0].tool_source, DEFAULT_TOOL_SOURCE);
    }

    #[test]
    fn a_company_list_picks_the_asset_label_and_the_answer_names_it() {
        let mut labels = BTreeMap::new();
        labels.insert("instance".to_owned(), "10.0.0.7:9100".to_owned());
        labels.insert("node".to_owned(), "worker-3:10250".to_owned());
        let mut event = validate_batch(&[input()], 0).expect("valid").remove(0);
        event.labels = labels;
        event.asset = "10.0.0.7".to_owned();
        event.dedup_key = "10.0.0.7|high_cpu".to_owned();
        // The format's own order: instance.
        assert_eq!(
            asset_label_of(&event, "alertmanager", &[]).as_deref(),
            Some("instance")
        );
        assert!(!apply_asset_labels(&mut event, "alertmanager", &[]));
        // The company's: node, then host.
        let company = vec!["host".to_owned(), "node".to_owned()];
        assert!(apply_asset_labels(&mut event, "alertmanager", &company));
        assert_eq!(event.asset, "worker-3");
        assert_eq!(event.dedup_key, "worker-3|high_cpu");
        assert_eq!(
            asset_label_of(&event, "alertmanager", &company).as_deref(),
            Some("node")
        );
        // Formats that name the asset directly are left alone.
        let mut seed = event.clone();
        seed.asset = "web-01".to_owned();
        assert!(!apply_asset_labels(&mut seed, "seed", &company));
        assert_eq!(asset_label_of(&seed, "seed", &company), None);
    }

    #[test]
    fn strips_ports_only_from_host_port_pairs() {
        assert_eq!(strip_port("web-01:9100"), "web-01");
        assert_eq!(strip_port("10.0.0.1:9100"), "10.0.0.1");
        assert_eq!(strip_port("[::1]:9100"), "::1");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
        assert_eq!(
            strip_port("https://example.com:8443/health"),
            "https://example.com:8443/health"
        );
        assert_eq!(strip_port("web-01"), "web-01");
        assert_eq!(strip_port(":9100"), ":9100");
    }

    #[test]
    fn far_future_is_refused() {
        let mut future = input();
        future.occur_time = Some(prost_types::Timestamp {
            seconds: 10_000_000,
            nanos: 0,
        });
        assert!(validate_batch(&[future], 0).is_err());
    }
}
