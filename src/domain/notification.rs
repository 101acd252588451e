//! Notifications as data: channel kinds and settings, routes with their
//! escalation levels, which incident changes they notify on, and the messages
//! each receiver gets (a Standard Webhooks body and signature, Slack blocks,
//! a Teams Adaptive Card, an email, a PagerDuty Events v2 event). Sending and
//! the outbox live in `crate::notify`; nothing here does I/O.

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::correlation::{AlertFields, AlertRef, Matcher, all_match};
use super::error::{Error, Result};
use super::incident::{EventKind, Incident, IncidentStatus};
use super::ingest::truncate_chars as truncate;

/// Attempts before a delivery is dead-lettered, unless the channel says.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;
/// Most attempts a channel may ask for.
pub const MAX_ATTEMPTS: i32 = 20;
/// Longest wait between two attempts.
pub const MAX_BACKOFF_MS: i64 = 15 * 60_000;
/// Most levels a route may have.
pub const MAX_LEVELS: usize = 10;
/// Longest delay of a level (one day).
pub const MAX_DELAY_SECONDS: i32 = 86_400;
/// Most recipients an email channel may list.
pub const MAX_RECIPIENTS: usize = 50;
/// Longest URL a channel takes.
pub const MAX_URL_CHARS: usize = 2048;
/// How much of a receiver's answer is kept.
pub const MAX_RESPONSE_CHARS: usize = 1024;
/// Default PagerDuty Events API v2 URL.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// What kind of receiver a channel sends to (stored and proto numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// A Standard Webhooks receiver.
    Webhook = 1,
    /// A Slack incoming webhook.
    Slack = 2,
    /// A Microsoft Teams incoming webhook or Workflows URL.
    Teams = 3,
    Email = 4,
    /// PagerDuty Events v2.
    PagerDuty = 5,
}

impl ChannelKind {
    /// From the stored number.
    pub fn from_i16(value: i16) -> Option<Self> {
        Some(match value {
            1 => Self::Webhook,
            2 => Self::Slack,
            3 => Self::Teams,
            4 => Self::Email,
            5 => Self::PagerDuty,
            _ => return None,
        })
    }

    /// The stored number.
    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// Whether deliveries a rate limit held back go out as one digest:
    /// people read Slack, Teams and email; a webhook receiver and PagerDuty
    /// (one alert per incident) take each delivery on its own.
    pub fn digests(self) -> bool {
        matches!(self, Self::Slack | Self::Teams | Self::Email)
    }

    /// Whether the channel can reach technicians it pages (email
    /// addresses, Slack mentions).
    pub fn pages_technicians(self) -> bool {
        matches!(self, Self::Slack | Self::Email)
    }
}

/// How an email channel protects its SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// STARTTLS, required.
    StartTls,
    /// TLS from the first byte.
    Tls,
    None,
}

/// The settings of a channel that are not secret (stored as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ChannelConfig {
    /// Outbound webhook: its URL (the signing secret is the channel's secret).
    Webhook { url: String },
    /// Slack: the webhook URL is the secret.
    Slack,
    /// Teams: the webhook URL is the secret.
    Teams,
    /// Email: the password (if any) is the secret.
    Email(EmailConfig),
    /// PagerDuty: the routing key is the secret.
    PagerDuty {
        /// Events API v2 URL.
        events_url: String,
    },
}

impl ChannelConfig {
    /// Its kind.
    pub fn kind(&self) -> ChannelKind {
        match self {
            Self::Webhook { .. } => ChannelKind::Webhook,
            Self::Slack => ChannelKind::Slack,
            Self::Teams => ChannelKind::Teams,
            Self::Email(_) => ChannelKind::Email,
            Self::PagerDuty { .. } => ChannelKind::PagerDuty,
        }
    }
}

/// An email channel's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// SMTP AUTH user; empty for none.
    pub username: String,
    pub from: String,
    pub to: Vec<String>,
    /// A CA certificate (PEM) to trust besides the system's roots.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca_certificate_pem: String,
}

/// An incident change a route can notify on (stored and proto numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NotifyEvent {
    Opened = 1,
    /// Priority became more urgent.
    PriorityRaised = 2,
    Acknowledged = 3,
    Resolved = 4,
    Reopened = 5,
    /// A runbook run failed.
    RunbookFailed = 6,
    /// A storm parent opened.
    StormOpened = 7,
}

impl NotifyEvent {
    /// From the stored number.
    pub fn from_i16(value: i16) -> Option<Self> {
        Some(match value {
            1 => Self::Opened,
            2 => Self::PriorityRaised,
            3 => Self::Acknowledged,
            4 => Self::Resolved,
            5 => Self::Reopened,
            6 => Self::RunbookFailed,
            7 => Self::StormOpened,
            _ => return None,
        })
    }

    /// The stored number.
    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// Its name in messages and webhook bodies.
    pub fn name(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::PriorityRaised => "priority_raised",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
            Self::Reopened => "reopened",
            Self::RunbookFailed => "runbook_failed",
            Self::StormOpened => "storm_opened",
        }
    }

    /// Whether later levels may escalate it: a change that wants somebody
    /// to act.
    pub fn escalates(self) -> bool {
        matches!(self, Self::Opened | Self::Reopened | Self::StormOpened)
    }

    /// The change an incident event tells about, if a route can notify on
    /// it. An incident folded under a storm parent notifies nothing of its
    /// own: the parent's STORM_OPENED speaks for the storm.
    pub fn of(kind: EventKind, incident: &Incident, message: &str) -> Option<Self> {
        if incident.parent_incident_id.is_some() {
            return None;
        }
        Some(match kind {
            EventKind::Created if incident.is_storm_parent => Self::StormOpened,
            EventKind::Created => Self::Opened,
            EventKind::Reopened => Self::Reopened,
            EventKind::Acknowledged => Self::Acknowledged,
            EventKind::Resolved => Self::Resolved,
            EventKind::RemediationFailed => Self::RunbookFailed,
            EventKind::PriorityChanged if priority_raised(message) => Self::PriorityRaised,
            _ => return None,
        })
    }
}

