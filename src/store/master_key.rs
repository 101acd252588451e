//! The deployment's master key as AWS KMS wrapped it (envelope encryption):
//! one row that every replica reads at start.

use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use super::entity::master_key_wrap;
use super::error::Result;
use super::{Store, now_ms};

/// The id of the one row of `master_key_wraps`.
pub const MASTER_KEY_WRAP_ID: &str = "master";

impl Store {
    /// The wrapped master key, if one was stored.
    pub async fn wrapped_master_key(&self) -> Result<Option<master_key_wrap::Model>> {
        Ok(master_key_wrap::Entity::find_by_id(MASTER_KEY_WRAP_ID)
            .one(self.connection())
            .await?)
    }

    /// Stores a wrapped master key unless one is stored already (another
    /// replica starting at the same time won), and answers the one stored.
    pub async fn store_wrapped_master_key(
        &self,
        kms_key_id: &str,
        wrapped_key: Vec<u8>,
    ) -> Result<master_key_wrap::Model> {
        let txn = self.begin_write().await?;
        if master_key_wrap::Entity::find_by_id(MASTER_KEY_WRAP_ID)
            .one(&txn)
            .await?
            .is_none()
        {
            let inserted = master_key_wrap::ActiveModel {
                id: Set(MASTER_KEY_WRAP_ID.to_owned()),
                kms_key_id: Set(kms_key_id.to_owned()),
                wrapped_key: Set(wrapped_key),
                created_at: Set(now_ms()),
            }
            .insert(&txn)
            .await;
            // A concurrent insert (PostgreSQL) fails on the primary key: the
            // row that won is read below.
            if inserted.is_ok() {
                txn.commit().await?;
            }
        }
        self.wrapped_master_key().await?.ok_or_else(|| {
            super::error::Error::Internal("the wrapped master key was not stored".to_owned())
        })
    }
}
