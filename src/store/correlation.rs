//! Correlation configuration, silences and inhibition rules, scoped by company.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entity::{correlation_config, inhibition_rule, silence};
use super::tenant::{Audit, find_company};
use super::{Page, Scope, Store, new_id, now_ms, to_json};
use std::collections::BTreeMap;

use super::error::{Error, Result};
use crate::domain::correlation::{AggregationKey, CorrelationSettings, Criticality, Matcher};

/// A new silence.
#[derive(Debug, Clone)]
pub struct NewSilence {
    pub company_id: String,
    pub matchers: Vec<Matcher>,
    /// Start (ms).
    pub starts_at: i64,
    /// End (ms).
    pub ends_at: i64,
    pub comment: String,
}

/// A new inhibition rule.
#[derive(Debug, Clone)]
pub struct NewInhibitionRule {
    pub company_id: String,
    /// Validated source matchers.
    pub source: Vec<Matcher>,
    /// Validated target matchers.
    pub target: Vec<Matcher>,
    /// References that must be equal (as written).
    pub equal: Vec<String>,
    pub comment: String,
}

impl Store {
    /// The company's stored correlation config, or `None` when it uses the defaults.
    pub async fn correlation_config(
        &self,
        scope: &Scope,
        company_id: &str,
    ) -> Result<Option<correlation_config::Model>> {
        find_company(self.connection(), scope, company_id).await?;
        Ok(
            correlation_config::Entity::find_by_id(company_id.to_owned())
                .filter(scope.condition(correlation_config::Column::CompanyId))
                .one(self.connection())
                .await?,
        )
    }

    /// Stores the company's correlation config (validated by the caller).
    pub async fn set_correlation_config(
        &self,
        audit: &Audit,
        scope: &Scope,
        company_id: &str,
        settings: &CorrelationSettings,
    ) -> Result<correlation_config::Model> {
        let txn = self.begin_write().await?;
        find_company(&txn, scope, company_id).await?;
        let criticality: std::collections::BTreeMap<&String, i32> = settings
            .asset_criticality
            .iter()
            .map(|(asset, level)| (asset, *level as i32))
            .collect();
        let window_seconds = i32::try_from(settings.window.as_secs()).unwrap_or(i32::MAX);
        let model = correlation_config::ActiveModel {
            company_id: Set(company_id.to_owned()),
            window_seconds: Set(window_seconds),
            aggregation_key: Set(settings.aggregation_key.template()),
            auto_correlate: Set(settings.auto_correlate),
            auto_resolve: Set(settings.auto_resolve),
            auto_assign: Set(settings.auto_assign),
            flapping_enabled: Set(settings.flapping_enabled),
            flapping_threshold: Set(i32::try_from(settings.flapping_threshold).unwrap_or(i32::MAX)),
            storm_enabled: Set(settings.storm_enabled),
            storm_min_assets: Set(i32::try_from(settings.storm_min_assets).unwrap_or(i32::MAX)),
            storm_gap_seconds: Set(i32::try_from(settings.storm_gap.as_secs()).unwrap_or(i32::MAX)),
            storm_baseline_factor: Set(
                i32::try_from(settings.storm_baseline_factor).unwrap_or(i32::MAX)
            ),
            lateness_seconds: Set(i32::try_from(settings.lateness.as_secs()).unwrap_or(i32::MAX)),
            asset_criticality: Set(to_json(&criticality)?),
            asset_labels: Set(to_json(&settings.asset_labels)?),
            updated_at: Set(now_ms()),
            updated_by: Set(audit.actor.clone()),
        };
        let exists = correlation_config::Entity::find_by_id(company_id.to_owned())
            .one(&txn)
            .await?
            .is_some();
        let stored = if exists {
            model.update(&txn).await?
        } else {
            model.insert(&txn).await?
        };
        audit
            .record(
                &txn,
                Some(company_id),
                "correlation_config",
                company_id,
                serde_json::json!({
                    "window_seconds": stored.window_seconds,
                    "aggregation_key": stored.aggregation_key,
                    "auto_correlate": stored.auto_correlate,
                    "auto_resolve": stored.auto_resolve,
                    "auto_assign": stored.auto_assign,
                    "flapping_threshold": stored.flapping_enabled.then_some(stored.flapping_threshold),
                    "storm_min_assets": stored.storm_enabled.then_some(stored.storm_min_assets),
                    "storm_gap_seconds": stored.storm_enabled.then_some(stored.storm_gap_seconds),
                    "storm_baseline_factor": stored.storm_enabled.then_some(stored.storm_baseline_factor),
                    "lateness_seconds": stored.lateness_seconds,
                    "asset_criticality_entries": settings.asset_criticality.len(),
                    "asset_labels": settings.asset_labels,
                }),
            )
            .await?;
        txn.commit().await?;
        Ok(stored)
    }

