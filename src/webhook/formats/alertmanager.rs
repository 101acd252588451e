//! Prometheus Alertmanager's webhook payload, version 4
//! (<https://prometheus.io/docs/alerting/latest/configuration/#webhook_config>),
//! and the same shape as older Alertmanagers (version 3) and Grafana
//! alerting's webhook contact point send it (`"version": "1"` with `orgId`,
//! plus `values`, `silenceURL`, `dashboardURL`, … which are not needed here;
//! <https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/>).
//!
//! One notification carries a group of alerts; each becomes one alert here:
//!
//! | Alertmanager | alert |
//! | --- | --- |
//! | `labels.instance` without `:port`, else `host`, `hostname`, `node`, `pod`, `job`, `service` | asset |
//! | `labels.alertname` (required) | signature |
//! | `labels.severity` (`critical`, `warning`, `info`, …; default medium) | severity |
//! | `annotations.summary` and `description` (or `message`) | message |
//! | `status` `firing` / `resolved` | action trigger / resolve |
//! | `startsAt` (firing), `endsAt` (resolved) | occur_time |
//! | `fingerprint` (else the same FNV-1a hash of the labels Alertmanager uses) | dedup_key, external_id |
//! | `generatorURL`, else `externalURL` | link |
//! | all labels | labels |

use std::collections::BTreeMap;

use prost_types::Timestamp;

use super::{FormatError, Object, fit_alert, parse_json, severity_from_name, timestamp};
use crate::domain::ingest::{format_asset_labels, strip_port};
use crate::proto::v1::{AlertAction, AlertInput, Severity};

/// Who sent a notification of this shape: its `tool_source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sender {
    Alertmanager,
    Grafana,
}

impl Sender {
    /// The sender a notification names by its `version` (and, for Grafana,
    /// its `orgId`); a version that could mean something else is refused
    /// rather than misread.
    fn of(root: &Object<'_>) -> Result<Self, FormatError> {
        let version = root.text("version")?;
        match version.as_deref() {
            None | Some("4" | "3") => Ok(Sender::Alertmanager),
            Some("1") if root.value("orgId").is_some() => Ok(Sender::Grafana),
            Some(version) => Err(FormatError::Unsupported(format!(
                "Alertmanager webhook version {version:?}: versions 3 and 4 are known, and \
                 version 1 with orgId from Grafana"
            ))),
        }
    }

    fn tool_source(self) -> &'static str {
        match self {
            Sender::Alertmanager => "alertmanager",
            Sender::Grafana => "grafana",
        }
    }
}

/// Parses an Alertmanager (or Grafana alerting) webhook notification into
/// one alert per entry of `alerts`.
pub fn parse(body: &[u8]) -> Result<Vec<AlertInput>, FormatError> {
    let value = parse_json(body)?;
    let root = Object::root(&value, "an Alertmanager webhook notification")?;
    let sender = Sender::of(&root)?;
    let group_status = root.text("status")?;
    let external_url = root.text("externalURL")?;
    let alerts = root
        .array("alerts")?
        .ok_or_else(|| FormatError::missing("alerts"))?;
    if alerts.is_empty() {
        return Err(FormatError::Unsupported(
            "the notification holds no alerts".to_owned(),
        ));
    }
    let paths: Vec<String> = (0..alerts.len())
        .map(|index| format!("alerts[{index}]"))
        .collect();
    alerts
        .iter()
        .zip(&paths)
        .map(|(item, path)| {
            alert(
                Object::at(item, path)?,
                sender,
                group_status.as_deref(),
                external_url.as_deref(),
            )
        })
        .collect()
}

fn alert(
    object: Object<'_>,
    sender: Sender,
    group_status: Option<&str>,
    external_url: Option<&str>,
) -> Result<AlertInput, FormatError> {
    let labels = object.labels("labels")?;
    let annotations = object.labels("annotations")?;
    let signature = labels
        .get("alertname")
        .and_then(|name| super::non_blank(name))
        .ok_or_else(|| FormatError::missing(object.path_of("labels.alertname")))?;

    let status = object.text("status")?;
    let resolved = match status.as_deref().or(group_status) {
        None => false,
        Some(status) if status.eq_ignore_ascii_case("firing") => false,
        Some(status) if status.eq_ignore_ascii_case("resolved") => true,
        Some(other) => {
            return Err(FormatError::invalid(
                object.path_of("status"),
                format!("unknown status {other:?} (firing or resolved)"),
            ));
        }
    };
    let starts_at = time_field(&object, "startsAt")?;
    let ends_at = time_field(&object, "endsAt")?;
    let (action, occur_time) = if resolved {
        (AlertAction::Resolve, ends_at)
    } else {
        (AlertAction::Trigger, starts_at)
    };

    let fingerprint = match object.text("fingerprint")? {
        Some(fingerprint) => fingerprint,
        None => format!("{:016x}", labels_fingerprint(&labels)),
    };
    let link = object
        .text("generatorURL")?
        .filter(|link| super::is_http_url(link))
        .or_else(|| external_url.map(str::to_owned))
        .unwrap_or_default();

    Ok(fit_alert(AlertInput {
        asset: asset(&labels),
        signature,
        severity: severity(&labels).into(),
        message: message(&annotations, &labels),
        tool_source: sender.tool_source().to_owned(),
        occur_time,
        action: action.into(),
        dedup_key: fingerprint.clone(),
        external_id: fingerprint,
        link,
        delivery_id: String::new(),
        labels: labels.into_iter().collect(),
    }))
}

