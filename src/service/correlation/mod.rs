//! Correlation (CorrelationService): a company's correlation settings, its
//! silences and inhibition rules, and what correlation did or would do with
//! its alerts. A change is audited in the store's transaction and has the
//! company's owner reload what changed, so it is in force at once.

mod outcomes;
mod preview;
mod settings;
mod suppression;

pub use outcomes::{
    AlertName, CorrelationRun, Explanation, NoiseStats, correlate_now, explain_alert, noise_stats,
};
pub use preview::{PREVIEW_MAX_EVENTS, Preview, PreviewIncident, preview};
pub use settings::{CorrelationConfig, SettingsChange, get_config, update_config};
pub use suppression::{
    InhibitionRule, InhibitionRuleFields, Silence, SilenceFields, create_inhibition_rule,
    create_silence, delete_inhibition_rule, delete_silence, list_inhibition_rules, list_silences,
};
