//! Correlation settings and the rules that shape correlation: aggregation key
//! templates, alert references and matchers (silences, inhibition rules).

use std::collections::BTreeMap;
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};

/// Shortest correlation window.
pub const MIN_WINDOW: Duration = Duration::from_secs(5 * 60);
/// The default storm gap.
pub const DEFAULT_STORM_GAP: Duration = Duration::from_secs(30);
/// How far back a signature's onsets make the baseline a storm is measured
/// against.
pub const STORM_BASELINE: Duration = Duration::from_secs(60 * 60);
/// The longest lateness bound.
pub const MAX_LATENESS: Duration = Duration::from_secs(24 * 60 * 60);
/// Longest correlation window.
pub const MAX_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most references in an aggregation key template.
pub const MAX_TEMPLATE_PARTS: usize = 16;
/// Most asset criticality entries per company.
pub const MAX_CRITICALITY_ENTRIES: usize = 10_000;
/// Longest silence.
pub const MAX_SILENCE: Duration = Duration::from_secs(366 * 24 * 3600);

/// How critical an asset is (for priority).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Criticality {
    Low = 1,
    /// Medium (the default for unlisted assets).
    Medium = 2,
    High = 3,
    Critical = 4,
}

impl Criticality {
    /// From the proto enum number.
    pub fn from_number(value: i32) -> Option<Self> {
        match value {
            1 => Some(Self::Low),
            2 => Some(Self::Medium),
            3 => Some(Self::High),
            4 => Some(Self::Critical),
            _ => None,
        }
    }
}

/// A company's correlation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrelationSettings {
    pub window: Duration,
    /// Aggregation key template, e.g. `asset|signature`.
    pub aggregation_key: AggregationKey,
    /// Correlate as alerts arrive.
    pub auto_correlate: bool,
    /// Resolve an incident once all its alerts are resolved.
    pub auto_resolve: bool,
    /// Assign new incidents automatically.
    pub auto_assign: bool,
    /// Flapping detection on.
    pub flapping_enabled: bool,
    /// Fire/resolve cycles within the window that make an incident flapping.
    pub flapping_threshold: u32,
    /// Storm grouping on.
    pub storm_enabled: bool,
    /// Distinct assets of one signature that make a storm, at least.
    pub storm_min_assets: u32,
    /// The longest time between the starts (first alerts) of consecutive
    /// members of a storm: incidents of one signature starting at most this
    /// far apart are counted together.
    pub storm_gap: Duration,
    /// A storm also needs more than this many times the onsets (incidents
    /// opened) of its signature that the [`STORM_BASELINE`] before it makes
    /// expected over the storm's span; 0 turns it off.
    pub storm_baseline_factor: u32,
    /// How late an alert may arrive (behind newer ones) and still be placed
    /// as in event-time order: resolved alerts and incidents are kept in
    /// memory this long for late repeats.
    pub lateness: Duration,
    /// Criticality per asset name.
    pub asset_criticality: BTreeMap<String, Criticality>,
    /// The labels that name an alert's asset for label-based webhook formats,
    /// in order of preference; empty keeps each format's own order
    /// ([`crate::domain::ingest::format_asset_labels`]).
    pub asset_labels: Vec<String>,
}

impl Default for CorrelationSettings {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(10 * 60),
            aggregation_key: AggregationKey::default(),
            auto_correlate: true,
            auto_resolve: true,
            auto_assign: false,
            flapping_enabled: true,
            flapping_threshold: 3,
            storm_enabled: true,
            storm_min_assets: 5,
            storm_gap: DEFAULT_STORM_GAP,
            storm_baseline_factor: 4,
            lateness: Duration::from_secs(60 * 60),
            asset_criticality: BTreeMap::new(),
            asset_labels: Vec::new(),
        }
    }
}