/// A date-time field; Go's zero time (`0001-01-01T00:00:00Z`, the `endsAt` of a
/// firing alert) counts as absent.
fn time_field(object: &Object<'_>, name: &str) -> Result<Option<Timestamp>, FormatError> {
    let Some(text) = object.text(name)? else {
        return Ok(None);
    };
    let time = timestamp::parse_rfc3339(&text).ok_or_else(|| {
        FormatError::invalid(
            object.path_of(name),
            format!("{text:?} is not an RFC 3339 date-time"),
        )
    })?;
    Ok((time.seconds > 0).then_some(time))
}

fn asset(labels: &BTreeMap<String, String>) -> String {
    // The port is stripped from `instance` only (`host:port` is what
    // Prometheus puts there); other labels are kept as they are.
    let order = format_asset_labels("alertmanager").unwrap_or_default();
    if let Some(instance) = labels.get(order[0]).and_then(|i| super::non_blank(i)) {
        return strip_port(&instance).to_owned();
    }
    order[1..]
        .iter()
        .find_map(|name| labels.get(*name).and_then(|value| super::non_blank(value)))
        .unwrap_or_default()
}

fn severity(labels: &BTreeMap<String, String>) -> Severity {
    labels
        .get("severity")
        .or_else(|| labels.get("priority"))
        .and_then(|name| severity_from_name(name))
        .unwrap_or(Severity::Medium)
}

