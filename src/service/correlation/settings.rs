//! A company's correlation settings (GetCorrelationConfig,
//! UpdateCorrelationConfig): changed field by field, validated as a whole,
//! stored with their audit entry and put in force by the company's owner.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::correlation::{
    AggregationKey, CorrelationSettings, Criticality, DEFAULT_STORM_GAP,
};
use crate::domain::tenant::Role;
use crate::error::Result;
use crate::owner::command::Reload;
use crate::store::ScopedCompany;
use crate::store::correlation::settings_of;
use crate::store::tenant::Audit;

/// A company's correlation settings and who last changed them.
#[derive(Debug, Clone)]
pub struct CorrelationConfig {
    pub company_id: String,
    pub settings: CorrelationSettings,
    /// When they were last changed; `None` while the company has the defaults.
    pub updated_at: Option<i64>,
    /// Who last changed them; empty while the company has the defaults.
    pub updated_by: String,
}

/// One field of the settings as a request asks for it, already read into
/// the domain's types. Changes are applied in order and the settings are
/// validated once all are applied, so a change may rely on a later one
/// (a longer window, then a longer lateness).
#[derive(Debug, Clone)]
pub enum SettingsChange {
    Window(Duration),
    AggregationKey(AggregationKey),
    AutoCorrelate(bool),
    AutoResolve(bool),
    AutoAssign(bool),
    Flapping {
        enabled: bool,
        threshold: u32,
    },
    /// A gap or baseline factor left out takes its default.
    StormGrouping {
        enabled: bool,
        min_assets: u32,
        gap: Option<Duration>,
        baseline_factor: Option<u32>,
    },
    Lateness(Duration),
    /// Replaces the whole map.
    AssetCriticality(BTreeMap<String, Criticality>),
    /// Replaces the whole list.
    AssetLabels(Vec<String>),
}

impl SettingsChange {
    fn apply(self, settings: &mut CorrelationSettings) {
        match self {
            Self::Window(window) => settings.window = window,
            Self::AggregationKey(key) => settings.aggregation_key = key,
            Self::AutoCorrelate(on) => settings.auto_correlate = on,
            Self::AutoResolve(on) => settings.auto_resolve = on,
            Self::AutoAssign(on) => settings.auto_assign = on,
            Self::Flapping { enabled, threshold } => {
                settings.flapping_enabled = enabled;
                settings.flapping_threshold = threshold;
            }
            Self::StormGrouping {
                enabled,
                min_assets,
                gap,
                baseline_factor,
            } => {
                settings.storm_enabled = enabled;
                settings.storm_min_assets = min_assets;
                settings.storm_gap = gap.unwrap_or(DEFAULT_STORM_GAP);
                settings.storm_baseline_factor =
                    baseline_factor.unwrap_or(CorrelationSettings::default().storm_baseline_factor);
            }
            Self::Lateness(lateness) => settings.lateness = lateness,
            Self::AssetCriticality(criticality) => settings.asset_criticality = criticality,
            Self::AssetLabels(labels) => settings.asset_labels = labels,
        }
    }
}

/// `settings` with `changes` applied in order, then validated as a whole.
pub(super) fn changed(
    mut settings: CorrelationSettings,
    changes: Vec<SettingsChange>,
) -> Result<CorrelationSettings> {
    for change in changes {
        change.apply(&mut settings);
    }
    settings.validate()?;
    Ok(settings)
}

/// GetCorrelationConfig: the company's settings, the defaults until they
/// are first changed (NOT_FOUND outside the operator's scope).
pub async fn get_config(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
) -> Result<CorrelationConfig> {
    let row = state
        .store
        .correlation_config(&operator.scope, company_id)
        .await?;
    Ok(CorrelationConfig {
        company_id: company_id.to_owned(),
        settings: settings_of(row.as_ref()),
        updated_at: row.as_ref().map(|row| row.updated_at),
        updated_by: row.map(|row| row.updated_by).unwrap_or_default(),
    })
}

/// UpdateCorrelationConfig (admin): `changes` applied onto the company's
/// settings, validated, stored with their audit entry, and in force at once
/// (the company's owner reloads them).
///
/// `changes` is what the transport read of the request, or why it could not
/// read it: that error is answered only after the company is found in the
/// operator's scope, so a caller outside the company hears NOT_FOUND whatever
/// fields it sent.
pub async fn update_config(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    changes: Result<Vec<SettingsChange>>,
) -> Result<CorrelationConfig> {
    operator.require(Role::Admin)?;
    let current = state
        .store
        .correlation_config(&operator.scope, company_id)
        .await?;
    let settings = changed(settings_of(current.as_ref()), changes?)?;
    let stored = state
        .store
        .set_correlation_config(
            &Audit::new(
                operator.actor(),
                "CorrelationService.UpdateCorrelationConfig",
            ),
            &operator.scope,
            company_id,
            &settings,
        )
        .await?;
    state
        .owners
        .reload_company(
            &ScopedCompany::system(company_id.to_owned()),
            Reload::Settings,
        )
        .await?;
    // The settings as applied, not as read back: the store keeps whole
    // seconds, the answer tells what was asked.
    Ok(CorrelationConfig {
        company_id: company_id.to_owned(),
        settings,
        updated_at: Some(stored.updated_at),
        updated_by: stored.updated_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storm_grouping_left_out_takes_the_defaults() {
        let settings = CorrelationSettings {
            storm_gap: Duration::from_secs(45),
            storm_baseline_factor: 0,
            ..CorrelationSettings::default()
        };
        let settings = changed(
            settings,
            vec![SettingsChange::StormGrouping {
                enabled: true,
                min_assets: 8,
                gap: None,
                baseline_factor: None,
            }],
        )
        .expect("valid");
        assert_eq!(settings.storm_gap, DEFAULT_STORM_GAP);
        assert_eq!(
            settings.storm_baseline_factor,
            CorrelationSettings::default().storm_baseline_factor
        );
        assert_eq!(settings.storm_min_assets, 8);
    }

    #[test]
    fn changes_are_validated_together_after_all_are_applied() {
        // A 15-minute window is longer than a 10-minute lateness, so the
        // window alone would not validate; with the longer lateness after
        // it, it does.
        let window = Duration::from_secs(15 * 60);
        let lateness = Duration::from_secs(20 * 60);
        let settings = CorrelationSettings {
            lateness: Duration::from_secs(10 * 60),
            ..CorrelationSettings::default()
        };
        let error = changed(settings.clone(), vec![SettingsChange::Window(window)])
            .expect_err("lateness shorter than the window");
        assert!(error.to_string().starts_with("config.lateness"), "{error}");
        let settings = changed(
            settings,
            vec![
                SettingsChange::Window(window),
                SettingsChange::Lateness(lateness),
            ],
        )
        .expect("valid together");
        assert_eq!((settings.window, settings.lateness), (window, lateness));
    }
}
