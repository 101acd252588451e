//! The embedded browser dashboard: `/` and its assets on the server's one port, with their
//! content types and cache validators; unknown paths still answer 404.

use crate::harness::{Backend, TestServer};

#[tokio::test]
async fn dashboard_is_served_at_the_root_with_its_assets() {
    let server = TestServer::start(Backend::Sqlite).await;
    let http = reqwest::Client::new();

    let index = http.get(format!("{}/", server.url())).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(index.headers()["cache-control"], "no-cache");
    assert!(
        index.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("connect-src 'self'")
    );
    let etag = index.headers()["etag"].clone();
    let body = index.text().await.unwrap();
    assert!(body.contains("<title>Alert Whisperer</title>"), "{body}");
    assert!(body.contains("app.js") && body.contains("app.css"));

    // Revalidation answers 304 without a body.
    let again = http
        .get(format!("{}/", server.url()))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag);

    for (path, content_type) in [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
    ] {
        let asset = http
            .get(format!("{}{path}", server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), 200, "{path}");
        assert_eq!(asset.headers()["content-type"], content_type, "{path}");
        assert_eq!(asset.headers()["x-content-type-options"], "nosniff");
        assert!(asset.headers().contains_key("etag"), "{path}");
        assert!(!asset.bytes().await.unwrap().is_empty(), "{path}");
    }

    // HEAD works as GET without a body.
    let head = http
        .head(format!("{}/app.js", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);

    // Only those: other paths still fall through to the 404 fallback.
    for path in ["/index.html", "/app.js.map", "/dist/app.js", "/nope"] {
        let missing = http
            .get(format!("{}{path}", server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404, "{path}");
    }
}
