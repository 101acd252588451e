//! The live correlator: runs correlation passes for companies whose alerts
//! were just committed (answering the ingest requests with what became of
//! their alerts), and sweeps pending events at start and periodically, so that
//! alerts committed before a crash or by a replica that died are correlated.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::domain::incident::Outcome;
use crate::error::{Error, Result};
use crate::feed::Hub;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::store::incident::{PassMode, PassOutcome};

/// What became of one alert event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOutcome {
    /// The alert it created or changed.
    pub alert_id: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The incident it joined or opened.
    pub incident_id: Option<String>,
    /// The engine's last (deciding) reason.
    pub reason: String,
}

struct Request {
    company_id: String,
    event_ids: Vec<String>,
    reply: oneshot::Sender<HashMap<String, EventOutcome>>,
}

/// Handle to the correlator task.
#[derive(Debug, Clone)]
pub struct Correlator {
    requests: mpsc::Sender<Request>,
    store: Store,
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("company_id", &self.company_id)
            .finish_non_exhaustive()
    }
}

/// The engine's deciding (last) reason, in words.
fn deciding_reason(decisions: &[crate::domain::incident::Decision]) -> String {
    decisions
        .last()
        .map(|d| d.reason.clone())
        .unwrap_or_default()
}

impl EventOutcome {
    /// What a pass decided for one event.
    pub fn of(result: &crate::domain::engine::EventResult) -> Self {
        Self {
            alert_id: result.alert_id.clone(),
            outcome: result.outcome,
            incident_id: result.incident_id.clone(),
            reason: deciding_reason(&result.decisions),
        }
    }

    /// What a stored outcome row says (an event correlated by another pass or replica).
    pub fn from_row(row: crate::store::entity::alert_outcome::Model) -> Self {
        let reason = deciding_reason(&crate::store::incident::decisions_of(&row));
        Self {
            alert_id: row.alert_id,
            outcome: Outcome::from_i16(row.outcome).unwrap_or(Outcome::Stored),
            incident_id: row.incident_id,
            reason,
        }
    }
}

