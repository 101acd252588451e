//! Notification channels, routes, the notifier's checkpoints and the outbox
//! of deliveries. Operator-facing finders take the caller's scope; the
//! notifier's take a [`ScopedCompany`] or a delivery it claimed.

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};

use super::entity::{
    alert, incident, incident_sequence, notification_channel as channel,
    notification_checkpoint as checkpoint, notification_delivery as delivery,
    notification_route as route, technician,
};
use super::error::{Error, Result};
use super::tenant::{Audit, SecretMaterial, find_company, name_taken};
use super::{Page, Scope, ScopedCompany, Store, new_id, now_ms, to_json};
use crate::domain::correlation::Matcher;
use crate::domain::notification::{
    ChannelConfig, DeliveryStatus, IncidentLabels, Level, Notice, NotifyEvent, Route, Window,
};

/// A channel to create.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub company_id: String,
    pub name: String,
    /// Settings that are not secret.
    pub config: ChannelConfig,
    /// What it shows as its target.
    pub target: String,
    /// The channel's id (chosen first: Secrets Manager keeps the secret under it).
    pub id: String,
    /// Where the secret is kept, if the channel has one.
    pub secret: Option<SecretMaterial>,
    /// Attempts before dead-lettering.
    pub max_attempts: i32,
    /// Most messages per minute; 0 for no limit.
    pub max_per_minute: i32,
}

/// A route to create.
#[derive(Debug, Clone)]
pub struct NewRoute {
    pub company_id: String,
    pub name: String,
    /// Changes it notifies on.
    pub events: Vec<NotifyEvent>,
    /// Least urgent priority.
    pub max_priority: u8,
    /// Conditions on the incident.
    pub matchers: Vec<Matcher>,
    pub levels: Vec<Level>,
    /// When it applies.
    pub windows: Vec<Window>,
    /// The windows' IANA time zone.
    pub time_zone: String,
    /// Seconds between repeats of the last level; 0 for none.
    pub repeat_interval_seconds: i32,
    /// Repeats of the last level.
    pub repeat_count: i32,
}

/// Filters of ListDeliveries.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only this incident.
    pub incident_id: Option<String>,
    /// Only this channel.
    pub channel_id: Option<String>,
    /// Only this status.
    pub status: Option<DeliveryStatus>,
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Taken by the receiver.
    pub ok: bool,
    /// HTTP status or SMTP reply code; 0 without an answer.
    pub status_code: i32,
    /// What went wrong.
    pub error: String,
    /// How long it took (ms).
    pub latency_ms: i64,
    /// The start of the receiver's answer (not stored; TestChannel shows it).
    pub response: String,
}

/// A delivery made from a change, before it is written.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub channel_id: String,
    pub route_id: String,
    /// When it is due (ms).
    pub due_at: i64,
    /// What it tells.
    pub notice: Notice,
}

/// A route row as the domain's route.
pub fn route_of(row: &route::Model) -> Route {
    Route {
        id: row.id.clone(),
        events: serde_json::from_str::<Vec<i16>>(&row.events)
            .unwrap_or_default()
            .into_iter()
            .filter_map(NotifyEvent::from_i16)
            .collect(),
        max_priority: u8::try_from(row.max_priority).unwrap_or(4),
        matchers: serde_json::from_str::<Vec<Matcher>>(&row.matchers)
            .unwrap_or_default()
            .into_iter()
            .map(Matcher::restored)
            .collect(),
        levels: serde_json::from_str(&row.levels).unwrap_or_default(),
        windows: serde_json::from_str(&row.windows).unwrap_or_default(),
        time_zone: jiff::tz::TimeZone::get(&row.time_zone).unwrap_or(jiff::tz::TimeZone::UTC),
        repeat_interval_seconds: row.repeat_interval_seconds,
        repeat_count: row.repeat_count,
    }
}

