//! CloudWatch alarms delivered by Amazon SNS to an HTTPS subscription.
//!
//! Parsing has two steps so that the caller can verify the SNS signature
//! before trusting anything: [`parse`] reads the SNS envelope
//! (<https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html>)
//! into an [`SnsEnvelope`], [`sns_string_to_sign`] gives the bytes its
//! signature covers, and [`SnsNotification::alerts`] maps the CloudWatch alarm
//! JSON inside `Message` to alerts:
//!
//! | alarm | alert |
//! | --- | --- |
//! | the first resource dimension (`InstanceId`, `DBInstanceIdentifier`, `LoadBalancer`, `FunctionName`, …), else `AlarmName` | asset |
//! | `AlarmName` | signature |
//! | `NewStateValue` `ALARM` / `INSUFFICIENT_DATA` / `OK` | trigger (high) / trigger (low) / resolve (info); `severity=<level>` in `AlarmDescription` overrides |
//! | `AlarmDescription` and `NewStateReason` | message |
//! | `StateChangeTime` | occur_time |
//! | `cloudwatch:<account>:<region>:<AlarmName>` | dedup_key |
//! | `AlarmArn` | external_id |
//! | SNS `MessageId` | delivery_id (`sns:<MessageId>`) |
//! | dimensions, namespace, metric, account, region | labels |

use std::collections::BTreeMap;

use serde_json::Value;

use super::{FormatError, Object, fit_alert, non_blank, parse_json, severity_from_name, timestamp};
// Dimensions that name the affected resource, most specific first.
use crate::domain::ingest::CLOUDWATCH_ASSET_DIMENSIONS as ASSET_DIMENSIONS;
use crate::proto::v1::{AlertAction, AlertInput, Severity};

/// `tool_source` of the alerts.
const TOOL_SOURCE: &str = "cloudwatch";

/// An SNS message as POSTed to an HTTP(S) subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnsEnvelope {
    /// A message published to the topic (for CloudWatch, an alarm state change).
    Notification(SnsNotification),
    /// SNS asks to confirm a new subscription: an operator must visit
    /// `subscribe_url` (or call ConfirmSubscription with `token`).
    SubscriptionConfirmation(SnsSubscription),
    /// SNS reports that the subscription was removed.
    UnsubscribeConfirmation(SnsSubscription),
}

/// The fields of an SNS `Notification`, exactly as received (the signature
/// covers them byte for byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsNotification {
    /// Unique per published message; SNS retries reuse it.
    pub message_id: String,
    /// ARN of the topic, e.g. `arn:aws:sns:us-east-1:123456789012:alerts`.
    pub topic_arn: String,
    /// Subject given at publish time (CloudWatch sets one); signed only when present.
    pub subject: Option<String>,
    /// The published message: for CloudWatch, the alarm as JSON text.
    pub message: String,
    /// When SNS published the message (ISO 8601).
    pub timestamp: String,
    /// `1` (RSA-SHA1) or `2` (RSA-SHA256).
    pub signature_version: String,
    /// Base64 RSA signature over [`sns_string_to_sign`].
    pub signature: String,
    /// URL of the PEM certificate whose key made the signature.
    pub signing_cert_url: String,
    /// URL that unsubscribes the endpoint; absent in some test deliveries.
    pub unsubscribe_url: Option<String>,
}

/// The fields of an SNS `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsSubscription {
    /// Unique id of this message.
    pub message_id: String,
    /// Token for the ConfirmSubscription API call.
    pub token: String,
    /// ARN of the topic.
    pub topic_arn: String,
    /// Human-readable explanation from SNS.
    pub message: String,
    /// URL that confirms (or re-confirms) the subscription when visited.
    pub subscribe_url: String,
    /// When SNS sent the message (ISO 8601).
    pub timestamp: String,
    /// `1` (RSA-SHA1) or `2` (RSA-SHA256).
    pub signature_version: String,
    /// Base64 RSA signature over [`sns_string_to_sign`].
    pub signature: String,
    /// URL of the PEM certificate whose key made the signature.
    pub signing_cert_url: String,
}

