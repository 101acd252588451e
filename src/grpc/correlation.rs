//! CorrelationService: per-company correlation config, silences and inhibition
//! rules. CorrelateNow, PreviewCorrelation, ExplainAlert and GetNoiseStats belong
//! to the correlation engine and answer UNIMPLEMENTED until it lands.

use std::collections::BTreeMap;

use tonic::{Request, Response, Status};

use super::convert::{duration, duration_ms, required_id, timestamp, timestamp_ms};
use crate::domain::incident::{Decision, DecisionKind, Outcome, noise_reduction_pct};
use crate::owner::command::{Answer, Command, Reload};
use crate::store::ScopedCompany;
use crate::store::incident::{decisions_of, event_of};

/// Longest PreviewCorrelation range.
const PREVIEW_MAX_RANGE_MS: i64 = 31 * 24 * 3600 * 1000;
use super::operator;
use crate::app::AppState;
use crate::domain::correlation::{
    AggregationKey, AlertRef, CorrelationSettings, Criticality, DEFAULT_STORM_GAP, MATCHER_FIELDS,
    MatchOp, Matcher, SilenceState, silence_state, validate_silence_range,
};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::proto::v1::{self, correlation_service_server::CorrelationService};
use crate::store::correlation::settings_of;
use crate::store::correlation::{NewInhibitionRule, NewSilence};
use crate::store::entity::{correlation_config, inhibition_rule, silence};
use crate::store::tenant::Audit;
use crate::store::{Page, now_ms};

/// The CorrelationService handler.
#[derive(Debug, Clone)]
pub struct CorrelationHandler {
    state: AppState,
}

impl CorrelationHandler {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn config_message(
    company_id: &str,
    settings: &CorrelationSettings,
    row: Option<&correlation_config::Model>,
) -> v1::CorrelationConfig {
    v1::CorrelationConfig {
        company_id: company_id.to_owned(),
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
        update_time: row.map(|row| timestamp(row.updated_at)),
        updated_by: row.map(|row| row.updated_by.clone()).unwrap_or_default(),
        asset_labels: settings.asset_labels.clone(),
    }
}

/// Applies the fields named in `paths` from `config` onto `settings`.
fn apply_config(
    settings: &mut CorrelationSettings,
    config: &v1::CorrelationConfig,
    paths: &[&str],
) -> Result<()> {
    for path in paths {
        match *path {
            "window" => {
                let window = config
                    .window
                    .as_ref()
                    .ok_or_else(|| Error::invalid("config.window", "is required"))?;
                settings.window = duration("config.window", window)?;
            }
            "aggregation_key" => {
                settings.aggregation_key = AggregationKey::parse(&config.aggregation_key)?;
            }
            "auto_correlate" => settings.auto_correlate = config.auto_correlate,
            "auto_resolve_incidents" => settings.auto_resolve = config.auto_resolve_incidents,
            "auto_assign" => settings.auto_assign = config.auto_assign,
            "flapping" => {
                let flapping = config.flapping.unwrap_or_default();
                settings.flapping_enabled = flapping.enabled;
                settings.flapping_threshold = u32::try_from(flapping.threshold).unwrap_or(0);
            }
            "storm_grouping" => {
                let storm = config.storm_grouping.unwrap_or_default();
                settings.storm_enabled = storm.enabled;
                settings.storm_min_assets = u32::try_from(storm.min_assets).unwrap_or(0);
                settings.storm_gap = match &storm.gap {
                    Some(gap) => whole_seconds("config.storm_grouping.gap", gap)?,
                    None => DEFAULT_STORM_GAP,
                };
                settings.storm_baseline_factor = match storm.baseline_factor {
                    Some(percent) => u32::try_from(percent).map_err(|_| {
                        Error::invalid(
                            "config.storm_grouping.baseline_factor",
                            "must be between 0 and 100",
                        )
                    })?,
                    None => CorrelationSettings::default().storm_baseline_factor,
                };
            }
            "lateness" => {
                let lateness = config
                    .lateness
                    .as_ref()
                    .ok_or_else(|| Error::invalid("config.lateness", "is required"))?;
                settings.lateness = whole_seconds("config.lateness", lateness)?;
            }
            "asset_criticality" => {
                let mut criticality = BTreeMap::new();
                for (asset, level) in &config.asset_criticality {
                    let level = Criticality::from_number(*level).ok_or_else(|| {
                        Error::invalid(
                            "config.asset_criticality",
                            format!("{asset:?}: criticality must be low, medium, high or critical"),
                        )
                    })?;
                    criticality.insert(asset.clone(), level);
                }
                settings.asset_criticality = criticality;
            }
            "asset_labels" => settings.asset_labels.clone_from(&config.asset_labels),
            other => {
                return Err(Error::invalid(
                    "update_mask",
                    format!(
                        "unknown field {other:?}; allowed: {}",
                        CONFIG_FIELDS.join(", ")
                    ),
                ));
            }
        }
    }
    settings.validate()
}

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

/// A duration of whole seconds (the settings are stored in seconds).
fn whole_seconds(field: &str, value: &prost_types::Duration) -> Result<std::time::Duration> {
    let value = duration(field, value)?;
    if value.subsec_nanos() != 0 {
        return Err(Error::invalid(field, "must be whole seconds"));
    }
    Ok(value)
}

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
            Matcher::new(&name, &matcher.name, op, &matcher.value)
        })
        .collect()
}