/// Whether a priority change's message ("priority P3 → P1: …") says it
/// became more urgent.
fn priority_raised(message: &str) -> bool {
    let digits: Vec<u32> = message
        .strip_prefix("priority P")
        .map(|rest| {
            rest.split(['P'])
                .take(2)
                .filter_map(|part| part.chars().next().and_then(|c| c.to_digit(10)))
                .collect()
        })
        .unwrap_or_default();
    matches!(digits[..], [before, after] if after < before)
}

/// Where a delivery stands (stored and proto numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for an attempt.
    Pending = 1,
    /// Taken by the receiver.
    Delivered = 2,
    /// Every attempt failed.
    Dead = 3,
    /// An escalation nobody needed.
    Cancelled = 4,
}

impl DeliveryStatus {
    /// From the stored number.
    pub fn from_i16(value: i16) -> Option<Self> {
        Some(match value {
            1 => Self::Pending,
            2 => Self::Delivered,
            3 => Self::Dead,
            4 => Self::Cancelled,
            _ => return None,
        })
    }

    /// The stored number.
    pub fn as_i16(self) -> i16 {
        self as i16
    }
}

/// One level of a route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub channel_ids: Vec<String>,
    /// Seconds after the change.
    pub delay_seconds: i32,
    /// Email: also the on-duty technicians.
    #[serde(default)]
    pub to_on_duty_technicians: bool,
    /// Email: also the assigned technician.
    #[serde(default)]
    pub to_assigned_technician: bool,
    /// Named technicians it pages (email addresses, Slack mentions).
    #[serde(default)]
    pub technician_ids: Vec<String>,
}

impl Level {
    /// Whether the level pages technicians (which needs an email or Slack
    /// channel to reach them).
    pub fn pages_technicians(&self) -> bool {
        self.to_on_duty_technicians
            || self.to_assigned_technician
            || !self.technician_ids.is_empty()
    }
}

/// A weekly window: on `weekdays` (1 Monday … 7 Sunday; empty: every
/// day), from `start` to `end` minutes after local midnight; an end at or
/// before the start runs into the next day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Days it starts on.
    pub weekdays: Vec<u8>,
    /// Start, minutes after midnight (0–1439).
    pub start: u16,
    /// End, minutes after midnight (1–1440).
    pub end: u16,
}

/// Most named technicians one level pages.
pub const MAX_PAGED_TECHNICIANS: usize = 20;
/// Highest rate limit a channel takes (messages per minute).
pub const MAX_PER_MINUTE: i32 = 6_000;
/// Shortest interval between repeats of a route's last level (seconds).
pub const MIN_REPEAT_SECONDS: i32 = 1;
/// Most repeats of a route's last level.
pub const MAX_REPEATS: i16 = 20;

/// Most windows a route may have.
pub const MAX_WINDOWS: usize = 14;

impl Window {
    /// Parses "HH:MM" for `field`; `end` allows "24:00".
    pub fn minutes(field: &str, text: &str, end: bool) -> Result<u16> {
        let invalid = || {
            Error::invalid(
                field,
                if end {
                    "must be HH:MM between 00:01 and 24:00"
                } else {
                    "must be HH:MM between 00:00 and 23:59"
                },
            )
        };
        let (hours, minutes) = text.trim().split_once(':').ok_or_else(invalid)?;
        if hours.len() != 2 || minutes.len() != 2 {
            return Err(invalid());
        }
        let hours: u16 = hours.parse().map_err(|_| invalid())?;
        let minutes: u16 = minutes.parse().map_err(|_| invalid())?;
        let total = hours * 60 + minutes;
        let valid = minutes < 60
            && if end {
                (1..=1440).contains(&total)
            } else {
                total < 1440
            };
        if valid { Ok(total) } else { Err(invalid()) }
    }

    /// "HH:MM" of minutes after midnight.
    pub fn text(minutes: u16) -> String {
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }

    fn starts_on(&self, weekday: u8) -> bool {
        self.weekdays.is_empty() || self.weekdays.contains(&weekday)
    }

    /// Whether local `weekday` (1–7) at `minute` after midnight is inside.
    fn contains(&self, weekday: u8, minute: u16) -> bool {
        if self.start < self.end {
            self.starts_on(weekday) && (self.start..self.end).contains(&minute)
        } else {
            let yesterday = if weekday == 1 { 7 } else { weekday - 1 };
            (self.starts_on(weekday) && minute >= self.start)
                || (self.starts_on(yesterday) && minute < self.end)
        }
    }
}

/// The time zone of an IANA name, for `field`.
pub fn time_zone(field: &str, name: &str) -> Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name)
        .map_err(|_| Error::invalid(field, format!("{name:?} is not an IANA time zone")))
}

/// A route, as the notifier uses it.
#[derive(Debug, Clone)]
pub struct Route {
    pub id: String,
    /// The changes it notifies on.
    pub events: Vec<NotifyEvent>,
    /// Least urgent priority it notifies for.
    pub max_priority: u8,
    /// Conditions on the incident.
    pub matchers: Vec<Matcher>,
    /// Levels, first first.
    pub levels: Vec<Level>,
    /// When it applies; empty for always.
    pub windows: Vec<Window>,
    /// The windows' time zone (UTC if the stored name is unknown).
    pub time_zone: jiff::tz::TimeZone,
    /// Seconds between repeats of the last level (0: none).
    pub repeat_interval_seconds: i32,
    /// Repeats of the last level.
    pub repeat_count: i32,
}

