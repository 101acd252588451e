//! Patch compliance snapshots and their instance rows, scoped by company.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::entity::{compliance_snapshot, instance_compliance};
use super::error::{Error, Result};
use super::tenant::find_company;
use super::{Page, Scope, Store, new_id, now_ms};
use crate::domain::compliance::Summary;

/// Rows per INSERT of instance rows.
const ROWS_PER_INSERT: usize = 200;

impl Store {
    /// Stores one sync of a company: the snapshot and its instance rows, in one transaction.
    pub async fn save_compliance_snapshot(
        &self,
        company_id: &str,
        summary: &Summary,
        mut rows: Vec<instance_compliance::ActiveModel>,
    ) -> Result<compliance_snapshot::Model> {
        let txn = self.begin_write().await?;
        let clamp = |value: i64| i32::try_from(value).unwrap_or(i32::MAX);
        let snapshot = compliance_snapshot::ActiveModel {
            id: Set(new_id()),
            company_id: Set(company_id.to_owned()),
            taken_at: Set(now_ms()),
            total_instances: Set(clamp(summary.total)),
            compliant_instances: Set(clamp(summary.compliant)),
            non_compliant_instances: Set(clamp(summary.non_compliant)),
            critical_missing: Set(summary.critical_missing),
            security_missing: Set(summary.security_missing),
            oldest_result_at: Set(summary.oldest_result_ms),
        };
        let snapshot = compliance_snapshot::Entity::insert(snapshot)
            .exec_with_returning(&txn)
            .await?;
        // Row ids are UUIDv7, ordered by creation within the process, and
        // ListInstanceCompliance pages by id: assigning them in the order the
        // API promises (most critical patches missing first, then instance id)
        // makes that the page order.
        rows.sort_by_cached_key(|row| {
            (
                std::cmp::Reverse(
                    row.critical_non_compliant
                        .clone()
                        .take()
                        .unwrap_or_default(),
                ),
                row.instance_id.clone().take().unwrap_or_default(),
            )
        });
        for row in &mut rows {
            row.id = Set(new_id());
            row.snapshot_id = Set(snapshot.id.clone());
            row.company_id = Set(company_id.to_owned());
        }
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(ROWS_PER_INSERT));
            instance_compliance::Entity::insert_many(std::mem::replace(&mut rows, rest))
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(snapshot)
    }

    /// The latest snapshot of a company, if it was ever synced.
    pub async fn latest_compliance_snapshot(
        &self,
        scope: &Scope,
        company_id: &str,
    ) -> Result<Option<compliance_snapshot::Model>> {
        find_company(self.connection(), scope, company_id).await?;
        Ok(compliance_snapshot::Entity::find()
            .filter(scope.condition(compliance_snapshot::Column::CompanyId))
            .filter(compliance_snapshot::Column::CompanyId.eq(company_id))
            .order_by_desc(compliance_snapshot::Column::TakenAt)
            .order_by_desc(compliance_snapshot::Column::Id)
            .one(self.connection())
            .await?)
    }

    /// A snapshot of a company by id.
    pub async fn compliance_snapshot(
        &self,
        scope: &Scope,
        company_id: &str,
        snapshot_id: &str,
    ) -> Result<compliance_snapshot::Model> {
        find_company(self.connection(), scope, company_id).await?;
        compliance_snapshot::Entity::find_by_id(snapshot_id.to_owned())
            .filter(scope.condition(compliance_snapshot::Column::CompanyId))
            .filter(compliance_snapshot::Column::CompanyId.eq(company_id))
            .one(self.connection())
            .await?
            .ok_or_else(|| Error::NotFound(format!("compliance snapshot {snapshot_id}")))
    }

    /// One page of a snapshot's instances, optionally of one status.
    pub async fn list_instance_compliance(
        &self,
        scope: &Scope,
        snapshot: &compliance_snapshot::Model,
        status: Option<i16>,
        page: &Page,
    ) -> Result<(Vec<instance_compliance::Model>, String)> {
        let mut query = instance_compliance::Entity::find()
            .filter(scope.condition(instance_compliance::Column::CompanyId))
            .filter(instance_compliance::Column::SnapshotId.eq(snapshot.id.clone()));
        if let Some(status) = status {
            query = query.filter(instance_compliance::Column::Status.eq(status));
        }
        if let Some(after) = &page.after {
            query = query.filter(instance_compliance::Column::Id.gt(after.clone()));
        }
        let rows = query
            .order_by_asc(instance_compliance::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// A company's snapshots taken in `[start_ms, end_ms)`, oldest first.
    pub async fn compliance_snapshots_between(
        &self,
        scope: &Scope,
        company_id: &str,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Vec<compliance_snapshot::Model>> {
        find_company(self.connection(), scope, company_id).await?;
        Ok(compliance_snapshot::Entity::find()
            .filter(scope.condition(compliance_snapshot::Column::CompanyId))
            .filter(compliance_snapshot::Column::CompanyId.eq(company_id))
            .filter(compliance_snapshot::Column::TakenAt.gte(start_ms))
            .filter(compliance_snapshot::Column::TakenAt.lt(end_ms))
            .order_by_asc(compliance_snapshot::Column::TakenAt)
            .limit(10_000)
            .all(self.connection())
            .await?)
    }
}