impl SnsEnvelope {
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    pub fn message_type(&self) -> &'static str {
        match self {
            SnsEnvelope::Notification(_) => "Notification",
            SnsEnvelope::SubscriptionConfirmation(_) => "SubscriptionConfirmation",
            SnsEnvelope::UnsubscribeConfirmation(_) => "UnsubscribeConfirmation",
        }
    }

    /// The message id.
    pub fn message_id(&self) -> &str {
        match self {
            SnsEnvelope::Notification(n) => &n.message_id,
            SnsEnvelope::SubscriptionConfirmation(s) | SnsEnvelope::UnsubscribeConfirmation(s) => {
                &s.message_id
            }
        }
    }

    /// The topic ARN.
    pub fn topic_arn(&self) -> &str {
        match self {
            SnsEnvelope::Notification(n) => &n.topic_arn,
            SnsEnvelope::SubscriptionConfirmation(s) | SnsEnvelope::UnsubscribeConfirmation(s) => {
                &s.topic_arn
            }
        }
    }

    /// `1` (RSA-SHA1) or `2` (RSA-SHA256), as sent.
    pub fn signature_version(&self) -> &str {
        match self {
            SnsEnvelope::Notification(n) => &n.signature_version,
            SnsEnvelope::SubscriptionConfirmation(s) | SnsEnvelope::UnsubscribeConfirmation(s) => {
                &s.signature_version
            }
        }
    }

    /// The base64 signature, as sent.
    pub fn signature(&self) -> &str {
        match self {
            SnsEnvelope::Notification(n) => &n.signature,
            SnsEnvelope::SubscriptionConfirmation(s) | SnsEnvelope::UnsubscribeConfirmation(s) => {
                &s.signature
            }
        }
    }

    /// The signing certificate's URL, as sent (the caller checks its host).
    pub fn signing_cert_url(&self) -> &str {
        match self {
            SnsEnvelope::Notification(n) => &n.signing_cert_url,
            SnsEnvelope::SubscriptionConfirmation(s) | SnsEnvelope::UnsubscribeConfirmation(s) => {
                &s.signing_cert_url
            }
        }
    }

    /// The SNS timestamp, as sent.
    pub fn timestamp(&self) -> &str {
        match self {
            SnsEnvelope::Notification(n) => &n.timestamp,
            SnsEnvelope::SubscriptionConfirmation(s) | SnsEnvelope::UnsubscribeConfirmation(s) => {
                &s.timestamp
            }
        }
    }
}

/// Parses the SNS envelope. The alarm inside a notification is not read
/// here: call [`SnsNotification::alerts`] once the signature is verified.
pub fn parse(body: &[u8]) -> Result<SnsEnvelope, FormatError> {
    let value = parse_json(body)?;
    let root = Object::root(&value, "an SNS message")?;
    let Some(message_type) = root.text("Type")? else {
        if root.value("AlarmName").is_some() {
            return Err(FormatError::Unsupported(
                "a bare CloudWatch alarm without the SNS envelope; \
                 turn off raw message delivery on the subscription"
                    .to_owned(),
            ));
        }
        return Err(FormatError::missing("Type"));
    };
    match message_type.as_str() {
        "Notification" => Ok(SnsEnvelope::Notification(SnsNotification {
            message_id: raw_string(&root, "MessageId")?,
            topic_arn: raw_string(&root, "TopicArn")?,
            subject: optional_raw_string(&root, "Subject")?,
            message: raw_string(&root, "Message")?,
            timestamp: raw_string(&root, "Timestamp")?,
            signature_version: raw_string(&root, "SignatureVersion")?,
            signature: raw_string(&root, "Signature")?,
            signing_cert_url: raw_string(&root, "SigningCertURL")?,
            unsubscribe_url: optional_raw_string(&root, "UnsubscribeURL")?,
        })),
        "SubscriptionConfirmation" => {
            Ok(SnsEnvelope::SubscriptionConfirmation(subscription(&root)?))
        }
        "UnsubscribeConfirmation" => Ok(SnsEnvelope::UnsubscribeConfirmation(subscription(&root)?)),
        other => Err(FormatError::invalid(
            "Type",
            format!(
                "unknown SNS message type {other:?} (Notification, SubscriptionConfirmation \
                 or UnsubscribeConfirmation)"
            ),
        )),
    }
}