/// The fields route matchers may name (and `labels.<name>`).
pub const ROUTE_MATCHER_FIELDS: &[&str] = &[
    "asset",
    "signature",
    "severity",
    "tool_source",
    "message",
    "labels.<name>",
];

/// Checks that a route matcher names an incident field.
pub fn check_route_matcher(field: &str, matcher: &Matcher) -> Result<()> {
    match matcher.reference {
        AlertRef::DedupKey => Err(Error::invalid(
            &format!("{field}.name"),
            format!(
                "a route matches incidents, which have {}",
                ROUTE_MATCHER_FIELDS.join(", ")
            ),
        )),
        _ => Ok(()),
    }
}

/// The label values of an incident's alerts (a storm parent's: its
/// children's), by label name.
pub type IncidentLabels = BTreeMap<String, BTreeSet<String>>;

/// One label value, as a label matcher reads it.
struct LabelValue<'a>(&'a str);

impl AlertFields for LabelValue<'_> {
    fn value_of(&self, reference: &AlertRef) -> String {
        match reference {
            AlertRef::Label(_) => self.0.to_owned(),
            _ => String::new(),
        }
    }
}

/// An incident seen by route matchers.
struct IncidentFields<'a>(&'a Incident);

impl AlertFields for IncidentFields<'_> {
    fn value_of(&self, reference: &AlertRef) -> String {
        let incident = self.0;
        match reference {
            AlertRef::Asset => incident.asset.clone(),
            AlertRef::Signature => incident.signature.clone(),
            AlertRef::Severity => incident.severity.name().to_owned(),
            AlertRef::Message => incident.summary.clone(),
            // Any tool: the first that the matcher would accept is not
            // knowable here, so the tools are compared one by one below.
            AlertRef::ToolSource => incident.tools.iter().next().cloned().unwrap_or_default(),
            AlertRef::DedupKey | AlertRef::Label(_) => String::new(),
        }
    }
}

impl Route {
    /// Whether a change at `at_ms` falls inside one of the route's windows
    /// (always, without windows).
    pub fn active_at(&self, at_ms: i64) -> bool {
        if self.windows.is_empty() {
            return true;
        }
        let Ok(at) = jiff::Timestamp::from_millisecond(at_ms) else {
            return false;
        };
        let local = at.to_zoned_datetime(self.time_zone.clone());
        let weekday = u8::try_from(local.weekday().to_monday_one_offset()).unwrap_or(1);
        let minute =
            u16::from(local.hour().unsigned_abs()) * 60 + u16::from(local.minute().unsigned_abs());
        self.windows
            .iter()
            .any(|window| window.contains(weekday, minute))
    }

    /// Whether a matcher reads the incident's alerts' labels (which the
    /// notifier then reads).
    pub fn reads_labels(&self) -> bool {
        self.matchers
            .iter()
            .any(|matcher| matches!(matcher.reference, AlertRef::Label(_)))
    }

    /// Whether the route notifies on this change of this incident, whose
    /// alerts carry `labels`. A label matcher with a positive operator
    /// needs one alert whose value matches; a negative one, no alert whose
    /// value fails it; a label no alert has is the empty value.
    pub fn wants(&self, event: NotifyEvent, incident: &Incident, labels: &IncidentLabels) -> bool {
        self.events.contains(&event)
            && incident.priority <= self.max_priority
            && self.matchers.iter().all(|matcher| {
                if let AlertRef::Label(name) = &matcher.reference {
                    let missing = BTreeSet::from([String::new()]);
                    let values = labels
                        .get(name)
                        .filter(|values| !values.is_empty())
                        .unwrap_or(&missing);
                    let one = |value: &String| matcher.matches(&LabelValue(value));
                    match matcher.op {
                        super::correlation::MatchOp::Equal | super::correlation::MatchOp::Regex => {
                            values.iter().any(one)
                        }
                        _ => values.iter().all(one),
                    }
                } else if matcher.reference == AlertRef::ToolSource && incident.tools.len() > 1 {
                    // Positive operators need one tool that matches, negative
                    // ones that no tool fails them.
                    let one = |tool: &String| {
                        let single = Incident {
                            tools: std::iter::once(tool.clone()).collect(),
                            ..incident.clone()
                        };
                        matcher.matches(&IncidentFields(&single))
                    };
                    match matcher.op {
                        super::correlation::MatchOp::Equal | super::correlation::MatchOp::Regex => {
                            incident.tools.iter().any(one)
                        }
                        _ => incident.tools.iter().all(one),
                    }
                } else {
                    all_match(std::slice::from_ref(matcher), &IncidentFields(incident))
                }
            })
    }

    /// The levels a change is delivered at: every level for a change that
    /// escalates, else only the first.
    pub fn levels_for(&self, event: NotifyEvent) -> &[Level] {
        if event.escalates() {
            &self.levels
        } else {
            &self.levels[..self.levels.len().min(1)]
        }
    }

    /// Every sending of a change: (level index, round, delay in seconds
    /// after the change). Round 0 is each level's first sending; a change
    /// that escalates then repeats the last level `repeat_count` times,
    /// `repeat_interval_seconds` apart.
    pub fn sendings(&self, event: NotifyEvent) -> Vec<(usize, i16, i64)> {
        let levels = self.levels_for(event);
        let mut out: Vec<(usize, i16, i64)> = levels
            .iter()
            .enumerate()
            .map(|(index, level)| (index, 0, i64::from(level.delay_seconds)))
            .collect();
        if event.escalates()
            && self.repeat_interval_seconds > 0
            && let Some((last, level)) = levels.iter().enumerate().next_back()
        {
            for round in 1..=self.repeat_count.clamp(0, i32::from(MAX_REPEATS)) {
                out.push((
                    last,
                    i16::try_from(round).unwrap_or(MAX_REPEATS),
                    i64::from(level.delay_seconds)
                        + i64::from(round) * i64::from(self.repeat_interval_seconds),
                ));
            }
        }
        out
    }
}

