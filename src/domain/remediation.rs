//! Auto-remediation rules (what one matches and when it is valid for its
//! runbook) and what a company's rules do for the incidents a decision
//! opened: one execution per matching rule (queued, or waiting for
//! approval), unless a guardrail or a missing parameter stops it, which the
//! incident's timeline then says. Pure: the owner keeps the rules, their
//! runbooks and the recent executions (for cooldowns) in memory.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::correlation::{Matcher, all_match};
use super::engine::{FeedEntry, SilenceRule};
use super::error::{Error, Result};
use super::execution::{
    AlertView, ExecStatus, Execution, MAX_APPROVAL_TIMEOUT, MAX_COOLDOWN, MIN_APPROVAL_TIMEOUT,
    Mode, NewExecution, Trigger,
};
use super::incident::{AlertRecord, EventKind, Incident};
use super::runbook::{RunbookSpec, Targets, resolve_parameters};
use super::template::{check_template, render, render_targets};

/// An auto-remediation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSpec {
    pub name: String,
    /// Conditions on the incident's first alert.
    pub matchers: Vec<Matcher>,
    pub runbook_id: String,
    /// Parameter name → template.
    pub parameter_templates: BTreeMap<String, String>,
    /// Targets with templates; None for the runbook's or the alert's asset.
    pub targets: Option<Targets>,
    /// Auto or approval.
    pub mode: Mode,
    /// Cooldown per asset and runbook (seconds; 0 for none).
    pub cooldown_seconds: u64,
    /// How long an approval waits (seconds).
    pub approval_timeout_seconds: u64,
    /// Who created it.
    pub created_by: String,
}

impl RuleSpec {
    /// Restores compiled matchers after reading the stored JSON.
    pub fn restored(mut self) -> Self {
        self.matchers = self.matchers.into_iter().map(Matcher::restored).collect();
        self
    }

    /// Whether the rule applies to an alert.
    pub fn matches(&self, alert: &AlertView) -> bool {
        all_match(&self.matchers, alert)
    }

