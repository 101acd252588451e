//! `correlation_configs`: a company's correlation settings (absent: the defaults).

use sea_orm::entity::prelude::*;

/// A correlation config row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "correlation_configs")]
pub struct Model {
    /// Company.
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: String,
    /// Window in seconds.
    pub window_seconds: i32,
    /// Aggregation key template.
    pub aggregation_key: String,
    /// Correlate on arrival.
    pub auto_correlate: bool,
    /// Resolve incidents whose alerts all resolved.
    pub auto_resolve: bool,
    /// Assign new incidents automatically.
    pub auto_assign: bool,
    /// Flapping detection on.
    pub flapping_enabled: bool,
    pub flapping_threshold: i32,
    /// Storm grouping on.
    pub storm_enabled: bool,
    /// Storm minimum assets.
    pub storm_min_assets: i32,
    /// Storm gap in seconds.
    pub storm_gap_seconds: i32,
    /// Storm baseline factor.
    pub storm_baseline_factor: i32,
    /// Lateness bound in seconds.
    pub lateness_seconds: i32,
    /// JSON object asset → criticality number.
    pub asset_criticality: String,
    /// JSON array of the labels that name the asset, in order.
    pub asset_labels: String,
    /// Last change (ms).
    pub updated_at: i64,
    /// Who changed it last.
    pub updated_by: String,
}

/// Relations of `correlation_configs`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