/// What one delivery tells (stored as the delivery's payload).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notice {
    pub event: NotifyEvent,
    /// The incident event's log sequence.
    pub sequence: i64,
    /// When the change happened (ms).
    pub at: i64,
    /// Who made it.
    pub actor: String,
    /// The timeline's words for it.
    pub message: String,
    /// Route level (1 first).
    pub level: i16,
    /// The level's delay (seconds), for the escalation's words.
    pub delay_seconds: i32,
    pub company_id: String,
    pub incident_id: String,
    /// The incident right after the change.
    pub incident: Incident,
    /// Extra email recipients the level asks for.
    #[serde(default)]
    pub to_on_duty_technicians: bool,
    /// The assigned technician as a recipient.
    #[serde(default)]
    pub to_assigned_technician: bool,
    /// Whether this delivery writes its escalation level's timeline entry
    /// (the level's first channel does).
    #[serde(default)]
    pub announces: bool,
    /// Named technicians the level pages.
    #[serde(default)]
    pub technician_ids: Vec<String>,
    /// 0 for the level's first sending, 1… for repeats of the last level.
    #[serde(default)]
    pub round: i16,
    /// Seconds from the change to this sending (the level's delay, plus
    /// the repeats' intervals).
    #[serde(default)]
    pub after_seconds: i64,
}

impl Notice {
    /// The one-line title every receiver shows.
    pub fn title(&self) -> String {
        let incident = &self.incident;
        let what = match self.event {
            NotifyEvent::Opened => "opened",
            NotifyEvent::PriorityRaised => "priority raised",
            NotifyEvent::Acknowledged => "acknowledged",
            NotifyEvent::Resolved => "resolved",
            NotifyEvent::Reopened => "reopened",
            NotifyEvent::RunbookFailed => "runbook failed",
            NotifyEvent::StormOpened => "storm",
        };
        let escalation = match (self.level, self.round) {
            (1, 0) => String::new(),
            (level, 0) => format!(" (escalation level {level})"),
            (1, round) => format!(" (repeat {round})"),
            (level, round) => format!(" (escalation level {level}, repeat {round})"),
        };
        format!(
            "[P{}] {what}: {} on {}{escalation}",
            incident.priority,
            incident.signature,
            if incident.asset.is_empty() {
                "several assets"
            } else {
                &incident.asset
            }
        )
    }

    /// The incident's page in the dashboard.
    pub fn link(&self, public_url: &str) -> String {
        format!(
            "{}/#/incidents/{}",
            public_url.trim_end_matches('/'),
            self.incident_id
        )
    }

    fn status_name(&self) -> &'static str {
        match self.incident.status {
            IncidentStatus::Open => "open",
            IncidentStatus::Acknowledged => "acknowledged",
            IncidentStatus::Resolved => "resolved",
        }
    }

    /// The body of an outbound webhook (docs/notifications.md documents it).
    pub fn webhook_body(&self, delivery_id: &str, public_url: &str) -> serde_json::Value {
        let incident = &self.incident;
        serde_json::json!({
            "type": format!("incident.{}", self.event.name()),
            "delivery_id": delivery_id,
            "timestamp": rfc3339(self.at),
            "data": {
                "company_id": self.company_id,
                "event": self.event.name(),
                "level": self.level,
                "round": self.round,
                "sequence": self.sequence,
                "actor": self.actor,
                "message": self.message,
                "incident": {
                    "id": self.incident_id,
                    "title": self.title(),
                    "url": self.link(public_url),
                    "status": self.status_name(),
                    "priority": incident.priority,
                    "priority_reasons": incident.priority_reasons,
                    "severity": incident.severity.name(),
                    "asset": incident.asset,
                    "signature": incident.signature,
                    "summary": incident.summary,
                    "alert_count": incident.alert_count,
                    "firing_alert_count": incident.firing_alert_count,
                    "tools": incident.tools,
                    "assigned_technician_id": incident.assigned_technician_id,
                    "is_storm_parent": incident.is_storm_parent,
                    "child_incident_count": incident.child_incident_count,
                    "first_alert_time": rfc3339(incident.first_alert_at),
                    "last_alert_time": rfc3339(incident.last_alert_at),
                }
            }
        })
    }

    /// A Slack incoming-webhook message: `text` for notifications and
    /// Block Kit sections for the channel.
    /// `mentions` are Slack member ids of the technicians it pages.
    pub fn slack_body(&self, public_url: &str, mentions: &[String]) -> serde_json::Value {
        let incident = &self.incident;
        let title = self.title();
        serde_json::json!({
            "text": format!("{}{title}", slack_mentions(mentions)),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": truncate(&title, 150)}},
                {"type": "section", "text": {"type": "mrkdwn", "text": truncate(&format!(
                    "{}\n*Status:* {} · *Severity:* {} · *Alerts:* {}\n{}",
                    slack_escape(&incident.summary),
                    self.status_name(),
                    incident.severity.name(),
                    incident.alert_count,
                    slack_escape(&self.message),
                ), 3000)}},
                {"type": "actions", "elements": [{
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open incident"},
                    "url": self.link(public_url),
                }]},
            ]
        })
    }

    /// A Teams message carrying an Adaptive Card (the format both incoming
    /// webhooks and Workflows' "post to a channel when a webhook request is
    /// received" take).
    pub fn teams_body(&self, public_url: &str) -> serde_json::Value {
        let incident = &self.incident;
        let mut card = adaptive_card(vec![
            serde_json::json!({"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": self.title()}),
            serde_json::json!({"type": "TextBlock", "wrap": true, "text": incident.summary}),
            serde_json::json!({"type": "FactSet", "facts": [
                {"title": "Status", "value": self.status_name()},
                {"title": "Priority", "value": format!("P{}", incident.priority)},
                {"title": "Severity", "value": incident.severity.name()},
                {"title": "Alerts", "value": incident.alert_count.to_string()},
                {"title": "Change", "value": self.message},
            ]}),
        ]);
        card["attachments"][0]["content"]["actions"] = serde_json::json!([
            {"type": "Action.OpenUrl", "title": "Open incident", "url": self.link(public_url)}
        ]);
        card
    }

    /// An email's subject and plain-text body.
    pub fn email(&self, public_url: &str) -> (String, String) {
        let incident = &self.incident;
        let body = format!(
            "{title}\n\n{summary}\n\nStatus: {status}\nPriority: P{priority} ({reasons})\n\
             Severity: {severity}\nAsset: {asset}\nSignature: {signature}\nAlerts: {alerts}\n\
             Change: {message}\n\nOpen the incident: {link}\n",
            title = self.title(),
            summary = incident.summary,
            status = self.status_name(),
            priority = incident.priority,
            reasons = incident.priority_reasons.join(", "),
            severity = incident.severity.name(),
            asset = incident.asset,
            signature = incident.signature,
            alerts = incident.alert_count,
            message = self.message,
            link = self.link(public_url),
        );
        (self.title(), body)
    }

    /// A PagerDuty Events v2 event: trigger for changes that want action,
    /// acknowledge and resolve in step with the incident; the incident id
    /// is the dedup key, so PagerDuty keeps one alert per incident.
    pub fn pagerduty_body(&self, routing_key: &str, public_url: &str) -> serde_json::Value {
        let incident = &self.incident;
        let action = match self.event {
            NotifyEvent::Acknowledged => "acknowledge",
            NotifyEvent::Resolved => "resolve",
            _ => "trigger",
        };
        let mut body = serde_json::json!({
            "routing_key": routing_key,
            "event_action": action,
            "dedup_key": self.incident_id,
        });
        if action == "trigger" {
            body["payload"] = serde_json::json!({
                "summary": truncate(&self.title(), 1024),
                "source": if incident.asset.is_empty() { "alert-whisperer" } else { &incident.asset },
                "severity": pagerduty_severity(incident.priority),
                "timestamp": rfc3339(self.at),
                "class": incident.signature,
                "component": incident.asset,
                "custom_details": {
                    "summary": incident.summary,
                    "priority": format!("P{}", incident.priority),
                    "priority_reasons": incident.priority_reasons,
                    "alert_count": incident.alert_count,
                    "change": self.message,
                }
            });
            body["client"] = "Alert Whisperer".into();
            body["client_url"] = self.link(public_url).into();
        }
        body
    }
}