fn matcher_messages(json: &str) -> Vec<v1::Matcher> {
    matcher_messages_of(&serde_json::from_str::<Vec<Matcher>>(json).unwrap_or_default())
}

/// The proto form of matchers.
pub(crate) fn matcher_messages_of(matchers: &[Matcher]) -> Vec<v1::Matcher> {
    matchers
        .iter()
        .map(|matcher| v1::Matcher {
            name: matcher.reference.as_text(),
            operator: match matcher.op {
                MatchOp::Equal => v1::MatchOperator::Equal,
                MatchOp::NotEqual => v1::MatchOperator::NotEqual,
                MatchOp::Regex => v1::MatchOperator::Regex,
                MatchOp::NotRegex => v1::MatchOperator::NotRegex,
            }
            .into(),
            value: matcher.value.clone(),
        })
        .collect()
}

fn silence_message(row: silence::Model) -> v1::Silence {
    let state = match silence_state(row.starts_at, row.ends_at, now_ms()) {
        SilenceState::Pending => v1::SilenceState::Pending,
        SilenceState::Active => v1::SilenceState::Active,
        SilenceState::Expired => v1::SilenceState::Expired,
    };
    v1::Silence {
        matchers: matcher_messages(&row.matchers),
        id: row.id,
        company_id: row.company_id,
        start_time: Some(timestamp(row.starts_at)),
        end_time: Some(timestamp(row.ends_at)),
        comment: row.comment,
        created_by: row.created_by,
        create_time: Some(timestamp(row.created_at)),
        state: state.into(),
        suppressed_alert_count: row.suppressed_count,
    }
}

fn inhibition_message(row: inhibition_rule::Model) -> v1::InhibitionRule {
    v1::InhibitionRule {
        source_matchers: matcher_messages(&row.source_matchers),
        target_matchers: matcher_messages(&row.target_matchers),
        equal: serde_json::from_str(&row.equal_refs).unwrap_or_default(),
        id: row.id,
        company_id: row.company_id,
        comment: row.comment,
        created_by: row.created_by,
        create_time: Some(timestamp(row.created_at)),
        suppressed_alert_count: row.suppressed_count,
    }
}

fn comment_of(comment: &str) -> Result<String> {
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(Error::invalid("comment", "is required: say why"));
    }
    if comment.chars().count() > 1000 {
        return Err(Error::invalid("comment", "must be at most 1000 characters"));
    }
    Ok(comment.to_owned())
}