fn subscription(root: &Object<'_>) -> Result<SnsSubscription, FormatError> {
    Ok(SnsSubscription {
        message_id: raw_string(root, "MessageId")?,
        token: raw_string(root, "Token")?,
        topic_arn: raw_string(root, "TopicArn")?,
        message: raw_string(root, "Message")?,
        subscribe_url: raw_string(root, "SubscribeURL")?,
        timestamp: raw_string(root, "Timestamp")?,
        signature_version: raw_string(root, "SignatureVersion")?,
        signature: raw_string(root, "Signature")?,
        signing_cert_url: raw_string(root, "SigningCertURL")?,
    })
}

/// A string field exactly as sent (not trimmed: the signature covers it).
fn optional_raw_string(root: &Object<'_>, name: &str) -> Result<Option<String>, FormatError> {
    match root.value(name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(FormatError::invalid(
            name,
            format!("expected a string, got {}", super::kind(other)),
        )),
    }
}

fn raw_string(root: &Object<'_>, name: &str) -> Result<String, FormatError> {
    optional_raw_string(root, name)?
        .filter(|text| !text.is_empty())
        .ok_or_else(|| FormatError::missing(name))
}

/// The string an SNS signature covers: `Name\nvalue\n` for each signed field
/// in byte order of the names. Notifications sign Message, MessageId, Subject
/// (only when present), Timestamp, TopicArn and Type; subscription messages
/// sign Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn and Type
/// (<https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html>).
/// The signature itself is RSA with SHA1 (`SignatureVersion` 1) or SHA256 (2)
/// over these bytes.
pub fn sns_string_to_sign(envelope: &SnsEnvelope) -> String {
    let mut fields: Vec<(&str, &str)> = Vec::with_capacity(7);
    match envelope {
        SnsEnvelope::Notification(n) => {
            fields.push(("Message", &n.message));
            fields.push(("MessageId", &n.message_id));
            if let Some(subject) = &n.subject {
                fields.push(("Subject", subject));
            }
            fields.push(("Timestamp", &n.timestamp));
            fields.push(("TopicArn", &n.topic_arn));
        }
        SnsEnvelope::SubscriptionConfirmation(s) | SnsEnvelope::UnsubscribeConfirmation(s) => {
            fields.push(("Message", &s.message));
            fields.push(("MessageId", &s.message_id));
            fields.push(("SubscribeURL", &s.subscribe_url));
            fields.push(("Timestamp", &s.timestamp));
            fields.push(("Token", &s.token));
            fields.push(("TopicArn", &s.topic_arn));
        }
    }
    fields.push(("Type", envelope.message_type()));
    let mut text = String::new();
    for (name, value) in fields {
        text.push_str(name);
        text.push('\n');
        text.push_str(value);
        text.push('\n');
    }
    text
}

impl SnsNotification {
    /// Maps the CloudWatch alarm JSON in `Message` to one alert. A message
    /// that is not an alarm (another publisher on the topic, an EventBridge
    /// event) is [`FormatError::Unsupported`].
    pub fn alerts(&self) -> Result<Vec<AlertInput>, FormatError> {
        let value: Value = serde_json::from_str(&self.message).map_err(|error| {
            FormatError::Unsupported(format!(
                "the SNS Message is not a CloudWatch alarm (not JSON: {error})"
            ))
        })?;
        let alarm = Object::at(&value, "Message").map_err(|_| {
            FormatError::Unsupported("the SNS Message is not a CloudWatch alarm".to_owned())
        })?;
        if alarm.value("AlarmName").is_none() {
            return Err(FormatError::Unsupported(
                "the SNS Message is not a CloudWatch alarm (no AlarmName)".to_owned(),
            ));
        }
        Ok(vec![self.alarm_alert(&alarm)?])
    }

