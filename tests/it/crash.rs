//! Crashes, tested: the real binary is killed with SIGKILL at random moments
//! while a storm of alerts is ingested and a WatchIncidents stream follows,
//! then started again, several times over, on SQLite and on PostgreSQL.
//! Afterwards every acknowledged alert is stored exactly once with the
//! incident its answer named, every retry of it is recognised, and every
//! streamed sequence still has the content it was streamed with.

use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alert_whisperer::proto::v1::{self, AlertOutcome};
use rand::{Rng, SeedableRng};
use tokio::io::AsyncBufReadExt;
use tonic::metadata::MetadataValue;

use crate::harness::{authed, postgres_url};
use crate::server::{binary, free_port, wait_until_healthy};

/// The master key every process of a test shares (replicas must).
const MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// One server process and how to start it again on the same data (the
/// traces tests use it too).
pub(crate) struct Process {
    port: u16,
    dir: tempfile::TempDir,
    database: Option<(String, String)>,
    /// Whether this process drops the PostgreSQL schema when it goes.
    owns_schema: bool,
    child: Option<tokio::process::Child>,
    /// Settings of the test's own, as environment variables.
    env: Vec<(String, String)>,
}

impl Process {
    /// Starts the binary on a fresh SQLite data directory, or on a fresh
    /// PostgreSQL schema; answers the process and the first admin token.
    async fn start(postgres: bool) -> (Self, String) {
        Self::start_with(postgres, Vec::new()).await
    }

