//! Boots the real server on 127.0.0.1:0, on SQLite or on PostgreSQL (a schema
//! per test, dropped afterwards), and hands out real clients.

use std::net::SocketAddr;

use alert_whisperer::proto::v1::tenant_service_client::TenantServiceClient;
use alert_whisperer::{Config, Server, ServerOptions};
use tokio::sync::oneshot;
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL URL for tests, when set.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// With `AW_TEST_LOG` set (a log filter such as `warn`), the servers' logs
/// go to the test output: what to look at when a test fails.
fn log_when_asked() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(filter) = std::env::var("AW_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

/// A running server and what a test needs to talk to it.
pub struct TestServer {
    pub addr: SocketAddr,
    pub admin_token: String,
    pub config: Config,
    /// The owners of the server's companies.
    pub owners: alert_whisperer::owner::Owners,
    /// How `channel()` verifies (and presents) certificates when the
    /// server serves TLS; tests that turn TLS on set it.
    pub tls_client: Option<tonic::transport::ClientTlsConfig>,
    options: ServerOptions,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    // Kept alive for the SQLite file and the master key.
    _data_dir: std::sync::Arc<tempfile::TempDir>,
    schema: Option<String>,
}

impl TestServer {
    /// Starts a server on a fresh database of `backend`.
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {}, ServerOptions::default()).await
    }

    /// Starts a server with a customised config and options.
    pub async fn start_with(
        backend: Backend,
        customize: impl FnOnce(&mut Config),
        options: ServerOptions,
    ) -> TestServer {
        let data_dir = std::sync::Arc::new(tempfile::tempdir().expect("tempdir"));
        let mut config = Config {
            data_dir: data_dir.path().to_path_buf(),
            shutdown_grace_seconds: 5,
            ..Config::default()
        };
        let mut schema = None;
        if backend == Backend::Postgres {
            let url = postgres_url().expect("TEST_DATABASE_URL is set for postgres tests");
            let name = format!("aw_test_{}", uuid::Uuid::now_v7().simple());
            config.database_url = url;
            config.database_schema = name.clone();
            schema = Some(name);
        }
        customize(&mut config);
        let config = config.validated().expect("valid test config");
        let (mut server, token) =
            Self::boot(config.clone(), options, data_dir.clone(), schema.clone()).await;
        server.admin_token = token.expect("a fresh database creates an admin token");
        server
    }

    async fn boot(
        config: Config,
        options: ServerOptions,
        data_dir: std::sync::Arc<tempfile::TempDir>,
        schema: Option<String>,
    ) -> (TestServer, Option<String>) {
        log_when_asked();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Replicas advertise where they really listen.
        let config = Config {
            listen: addr,
            ..config
        };
        let server = Server::prepare_with(config.clone(), options.clone())
            .await
            .expect("prepare");
        let token = server.initial_admin_token().map(str::to_owned);
        let owners = server.owners();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .serve(listener, async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve ends cleanly");
        });
        (
            TestServer {
                addr,
                admin_token: String::new(),
                config,
                owners,
                tls_client: None,
                options,
                stop: Some(stop),
                task: Some(task),
                _data_dir: data_dir,
                schema,
            },
            token,
        )
    }

    /// Stops the server gracefully and starts a new one on the same database.
    pub async fn restart(mut self) -> TestServer {
        self.shutdown().await;
        let (mut server, token) = Self::boot(
            self.config.clone(),
            self.options.clone(),
            self._data_dir.clone(),
            self.schema.take(),
        )
        .await;
        assert!(
            token.is_none(),
            "a restart must not create another admin token"
        );
        server.admin_token = std::mem::take(&mut self.admin_token);
        server
    }

    /// A second server (replica) on the same database and master key.
    pub async fn replica(&self) -> TestServer {
        let (mut server, token) = Self::boot(
            self.config.clone(),
            self.options.clone(),
            self._data_dir.clone(),
            None,
        )
        .await;
        assert!(token.is_none(), "a replica must not create an admin token");
        server.admin_token = self.admin_token.clone();
        server
    }

    /// The server's tables once they reflect everything it answered so far
    /// (they are written behind the answers).
    pub async fn store(&self) -> alert_whisperer::store::Store {
        self.owners.read_barrier().await;
        alert_whisperer::store::Store::connect(&self.config)
            .await
            .expect("store")
    }

    /// Stops the server and waits until `serve` has returned.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task");
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.config.tls_enabled() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    pub async fn channel(&self) -> Channel {
        let mut endpoint = Channel::from_shared(self.url()).expect("uri");
        if let Some(tls) = &self.tls_client {
            endpoint = endpoint.tls_config(tls.clone()).expect("tls config");
        }
        endpoint.connect().await.expect("connect")
    }

    /// The server's `/metrics` text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.url()))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text")
    }

    pub async fn tenant(&self) -> TenantServiceClient<Channel> {
        TenantServiceClient::new(self.channel().await)
    }

    /// Creates an on-duty technician of `company_id` (as the admin).
    pub async fn on_duty_technician(
        &self,
        company_id: &str,
        name: &str,
        email: &str,
    ) -> alert_whisperer::proto::v1::Technician {
        self.tenant()
            .await
            .create_technician(authed(
                &self.admin_token,
                alert_whisperer::proto::v1::CreateTechnicianRequest {
                    slack_member_id: String::new(),
                    company_id: company_id.to_owned(),
                    name: name.to_owned(),
                    email: email.to_owned(),
                    skills: vec![],
                    on_duty: true,
                },
            ))
            .await
            .expect("technician")
            .into_inner()
            .technician
            .expect("technician")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(schema) = self.schema.take() {
            let Some(url) = postgres_url() else { return };
            // Drop the per-test schema on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    use sea_orm::ConnectionTrait;
                    if let Ok(db) = sea_orm::Database::connect(url).await {
                        let _ = db
                            .execute_unprepared(&format!(
                                "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                            ))
                            .await;
                        let _ = db.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// Wraps `message` in a request carrying `authorization: Bearer <token>`.
pub fn authed<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).expect("ascii token"),
    );
    request
}

/// Runs each listed test on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::harness::Backend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::harness::postgres_url().is_none() {
                        eprintln!("TEST_DATABASE_URL is not set: postgres variant skipped");
                        return;
                    }
                    super::$name($crate::harness::Backend::Postgres).await;
                }
            )+
        }
    };
}