    fn alarm_alert(&self, alarm: &Object<'_>) -> Result<AlertInput, FormatError> {
        let name = alarm.required_text("AlarmName")?;
        let state = alarm.required_text("NewStateValue")?;
        let description = alarm.text("AlarmDescription")?;
        let (action, default_severity) = match state.as_str() {
            "ALARM" => (AlertAction::Trigger, Severity::High),
            "INSUFFICIENT_DATA" => (AlertAction::Trigger, Severity::Low),
            "OK" => (AlertAction::Resolve, Severity::Info),
            other => {
                return Err(FormatError::invalid(
                    alarm.path_of("NewStateValue"),
                    format!("unknown alarm state {other:?} (ALARM, OK or INSUFFICIENT_DATA)"),
                ));
            }
        };
        let severity = match action {
            AlertAction::Resolve => default_severity,
            _ => description
                .as_deref()
                .and_then(described_severity)
                .unwrap_or(default_severity),
        };

        let alarm_arn = alarm.text("AlarmArn")?;
        let arn = alarm_arn
            .as_deref()
            .and_then(Arn::parse)
            .or_else(|| Arn::parse(&self.topic_arn));
        let region = arn
            .as_ref()
            .map(|arn| arn.region.to_owned())
            .filter(|region| !region.is_empty())
            .or(alarm.text("Region")?)
            .unwrap_or_default();
        let account = alarm
            .text("AWSAccountId")?
            .or_else(|| arn.as_ref().map(|arn| arn.account.to_owned()))
            .unwrap_or_default();

        let trigger = alarm.object("Trigger", "Message.Trigger")?;
        let metric = match &trigger {
            Some(trigger) => Metric::of_trigger(trigger)?,
            None => Metric::default(),
        };
        let mut labels: BTreeMap<String, String> = metric.dimensions.clone();
        for (label, value) in [
            ("namespace", metric.namespace.clone()),
            ("metric_name", metric.name.clone()),
            ("aws_account_id", non_blank(&account)),
            ("region", non_blank(&region)),
            ("alarm_state", Some(state.clone())),
        ] {
            if let Some(value) = value {
                labels.entry(label.to_owned()).or_insert(value);
            }
        }

        let asset = ASSET_DIMENSIONS
            .iter()
            .find_map(|dimension| metric.dimensions.get(*dimension))
            .map(|value| match metric.dimensions.get("ClusterName") {
                // An ECS service is named within its cluster.
                Some(cluster) if metric.dimensions.get("ServiceName") == Some(value) => {
                    format!("{cluster}/{value}")
                }
                _ => value.clone(),
            })
            .or_else(|| metric.dimensions.values().next().cloned())
            .unwrap_or_else(|| name.clone());
        let reason = alarm.text("NewStateReason")?;
        let message = match (&description, reason) {
            (Some(description), Some(reason)) => format!("{description}\n\n{reason}"),
            (Some(text), None) => text.clone(),
            (None, Some(text)) => text,
            (None, None) => format!("{name} is {state}"),
        };
        let occur_time = match alarm.text("StateChangeTime")? {
            None => None,
            Some(text) => Some(timestamp::parse_rfc3339(&text).ok_or_else(|| {
                FormatError::invalid(
                    alarm.path_of("StateChangeTime"),
                    format!("{text:?} is not an ISO 8601 date-time"),
                )
            })?),
        };
        let link = arn
            .as_ref()
            .filter(|arn| !arn.region.is_empty())
            .map(|arn| console_link(arn, &name))
            .unwrap_or_default();

        Ok(fit_alert(AlertInput {
            asset,
            signature: name.clone(),
            severity: severity.into(),
            message,
            tool_source: TOOL_SOURCE.to_owned(),
            labels: labels.into_iter().collect(),
            occur_time,
            action: action.into(),
            dedup_key: format!("cloudwatch:{account}:{region}:{name}"),
            external_id: alarm_arn.unwrap_or_default(),
            link,
            delivery_id: format!("sns:{}", self.message_id),
        }))
    }
}

/// The metric an alarm watches: `Trigger.MetricName`/`Namespace`/`Dimensions`,
/// or for a metric math alarm the `MetricStat` metrics of `Trigger.Metrics`.
#[derive(Default)]
struct Metric {
    namespace: Option<String>,
    name: Option<String>,
    dimensions: BTreeMap<String, String>,
}

impl Metric {
    fn of_trigger(trigger: &Object<'_>) -> Result<Self, FormatError> {
        let mut metric = Metric {
            namespace: trigger.text("Namespace")?,
            name: trigger.text("MetricName")?,
            dimensions: BTreeMap::new(),
        };
        if let Some(dimensions) = trigger.array("Dimensions")? {
            add_dimensions(&mut metric.dimensions, dimensions);
        }
        for query in trigger.array("Metrics")?.into_iter().flatten() {
            let Some(stat_metric) = query
                .get("MetricStat")
                .and_then(|stat| stat.get("Metric"))
                .and_then(Value::as_object)
            else {
                continue;
            };
            let text = |name: &str| {
                stat_metric
                    .get(name)
                    .and_then(Value::as_str)
                    .and_then(non_blank)
            };
            metric.namespace = metric.namespace.or_else(|| text("Namespace"));
            metric.name = metric.name.or_else(|| text("MetricName"));
            if let Some(Value::Array(dimensions)) = stat_metric.get("Dimensions") {
                add_dimensions(&mut metric.dimensions, dimensions);
            }
        }
        Ok(metric)
    }
}

