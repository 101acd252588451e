//! The notifier: one task per server that turns incident changes into
//! deliveries and sends them.
//!
//! It reads each company with routes from its event log after the
//! notifier's checkpoint (the owner's memory, else the tables), writes one
//! delivery per matching route level together with the new checkpoint in one
//! transaction (the outbox: a restart neither loses nor repeats a change),
//! and sends the due deliveries, each as a task of its own with a timeout and
//! at most `notify_concurrency_per_channel` per channel in flight, so a slow
//! or hanging receiver holds only its own channel's deliveries. A failed
//! attempt waits with exponential backoff and jitter, and the last allowed
//! failure makes the delivery a dead letter. Replicas share the work through
//! the unique change key of deliveries and a compare-and-set claim on each.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::domain::incident::{Incident, IncidentStatus};
use crate::domain::ingest::truncate_chars as truncate;
use crate::domain::lifecycle::IncidentCommand;
use crate::domain::notification::{
    ChannelConfig, ChannelKind, Digest, EmailConfig, IncidentLabels, MAX_RESPONSE_CHARS, Notice,
    NotifyEvent, Route, SmtpSecurity, backoff_ms, refused_address, sign_webhook,
};
use crate::error::{Error, Result};
use crate::owner::Owners;
use crate::secrets::MasterKey;
use crate::store::entity::{notification_channel, notification_delivery};
use crate::store::event_log::LogEntry;
use crate::store::notification::{Attempt, NewDelivery};
use crate::store::{Scope, ScopedCompany, Store, now_ms};

/// Who the notifier acts as on timelines.
pub const ACTOR: &str = "notifier";
/// Longest sleep between two looks at the log and the outbox.
const IDLE: Duration = Duration::from_millis(250);
/// How long a look waits after a log grew: a busy log wakes the notifier at
/// every commit, and one look serves all the commits of this time.
const MIN_GAP: Duration = Duration::from_millis(50);
/// Log entries read per company and look.
const BATCH: usize = 500;
/// Due deliveries read per look.
const DUE_BATCH: u64 = 200;
/// The span a channel's `max_per_minute` counts over.
const RATE_WINDOW: Duration = Duration::from_secs(60);
/// Most deliveries one digest carries; the rest wait for the next one.
const DIGEST_MAX: usize = 100;
/// How much longer than one attempt's timeout a claim holds a delivery.
const CLAIM_MARGIN_MS: i64 = 5_000;

/// The context a channel's secret is encrypted under.
pub fn secret_context(company_id: &str) -> String {
    format!("notification_channel:{company_id}")
}

