//! CorrelationService's messages to and from [`crate::service::correlation`]:
//! the requests' shape checked (required ids and times, enum numbers,
//! durations, update masks) and read into the domain's types, the service's
//! records and answers as messages. Matchers are converted here for the
//! other services that take them too (remediation rules, notification routes).

use std::collections::BTreeMap;

use super::super::convert::{duration, required_id, timestamp, timestamp_ms};
use crate::domain::correlation::{AggregationKey, Criticality, MatchOp, Matcher, SilenceState};
use crate::domain::incident::Decision;
use crate::error::{Error, Result};
use crate::proto::v1;
use crate::service::correlation::{
    CorrelationConfig, CorrelationRun, Explanation, InhibitionRule, InhibitionRuleFields,
    NoiseStats, Preview, PreviewIncident, SettingsChange, Silence, SilenceFields,
};

/// The fields of a CorrelationConfig an update mask may name.
const CONFIG_FIELDS: &[&str] = &[
    "window",
    "aggregation_key",
    "auto_correlate",
    "auto_resolve_incidents",
    "auto_assign",
    "flapping",
    "storm_grouping",
    "asset_criticality",
    "asset_labels",
    "lateness",
];

/// Validated matchers of a request (`field` names them in errors).
pub(crate) fn matchers_of(
    field: &str,
    matchers: &[v1::Matcher],
    required: bool,
) -> Result<Vec<Matcher>> {
    if required && matchers.is_empty() {
        return Err(Error::invalid(field, "at least one matcher is required"));
    }
    if matchers.len() > 32 {
        return Err(Error::invalid(field, "at most 32 matchers"));
    }
    matchers
        .iter()
        .enumerate()
        .map(|(index, matcher)| {
            let name = format!("{field}[{index}]");
            let op = match v1::MatchOperator::try_from(matcher.operator) {
                Ok(v1::MatchOperator::Equal) => MatchOp::Equal,
                Ok(v1::MatchOperator::NotEqual) => MatchOp::NotEqual,
                Ok(v1::MatchOperator::Regex) => MatchOp::Regex,
                Ok(v1::MatchOperator::NotRegex) => MatchOp::NotRegex,
                Ok(v1::MatchOperator::Unspecified) | Err(_) => {
                    return Err(Error::invalid(
                        &format!("{name}.operator"),
                        "must be equal, not-equal, regex or not-regex",
                    ));
                }
            };
            Ok(Matcher::new(&name, &matcher.name, op, &matcher.value)?)
        })
        .collect()
}

impl From<&Matcher> for v1::Matcher {
    fn from(matcher: &Matcher) -> Self {
        Self {
            name: matcher.reference.as_text(),
            operator: match matcher.op {
                MatchOp::Equal => v1::MatchOperator::Equal,
                MatchOp::NotEqual => v1::MatchOperator::NotEqual,
                MatchOp::Regex => v1::MatchOperator::Regex,
                MatchOp::NotRegex => v1::MatchOperator::NotRegex,
            }
            .into(),
            value: matcher.value.clone(),
        }
    }
}

/// A duration of whole seconds (the settings are stored in seconds).
fn whole_seconds(field: &str, value: &prost_types::Duration) -> Result<std::time::Duration> {
    let value = duration(field, value)?;
    if value.subsec_nanos() != 0 {
        return Err(Error::invalid(field, "must be whole seconds"));
    }
    Ok(value)
}

