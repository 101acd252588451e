//! CorrelationService: converts its messages to and from
//! [`crate::service::correlation`] (a company's correlation config, silences
//! and inhibition rules, CorrelateNow, PreviewCorrelation, ExplainAlert and
//! GetNoiseStats).

mod convert;

use tonic::{Request, Response, Status};

pub(crate) use self::convert::matchers_of;
use self::convert::{messages, optional_time, preview_changes, required_time, update_changes};
use super::convert::required_id;
use super::operator;
use crate::app::AppState;
use crate::domain::tenant::Role;
use crate::error::Error;
use crate::proto::v1::{self, correlation_service_server::CorrelationService};
use crate::service::correlation::{self, AlertName};
use crate::store::{Page, now_ms};

/// Longest PreviewCorrelation range.
const PREVIEW_MAX_RANGE_MS: i64 = 31 * 24 * 3600 * 1000;

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

// A change's handler checks the role before it reads the request: a caller
// without the role is refused whatever it sent.
#[tonic::async_trait]
impl CorrelationService for CorrelationHandler {
    async fn get_correlation_config(
        &self,
        request: Request<v1::GetCorrelationConfigRequest>,
    ) -> Result<Response<v1::GetCorrelationConfigResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let config = correlation::get_config(&self.state, &operator, company_id).await?;
        Ok(Response::new(v1::GetCorrelationConfigResponse {
            config: Some(config.into()),
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
        // A field that does not convert is answered after the scope check.
        let changes = update_changes(&config, body.update_mask.as_ref());
        let updated =
            correlation::update_config(&self.state, &operator, company_id, changes).await?;
        Ok(Response::new(v1::UpdateCorrelationConfigResponse {
            config: Some(updated.into()),
        }))
    }

    async fn create_silence(
        &self,
        request: Request<v1::CreateSilenceRequest>,
    ) -> Result<Response<v1::CreateSilenceResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let fields = request.into_inner().try_into()?;
        let created = correlation::create_silence(&self.state, &operator, fields).await?;
        Ok(Response::new(v1::CreateSilenceResponse {
            silence: Some(created.into()),
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
        let (silences, next_page_token) = correlation::list_silences(
            &self.state,
            &operator,
            company_id,
            body.include_expired,
            &page,
        )
        .await?;
        Ok(Response::new(v1::ListSilencesResponse {
            silences: messages(silences),
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
        let ended = correlation::delete_silence(&self.state, &operator, id).await?;
        Ok(Response::new(v1::DeleteSilenceResponse {
            silence: Some(ended.into()),
        }))
    }

    async fn create_inhibition_rule(
        &self,
        request: Request<v1::CreateInhibitionRuleRequest>,
    ) -> Result<Response<v1::CreateInhibitionRuleResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let fields = request.into_inner().try_into()?;
        let created = correlation::create_inhibition_rule(&self.state, &operator, fields).await?;
        Ok(Response::new(v1::CreateInhibitionRuleResponse {
            inhibition_rule: Some(created.into()),
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
        let (rules, next_page_token) =
            correlation::list_inhibition_rules(&self.state, &operator, company_id, &page).await?;
        Ok(Response::new(v1::ListInhibitionRulesResponse {
            inhibition_rules: messages(rules),
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
        correlation::delete_inhibition_rule(&self.state, &operator, id).await?;
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
        let run = correlation::correlate_now(&self.state, &operator, company_id).await?;
        Ok(Response::new(run.into()))
    }

    async fn preview_correlation(
        &self,
        request: Request<v1::PreviewCorrelationRequest>,
    ) -> Result<Response<v1::PreviewCorrelationResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let start = required_time("start_time", body.start_time.as_ref())?;
        let end = optional_time("end_time", body.end_time.as_ref())?.unwrap_or_else(now_ms);
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
        let changes = preview_changes(&body.config.unwrap_or_default())?;
        let preview = correlation::preview(
            &self.state,
            &operator,
            company_id,
            (start, end),
            changes,
            max_incidents,
        )
        .await?;
        Ok(Response::new(preview.into()))
    }

    async fn explain_alert(
        &self,
        request: Request<v1::ExplainAlertRequest>,
    ) -> Result<Response<v1::ExplainAlertResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let name = if !body.alert_id.is_empty() {
            AlertName::Id(&body.alert_id)
        } else if !body.company_id.is_empty() && !body.dedup_key.is_empty() {
            AlertName::DedupKey {
                company_id: &body.company_id,
                dedup_key: &body.dedup_key,
            }
        } else {
            return Err(Error::invalid(
                "alert_id",
                "name the alert by alert_id, or by company_id and dedup_key",
            )
            .into());
        };
        let explanation = correlation::explain_alert(&self.state, &operator, name).await?;
        Ok(Response::new(explanation.into()))
    }

    async fn get_noise_stats(
        &self,
        request: Request<v1::GetNoiseStatsRequest>,
    ) -> Result<Response<v1::GetNoiseStatsResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let start = required_time("start_time", body.start_time.as_ref())?;
        let end = optional_time("end_time", body.end_time.as_ref())?.unwrap_or_else(now_ms);
        let company_id = Some(body.company_id.as_str()).filter(|id| !id.is_empty());
        let stats =
            correlation::noise_stats(&self.state, &operator, company_id, (start, end)).await?;
        Ok(Response::new(stats.into()))
    }
}