/// Sends notifications; shared by the background task and TestChannel.
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    owners: Owners,
    master_key: MasterKey,
    /// Channel credentials kept in AWS Secrets Manager, when AWS is configured.
    secret_cache: Option<Arc<crate::secret_cache::SecretCache>>,
    http: reqwest::Client,
    public_url: String,
    timeout: Duration,
    retry_base_ms: i64,
    per_channel: usize,
    /// Refuse receivers on loopback and private networks.
    block_private: bool,
    in_flight: Mutex<HashMap<String, usize>>,
    /// When each rate-limited channel sent, over the last minute.
    sent: Mutex<HashMap<String, VecDeque<Instant>>>,
    wake: Notify,
    hub: Arc<crate::feed::Hub>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("public_url", &self.inner.public_url)
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// A notifier for `config`.
    pub fn new(
        config: &Config,
        store: Store,
        owners: Owners,
        master_key: MasterKey,
        secret_cache: Option<Arc<crate::secret_cache::SecretCache>>,
        hub: Arc<crate::feed::Hub>,
    ) -> Result<Self> {
        let timeout = Duration::from_secs(config.notify_timeout_seconds);
        let block_private = config.notify_block_private_networks;
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { block_private }))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("AlertWhisperer/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| Error::Internal(format!("notification client: {error}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                owners,
                master_key,
                secret_cache,
                http,
                public_url: config.public_url(),
                timeout,
                retry_base_ms: i64::try_from(config.notify_retry_base_ms).unwrap_or(2_000),
                per_channel: config.notify_concurrency_per_channel,
                block_private,
                in_flight: Mutex::new(HashMap::new()),
                sent: Mutex::new(HashMap::new()),
                wake: Notify::new(),
                hub,
            }),
        })
    }

    /// Runs until shutdown.
    pub fn spawn(&self, shutdown: CancellationToken) {
        let notifier = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = notifier.enqueue_changes().await {
                    tracing::warn!(%error, "notifier: reading incident changes failed");
                }
                if let Err(error) = notifier.send_due().await {
                    tracing::warn!(%error, "notifier: reading due deliveries failed");
                }
                // A change in any log, an attempt that ended or a
                // redelivery wakes it; else it looks again after IDLE (for
                // retries that fall due, and other replicas' changes).
                let log_grew = tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = notifier.inner.wake.notified() => false,
                    () = notifier.inner.hub.any_growth() => true,
                    () = tokio::time::sleep(IDLE) => false,
                };
                if log_grew {
                    // One look serves the commits of a short while, unless
                    // an attempt ends first: a free slot is used at once.
                    tokio::select! {
                        () = notifier.inner.wake.notified() => {}
                        () = tokio::time::sleep(MIN_GAP) => {}
                    }
                }
            }
        });
    }

    /// Refuses a receiver host given as an address this server does not
    /// send to (names are checked when they are resolved, at each attempt).
    pub fn check_destination(&self, field: &str, host: &str) -> Result<()> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let reason = host
            .parse::<IpAddr>()
            .ok()
            .and_then(|ip| refused_address(ip, self.inner.block_private));
        match reason {
            Some(reason) => Err(Error::invalid(
                field,
                format!("{host} is {reason}; this server does not send notifications there"),
            )),
            None => Ok(()),
        }
    }

    /// Makes the notifier look at the outbox now (a redelivery).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Turns every company's new changes into deliveries.
    async fn enqueue_changes(&self) -> Result<()> {
        let store = &self.inner.store;
        for (company, routes) in store.routes_by_company().await? {
            let mut after = store.notification_checkpoint(&company).await?;
            loop {
                let entries = self
                    .inner
                    .owners
                    .entries_after(&company, after, BATCH, true)
                    .await?;
                let Some(last) = entries.last().map(LogEntry::sequence) else {
                    break;
                };
                let mut deliveries = Vec::new();
                // Label matchers read the alerts' labels from the tables:
                // they must hold what the log entries answered.
                let reads_labels = routes.iter().any(Route::reads_labels);
                if reads_labels {
                    self.inner.owners.read_barrier().await;
                }
                for entry in &entries {
                    let LogEntry::Incident(event) = entry else {
                        continue;
                    };
                    let Some(change) = NotifyEvent::of(event.kind, &event.incident, &event.message)
                    else {
                        continue;
                    };
                    let labels = if reads_labels {
                        store.incident_labels(&company, &event.incident_id).await?
                    } else {
                        IncidentLabels::new()
                    };
                    for route in routes.iter().filter(|r| {
                        r.wants(change, &event.incident, &labels) && r.active_at(event.at)
                    }) {
                        let levels = route.levels_for(change);
                        for (index, round, after_seconds) in route.sendings(change) {
                            let level = &levels[index];
                            for (position, channel_id) in level.channel_ids.iter().enumerate() {
                                deliveries.push(NewDelivery {
                                    channel_id: channel_id.clone(),
                                    route_id: route.id.clone(),
                                    due_at: event.at + after_seconds * 1000,
                                    notice: Notice {
                                        event: change,
                                        sequence: event.sequence,
                                        at: event.at,
                                        actor: event.actor.clone(),
                                        message: event.message.clone(),
                                        level: i16::try_from(index + 1).unwrap_or(i16::MAX),
                                        delay_seconds: level.delay_seconds,
                                        company_id: company.id().to_owned(),
                                        incident_id: event.incident_id.clone(),
                                        incident: event.incident.clone(),
                                        to_on_duty_technicians: level.to_on_duty_technicians,
                                        to_assigned_technician: level.to_assigned_technician,
                                        announces: position == 0,
                                        technician_ids: level.technician_ids.clone(),
                                        round,
                                        after_seconds,
                                    },
                                });
                            }
                        }
                    }
                }
                let written = store.enqueue_deliveries(&company, last, deliveries).await?;
                if written > 0 {
                    tracing::debug!(company = %company, written, "notifier: deliveries written");
                }
                after = last;
                if entries.len() < BATCH {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Starts an attempt of every due delivery whose channel has room, in
    /// concurrency and in its rate limit. Deliveries a rate limit held back
    /// go out together as one digest on channels people read.
    async fn send_due(&self) -> Result<()> {
        let store = &self.inner.store;
        let now = now_ms();
        let limits = store.channel_rate_limits().await?;
        let mut busy = self.busy_channels();
        busy.extend(
            limits
                .iter()
                .filter(|(channel, (limit, _))| self.rate_room(channel, *limit) == 0)
                .map(|(channel, _)| channel.clone()),
        );
        let due = store.due_deliveries(now, &busy, DUE_BATCH).await?;
        let mut sendings: Vec<Vec<notification_delivery::Model>> = Vec::new();
        let mut limited: HashMap<String, Vec<notification_delivery::Model>> = HashMap::new();
        for row in due {
            if limits.contains_key(&row.channel_id) {
                limited.entry(row.channel_id.clone()).or_default().push(row);
            } else {
                sendings.push(vec![row]);
            }
        }
        for (channel_id, mut rows) in limited {
            let (limit, kind) = limits[&channel_id];
            let room = self.rate_room(&channel_id, limit);
            let digests = ChannelKind::from_i16(kind).is_some_and(ChannelKind::digests);
            if rows.len() > room && digests && room > 0 {
                let rest = rows.split_off(room - 1);
                sendings.extend(rows.into_iter().map(|row| vec![row]));
                sendings.push(rest.into_iter().take(DIGEST_MAX).collect());
            } else {
                sendings.extend(rows.into_iter().take(room).map(|row| vec![row]));
            }
        }
        for rows in sendings {
            let Some(channel_id) = rows.first().map(|row| row.channel_id.clone()) else {
                continue;
            };
            if !self.take_slot(&channel_id) {
                continue;
            }
            // Held for one attempt and a margin; a server that dies holding it
            // leaves it to the next look after that.
            let claim =
                now + i64::try_from(self.inner.timeout.as_millis()).unwrap_or(0) + CLAIM_MARGIN_MS;
            let mut claimed = Vec::with_capacity(rows.len());
            for row in rows {
                match store.claim_delivery(&row, claim).await {
                    Ok(true) => claimed.push(row),
                    Ok(false) => {}
                    Err(error) => {
                        self.free_slot(&channel_id);
                        return Err(error.into());
                    }
                }
            }
            if claimed.is_empty() {
                self.free_slot(&channel_id);
                continue;
            }
            if limits.contains_key(&channel_id) {
                self.note_sent(&channel_id);
            }
            let notifier = self.clone();
            tokio::spawn(async move {
                if let Err(error) = notifier.attempt(&claimed).await {
                    // The claim runs out and the attempt is made again.
                    tracing::warn!(%error, delivery = %claimed[0].id, "notifier: an attempt failed to record");
                }
                notifier.free_slot(&channel_id);
                notifier.wake();
            });
        }
        Ok(())
    }

    /// Messages the channel may still send in the current minute.
    fn rate_room(&self, channel_id: &str, limit: i32) -> usize {
        let mut sent = self
            .inner
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let limit = usize::try_from(limit).unwrap_or(0);
        let Some(times) = sent.get_mut(channel_id) else {
            return limit;
        };
        while times.front().is_some_and(|at| at.elapsed() >= RATE_WINDOW) {
            times.pop_front();
        }
        limit.saturating_sub(times.len())
    }

    /// Counts a message against the channel's rate limit.
    fn note_sent(&self, channel_id: &str) {
        self.inner
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(channel_id.to_owned())
            .or_default()
            .push_back(Instant::now());
    }

    /// The channels with every slot taken.
    fn busy_channels(&self) -> Vec<String> {
        let in_flight = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        in_flight
            .iter()
            .filter(|(_, count)| **count >= self.inner.per_channel)
            .map(|(channel, _)| channel.clone())
            .collect()
    }

    fn take_slot(&self, channel_id: &str) -> bool {
        let mut in_flight = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = in_flight.entry(channel_id.to_owned()).or_default();
        if *count >= self.inner.per_channel {
            return false;
        }
        *count += 1;
        true
    }

    fn free_slot(&self, channel_id: &str) {
        let mut in_flight = self
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = in_flight.get_mut(channel_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                in_flight.remove(channel_id);
            }
        }
    }

    /// One attempt of claimed deliveries of one channel (several: a
    /// digest), recorded on each.
    async fn attempt(&self, rows: &[notification_delivery::Model]) -> Result<()> {
        let store = &self.inner.store;
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let company = ScopedCompany::system(first.company_id.clone());
        let Some(channel) = store.company_channel(&company, &first.channel_id).await? else {
            let attempt = Attempt {
                ok: false,
                status_code: 0,
                error: "the channel was deleted".to_owned(),
                latency_ms: 0,
                response: String::new(),
            };
            for row in rows {
                store.record_attempt(row, &attempt, None, 1).await?;
            }
            return Ok(());
        };
        let mut live: Vec<(&notification_delivery::Model, Notice)> = Vec::with_capacity(rows.len());
        for row in rows {
            let notice: Notice = serde_json::from_str(&row.payload)
                .map_err(|error| Error::Internal(format!("delivery {}: {error}", row.id)))?;
            if self.still_wanted(&company, row, &notice).await? {
                live.push((row, notice));
            }
        }
        let Some((lead, _)) = live.first() else {
            return Ok(());
        };
        let notices: Vec<&Notice> = live.iter().map(|(_, notice)| notice).collect();
        let attempt = self.send(&channel, &lead.id, &notices).await;
        let digest_size = i32::try_from(live.len()).unwrap_or(i32::MAX);
        for (row, _) in &live {
            let attempts = row.attempts + 1;
            let retry_at = (!attempt.ok && attempts < channel.max_attempts)
                .then(|| now_ms() + backoff_ms(attempts, self.inner.retry_base_ms));
            if !attempt.ok {
                tracing::info!(
                    delivery = %row.id,
                    channel = %channel.id,
                    attempts,
                    error = %attempt.error,
                    dead = retry_at.is_none(),
                    "notification attempt failed"
                );
            }
            store
                .record_attempt(row, &attempt, retry_at, digest_size)
                .await?;
        }
        Ok(())
    }

    /// Whether a delivery still goes out: an escalation or a repeat only
    /// while nobody has taken the incident (else it is cancelled, with
    /// why). The first channel of such a sending writes it on the timeline.
    async fn still_wanted(
        &self,
        company: &ScopedCompany,
        row: &notification_delivery::Model,
        notice: &Notice,
    ) -> Result<bool> {
        if notice.level <= 1 && notice.round == 0 {
            return Ok(true);
        }
        let store = &self.inner.store;
        self.inner.owners.read_barrier().await;
        let incident = store.get_incident(&Scope::All, &row.incident_id).await?;
        match incident.status {
            IncidentStatus::Open => {}
            status => {
                let taken = if status == IncidentStatus::Acknowledged {
                    "acknowledged"
                } else {
                    "resolved"
                };
                let what = if notice.round > 0 {
                    "the repeat"
                } else {
                    "the escalation"
                };
                store
                    .cancel_delivery(row, &format!("{taken} before {what} was due"))
                    .await?;
                return Ok(false);
            }
        }
        if notice.announces && row.attempts == 0 {
            let text = if notice.round > 0 {
                format!(
                    "paged level {} again (repeat {}): nobody acknowledged within {}",
                    notice.level,
                    notice.round,
                    words_for_seconds(notice.after_seconds)
                )
            } else {
                format!(
                    "escalated to level {}: nobody acknowledged within {}",
                    notice.level,
                    words_for_seconds(i64::from(notice.delay_seconds))
                )
            };
            self.inner
                .owners
                .change_incident(
                    company,
                    &row.incident_id,
                    ACTOR,
                    IncidentCommand::Comment { text },
                )
                .await?;
        }
        Ok(true)
    }

    /// Sends a test message through a channel now.
    pub async fn test(&self, channel: &notification_channel::Model) -> Attempt {
        let now = now_ms();
        let notice = Notice {
            event: NotifyEvent::Opened,
            sequence: 0,
            at: now,
            actor: ACTOR.to_owned(),
            message: format!("test message for channel {}", channel.name),
            level: 1,
            delay_seconds: 0,
            company_id: channel.company_id.clone(),
            incident_id: "test".to_owned(),
            incident: test_incident(now),
            to_on_duty_technicians: false,
            to_assigned_technician: false,
            announces: false,
            technician_ids: Vec::new(),
            round: 0,
            after_seconds: 0,
        };
        self.send(
            channel,
            &format!("test_{}", crate::store::new_id()),
            &[&notice],
        )
        .await
    }

    /// One attempt to the channel's receiver: one notice, or a digest of
    /// several.
    async fn send(
        &self,
        channel: &notification_channel::Model,
        delivery_id: &str,
        notices: &[&Notice],
    ) -> Attempt {
        let started = Instant::now();
        let result = self.send_inner(channel, delivery_id, notices).await;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match result {
            Ok((status_code, response)) => Attempt {
                ok: true,
                status_code,
                error: String::new(),
                latency_ms,
                response,
            },
            Err(failure) => Attempt {
                ok: false,
                status_code: failure.status_code,
                error: failure.error,
                latency_ms,
                response: failure.response,
            },
        }
    }

    async fn send_inner(
        &self,
        channel: &notification_channel::Model,
        delivery_id: &str,
        notices: &[&Notice],
    ) -> std::result::Result<(i32, String), Failure> {
        let config: ChannelConfig = serde_json::from_str(&channel.config)
            .map_err(|error| Failure::new(format!("channel settings unreadable: {error}")))?;
        let secret = self
            .secret(channel)
            .await
            .map_err(|error| Failure::new(error.to_string()))?;
        let public_url = &self.inner.public_url;
        let (notice, digest) = match notices {
            [notice] => (*notice, None),
            [first, ..] if config.kind().digests() => (*first, Some(Digest { notices })),
            _ => {
                return Err(Failure::new(format!(
                    "{} notices cannot go to this channel as one message",
                    notices.len()
                )));
            }
        };
        // Only Slack and email reach people; the others need no lookup.
        let paged = || async {
            self.paged(notices)
                .await
                .map_err(|error| Failure::new(error.to_string()))
        };
        match &config {
            ChannelConfig::Webhook { url } => {
                let body = serde_json::to_vec(&notice.webhook_body(delivery_id, public_url))
                    .map_err(|error| Failure::new(error.to_string()))?;
                let timestamp = now_ms() / 1000;
                let signature = sign_webhook(&secret, delivery_id, timestamp, &body)
                    .map_err(|error| Failure::new(error.to_string()))?;
                let request = self
                    .inner
                    .http
                    .post(url)
                    .header("content-type", "application/json")
                    .header("webhook-id", delivery_id)
                    .header("webhook-timestamp", timestamp.to_string())
                    .header("webhook-signature", signature)
                    .body(body);
                self.post(request).await
            }
            ChannelConfig::Slack => {
                let mentions: Vec<String> = paged()
                    .await?
                    .iter()
                    .filter(|(_, member)| !member.is_empty())
                    .map(|(_, member)| member.clone())
                    .collect();
                let body = match &digest {
                    Some(digest) => digest.slack_body(public_url, &mentions),
                    None => notice.slack_body(public_url, &mentions),
                };
                self.post(self.inner.http.post(&secret).json(&body)).await
            }
            ChannelConfig::Teams => {
                let body = match &digest {
                    Some(digest) => digest.teams_body(public_url),
                    None => notice.teams_body(public_url),
                };
                self.post(self.inner.http.post(&secret).json(&body)).await
            }
            ChannelConfig::PagerDuty { events_url } => {
                let request = self
                    .inner
                    .http
                    .post(events_url)
                    .json(&notice.pagerduty_body(&secret, public_url));
                self.post(request).await
            }
            ChannelConfig::Email(email) => {
                let (subject, body) = match &digest {
                    Some(digest) => digest.email(public_url),
                    None => notice.email(public_url),
                };
                let mut recipients = email.to.clone();
                recipients.extend(paged().await?.into_iter().map(|(address, _)| address));
                self.email(email, &secret, recipients, subject, body).await
            }
        }
    }

    /// The contacts (e-mail, Slack member id) of the technicians the
    /// notices page: on duty, assigned, or named by their level.
    async fn paged(&self, notices: &[&Notice]) -> Result<Vec<(String, String)>> {
        let Some(first) = notices.first() else {
            return Ok(Vec::new());
        };
        let on_duty = notices.iter().any(|notice| notice.to_on_duty_technicians);
        let mut ids: Vec<String> = Vec::new();
        for notice in notices {
            ids.extend(notice.technician_ids.iter().cloned());
            if notice.to_assigned_technician
                && let Some(technician) = &notice.incident.assigned_technician_id
            {
                ids.push(technician.clone());
            }
        }
        ids.sort();
        ids.dedup();
        self.inner
            .store
            .technician_contacts(
                &ScopedCompany::system(first.company_id.clone()),
                on_duty,
                &ids,
            )
            .await
            .map_err(Into::into)
    }

    async fn secret(&self, channel: &notification_channel::Model) -> Result<String> {
        if channel.secret_arn.is_some() {
            let cache = self.inner.secret_cache.as_deref().ok_or_else(|| {
                Error::FailedPrecondition(
                    "this channel's credential is in AWS Secrets Manager, but AWS is not configured on this server"
                        .to_owned(),
                )
            })?;
            let secrets = cache.secrets(&channel.company_id, &[&channel.id]).await?;
            return secrets
                .get(&channel.id)
                .map(|stored| stored.secret.clone())
                .ok_or_else(|| {
                    Error::FailedPrecondition(format!(
                        "the credential of channel {} is missing from the company's secret in AWS Secrets Manager",
                        channel.id
                    ))
                });
        }
        match (&channel.nonce, &channel.ciphertext) {
            (Some(nonce), Some(ciphertext)) => {
                let plain = self.inner.master_key.decrypt(
                    &secret_context(&channel.company_id),
                    nonce,
                    ciphertext,
                )?;
                String::from_utf8(plain)
                    .map_err(|_| Error::Internal("channel secret is not UTF-8".to_owned()))
            }
            _ => Ok(String::new()),
        }
    }

    async fn post(
        &self,
        request: reqwest::RequestBuilder,
    ) -> std::result::Result<(i32, String), Failure> {
        let request = request
            .build()
            .map_err(|error| Failure::new(format!("request: {}", error_chain(&error))))?;
        // An address in the URL is not resolved, so GuardedResolver never
        // sees it: check it here.
        if let Some(host) = request.url().host_str() {
            self.check_destination("url", host)
                .map_err(|error| Failure::new(error.to_string()))?;
        }
        let response = self.inner.http.execute(request).await.map_err(|error| {
            Failure::new(if error.is_timeout() {
                format!(
                    "the receiver did not answer within {} s",
                    self.inner.timeout.as_secs()
                )
            } else if error.is_connect() {
                format!("cannot connect to the receiver: {}", error_chain(&error))
            } else {
                format!("request failed: {}", error_chain(&error))
            })
        })?;
        let status = response.status();
        let code = i32::from(status.as_u16());
        let text = response.text().await.unwrap_or_default();
        let text = truncate(&text, MAX_RESPONSE_CHARS);
        if status.is_success() {
            Ok((code, text))
        } else {
            Err(Failure {
                status_code: code,
                error: format!("the receiver answered {status}"),
                response: text,
            })
        }
    }

    async fn email(
        &self,
        email: &EmailConfig,
        password: &str,
        mut recipients: Vec<String>,
        subject: String,
        body: String,
    ) -> std::result::Result<(i32, String), Failure> {
        recipients.sort();
        recipients.dedup();
        if recipients.is_empty() {
            return Err(Failure::new(
                "no recipients: the channel lists none and no technician matched".to_owned(),
            ));
        }
        let from: Mailbox = email
            .from
            .parse()
            .map_err(|error| Failure::new(format!("from: {error}")))?;
        let mut builder = Message::builder().from(from).subject(subject);
        for recipient in &recipients {
            let mailbox: Mailbox = recipient
                .parse()
                .map_err(|error| Failure::new(format!("recipient {recipient}: {error}")))?;
            builder = builder.to(mailbox);
        }
        let message = builder
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|error| Failure::new(format!("message: {error}")))?;
        let tls = || -> std::result::Result<TlsParameters, Failure> {
            let mut parameters = TlsParameters::builder(email.host.clone());
            if !email.ca_certificate_pem.is_empty() {
                let certificate = Certificate::from_pem(email.ca_certificate_pem.as_bytes())
                    .map_err(|error| Failure::new(format!("ca_certificate_pem: {error}")))?;
                parameters = parameters.add_root_certificate(certificate);
            }
            parameters
                .build_rustls()
                .map_err(|error| Failure::new(format!("TLS: {error}")))
        };
        let address = self.smtp_address(&email.host, email.port).await?;
        let mut transport =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
                .port(email.port)
                .timeout(Some(self.inner.timeout));
        transport = match email.security {
            SmtpSecurity::StartTls => transport.tls(Tls::Required(tls()?)),
            SmtpSecurity::Tls => transport.tls(Tls::Wrapper(tls()?)),
            SmtpSecurity::None => transport.tls(Tls::None),
        };
        if !email.username.is_empty() {
            transport = transport.credentials(Credentials::new(
                email.username.clone(),
                password.to_owned(),
            ));
        }
        let sent = tokio::time::timeout(self.inner.timeout, transport.build().send(message)).await;
        match sent {
            Ok(Ok(response)) => Ok((
                i32::from(u16::from(response.code())),
                truncate(
                    &response.message().collect::<Vec<_>>().join(" "),
                    MAX_RESPONSE_CHARS,
                ),
            )),
            Ok(Err(error)) => Err(Failure {
                status_code: error.status().map_or(0, |code| i32::from(u16::from(code))),
                error: format!("SMTP: {}", error_chain(&error)),
                response: String::new(),
            }),
            Err(_) => Err(Failure::new(format!(
                "the SMTP server did not finish within {} s",
                self.inner.timeout.as_secs()
            ))),
        }
    }
}

impl Notifier {
    /// The SMTP server's address, resolved here so that the same check as
    /// for HTTP receivers applies (TLS still verifies the host name).
    async fn smtp_address(
        &self,
        host: &str,
        port: u16,
    ) -> std::result::Result<SocketAddr, Failure> {
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|error| Failure::new(format!("cannot resolve {host}: {error}")))?
            .collect();
        let mut refused = None;
        for address in addresses {
            match refused_address(address.ip(), self.inner.block_private) {
                None => return Ok(address),
                Some(reason) => refused = Some(reason),
            }
        }
        Err(Failure::new(match refused {
            Some(reason) => {
                format!(
                    "{host} resolves to {reason}; this server does not send notifications there"
                )
            }
            None => format!("{host} has no address"),
        }))
    }
}

