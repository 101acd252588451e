//! Conversions between RunbookService's messages and the runbook domain,
//! shared by the catalogue and the remediation half.

use crate::domain::runbook::Targets;
use crate::proto::v1;

impl From<&v1::RunbookTargets> for Targets {
    fn from(message: &v1::RunbookTargets) -> Self {
        Self {
            instance_ids: message.instance_ids.clone(),
            tags: message
                .tags
                .iter()
                .map(|tag| (tag.key.clone(), tag.values.clone()))
                .collect(),
        }
    }
}

impl From<&Targets> for v1::RunbookTargets {
    fn from(targets: &Targets) -> Self {
        Self {
            instance_ids: targets.instance_ids.clone(),
            tags: targets
                .tags
                .iter()
                .map(|(key, values)| v1::TagSelector {
                    key: key.clone(),
                    values: values.clone(),
                })
                .collect(),
        }
    }
}
