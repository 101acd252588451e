//! The JSON that our Nagios/Icinga notification script
//! (`integrations/nagios/alert-whisperer-notify`) posts to
//! `/api/webhooks/nagios`:
//!
//! ```json
//! {
//!   "source": "nagios",
//!   "notification_type": "$NOTIFICATIONTYPE$",
//!   "host_name": "$HOSTNAME$",
//!   "host_alias": "$HOSTALIAS$",
//!   "host_address": "$HOSTADDRESS$",
//!   "host_state": "$HOSTSTATE$",
//!   "service_desc": "$SERVICEDESC$",
//!   "service_state": "$SERVICESTATE$",
//!   "output": "$SERVICEOUTPUT$ or $HOSTOUTPUT$",
//!   "long_output": "$LONGSERVICEOUTPUT$ or $LONGHOSTOUTPUT$",
//!   "problem_id": "$SERVICEPROBLEMID$ or $HOSTPROBLEMID$",
//!   "last_problem_id": "$LASTSERVICEPROBLEMID$ or $LASTHOSTPROBLEMID$",
//!   "author": "$NOTIFICATIONAUTHOR$",
//!   "comment": "$NOTIFICATIONCOMMENT$",
//!   "timestamp": "$TIMET$"
//! }
//! ```
//!
//! `service_desc` is empty for a host notification. Nagios gives a problem an
//! id while it lasts (`$SERVICEPROBLEMID$`) and, once it recovers, hands that
//! id over in `$LASTSERVICEPROBLEMID$` (the current one is then 0); so the
//! dedup key `nagios:<host>/<service>#<id>` takes `problem_id` for a problem
//! or an acknowledgement and `last_problem_id` for a recovery, which pairs the
//! recovery with its problem. Without ids (Icinga 2) it is
//! `nagios:<host>/<service>`.

use std::collections::BTreeMap;

use super::{FormatError, Object, fit_alert, parse_json, timestamp};
use crate::domain::ingest::{ACK_AUTHOR_LABEL, ACK_COMMENT_LABEL};
use crate::proto::v1::{AlertAction, AlertInput, Severity};

/// `tool_source` when the payload's `source` names none.
const DEFAULT_TOOL_SOURCE: &str = "nagios";

/// The signature of host notifications (the host check itself).
const HOST_CHECK_SIGNATURE: &str = "host_check";