impl CorrelationSettings {
    /// Checks every value, naming the field that is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.window < MIN_WINDOW || self.window > MAX_WINDOW {
            return Err(Error::invalid(
                "config.window",
                "must be between 5 and 15 minutes",
            ));
        }
        if !(2..=100).contains(&self.flapping_threshold) {
            return Err(Error::invalid(
                "config.flapping.threshold",
                "must be between 2 and 100",
            ));
        }
        if !(2..=10_000).contains(&self.storm_min_assets) {
            return Err(Error::invalid(
                "config.storm_grouping.min_assets",
                "must be between 2 and 10000",
            ));
        }
        if self.storm_gap < Duration::from_secs(1) || self.storm_gap > self.window {
            return Err(Error::invalid(
                "config.storm_grouping.gap",
                "must be between 1 second and the correlation window",
            ));
        }
        if self.storm_baseline_factor > 100 {
            return Err(Error::invalid(
                "config.storm_grouping.baseline_factor",
                "must be between 0 and 100",
            ));
        }
        if self.lateness < self.window || self.lateness > MAX_LATENESS {
            return Err(Error::invalid(
                "config.lateness",
                "must be between the correlation window and 24 hours",
            ));
        }
        if self.asset_criticality.len() > MAX_CRITICALITY_ENTRIES {
            return Err(Error::invalid(
                "config.asset_criticality",
                format!("at most {MAX_CRITICALITY_ENTRIES} entries"),
            ));
        }
        if self
            .asset_criticality
            .keys()
            .any(|asset| asset.is_empty() || asset.chars().count() > 255)
        {
            return Err(Error::invalid(
                "config.asset_criticality",
                "asset names are 1 to 255 characters",
            ));
        }
        if self.asset_labels.len() > MAX_ASSET_LABELS {
            return Err(Error::invalid(
                "config.asset_labels",
                format!("at most {MAX_ASSET_LABELS} labels"),
            ));
        }
        for (index, label) in self.asset_labels.iter().enumerate() {
            let field = format!("config.asset_labels[{index}]");
            if label.trim().is_empty()
                || label.trim() != label
                || label.chars().count() > crate::domain::ingest::MAX_LABEL_NAME_CHARS
                || label.chars().any(char::is_control)
            {
                return Err(Error::invalid(
                    &field,
                    format!(
                        "a label name of 1 to {} characters, without surrounding spaces or control characters",
                        crate::domain::ingest::MAX_LABEL_NAME_CHARS
                    ),
                ));
            }
            if self.asset_labels[..index].contains(label) {
                return Err(Error::invalid(&field, format!("{label:?} is listed twice")));
            }
        }
        Ok(())
    }
}

/// Most labels in a company's asset label list.
pub const MAX_ASSET_LABELS: usize = 16;

/// What a reference names: an alert field or a label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlertRef {
    Asset,
    Signature,
    /// `severity` (its lower-case name).
    Severity,
    ToolSource,
    Message,
    DedupKey,
    /// `labels.<name>`.
    Label(String),
}

impl AlertRef {
    /// Parses `asset`, `signature`, … or `labels.<name>`; `fields` limits which fields are allowed.
    pub fn parse(text: &str, fields: &[&str]) -> std::result::Result<Self, String> {
        let text = text.trim();
        if let Some(label) = text.strip_prefix("labels.") {
            if label.is_empty() || label.len() > 128 || label.chars().any(char::is_control) {
                return Err(format!("{text:?} is not a valid label reference"));
            }
            return Ok(Self::Label(label.to_owned()));
        }
        if !fields.contains(&text) {
            return Err(format!(
                "{text:?} is not one of {} or labels.<name>",
                fields.join(", ")
            ));
        }
        Ok(match text {
            "asset" => Self::Asset,
            "signature" => Self::Signature,
            "severity" => Self::Severity,
            "tool_source" => Self::ToolSource,
            "message" => Self::Message,
            _ => Self::DedupKey,
        })
    }

    /// The reference as written.
    pub fn as_text(&self) -> String {
        match self {
            Self::Asset => "asset".to_owned(),
            Self::Signature => "signature".to_owned(),
            Self::Severity => "severity".to_owned(),
            Self::ToolSource => "tool_source".to_owned(),
            Self::Message => "message".to_owned(),
            Self::DedupKey => "dedup_key".to_owned(),
            Self::Label(name) => format!("labels.{name}"),
        }
    }
}

/// Fields an aggregation key may reference.
pub const KEY_FIELDS: &[&str] = &["asset", "signature", "severity", "tool_source"];
/// Fields a matcher may reference.
pub const MATCHER_FIELDS: &[&str] = &[
    "asset",
    "signature",
    "severity",
    "tool_source",
    "message",
    "dedup_key",
];

/// An aggregation key template: references joined with `|`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AggregationKey(Vec<AlertRef>);

impl Default for AggregationKey {
    fn default() -> Self {
        Self(vec![AlertRef::Asset, AlertRef::Signature])
    }
}