impl Store {
    /// Creates a channel.
    pub async fn create_channel(
        &self,
        audit: &Audit,
        scope: &Scope,
        new: NewChannel,
    ) -> Result<channel::Model> {
        let txn = self.begin_write().await?;
        find_company(&txn, scope, &new.company_id).await?;
        let (nonce, ciphertext, secret_arn) = match new.secret {
            None => (None, None, None),
            Some(SecretMaterial::Encrypted { nonce, ciphertext }) => {
                (Some(nonce), Some(ciphertext), None)
            }
            Some(SecretMaterial::SecretsManager { arn, .. }) => (None, None, Some(arn)),
        };
        let created = channel::ActiveModel {
            id: Set(new.id.clone()),
            company_id: Set(new.company_id.clone()),
            name: Set(new.name.clone()),
            kind: Set(new.config.kind().as_i16()),
            target: Set(new.target),
            config: Set(to_json(&new.config)?),
            nonce: Set(nonce),
            ciphertext: Set(ciphertext),
            secret_arn: Set(secret_arn),
            max_attempts: Set(new.max_attempts),
            max_per_minute: Set(new.max_per_minute),
            created_by: Set(audit.actor.clone()),
            created_at: Set(now_ms()),
        }
        .insert(&txn)
        .await
        .map_err(|error| name_taken(error, &format!("a channel named {:?}", new.name)))?;
        audit
            .record(
                &txn,
                Some(&new.company_id),
                "notification_channel",
                &created.id,
                serde_json::json!({ "name": created.name, "kind": created.kind, "target": created.target }),
            )
            .await?;
        txn.commit().await?;
        Ok(created)
    }

