//! Native TLS on the port: gRPC over HTTP/2 and grpc-web and webhooks over
//! HTTP/1.1 on one TLS port, a certificate reloaded without dropping open
//! connections, client-certificate auth, and the senders that need HTTPS
//! (PagerDuty's official Python client, SNS) against the port directly.
//!
//! Every certificate is made here, by a CA of the test's own.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use alert_whisperer::ServerOptions;
use alert_whisperer::proto::v1;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{Backend, TestServer, authed};
use crate::ingest::{stored_events, tenant};

/// A certificate authority of the test's own.
pub(crate) struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    pub(crate) fn new(name: &str) -> Authority {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Authority { issuer }
    }

    pub(crate) fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A leaf certificate and its key, both PEM.
    fn issue(&self, common_name: &str, serial: u64, purpose: ExtendedKeyUsagePurpose) -> Leaf {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.serial_number = Some(SerialNumber::from(serial));
        params.extended_key_usages = vec![purpose];
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert: certificate.pem(),
            key: key.serialize_pem(),
        }
    }

    pub(crate) fn server(&self, common_name: &str, serial: u64) -> Leaf {
        self.issue(common_name, serial, ExtendedKeyUsagePurpose::ServerAuth)
    }

    fn client(&self, common_name: &str, serial: u64) -> Leaf {
        self.issue(common_name, serial, ExtendedKeyUsagePurpose::ClientAuth)
    }
}

pub(crate) struct Leaf {
    pub(crate) cert: String,
    pub(crate) key: String,
}

impl Leaf {
    fn der(&self) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(self.cert.as_bytes()).unwrap()
    }

    /// Certificate and key in one PEM, as reqwest's `Identity` takes them.
    fn identity_pem(&self) -> String {
        format!("{}{}", self.cert, self.key)
    }
}

/// The PEM files a server is configured with, in a directory of their own.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new(server: &Leaf) -> Files {
        let files = Files {
            dir: tempfile::tempdir().unwrap(),
        };
        files.write(server);
        files
    }

    fn cert(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes in place (not a rename), as most renewal tools do.
    fn write(&self, server: &Leaf) {
        std::fs::write(self.cert(), &server.cert).unwrap();
        std::fs::write(self.key(), &server.key).unwrap();
    }
}

async fn start_tls(
    ca: &Authority,
    files: &Files,
    client_ca: Option<&Path>,
    options: ServerOptions,
) -> TestServer {
    let (cert, key) = (files.cert(), files.key());
    let client_ca = client_ca.map(Path::to_path_buf);
    let mut server = TestServer::start_with(
        Backend::Sqlite,
        move |config| {
            config.tls_cert_file = cert;
            config.tls_key_file = key;
            config.tls_client_ca_file = client_ca.unwrap_or_default();
        },
        options,
    )
    .await;
    server.tls_client = Some(
        tonic::transport::ClientTlsConfig::new()
            .ca_certificate(tonic::transport::Certificate::from_pem(ca.pem())),
    );
    server
}

/// An HTTPS client (HTTP/1.1 only, as reqwest is built here) that trusts `ca`.
fn https(ca: &Authority, identity: Option<&Leaf>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem().as_bytes()).unwrap());
    if let Some(leaf) = identity {
        builder =
            builder.identity(reqwest::Identity::from_pem(leaf.identity_pem().as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

fn pagerduty_trigger(key: &str, dedup_key: &str) -> serde_json::Value {
    serde_json::json!({
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": "DISK at 99% on prod-datapipe03",
            "source": "prod-datapipe03.example.com",
            "severity": "critical"
        }
    })
}

/// A raw TLS connection to the server, offering `alpn`.
async fn connect(
    server: &TestServer,
    ca: &Authority,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem().as_bytes()).unwrap())
        .unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

/// The certificate a new connection is served.
async fn served_certificate(server: &TestServer, ca: &Authority) -> CertificateDer<'static> {
    let stream = connect(server, ca, &[b"h2"]).await;
    stream.get_ref().1.peer_certificates().unwrap()[0].clone()
}

