//! The browser dashboard (clients/dashboard), embedded into the binary at compile time and
//! served at `/`: `GET /` answers `index.html`, `GET /app.js` and `GET /app.css` its assets.
//! Nothing else: every other path keeps falling through to the server's fallback.
//!
//! The files are the committed build output in `clients/dashboard/dist/` (see
//! docs/dashboard.md), so building the server needs no Node.js. Each answer carries a strong
//! `ETag` (a SHA-256 prefix of the content) and `Cache-Control: no-cache`: browsers keep the
//! files and revalidate them, and a new build is picked up at once (`304` while unchanged).

use std::sync::LazyLock;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};

/// One embedded file with its headers.
struct Asset {
    body: &'static [u8],
    content_type: &'static str,
    etag: HeaderValue,
}

impl Asset {
    fn new(body: &'static [u8], content_type: &'static str) -> Self {
        let digest = Sha256::digest(body);
        let etag = format!("\"{}\"", hex::encode(&digest[..16]));
        Self {
            body,
            content_type,
            // A quoted hex string is always a valid header value.
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        }
    }

    fn respond(
        &self,
        request_headers: &HeaderMap,
        extra: &[(header::HeaderName, &'static str)],
    ) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        for (name, value) in extra {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
        if not_modified(request_headers, &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        (headers, self.body).into_response()
    }
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn not_modified(request_headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(value) = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let etag = etag.to_str().unwrap_or_default();
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

static INDEX: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../clients/dashboard/dist/index.html"),
        "text/html; charset=utf-8",
    )
});
static APP_JS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../clients/dashboard/dist/app.js"),
        "text/javascript; charset=utf-8",
    )
});
static APP_CSS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_bytes!("../clients/dashboard/dist/app.css"),
        "text/css; charset=utf-8",
    )
});

/// The page may load only its own script and style and talk only to its own origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// The dashboard's routes, to merge into the HTTP router.
pub fn routes() -> Router {
    Router::new()
        .route(
            "/",
            get(|headers: HeaderMap| async move {
                INDEX.respond(
                    &headers,
                    &[
                        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
                        (header::REFERRER_POLICY, "no-referrer"),
                        (header::X_FRAME_OPTIONS, "DENY"),
                    ],
                )
            }),
        )
        .route(
            "/app.js",
            get(|headers: HeaderMap| async move { APP_JS.respond(&headers, &[]) }),
        )
        .route(
            "/app.css",
            get(|headers: HeaderMap| async move { APP_CSS.respond(&headers, &[]) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let etag = HeaderValue::from_static("\"abc\"");
        let mut headers = HeaderMap::new();
        assert!(!not_modified(&headers, &etag));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(not_modified(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"x\""));
        assert!(!not_modified(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&headers, &etag));
    }

    #[test]
    fn the_embedded_page_loads_its_assets() {
        let index = std::str::from_utf8(INDEX.body).expect("utf-8");
        assert!(index.contains("app.js") && index.contains("app.css"));
        assert!(!APP_JS.body.is_empty() && !APP_CSS.body.is_empty());
    }
}