/// Parses a notification of our Nagios/Icinga script into one alert.
pub fn parse(body: &[u8]) -> Result<Vec<AlertInput>, FormatError> {
    let value = parse_json(body)?;
    let root = Object::root(&value, "a Nagios notification")?;
    let notification_type = root
        .required_text("notification_type")?
        .to_ascii_uppercase();
    let host = root.required_text("host_name")?;
    let service = root.text("service_desc")?;

    let (state_field, state) = match &service {
        Some(_) => ("service_state", root.required_text("service_state")?),
        None => ("host_state", root.required_text("host_state")?),
    };
    let state = state.to_ascii_uppercase();
    let (severity, is_ok) = match (service.is_some(), state.as_str()) {
        (true, "CRITICAL") | (false, "DOWN") => (Severity::Critical, false),
        (false, "UNREACHABLE") => (Severity::High, false),
        (true, "WARNING") => (Severity::Medium, false),
        (true, "UNKNOWN") => (Severity::Low, false),
        (true, "OK") | (false, "UP") => (Severity::Info, true),
        (_, other) => {
            return Err(FormatError::invalid(
                state_field,
                format!("unknown state {other:?}"),
            ));
        }
    };

    let action = match notification_type.as_str() {
        "PROBLEM" | "FLAPPINGSTART" => AlertAction::Trigger,
        "RECOVERY" => AlertAction::Resolve,
        "ACKNOWLEDGEMENT" => AlertAction::Acknowledge,
        // Flapping ended (Icinga 2 says FLAPPINGEND) or was disabled, or an operator sent a custom
        // notification: the state says whether the problem is still there.
        "FLAPPINGSTOP" | "FLAPPINGEND" | "FLAPPINGDISABLED" | "CUSTOM" => {
            if is_ok {
                AlertAction::Resolve
            } else {
                AlertAction::Trigger
            }
        }
        "DOWNTIMESTART" | "DOWNTIMEEND" | "DOWNTIMECANCELLED" | "DOWNTIMEREMOVED" => {
            return Err(FormatError::Unsupported(format!(
                "Nagios {notification_type} notifications are not alerts \
                 (use a silence for maintenance)"
            )));
        }
        other => {
            return Err(FormatError::invalid(
                "notification_type",
                format!("unknown notification type {other:?}"),
            ));
        }
    };

    let problem_id = nonzero_id(root.text("problem_id")?);
    let last_problem_id = nonzero_id(root.text("last_problem_id")?);
    let pairing_id = match action {
        AlertAction::Resolve => last_problem_id.clone().or(problem_id.clone()),
        _ => problem_id.clone(),
    };
    let object = format!("{host}/{}", service.as_deref().unwrap_or_default());
    let dedup_key = match &pairing_id {
        Some(id) => format!("nagios:{object}#{id}"),
        None => format!("nagios:{object}"),
    };

    let output = root.text("output")?;
    // Nagios escapes newlines of long output as the two characters `\n`.
    let long_output = root
        .text("long_output")?
        .map(|text| text.replace("\\n", "\n"));
    let author = root.text("author")?;
    let comment = root.text("comment")?;
    let signed_comment = match (&author, &comment) {
        (Some(author), Some(comment)) => Some(format!("{author}: {comment}")),
        (None, Some(comment)) => Some(comment.clone()),
        _ => None,
    };
    let message = [output, long_output, signed_comment]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n");
    let message = if message.is_empty() {
        format!("{object} is {state}")
    } else {
        message
    };

    let occur_time = match root.text("timestamp")? {
        None => None,
        Some(text) => Some(
            timestamp::from_unix_auto(&text)
                .or_else(|| timestamp::parse_rfc3339(&text))
                .ok_or_else(|| {
                    FormatError::invalid(
                        "timestamp",
                        format!("{text:?} is neither Unix seconds nor RFC 3339"),
                    )
                })?,
        ),
    };

    let mut labels = BTreeMap::new();
    for (name, value) in [
        ("notification_type", Some(notification_type)),
        ("state", Some(state)),
        ("host_address", root.text("host_address")?),
        ("host_alias", root.text("host_alias")?),
        ("service_desc", service.clone()),
    ] {
        if let Some(value) = value {
            labels.insert(name.to_owned(), value);
        }
    }
    // Who acknowledged and why reach the incident's timeline.
    if action == AlertAction::Acknowledge {
        for (name, value) in [(ACK_AUTHOR_LABEL, author), (ACK_COMMENT_LABEL, comment)] {
            if let Some(value) = value {
                labels.insert(name.to_owned(), value);
            }
        }
    }

    Ok(vec![fit_alert(AlertInput {
        asset: host,
        signature: service.unwrap_or_else(|| HOST_CHECK_SIGNATURE.to_owned()),
        severity: severity.into(),
        message,
        tool_source: root
            .text("source")?
            .unwrap_or_else(|| DEFAULT_TOOL_SOURCE.to_owned()),
        labels: labels.into_iter().collect(),
        occur_time,
        action: action.into(),
        dedup_key,
        external_id: pairing_id.unwrap_or_default(),
        link: root.text("link")?.unwrap_or_default(),
        delivery_id: String::new(),
    })])
}

