//! `operator_token_companies`: the companies a limited operator token may see.

use sea_orm::entity::prelude::*;

/// One (token, company) grant.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operator_token_companies")]
pub struct Model {
    /// Token id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_id: String,
    /// Company id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: String,
}

/// Relations of `operator_token_companies`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