impl AggregationKey {
    /// Parses a template such as `asset|signature|labels.service`.
    pub fn parse(template: &str) -> Result<Self> {
        let parts: Vec<&str> = template.split('|').collect();
        if template.trim().is_empty() || parts.len() > MAX_TEMPLATE_PARTS {
            return Err(Error::invalid(
                "config.aggregation_key",
                format!("must be 1 to {MAX_TEMPLATE_PARTS} references joined with |"),
            ));
        }
        parts
            .iter()
            .map(|part| AlertRef::parse(part, KEY_FIELDS))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Self)
            .map_err(|why| Error::invalid("config.aggregation_key", why))
    }

    /// The template as written.
    pub fn template(&self) -> String {
        self.0
            .iter()
            .map(AlertRef::as_text)
            .collect::<Vec<_>>()
            .join("|")
    }

    /// The key's value for an alert.
    pub fn value_for(&self, alert: &impl AlertFields) -> String {
        self.0
            .iter()
            .map(|reference| alert.value_of(reference))
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// What matchers and keys read from an alert.
pub trait AlertFields {
    /// The value a reference names ("" for a missing label).
    fn value_of(&self, reference: &AlertRef) -> String;
}

/// How a matcher compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MatchOp {
    Equal,
    NotEqual,
    /// Matches the anchored regular expression.
    Regex,
    /// Does not match the anchored regular expression.
    NotRegex,
}

/// One validated condition on an alert.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Matcher {
    /// What it reads.
    pub reference: AlertRef,
    /// How it compares.
    pub op: MatchOp,
    /// The value or pattern.
    pub value: String,
    #[serde(skip)]
    compiled: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.reference == other.reference && self.op == other.op && self.value == other.value
    }
}

impl Matcher {
    /// Validates a matcher; `field` names it in errors (e.g. `matchers[2]`).
    pub fn new(field: &str, name: &str, op: MatchOp, value: &str) -> Result<Self> {
        let reference = AlertRef::parse(name, MATCHER_FIELDS)
            .map_err(|why| Error::invalid(&format!("{field}.name"), why))?;
        if value.len() > 1024 {
            return Err(Error::invalid(
                &format!("{field}.value"),
                "must be at most 1024 bytes",
            ));
        }
        let mut matcher = Self {
            reference,
            op,
            value: value.to_owned(),
            compiled: None,
        };
        matcher
            .compile()
            .map_err(|why| Error::invalid(&format!("{field}.value"), why))?;
        Ok(matcher)
    }

    fn compile(&mut self) -> std::result::Result<(), String> {
        if matches!(self.op, MatchOp::Regex | MatchOp::NotRegex) {
            // Anchored, as Alertmanager's matchers are.
            let regex = regex::RegexBuilder::new(&format!("^(?:{})$", self.value))
                .size_limit(1 << 20)
                .build()
                .map_err(|error| format!("not a valid regular expression: {error}"))?;
            self.compiled = Some(regex);
        }
        Ok(())
    }

    /// Restores the compiled pattern after deserialising a stored matcher.
    pub fn restored(mut self) -> Self {
        if self.compile().is_err() {
            // A stored pattern was valid when stored; if not, it matches nothing.
            self.compiled = Regex::new("[^\\s\\S]").ok();
        }
        self
    }

    /// Whether the alert satisfies the matcher.
    pub fn matches(&self, alert: &impl AlertFields) -> bool {
        let value = alert.value_of(&self.reference);
        match self.op {
            MatchOp::Equal => value == self.value,
            MatchOp::NotEqual => value != self.value,
            MatchOp::Regex => self.compiled.as_ref().is_some_and(|r| r.is_match(&value)),
            MatchOp::NotRegex => !self.compiled.as_ref().is_some_and(|r| r.is_match(&value)),
        }
    }
}

/// Whether every matcher matches (an empty list matches everything).
pub fn all_match(matchers: &[Matcher], alert: &impl AlertFields) -> bool {
    matchers.iter().all(|matcher| matcher.matches(alert))
}

/// A silence's state at `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceState {
    /// Starts later.
    Pending,
    /// In force.
    Active,
    Expired,
}

/// The state of a silence spanning `[starts_at, ends_at)` at `now` (ms).
pub fn silence_state(starts_at: i64, ends_at: i64, now: i64) -> SilenceState {
    if now < starts_at {
        SilenceState::Pending
    } else if now < ends_at {
        SilenceState::Active
    } else {
        SilenceState::Expired
    }
}