/// The changes `config` asks for in the fields named by `paths`, in their
/// order; the first field that does not convert (or is not a field) fails.
fn settings_changes(config: &v1::CorrelationConfig, paths: &[&str]) -> Result<Vec<SettingsChange>> {
    paths
        .iter()
        .map(|path| {
            Ok(match *path {
                "window" => {
                    let window = config
                        .window
                        .as_ref()
                        .ok_or_else(|| Error::invalid("config.window", "is required"))?;
                    SettingsChange::Window(duration("config.window", window)?)
                }
                "aggregation_key" => {
                    SettingsChange::AggregationKey(AggregationKey::parse(&config.aggregation_key)?)
                }
                "auto_correlate" => SettingsChange::AutoCorrelate(config.auto_correlate),
                "auto_resolve_incidents" => {
                    SettingsChange::AutoResolve(config.auto_resolve_incidents)
                }
                "auto_assign" => SettingsChange::AutoAssign(config.auto_assign),
                "flapping" => {
                    let flapping = config.flapping.unwrap_or_default();
                    SettingsChange::Flapping {
                        enabled: flapping.enabled,
                        // A negative threshold fails validation as 0 does.
                        threshold: u32::try_from(flapping.threshold).unwrap_or(0),
                    }
                }
                "storm_grouping" => {
                    let storm = config.storm_grouping.unwrap_or_default();
                    SettingsChange::StormGrouping {
                        enabled: storm.enabled,
                        min_assets: u32::try_from(storm.min_assets).unwrap_or(0),
                        gap: storm
                            .gap
                            .as_ref()
                            .map(|gap| whole_seconds("config.storm_grouping.gap", gap))
                            .transpose()?,
                        baseline_factor: storm
                            .baseline_factor
                            .map(|percent| {
                                u32::try_from(percent).map_err(|_| {
                                    Error::invalid(
                                        "config.storm_grouping.baseline_factor",
                                        "must be between 0 and 100",
                                    )
                                })
                            })
                            .transpose()?,
                    }
                }
                "lateness" => {
                    let lateness = config
                        .lateness
                        .as_ref()
                        .ok_or_else(|| Error::invalid("config.lateness", "is required"))?;
                    SettingsChange::Lateness(whole_seconds("config.lateness", lateness)?)
                }
                "asset_criticality" => {
                    let mut criticality = BTreeMap::new();
                    for (asset, level) in &config.asset_criticality {
                        let level = Criticality::from_number(*level).ok_or_else(|| {
                            Error::invalid(
                                "config.asset_criticality",
                                format!(
                                    "{asset:?}: criticality must be low, medium, high or critical"
                                ),
                            )
                        })?;
                        criticality.insert(asset.clone(), level);
                    }
                    SettingsChange::AssetCriticality(criticality)
                }
                "asset_labels" => SettingsChange::AssetLabels(config.asset_labels.clone()),
                other => {
                    return Err(Error::invalid(
                        "update_mask",
                        format!(
                            "unknown field {other:?}; allowed: {}",
                            CONFIG_FIELDS.join(", ")
                        ),
                    ));
                }
            })
        })
        .collect()
}

/// The changes an UpdateCorrelationConfig asks for: the fields its mask
/// names, or every field when the mask is empty.
pub(super) fn update_changes(
    config: &v1::CorrelationConfig,
    mask: Option<&prost_types::FieldMask>,
) -> Result<Vec<SettingsChange>> {
    let paths: Vec<&str> = match mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.iter().map(String::as_str).collect(),
        _ => CONFIG_FIELDS.to_vec(),
    };
    settings_changes(config, &paths)
}

/// The changes a PreviewCorrelation's candidate asks for: its flags and
/// criticality map always, the other fields when they are set (the defaults
/// stand for the rest; the asset labels are not previewed).
pub(super) fn preview_changes(candidate: &v1::CorrelationConfig) -> Result<Vec<SettingsChange>> {
    let mut paths = vec![
        "auto_correlate",
        "auto_resolve_incidents",
        "auto_assign",
        "asset_criticality",
    ];
    if candidate.window.is_some() {
        paths.push("window");
    }
    if !candidate.aggregation_key.is_empty() {
        paths.push("aggregation_key");
    }
    if candidate.flapping.is_some() {
        paths.push("flapping");
    }
    if candidate.storm_grouping.is_some() {
        paths.push("storm_grouping");
    }
    if candidate.lateness.is_some() {
        paths.push("lateness");
    }
    settings_changes(candidate, &paths)
}

/// A required timestamp of a request, in Unix milliseconds.
pub(super) fn required_time(field: &str, value: Option<&prost_types::Timestamp>) -> Result<i64> {
    timestamp_ms(
        field,
        value.ok_or_else(|| Error::invalid(field, "is required"))?,
    )
}