    /// Checks the rule against its runbook: templates parse and name known
    /// parameters; durations are in range.
    pub fn validate(&self, runbook: &RunbookSpec) -> Result<()> {
        crate::domain::tenant::validate_name("name", &self.name)?;
        if self.matchers.is_empty() || self.matchers.len() > 32 {
            return Err(Error::invalid("matchers", "1 to 32 matchers are required"));
        }
        for (name, template) in &self.parameter_templates {
            let field = format!("parameter_templates[{name}]");
            if !runbook.parameters.iter().any(|p| &p.name == name) {
                return Err(Error::invalid(
                    &field,
                    format!(
                        "runbook {:?} has no parameter {name:?} (it has: {})",
                        runbook.name,
                        runbook
                            .parameters
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            check_template(&field, template)?;
        }
        if let Some(targets) = &self.targets {
            for (index, id) in targets.instance_ids.iter().enumerate() {
                check_template(&format!("targets.instance_ids[{index}]"), id)?;
            }
            for (index, (_, values)) in targets.tags.iter().enumerate() {
                for value in values {
                    check_template(&format!("targets.tags[{index}].values"), value)?;
                }
            }
            let mut plain = targets.clone();
            // Templated ids are checked once rendered.
            plain.instance_ids.retain(|id| !id.contains("{{"));
            let probe = RunbookSpec {
                targets: plain,
                ..runbook.clone()
            };
            probe.validate()?;
        }
        if self.cooldown_seconds > MAX_COOLDOWN.as_secs() {
            return Err(Error::invalid("cooldown", "must be at most 7 days"));
        }
        if self.approval_timeout_seconds < MIN_APPROVAL_TIMEOUT.as_secs()
            || self.approval_timeout_seconds > MAX_APPROVAL_TIMEOUT.as_secs()
        {
            return Err(Error::invalid(
                "approval_timeout",
                "must be between 1 minute and 7 days",
            ));
        }
        Ok(())
    }
}

/// A remediation rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub spec: RuleSpec,
}

/// An execution that counts for cooldowns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentExecution {
    pub id: String,
    pub runbook_id: String,
    pub asset: String,
    /// Created (ms).
    pub created_at: i64,
    pub status: ExecStatus,
}

/// A company's rules with what they need to decide.
#[derive(Debug, Clone, Default)]
pub struct Remediation {
    /// Rules, in id order.
    pub rules: Vec<Rule>,
    /// The rules' runbooks by id (`None`: it no longer exists).
    pub runbooks: HashMap<String, Option<RunbookSpec>>,
    /// Executions created within the longest cooldown of the rules.
    pub recent: Vec<RecentExecution>,
}

/// What the rules made of the incidents a decision opened.
#[derive(Debug, Default)]
pub struct Plan {
    pub executions: Vec<Execution>,
    /// Timeline entries of the incidents (requested, or why not).
    pub notes: Vec<FeedEntry>,
}

impl Remediation {
    /// The longest cooldown of the rules (ms): how far back executions count.
    pub fn longest_cooldown_ms(&self) -> i64 {
        self.rules
            .iter()
            .map(|rule| {
                i64::try_from(rule.spec.cooldown_seconds).unwrap_or(i64::MAX / 2_000) * 1000
            })
            .max()
            .unwrap_or(0)
    }

    /// The last execution of a runbook on an asset created at or after
    /// `since` that counts for the cooldown (anything that was not refused
    /// or given up on before it ran).
    fn cooling_down(&self, runbook_id: &str, asset: &str, since: i64) -> Option<&RecentExecution> {
        self.recent
            .iter()
            .filter(|execution| {
                execution.runbook_id == runbook_id
                    && execution.asset == asset
                    && execution.created_at >= since
                    && !matches!(execution.status, ExecStatus::Rejected | ExecStatus::Expired)
            })
            .max_by_key(|execution| execution.created_at)
    }

    /// Remembers an execution for cooldowns (or its new status), and forgets
    /// those older than every cooldown.
    pub fn note_execution(&mut self, execution: &Execution, now: i64) {
        let keep_from = now - self.longest_cooldown_ms();
        self.recent.retain(|recent| recent.created_at >= keep_from);
        if execution.created_at < keep_from {
            return;
        }
        match self
            .recent
            .iter_mut()
            .find(|recent| recent.id == execution.id)
        {
            Some(recent) => recent.status = execution.status,
            None => self.recent.push(RecentExecution {
                id: execution.id.clone(),
                runbook_id: execution.runbook_id.clone(),
                asset: execution.asset.clone(),
                created_at: execution.created_at,
                status: execution.status,
            }),
        }
    }
}

/// The silence (active at `now`) that matches the alert, if any.
fn silencing<'a>(silences: &'a [SilenceRule], alert: &AlertView, now: i64) -> Option<&'a str> {
    silences
        .iter()
        .filter(|silence| silence.starts_at <= now && now < silence.ends_at)
        .find(|silence| {
            !silence.matchers.is_empty()
                && crate::domain::correlation::all_match(&silence.matchers, alert)
        })
        .map(|silence| silence.id.as_str())
}