/// PagerDuty's severity for our priority.
fn pagerduty_severity(priority: u8) -> &'static str {
    match priority {
        1 => "critical",
        2 => "error",
        3 => "warning",
        _ => "info",
    }
}

/// A Teams message carrying one Adaptive Card 1.4 with `body`.
fn adaptive_card(body: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
            }
        }]
    })
}

/// `<@U…> <@W…> ` for the members, or nothing.
fn slack_mentions(members: &[String]) -> String {
    members
        .iter()
        .map(|member| format!("<@{member}> "))
        .collect()
}

/// Most notices a digest lists one by one; the rest are counted.
pub const DIGEST_LISTED: usize = 20;

/// Several deliveries of one channel sent as one message, when the
/// channel's rate limit held them back.
#[derive(Debug)]
pub struct Digest<'a> {
    /// The notices, oldest first.
    pub notices: &'a [&'a Notice],
}

impl Digest<'_> {
    /// "12 incident notifications (3 P1)".
    pub fn title(&self) -> String {
        let p1 = self
            .notices
            .iter()
            .filter(|notice| notice.incident.priority == 1)
            .count();
        let urgent = if p1 > 0 {
            format!(" ({p1} P1)")
        } else {
            String::new()
        };
        format!("{} incident notifications{urgent}", self.notices.len())
    }

    /// One line per listed notice, and what was left out.
    fn lines(&self, line: impl Fn(&Notice) -> String) -> Vec<String> {
        let mut lines: Vec<String> = self
            .notices
            .iter()
            .take(DIGEST_LISTED)
            .map(|notice| line(notice))
            .collect();
        if self.notices.len() > DIGEST_LISTED {
            lines.push(format!("… and {} more", self.notices.len() - DIGEST_LISTED));
        }
        lines
    }

    /// A Slack message listing the notices with links.
    pub fn slack_body(&self, public_url: &str, mentions: &[String]) -> serde_json::Value {
        let title = self.title();
        let lines = self.lines(|notice| {
            format!(
                "• <{}|{}>",
                notice.link(public_url),
                slack_escape(&notice.title())
            )
        });
        serde_json::json!({
            "text": format!("{}{title}", slack_mentions(mentions)),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": truncate(&title, 150)}},
                {"type": "section", "text": {"type": "mrkdwn", "text": truncate(&lines.join("\n"), 3000)}},
            ]
        })
    }

    /// A Teams Adaptive Card listing the notices with links.
    pub fn teams_body(&self, public_url: &str) -> serde_json::Value {
        let mut body = vec![serde_json::json!({
            "type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": self.title()
        })];
        body.extend(
            self.lines(|notice| format!("- [{}]({})", notice.title(), notice.link(public_url)))
                .into_iter()
                .map(|line| serde_json::json!({"type": "TextBlock", "wrap": true, "text": line})),
        );
        adaptive_card(body)
    }

    /// An email's subject and plain-text body.
    pub fn email(&self, public_url: &str) -> (String, String) {
        let lines = self.lines(|notice| {
            format!(
                "- {}\n  {}\n  {}",
                notice.title(),
                notice.message,
                notice.link(public_url)
            )
        });
        let body = format!(
            "{}\n\nThe channel's rate limit held these back; they are sent together.\n\n{}\n",
            self.title(),
            lines.join("\n")
        );
        (self.title(), body)
    }
}

fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Why a receiver's address is refused, if it is: link-local (where cloud
/// metadata services answer), unspecified, multicast and broadcast always;
/// loopback and private networks when `block_private`.
pub fn refused_address(ip: std::net::IpAddr, block_private: bool) -> Option<&'static str> {
    use std::net::IpAddr;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_link_local() {
                Some("a link-local address (cloud metadata)")
            } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() {
                Some("not a unicast address")
            } else if block_private && v4.is_loopback() {
                Some("a loopback address")
            } else if block_private && (v4.is_private() || (a == 100 && (64..128).contains(&b))) {
                Some("a private network address")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if first & 0xffc0 == 0xfe80 {
                Some("a link-local address (cloud metadata)")
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some("not a unicast address")
            } else if block_private && v6.is_loopback() {
                Some("a loopback address")
            } else if block_private && first & 0xfe00 == 0xfc00 {
                Some("a private network address")
            } else {
                None
            }
        }
    }
}

/// Unix milliseconds as RFC 3339 UTC with milliseconds.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A new Standard Webhooks signing secret: `whsec_` and 24 random bytes in
/// base64.
pub fn new_signing_secret() -> String {
    let bytes: [u8; 24] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// The `webhook-signature` header of Standard Webhooks: `v1,` and the
/// base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under the secret's bytes.
pub fn sign_webhook(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|error| Error::Corrupt(format!("signing secret: {error}")))?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key)
        .map_err(|error| Error::Corrupt(format!("signing secret: {error}")))?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// How long to wait after `attempts` failed attempts: 2 s doubled per