/// `[{"name": "InstanceId", "value": "i-0abc"}]` into the map; entries of any
/// other shape are skipped.
fn add_dimensions(into: &mut BTreeMap<String, String>, dimensions: &[Value]) {
    for dimension in dimensions {
        let field = |name: &str| {
            dimension
                .get(name)
                .or_else(|| dimension.get(capitalized(name)))
                .and_then(Value::as_str)
                .and_then(non_blank)
        };
        if let (Some(name), Some(value)) = (field("name"), field("value")) {
            into.entry(name).or_insert(value);
        }
    }
}

fn capitalized(name: &str) -> &'static str {
    match name {
        "name" => "Name",
        _ => "Value",
    }
}

/// `severity=critical` or `severity: critical` in an alarm description.
fn described_severity(description: &str) -> Option<Severity> {
    let lower = description.to_ascii_lowercase();
    let (_, after) = lower.split_once("severity")?;
    let after = after.trim_start().strip_prefix(['=', ':'])?.trim_start();
    let word: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    severity_from_name(&word)
}

/// The parts of an ARN we use: `arn:<partition>:<service>:<region>:<account>:…`.
struct Arn<'a> {
    partition: &'a str,
    region: &'a str,
    account: &'a str,
}

impl<'a> Arn<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let partition = parts.next()?;
        let _service = parts.next()?;
        let region = parts.next()?;
        let account = parts.next()?;
        Some(Arn {
            partition,
            region,
            account,
        })
    }
}