    /// As [`Process::start`], with extra `ALERT_WHISPERER_*` settings.
    pub(crate) async fn start_with(postgres: bool, env: Vec<(String, String)>) -> (Self, String) {
        let database = postgres.then(|| {
            (
                postgres_url().expect("TEST_DATABASE_URL is set for postgres tests"),
                format!("aw_crash_{}", uuid::Uuid::now_v7().simple()),
            )
        });
        let mut process = Self {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            database,
            owns_schema: true,
            child: None,
            env,
        };
        let mut child = process.spawn(Stdio::piped());
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        process.child = Some(child);
        wait_until_healthy(process.port).await;
        let mut token = String::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(found) = line.split_whitespace().find(|w| w.starts_with("awo_")) {
                token = found.to_owned();
                break;
            }
        }
        assert!(!token.is_empty(), "the first start prints an admin token");
        (process, token)
    }

    /// Another replica on the same PostgreSQL schema.
    async fn replica(&self) -> Self {
        self.replica_with(Vec::new()).await
    }

    /// Another replica on the same PostgreSQL schema, with `env` over this
    /// one's settings.
    pub(crate) async fn replica_with(&self, env: Vec<(String, String)>) -> Self {
        let mut replica = Self {
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
            database: self.database.clone(),
            owns_schema: false,
            child: None,
            env: self.env.iter().cloned().chain(env).collect(),
        };
        replica.restart().await;
        replica
    }

    fn spawn(&self, stdout: Stdio) -> tokio::process::Child {
        let mut command = binary();
        command
            .arg("serve")
            .current_dir(self.dir.path())
            .env("ALERT_WHISPERER_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("ALERT_WHISPERER_MASTER_KEY", MASTER_KEY)
            .env("ALERT_WHISPERER_INGEST_RATE_LIMIT_PER_SECOND", "0")
            .env("ALERT_WHISPERER_WATCH_HEARTBEAT_SECONDS", "1")
            .stdout(stdout)
            .stderr(if std::env::var_os("AW_CRASH_STDERR").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true);
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        match &self.database {
            Some((url, schema)) => command
                .env("DATABASE_URL", url)
                .env("ALERT_WHISPERER_DATABASE_SCHEMA", schema),
            None => command.env_remove("DATABASE_URL"),
        };
        command.spawn().unwrap()
    }

    /// SIGKILL: no shutdown, no flush.
    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().unwrap();
            std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status()
                .unwrap();
            child.wait().await.unwrap();
        }
    }

    /// SIGTERM: a graceful shutdown; answers once the process has exited,
    /// and whether it exited with success.
    pub(crate) async fn terminate(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let pid = child.id().unwrap();
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("the server exits within 30 s of SIGTERM")
            .unwrap()
            .success()
    }

    /// Starts it again on the same data; answers once it serves (after
    /// recovery).
    async fn restart(&mut self) {
        self.child = Some(self.spawn(Stdio::null()));
        wait_until_healthy(self.port).await;
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        if let Some((url, schema)) = self.database.take().filter(|_| self.owns_schema) {
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

/// What an answer said of one alert, by its delivery id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answered {
    alert_id: String,
    incident_id: String,
    outcome: i32,
    /// The alert's aggregation key (`asset|signature`).
    key: String,
}

/// What a stream received at one sequence.
#[derive(Debug, Clone, PartialEq)]
struct Streamed {
    kind: i32,
    incident_id: String,
    message: String,
    summary: String,
    alert_count: i64,
    status: i32,
    priority: i32,
}

fn streamed(event: &v1::IncidentFeedEvent) -> (u64, Streamed) {
    let incident = event.incident.clone().unwrap_or_default();
    (
        event.sequence,
        Streamed {
            kind: event.kind,
            incident_id: incident.id,
            message: event.message.clone(),
            summary: incident.summary,
            alert_count: incident.alert_count,
            status: incident.status,
            priority: incident.priority,
        },
    )
}

fn keyed<T>(key: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("x-api-key", MetadataValue::try_from(key).unwrap());
    request
}

/// Follows WatchIncidents, reconnecting (to the next of `urls` when one
/// does not answer) while a server is down, resuming after the last event
/// it saw, recording every event; stops when `stop` is cancelled.
async fn follow(
    urls: Vec<String>,
    token: String,
    company_id: String,
    seen: Arc<Mutex<BTreeMap<u64, Streamed>>>,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut turn = 0usize;
    loop {
        let url = urls[turn % urls.len()].clone();
        turn += 1;
        let after = seen
            .lock()
            .unwrap()
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0);
        let connected = async {
            let channel = tonic::transport::Channel::from_shared(url.clone())
                .ok()?
                .connect()
                .await
                .ok()?;
            v1::incident_service_client::IncidentServiceClient::new(channel)
                .watch_incidents(authed(
                    &token,
                    v1::WatchIncidentsRequest {
                        company_id: company_id.clone(),
                        after_sequence: Some(after),
                        ..Default::default()
                    },
                ))
                .await
                .ok()
                .map(tonic::Response::into_inner)
        };
        let stream = tokio::select! {
            () = stop.cancelled() => return,
            stream = connected => stream,
        };
        let Some(mut stream) = stream else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        loop {
            let message = tokio::select! {
                () = stop.cancelled() => return,
                message = stream.message() => message,
            };
            let Ok(Some(message)) = message else { break };
            if let Some(v1::watch_incidents_response::Payload::Event(event)) = message.payload {
                let (sequence, content) = streamed(&event);
                let mut seen = seen.lock().unwrap();
                if let Some(last) = seen.keys().next_back() {
                    assert_eq!(sequence, last + 1, "a stream misses or repeats nothing");
                }
                seen.insert(sequence, content);
            }
        }
    }
}

