//! Patch compliance sync: reads a company's managed instances, their patch
//! states and their Patch compliance summaries from Systems Manager (through
//! the company's role) and stores them as one snapshot.

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::Set;
use tokio_util::sync::CancellationToken;

use crate::aws::{Aws, CompanyRole, aws_error};
use crate::domain::compliance::{InstanceReport, Summary, instance_status};
use crate::error::Result;
use crate::store::entity::{company, compliance_snapshot, instance_compliance};
use crate::store::{Scope, Store};

fn millis(time: Option<&aws_sdk_ssm::primitives::DateTime>) -> Option<i64> {
    time.and_then(|time| time.to_millis().ok())
}

/// Syncs one company: answers the stored snapshot.
pub async fn sync_company(
    store: &Store,
    aws: &Aws,
    company: &company::Model,
) -> Result<compliance_snapshot::Model> {
    let role = CompanyRole::of(company)?;
    let ssm = aws.ssm(&role).await?;

    let mut instances = Vec::new();
    let mut pages = ssm
        .describe_instance_information()
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|error| aws_error("ssm:DescribeInstanceInformation", &role, error))?;
        instances.extend(page.instance_information_list().iter().cloned());
    }

    let mut states = HashMap::new();
    for chunk in instances.chunks(50) {
        let ids: Vec<String> = chunk
            .iter()
            .filter_map(|info| info.instance_id().map(str::to_owned))
            .collect();
        let mut pages = ssm
            .describe_instance_patch_states()
            .set_instance_ids(Some(ids))
            .max_results(50)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|error| aws_error("ssm:DescribeInstancePatchStates", &role, error))?;
            for state in page.instance_patch_states() {
                states.insert(state.instance_id().to_owned(), state.clone());
            }
        }
    }

    let mut summaries = HashMap::new();
    let filter = aws_sdk_ssm::types::ComplianceStringFilter::builder()
        .key("ComplianceType")
        .values("Patch")
        .r#type(aws_sdk_ssm::types::ComplianceQueryOperatorType::Equal)
        .build();
    let mut pages = ssm
        .list_resource_compliance_summaries()
        .filters(filter)
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|error| aws_error("ssm:ListResourceComplianceSummaries", &role, error))?;
        for item in page.resource_compliance_summary_items() {
            if let Some(resource) = item.resource_id() {
                summaries.insert(resource.to_owned(), item.clone());
            }
        }
    }

    let mut reports = Vec::with_capacity(instances.len());
    let mut rows = Vec::with_capacity(instances.len());
    for info in &instances {
        let instance_id = info.instance_id().unwrap_or_default().to_owned();
        let state = states.get(&instance_id);
        let summary_compliant = summaries.get(&instance_id).and_then(|item| {
            item.status()
                .map(|status| *status == aws_sdk_ssm::types::ComplianceStatus::Compliant)
        });
        let count = |value: Option<i32>| i64::from(value.unwrap_or(0));
        let report = InstanceReport {
            summary_compliant,
            has_patch_state: state.is_some(),
            missing: count(state.map(|s| s.missing_count())),
            failed: count(state.map(|s| s.failed_count())),
            critical_non_compliant: count(state.and_then(|s| s.critical_non_compliant_count())),
            security_non_compliant: count(state.and_then(|s| s.security_non_compliant_count())),
            operation_end_ms: state.and_then(|s| millis(Some(s.operation_end_time()))),
        };
        let platform_type: i16 = match info.platform_type() {
            Some(aws_sdk_ssm::types::PlatformType::Linux) => 1,
            Some(aws_sdk_ssm::types::PlatformType::Windows) => 2,
            Some(aws_sdk_ssm::types::PlatformType::Macos) => 3,
            _ => 0,
        };
        let small = |value: Option<i32>| value.unwrap_or(0);
        rows.push(instance_compliance::ActiveModel {
            instance_id: Set(instance_id),
            name: Set(info
                .name()
                .or(info.computer_name())
                .unwrap_or_default()
                .to_owned()),
            platform_type: Set(platform_type),
            platform_name: Set(info.platform_name().unwrap_or_default().to_owned()),
            status: Set(instance_status(&report) as i16),
            installed: Set(small(state.map(|s| s.installed_count()))),
            installed_other: Set(small(state.map(|s| s.installed_other_count()))),
            installed_pending_reboot: Set(small(
                state.and_then(|s| s.installed_pending_reboot_count()),
            )),
            installed_rejected: Set(small(state.and_then(|s| s.installed_rejected_count()))),
            missing: Set(small(state.map(|s| s.missing_count()))),
            failed: Set(small(state.map(|s| s.failed_count()))),
            not_applicable: Set(small(state.map(|s| s.not_applicable_count()))),
            critical_non_compliant: Set(small(
                state.and_then(|s| s.critical_non_compliant_count()),
            )),
            security_non_compliant: Set(small(
                state.and_then(|s| s.security_non_compliant_count()),
            )),
            other_non_compliant: Set(small(state.and_then(|s| s.other_non_compliant_count()))),
            operation: Set(match state.map(|s| s.operation()) {
                Some(aws_sdk_ssm::types::PatchOperationType::Scan) => 1,
                Some(aws_sdk_ssm::types::PatchOperationType::Install) => 2,
                _ => 0,
            }),
            operation_start_at: Set(state.and_then(|s| millis(Some(s.operation_start_time())))),
            operation_end_at: Set(report.operation_end_ms),
            baseline_id: Set(state
                .map(|s| s.baseline_id().to_owned())
                .unwrap_or_default()),
            patch_group: Set(state
                .map(|s| s.patch_group().to_owned())
                .unwrap_or_default()),
            ..Default::default()
        });
        reports.push(report);
    }
    let summary = Summary::of(&reports);
    let snapshot = store
        .save_compliance_snapshot(&company.id, &summary, rows)
        .await?;
    tracing::info!(company_id = %company.id, instances = summary.total, "compliance synced");
    Ok(snapshot)
}

/// Syncs every company with an AWS role every `interval`, until shutdown. A
/// company that fails is logged and does not stop the others.
pub async fn sync_on_schedule(
    store: Store,
    aws: std::sync::Arc<Aws>,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let companies = match store.companies_with_aws_roles(&Scope::All).await {
            Ok(companies) => companies,
            Err(error) => {
                tracing::warn!(%error, "scheduled compliance sync: cannot list companies");
                continue;
            }
        };
        for company in companies {
            if let Err(error) = sync_company(&store, &aws, &company).await {
                tracing::warn!(company_id = %company.id, %error, "scheduled compliance sync failed");
            }
        }
    }
}