    /// Creates a silence.
    pub async fn create_silence(
        &self,
        audit: &Audit,
        scope: &Scope,
        new: NewSilence,
    ) -> Result<silence::Model> {
        let txn = self.begin_write().await?;
        find_company(&txn, scope, &new.company_id).await?;
        let created = silence::ActiveModel {
            id: Set(new_id()),
            company_id: Set(new.company_id.clone()),
            matchers: Set(to_json(&new.matchers)?),
            starts_at: Set(new.starts_at),
            ends_at: Set(new.ends_at),
            comment: Set(new.comment),
            created_by: Set(audit.actor.clone()),
            created_at: Set(now_ms()),
            suppressed_count: Set(0),
        }
        .insert(&txn)
        .await?;
        audit
            .record(
                &txn,
                Some(&new.company_id),
                "silence",
                &created.id,
                serde_json::json!({
                    "matchers": serde_json::from_str::<serde_json::Value>(&created.matchers).unwrap_or_default(),
                    "starts_at": created.starts_at,
                    "ends_at": created.ends_at,
                }),
            )
            .await?;
        txn.commit().await?;
        Ok(created)
    }

    /// One page of a company's silences, newest first; expired ones only when asked.
    pub async fn list_silences(
        &self,
        scope: &Scope,
        company_id: &str,
        include_expired: bool,
        page: &Page,
    ) -> Result<(Vec<silence::Model>, String)> {
        find_company(self.connection(), scope, company_id).await?;
        let mut query = silence::Entity::find()
            .filter(scope.condition(silence::Column::CompanyId))
            .filter(silence::Column::CompanyId.eq(company_id));
        if !include_expired {
            query = query.filter(silence::Column::EndsAt.gt(now_ms()));
        }
        if let Some(after) = &page.after {
            query = query.filter(silence::Column::Id.lt(after.clone()));
        }
        let rows = query
            .order_by_desc(silence::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// Ends a silence now (it stays listed as expired).
    pub async fn expire_silence(
        &self,
        audit: &Audit,
        scope: &Scope,
        id: &str,
    ) -> Result<silence::Model> {
        let txn = self.begin_write().await?;
        let current = silence::Entity::find_by_id(id.to_owned())
            .filter(scope.condition(silence::Column::CompanyId))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::NotFound(format!("silence {id}")))?;
        find_company(&txn, scope, &current.company_id)
            .await
            .map_err(|_| Error::NotFound(format!("silence {id}")))?;
        let now = now_ms();
        let company_id = current.company_id.clone();
        let ended = if current.ends_at > now {
            // A silence that had not started yet ends before it begins.
            let starts_at = current.starts_at.min(now);
            let mut model: silence::ActiveModel = current.into();
            model.starts_at = Set(starts_at);
            model.ends_at = Set(now);
            model.update(&txn).await?
        } else {
            current
        };
        audit
            .record(
                &txn,
                Some(&company_id),
                "silence",
                id,
                serde_json::json!({ "ends_at": ended.ends_at }),
            )
            .await?;
        txn.commit().await?;
        Ok(ended)
    }

    /// Creates an inhibition rule.
    pub async fn create_inhibition_rule(
        &self,
        audit: &Audit,
        scope: &Scope,
        new: NewInhibitionRule,
    ) -> Result<inhibition_rule::Model> {
        let txn = self.begin_write().await?;
        find_company(&txn, scope, &new.company_id).await?;
        let created = inhibition_rule::ActiveModel {
            id: Set(new_id()),
            company_id: Set(new.company_id.clone()),
            source_matchers: Set(to_json(&new.source)?),
            target_matchers: Set(to_json(&new.target)?),
            equal_refs: Set(to_json(&new.equal)?),
            comment: Set(new.comment),
            created_by: Set(audit.actor.clone()),
            created_at: Set(now_ms()),
            suppressed_count: Set(0),
        }
        .insert(&txn)
        .await?;
        audit
            .record(
                &txn,
                Some(&new.company_id),
                "inhibition_rule",
                &created.id,
                serde_json::json!({ "equal": new.equal }),
            )
            .await?;
        txn.commit().await?;
        Ok(created)
    }

    /// One page of a company's inhibition rules, newest first.
    pub async fn list_inhibition_rules(
        &self,
        scope: &Scope,
        company_id: &str,
        page: &Page,
    ) -> Result<(Vec<inhibition_rule::Model>, String)> {
        find_company(self.connection(), scope, company_id).await?;
        let mut query = inhibition_rule::Entity::find()
            .filter(scope.condition(inhibition_rule::Column::CompanyId))
            .filter(inhibition_rule::Column::CompanyId.eq(company_id));
        if let Some(after) = &page.after {
            query = query.filter(inhibition_rule::Column::Id.lt(after.clone()));
        }
        let rows = query
            .order_by_desc(inhibition_rule::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// Deletes an inhibition rule.
    pub async fn delete_inhibition_rule(
        &self,
        audit: &Audit,
        scope: &Scope,
        id: &str,
    ) -> Result<super::ScopedCompany> {
        let txn = self.begin_write().await?;
        let current = inhibition_rule::Entity::find_by_id(id.to_owned())
            .filter(scope.condition(inhibition_rule::Column::CompanyId))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::NotFound(format!("inhibition rule {id}")))?;
        find_company(&txn, scope, &current.company_id)
            .await
            .map_err(|_| Error::NotFound(format!("inhibition rule {id}")))?;
        inhibition_rule::Entity::delete_by_id(id.to_owned())
            .exec(&txn)
            .await?;
        audit
            .record(
                &txn,
                Some(&current.company_id),
                "inhibition_rule",
                id,
                serde_json::json!({}),
            )
            .await?;
        txn.commit().await?;
        Ok(super::ScopedCompany::system(current.company_id))
    }
}

/// Settings from a stored row (the defaults when there is none).
pub fn settings_of(row: Option<&correlation_config::Model>) -> CorrelationSettings {
    let Some(row) = row else {
        return CorrelationSettings::default();
    };
    let criticality: BTreeMap<String, i32> =
        serde_json::from_str(&row.asset_criticality).unwrap_or_default();
    CorrelationSettings {
        window: std::time::Duration::from_secs(u64::try_from(row.window_seconds).unwrap_or(600)),
        aggregation_key: AggregationKey::parse(&row.aggregation_key).unwrap_or_default(),
        auto_correlate: row.auto_correlate,
        auto_resolve: row.auto_resolve,
        auto_assign: row.auto_assign,
        flapping_enabled: row.flapping_enabled,
        flapping_threshold: u32::try_from(row.flapping_threshold).unwrap_or(3),
        storm_enabled: row.storm_enabled,
        storm_min_assets: u32::try_from(row.storm_min_assets).unwrap_or(5),
        storm_gap: std::time::Duration::from_secs(
            u64::try_from(row.storm_gap_seconds).unwrap_or(30),
        ),
        storm_baseline_factor: u32::try_from(row.storm_baseline_factor).unwrap_or(4),
        lateness: std::time::Duration::from_secs(
            u64::try_from(row.lateness_seconds).unwrap_or(3600),
        ),
        asset_criticality: criticality
            .into_iter()
            .filter_map(|(asset, level)| Criticality::from_number(level).map(|c| (asset, c)))
            .collect(),
        asset_labels: serde_json::from_str(&row.asset_labels).unwrap_or_default(),
    }
}