/// Sends batches of alerts until `stop`, retrying each refused or
/// unanswered batch with the same delivery ids (at the next of `urls`, as a
/// load balancer would); records every answer.
async fn send(
    urls: Vec<String>,
    key: String,
    lane: usize,
    answered: Arc<Mutex<HashMap<String, Answered>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(lane as u64);
    let mut serial = 0usize;
    let mut pending: Option<Vec<v1::AlertInput>> = None;
    let mut client = None;
    let mut turn = 0usize;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) || pending.is_some() {
        let batch = match pending.take() {
            Some(batch) => batch,
            None => (0..10)
                .map(|_| {
                    serial += 1;
                    let asset = rng.random_range(0..12);
                    let signature =
                        ["disk_full", "cpu_high", "service_down"][rng.random_range(0..3)];
                    v1::AlertInput {
                        asset: format!("host-{asset:02}"),
                        signature: signature.to_owned(),
                        severity: rng.random_range(1..=5),
                        message: format!("lane {lane} alert {serial}"),
                        tool_source: "crash-test".to_owned(),
                        // Repeats of a few keys, and new ones.
                        dedup_key: format!(
                            "host-{asset:02}|{signature}|{}",
                            rng.random_range(0..3)
                        ),
                        delivery_id: format!("lane-{lane}-{serial}"),
                        ..Default::default()
                    }
                })
                .collect(),
        };
        if client.is_none() {
            let url = urls[turn % urls.len()].clone();
            client = tonic::transport::Channel::from_shared(url)
                .unwrap()
                .connect()
                .await
                .ok()
                .map(v1::ingest_service_client::IngestServiceClient::new);
        }
        let Some(ingest) = client.as_mut() else {
            pending = Some(batch);
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let request = keyed(
            &key,
            v1::IngestAlertsRequest {
                alerts: batch.clone(),
            },
        );
        match tokio::time::timeout(Duration::from_secs(20), ingest.ingest_alerts(request)).await {
            Ok(Ok(response)) => {
                let results = response.into_inner().results;
                let mut answered = answered.lock().unwrap();
                for (alert, result) in batch.iter().zip(results) {
                    let answer = Answered {
                        alert_id: result.alert_id,
                        incident_id: result.incident_id,
                        outcome: result.outcome,
                        key: format!("{}|{}", alert.asset, alert.signature),
                    };
                    match answered.get(&alert.delivery_id) {
                        // A retry of a batch answered before a crash: the
                        // first answer's ids, recognised as a duplicate.
                        Some(first) => {
                            assert_eq!(
                                answer.outcome,
                                AlertOutcome::Duplicate as i32,
                                "{answer:?}"
                            );
                            assert_eq!(answer.alert_id, first.alert_id);
                        }
                        None => {
                            answered.insert(alert.delivery_id.clone(), answer);
                        }
                    }
                }
            }
            _ => {
                // Refused, cut off or lost in the crash: sent again as it
                // was, to the next server.
                pending = Some(batch);
                client = None;
                turn += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Reads the whole event log of the company through a fresh stream from
/// the start, up to `head`.
async fn replay(url: &str, token: &str, company_id: &str, head: u64) -> BTreeMap<u64, Streamed> {
    let channel = tonic::transport::Channel::from_shared(url.to_owned())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut stream = v1::incident_service_client::IncidentServiceClient::new(channel)
        .watch_incidents(authed(
            token,
            v1::WatchIncidentsRequest {
                company_id: company_id.to_owned(),
                after_sequence: Some(0),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut all = BTreeMap::new();
    while all.keys().next_back().copied().unwrap_or(0) < head {
        let message = tokio::time::timeout(Duration::from_secs(30), stream.message())
            .await
            .expect("the replay goes on")
            .unwrap()
            .expect("the replay does not end");
        if let Some(v1::watch_incidents_response::Payload::Event(event)) = message.payload {
            let (sequence, content) = streamed(&event);
            all.insert(sequence, content);
        }
    }
    all
}

/// Creates a company through `url`; answers its id and ingest key.
pub(crate) async fn company(url: &str, token: &str, name: &str) -> (String, String) {
    let created = v1::tenant_service_client::TenantServiceClient::connect(url.to_owned())
        .await
        .unwrap()
        .create_company(authed(
            token,
            v1::CreateCompanyRequest {
                name: name.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    (created.company.unwrap().id, created.api_key_secret)
}

async fn sigkill_during_a_storm_loses_nothing_and_changes_no_answer(postgres: bool) {
    if postgres && postgres_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: skipped");
        return;
    }
    let (mut process, token) = Process::start(postgres).await;
    let url = process.url();
    let (company_id, key) = company(&url, &token, "Crash").await;

    let seen = Arc::new(Mutex::new(BTreeMap::new()));
    let stop_stream = tokio_util::sync::CancellationToken::new();
    let follower = tokio::spawn(follow(
        vec![url.clone()],
        token.clone(),
        company_id.clone(),
        seen.clone(),
        stop_stream.clone(),
    ));
    let answered = Arc::new(Mutex::new(HashMap::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let senders: Vec<_> = (0..4)
        .map(|lane| {
            tokio::spawn(send(
                vec![url.clone()],
                key.clone(),
                lane,
                answered.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let mut rng = rand::rngs::StdRng::from_os_rng();
    for _ in 0..4 {
        let running = rng.random_range(300..1500);
        tokio::time::sleep(Duration::from_millis(running)).await;
        process.kill().await;
        process.restart().await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for sender in senders {
        sender.await.unwrap();
    }
    // One more crash with nothing in flight, then check everything.
    process.kill().await;
    process.restart().await;
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() > 100,
        "the storm went on through the crashes ({} alerts answered)",
        answered.len()
    );
    check_answered(&crash_config(&process), &company_id, &answered).await;
    check_streamed(&url, &token, &company_id, seen, stop_stream, follower).await;
}

/// Checks every answered alert against the tables: stored exactly once
/// (nothing doubled), with the alert, incident and outcome its answer named.
async fn check_answered(
    config: &alert_whisperer::Config,
    company_id: &str,
    answered: &HashMap<String, Answered>,
) {
    let store = alert_whisperer::store::Store::connect(config)
        .await
        .unwrap();
    let events = store
        .alert_events(&alert_whisperer::store::Scope::All, company_id, 1_000_000)
        .await
        .unwrap();
    let mut by_delivery: HashMap<String, Vec<&alert_whisperer::store::entity::alert_event::Model>> =
        HashMap::new();
    for event in &events {
        by_delivery
            .entry(event.delivery_id.clone().unwrap_or_default())
            .or_default()
            .push(event);
    }
    for (delivery, rows) in &by_delivery {
        assert_eq!(rows.len(), 1, "delivery {delivery} stored once: {rows:?}");
    }
    let outcomes = outcomes_of(&store, &events).await;
    for (delivery, answer) in answered {
        if answer.outcome == AlertOutcome::Duplicate as i32 {
            // First answered as a retry: of an attempt of the same delivery
            // whose answer the crash lost, or of another alert with the same
            // dedup key, time and action. Either way its ids are a stored
            // event's.
            assert!(
                outcomes.values().any(|(alert_id, incident_id, _)| {
                    *alert_id == answer.alert_id && *incident_id == answer.incident_id
                }),
                "delivery {delivery} answered as a retry of a stored alert: {answer:?}"
            );
            continue;
        }
        let event = by_delivery
            .get(delivery)
            .and_then(|rows| rows.first())
            .unwrap_or_else(|| panic!("acknowledged delivery {delivery} is stored: {answer:?}"));
        let (alert_id, incident_id, outcome) = outcomes
            .get(&event.id)
            .unwrap_or_else(|| panic!("acknowledged delivery {delivery} was correlated"));
        assert_eq!(
            (alert_id, incident_id, outcome),
            (&answer.alert_id, &answer.incident_id, &answer.outcome),
            "delivery {delivery}: what is stored is what was answered"
        );
    }
}

/// Stops the follower and checks that the log holds every sequence up to
/// the last it saw, each with the content it was streamed with.
async fn check_streamed(
    url: &str,
    token: &str,
    company_id: &str,
    seen: Arc<Mutex<BTreeMap<u64, Streamed>>>,
    stop_stream: tokio_util::sync::CancellationToken,
    follower: tokio::task::JoinHandle<()>,
) {
    stop_stream.cancel();
    follower.await.unwrap();
    let seen = seen.lock().unwrap().clone();
    let head = *seen.keys().next_back().expect("the stream saw events");
    let all = replay(url, token, company_id, head).await;
    assert_eq!(
        all.keys().copied().collect::<Vec<_>>(),
        (1..=head).collect::<Vec<_>>(),
        "the log has every sequence up to what was streamed"
    );
    for (sequence, content) in &seen {
        assert_eq!(
            all.get(sequence),
            Some(content),
            "sequence {sequence} has the content it was streamed with"
        );
    }
}

/// The config the crashed process ran with (to read its tables).
fn crash_config(process: &Process) -> alert_whisperer::Config {
    let mut config = alert_whisperer::Config {
        data_dir: process.dir.path().join("data"),
        ..Default::default()
    };
    if let Some((url, schema)) = &process.database {
        config.database_url = url.clone();
        config.database_schema = schema.clone();
    }
    config.validated().unwrap()
}

/// Each event's outcome: (alert, incident, outcome number).
async fn outcomes_of(
    store: &alert_whisperer::store::Store,
    events: &[alert_whisperer::store::entity::alert_event::Model],
) -> HashMap<String, (String, String, i32)> {
    use alert_whisperer::store::entity::alert_outcome;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut outcomes = HashMap::new();
    for chunk in events.chunks(500) {
        let rows = alert_outcome::Entity::find()
            .filter(alert_outcome::Column::EventId.is_in(chunk.iter().map(|e| e.id.clone())))
            .all(store.connection())
            .await
            .unwrap();
        for row in rows {
            outcomes.insert(
                row.event_id,
                (
                    row.alert_id,
                    row.incident_id.unwrap_or_default(),
                    i32::from(row.outcome),
                ),
            );
        }
    }
    outcomes
}

/// Two replicas on one PostgreSQL; the company is owned by the first (its
/// first alert went there), the second forwards to it. The owner is killed
/// with SIGKILL in the middle of a storm sent to both; the second takes the
/// company over once the lease expires and serves it. Nothing acknowledged is
/// lost, every alert of one aggregation key is in one incident (none split),
/// and streams on either replica miss nothing.
#[tokio::test]
async fn the_other_replica_takes_over_a_killed_owner_without_loss_or_split() {
    if postgres_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: skipped");
        return;
    }
    let (mut owner, token) = Process::start(true).await;
    let other = owner.replica().await;
    let (first_url, second_url) = (owner.url(), other.url());
    let (company_id, key) = company(&first_url, &token, "Failover").await;
    // The first alert makes the first replica the owner.
    let mut ingest = v1::ingest_service_client::IngestServiceClient::connect(first_url.clone())
        .await
        .unwrap();
    ingest
        .ingest_alert(keyed(
            &key,
            v1::IngestAlertRequest {
                alert: Some(v1::AlertInput {
                    asset: "host-00".to_owned(),
                    signature: "disk_full".to_owned(),
                    severity: 4,
                    tool_source: "crash-test".to_owned(),
                    delivery_id: "first".to_owned(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap();

    // A stream on each replica (each resumes on the other when its own dies).
    let stop_streams = tokio_util::sync::CancellationToken::new();
    let mut streams = Vec::new();
    for urls in [
        vec![first_url.clone(), second_url.clone()],
        vec![second_url.clone(), first_url.clone()],
    ] {
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let follower = tokio::spawn(follow(
            urls,
            token.clone(),
            company_id.clone(),
            seen.clone(),
            stop_streams.clone(),
        ));
        streams.push((seen, follower));
    }
    let answered = Arc::new(Mutex::new(HashMap::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let senders: Vec<_> = (0..4)
        .map(|lane| {
            // Half the lanes start on each replica; a lane moves to the
            // other when its replica does not answer.
            let urls = if lane % 2 == 0 {
                vec![first_url.clone(), second_url.clone()]
            } else {
                vec![second_url.clone(), first_url.clone()]
            };
            tokio::spawn(send(
                urls,
                key.clone(),
                lane,
                answered.clone(),
                stop.clone(),
            ))
        })
        .collect();
    let mut rng = rand::rngs::StdRng::from_os_rng();
    tokio::time::sleep(Duration::from_millis(rng.random_range(800..1600))).await;
    let before = answered.lock().unwrap().len();
    owner.kill().await;
    let killed = tokio::time::Instant::now();
    // The second replica serves the company again: answers resume.
    let mut served = None;
    while killed.elapsed() < Duration::from_secs(30) {
        if answered.lock().unwrap().len() > before + 20 {
            served = Some(killed.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let served = served.expect("the other replica serves the company after the owner died");
    eprintln!("the other replica served the company {served:?} after the owner was killed");
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for sender in senders {
        sender.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    // A control-plane call returns once the tables reflect what was answered.
    v1::tenant_service_client::TenantServiceClient::connect(second_url.clone())
        .await
        .unwrap()
        .list_companies(authed(&token, v1::ListCompaniesRequest::default()))
        .await
        .unwrap();
    check_answered(&crash_config(&other), &company_id, &answered).await;
    // No incident split: every alert of one aggregation key joined one
    // incident (nothing resolves in this storm, all inside the window).
    let mut incidents_of: HashMap<&str, std::collections::BTreeSet<&str>> = HashMap::new();
    for answer in answered.values() {
        incidents_of
            .entry(answer.key.as_str())
            .or_default()
            .insert(answer.incident_id.as_str());
    }
    for (key, incidents) in &incidents_of {
        assert_eq!(
            incidents.len(),
            1,
            "key {key} is in one incident: {incidents:?}"
        );
    }
    for (seen, follower) in streams {
        check_streamed(
            &second_url,
            &token,
            &company_id,
            seen,
            stop_streams.clone(),
            follower,
        )
        .await;
    }
}

#[tokio::test]
async fn sigkill_during_a_storm_loses_nothing_on_sqlite() {
    sigkill_during_a_storm_loses_nothing_and_changes_no_answer(false).await;
}

#[tokio::test]
async fn sigkill_during_a_storm_loses_nothing_on_postgres() {
    sigkill_during_a_storm_loses_nothing_and_changes_no_answer(true).await;
}

/// SIGKILL while the notifier has a backlog: every incident an answer named
/// is notified (the official Standard Webhooks verifier accepts each
/// arrival), through exactly one delivery, and an arrival repeated after a
/// kill carries the same idempotency id.
async fn sigkill_during_a_notification_backlog_loses_no_notification(postgres: bool) {
    if postgres && postgres_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: skipped");
        return;
    }
    let Some(receivers) = crate::notifications::Receivers::start().await else {
        return;
    };
    let (mut process, token) = Process::start_with(
        postgres,
        vec![
            (
                "ALERT_WHISPERER_NOTIFY_RETRY_BASE_MS".to_owned(),
                "200".to_owned(),
            ),
            (
                "ALERT_WHISPERER_NOTIFY_TIMEOUT_SECONDS".to_owned(),
                "2".to_owned(),
            ),
        ],
    )
    .await;
    let url = process.url();
    let (company_id, key) = company(&url, &token, "Notified").await;
    let mut notifications =
        v1::notification_service_client::NotificationServiceClient::connect(url.clone())
            .await
            .unwrap();
    let hook = notifications
        .create_channel(authed(
            &token,
            v1::CreateChannelRequest {
                max_per_minute: 0,
                company_id: company_id.clone(),
                name: "hook".to_owned(),
                config: Some(v1::create_channel_request::Config::Webhook(
                    v1::WebhookChannelConfig {
                        // Slow to answer: kills land while attempts are in flight.
                        url: format!("{}/webhook/slow", receivers.http),
                    },
                )),
                max_attempts: 20,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    receivers.set_secret(&hook.signing_secret);
    notifications
        .create_route(authed(
            &token,
            v1::CreateRouteRequest {
                company_id: company_id.clone(),
                name: "all".to_owned(),
                events: vec![v1::NotifyEvent::Opened.into()],
                max_priority: 4,
                matchers: vec![],
                levels: vec![v1::EscalationLevel {
                    channel_ids: vec![hook.channel.unwrap().id],
                    ..Default::default()
                }],
                ..Default::default()
            },
        ))
        .await
        .unwrap();

    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut incidents = std::collections::BTreeSet::new();
    for round in 0..4 {
        // Batches of new incidents; the kill lands while they are being
        // turned into deliveries and sent, after the first batch was
        // answered (so that every round has incidents to check, however
        // slow the machine).
        let (answered, first_answered) = tokio::sync::oneshot::channel::<()>();
        let mut answered = Some(answered);
        let sender = async {
            for batch in 0..6 {
                let alerts = (0..10)
                    .map(|i| v1::AlertInput {
                        // One signature per incident: a signature on many
                        // assets would be a storm, notified once.
                        asset: format!("host-{i}"),
                        signature: format!("check_{round}_{batch}_{i}"),
                        severity: 5,
                        message: "down".to_owned(),
                        tool_source: "crash-test".to_owned(),
                        ..Default::default()
                    })
                    .collect();
                let Ok(mut client) =
                    v1::ingest_service_client::IngestServiceClient::connect(url.clone()).await
                else {
                    return;
                };
                match client
                    .ingest_alerts(keyed(&key, v1::IngestAlertsRequest { alerts }))
                    .await
                {
                    Ok(answer) => {
                        for result in answer.into_inner().results {
                            assert_eq!(result.outcome, AlertOutcome::NewIncident as i32);
                            incidents.insert(result.incident_id);
                        }
                        if let Some(answered) = answered.take() {
                            let _ = answered.send(());
                        }
                    }
                    Err(_) => return,
                }
            }
        };
        let kill_after = Duration::from_millis(rng.random_range(50..600));
        let killer = async {
            let _ = first_answered.await;
            tokio::time::sleep(kill_after).await;
        };
        tokio::select! {
            () = sender => tokio::time::sleep(kill_after).await,
            () = killer => {}
        }
        process.kill().await;
        process.restart().await;
    }

    // Every answered incident arrives, verified, under one delivery id.
    let mut arrivals: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    for _ in 0..600 {
        arrivals.clear();
        for arrival in receivers.received(|l| l["kind"] == "http") {
            let body: serde_json::Value =
                serde_json::from_str(arrival["body"].as_str().unwrap()).unwrap();
            let incident = body["data"]["incident"]["id"].as_str().unwrap().to_owned();
            arrivals.entry(incident).or_default().push(arrival);
        }
        if incidents.iter().all(|id| arrivals.contains_key(id)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let missing: Vec<_> = incidents
        .iter()
        .filter(|id| !arrivals.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} answered incidents were never notified: {missing:?}",
        missing.len(),
        incidents.len()
    );
    assert!(
        incidents.len() >= 40,
        "every round answers at least one batch of 10: {}",
        incidents.len()
    );
    let mut client = v1::notification_service_client::NotificationServiceClient::connect(url)
        .await
        .unwrap();
    let mut deliveries = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_deliveries(authed(
                &token,
                v1::ListDeliveriesRequest {
                    company_id: company_id.clone(),
                    page_size: 500,
                    page_token,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        deliveries.extend(page.deliveries);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let mut per_incident: HashMap<&str, usize> = HashMap::new();
    for delivery in &deliveries {
        *per_incident
            .entry(delivery.incident_id.as_str())
            .or_default() += 1;
    }
    for (incident, received) in &arrivals {
        assert!(
            received.iter().all(|a| a["verified"] == true),
            "{received:?}"
        );
        let ids: std::collections::BTreeSet<_> = received
            .iter()
            .map(|a| a["headers"]["webhook-id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids.len(),
            1,
            "{incident}: one delivery id for every arrival: {ids:?}"
        );
        assert_eq!(
            per_incident.get(incident.as_str()),
            Some(&1),
            "{incident}: exactly one delivery"
        );
    }
    let repeated = arrivals.values().filter(|a| a.len() > 1).count();
    eprintln!(
        "{} incidents notified through {} deliveries; {repeated} arrived again after a kill",
        arrivals.len(),
        deliveries.len()
    );
}

#[tokio::test]
async fn sigkill_during_a_notification_backlog_loses_no_notification_on_sqlite() {
    sigkill_during_a_notification_backlog_loses_no_notification(false).await;
}

#[tokio::test]
async fn sigkill_during_a_notification_backlog_loses_no_notification_on_postgres() {
    sigkill_during_a_notification_backlog_loses_no_notification(true).await;
}