/// The alarm's page in the CloudWatch console of its partition.
fn console_link(arn: &Arn<'_>, alarm_name: &str) -> String {
    let domain = match arn.partition {
        "aws-cn" => "console.amazonaws.cn",
        "aws-us-gov" => "console.amazonaws-us-gov.com",
        _ => "console.aws.amazon.com",
    };
    let region = super::percent_encode(arn.region);
    format!(
        "https://{region}.{domain}/cloudwatch/home?region={region}#alarmsV2:alarm/{}",
        super::percent_encode(alarm_name)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::testing;
    use super::*;
    use proptest::prelude::*;

    // A CloudWatch alarm notification as SNS delivers it to an HTTPS endpoint.
    const ALARM: &str = r#"{
  "Type" : "Notification",
  "MessageId" : "c5bfb5a7-6c4d-5d40-8fb9-3c0e4b3e9e5c",
  "TopicArn" : "arn:aws:sns:us-east-1:123456789012:alert-whisperer",
  "Subject" : "ALARM: \"web-01-high-cpu\" in US East (N. Virginia)",
  "Message" : "{\"AlarmName\":\"web-01-high-cpu\",\"AlarmDescription\":\"CPU above 80% on web-01\",\"AWSAccountId\":\"123456789012\",\"AlarmConfigurationUpdatedTimestamp\":\"2024-05-01T11:41:08.327+0000\",\"NewStateValue\":\"ALARM\",\"NewStateReason\":\"Threshold Crossed: 1 out of the last 1 datapoints [99.5 (01/05/24 11:55:00)] was greater than or equal to the threshold (80.0) (minimum 1 datapoint for OK -> ALARM transition).\",\"StateChangeTime\":\"2024-05-01T12:00:58.469+0000\",\"Region\":\"US East (N. Virginia)\",\"AlarmArn\":\"arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-01-high-cpu\",\"OldStateValue\":\"OK\",\"OKActions\":[\"arn:aws:sns:us-east-1:123456789012:alert-whisperer\"],\"AlarmActions\":[\"arn:aws:sns:us-east-1:123456789012:alert-whisperer\"],\"InsufficientDataActions\":[],\"Trigger\":{\"MetricName\":\"CPUUtilization\",\"Namespace\":\"AWS/EC2\",\"StatisticType\":\"Statistic\",\"Statistic\":\"AVERAGE\",\"Unit\":null,\"Dimensions\":[{\"value\":\"i-0abc123def4567890\",\"name\":\"InstanceId\"}],\"Period\":300,\"EvaluationPeriods\":1,\"DatapointsToAlarm\":1,\"ComparisonOperator\":\"GreaterThanOrEqualToThreshold\",\"Threshold\":80.0,\"TreatMissingData\":\"missing\",\"EvaluateLowSampleCountPercentile\":\"\"}}",
  "Timestamp" : "2024-05-01T12:00:58.512Z",
  "SignatureVersion" : "1",
  "Signature" : "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
  "SigningCertURL" : "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
  "UnsubscribeURL" : "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:alert-whisperer:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"
}"#;

    // The SubscriptionConfirmation example of the SNS developer guide.
    const CONFIRMATION: &str = r#"{
  "Type" : "SubscriptionConfirmation",
  "MessageId" : "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
  "Token" : "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Message" : "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
  "SubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
  "Timestamp" : "2012-04-26T20:45:04.751Z",
  "SignatureVersion" : "1",
  "Signature" : "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
}"#;

    fn notification(body: &str) -> SnsNotification {
        match parse(body.as_bytes()).unwrap() {
            SnsEnvelope::Notification(notification) => notification,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_an_alarm_notification() {
        let notification = notification(ALARM);
        assert_eq!(
            notification.subject.as_deref(),
            Some("ALARM: \"web-01-high-cpu\" in US East (N. Virginia)")
        );
        let alerts = notification.alerts().unwrap();
        assert_eq!(alerts.len(), 1);
        let alert = &alerts[0];
        assert_eq!(alert.asset, "i-0abc123def4567890");
        assert_eq!(alert.signature, "web-01-high-cpu");
        assert_eq!(alert.severity(), Severity::High);
        assert_eq!(alert.action(), AlertAction::Trigger);
        assert!(
            alert
                .message
                .starts_with("CPU above 80% on web-01\n\nThreshold Crossed")
        );
        assert_eq!(alert.tool_source, "cloudwatch");
        assert_eq!(
            alert.dedup_key,
            "cloudwatch:123456789012:us-east-1:web-01-high-cpu"
        );
        assert_eq!(
            alert.external_id,
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-01-high-cpu"
        );
        assert_eq!(
            alert.delivery_id,
            "sns:c5bfb5a7-6c4d-5d40-8fb9-3c0e4b3e9e5c"
        );
        assert_eq!(
            alert.link,
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1\
             #alarmsV2:alarm/web-01-high-cpu"
        );
        assert_eq!(alert.labels["InstanceId"], "i-0abc123def4567890");
        assert_eq!(alert.labels["namespace"], "AWS/EC2");
        assert_eq!(alert.labels["metric_name"], "CPUUtilization");
        assert_eq!(alert.labels["region"], "us-east-1");
        let occur_time = alert.occur_time.unwrap();
        assert_eq!(
            (occur_time.seconds, occur_time.nanos),
            (1_714_564_858, 469_000_000)
        );
    }

    #[test]
    fn ok_resolves_the_same_dedup_key() {
        let ok = ALARM.replace(
            r#"\"NewStateValue\":\"ALARM\""#,
            r#"\"NewStateValue\":\"OK\""#,
        );
        let alert = &notification(&ok).alerts().unwrap()[0];
        assert_eq!(alert.action(), AlertAction::Resolve);
        assert_eq!(alert.severity(), Severity::Info);
        assert_eq!(
            alert.dedup_key,
            "cloudwatch:123456789012:us-east-1:web-01-high-cpu"
        );
    }

    #[test]
    fn reads_metric_math_and_composite_alarms() {
        let message = r#"{"AlarmName":"api 5xx ratio","AlarmDescription":"severity=critical, page the on-call",
            "NewStateValue":"INSUFFICIENT_DATA","StateChangeTime":"2024-05-01T12:00:00.000+0000",
            "AlarmArn":"arn:aws-cn:cloudwatch:cn-north-1:210987654321:alarm:api 5xx ratio",
            "Trigger":{"Metrics":[{"Id":"e1","Expression":"m1/m2","ReturnData":true},
              {"Id":"m1","MetricStat":{"Metric":{"Dimensions":[{"value":"app/api/50dc6c495c0c9188","name":"LoadBalancer"}],
                "MetricName":"HTTPCode_Target_5XX_Count","Namespace":"AWS/ApplicationELB"},"Period":60,"Stat":"Sum"},"ReturnData":false}]}}"#;
        let notification = SnsNotification {
            message_id: "m-1".to_owned(),
            topic_arn: "arn:aws-cn:sns:cn-north-1:210987654321:alerts".to_owned(),
            subject: None,
            message: message.to_owned(),
            timestamp: "2024-05-01T12:00:00.100Z".to_owned(),
            signature_version: "2".to_owned(),
            signature: "x".to_owned(),
            signing_cert_url: "https://sns.cn-north-1.amazonaws.com.cn/x.pem".to_owned(),
            unsubscribe_url: None,
        };
        let alert = &notification.alerts().unwrap()[0];
        assert_eq!(alert.asset, "app/api/50dc6c495c0c9188");
        assert_eq!(alert.severity(), Severity::Critical);
        assert_eq!(alert.action(), AlertAction::Trigger);
        assert_eq!(alert.labels["metric_name"], "HTTPCode_Target_5XX_Count");
        assert_eq!(
            alert.dedup_key,
            "cloudwatch:210987654321:cn-north-1:api 5xx ratio"
        );
        assert_eq!(
            alert.link,
            "https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1\
             #alarmsV2:alarm/api%205xx%20ratio"
        );

        let composite = SnsNotification {
            message: r#"{"AlarmName":"checkout-down","NewStateValue":"ALARM","AWSAccountId":"1",
                "AlarmRule":"ALARM(a) AND ALARM(b)","Region":"EU (Ireland)"}"#
                .to_owned(),
            topic_arn: "not-an-arn".to_owned(),
            ..notification
        };
        let alert = &composite.alerts().unwrap()[0];
        assert_eq!(alert.asset, "checkout-down");
        assert_eq!(alert.dedup_key, "cloudwatch:1:EU (Ireland):checkout-down");
        assert!(alert.link.is_empty());
    }

    #[test]
    fn parses_subscription_messages() {
        let SnsEnvelope::SubscriptionConfirmation(confirmation) =
            parse(CONFIRMATION.as_bytes()).unwrap()
        else {
            panic!("not a confirmation");
        };
        assert!(
            confirmation
                .subscribe_url
                .starts_with("https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription")
        );
        let unsubscribe =
            CONFIRMATION.replace("SubscriptionConfirmation", "UnsubscribeConfirmation");
        let envelope = parse(unsubscribe.as_bytes()).unwrap();
        assert!(matches!(envelope, SnsEnvelope::UnsubscribeConfirmation(_)));
        assert_eq!(envelope.message_type(), "UnsubscribeConfirmation");
        assert_eq!(envelope.signature_version(), "1");
        assert_eq!(
            envelope.topic_arn(),
            "arn:aws:sns:us-west-2:123456789012:MyTopic"
        );
    }

    #[test]
    fn builds_the_string_to_sign() {
        let notification = SnsEnvelope::Notification(SnsNotification {
            message_id: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324".to_owned(),
            topic_arn: "arn:aws:sns:us-west-2:123456789012:MyTopic".to_owned(),
            subject: Some("My First Message".to_owned()),
            message: "Hello world!".to_owned(),
            timestamp: "2012-05-02T00:54:06.655Z".to_owned(),
            signature_version: "1".to_owned(),
            signature: "EXAMPLE".to_owned(),
            signing_cert_url: "https://sns.us-west-2.amazonaws.com/x.pem".to_owned(),
            unsubscribe_url: None,
        });
        assert_eq!(
            sns_string_to_sign(&notification),
            "Message\nHello world!\nMessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n\
             Subject\nMy First Message\nTimestamp\n2012-05-02T00:54:06.655Z\n\
             TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nNotification\n"
        );
        let SnsEnvelope::Notification(mut without_subject) = notification else {
            unreachable!()
        };
        without_subject.subject = None;
        assert!(
            !sns_string_to_sign(&SnsEnvelope::Notification(without_subject)).contains("Subject")
        );

        let SnsEnvelope::SubscriptionConfirmation(mut confirmation) =
            parse(CONFIRMATION.as_bytes()).unwrap()
        else {
            panic!("not a confirmation");
        };
        // The message's own newline is kept as it is.
        confirmation.message = "line one\nline two".to_owned();
        confirmation.token = "t0k3n".to_owned();
        confirmation.subscribe_url = "https://sns.us-west-2.amazonaws.com/?Action=x".to_owned();
        assert_eq!(
            sns_string_to_sign(&SnsEnvelope::UnsubscribeConfirmation(confirmation)),
            "Message\nline one\nline two\nMessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n\
             SubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?Action=x\n\
             Timestamp\n2012-04-26T20:45:04.751Z\nToken\nt0k3n\n\
             TopicArn\narn:aws:sns:us-west-2:123456789012:MyTopic\nType\nUnsubscribeConfirmation\n"
        );
    }

    #[test]
    fn names_the_field_at_fault() {
        let without_signature = CONFIRMATION.replace("\"Signature\" :", "\"Unsigned\" :");
        assert_eq!(
            parse(without_signature.as_bytes()).unwrap_err(),
            FormatError::missing("Signature")
        );
        assert_eq!(
            parse(br#"{"Type":"Notification","MessageId":7}"#)
                .unwrap_err()
                .field(),
            Some("MessageId")
        );
        assert_eq!(
            parse(br#"{"Type":"Bogus"}"#).unwrap_err().field(),
            Some("Type")
        );
        assert_eq!(parse(b"{}").unwrap_err(), FormatError::missing("Type"));
        assert!(matches!(
            parse(br#"{"AlarmName":"raw"}"#).unwrap_err(),
            FormatError::Unsupported(_)
        ));

        let mut plain = notification(ALARM);
        plain.message = "Hello world!".to_owned();
        assert!(matches!(plain.alerts(), Err(FormatError::Unsupported(_))));
        plain.message = r#"{"detail-type":"CloudWatch Alarm State Change"}"#.to_owned();
        assert!(matches!(plain.alerts(), Err(FormatError::Unsupported(_))));
        plain.message = r#"{"AlarmName":"a","NewStateValue":"PENDING"}"#.to_owned();
        assert_eq!(
            plain.alerts().unwrap_err().field(),
            Some("Message.NewStateValue")
        );
        plain.message = r#"{"AlarmName":"a","NewStateValue":"OK","Trigger":[]}"#.to_owned();
        assert_eq!(plain.alerts().unwrap_err().field(), Some("Message.Trigger"));
    }

    const KEYS: &[&str] = &[
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "SubscribeURL",
        "Token",
    ];

    const ALARM_KEYS: &[&str] = &[
        "AlarmName",
        "AlarmDescription",
        "AWSAccountId",
        "NewStateValue",
        "NewStateReason",
        "StateChangeTime",
        "Region",
        "AlarmArn",
        "Trigger",
        "MetricName",
        "Namespace",
        "Dimensions",
        "Metrics",
        "MetricStat",
        "Metric",
        "name",
        "value",
    ];

    fn alerts_of(message: String) -> Result<Vec<AlertInput>, FormatError> {
        SnsNotification {
            message_id: "m".to_owned(),
            topic_arn: "arn:aws:sns:us-east-1:1:t".to_owned(),
            subject: None,
            message,
            timestamp: "t".to_owned(),
            signature_version: "1".to_owned(),
            signature: "s".to_owned(),
            signing_cert_url: "u".to_owned(),
            unsubscribe_url: None,
        }
        .alerts()
    }

    proptest! {
        #[test]
        fn never_panics_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(envelope) = parse(&body) {
                let _ = sns_string_to_sign(&envelope);
            }
        }

        #[test]
        fn never_panics_on_jsonish_text(body in testing::jsonish_text()) {
            let _ = parse(body.as_bytes());
            let _ = alerts_of(body);
        }

        #[test]
        fn never_panics_on_json(value in testing::json_with_keys(KEYS)) {
            if let Ok(SnsEnvelope::Notification(notification)) = parse(value.to_string().as_bytes()) {
                let _ = notification.alerts();
            }
        }

        #[test]
        fn never_panics_on_alarms(value in testing::json_with_keys(ALARM_KEYS)) {
            let _ = alerts_of(value.to_string());
        }
    }
}
