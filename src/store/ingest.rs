//! Alert events as stored (the projector writes them), webhook replay
//! records (pruned here once expired), and SNS confirmation records.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entity::{alert_event, sns_subscription};
use super::error::Result;
use super::{Page, Scope, Store, new_id, now_ms};

/// An SNS confirmation message to record.
#[derive(Debug, Clone)]
pub struct NewSnsConfirmation {
    pub company_id: String,
    pub topic_arn: String,
    pub message_type: String,
    pub message_id: String,
    pub subscribe_url: String,
}

impl Store {
    /// Deletes replay records whose window has passed; answers how many.
    pub async fn prune_webhook_signatures(&self) -> Result<u64> {
        let statement = Query::delete()
            .from_table(WebhookSignatures::Table)
            .and_where(Expr::col(WebhookSignatures::ExpiresAt).lt(now_ms()))
            .to_owned();
        Ok(self.connection().execute(&statement).await?.rows_affected())
    }

    /// Records an SNS subscription or unsubscribe confirmation (once per message id).
    pub async fn record_sns_confirmation(&self, confirmation: NewSnsConfirmation) -> Result<()> {
        let statement = Query::insert()
            .into_table(sns_subscription::Entity)
            .columns([
                sns_subscription::Column::Id,
                sns_subscription::Column::CompanyId,
                sns_subscription::Column::TopicArn,
                sns_subscription::Column::MessageType,
                sns_subscription::Column::MessageId,
                sns_subscription::Column::SubscribeUrl,
                sns_subscription::Column::ReceivedAt,
            ])
            .values_panic([
                new_id().into(),
                confirmation.company_id.clone().into(),
                confirmation.topic_arn.into(),
                confirmation.message_type.into(),
                confirmation.message_id.clone().into(),
                confirmation.subscribe_url.into(),
                now_ms().into(),
            ])
            .to_owned();
        let already = sns_subscription::Entity::find()
            .filter(sns_subscription::Column::CompanyId.eq(confirmation.company_id))
            .filter(sns_subscription::Column::MessageId.eq(confirmation.message_id))
            .count(self.connection())
            .await?;
        if already == 0 {
            self.connection().execute(&statement).await?;
        }
        Ok(())
    }

    /// One page of a company's SNS confirmations, newest first.
    pub async fn list_sns_confirmations(
        &self,
        scope: &Scope,
        company_id: &str,
        page: &Page,
    ) -> Result<(Vec<sns_subscription::Model>, String)> {
        self.get_company(scope, company_id).await?;
        let mut query = sns_subscription::Entity::find()
            .filter(scope.condition(sns_subscription::Column::CompanyId))
            .filter(sns_subscription::Column::CompanyId.eq(company_id));
        if let Some(after) = &page.after {
            query = query.filter(sns_subscription::Column::Id.lt(after.clone()));
        }
        let rows = query
            .order_by_desc(sns_subscription::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// Alert events of a company, oldest first (tests and tools read the log with it).
    pub async fn alert_events(
        &self,
        scope: &Scope,
        company_id: &str,
        limit: u64,
    ) -> Result<Vec<alert_event::Model>> {
        Ok(alert_event::Entity::find()
            .filter(scope.condition(alert_event::Column::CompanyId))
            .filter(alert_event::Column::CompanyId.eq(company_id))
            .order_by_asc(alert_event::Column::Id)
            .limit(limit)
            .all(self.connection())
            .await?)
    }
}

/// The replay records of signed webhooks (the projector writes them).
#[derive(sea_orm::DeriveIden)]
pub(crate) enum WebhookSignatures {
    Table,
    CompanyId,
    Signature,
    ExpiresAt,
}
