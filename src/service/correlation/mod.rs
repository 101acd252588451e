//! Correlation (CorrelationService): what candidate settings would have made
//! of a company's past alerts (PreviewCorrelation).

mod preview;

pub use preview::{PREVIEW_MAX_EVENTS, Preview, PreviewIncident, preview};