/// Decides what the rules do for the incidents `opened` (each with its
/// first alert), at `now`.
pub fn plan(
    remediation: &Remediation,
    company_id: &str,
    opened: Vec<(&Incident, &AlertRecord)>,
    silences: &[SilenceRule],
    now: i64,
    new_id: &mut dyn FnMut() -> String,
) -> Plan {
    let mut plan = Plan::default();
    if remediation.rules.is_empty() {
        return plan;
    }
    for (incident, alert) in opened {
        let view = AlertView::from(alert);
        for rule in remediation
            .rules
            .iter()
            .filter(|rule| rule.spec.matches(&view))
        {
            let actor = format!("rule:{}", rule.id);
            let note = |message: String| FeedEntry {
                kind: EventKind::Commented,
                actor: actor.clone(),
                message,
                at: now,
                incident: incident.clone(),
            };
            let Some(Some(spec)) = remediation.runbooks.get(&rule.spec.runbook_id) else {
                plan.notes.push(note(format!(
                    "Remediation rule {:?} skipped: its runbook {} no longer exists",
                    rule.spec.name, rule.spec.runbook_id
                )));
                continue;
            };
            let runbook_id = rule.spec.runbook_id.as_str();
            let cooldown_ms =
                i64::try_from(rule.spec.cooldown_seconds).unwrap_or(i64::MAX / 2_000) * 1000;
            if cooldown_ms > 0
                && let Some(previous) =
                    remediation.cooling_down(runbook_id, &incident.asset, now - cooldown_ms)
            {
                plan.notes.push(note(format!(
                    "Remediation rule {:?} skipped: runbook {:?} already ran on {} within its cooldown of {} s (execution {})",
                    rule.spec.name, spec.name, incident.asset, rule.spec.cooldown_seconds, previous.id
                )));
                continue;
            }
            if let Some(silence_id) = silencing(silences, &view, now) {
                plan.notes.push(note(format!(
                    "Remediation rule {:?} skipped: {} is under silence {silence_id}",
                    rule.spec.name, incident.asset
                )));
                continue;
            }
            let given: BTreeMap<String, String> = rule
                .spec
                .parameter_templates
                .iter()
                .map(|(name, template)| (name.clone(), render(template, &view, &incident.id)))
                .collect();
            let values = match resolve_parameters("parameters", spec, &given) {
                Ok(values) => values,
                Err(error) => {
                    plan.notes.push(note(format!(
                        "Remediation rule {:?} did not run runbook {:?}: {error}",
                        rule.spec.name, spec.name
                    )));
                    continue;
                }
            };
            let targets = match &rule.spec.targets {
                // An Automation document without a target parameter takes
                // its instance (if any) from its parameters.
                _ if !spec.uses_targets() => Targets::default(),
                Some(targets) => render_targets(targets, &view, &incident.id),
                None if !spec.targets.instance_ids.is_empty() || !spec.targets.tags.is_empty() => {
                    spec.targets.clone()
                }
                None => Targets {
                    instance_ids: vec![incident.asset.clone()],
                    tags: Vec::new(),
                },
            };
            let probe = RunbookSpec {
                targets: targets.clone(),
                ..spec.clone()
            };
            if let Err(error) = probe.validate() {
                plan.notes.push(note(format!(
                    "Remediation rule {:?} did not run runbook {:?}: the targets are not valid ({error})",
                    rule.spec.name, spec.name
                )));
                continue;
            }
            let approval = rule.spec.mode == Mode::Approval;
            let approval_ms =
                i64::try_from(rule.spec.approval_timeout_seconds).unwrap_or(3600) * 1000;
            let mut execution = Execution::queued(NewExecution {
                id: new_id(),
                company_id,
                runbook_id,
                runbook: spec,
                values,
                targets,
                requested_by: actor.clone(),
                now,
            });
            execution.rule_id = Some(rule.id.clone());
            execution.incident_id = Some(incident.id.clone());
            execution.asset.clone_from(&incident.asset);
            execution.trigger = Trigger::Rule;
            execution.alert = Some(view.clone());
            if approval {
                execution.status = ExecStatus::PendingApproval;
                execution.status_reason =
                    format!("waiting for approval (rule {:?})", rule.spec.name);
                execution.approval_expires_at = Some(now + approval_ms);
            }
            plan.notes.push(FeedEntry {
                kind: EventKind::RemediationRequested,
                actor: actor.clone(),
                message: format!(
                    "Rule {:?} requested runbook {:?} (execution {}){}",
                    rule.spec.name,
                    spec.name,
                    execution.id,
                    if approval {
                        ", waiting for approval"
                    } else {
                        ""
                    }
                ),
                at: now,
                incident: incident.clone(),
            });
            plan.executions.push(execution);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::correlation::MatchOp;
    use crate::domain::runbook::built_in_runbooks;

    #[test]
    fn rules_match_and_validate_against_their_runbook() {
        let (_, disk) = built_in_runbooks().remove(0);
        let mut rule = RuleSpec {
            name: "disk".into(),
            matchers: vec![
                Matcher::new("matchers[0]", "signature", MatchOp::Equal, "disk_full").expect("m"),
            ],
            runbook_id: "builtin-disk-cleanup".into(),
            parameter_templates: BTreeMap::from([(
                "mount_point".into(),
                "{{labels.mountpoint}}".into(),
            )]),
            targets: None,
            mode: Mode::Auto,
            cooldown_seconds: 1800,
            approval_timeout_seconds: 3600,
            created_by: "t".into(),
        };
        rule.validate(&disk).expect("valid");
        assert!(rule.matches(&AlertView::example()));
        let mut other = AlertView::example();
        other.signature = "cpu".into();
        assert!(!rule.matches(&other));
        rule.parameter_templates
            .insert("service".into(), "{{asset}}".into());
        let error = rule.validate(&disk).expect_err("unknown parameter");
        assert!(error.to_string().contains("no parameter"), "{error}");
    }
}
