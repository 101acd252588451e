//! The authentication layer of the gRPC router: operator bearer tokens for the
//! control plane, API keys for IngestService; health and reflection need none.
//! The identity goes into the request's extensions for the handlers.
//!
//! A control-plane call first waits for the tables to reflect everything the
//! companies' owners answered before it (they are written behind the
//! answers), so that what an answer or a stream named is there to be read.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;

const API_PACKAGE_PREFIX: &str = "/alertwhisperer.v1.";
const INGEST_PREFIX: &str = "/alertwhisperer.v1.IngestService/";

/// Authenticates calls to `alertwhisperer.v1` services; lets everything else through.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if !path.starts_with(API_PACKAGE_PREFIX) {
        return next.run(request).await;
    }
    let result = if path.starts_with(INGEST_PREFIX) {
        state
            .ingest_caller(request.headers())
            .await
            .map(|caller| request.extensions_mut().insert(caller).is_none())
    } else {
        let operator = state.operator(request.headers()).await;
        if operator.is_ok() {
            state.owners.read_barrier().await;
        }
        operator.map(|operator| request.extensions_mut().insert(operator).is_none())
    };
    match result {
        Ok(_) => {
            // What the call does on its behalf (a forward to another
            // replica) keeps its deadline.
            let deadline = request
                .headers()
                .get("grpc-timeout")
                .and_then(|value| value.to_str().ok())
                .and_then(crate::owner::deadline::parse_grpc_timeout)
                .map(|timeout| tokio::time::Instant::now() + timeout);
            crate::owner::deadline::within(deadline, next.run(request)).await
        }
        Err(error) => tonic::Status::from(error).into_http::<Body>(),
    }
}

/// Fallback: UNIMPLEMENTED for gRPC requests, 404 for anything else.
pub(crate) async fn not_found(request: Request) -> Response {
    let is_grpc = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"));
    if is_grpc {
        tonic::Status::unimplemented(format!("unknown method {}", request.uri().path()))
            .into_http::<Body>()
    } else {
        (http::StatusCode::NOT_FOUND, "not found\n").into_response()
    }
}