/// Checks a silence's time range (ms): start before end, end in the future,
/// at most [`MAX_SILENCE`] long.
pub fn validate_silence_range(starts_at: i64, ends_at: i64, now: i64) -> Result<()> {
    if ends_at <= starts_at {
        return Err(Error::invalid("end_time", "must be after start_time"));
    }
    if ends_at <= now {
        return Err(Error::invalid("end_time", "must be in the future"));
    }
    let longest = i64::try_from(MAX_SILENCE.as_millis()).unwrap_or(i64::MAX);
    if ends_at - starts_at > longest {
        return Err(Error::invalid(
            "end_time",
            "a silence lasts at most 366 days",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Alert(BTreeMap<String, String>);

    impl AlertFields for Alert {
        fn value_of(&self, reference: &AlertRef) -> String {
            let key = match reference {
                AlertRef::Label(name) => format!("labels.{name}"),
                other => other.as_text(),
            };
            self.0.get(&key).cloned().unwrap_or_default()
        }
    }

    fn alert(pairs: &[(&str, &str)]) -> Alert {
        Alert(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn aggregation_key_templates_parse_and_evaluate() {
        let key = AggregationKey::parse("asset|signature|labels.service").expect("valid");
        assert_eq!(key.template(), "asset|signature|labels.service");
        let value = key.value_for(&alert(&[
            ("asset", "web-01"),
            ("signature", "disk_full"),
            ("labels.service", "nginx"),
        ]));
        assert_eq!(value, "web-01|disk_full|nginx");
        let missing = key.value_for(&alert(&[("asset", "a"), ("signature", "s")]));
        assert_eq!(missing, "a|s|", "a missing label is an empty part");
        assert_eq!(AggregationKey::default().template(), "asset|signature");
        for bad in ["", "asset||signature", "host", "labels.", "message"] {
            let error = AggregationKey::parse(bad).expect_err(bad);
            assert!(
                error.to_string().starts_with("config.aggregation_key"),
                "{error}"
            );
        }
        assert!(AggregationKey::parse(&vec!["asset"; 17].join("|")).is_err());
    }

    #[test]
    fn settings_bounds_are_enforced() {
        assert!(CorrelationSettings::default().validate().is_ok());
        for minutes in [4, 16] {
            let settings = CorrelationSettings {
                window: Duration::from_secs(minutes * 60),
                ..Default::default()
            };
            let error = settings.validate().expect_err("out of range");
            assert!(error.to_string().starts_with("config.window"));
        }
        let settings = CorrelationSettings {
            flapping_threshold: 1,
            ..Default::default()
        };
        assert!(settings.validate().is_err());
    }

    #[test]
    fn matchers_compare_fields_and_labels() {
        let db = alert(&[
            ("asset", "db-01"),
            ("labels.env", "prod"),
            ("severity", "high"),
        ]);
        let equal = Matcher::new("m", "labels.env", MatchOp::Equal, "prod").expect("valid");
        assert!(equal.matches(&db));
        let regex = Matcher::new("m", "asset", MatchOp::Regex, "db-.*").expect("valid");
        assert!(regex.matches(&db));
        let anchored = Matcher::new("m", "asset", MatchOp::Regex, "db").expect("valid");
        assert!(!anchored.matches(&db), "regexes are anchored");
        let not = Matcher::new("m", "severity", MatchOp::NotRegex, "critical|high").expect("ok");
        assert!(!not.matches(&db));
        assert!(all_match(&[equal, regex], &db));
        assert!(all_match(&[], &db));
        let error = Matcher::new("matchers[1]", "asset", MatchOp::Regex, "(").expect_err("bad");
        assert!(error.to_string().starts_with("matchers[1].value"));
        let error = Matcher::new("matchers[0]", "host", MatchOp::Equal, "x").expect_err("bad");
        assert!(error.to_string().starts_with("matchers[0].name"));
    }

    #[test]
    fn stored_matchers_round_trip() {
        let matcher = Matcher::new("m", "asset", MatchOp::Regex, "web-.*").expect("valid");
        let json = serde_json::to_string(&matcher).expect("serialises");
        let back: Matcher = serde_json::from_str::<Matcher>(&json)
            .expect("deserialises")
            .restored();
        assert!(back.matches(&alert(&[("asset", "web-7")])));
        assert_eq!(back, matcher);
    }

    #[test]
    fn silence_states_follow_time() {
        assert_eq!(silence_state(10, 20, 5), SilenceState::Pending);
        assert_eq!(silence_state(10, 20, 10), SilenceState::Active);
        assert_eq!(silence_state(10, 20, 20), SilenceState::Expired);
        assert!(validate_silence_range(10, 5, 0).is_err());
        assert!(validate_silence_range(0, 10, 20).is_err());
        assert!(validate_silence_range(0, 10, 5).is_ok());
    }
}