/// An optional timestamp of a request, in Unix milliseconds.
pub(super) fn optional_time(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<Option<i64>> {
    value.map(|value| timestamp_ms(field, value)).transpose()
}

impl From<CorrelationConfig> for v1::CorrelationConfig {
    fn from(config: CorrelationConfig) -> Self {
        let settings = config.settings;
        Self {
            company_id: config.company_id,
            window: prost_types::Duration::try_from(settings.window).ok(),
            aggregation_key: settings.aggregation_key.template(),
            auto_correlate: settings.auto_correlate,
            auto_resolve_incidents: settings.auto_resolve,
            auto_assign: settings.auto_assign,
            flapping: Some(v1::FlappingSettings {
                enabled: settings.flapping_enabled,
                threshold: i32::try_from(settings.flapping_threshold).unwrap_or(i32::MAX),
            }),
            storm_grouping: Some(v1::StormGroupingSettings {
                enabled: settings.storm_enabled,
                min_assets: i32::try_from(settings.storm_min_assets).unwrap_or(i32::MAX),
                gap: prost_types::Duration::try_from(settings.storm_gap).ok(),
                baseline_factor: Some(
                    i32::try_from(settings.storm_baseline_factor).unwrap_or(i32::MAX),
                ),
            }),
            lateness: prost_types::Duration::try_from(settings.lateness).ok(),
            asset_criticality: settings
                .asset_criticality
                .iter()
                .map(|(asset, level)| (asset.clone(), *level as i32))
                .collect(),
            update_time: config.updated_at.map(timestamp),
            updated_by: config.updated_by,
            asset_labels: settings.asset_labels,
        }
    }
}

impl TryFrom<v1::CreateSilenceRequest> for SilenceFields {
    type Error = Error;

    fn try_from(body: v1::CreateSilenceRequest) -> Result<Self> {
        Ok(Self {
            company_id: required_id("company_id", &body.company_id)?.to_owned(),
            matchers: matchers_of("matchers", &body.matchers, true)?,
            starts_at: optional_time("start_time", body.start_time.as_ref())?,
            ends_at: required_time("end_time", body.end_time.as_ref())?,
            comment: body.comment,
        })
    }
}

impl TryFrom<v1::CreateInhibitionRuleRequest> for InhibitionRuleFields {
    type Error = Error;

    fn try_from(body: v1::CreateInhibitionRuleRequest) -> Result<Self> {
        Ok(Self {
            company_id: required_id("company_id", &body.company_id)?.to_owned(),
            source: matchers_of("source_matchers", &body.source_matchers, true)?,
            target: matchers_of("target_matchers", &body.target_matchers, true)?,
            equal: body.equal,
            comment: body.comment,
        })
    }
}

impl From<SilenceState> for v1::SilenceState {
    fn from(state: SilenceState) -> Self {
        match state {
            SilenceState::Pending => Self::Pending,
            SilenceState::Active => Self::Active,
            SilenceState::Expired => Self::Expired,
        }
    }
}

impl From<Silence> for v1::Silence {
    fn from(silence: Silence) -> Self {
        Self {
            matchers: silence.matchers.iter().map(v1::Matcher::from).collect(),
            id: silence.id,
            company_id: silence.company_id,
            start_time: Some(timestamp(silence.starts_at)),
            end_time: Some(timestamp(silence.ends_at)),
            comment: silence.comment,
            created_by: silence.created_by,
            create_time: Some(timestamp(silence.created_at)),
            state: v1::SilenceState::from(silence.state).into(),
            suppressed_alert_count: silence.suppressed_count,
        }
    }
}

impl From<InhibitionRule> for v1::InhibitionRule {
    fn from(rule: InhibitionRule) -> Self {
        Self {
            source_matchers: rule.source.iter().map(v1::Matcher::from).collect(),
            target_matchers: rule.target.iter().map(v1::Matcher::from).collect(),
            equal: rule.equal,
            id: rule.id,
            company_id: rule.company_id,
            comment: rule.comment,
            created_by: rule.created_by,
            create_time: Some(timestamp(rule.created_at)),
            suppressed_alert_count: rule.suppressed_count,
        }
    }
}

impl From<CorrelationRun> for v1::CorrelateNowResponse {
    fn from(run: CorrelationRun) -> Self {
        Self {
            alerts_processed: run.alerts_processed,
            incidents_created: run.incidents_created,
            alerts_correlated: run.alerts_correlated,
            alerts_suppressed: run.alerts_suppressed,
        }
    }
}

impl From<PreviewIncident> for v1::PreviewIncident {
    fn from(incident: PreviewIncident) -> Self {
        Self {
            aggregation_key: incident.aggregation_key,
            asset: incident.asset,
            signature: incident.signature,
            severity: i32::from(incident.severity.as_i16()),
            alert_count: incident.alert_count,
            first_alert_time: Some(timestamp(incident.first_alert_at)),
            last_alert_time: Some(timestamp(incident.last_alert_at)),
            flapping: incident.flapping,
            parent_aggregation_key: incident.parent_aggregation_key,
        }
    }
}

impl From<Preview> for v1::PreviewCorrelationResponse {
    fn from(preview: Preview) -> Self {
        Self {
            incidents: messages(preview.incidents),
            incidents_truncated: preview.truncated,
            alert_count: preview.alert_count,
            incident_count: preview.incident_count,
            suppressed_alert_count: preview.suppressed_alert_count,
            noise_reduction_pct: preview.noise_reduction_pct,
        }
    }
}

impl From<Decision> for v1::CorrelationDecision {
    fn from(decision: Decision) -> Self {
        Self {
            kind: decision.kind as i32,
            reason: decision.reason,
            reference_id: decision.reference_id,
        }
    }
}

impl From<Explanation> for v1::ExplainAlertResponse {
    fn from(explanation: Explanation) -> Self {
        let (window_start, window_end) = explanation.window;
        Self {
            asset_label: explanation.asset_label.unwrap_or_default(),
            alert: Some(v1::Alert::from(&explanation.alert)),
            outcome: i32::from(explanation.outcome.as_i16()),
            incident_id: explanation.incident_id.unwrap_or_default(),
            aggregation_key: explanation.aggregation_key,
            window_start_time: Some(timestamp(window_start)),
            window_end_time: Some(timestamp(window_end)),
            decisions: messages(explanation.decisions),
        }
    }
}

impl From<NoiseStats> for v1::GetNoiseStatsResponse {
    fn from(stats: NoiseStats) -> Self {
        Self {
            alert_count: stats.alert_count,
            incident_count: stats.incident_count,
            noise_reduction_pct: stats.noise_reduction_pct,
            deduplicated_alert_count: stats.deduplicated_alert_count,
            correlated_alert_count: stats.correlated_alert_count,
            silenced_alert_count: stats.silenced_alert_count,
            inhibited_alert_count: stats.inhibited_alert_count,
            uncorrelated_alert_count: stats.uncorrelated_alert_count,
            flapping_incident_count: stats.flapping_incident_count,
            storm_incident_count: stats.storm_incident_count,
        }
    }
}

/// The service's records as messages.
pub(super) fn messages<Record, Message: From<Record>>(records: Vec<Record>) -> Vec<Message> {
    records.into_iter().map(Message::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(n: i64) -> Option<prost_types::Duration> {
        Some(prost_types::Duration {
            seconds: n,
            nanos: 0,
        })
    }

    #[test]
    fn an_empty_mask_changes_every_field_and_an_unknown_one_is_named() {
        let config = v1::CorrelationConfig {
            window: seconds(600),
            aggregation_key: "asset|signature".to_owned(),
            lateness: seconds(3600),
            ..Default::default()
        };
        let every = update_changes(&config, None).expect("every field");
        assert_eq!(every.len(), CONFIG_FIELDS.len());
        let mask = prost_types::FieldMask {
            paths: vec!["auto_assign".to_owned(), "colour".to_owned()],
        };
        let error = update_changes(&config, Some(&mask)).expect_err("unknown field");
        assert!(error.to_string().starts_with("update_mask"), "{error}");
        assert!(error.to_string().contains("\"colour\""), "{error}");
    }

    #[test]
    fn the_first_field_that_does_not_convert_is_named() {
        let config = v1::CorrelationConfig {
            lateness: Some(prost_types::Duration {
                seconds: 3600,
                nanos: 1,
            }),
            ..Default::default()
        };
        let mask = |paths: &[&str]| prost_types::FieldMask {
            paths: paths.iter().map(|path| (*path).to_owned()).collect(),
        };
        for (paths, field) in [
            (&["lateness", "window"][..], "config.lateness"),
            (&["window", "lateness"][..], "config.window"),
        ] {
            let error = update_changes(&config, Some(&mask(paths))).expect_err(field);
            assert!(error.to_string().starts_with(field), "{error}");
        }
    }

    #[test]
    fn a_preview_candidate_changes_the_fields_it_sets() {
        let changes = preview_changes(&v1::CorrelationConfig::default()).expect("flags");
        assert_eq!(changes.len(), 4, "{changes:?}");
        let changes = preview_changes(&v1::CorrelationConfig {
            window: seconds(300),
            storm_grouping: Some(v1::StormGroupingSettings::default()),
            ..Default::default()
        })
        .expect("set fields");
        assert!(matches!(
            changes.as_slice(),
            [
                ..,
                SettingsChange::Window(_),
                SettingsChange::StormGrouping {
                    gap: None,
                    baseline_factor: None,
                    ..
                }
            ]
        ));
    }
}