/// A raw HTTP/2 connection's request sender.
async fn http2(
    stream: tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
) -> hyper::client::conn::http2::SendRequest<String> {
    let (sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    sender
}

async fn healthz(sender: &mut hyper::client::conn::http2::SendRequest<String>) -> u16 {
    let request = http::Request::get("https://localhost/healthz")
        .body(String::new())
        .unwrap();
    sender
        .send_request(request)
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_grpc_web_and_webhooks_share_one_tls_port() {
    let ca = Authority::new("aw test ca");
    let files = Files::new(&ca.server("aw-server", 1));
    let server = start_tls(&ca, &files, None, ServerOptions::default()).await;
    assert!(server.url().starts_with("https://"));

    // gRPC over HTTP/2 with tonic: creating a company is an RPC.
    let acme = tenant(&server, "Acme").await;
    let companies = server
        .tenant()
        .await
        .list_companies(authed(
            &server.admin_token,
            v1::ListCompaniesRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(companies.companies.len(), 1);

    // ALPN picks h2 for a client that offers it, http/1.1 otherwise.
    let h2 = connect(&server, &ca, &[b"h2", b"http/1.1"]).await;
    assert_eq!(h2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let h1 = connect(&server, &ca, &[b"http/1.1"]).await;
    assert_eq!(h1.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));

    // A webhook over HTTP/1.1.
    let http = https(&ca, None);
    let response = http
        .post(format!("{}/v2/enqueue", server.url()))
        .json(&pagerduty_trigger(&acme.key, "srv01/mysql"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(response.status(), 202);

    // grpc-web over HTTP/1.1, as a browser calls it.
    let (version, decoded, trailer) = crate::server::grpc_web_list_companies(&http, &server).await;
    assert_eq!(version, reqwest::Version::HTTP_11);
    assert_eq!(decoded.companies.len(), 1);
    assert!(trailer.contains("grpc-status:0"), "{trailer}");

    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", server.addr))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");

    let events = stored_events(&server, &acme.id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].dedup_key, "srv01/mysql");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_certificate_is_served_to_new_connections_and_open_ones_stay() {
    let ca = Authority::new("aw test ca");
    let first = ca.server("aw-server", 1);
    let files = Files::new(&first);
    let server = start_tls(&ca, &files, None, ServerOptions::default()).await;
    assert_eq!(served_certificate(&server, &ca).await, first.der());

    // An HTTP/2 connection opened on the first certificate.
    let mut open = http2(connect(&server, &ca, &[b"h2"]).await).await;
    assert_eq!(healthz(&mut open).await, 200);

    let renewed = ca.server("aw-server-renewed", 2);
    files.write(&renewed);
    let mut served = first.der();
    for _ in 0..100 {
        served = served_certificate(&server, &ca).await;
        if served == renewed.der() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        served,
        renewed.der(),
        "new connections get the renewed certificate"
    );
    // The connection made before the reload is still served.
    assert!(!open.is_closed());
    assert_eq!(healthz(&mut open).await, 200);

    // A broken file is refused and the certificate in force kept.
    std::fs::write(files.cert(), "-----BEGIN CERTIFICATE-----\nbm9wZQ==\n").unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(served_certificate(&server, &ca).await, renewed.der());
    let http = https(&ca, None);
    let health = http
        .get(format!("{}/healthz", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(healthz(&mut open).await, 200);

    // Fixed again: picked up.
    let third = ca.server("aw-server-third", 3);
    files.write(&third);
    let mut served = renewed.der();
    for _ in 0..100 {
        served = served_certificate(&server, &ca).await;
        if served == third.der() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(served, third.der());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_are_required_when_a_client_ca_is_set() {
    let ca = Authority::new("aw test ca");
    let tools = Authority::new("internal tools ca");
    let files = Files::new(&ca.server("aw-server", 1));
    std::fs::write(files.path("clients.pem"), tools.pem()).unwrap();
    let tool = tools.client("noc-tool", 10);
    let mut server = start_tls(
        &ca,
        &files,
        Some(&files.path("clients.pem")),
        ServerOptions::default(),
    )
    .await;

    // Without a certificate: refused in the handshake.
    let refused = https(&ca, None)
        .get(format!("{}/healthz", server.url()))
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");
    // With one from another CA: refused too.
    let stranger = ca.client("stranger", 11);
    let refused = https(&ca, Some(&stranger))
        .get(format!("{}/healthz", server.url()))
        .send()
        .await;
    assert!(refused.is_err(), "{refused:?}");

    // With one the client CA signed: served, over HTTP/1.1 and gRPC.
    let health = https(&ca, Some(&tool))
        .get(format!("{}/healthz", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    server.tls_client = server
        .tls_client
        .take()
        .map(|tls| tls.identity(tonic::transport::Identity::from_pem(&tool.cert, &tool.key)));
    let acme = tenant(&server, "Acme").await;
    assert!(!acme.id.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_silent_tls_clients_are_cut_off() {
    let ca = Authority::new("aw test ca");
    let files = Files::new(&ca.server("aw-server", 1));
    let (cert, key) = (files.cert(), files.key());
    let mut server = TestServer::start_with(
        Backend::Sqlite,
        move |config| {
            config.tls_cert_file = cert;
            config.tls_key_file = key;
            config.header_read_timeout_seconds = 1;
            config.max_connections = 10;
        },
        ServerOptions::default(),
    )
    .await;
    server.tls_client = Some(
        tonic::transport::ClientTlsConfig::new()
            .ca_certificate(tonic::transport::Certificate::from_pem(ca.pem())),
    );
    let bound = Duration::from_secs(20);

    // More silent connections than the limit, some that never start the
    // handshake and some that finish it and send nothing: each holds its
    // slot only until the header read timeout.
    let mut silent = Vec::new();
    for _ in 0..12 {
        silent.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let mut handshaken = Vec::new();
    for _ in 0..3 {
        handshaken.push(connect(&server, &ca, &[b"h2"]).await);
    }
    let health = tokio::time::timeout(
        bound,
        https(&ca, None)
            .get(format!("{}/healthz", server.url()))
            .send(),
    )
    .await
    .expect("a request is served once silent connections time out")
    .unwrap();
    assert_eq!(health.status(), 200);
    for mut stream in silent {
        let mut buffer = [0u8; 64];
        tokio::time::timeout(bound, stream.read(&mut buffer))
            .await
            .expect("a connection that never starts its handshake is closed")
            .ok();
    }
    for mut stream in handshaken {
        let mut buffer = [0u8; 64];
        let read = tokio::time::timeout(bound, stream.read(&mut buffer))
            .await
            .expect("a connection that sends nothing after its handshake is closed");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }

    // A half-sent request after the handshake is cut off the same way.
    let mut partial = connect(&server, &ca, &[b"http/1.1"]).await;
    partial
        .write_all(b"POST /api/webhooks/alerts HTTP/1.1\r\nHost: aw\r\nContent-Type: app")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(bound, partial.read_to_end(&mut answer))
        .await
        .expect("a client that stops in its headers is cut off")
        .ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_does_not_match_stops_start_up_naming_the_key() {
    let ca = Authority::new("aw test ca");
    let files = Files::new(&ca.server("aw-server", 1));
    std::fs::write(files.key(), ca.server("other", 2).key).unwrap();
    let data = tempfile::tempdir().unwrap();
    let error = alert_whisperer::Config {
        data_dir: data.path().to_path_buf(),
        tls_cert_file: files.cert(),
        tls_key_file: files.key(),
        ..Default::default()
    }
    .validated()
    .expect_err("a key that is not the certificate's");
    assert!(error.to_string().contains("tls_cert_file"), "{error}");

    // Through the binary: start-up stops, naming the key and the file.
    let output = crate::server::binary()
        .arg("serve")
        .current_dir(data.path())
        .env("ALERT_WHISPERER_TLS_CERT_FILE", files.path("missing.pem"))
        .env("ALERT_WHISPERER_TLS_KEY_FILE", files.key())
        .env_remove("DATABASE_URL")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("configuration: tls_cert_file: cannot read"),
        "{stderr}"
    );
    assert!(stderr.contains("missing.pem"), "{stderr}");
}

/// The venv's Python with the senders' clients (scripts/setup-tools).
fn python() -> Option<PathBuf> {
    let venv = std::env::var("AW_PYTHON_VENV").unwrap_or_else(|_| "/var/tmp/aw-venv".to_owned());
    let python = PathBuf::from(venv).join("bin/python");
    let has_client = std::process::Command::new(&python)
        .args(["-c", "import pagerduty"])
        .output()
        .is_ok_and(|output| output.status.success());
    if has_client {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} has no pagerduty client: run scripts/setup-tools",
        python.display()
    );
    eprintln!(
        "skipped: no pagerduty client in {} (run scripts/setup-tools)",
        python.display()
    );
    None
}

/// Sends one trigger through PagerDuty's official client to `url`; what the
/// client printed, or its error.
const PAGERDUTY_SCRIPT: &str = r#"
import os, sys
import pagerduty

client = pagerduty.EventsApiV2Client(os.environ["AW_ROUTING_KEY"])
client.url = os.environ["AW_URL"]
try:
    dedup_key = client.trigger(
        "DISK at 99% on prod-datapipe03",
        "prod-datapipe03.example.com",
        dedup_key="srv01/disk",
        severity="critical",
    )
except Exception as error:
    print(f"refused: {type(error).__name__}: {error}")
    sys.exit(3)
print(f"dedup_key={dedup_key}")
"#;

async fn pagerduty_client(python: &Path, url: &str, key: &str, ca: &Path) -> (i32, String) {
    let output = tokio::process::Command::new(python)
        .args(["-c", PAGERDUTY_SCRIPT])
        .env("AW_URL", url)
        .env("AW_ROUTING_KEY", key)
        // The client's HTTP library (httpx2) trusts this file instead of
        // the system's roots.
        .env("SSL_CERT_FILE", ca)
        .output()
        .await
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagerduty_official_client_and_sns_deliver_over_https() {
    let ca = Authority::new("aw test ca");
    let files = Files::new(&ca.server("aw-server", 1));
    std::fs::write(files.path("ca.pem"), ca.pem()).unwrap();
    let options = ServerOptions {
        sns_certificates: Arc::new(crate::webhooks::FixtureCertificates),
        ..ServerOptions::default()
    };
    let server = start_tls(&ca, &files, None, options).await;
    let acme = tenant(&server, "Acme").await;

    // SNS delivers to an HTTPS subscription endpoint.
    let notification =
        crate::webhooks::notification("msg-tls-1", &crate::webhooks::alarm_message("ALARM"), "2");
    let response = https(&ca, None)
        .post(format!(
            "{}/api/webhooks/cloudwatch?api_key={}",
            server.url(),
            acme.key
        ))
        .header("content-type", "text/plain; charset=UTF-8")
        .header("x-amz-sns-message-type", "Notification")
        .body(notification)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);

    if let Some(python) = python() {
        // The client refuses a plain-HTTP URL outright ...
        let plain = format!("http://{}", server.addr);
        let (code, output) =
            pagerduty_client(&python, &plain, &acme.key, &files.path("ca.pem")).await;
        assert_ne!(code, 0, "{output}");
        // ... and sends to our TLS port, trusting our CA.
        let (code, output) =
            pagerduty_client(&python, &server.url(), &acme.key, &files.path("ca.pem")).await;
        assert_eq!(code, 0, "{output}");
        assert!(output.contains("dedup_key=srv01/disk"), "{output}");
    }

    let events = stored_events(&server, &acme.id).await;
    assert!(
        events.iter().any(|event| event.source == "cloudwatch"),
        "{events:?}"
    );
    if python().is_some() {
        let pagerduty = events
            .iter()
            .find(|event| event.dedup_key == "srv01/disk")
            .expect("the PagerDuty client's event is stored");
        assert_eq!(pagerduty.asset, "prod-datapipe03.example.com");
        assert_eq!(events.len(), 2, "{events:?}");
    }
}