fn message(annotations: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> String {
    let text = |name: &str| annotations.get(name).and_then(|v| super::non_blank(v));
    let summary = text("summary");
    let description = text("description").or_else(|| text("message"));
    match (summary, description) {
        (Some(summary), Some(description)) if summary != description => {
            format!("{summary}\n\n{description}")
        }
        (Some(text), _) | (None, Some(text)) => text,
        (None, None) => labels.get("alertname").cloned().unwrap_or_default(),
    }
}

// Alertmanager's fingerprint of a label set (prometheus/common
// model.LabelsToSignature): FNV-1a 64 over the labels sorted by name, each
// name and value followed by the byte 0xff, which cannot occur in UTF-8.
fn labels_fingerprint(labels: &BTreeMap<String, String>) -> u64 {
    const OFFSET: u64 = 14_695_981_039_346_656_037;
    const PRIME: u64 = 1_099_511_628_211;
    const SEPARATOR: u8 = 0xff;
    let mut hash = OFFSET;
    let mut add = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for (name, value) in labels {
        add(name.as_bytes());
        add(&[SEPARATOR]);
        add(value.as_bytes());
        add(&[SEPARATOR]);
    }
    hash
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::testing;
    use super::*;
    use proptest::prelude::*;

    // The example of Alertmanager's webhook documentation, filled in the way
    // Alertmanager 0.27 sends it: one firing and one resolved alert in a group.
    const NOTIFICATION: &str = r#"{
      "receiver": "alert-whisperer",
      "status": "firing",
      "alerts": [
        {
          "status": "firing",
          "labels": {
            "alertname": "NodeFilesystemAlmostOutOfSpace",
            "device": "/dev/sda1",
            "fstype": "ext4",
            "instance": "web-01.example.com:9100",
            "job": "node",
            "mountpoint": "/",
            "severity": "warning"
          },
          "annotations": {
            "description": "Filesystem on /dev/sda1 at web-01.example.com:9100 has only 4.21% available space left.",
            "runbook_url": "https://runbooks.prometheus-operator.dev/runbooks/node/nodefilesystemalmostoutofspace",
            "summary": "Filesystem has less than 5% space left."
          },
          "startsAt": "2024-05-01T12:00:07.351Z",
          "endsAt": "0001-01-01T00:00:00Z",
          "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=node_filesystem_avail_bytes&g0.tab=1",
          "fingerprint": "3bc3b4d4d2e8a8a6"
        },
        {
          "status": "resolved",
          "labels": {
            "alertname": "NodeFilesystemAlmostOutOfSpace",
            "device": "/dev/sdb1",
            "instance": "[2001:db8::7]:9100",
            "job": "node",
            "severity": "critical"
          },
          "annotations": {
            "summary": "Filesystem has less than 3% space left."
          },
          "startsAt": "2024-05-01T11:40:07.351Z",
          "endsAt": "2024-05-01T12:05:07.351Z",
          "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=x",
          "fingerprint": "9a0b6c4e1f2d3c4b"
        }
      ],
      "groupLabels": {"alertname": "NodeFilesystemAlmostOutOfSpace"},
      "commonLabels": {"alertname": "NodeFilesystemAlmostOutOfSpace", "job": "node"},
      "commonAnnotations": {},
      "externalURL": "http://alertmanager.example.com:9093",
      "version": "4",
      "groupKey": "{}:{alertname=\"NodeFilesystemAlmostOutOfSpace\"}",
      "truncatedAlerts": 0
    }"#;

    #[test]
    fn parses_a_group_of_firing_and_resolved_alerts() {
        let alerts = parse(NOTIFICATION.as_bytes()).unwrap();
        assert_eq!(alerts.len(), 2);

        let firing = &alerts[0];
        assert_eq!(firing.asset, "web-01.example.com");
        assert_eq!(firing.signature, "NodeFilesystemAlmostOutOfSpace");
        assert_eq!(firing.severity(), Severity::Medium);
        assert_eq!(firing.action(), AlertAction::Trigger);
        assert_eq!(
            firing.message,
            "Filesystem has less than 5% space left.\n\nFilesystem on /dev/sda1 at \
             web-01.example.com:9100 has only 4.21% available space left."
        );
        assert_eq!(firing.tool_source, "alertmanager");
        assert_eq!(firing.dedup_key, "3bc3b4d4d2e8a8a6");
        assert_eq!(firing.external_id, "3bc3b4d4d2e8a8a6");
        assert_eq!(firing.labels.len(), 7);
        assert_eq!(firing.labels["mountpoint"], "/");
        let starts_at = firing.occur_time.unwrap();
        assert_eq!(
            (starts_at.seconds, starts_at.nanos),
            (1_714_564_807, 351_000_000)
        );
        assert!(
            firing
                .link
                .starts_with("http://prometheus.example.com:9090/graph")
        );

        let resolved = &alerts[1];
        assert_eq!(resolved.asset, "2001:db8::7");
        assert_eq!(resolved.severity(), Severity::Critical);
        assert_eq!(resolved.action(), AlertAction::Resolve);
        assert_eq!(resolved.occur_time.unwrap().seconds, 1_714_565_107);
        assert_eq!(resolved.message, "Filesystem has less than 3% space left.");
    }

    #[test]
    fn falls_back_for_asset_severity_and_fingerprint() {
        let body = br#"{"version":"4","status":"resolved","alerts":[{
            "labels":{"alertname":"KubePodCrashLooping","pod":"api-7d9f","namespace":"shop"},
            "startsAt":"2024-05-01T12:00:00Z","endsAt":"2024-05-01T12:10:00Z"}],
            "externalURL":"http://alertmanager:9093"}"#;
        let alert = &parse(body).unwrap()[0];
        assert_eq!(alert.asset, "api-7d9f");
        assert_eq!(alert.severity(), Severity::Medium);
        // Takes the group's status when the alert has none.
        assert_eq!(alert.action(), AlertAction::Resolve);
        assert_eq!(alert.dedup_key.len(), 16);
        assert_eq!(alert.link, "http://alertmanager:9093");
        assert_eq!(alert.message, "KubePodCrashLooping");

        let body = br#"{"alerts":[{"labels":{"alertname":"Watchdog","severity":"none"}}]}"#;
        let alert = &parse(body).unwrap()[0];
        assert_eq!(alert.asset, super::super::UNKNOWN_ASSET);
        assert_eq!(alert.severity(), Severity::Info);
        assert_eq!(alert.action(), AlertAction::Trigger);
        assert!(alert.occur_time.is_none());
    }

    #[test]
    fn derives_alertmanagers_own_fingerprint() {
        // prometheus/common model/signature_test.go
        assert_eq!(
            labels_fingerprint(&BTreeMap::new()),
            14_695_981_039_346_656_037
        );
        let labels = BTreeMap::from([
            ("name".to_owned(), "garland, briggs".to_owned()),
            ("fear".to_owned(), "love is not enough".to_owned()),
        ]);
        assert_eq!(labels_fingerprint(&labels), 5_799_056_148_416_392_346);
    }

    #[test]
    fn names_the_field_at_fault() {
        let error = |body: &str| parse(body.as_bytes()).unwrap_err();
        assert_eq!(error(r#"{"version":"4"}"#), FormatError::missing("alerts"));
        assert_eq!(
            error(r#"{"alerts":[{"labels":{"alertname":"A"}},{"labels":{}}]}"#),
            FormatError::missing("alerts[1].labels.alertname")
        );
        assert_eq!(
            error(r#"{"alerts":[{"labels":{"alertname":"A"},"startsAt":"soon"}]}"#).field(),
            Some("alerts[0].startsAt")
        );
        assert_eq!(
            error(r#"{"alerts":[{"labels":{"alertname":"A"},"status":"pending"}]}"#).field(),
            Some("alerts[0].status")
        );
        assert_eq!(
            error(r#"{"alerts":[{"labels":"alertname=A"}]}"#).field(),
            Some("alerts[0].labels")
        );
        assert!(matches!(
            error(r#"{"version":"5","alerts":[]}"#),
            FormatError::Unsupported(_)
        ));
        // Version 1 is Grafana's only with its orgId: anything else is refused.
        assert!(matches!(
            error(r#"{"version":"1","alerts":[{"labels":{"alertname":"A"}}]}"#),
            FormatError::Unsupported(_)
        ));
        assert!(matches!(
            error(r#"{"alerts":[]}"#),
            FormatError::Unsupported(_)
        ));
        assert!(matches!(error("[]"), FormatError::Unsupported(_)));
    }

    // Grafana's documented webhook contact point body (Grafana 9 to 11), one
    // alert firing and one resolved; Grafana's rules rarely carry `instance`.
    const GRAFANA: &str = r#"{
      "receiver": "My Super Webhook",
      "status": "firing",
      "orgId": 1,
      "alerts": [
        {
          "status": "firing",
          "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1", "host": "db-04"},
          "annotations": {"description": "The system has high memory usage", "runbook_url": "https://myrunbook.com/runbook/1234", "summary": "This alert was triggered for zone us-1"},
          "startsAt": "2021-10-12T09:51:03.157076+02:00",
          "endsAt": "0001-01-01T00:00:00Z",
          "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
          "fingerprint": "c6eadffa33fcdf37",
          "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1",
          "dashboardURL": "",
          "panelURL": "",
          "values": {"B": 44.23943737541908, "C": 1}
        },
        {
          "status": "resolved",
          "labels": {"alertname": "High CPU usage", "team": "blue", "zone": "eu-1"},
          "annotations": {"summary": "This alert was triggered for zone eu-1"},
          "startsAt": "2021-10-12T09:56:03.157076+02:00",
          "endsAt": "2021-10-12T10:01:03.157076+02:00",
          "generatorURL": "https://play.grafana.org/alerting/d1rdpdv7k/edit",
          "fingerprint": "bc97ff14869b13e3",
          "values": {"B": 82.2, "C": 1}
        }
      ],
      "groupLabels": {},
      "commonLabels": {"team": "blue"},
      "commonAnnotations": {},
      "externalURL": "https://play.grafana.org/",
      "version": "1",
      "groupKey": "{}:{}",
      "truncatedAlerts": 0,
      "title": "[FIRING:1, RESOLVED:1]  (blue)",
      "state": "alerting",
      "message": "**Firing**\n\nLabels:\n - alertname = High memory usage"
    }"#;

    #[test]
    fn grafana_contact_point_notifications() {
        let alerts = parse(GRAFANA.as_bytes()).unwrap();
        assert_eq!(alerts.len(), 2);
        let firing = &alerts[0];
        assert_eq!(firing.tool_source, "grafana");
        assert_eq!(firing.signature, "High memory usage");
        assert_eq!(firing.asset, "db-04");
        assert_eq!(firing.action, i32::from(AlertAction::Trigger));
        assert_eq!(firing.dedup_key, "c6eadffa33fcdf37");
        assert_eq!(
            firing.message,
            "This alert was triggered for zone us-1\n\nThe system has high memory usage"
        );
        // 09:51:03 at +02:00.
        assert_eq!(firing.occur_time.unwrap().seconds, 1_634_025_063);
        let resolved = &alerts[1];
        assert_eq!(resolved.action, i32::from(AlertAction::Resolve));
        assert_eq!(resolved.occur_time.unwrap().seconds, 1_634_025_663);
        // No label names an asset: the alert is still taken, on the unknown asset.
        assert_eq!(resolved.asset, "unknown");
    }

    #[test]
    fn older_alertmanager_notifications_are_taken() {
        // Alertmanager before 0.16 sent version 3 (and groupKey as a number).
        let body = r#"{"version":"3","groupKey":7283,"status":"firing","alerts":[
            {"labels":{"alertname":"Down","instance":"web-02:9100"},"startsAt":"2018-01-01T00:00:00Z"}]}"#;
        let alerts = parse(body.as_bytes()).unwrap();
        assert_eq!(alerts[0].tool_source, "alertmanager");
        assert_eq!(alerts[0].asset, "web-02");
    }

    const KEYS: &[&str] = &[
        "orgId",
        "version",
        "groupKey",
        "status",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "alerts",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
        "alertname",
        "instance",
        "severity",
        "summary",
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
