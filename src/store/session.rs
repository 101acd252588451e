//! Session Manager sessions started from incidents: recorded at the start,
//! their end recorded once (by TerminateSession or by the session watcher of
//! any replica, whichever comes first).

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::entity::ssm_session;
use super::error::Result;
use super::{ScopedCompany, Store};

/// A session whose end is not recorded yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    pub session_id: String,
    pub company: ScopedCompany,
    pub incident_id: String,
    pub instance_id: String,
    pub started_by: String,
    pub started_at: i64,
}

impl Store {
    /// Records a session started from one of its company's incidents.
    pub async fn record_session_start(&self, session: &OpenSession) -> Result<()> {
        ssm_session::Entity::insert(ssm_session::ActiveModel {
            session_id: Set(session.session_id.clone()),
            company_id: Set(session.company.id().to_owned()),
            incident_id: Set(session.incident_id.clone()),
            instance_id: Set(session.instance_id.clone()),
            started_by: Set(session.started_by.clone()),
            started_at: Set(session.started_at),
            ended_at: Set(None),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(ssm_session::Column::SessionId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(self.connection())
        .await?;
        Ok(())
    }

    /// Sessions of every company whose end is not recorded, started at or
    /// before `started_before`, oldest first (the watcher acts for every
    /// company).
    pub async fn open_sessions(&self, started_before: i64, limit: u64) -> Result<Vec<OpenSession>> {
        Ok(ssm_session::Entity::find()
            .filter(ssm_session::Column::EndedAt.is_null())
            .filter(ssm_session::Column::StartedAt.lte(started_before))
            .order_by_asc(ssm_session::Column::StartedAt)
            .limit(limit)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|row| OpenSession {
                session_id: row.session_id,
                company: ScopedCompany::system(row.company_id),
                incident_id: row.incident_id,
                instance_id: row.instance_id,
                started_by: row.started_by,
                started_at: row.started_at,
            })
            .collect())
    }

    /// Records that `company`'s session ended at `now`; answers whether this
    /// call recorded it (false: recorded already, or not a session started
    /// from an incident).
    pub async fn record_session_end(
        &self,
        company: &ScopedCompany,
        session_id: &str,
        now: i64,
    ) -> Result<bool> {
        let updated = ssm_session::Entity::update_many()
            .col_expr(ssm_session::Column::EndedAt, Expr::value(now))
            .filter(ssm_session::Column::SessionId.eq(session_id))
            .filter(ssm_session::Column::CompanyId.eq(company.id()))
            .filter(ssm_session::Column::EndedAt.is_null())
            .exec(self.connection())
            .await?;
        Ok(updated.rows_affected == 1)
    }

    /// Forgets the sessions whose end was recorded before `ended_before`
    /// (the watcher reads only open rows, and an end already recorded is not
    /// recorded again with the row gone). Answers how many went.
    pub async fn forget_ended_sessions(&self, ended_before: i64) -> Result<u64> {
        let deleted = ssm_session::Entity::delete_many()
            .filter(ssm_session::Column::EndedAt.is_not_null())
            .filter(ssm_session::Column::EndedAt.lt(ended_before))
            .exec(self.connection())
            .await?;
        Ok(deleted.rows_affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::temp_sqlite_store;

    fn session(id: &str, started_at: i64) -> OpenSession {
        OpenSession {
            session_id: id.to_owned(),
            company: ScopedCompany::system("c-1".to_owned()),
            incident_id: "i-1".to_owned(),
            instance_id: "i-0123456789abcdef0".to_owned(),
            started_by: "tech".to_owned(),
            started_at,
        }
    }

    #[tokio::test]
    async fn only_sessions_ended_before_the_cut_are_forgotten() {
        let (_dir, _config, store) = temp_sqlite_store().await;
        for (id, started_at) in [("old", 10), ("recent", 20), ("open", 30)] {
            store
                .record_session_start(&session(id, started_at))
                .await
                .expect("start");
        }
        let company = ScopedCompany::system("c-1".to_owned());
        assert!(
            store
                .record_session_end(&company, "old", 100)
                .await
                .expect("end")
        );
        assert!(
            store
                .record_session_end(&company, "recent", 200)
                .await
                .expect("end")
        );
        assert_eq!(store.forget_ended_sessions(150).await.expect("forget"), 1);
        // The forgotten session's end cannot be recorded again; the kept
        // one's is recorded already; the open one is still watched.
        assert!(
            !store
                .record_session_end(&company, "old", 300)
                .await
                .expect("end")
        );
        assert!(
            !store
                .record_session_end(&company, "recent", 300)
                .await
                .expect("end")
        );
        let open = store.open_sessions(1_000, 10).await.expect("open");
        assert_eq!(open, vec![session("open", 30)]);
    }
}