/// Resolves receivers' host names and drops the addresses this server does
/// not send to, at every connection (a name that resolved to a public
/// address when the channel was made cannot be turned to a private one).
struct GuardedResolver {
    block_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let block_private = self.block_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut reasons = resolved
                .iter()
                .filter_map(|address| refused_address(address.ip(), block_private));
            let allowed: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|address| refused_address(address.ip(), block_private).is_none())
                .collect();
            if allowed.is_empty() {
                let why = reasons.next().map_or_else(
                    || format!("{host} has no address"),
                    |reason| {
                        format!(
                            "{host} resolves to {reason}; this server does not send notifications there"
                        )
                    },
                );
                return Err(why.into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addresses)
        })
    }
}

/// Why an attempt failed.
struct Failure {
    status_code: i32,
    error: String,
    response: String,
}

impl Failure {
    fn new(error: String) -> Self {
        Self {
            status_code: 0,
            error,
            response: String::new(),
        }
    }
}

/// An error with its sources, e.g. "error sending request: … : Connection refused".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let words = cause.to_string();
        if !text.contains(&words) {
            text.push_str(": ");
            text.push_str(&words);
        }
        source = cause.source();
    }
    text
}

/// "10 min", "90 s", "2 h".
fn words_for_seconds(seconds: i64) -> String {
    if seconds >= 3600 && seconds % 3600 == 0 {
        format!("{} h", seconds / 3600)
    } else if seconds >= 60 && seconds % 60 == 0 {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

/// The incident a test message describes.
fn test_incident(now: i64) -> Incident {
    Incident {
        id: "test".to_owned(),
        company_id: String::new(),
        aggregation_key: "test|notification_test".to_owned(),
        asset: "test-asset".to_owned(),
        signature: "notification_test".to_owned(),
        summary: "A test message from Alert Whisperer: this channel works.".to_owned(),
        status: IncidentStatus::Open,
        priority: 4,
        priority_reasons: vec!["test".to_owned()],
        alert_count: 0,
        firing_alert_count: 0,
        tools: std::collections::BTreeSet::new(),
        severity: crate::domain::ingest::AlertSeverity::Info,
        assigned_technician_id: None,
        parent_incident_id: None,
        is_storm_parent: false,
        child_incident_count: 0,
        open_child_count: 0,
        flapping: false,
        self_healed: false,
        remediation_failed: false,
        resolution: String::new(),
        first_alert_at: now,
        last_alert_at: now,
        created_at: now,
        acknowledged_at: None,
        first_acknowledged_at: None,
        resolved_at: None,
        updated_at: now,
    }
}
