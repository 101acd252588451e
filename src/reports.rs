//! Reports over plain HTTP for MSPs without QuickSight: the patch compliance
//! of a company's latest (or a named) snapshot as CSV. The same CSV (one
//! column list, one writer, in [`crate::service::compliance`])
//! is what the QuickSight export writes to S3.

use axum::Router;
use axum::extract::State;

use crate::extract::Query;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::app::AppState;
use crate::error::{Error, Result};
use crate::service::compliance::snapshot_csv;

/// The report routes.
pub(crate) fn routes(state: AppState) -> Router {
    Router::new()
        .route("/api/reports/compliance.csv", get(compliance_csv))
        .with_state(state)
}

#[derive(Debug, Deserialize)]
struct ComplianceQuery {
    company_id: String,
    #[serde(default)]
    snapshot_id: String,
}

async fn compliance_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ComplianceQuery>,
) -> Result<Response> {
    let operator = state.operator(&headers).await?;
    if query.company_id.trim().is_empty() {
        return Err(Error::invalid("company_id", "is required"));
    }
    let csv = snapshot_csv(
        &state,
        &operator,
        &query.company_id,
        (!query.snapshot_id.is_empty()).then_some(query.snapshot_id.as_str()),
    )
    .await?;
    Ok((
        [
            (
                http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_owned(),
            ),
            (
                http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"compliance-{}-{}.csv\"",
                    query.company_id, csv.snapshot_id
                ),
            ),
        ],
        csv.body,
    )
        .into_response())
}