    /// One page of a company's channels, newest first.
    pub async fn list_channels(
        &self,
        scope: &Scope,
        company_id: &str,
        page: &Page,
    ) -> Result<(Vec<channel::Model>, String)> {
        find_company(self.connection(), scope, company_id).await?;
        let mut query = channel::Entity::find()
            .filter(scope.condition(channel::Column::CompanyId))
            .filter(channel::Column::CompanyId.eq(company_id));
        if let Some(after) = &page.after {
            query = query.filter(channel::Column::Id.lt(after.clone()));
        }
        let rows = query
            .order_by_desc(channel::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// A channel the scope may see.
    pub async fn channel(&self, scope: &Scope, id: &str) -> Result<channel::Model> {
        find_channel(self.connection(), scope, id).await
    }

    /// A channel of a company the notifier works for; None once deleted.
    pub async fn company_channel(
        &self,
        company: &ScopedCompany,
        id: &str,
    ) -> Result<Option<channel::Model>> {
        Ok(channel::Entity::find_by_id(id.to_owned())
            .filter(channel::Column::CompanyId.eq(company.id()))
            .one(self.connection())
            .await?)
    }

    /// Deletes a channel that no route uses.
    pub async fn delete_channel(&self, audit: &Audit, scope: &Scope, id: &str) -> Result<()> {
        let txn = self.begin_write().await?;
        let current = find_channel(&txn, scope, id).await?;
        let users: Vec<String> = route::Entity::find()
            .filter(route::Column::CompanyId.eq(current.company_id.clone()))
            .all(&txn)
            .await?
            .into_iter()
            .filter(|row| {
                route_of(row)
                    .levels
                    .iter()
                    .any(|level| level.channel_ids.iter().any(|c| c == id))
            })
            .map(|row| row.name)
            .collect();
        if !users.is_empty() {
            return Err(Error::Conflict(format!(
                "channel {id} is used by the routes {}; delete them or their levels first",
                users.join(", ")
            )));
        }
        channel::Entity::delete_by_id(id.to_owned())
            .exec(&txn)
            .await?;
        audit
            .record(
                &txn,
                Some(&current.company_id),
                "notification_channel",
                id,
                serde_json::json!({ "deleted": current.name }),
            )
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Creates a route whose levels name channels of its company. The first
    /// route of a company starts the notifier's checkpoint at the log's
    /// head: a new route notifies on what happens from now on, not on the
    /// company's history.
    pub async fn create_route(
        &self,
        audit: &Audit,
        scope: &Scope,
        new: NewRoute,
    ) -> Result<route::Model> {
        let txn = self.begin_write().await?;
        find_company(&txn, scope, &new.company_id).await?;
        for (index, level) in new.levels.iter().enumerate() {
            for (position, channel_id) in level.channel_ids.iter().enumerate() {
                let found = channel::Entity::find_by_id(channel_id.clone())
                    .filter(channel::Column::CompanyId.eq(new.company_id.clone()))
                    .one(&txn)
                    .await?;
                if found.is_none() {
                    return Err(Error::invalid(
                        &format!("levels[{index}].channel_ids[{position}]"),
                        format!("no channel {channel_id} in this company"),
                    ));
                }
            }
            for (position, technician_id) in level.technician_ids.iter().enumerate() {
                let found = technician::Entity::find_by_id(technician_id.clone())
                    .filter(technician::Column::CompanyId.eq(new.company_id.clone()))
                    .one(&txn)
                    .await?;
                if found.is_none() {
                    return Err(Error::invalid(
                        &format!("levels[{index}].technician_ids[{position}]"),
                        format!("no technician {technician_id} in this company"),
                    ));
                }
            }
        }
        let has_routes = route::Entity::find()
            .filter(route::Column::CompanyId.eq(new.company_id.clone()))
            .one(&txn)
            .await?
            .is_some();
        if !has_routes {
            let head = incident_sequence::Entity::find_by_id(new.company_id.clone())
                .one(&txn)
                .await?
                .map_or(0, |row| row.sequence);
            checkpoint::Entity::insert(checkpoint::ActiveModel {
                company_id: Set(new.company_id.clone()),
                sequence: Set(head),
            })
            .on_conflict(
                OnConflict::column(checkpoint::Column::CompanyId)
                    .update_column(checkpoint::Column::Sequence)
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
        }
        let events: Vec<i16> = new.events.iter().map(|e| e.as_i16()).collect();
        let created = route::ActiveModel {
            id: Set(new_id()),
            company_id: Set(new.company_id.clone()),
            name: Set(new.name.clone()),
            events: Set(to_json(&events)?),
            max_priority: Set(i16::from(new.max_priority)),
            matchers: Set(to_json(&new.matchers)?),
            levels: Set(to_json(&new.levels)?),
            windows: Set(to_json(&new.windows)?),
            time_zone: Set(new.time_zone.clone()),
            repeat_interval_seconds: Set(new.repeat_interval_seconds),
            repeat_count: Set(new.repeat_count),
            created_by: Set(audit.actor.clone()),
            created_at: Set(now_ms()),
        }
        .insert(&txn)
        .await
        .map_err(|error| name_taken(error, &format!("a route named {:?}", new.name)))?;
        audit
            .record(
                &txn,
                Some(&new.company_id),
                "notification_route",
                &created.id,
                serde_json::json!({
                    "name": created.name,
                    "events": events,
                    "max_priority": new.max_priority,
                    "levels": new.levels,
                    "repeat_interval_seconds": new.repeat_interval_seconds,
                    "repeat_count": new.repeat_count,
                }),
            )
            .await?;
        txn.commit().await?;
        Ok(created)
    }

    /// One page of a company's routes, newest first.
    pub async fn list_routes(
        &self,
        scope: &Scope,
        company_id: &str,
        page: &Page,
    ) -> Result<(Vec<route::Model>, String)> {
        find_company(self.connection(), scope, company_id).await?;
        let mut query = route::Entity::find()
            .filter(scope.condition(route::Column::CompanyId))
            .filter(route::Column::CompanyId.eq(company_id));
        if let Some(after) = &page.after {
            query = query.filter(route::Column::Id.lt(after.clone()));
        }
        let rows = query
            .order_by_desc(route::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// Deletes a route.
    pub async fn delete_route(&self, audit: &Audit, scope: &Scope, id: &str) -> Result<()> {
        let txn = self.begin_write().await?;
        let current = route::Entity::find_by_id(id.to_owned())
            .filter(scope.condition(route::Column::CompanyId))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::NotFound(format!("route {id}")))?;
        find_company(&txn, scope, &current.company_id)
            .await
            .map_err(|_| Error::NotFound(format!("route {id}")))?;
        route::Entity::delete_by_id(id.to_owned())
            .exec(&txn)
            .await?;
        audit
            .record(
                &txn,
                Some(&current.company_id),
                "notification_route",
                id,
                serde_json::json!({ "deleted": current.name }),
            )
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Every company's routes (the notifier's view), by company.
    pub async fn routes_by_company(&self) -> Result<HashMap<ScopedCompany, Vec<Route>>> {
        let mut routes: HashMap<ScopedCompany, Vec<Route>> = HashMap::new();
        for row in route::Entity::find()
            .order_by_asc(route::Column::Id)
            .all(self.connection())
            .await?
        {
            routes
                .entry(ScopedCompany::system(row.company_id.clone()))
                .or_default()
                .push(route_of(&row));
        }
        Ok(routes)
    }

    /// How far the notifier has read the company's log.
    pub async fn notification_checkpoint(&self, company: &ScopedCompany) -> Result<i64> {
        Ok(checkpoint::Entity::find_by_id(company.id().to_owned())
            .one(self.connection())
            .await?
            .map_or(0, |row| row.sequence))
    }

    /// Writes the deliveries of the company's changes up to `through` and
    /// moves the checkpoint there, in one transaction. A delivery another
    /// replica wrote first is not written again, and the checkpoint never
    /// moves back.
    pub async fn enqueue_deliveries(
        &self,
        company: &ScopedCompany,
        through: i64,
        deliveries: Vec<NewDelivery>,
    ) -> Result<usize> {
        let txn = self.begin_write().await?;
        let now = now_ms();
        let mut written = 0;
        for new in deliveries {
            let notice = &new.notice;
            let row = delivery::ActiveModel {
                id: Set(new_id()),
                company_id: Set(company.id().to_owned()),
                channel_id: Set(new.channel_id),
                route_id: Set(new.route_id),
                incident_id: Set(notice.incident_id.clone()),
                event: Set(notice.event.as_i16()),
                level: Set(notice.level),
                round: Set(notice.round),
                event_sequence: Set(notice.sequence),
                status: Set(DeliveryStatus::Pending.as_i16()),
                attempts: Set(0),
                next_attempt_at: Set(new.due_at),
                claimed_until: Set(0),
                last_status_code: Set(0),
                last_error: Set(String::new()),
                last_latency_ms: Set(0),
                created_at: Set(now),
                delivered_at: Set(None),
                digest_size: Set(0),
                payload: Set(to_json(notice)?),
            };
            let inserted = delivery::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        delivery::Column::CompanyId,
                        delivery::Column::EventSequence,
                        delivery::Column::RouteId,
                        delivery::Column::Level,
                        delivery::Column::Round,
                        delivery::Column::ChannelId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
            written += usize::try_from(inserted).unwrap_or(0);
        }
        checkpoint::Entity::insert(checkpoint::ActiveModel {
            company_id: Set(company.id().to_owned()),
            sequence: Set(through),
        })
        .on_conflict(
            OnConflict::column(checkpoint::Column::CompanyId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        checkpoint::Entity::update_many()
            .col_expr(checkpoint::Column::Sequence, Expr::value(through))
            .filter(checkpoint::Column::CompanyId.eq(company.id()))
            .filter(checkpoint::Column::Sequence.lt(through))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(written)
    }

    /// Pending deliveries due at `now` that no notifier holds, oldest due
    /// first, of channels other than `busy` (those with no room for another
    /// attempt: their backlog must not hide the other channels' deliveries).
    pub async fn due_deliveries(
        &self,
        now: i64,
        busy: &[String],
        limit: u64,
    ) -> Result<Vec<delivery::Model>> {
        let mut query = delivery::Entity::find()
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending.as_i16()))
            .filter(delivery::Column::NextAttemptAt.lte(now))
            .filter(delivery::Column::ClaimedUntil.lte(now));
        if !busy.is_empty() {
            query = query.filter(delivery::Column::ChannelId.is_not_in(busy.iter().cloned()));
        }
        Ok(query
            .order_by_asc(delivery::Column::NextAttemptAt)
            .limit(limit)
            .all(self.connection())
            .await?)
    }

    /// When the next pending delivery falls due, if any.
    pub async fn next_due_at(&self) -> Result<Option<i64>> {
        Ok(delivery::Entity::find()
            .select_only()
            .column(delivery::Column::NextAttemptAt)
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending.as_i16()))
            .order_by_asc(delivery::Column::NextAttemptAt)
            .into_tuple::<i64>()
            .one(self.connection())
            .await?)
    }

    /// Takes a delivery for one attempt until `until`, if nobody else took
    /// it since it was read (compare-and-set on `claimed_until`).
    pub async fn claim_delivery(&self, row: &delivery::Model, until: i64) -> Result<bool> {
        let result = delivery::Entity::update_many()
            .col_expr(delivery::Column::ClaimedUntil, Expr::value(until))
            .filter(delivery::Column::Id.eq(row.id.clone()))
            .filter(delivery::Column::ClaimedUntil.eq(row.claimed_until))
            .filter(delivery::Column::Status.eq(DeliveryStatus::Pending.as_i16()))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected == 1)
    }

    /// Records an attempt of a claimed delivery: delivered, pending again at
    /// `retry_at`, or dead when `retry_at` is None. `digest_size` is how
    /// many deliveries the attempt carried together (1 alone).
    pub async fn record_attempt(
        &self,
        row: &delivery::Model,
        attempt: &Attempt,
        retry_at: Option<i64>,
        digest_size: i32,
    ) -> Result<()> {
        let now = now_ms();
        let status = match (attempt.ok, retry_at) {
            (true, _) => DeliveryStatus::Delivered,
            (false, Some(_)) => DeliveryStatus::Pending,
            (false, None) => DeliveryStatus::Dead,
        };
        delivery::Entity::update_many()
            .col_expr(delivery::Column::Status, Expr::value(status.as_i16()))
            .col_expr(
                delivery::Column::Attempts,
                Expr::col(delivery::Column::Attempts).add(1),
            )
            .col_expr(
                delivery::Column::LastStatusCode,
                Expr::value(attempt.status_code),
            )
            .col_expr(
                delivery::Column::LastError,
                Expr::value(attempt.error.clone()),
            )
            .col_expr(
                delivery::Column::LastLatencyMs,
                Expr::value(attempt.latency_ms),
            )
            .col_expr(
                delivery::Column::NextAttemptAt,
                Expr::value(retry_at.unwrap_or(row.next_attempt_at)),
            )
            .col_expr(delivery::Column::ClaimedUntil, Expr::value(0_i64))
            .col_expr(delivery::Column::DigestSize, Expr::value(digest_size))
            .col_expr(
                delivery::Column::DeliveredAt,
                Expr::value(attempt.ok.then_some(now)),
            )
            .filter(delivery::Column::Id.eq(row.id.clone()))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Ends an escalation nobody needed, with why.
    pub async fn cancel_delivery(&self, row: &delivery::Model, why: &str) -> Result<()> {
        delivery::Entity::update_many()
            .col_expr(
                delivery::Column::Status,
                Expr::value(DeliveryStatus::Cancelled.as_i16()),
            )
            .col_expr(delivery::Column::LastError, Expr::value(why.to_owned()))
            .col_expr(delivery::Column::ClaimedUntil, Expr::value(0_i64))
            .filter(delivery::Column::Id.eq(row.id.clone()))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// One page of a company's deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        scope: &Scope,
        company_id: &str,
        filter: &DeliveryFilter,
        page: &Page,
    ) -> Result<(Vec<delivery::Model>, String)> {
        find_company(self.connection(), scope, company_id).await?;
        let mut query = delivery::Entity::find()
            .filter(scope.condition(delivery::Column::CompanyId))
            .filter(delivery::Column::CompanyId.eq(company_id));
        if let Some(incident) = &filter.incident_id {
            query = query.filter(delivery::Column::IncidentId.eq(incident.clone()));
        }
        if let Some(channel) = &filter.channel_id {
            query = query.filter(delivery::Column::ChannelId.eq(channel.clone()));
        }
        if let Some(status) = filter.status {
            query = query.filter(delivery::Column::Status.eq(status.as_i16()));
        }
        if let Some(after) = &page.after {
            query = query.filter(delivery::Column::Id.lt(after.clone()));
        }
        let rows = query
            .order_by_desc(delivery::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// Makes a delivery pending again, due now, under the same id.
    pub async fn redeliver(
        &self,
        audit: &Audit,
        scope: &Scope,
        id: &str,
    ) -> Result<delivery::Model> {
        let txn = self.begin_write().await?;
        let current = delivery::Entity::find_by_id(id.to_owned())
            .filter(scope.condition(delivery::Column::CompanyId))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::NotFound(format!("delivery {id}")))?;
        find_company(&txn, scope, &current.company_id)
            .await
            .map_err(|_| Error::NotFound(format!("delivery {id}")))?;
        let company_id = current.company_id.clone();
        let mut model: delivery::ActiveModel = current.into();
        model.status = Set(DeliveryStatus::Pending.as_i16());
        model.next_attempt_at = Set(now_ms());
        model.claimed_until = Set(0);
        let updated = model.update(&txn).await?;
        audit
            .record(
                &txn,
                Some(&company_id),
                "notification_delivery",
                id,
                serde_json::json!({ "redeliver": true }),
            )
            .await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// The contacts (e-mail, Slack member id) of the company's technicians
    /// that are on duty (when `on_duty`) or named in `ids`, by e-mail.
    pub async fn technician_contacts(
        &self,
        company: &ScopedCompany,
        on_duty: bool,
        ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        if !on_duty && ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut wanted = Condition::any();
        if on_duty {
            wanted = wanted.add(technician::Column::OnDuty.eq(true));
        }
        if !ids.is_empty() {
            wanted = wanted.add(technician::Column::Id.is_in(ids.iter().cloned()));
        }
        Ok(technician::Entity::find()
            .select_only()
            .column(technician::Column::Email)
            .column(technician::Column::SlackMemberId)
            .filter(technician::Column::CompanyId.eq(company.id()))
            .filter(wanted)
            .order_by_asc(technician::Column::Email)
            .into_tuple::<(String, String)>()
            .all(self.connection())
            .await?)
    }

    /// The label values of an incident's alerts, and of its children's
    /// alerts for a storm parent (which has none of its own).
    pub async fn incident_labels(
        &self,
        company: &ScopedCompany,
        incident_id: &str,
    ) -> Result<IncidentLabels> {
        let children = incident::Entity::find()
            .select_only()
            .column(incident::Column::Id)
            .filter(incident::Column::CompanyId.eq(company.id()))
            .filter(incident::Column::ParentIncidentId.eq(incident_id))
            .into_query();
        let rows: Vec<String> = alert::Entity::find()
            .select_only()
            .column(alert::Column::Labels)
            .filter(alert::Column::CompanyId.eq(company.id()))
            .filter(
                Condition::any()
                    .add(alert::Column::IncidentId.eq(incident_id))
                    .add(alert::Column::IncidentId.in_subquery(children)),
            )
            .into_tuple()
            .all(self.connection())
            .await?;
        let mut labels = IncidentLabels::new();
        for row in rows {
            let Ok(map) = serde_json::from_str::<BTreeMap<String, String>>(&row) else {
                continue;
            };
            for (name, value) in map {
                labels.entry(name).or_default().insert(value);
            }
        }
        Ok(labels)
    }

    /// The channels with a rate limit: id → (messages per minute, kind).
    pub async fn channel_rate_limits(&self) -> Result<HashMap<String, (i32, i16)>> {
        Ok(channel::Entity::find()
            .select_only()
            .column(channel::Column::Id)
            .column(channel::Column::MaxPerMinute)
            .column(channel::Column::Kind)
            .filter(channel::Column::MaxPerMinute.gt(0))
            .into_tuple::<(String, i32, i16)>()
            .all(self.connection())
            .await?
            .into_iter()
            .map(|(id, limit, kind)| (id, (limit, kind)))
            .collect())
    }
}

async fn find_channel(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<channel::Model> {
    let found = channel::Entity::find_by_id(id.to_owned())
        .filter(scope.condition(channel::Column::CompanyId))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("channel {id}")))?;
    find_company(db, scope, &found.company_id)
        .await
        .map_err(|_| Error::NotFound(format!("channel {id}")))?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, channel: &str, due: i64) -> delivery::ActiveModel {
        delivery::ActiveModel {
            id: Set(id.to_owned()),
            company_id: Set("c".to_owned()),
            channel_id: Set(channel.to_owned()),
            route_id: Set("r".to_owned()),
            incident_id: Set(format!("i-{id}")),
            event: Set(NotifyEvent::Opened.as_i16()),
            level: Set(1),
            round: Set(0),
            digest_size: Set(0),
            event_sequence: Set(due),
            status: Set(DeliveryStatus::Pending.as_i16()),
            attempts: Set(0),
            next_attempt_at: Set(due),
            claimed_until: Set(0),
            last_status_code: Set(0),
            last_error: Set(String::new()),
            last_latency_ms: Set(0),
            created_at: Set(due),
            delivered_at: Set(None),
            payload: Set("{}".to_owned()),
        }
    }

    /// A channel with no free slot has a backlog older than everything else
    /// due; the other channels' deliveries must still be read.
    #[tokio::test]
    async fn due_deliveries_leave_out_busy_channels_and_claims_are_exclusive() {
        let (_dir, _config, store) = super::super::temp_sqlite_store().await;
        for n in 0..5 {
            row(&format!("hang-{n}"), "hang", 100 + n)
                .insert(store.connection())
                .await
                .unwrap();
        }
        row("fast-0", "fast", 200)
            .insert(store.connection())
            .await
            .unwrap();
        let oldest = store.due_deliveries(1_000, &[], 3).await.unwrap();
        assert!(
            oldest.iter().all(|d| d.channel_id == "hang"),
            "oldest first"
        );
        let others = store
            .due_deliveries(1_000, &["hang".to_owned()], 3)
            .await
            .unwrap();
        assert_eq!(
            others.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            ["fast-0"]
        );
        // Not yet due, or held by a claim: not read.
        assert!(
            store
                .due_deliveries(150, &["hang".to_owned()], 3)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(store.claim_delivery(&others[0], 5_000).await.unwrap());
        assert!(
            !store.claim_delivery(&others[0], 5_000).await.unwrap(),
            "claimed once"
        );
        assert!(
            store
                .due_deliveries(1_000, &["hang".to_owned()], 3)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