impl Correlator {
    /// Starts the correlator on its own thread (its database round trips do
    /// not queue behind request tasks) and the periodic sweep. With
    /// `leave_to_writer` (deferred correlation), the periodic sweeps after the
    /// first leave events younger than that to the ingest writer's rounds, so
    /// that the two do not take turns on the write lock for the same events;
    /// the first sweep, at start, takes every pending event.
    pub fn start(
        store: Store,
        hub: Arc<Hub>,
        metrics: Arc<Metrics>,
        sweep_every: Duration,
        leave_to_writer: Option<Duration>,
        shutdown: CancellationToken,
    ) -> Result<Self> {
        let (requests, receiver) = mpsc::channel(4096);
        let correlator = Self {
            requests,
            store,
            hub,
            metrics,
        };
        let worker = correlator.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| Error::Internal(format!("cannot start the correlator: {error}")))?;
        std::thread::Builder::new()
            .name("correlator".to_owned())
            .spawn(move || {
                runtime.block_on(worker.run(receiver, sweep_every, leave_to_writer, shutdown))
            })
            .map_err(|error| {
                Error::Internal(format!("cannot start the correlator thread: {error}"))
            })?;
        Ok(correlator)
    }

    /// Correlates the company's pending events (these among them) and answers
    /// what became of each of `event_ids`. Events left pending (auto-correlate
    /// off, or a failed pass that the sweep will retry) answer `Stored`.
    pub async fn correlate(
        &self,
        company_id: &str,
        event_ids: Vec<String>,
    ) -> HashMap<String, EventOutcome> {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            company_id: company_id.to_owned(),
            event_ids,
            reply,
        };
        if self.requests.send(request).await.is_err() {
            return HashMap::new();
        }
        answer.await.unwrap_or_default()
    }

    /// Runs passes for a company until nothing is pending (CorrelateNow uses
    /// `Manual`); answers the combined counts.
    pub async fn run_passes(&self, company_id: &str, mode: PassMode) -> Result<PassOutcome> {
        let mut total = PassOutcome::default();
        loop {
            let pass = self.store.correlate_pass(company_id, mode).await?;
            self.after_pass(company_id, &pass);
            total.results.extend(pass.results);
            total.events_appended += pass.events_appended;
            total.incidents_created += pass.incidents_created;
            total.sequence = pass.sequence;
            total.resolved_after_ms.extend(pass.resolved_after_ms);
            total
                .acknowledged_after_ms
                .extend(pass.acknowledged_after_ms);
            total.skipped = pass.skipped;
            if !pass.more {
                return Ok(total);
            }
        }
    }

    /// Tells the streams and the metrics what a committed pass did.
    pub fn after_pass(&self, company_id: &str, pass: &PassOutcome) {
        if pass.events_appended > 0 {
            self.hub.publish(company_id, pass.sequence);
        }
        for result in &pass.results {
            self.metrics.record_correlation(company_id, result.outcome);
        }
        if pass.incidents_created > 0 {
            self.metrics.record_incidents_created(
                company_id,
                u64::try_from(pass.incidents_created).unwrap_or(0),
            );
        }
        for ms in &pass.resolved_after_ms {
            self.metrics.record_resolved(*ms);
        }
        for ms in &pass.acknowledged_after_ms {
            self.metrics.record_acknowledged(*ms);
        }
    }

    async fn run(
        self,
        mut receiver: mpsc::Receiver<Request>,
        sweep_every: Duration,
        leave_to_writer: Option<Duration>,
        shutdown: CancellationToken,
    ) {
        let mut sweep = tokio::time::interval(sweep_every);
        // The first tick, at once, is the sweep at start: it takes everything.
        let mut started = false;
        loop {
            let first = tokio::select! {
                request = receiver.recv() => match request {
                    Some(request) => request,
                    None => return,
                },
                _ = sweep.tick() => {
                    let received_before = leave_to_writer
                        .filter(|_| started)
                        .map(|young| {
                            crate::store::now_ms().saturating_sub(crate::grpc::convert::duration_ms(young))
                        });
                    started = true;
                    self.sweep(received_before).await;
                    continue;
                }
                () = shutdown.cancelled() => {
                    // Answer whoever waits; their events are committed and
                    // will be correlated by the sweep after the restart.
                    receiver.close();
                    while let Some(request) = receiver.recv().await {
                        let _ = request.reply.send(HashMap::new());
                    }
                    return;
                }
            };
            let mut waiting = vec![first];
            while let Ok(request) = receiver.try_recv() {
                waiting.push(request);
            }
            let mut by_company: BTreeMap<String, Vec<Request>> = BTreeMap::new();
            for request in waiting {
                by_company
                    .entry(request.company_id.clone())
                    .or_default()
                    .push(request);
            }
            self.serve_round(by_company).await;
        }
    }

    /// One round: a pass for every company with waiting requests in one
    /// transaction (one commit for all), then the rest of any company with
    /// more pending than a pass takes; on an error, company by company.
    async fn serve_round(&self, by_company: BTreeMap<String, Vec<Request>>) {
        let companies: Vec<String> = by_company.keys().cloned().collect();
        let mut outcomes: HashMap<String, EventOutcome> = HashMap::new();
        let mut record = |results: &[crate::domain::engine::EventResult]| {
            for result in results {
                outcomes.insert(result.event_id.clone(), EventOutcome::of(result));
            }
        };
        let started = std::time::Instant::now();
        let round = self.store.correlate_round(&companies, PassMode::Auto).await;
        tracing::debug!(
            companies = companies.len(),
            requests = by_company.values().map(Vec::len).sum::<usize>(),
            round_us = started.elapsed().as_micros(),
            "correlation round"
        );
        match round {
            Ok(passes) => {
                for (company_id, pass) in passes {
                    self.after_pass(&company_id, &pass);
                    record(&pass.results);
                    if pass.more {
                        match self.run_passes(&company_id, PassMode::Auto).await {
                            Ok(rest) => record(&rest.results),
                            Err(error) => {
                                tracing::warn!(%error, company_id, "correlation pass failed; the sweep retries it")
                            }
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "correlation round failed; correlating company by company");
                for company_id in &companies {
                    match self.run_passes(company_id, PassMode::Auto).await {
                        Ok(total) => record(&total.results),
                        Err(error) => {
                            tracing::warn!(%error, company_id, "correlation pass failed; the sweep retries it")
                        }
                    }
                }
            }
        }
        let requests: Vec<Request> = by_company.into_values().flatten().collect();
        // Events another replica (or an earlier pass) correlated.
        let missing: Vec<String> = requests
            .iter()
            .flat_map(|r| r.event_ids.iter())
            .filter(|id| !outcomes.contains_key(*id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            match self.store.event_outcomes(&missing).await {
                Ok(rows) => {
                    for row in rows {
                        outcomes.insert(row.event_id.clone(), EventOutcome::from_row(row));
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot read alert outcomes"),
            }
        }
        for request in requests {
            let answer = request
                .event_ids
                .iter()
                .filter_map(|id| outcomes.get(id).map(|o| (id.clone(), o.clone())))
                .collect();
            let _ = request.reply.send(answer);
        }
    }

    /// Correlates the pending events of every company with one received
    /// before `received_before` (all of them without it), then settles quiet
    /// flapping incidents.
    async fn sweep(&self, received_before: Option<i64>) {
        let companies = match self
            .store
            .companies_with_pending_events(received_before)
            .await
        {
            Ok(companies) => companies,
            Err(error) => {
                tracing::warn!(%error, "cannot list companies with pending alerts");
                return;
            }
        };
        for company_id in companies {
            if let Err(error) = self.run_passes(&company_id, PassMode::Auto).await {
                tracing::warn!(%error, company_id, "correlation sweep failed");
            }
        }
        let quiet = match self.store.companies_with_quiet_flapping().await {
            Ok(companies) => companies,
            Err(error) => {
                tracing::warn!(%error, "cannot list flapping incidents");
                return;
            }
        };
        for company_id in quiet {
            match self
                .store
                .settle_flapping(&company_id, crate::store::now_ms())
                .await
            {
                Ok((sequence, settled)) if settled > 0 => self.hub.publish(&company_id, sequence),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, company_id, "cannot settle flapping incidents")
                }
            }
        }
    }
}
