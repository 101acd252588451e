//! axum extractors whose refusals are the service's JSON errors ([`Error`]),
//! not axum's plain-text rejections.

use axum::extract::FromRequestParts;
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// The query string deserialised into `T`; one that does not parse (a field
/// given twice, a value of the wrong type) is a 400 saying why.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection| {
                // "Failed to deserialize query string: duplicate field `api_key`"
                Error::InvalidArgument(format!("query string: {}", rejection.body_text()))
            })
    }
}