/// A problem id, `None` for Nagios's "no problem" id 0.
fn nonzero_id(id: Option<String>) -> Option<String> {
    id.filter(|id| !id.trim_start_matches('0').is_empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::testing;
    use super::*;
    use proptest::prelude::*;

    // What the notification script posts for a service problem (a
    // check_disk result) and for the recovery that follows it.
    const PROBLEM: &str = r#"{
        "source": "nagios",
        "notification_type": "PROBLEM",
        "host_name": "web-01",
        "host_alias": "Web server 01",
        "host_address": "10.0.0.11",
        "host_state": "UP",
        "service_desc": "Disk /var",
        "service_state": "CRITICAL",
        "output": "DISK CRITICAL - free space: /var 412 MB (2.1% inode=91%);",
        "long_output": "/var: 19288 MB used\\n/var: 97.9% full",
        "problem_id": "1842",
        "last_problem_id": "1701",
        "author": "",
        "comment": "",
        "timestamp": "1714564800"
    }"#;

    const RECOVERY: &str = r#"{
        "source": "nagios",
        "notification_type": "RECOVERY",
        "host_name": "web-01",
        "host_state": "UP",
        "service_desc": "Disk /var",
        "service_state": "OK",
        "output": "DISK OK - free space: /var 6120 MB (31% inode=91%);",
        "problem_id": "0",
        "last_problem_id": "1842",
        "timestamp": "1714566000"
    }"#;

    #[test]
    fn pairs_a_service_recovery_with_its_problem() {
        let problem = &parse(PROBLEM.as_bytes()).unwrap()[0];
        assert_eq!(problem.asset, "web-01");
        assert_eq!(problem.signature, "Disk /var");
        assert_eq!(problem.severity(), Severity::Critical);
        assert_eq!(problem.action(), AlertAction::Trigger);
        assert_eq!(
            problem.message,
            "DISK CRITICAL - free space: /var 412 MB (2.1% inode=91%);\n\
             /var: 19288 MB used\n/var: 97.9% full"
        );
        assert_eq!(problem.tool_source, "nagios");
        assert_eq!(problem.dedup_key, "nagios:web-01/Disk /var#1842");
        assert_eq!(problem.external_id, "1842");
        assert_eq!(problem.occur_time.unwrap().seconds, 1_714_564_800);
        assert_eq!(problem.labels["host_address"], "10.0.0.11");
        assert_eq!(problem.labels["state"], "CRITICAL");

        let recovery = &parse(RECOVERY.as_bytes()).unwrap()[0];
        assert_eq!(recovery.action(), AlertAction::Resolve);
        assert_eq!(recovery.severity(), Severity::Info);
        assert_eq!(recovery.dedup_key, problem.dedup_key);
    }

    #[test]
    fn handles_host_notifications_and_acknowledgements() {
        let body = br#"{"notification_type":"ACKNOWLEDGEMENT","host_name":"sw-core-1",
            "host_state":"DOWN","service_desc":"","output":"PING CRITICAL - Packet loss = 100%",
            "problem_id":"77","author":"alice","comment":"Power outage in rack 4",
            "source":"icinga"}"#;
        let alert = &parse(body).unwrap()[0];
        assert_eq!(alert.signature, HOST_CHECK_SIGNATURE);
        assert_eq!(alert.severity(), Severity::Critical);
        assert_eq!(alert.action(), AlertAction::Acknowledge);
        assert_eq!(alert.dedup_key, "nagios:sw-core-1/#77");
        assert_eq!(alert.tool_source, "icinga");
        assert!(alert.message.ends_with("alice: Power outage in rack 4"));
        assert_eq!(alert.labels[ACK_AUTHOR_LABEL], "alice");
        assert_eq!(alert.labels[ACK_COMMENT_LABEL], "Power outage in rack 4");
        assert!(!alert.labels.contains_key("service_desc"));

        // Icinga 2 has no problem ids: host and service pair the notifications.
        let body = br#"{"notification_type":"RECOVERY","host_name":"sw-core-1","host_state":"UP"}"#;
        let alert = &parse(body).unwrap()[0];
        assert_eq!(alert.action(), AlertAction::Resolve);
        assert_eq!(alert.dedup_key, "nagios:sw-core-1/");
        assert_eq!(alert.message, "sw-core-1/ is UP");
    }

    #[test]
    fn maps_flapping_and_custom_by_state() {
        let with = |kind: &str, state: &str| {
            let body = PROBLEM
                .replace("\"PROBLEM\"", &format!("\"{kind}\""))
                .replace("\"CRITICAL\"", &format!("\"{state}\""));
            parse(body.as_bytes()).map(|alerts| (alerts[0].action(), alerts[0].severity()))
        };
        assert_eq!(
            with("FLAPPINGSTART", "WARNING"),
            Ok((AlertAction::Trigger, Severity::Medium))
        );
        assert_eq!(
            with("FLAPPINGSTOP", "OK"),
            Ok((AlertAction::Resolve, Severity::Info))
        );
        assert_eq!(
            with("CUSTOM", "UNKNOWN"),
            Ok((AlertAction::Trigger, Severity::Low))
        );
        assert!(matches!(
            with("DOWNTIMESTART", "OK"),
            Err(FormatError::Unsupported(_))
        ));
        assert_eq!(
            with("SNOOZE", "OK").unwrap_err().field(),
            Some("notification_type")
        );
        assert_eq!(
            with("PROBLEM", "DOWN").unwrap_err().field(),
            Some("service_state")
        );
    }

    #[test]
    fn names_the_field_at_fault() {
        let error = |body: &str| parse(body.as_bytes()).unwrap_err();
        assert_eq!(
            error(r#"{"host_name":"h"}"#),
            FormatError::missing("notification_type")
        );
        assert_eq!(
            error(r#"{"notification_type":"PROBLEM"}"#),
            FormatError::missing("host_name")
        );
        assert_eq!(
            error(r#"{"notification_type":"PROBLEM","host_name":"h"}"#),
            FormatError::missing("host_state")
        );
        assert_eq!(
            error(r#"{"notification_type":"PROBLEM","host_name":"h","service_desc":"s"}"#),
            FormatError::missing("service_state")
        );
        assert_eq!(
            error(
                r#"{"notification_type":"PROBLEM","host_name":"h","host_state":"DOWN","timestamp":"noon"}"#
            )
            .field(),
            Some("timestamp")
        );
    }

    const KEYS: &[&str] = &[
        "source",
        "notification_type",
        "host_name",
        "host_alias",
        "host_address",
        "host_state",
        "service_desc",
        "service_state",
        "output",
        "long_output",
        "problem_id",
        "last_problem_id",
        "author",
        "comment",
        "timestamp",
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