#[tonic::async_trait]
impl CorrelationService for CorrelationHandler {
    async fn get_correlation_config(
        &self,
        request: Request<v1::GetCorrelationConfigRequest>,
    ) -> Result<Response<v1::GetCorrelationConfigResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let row = self
            .state
            .store
            .correlation_config(&operator.scope, company_id)
            .await?;
        let settings = settings_of(row.as_ref());
        Ok(Response::new(v1::GetCorrelationConfigResponse {
            config: Some(config_message(company_id, &settings, row.as_ref())),
        }))
    }

    async fn update_correlation_config(
        &self,
        request: Request<v1::UpdateCorrelationConfigRequest>,
    ) -> Result<Response<v1::UpdateCorrelationConfigResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let config = body
            .config
            .ok_or_else(|| Error::invalid("config", "is required"))?;
        let company_id = required_id("config.company_id", &config.company_id)?;
        let current = self
            .state
            .store
            .correlation_config(&operator.scope, company_id)
            .await?;
        let mut settings = settings_of(current.as_ref());
        let paths: Vec<&str> = match &body.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask.paths.iter().map(String::as_str).collect(),
            _ => CONFIG_FIELDS.to_vec(),
        };
        apply_config(&mut settings, &config, &paths)?;
        let stored = self
            .state
            .store
            .set_correlation_config(
                &Audit::new(
                    operator.actor(),
                    "CorrelationService.UpdateCorrelationConfig",
                ),
                &operator.scope,
                company_id,
                &settings,
            )
            .await?;
        self.state
            .owners
            .reload_company(
                &ScopedCompany::system(company_id.to_owned()),
                Reload::Settings,
            )
            .await?;
        Ok(Response::new(v1::UpdateCorrelationConfigResponse {
            config: Some(config_message(company_id, &settings, Some(&stored))),
        }))
    }

    async fn create_silence(
        &self,
        request: Request<v1::CreateSilenceRequest>,
    ) -> Result<Response<v1::CreateSilenceResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let matchers = matchers_of("matchers", &body.matchers, true)?;
        let now = now_ms();
        let starts_at = body
            .start_time
            .as_ref()
            .map(|t| timestamp_ms("start_time", t))
            .transpose()?
            .unwrap_or(now);
        let ends_at = timestamp_ms(
            "end_time",
            body.end_time
                .as_ref()
                .ok_or_else(|| Error::invalid("end_time", "is required"))?,
        )?;
        validate_silence_range(starts_at, ends_at, now)?;
        let created = self
            .state
            .store
            .create_silence(
                &Audit::new(operator.actor(), "CorrelationService.CreateSilence"),
                &operator.scope,
                NewSilence {
                    company_id: company_id.to_owned(),
                    matchers,
                    starts_at,
                    ends_at,
                    comment: comment_of(&body.comment)?,
                },
            )
            .await?;
        self.state
            .owners
            .reload_company(
                &ScopedCompany::system(created.company_id.clone()),
                Reload::Suppression,
            )
            .await?;
        Ok(Response::new(v1::CreateSilenceResponse {
            silence: Some(silence_message(created)),
        }))
    }

    async fn list_silences(
        &self,
        request: Request<v1::ListSilencesRequest>,
    ) -> Result<Response<v1::ListSilencesResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let page = Page::new(body.page_size, &body.page_token)?;
        let (rows, next_page_token) = self
            .state
            .store
            .list_silences(&operator.scope, company_id, body.include_expired, &page)
            .await?;
        Ok(Response::new(v1::ListSilencesResponse {
            silences: rows.into_iter().map(silence_message).collect(),
            next_page_token,
        }))
    }

    async fn delete_silence(
        &self,
        request: Request<v1::DeleteSilenceRequest>,
    ) -> Result<Response<v1::DeleteSilenceResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let id = required_id("silence_id", &body.silence_id)?;
        let ended = self
            .state
            .store
            .expire_silence(
                &Audit::new(operator.actor(), "CorrelationService.DeleteSilence"),
                &operator.scope,
                id,
            )
            .await?;
        self.state
            .owners
            .reload_company(
                &ScopedCompany::system(ended.company_id.clone()),
                Reload::Suppression,
            )
            .await?;
        Ok(Response::new(v1::DeleteSilenceResponse {
            silence: Some(silence_message(ended)),
        }))
    }

    async fn create_inhibition_rule(
        &self,
        request: Request<v1::CreateInhibitionRuleRequest>,
    ) -> Result<Response<v1::CreateInhibitionRuleResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let source = matchers_of("source_matchers", &body.source_matchers, true)?;
        let target = matchers_of("target_matchers", &body.target_matchers, true)?;
        let equal = body
            .equal
            .iter()
            .enumerate()
            .map(|(index, reference)| {
                AlertRef::parse(reference, MATCHER_FIELDS)
                    .map(|parsed| parsed.as_text())
                    .map_err(|why| Error::invalid(&format!("equal[{index}]"), why))
            })
            .collect::<Result<Vec<_>>>()?;
        let created = self
            .state
            .store
            .create_inhibition_rule(
                &Audit::new(operator.actor(), "CorrelationService.CreateInhibitionRule"),
                &operator.scope,
                NewInhibitionRule {
                    company_id: company_id.to_owned(),
                    source,
                    target,
                    equal,
                    comment: comment_of(&body.comment)?,
                },
            )
            .await?;
        self.state
            .owners
            .reload_company(
                &ScopedCompany::system(created.company_id.clone()),
                Reload::Suppression,
            )
            .await?;
        Ok(Response::new(v1::CreateInhibitionRuleResponse {
            inhibition_rule: Some(inhibition_message(created)),
        }))
    }

    async fn list_inhibition_rules(
        &self,
        request: Request<v1::ListInhibitionRulesRequest>,
    ) -> Result<Response<v1::ListInhibitionRulesResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let page = Page::new(body.page_size, &body.page_token)?;
        let (rows, next_page_token) = self
            .state
            .store
            .list_inhibition_rules(&operator.scope, company_id, &page)
            .await?;
        Ok(Response::new(v1::ListInhibitionRulesResponse {
            inhibition_rules: rows.into_iter().map(inhibition_message).collect(),
            next_page_token,
        }))
    }

    async fn delete_inhibition_rule(
        &self,
        request: Request<v1::DeleteInhibitionRuleRequest>,
    ) -> Result<Response<v1::DeleteInhibitionRuleResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let id = required_id("inhibition_rule_id", &body.inhibition_rule_id)?;
        let company = self
            .state
            .store
            .delete_inhibition_rule(
                &Audit::new(operator.actor(), "CorrelationService.DeleteInhibitionRule"),
                &operator.scope,
                id,
            )
            .await?;
        self.state
            .owners
            .reload_company(&company, Reload::Suppression)
            .await?;
        Ok(Response::new(v1::DeleteInhibitionRuleResponse {}))
    }

    async fn correlate_now(
        &self,
        request: Request<v1::CorrelateNowRequest>,
    ) -> Result<Response<v1::CorrelateNowResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let company = self
            .state
            .store
            .scoped_company(&operator.scope, company_id)
            .await?;
        let answer = self
            .state
            .owners
            .execute(&company, Command::CorrelatePending { manual: true })
            .await?;
        let Answer::Correlated {
            results,
            incidents_created,
        } = answer
        else {
            return Err(
                Error::Internal(format!("unexpected answer to CorrelateNow: {answer:?}")).into(),
            );
        };
        Ok(Response::new(v1::CorrelateNowResponse {
            alerts_processed: i64::try_from(results.len()).unwrap_or(i64::MAX),
            incidents_created,
            alerts_correlated: crate::owner::counts(&results, &[Outcome::Correlated]),
            alerts_suppressed: crate::owner::counts(
                &results,
                &[
                    Outcome::SuppressedBySilence,
                    Outcome::SuppressedByInhibition,
                ],
            ),
        }))
    }

    async fn preview_correlation(
        &self,
        request: Request<v1::PreviewCorrelationRequest>,
    ) -> Result<Response<v1::PreviewCorrelationResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let start = timestamp_ms(
            "start_time",
            body.start_time
                .as_ref()
                .ok_or_else(|| Error::invalid("start_time", "is required"))?,
        )?;
        let end = body
            .end_time
            .as_ref()
            .map(|t| timestamp_ms("end_time", t))
            .transpose()?
            .unwrap_or_else(now_ms);
        if end <= start {
            return Err(Error::invalid("end_time", "must be after start_time").into());
        }
        if end - start > PREVIEW_MAX_RANGE_MS {
            return Err(Error::invalid("end_time", "at most 31 days after start_time").into());
        }
        let max_incidents = match body.max_incidents {
            0 => 100,
            n if n < 0 => {
                return Err(Error::invalid("max_incidents", "must not be negative").into());
            }
            n => usize::try_from(n).unwrap_or(1000).min(1000),
        };
        let candidate = body.config.unwrap_or_default();
        let mut settings = CorrelationSettings::default();
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
        apply_config(&mut settings, &candidate, &paths)?;
        let preview = crate::service::correlation::preview(
            &self.state.store,
            &operator.scope,
            company_id,
            (start, end),
            settings,
            max_incidents,
        )
        .await?;
        Ok(Response::new(v1::PreviewCorrelationResponse {
            incidents: preview
                .incidents
                .into_iter()
                .map(|incident| v1::PreviewIncident {
                    aggregation_key: incident.aggregation_key,
                    asset: incident.asset,
                    signature: incident.signature,
                    severity: i32::from(incident.severity.as_i16()),
                    alert_count: incident.alert_count,
                    first_alert_time: Some(timestamp(incident.first_alert_at)),
                    last_alert_time: Some(timestamp(incident.last_alert_at)),
                    flapping: incident.flapping,
                    parent_aggregation_key: incident.parent_aggregation_key,
                })
                .collect(),
            incidents_truncated: preview.truncated,
            alert_count: preview.alert_count,
            incident_count: preview.incident_count,
            suppressed_alert_count: preview.suppressed_alert_count,
            noise_reduction_pct: noise_reduction_pct(preview.alert_count, preview.incident_count),
        }))
    }

    async fn explain_alert(
        &self,
        request: Request<v1::ExplainAlertRequest>,
    ) -> Result<Response<v1::ExplainAlertResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let by_id = Some(body.alert_id.as_str()).filter(|id| !id.is_empty());
        let by_key = (!body.company_id.is_empty() && !body.dedup_key.is_empty())
            .then_some((body.company_id.as_str(), body.dedup_key.as_str()));
        let (event, outcome, alert) = self
            .state
            .store
            .explain_lookup(&operator.scope, by_id, by_key)
            .await?;
        let settings = self
            .state
            .store
            .company_settings(&ScopedCompany::system(event.company_id.clone()))
            .await?;
        let window = duration_ms(settings.window);
        let (code, incident_id, key, decisions) = match &outcome {
            Some(row) => (
                Outcome::from_i16(row.outcome).unwrap_or(Outcome::Stored),
                row.incident_id.clone().unwrap_or_default(),
                row.aggregation_key.clone(),
                decisions_of(row),
            ),
            None => (
                Outcome::Stored,
                String::new(),
                settings.aggregation_key.value_for(&event_of(&event)),
                vec![Decision::new(
                    DecisionKind::AutoCorrelateOff,
                    if settings.auto_correlate {
                        "not correlated yet: auto-correlate was off when it arrived; it is correlated by the next sweep"
                    } else {
                        "auto-correlate is off for the company: it waits for CorrelateNow"
                    },
                    "",
                )],
            ),
        };
        let alert_message = match alert {
            Some(alert) => v1::Alert::from(&alert),
            None => {
                let event_alert = event_of(&event);
                v1::Alert {
                    id: event.id.clone(),
                    company_id: event.company_id.clone(),
                    asset: event_alert.asset,
                    signature: event_alert.signature,
                    severity: i32::from(event.severity),
                    message: event_alert.message,
                    tool_source: event_alert.tool_source,
                    labels: event_alert.labels.into_iter().collect(),
                    occur_time: Some(timestamp(event.occurred_at)),
                    receive_time: Some(timestamp(event.received_at)),
                    last_occur_time: Some(timestamp(event.occurred_at)),
                    status: 1,
                    count: 1,
                    dedup_key: event.dedup_key.clone(),
                    external_id: event.external_id.clone(),
                    link: event.link.clone(),
                    outcome: i32::from(code.as_i16()),
                    ..Default::default()
                }
            }
        };
        // The label is found again from the stored labels (the event's
        // `source` is its format), with the company's list as it is now.
        let asset_label = crate::domain::ingest::asset_label_of(
            &event_of(&event),
            &event.source,
            &settings.asset_labels,
        )
        .unwrap_or_default();
        Ok(Response::new(v1::ExplainAlertResponse {
            asset_label,
            alert: Some(alert_message),
            outcome: i32::from(code.as_i16()),
            incident_id,
            aggregation_key: key,
            window_start_time: Some(timestamp(event.occurred_at - window)),
            window_end_time: Some(timestamp(event.occurred_at)),
            decisions: decisions
                .into_iter()
                .map(|d| v1::CorrelationDecision {
                    kind: d.kind as i32,
                    reason: d.reason,
                    reference_id: d.reference_id,
                })
                .collect(),
        }))
    }

    async fn get_noise_stats(
        &self,
        request: Request<v1::GetNoiseStatsRequest>,
    ) -> Result<Response<v1::GetNoiseStatsResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let start = timestamp_ms(
            "start_time",
            body.start_time
                .as_ref()
                .ok_or_else(|| Error::invalid("start_time", "is required"))?,
        )?;
        let end = body
            .end_time
            .as_ref()
            .map(|t| timestamp_ms("end_time", t))
            .transpose()?
            .unwrap_or_else(now_ms);
        let companies = self
            .state
            .store
            .requested_companies(&operator.scope, &body.company_id)
            .await?;
        let counts = self
            .state
            .store
            .noise_counts(&operator.scope, &companies, start, end)
            .await?;
        let of = |outcome: Outcome| {
            counts
                .by_outcome
                .get(&outcome.as_i16())
                .copied()
                .unwrap_or(0)
        };
        Ok(Response::new(v1::GetNoiseStatsResponse {
            alert_count: counts.alerts,
            incident_count: counts.incidents,
            noise_reduction_pct: noise_reduction_pct(counts.alerts, counts.incidents),
            deduplicated_alert_count: of(Outcome::Deduplicated),
            correlated_alert_count: of(Outcome::Correlated),
            silenced_alert_count: of(Outcome::SuppressedBySilence),
            inhibited_alert_count: of(Outcome::SuppressedByInhibition),
            uncorrelated_alert_count: counts.pending,
            flapping_incident_count: counts.flapping,
            storm_incident_count: counts.storms,
        }))
    }
}