/// attempt (with `base_ms` instead of 2 s if given), capped at
/// [`MAX_BACKOFF_MS`], with up to a quarter of it as random jitter so that
/// the retries of one storm do not arrive together.
pub fn backoff_ms(attempts: i32, base_ms: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    let delay = base_ms
        .saturating_mul(1_i64 << exponent.min(20))
        .min(MAX_BACKOFF_MS);
    let jitter = if delay >= 4 {
        rand::random_range(0..delay / 4)
    } else {
        0
    };
    delay + jitter
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ingest::AlertSeverity;

    fn incident(priority: u8) -> Incident {
        Incident {
            id: "i-1".into(),
            company_id: "c".into(),
            aggregation_key: "web-01|disk_full".into(),
            asset: "web-01".into(),
            signature: "disk_full".into(),
            summary: "Disk / at 97%".into(),
            status: IncidentStatus::Open,
            priority,
            priority_reasons: vec!["severity critical".into()],
            alert_count: 3,
            firing_alert_count: 1,
            tools: ["Datadog".to_owned(), "Zabbix".to_owned()]
                .into_iter()
                .collect(),
            severity: AlertSeverity::Critical,
            assigned_technician_id: None,
            parent_incident_id: None,
            is_storm_parent: false,
            child_incident_count: 0,
            open_child_count: 0,
            flapping: false,
            self_healed: false,
            remediation_failed: false,
            resolution: String::new(),
            first_alert_at: 1,
            last_alert_at: 2,
            created_at: 3,
            acknowledged_at: None,
            first_acknowledged_at: None,
            resolved_at: None,
            updated_at: 4,
        }
    }

    fn route(events: &[NotifyEvent], max_priority: u8, matchers: Vec<Matcher>) -> Route {
        Route {
            id: "r".into(),
            events: events.to_vec(),
            max_priority,
            matchers,
            levels: vec![
                Level {
                    channel_ids: vec!["a".into()],
                    delay_seconds: 0,
                    to_on_duty_technicians: false,
                    to_assigned_technician: false,
                    technician_ids: vec![],
                },
                Level {
                    channel_ids: vec!["b".into()],
                    delay_seconds: 600,
                    to_on_duty_technicians: false,
                    to_assigned_technician: false,
                    technician_ids: vec![],
                },
            ],
            windows: vec![],
            time_zone: jiff::tz::TimeZone::UTC,
            repeat_interval_seconds: 0,
            repeat_count: 0,
        }
    }

    #[test]
    fn windows_apply_in_the_routes_time_zone_and_run_past_midnight() {
        let ms = |text: &str| text.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let mut office = route(&[NotifyEvent::Opened], 4, vec![]);
        office.time_zone = time_zone("time_zone", "Europe/Berlin").unwrap();
        office.windows = vec![Window {
            weekdays: vec![1, 2, 3, 4, 5],
            start: Window::minutes("s", "08:00", false).unwrap(),
            end: Window::minutes("e", "18:00", true).unwrap(),
        }];
        // Monday 2026-12-07 07:30 UTC is 08:30 in Berlin (CET, UTC+1).
        assert!(office.active_at(ms("2026-12-07T07:30:00Z")));
        assert!(!office.active_at(ms("2026-12-07T06:30:00Z")));
        assert!(
            !office.active_at(ms("2026-12-07T17:00:00Z")),
            "18:00 is the end, exclusive"
        );
        // Saturday.
        assert!(!office.active_at(ms("2026-12-05T10:00:00Z")));
        // Nights from Friday 22:00 until Saturday 06:00, in New York.
        let mut nights = office.clone();
        nights.time_zone = time_zone("time_zone", "America/New_York").unwrap();
        nights.windows = vec![Window {
            weekdays: vec![5],
            start: Window::minutes("s", "22:00", false).unwrap(),
            end: Window::minutes("e", "06:00", true).unwrap(),
        }];
        // Friday 2026-12-04 23:00 EST = Saturday 04:00 UTC.
        assert!(nights.active_at(ms("2026-12-05T04:00:00Z")));
        // Saturday 05:59 EST.
        assert!(nights.active_at(ms("2026-12-05T10:59:00Z")));
        // Saturday 06:00 EST ends it; Saturday 23:00 EST is not a Friday night.
        assert!(!nights.active_at(ms("2026-12-05T11:00:00Z")));
        assert!(!nights.active_at(ms("2026-12-06T04:00:00Z")));
        assert!(
            route(&[NotifyEvent::Opened], 4, vec![]).active_at(0),
            "no windows: always"
        );
        assert!(Window::minutes("e", "24:00", true).is_ok());
        assert!(Window::minutes("s", "24:00", false).is_err());
        assert!(Window::minutes("s", "8:00", false).is_err());
        assert!(Window::minutes("s", "08:60", false).is_err());
        assert!(time_zone("time_zone", "Mars/Olympus").is_err());
    }

    #[test]
    fn changes_map_to_notify_events_and_children_of_storms_stay_quiet() {
        let mut p1 = incident(1);
        assert_eq!(
            NotifyEvent::of(EventKind::Created, &p1, "opened"),
            Some(NotifyEvent::Opened)
        );
        assert_eq!(NotifyEvent::of(EventKind::AlertRepeated, &p1, ""), None);
        assert_eq!(
            NotifyEvent::of(EventKind::PriorityChanged, &p1, "priority P3 → P1: x"),
            Some(NotifyEvent::PriorityRaised)
        );
        assert_eq!(
            NotifyEvent::of(EventKind::PriorityChanged, &p1, "priority P1 → P3: x"),
            None
        );
        p1.is_storm_parent = true;
        assert_eq!(
            NotifyEvent::of(EventKind::Created, &p1, ""),
            Some(NotifyEvent::StormOpened)
        );
        let mut child = incident(1);
        child.parent_incident_id = Some("parent".into());
        assert_eq!(NotifyEvent::of(EventKind::Created, &child, ""), None);
    }

    #[test]
    fn routes_match_on_event_priority_and_incident_fields() {
        let signature = Matcher::new(
            "m",
            "signature",
            crate::domain::correlation::MatchOp::Equal,
            "disk_full",
        )
        .unwrap();
        let zabbix = Matcher::new(
            "m",
            "tool_source",
            crate::domain::correlation::MatchOp::Equal,
            "Zabbix",
        )
        .unwrap();
        let not_datadog = Matcher::new(
            "m",
            "tool_source",
            crate::domain::correlation::MatchOp::NotEqual,
            "Datadog",
        )
        .unwrap();
        let none = IncidentLabels::new();
        let p1_only = route(&[NotifyEvent::Opened], 1, vec![signature.clone(), zabbix]);
        assert!(p1_only.wants(NotifyEvent::Opened, &incident(1), &none));
        assert!(!p1_only.wants(NotifyEvent::Opened, &incident(2), &none));
        assert!(!p1_only.wants(NotifyEvent::Resolved, &incident(1), &none));
        let other = Incident {
            signature: "cpu_high".into(),
            ..incident(1)
        };
        assert!(!p1_only.wants(NotifyEvent::Opened, &other, &none));
        // A negative matcher on tools fails when any tool is the one excluded.
        let excluded = route(&[NotifyEvent::Opened], 4, vec![not_datadog]);
        assert!(!excluded.wants(NotifyEvent::Opened, &incident(1), &none));
        // Only changes that want action escalate.
        assert_eq!(p1_only.levels_for(NotifyEvent::Opened).len(), 2);
        assert_eq!(p1_only.levels_for(NotifyEvent::Resolved).len(), 1);
    }

    #[test]
    fn label_matchers_read_the_values_of_every_alert_of_the_incident() {
        let matcher = |op, value: &str| Matcher::new("m", "labels.env", op, value).unwrap();
        use crate::domain::correlation::MatchOp::{Equal, NotEqual, NotRegex, Regex};
        let labels: IncidentLabels = BTreeMap::from([(
            "env".to_owned(),
            BTreeSet::from(["prod".to_owned(), "staging".to_owned()]),
        )]);
        let wants = |m: Matcher, labels: &IncidentLabels| {
            let route = route(&[NotifyEvent::Opened], 4, vec![m]);
            assert!(route.reads_labels());
            route.wants(NotifyEvent::Opened, &incident(1), labels)
        };
        // Positive: one alert's value is enough.
        assert!(wants(matcher(Equal, "prod"), &labels));
        assert!(wants(matcher(Regex, "stag.*"), &labels));
        assert!(!wants(matcher(Equal, "dev"), &labels));
        // Negative: every alert's value must pass.
        assert!(!wants(matcher(NotEqual, "prod"), &labels));
        assert!(wants(matcher(NotRegex, "dev|test"), &labels));
        // A label no alert has is the empty value.
        let none = IncidentLabels::new();
        assert!(!wants(matcher(Equal, "prod"), &none));
        assert!(wants(matcher(NotEqual, "prod"), &none));
        assert!(wants(matcher(Equal, ""), &none));
        assert!(!route(&[NotifyEvent::Opened], 4, vec![]).reads_labels());
    }

    #[test]
    fn webhook_signature_follows_standard_webhooks() {
        // The example of the Standard Webhooks specification.
        let signature = sign_webhook(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for attempts in 1..=12 {
            let base = 2_000_i64
                .saturating_mul(1 << (attempts - 1))
                .min(MAX_BACKOFF_MS);
            let delay = backoff_ms(attempts, 2_000);
            assert!(
                delay >= base && delay < base + base / 4 + 1,
                "{attempts}: {delay}"
            );
        }
    }

    #[test]
    fn escalating_changes_repeat_the_last_level_and_others_stay_on_level_one() {
        let mut route = route(&[NotifyEvent::Opened, NotifyEvent::Resolved], 4, vec![]);
        assert_eq!(
            route.sendings(NotifyEvent::Opened),
            vec![(0, 0, 0), (1, 0, 600)]
        );
        route.repeat_interval_seconds = 300;
        route.repeat_count = 2;
        assert_eq!(
            route.sendings(NotifyEvent::Opened),
            vec![(0, 0, 0), (1, 0, 600), (1, 1, 900), (1, 2, 1200)]
        );
        // A resolve tells level 1 once: nothing to escalate or repeat.
        assert_eq!(route.sendings(NotifyEvent::Resolved), vec![(0, 0, 0)]);
    }

    fn notice(incident_id: &str, priority: u8, level: i16, round: i16) -> Notice {
        Notice {
            event: NotifyEvent::Opened,
            sequence: 1,
            at: 1_700_000_000_000,
            actor: "system".into(),
            message: "opened".into(),
            level,
            delay_seconds: 0,
            company_id: "c".into(),
            incident_id: incident_id.into(),
            incident: incident(priority),
            to_on_duty_technicians: false,
            to_assigned_technician: false,
            announces: false,
            technician_ids: vec![],
            round,
            after_seconds: 0,
        }
    }

    #[test]
    fn titles_name_the_escalation_level_and_the_repeat() {
        assert!(notice("i", 1, 1, 0).title().ends_with("on web-01"));
        assert!(
            notice("i", 1, 2, 0)
                .title()
                .ends_with("(escalation level 2)")
        );
        assert!(notice("i", 1, 1, 3).title().ends_with("(repeat 3)"));
        assert!(
            notice("i", 1, 2, 1)
                .title()
                .ends_with("(escalation level 2, repeat 1)")
        );
    }

    #[test]
    fn a_teams_message_is_one_adaptive_card_with_facts_and_a_link() {
        let card = notice("i-9", 1, 1, 0).teams_body("http://aw");
        assert_eq!(card["type"], "message");
        let content = &card["attachments"][0]["content"];
        assert_eq!(content["type"], "AdaptiveCard");
        assert_eq!(content["version"], "1.4");
        assert_eq!(content["body"].as_array().unwrap().len(), 3);
        assert_eq!(content["body"][2]["facts"][1]["value"], "P1");
        assert_eq!(content["actions"][0]["url"], "http://aw/#/incidents/i-9");
    }

    #[test]
    fn a_digest_lists_each_notice_with_its_link_and_counts_the_rest() {
        let notices: Vec<Notice> = (0..DIGEST_LISTED + 5)
            .map(|n| notice(&format!("i-{n}"), if n < 3 { 1 } else { 3 }, 1, 0))
            .collect();
        let refs: Vec<&Notice> = notices.iter().collect();
        let digest = Digest { notices: &refs };
        assert_eq!(digest.title(), "25 incident notifications (3 P1)");
        let slack = digest.slack_body("http://aw", &["U024BE7LH".to_owned()]);
        assert_eq!(
            slack["text"],
            "<@U024BE7LH> 25 incident notifications (3 P1)"
        );
        let listed = slack["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(listed.contains("<http://aw/#/incidents/i-0|[P1] opened"));
        assert!(listed.contains("i-19|"));
        assert!(!listed.contains("i-20|"));
        assert!(listed.ends_with("… and 5 more"));
        let (subject, body) = digest.email("http://aw");
        assert_eq!(subject, digest.title());
        assert!(body.contains("http://aw/#/incidents/i-7"));
        let teams = digest.teams_body("http://aw");
        let blocks = teams["attachments"][0]["content"]["body"]
            .as_array()
            .unwrap();
        assert_eq!(blocks.len(), 1 + DIGEST_LISTED + 1);
    }

    #[test]
    fn receivers_on_metadata_and_private_addresses_are_refused() {
        let refused = |ip: &str, block| refused_address(ip.parse().unwrap(), block);
        assert!(refused("169.254.169.254", false).is_some());
        assert!(refused("fe80::1", false).is_some());
        assert!(refused("::ffff:169.254.169.254", false).is_some());
        assert!(refused("0.0.0.0", false).is_some());
        assert!(refused("224.0.0.1", false).is_some());
        assert_eq!(refused("127.0.0.1", false), None);
        assert_eq!(refused("10.1.2.3", false), None);
        for private in [
            "127.0.0.1",
            "::1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "100.64.0.1",
            "fd00::5",
            "::ffff:10.0.0.1",
        ] {
            assert!(refused(private, true).is_some(), "{private}");
        }
        for public in [
            "93.184.216.34",
            "2606:2800:220:1::1",
            "100.128.0.1",
            "172.32.0.1",
        ] {
            assert_eq!(refused(public, true), None, "{public}");
        }
    }

    #[test]
    fn pagerduty_events_follow_the_incident() {
        let mut notice = Notice {
            event: NotifyEvent::Opened,
            sequence: 7,
            at: 1_700_000_000_000,
            actor: "system".into(),
            message: "opened".into(),
            level: 1,
            delay_seconds: 0,
            company_id: "c".into(),
            incident_id: "i-1".into(),
            incident: incident(1),
            to_on_duty_technicians: false,
            to_assigned_technician: false,
            announces: false,
            technician_ids: vec![],
            round: 0,
            after_seconds: 0,
        };
        let trigger = notice.pagerduty_body("key", "http://aw");
        assert_eq!(trigger["event_action"], "trigger");
        assert_eq!(trigger["dedup_key"], "i-1");
        assert_eq!(trigger["payload"]["severity"], "critical");
        assert_eq!(trigger["payload"]["source"], "web-01");
        notice.event = NotifyEvent::Resolved;
        let resolve = notice.pagerduty_body("key", "http://aw");
        assert_eq!(resolve["event_action"], "resolve");
        assert!(resolve.get("payload").is_none());
    }
}
