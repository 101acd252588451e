//! The correlation engine: a deterministic state machine that takes a
//! company's alert events in event-time order and folds them into alerts and
//! incidents, recording for each event what it did and why.
//!
//! It is pure: the live correlator loads the state an event batch can touch
//! into a [`World`], applies the batch and writes back what changed;
//! PreviewCorrelation applies stored events to an empty world and discards it.
//!
//! Semantics (per company, aggregation key k, window w):
//! - a trigger whose dedup key has a firing (or acknowledged) alert repeats it:
//!   the alert's count rises, no new alert;
//! - otherwise a new alert; an active silence (at its event time) or an
//!   inhibition rule whose source alert fires suppresses it (stored, no incident);
//! - otherwise it joins the open incident with key k whose latest alert is at
//!   or after t − w (the latest such incident), or opens a new one;
//! - a resolve resolves the firing alert of its dedup key; an incident whose
//!   alerts are all resolved resolves itself (if configured) unless flapping:
//!   a dedup key resolving `threshold` times within w marks its incident flapping;
//! - a new incident whose signature has open incidents on `min_assets`
//!   distinct assets within w is folded under one storm parent incident.

use borsh::{BorshDeserialize, BorshSerialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::domain::correlation::{
    AlertFields, AlertRef, CorrelationSettings, Matcher, STORM_BASELINE, all_match,
};
use crate::domain::incident::{
    AlertRecord, AlertStatus, Decision, DecisionKind, EventKind, Incident, IncidentStatus,
    MERGED_RESOLUTION, Outcome,
};
use crate::domain::ingest::{ACK_AUTHOR_LABEL, ACK_COMMENT_LABEL, AlertEvent, AlertEventAction};
use crate::domain::lifecycle::{self, IncidentCommand};

/// A silence as the engine sees it.
#[derive(Debug, Clone)]
pub struct SilenceRule {
    pub id: String,
    pub matchers: Vec<Matcher>,
    /// Start (ms).
    pub starts_at: i64,
    /// End (ms, exclusive).
    pub ends_at: i64,
}

/// An inhibition rule as the engine sees it.
#[derive(Debug, Clone)]
pub struct InhibitionRule {
    pub id: String,
    /// Matchers of the inhibiting alert.
    pub source: Vec<Matcher>,
    /// Matchers of the suppressed alert.
    pub target: Vec<Matcher>,
    /// References that must be equal in both.
    pub equal: Vec<AlertRef>,
}

/// An on-duty technician, for automatic assignment.
#[derive(Debug, Clone)]
pub struct TechnicianLoad {
    pub id: String,
    pub name: String,
    /// Skills, lower-case.
    pub skills: Vec<String>,
    /// Open incidents assigned to them.
    pub open_incidents: i64,
}

/// Picks the technician for an incident: among the on-duty technicians whose
/// skills name the incident's signature or one of its tools (all of them when
/// none does), the one with the fewest open incidents, ties by id — which
/// rotates round-robin as assignments raise the counts.
pub fn pick_technician<'a>(
    technicians: &'a [TechnicianLoad],
    incident: &Incident,
) -> Option<&'a TechnicianLoad> {
    let signature = incident.signature.to_lowercase();
    let skilled = |tech: &&TechnicianLoad| {
        tech.skills.iter().any(|skill| {
            *skill == signature || incident.tools.iter().any(|t| t.to_lowercase() == *skill)
        })
    };
    let pool: Vec<&TechnicianLoad> = if technicians.iter().any(|t| skilled(&t)) {
        technicians.iter().filter(skilled).collect()
    } else {
        technicians.iter().collect()
    };
    pool.into_iter().min_by(|a, b| {
        a.open_incidents
            .cmp(&b.open_incidents)
            .then(a.id.cmp(&b.id))
    })
}

/// One change of an incident, for the timeline and the live feed.
#[derive(Debug, Clone, BorshSerialize, BorshDeserialize)]
pub struct FeedEntry {
    /// What happened.
    pub kind: EventKind,
    /// Who did it.
    pub actor: String,
    pub message: String,
    /// When (ms).
    pub at: i64,
    /// The incident right after the change (without its search text, as
    /// the stored snapshots are).
    pub incident: Incident,
}

/// What the engine did with one alert event.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct EventResult {
    pub event_id: String,
    /// The alert it created or changed (its own id when none).
    pub alert_id: String,
    /// What became of it.
    pub outcome: Outcome,
    /// The incident it joined or opened.
    pub incident_id: Option<String>,
    /// Aggregation key value.
    pub aggregation_key: String,
    /// Silence or inhibition rule that suppressed it.
    pub suppressed_by_id: Option<String>,
    pub decisions: Vec<Decision>,
}

/// The resolution of an incident that resolved itself.
const AUTO_RESOLUTION: &str = "all alerts resolved";
/// The resolution of a flapping incident that settled.
const FLAPPING_RESOLUTION: &str = "flapping ended with all alerts resolved";
/// The resolution of a storm parent whose incidents all resolved.
const STORM_RESOLUTION: &str = "all incidents of the storm resolved";

/// Whether an incident resolved itself (its alerts resolved), rather than
/// by a person or a runbook.
fn resolved_itself(incident: &Incident) -> bool {
    [AUTO_RESOLUTION, STORM_RESOLUTION, FLAPPING_RESOLUTION].contains(&incident.resolution.as_str())
}

/// Where a trigger belongs (see [`World::belongs_to`]).
enum Belongs {
    /// A repeat of this unresolved alert.
    Firing(AlertRecord),
    /// A late repeat of this resolved alert.
    Resolved(AlertRecord),
    /// A new alert, resolved at once at this time by a resolve that came
    /// before it.
    New { resolve_at: Option<i64> },
}

/// What decisions changed (see [`World::take_changes`]).
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Alerts created or changed, as they are now.
    pub alerts: Vec<AlertRecord>,
    /// Incidents created or changed, as they are now.
    pub incidents: Vec<Incident>,
    /// Timeline entries, in order.
    pub feed: Vec<FeedEntry>,
    /// One result per applied event, in order.
    pub results: Vec<EventResult>,
    /// Alerts suppressed per silence or inhibition rule id.
    pub suppressions: BTreeMap<String, i64>,
}

/// The state a batch of events can touch, and what the batch changed.
pub struct World {
    pub company_id: String,
    /// Settings in force.
    pub settings: CorrelationSettings,
    /// Silences of the company (any state; each is checked at event time).
    pub silences: Vec<SilenceRule>,
    /// Inhibition rules (set with [`World::set_inhibitions`], which indexes
    /// the alerts under them).
    inhibitions: Vec<InhibitionRule>,
    /// On-duty technicians (auto-assign).
    pub technicians: Vec<TechnicianLoad>,
    /// Processing time (ms): lifecycle timestamps.
    pub now: i64,
    alerts: HashMap<String, AlertRecord>,
    latest_by_dedup: HashMap<String, String>,
    /// The alerts of each dedup key held in memory, by first occurrence:
    /// where a late trigger belongs.
    history: HashMap<String, Vec<(i64, String)>>,
    /// Resolves that came before any alert of their dedup key had fired by
    /// their time, by dedup key: a trigger from before one that arrives late
    /// is resolved by it.
    early_resolves: HashMap<String, Vec<i64>>,
    /// The latest event time applied or loaded.
    watermark: i64,
    incidents: HashMap<String, Incident>,
    by_key: HashMap<String, Vec<String>>,
    /// When incidents of each signature opened (their first alerts, with
    /// how many at that time), within the baseline: what a storm is
    /// measured against.
    onsets: HashMap<String, BTreeMap<i64, u32>>,
    /// Unparented incidents that are open or resolved themselves and are not
    /// storm parents, by signature, ordered by their first alert: what a
    /// storm counts.
    roots: HashMap<String, BTreeSet<(i64, String)>>,
    /// Where each incident stands in `roots`.
    root_of: HashMap<String, (String, i64)>,
    parents: HashMap<String, Vec<String>>,
    /// The latest start (first alert) of each storm's members.
    storm_ends: HashMap<String, i64>,
    /// Unparented incidents whose start moved earlier in this event: their
    /// storm is judged again once it is applied.
    regroup: BTreeSet<String>,
    /// The alerts of each incident.
    alerts_of: HashMap<String, BTreeSet<String>>,
    /// Unresolved alerts that can inhibit others, per rule and equal key.
    sources: SourceIndex,
    dirty_alerts: BTreeSet<String>,
    dirty_incidents: BTreeSet<String>,
    /// Children folded into each storm parent since the last `finish`:
    /// (child id, asset), written as one GROUPED entry per parent.
    folded: BTreeMap<String, Vec<(String, String)>>,
    /// Storm parents whose children changed since the last `finish`: one
    /// entry each, so that a parent's counts reach the watch streams.
    touched_parents: BTreeMap<String, ChildChanges>,
    /// Incident changes, in order.
    pub feed: Vec<FeedEntry>,
    /// One result per applied event, in order.
    pub results: Vec<EventResult>,
    /// Alerts suppressed per silence or inhibition rule id.
    pub suppressions: BTreeMap<String, i64>,
    new_id: Box<dyn FnMut() -> String + Send + Sync>,
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("company_id", &self.company_id)
            .field("alerts", &self.alerts.len())
            .field("incidents", &self.incidents.len())
            .finish_non_exhaustive()
    }
}

/// An alert's key under an inhibition rule: its values of the rule's
/// `equal` references (each with its length, so no two lists of values share
/// a key). A target is inhibited only by sources with the same key.
pub fn equal_key(rule: &InhibitionRule, alert: &impl AlertFields) -> String {
    let mut key = String::new();
    for reference in &rule.equal {
        let value = alert.value_of(reference);
        key.push_str(&value.len().to_string());
        key.push(':');
        key.push_str(&value);
    }
    key
}

/// The unresolved alerts that match an inhibition rule's source matchers, by
/// rule and by their [`equal_key`], ordered by when they first fired: a
/// target's sources are looked up, not searched for among every alert.
#[derive(Debug, Default)]
struct SourceIndex {
    by_rule: HashMap<String, HashMap<String, BTreeSet<(i64, String)>>>,
    /// Where each alert is indexed: (rule, key, first fired).
    of_alert: HashMap<String, Vec<(String, String, i64)>>,
}

impl SourceIndex {
    fn remove(&mut self, alert_id: &str) {
        let Some(entries) = self.of_alert.remove(alert_id) else {
            return;
        };
        for (rule, key, at) in entries {
            if let Some(keys) = self.by_rule.get_mut(&rule)
                && let Some(alerts) = keys.get_mut(&key)
            {
                alerts.remove(&(at, alert_id.to_owned()));
                if alerts.is_empty() {
                    keys.remove(&key);
                }
            }
        }
    }

    /// Puts the alert (again) under every rule whose source matchers it
    /// matches, or under none once it is resolved.
    fn index(&mut self, rules: &[InhibitionRule], alert: &AlertRecord) {
        self.remove(&alert.id);
        if alert.status == AlertStatus::Resolved {
            return;
        }
        let mut entries = Vec::new();
        for rule in rules.iter().filter(|rule| all_match(&rule.source, alert)) {
            let key = equal_key(rule, alert);
            self.by_rule
                .entry(rule.id.clone())
                .or_default()
                .entry(key.clone())
                .or_default()
                .insert((alert.occurred_at, alert.id.clone()));
            entries.push((rule.id.clone(), key, alert.occurred_at));
        }
        if !entries.is_empty() {
            self.of_alert.insert(alert.id.clone(), entries);
        }
    }

    /// The alerts under a rule and key, first fired first.
    fn under<'a>(&'a self, rule: &str, key: &str) -> impl Iterator<Item = &'a (i64, String)> {
        self.by_rule
            .get(rule)
            .and_then(|keys| keys.get(key))
            .into_iter()
            .flatten()
    }
}

/// What changed in a storm parent's children within one pass.
#[derive(Debug, Clone, Copy, Default)]
struct ChildChanges {
    /// New alerts that joined a child.
    joined: u64,
    /// Repeats of a child's firing alerts.
    repeated: u64,
    /// Children that resolved or reopened.
    status: u64,
}

/// The value of `label` on `event`, unless blank.
fn non_empty_label<'a>(event: &'a AlertEvent, label: &str) -> Option<&'a str> {
    event
        .labels
        .get(label)
        .map(|value| value.trim())
        .filter(|value| !value.is_empty())
}

fn window_ms(settings: &CorrelationSettings) -> i64 {
    i64::try_from(settings.window.as_millis()).unwrap_or(i64::MAX)
}

fn duration_ms(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn storm_summary(signature: &str, incidents: impl std::fmt::Display) -> String {
    format!("storm: {signature} on {incidents} assets")
}

fn clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |time| time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
    )
}

fn minutes(ms: i64) -> String {
    if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else {
        format!("{}s", ms / 1000)
    }
}

impl World {
    /// An empty world; `new_id` makes ids for incidents.
    pub fn new(
        company_id: &str,
        settings: CorrelationSettings,
        now: i64,
        new_id: Box<dyn FnMut() -> String + Send + Sync>,
    ) -> Self {
        Self {
            company_id: company_id.to_owned(),
            settings,
            silences: Vec::new(),
            inhibitions: Vec::new(),
            technicians: Vec::new(),
            now,
            alerts: HashMap::new(),
            latest_by_dedup: HashMap::new(),
            history: HashMap::new(),
            early_resolves: HashMap::new(),
            watermark: i64::MIN,
            incidents: HashMap::new(),
            by_key: HashMap::new(),
            onsets: HashMap::new(),
            roots: HashMap::new(),
            root_of: HashMap::new(),
            parents: HashMap::new(),
            storm_ends: HashMap::new(),
            regroup: BTreeSet::new(),
            alerts_of: HashMap::new(),
            sources: SourceIndex::default(),
            dirty_alerts: BTreeSet::new(),
            dirty_incidents: BTreeSet::new(),
            folded: BTreeMap::new(),
            touched_parents: BTreeMap::new(),
            feed: Vec::new(),
            results: Vec::new(),
            suppressions: BTreeMap::new(),
            new_id,
        }
    }

    /// Loads a stored alert. Load the latest alert of a dedup key last (or
    /// only it): it becomes the one repeats and resolves apply to.
    pub fn load_alert(&mut self, alert: AlertRecord) {
        let replace = self
            .latest_by_dedup
            .get(&alert.dedup_key)
            .and_then(|id| self.alerts.get(id))
            .is_none_or(|current| {
                (current.occurred_at, &current.id) <= (alert.occurred_at, &alert.id)
            });
        if replace {
            self.latest_by_dedup
                .insert(alert.dedup_key.clone(), alert.id.clone());
        }
        self.watermark = self.watermark.max(alert.last_occurred_at);
        self.put_alert(alert);
    }

    /// Keeps a resolve of `dedup_key` at `at` that matched no firing alert:
    /// a trigger from before it that arrives late is resolved by it (also
    /// loaded, for the lateness bound, from the stored unmatched resolves).
    pub fn keep_early_resolve(&mut self, dedup_key: &str, at: i64) {
        let times = self.early_resolves.entry(dedup_key.to_owned()).or_default();
        if !times.contains(&at) {
            times.push(at);
        }
    }

    /// The latest event time this world has applied or loaded: how far the
    /// company's alerts have come, whatever the clock says.
    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// Forgets the early resolves from before `horizon` (event time), and
    /// the onsets no storm after it measures against.
    pub fn forget_before(&mut self, horizon: i64) {
        self.early_resolves.retain(|_, times| {
            times.retain(|at| *at >= horizon);
            !times.is_empty()
        });
        let baseline = i64::try_from(STORM_BASELINE.as_millis()).unwrap_or(i64::MAX);
        let oldest = horizon.saturating_sub(baseline);
        self.onsets.retain(|_, onsets| {
            *onsets = onsets.split_off(&oldest);
            !onsets.is_empty()
        });
    }

    /// Notes that an incident of `signature` opened with its first alert
    /// at `at` (event time): loaded from the incidents of the last
    /// [`STORM_BASELINE`], kept up as incidents open.
    pub fn note_onset(&mut self, signature: &str, at: i64) {
        // No allocation for a signature already known: this runs per incident.
        let onsets = match self.onsets.get_mut(signature) {
            Some(onsets) => onsets,
            None => self.onsets.entry(signature.to_owned()).or_default(),
        };
        *onsets.entry(at).or_default() += 1;
    }

    /// How many incidents of `signature` opened in the baseline before `t`.
    fn baseline(&self, signature: &str, t: i64) -> u32 {
        let span = i64::try_from(STORM_BASELINE.as_millis()).unwrap_or(i64::MAX);
        self.onsets.get(signature).map_or(0, |onsets| {
            onsets
                .range(t.saturating_sub(span)..t)
                .map(|(_, n)| *n)
                .sum()
        })
    }

    /// Loads a stored incident.
    pub fn load_incident(&mut self, incident: Incident) {
        if self.incidents.contains_key(&incident.id) {
            return;
        }
        let id = incident.id.clone();
        if incident.is_storm_parent {
            self.parents
                .entry(incident.signature.clone())
                .or_default()
                .push(id.clone());
        } else {
            self.by_key
                .entry(incident.aggregation_key.clone())
                .or_default()
                .push(id.clone());
            if let Some(parent) = &incident.parent_incident_id {
                let end = self
                    .storm_ends
                    .entry(parent.clone())
                    .or_insert(incident.first_alert_at);
                *end = (*end).max(incident.first_alert_at);
            }
        }
        self.incidents.insert(id.clone(), incident);
        self.reindex(&id);
    }

    /// Stores an alert and keeps the indexes over alerts in step: its
    /// incident's alert set and the inhibition sources.
    fn put_alert(&mut self, alert: AlertRecord) {
        let previous = self.alerts.get(&alert.id);
        let started = previous.map(|p| p.occurred_at);
        if started != Some(alert.occurred_at) {
            let list = self.history.entry(alert.dedup_key.clone()).or_default();
            if started.is_some() {
                list.retain(|(_, id)| *id != alert.id);
            }
            let at = list.partition_point(|(start, id)| {
                (*start, id.as_str()) < (alert.occurred_at, alert.id.as_str())
            });
            list.insert(at, (alert.occurred_at, alert.id.clone()));
        }
        let moved = previous.and_then(|p| p.incident_id.clone());
        if moved != alert.incident_id {
            if let Some(old) = moved
                && let Some(ids) = self.alerts_of.get_mut(&old)
            {
                ids.remove(&alert.id);
                if ids.is_empty() {
                    self.alerts_of.remove(&old);
                }
            }
            if let Some(new) = &alert.incident_id {
                self.alerts_of
                    .entry(new.clone())
                    .or_default()
                    .insert(alert.id.clone());
            }
        }
        if !self.inhibitions.is_empty() {
            self.sources.index(&self.inhibitions, &alert);
        }
        self.alerts.insert(alert.id.clone(), alert);
    }

    /// Sets the inhibition rules and indexes every alert under them.
    pub fn set_inhibitions(&mut self, rules: Vec<InhibitionRule>) {
        self.inhibitions = rules;
        self.sources = SourceIndex::default();
        if !self.inhibitions.is_empty() {
            for alert in self.alerts.values() {
                self.sources.index(&self.inhibitions, alert);
            }
        }
    }

    /// The inhibition rules in force.
    pub fn inhibitions(&self) -> &[InhibitionRule] {
        &self.inhibitions
    }

    /// Notes that an incident changed: it is written back, and its place
    /// among the storm roots follows its latest alert, status and parent.
    fn mark(&mut self, incident_id: &str) {
        self.dirty_incidents.insert(incident_id.to_owned());
        self.reindex(incident_id);
    }

    fn reindex(&mut self, incident_id: &str) {
        if let Some((signature, at)) = self.root_of.remove(incident_id)
            && let Some(roots) = self.roots.get_mut(&signature)
        {
            roots.remove(&(at, incident_id.to_owned()));
            if roots.is_empty() {
                self.roots.remove(&signature);
            }
        }
        let Some(incident) = self.incidents.get(incident_id) else {
            return;
        };
        // Incidents that resolved themselves count too: a storm is judged by
        // when its incidents started, whether or not they have ended.
        if (incident.is_open() || resolved_itself(incident))
            && !incident.is_storm_parent
            && incident.parent_incident_id.is_none()
        {
            self.roots
                .entry(incident.signature.clone())
                .or_default()
                .insert((incident.first_alert_at, incident_id.to_owned()));
            self.root_of.insert(
                incident_id.to_owned(),
                (incident.signature.clone(), incident.first_alert_at),
            );
        }
    }

    /// Alerts created or changed.
    pub fn changed_alerts(&self) -> impl Iterator<Item = &AlertRecord> {
        self.dirty_alerts
            .iter()
            .filter_map(|id| self.alerts.get(id))
    }

    /// Incidents created or changed.
    pub fn changed_incidents(&self) -> impl Iterator<Item = &Incident> {
        self.dirty_incidents
            .iter()
            .filter_map(|id| self.incidents.get(id))
    }

    /// Everything the world holds, to carry over into another world.
    pub fn into_state(self) -> (Vec<AlertRecord>, Vec<Incident>) {
        (
            self.alerts.into_values().collect(),
            self.incidents.into_values().collect(),
        )
    }

    /// Every incident the world holds.
    pub fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values()
    }

    /// An incident by id.
    pub fn incident(&self, id: &str) -> Option<&Incident> {
        self.incidents.get(id)
    }

    /// Applies events in the order given (sort them with [`event_order`] first).
    pub fn apply(&mut self, event_id: &str, received_at: i64, event: &AlertEvent) {
        self.watermark = self.watermark.max(event.occurred_at_ms);
        let key = self.settings.aggregation_key.value_for(event);
        let mut decisions = vec![Decision::new(
            DecisionKind::AggregationKey,
            format!(
                "aggregation key {} gives {key:?}",
                self.settings.aggregation_key.template()
            ),
            "",
        )];
        let (alert_id, outcome, incident_id, suppressed_by_id) = match event.action {
            AlertEventAction::Trigger => {
                self.trigger(event_id, received_at, event, &key, &mut decisions)
            }
            AlertEventAction::Acknowledge => self.acknowledge(event_id, event, &mut decisions),
            AlertEventAction::Resolve => self.resolve(event_id, event, &mut decisions),
        };
        for incident_id in std::mem::take(&mut self.regroup) {
            let Some(incident) = self.incidents.get(&incident_id) else {
                continue;
            };
            match incident.parent_incident_id.clone() {
                Some(parent) => self.regroup_storm(&parent, &mut decisions),
                None if incident.is_open() || resolved_itself(incident) => {
                    self.group_storm(&incident_id, &mut decisions);
                }
                None => {}
            }
        }
        // The incident the event's alert is in now (a storm or a merge may
        // have moved it).
        let incident_id = incident_id.map(|id| self.survivor_of(&id));
        self.results.push(EventResult {
            event_id: event_id.to_owned(),
            alert_id,
            outcome,
            incident_id,
            aggregation_key: key,
            suppressed_by_id,
            decisions,
        });
    }

    fn record(&mut self, incident_id: &str, kind: EventKind, actor: &str, message: String) {
        if let Some(incident) = self.incidents.get_mut(incident_id) {
            incident.updated_at = self.now;
            self.feed.push(FeedEntry {
                kind,
                actor: actor.to_owned(),
                message,
                at: self.now,
                incident: incident.clone(),
            });
            self.mark(incident_id);
        }
    }

    fn reprioritize(&mut self, incident_id: &str) {
        let Some(incident) = self.incidents.get_mut(incident_id) else {
            return;
        };
        if let Some(before) = incident.reprioritize(&self.settings.asset_criticality) {
            let message = format!(
                "priority P{before} → P{}: {}",
                incident.priority,
                incident.priority_reasons.join(", ")
            );
            self.record(incident_id, EventKind::PriorityChanged, "system", message);
        }
    }

    fn trigger(
        &mut self,
        event_id: &str,
        received_at: i64,
        event: &AlertEvent,
        key: &str,
        decisions: &mut Vec<Decision>,
    ) -> (String, Outcome, Option<String>, Option<String>) {
        let t = event.occurred_at_ms;
        let window = window_ms(&self.settings);
        let resolve_at = match self.belongs_to(&event.dedup_key, t) {
            Belongs::Firing(alert) => return self.repeat(&alert, event, decisions),
            // An occurrence from before its alert resolved, or from before
            // the alert's first occurrence, arrived late: in event-time order
            // it was part of that alert, so it is now (a resolved alert
            // stays resolved; a new firing alert would be a second one for
            // the key, or an alert that never ends).
            Belongs::Resolved(alert) => return self.late_repeat(&alert, event, decisions),
            Belongs::New { resolve_at } => resolve_at,
        };
        let previous = self
            .latest_by_dedup
            .get(&event.dedup_key)
            .and_then(|id| self.alerts.get(id))
            .cloned();
        let mut flap_history = previous.map(|p| p.flap_history).unwrap_or_default();
        flap_history.retain(|at| *at >= t - window);
        let mut alert = AlertRecord {
            flap_history,
            ..AlertRecord::first(event_id, &self.company_id, key, event, received_at)
        };
        let (outcome, incident_id) = match self.suppression(&alert, t, decisions) {
            Some((outcome, by)) => {
                *self.suppressions.entry(by.clone()).or_default() += 1;
                alert.suppressed_by_id = Some(by);
                (outcome, None)
            }
            None => {
                let (outcome, incident_id) = self.place(&alert, decisions);
                (outcome, Some(incident_id))
            }
        };
        alert.outcome = outcome;
        alert.incident_id.clone_from(&incident_id);
        let suppressed_by = alert.suppressed_by_id.clone();
        self.dirty_alerts.insert(alert.id.clone());
        self.put_alert(alert.clone());
        if let Some((_, latest)) = self.history.get(&event.dedup_key).and_then(|l| l.last()) {
            self.latest_by_dedup
                .insert(event.dedup_key.clone(), latest.clone());
        }
        if let Some(r) = resolve_at {
            if let Some(times) = self.early_resolves.get_mut(&event.dedup_key) {
                times.retain(|at| *at != r);
                if times.is_empty() {
                    self.early_resolves.remove(&event.dedup_key);
                }
            }
            decisions.push(Decision::new(
                DecisionKind::Action,
                format!(
                    "a resolve of dedup key {:?} at {} had arrived before this occurrence: the alert is resolved by it",
                    event.dedup_key,
                    clock(r)
                ),
                &alert.id,
            ));
            self.resolve_alert(alert, r, &event.tool_source, decisions);
        }
        (event_id.to_owned(), outcome, incident_id, suppressed_by)
    }

    /// Where a trigger of `dedup_key` at `t` belongs, in event-time order:
    /// the alert that had started by then and not resolved before it, else
    /// the next alert of the key (the trigger starts it earlier) unless a
    /// resolve that came early falls between them, else a new alert (resolved
    /// at once by such a resolve).
    fn belongs_to(&self, dedup_key: &str, t: i64) -> Belongs {
        let alerts: Vec<&AlertRecord> = self
            .history
            .get(dedup_key)
            .map(|list| {
                list.iter()
                    .filter_map(|(_, id)| self.alerts.get(id))
                    .collect()
            })
            .unwrap_or_default();
        let started = alerts.iter().rposition(|alert| alert.occurred_at <= t);
        if let Some(alert) = started.map(|i| alerts[i]) {
            if alert.status != AlertStatus::Resolved {
                return Belongs::Firing(alert.clone());
            }
            if alert.resolved_at.is_some_and(|r| t <= r) && !self.resolved_by_hand(alert) {
                return Belongs::Resolved(alert.clone());
            }
        }
        let next = alerts.get(started.map_or(0, |i| i + 1)).copied();
        let resolve_at = self.early_resolves.get(dedup_key).and_then(|times| {
            times
                .iter()
                .copied()
                .filter(|r| *r >= t && next.is_none_or(|n| *r < n.occurred_at))
                .min()
        });
        match next {
            Some(next) if resolve_at.is_none() && !self.resolved_by_hand(next) => {
                if next.status == AlertStatus::Resolved {
                    Belongs::Resolved(next.clone())
                } else {
                    Belongs::Firing(next.clone())
                }
            }
            _ => Belongs::New { resolve_at },
        }
    }

    /// Whether a resolved alert was resolved with its incident by a person
    /// (or a runbook), not by a resolve of its own: firing again then opens
    /// a new incident, whatever the occurrence's time.
    fn resolved_by_hand(&self, alert: &AlertRecord) -> bool {
        alert.status == AlertStatus::Resolved
            && alert
                .incident_id
                .as_ref()
                .and_then(|id| self.incidents.get(id))
                .is_some_and(|incident| !incident.is_open() && !resolved_itself(incident))
    }

    /// A late repeat of a resolved alert: its count rises, it stays
    /// resolved, and its incident (when it is still held) counts it.
    fn late_repeat(
        &mut self,
        alert: &AlertRecord,
        event: &AlertEvent,
        decisions: &mut Vec<Decision>,
    ) -> (String, Outcome, Option<String>, Option<String>) {
        let t = event.occurred_at_ms;
        let mut alert = alert.clone();
        alert.count += 1;
        alert.occurred_at = alert.occurred_at.min(t);
        alert.last_occurred_at = alert.last_occurred_at.max(t);
        decisions.push(Decision::new(
            DecisionKind::Deduplication,
            format!(
                "arrived late: alert {} with dedup key {:?} resolved at {}, after this occurrence at {}: counted as its repeat (now {}), it stays resolved",
                alert.id,
                alert.dedup_key,
                clock(alert.resolved_at.unwrap_or(t)),
                clock(t),
                alert.count
            ),
            &alert.id,
        ));
        if let Some(incident_id) = alert.incident_id.clone() {
            self.add_to_incident(&incident_id, &alert, event, EventKind::AlertRepeated, false);
        }
        self.dirty_alerts.insert(alert.id.clone());
        let (id, suppressed_by) = (alert.id.clone(), alert.suppressed_by_id.clone());
        self.put_alert(alert);
        let incident = self.merge_after_repeat(&id, t, decisions);
        (id, Outcome::Deduplicated, incident, suppressed_by)
    }

    /// A repeat of a firing alert: its count rises. A suppressed alert whose
    /// suppression has ended is correlated now.
    fn repeat(
        &mut self,
        alert: &AlertRecord,
        event: &AlertEvent,
        decisions: &mut Vec<Decision>,
    ) -> (String, Outcome, Option<String>, Option<String>) {
        let t = event.occurred_at_ms;
        let mut alert = alert.clone();
        alert.count += 1;
        alert.occurred_at = alert.occurred_at.min(t);
        alert.last_occurred_at = alert.last_occurred_at.max(t);
        alert.message.clone_from(&event.message);
        alert.severity = event.severity;
        decisions.push(Decision::new(
            DecisionKind::Deduplication,
            format!(
                "repeat of firing alert {} with dedup key {:?}: its count is now {}",
                alert.id, alert.dedup_key, alert.count
            ),
            &alert.id,
        ));
        let mut outcome = Outcome::Deduplicated;
        match alert.incident_id.clone() {
            Some(incident_id) => {
                self.add_to_incident(&incident_id, &alert, event, EventKind::AlertRepeated, false);
            }
            None => match self.suppression(&alert, t, decisions) {
                Some(_) => {}
                None => {
                    let (placed, incident_id) = self.place(&alert, decisions);
                    outcome = placed;
                    alert.outcome = placed;
                    alert.suppressed_by_id = None;
                    alert.incident_id = Some(incident_id);
                }
            },
        }
        self.dirty_alerts.insert(alert.id.clone());
        let (id, suppressed_by) = (alert.id.clone(), alert.suppressed_by_id.clone());
        self.put_alert(alert);
        let incident = self.merge_after_repeat(&id, t, decisions);
        (id, outcome, incident, suppressed_by)
    }

    /// The incident that stands for `incident_id`: itself, or the one a
    /// merge absorbed it into.
    fn survivor_of(&self, incident_id: &str) -> String {
        let mut at = incident_id;
        for _ in 0..64 {
            match self.incidents.get(at).and_then(Incident::merged_into) {
                Some(next) => at = next,
                None => break,
            }
        }
        at.to_owned()
    }

    /// After a repeat that may have widened its alert's incident: merges the
    /// incidents it now bridges, and answers the incident the alert is in.
    fn merge_after_repeat(
        &mut self,
        alert_id: &str,
        t: i64,
        decisions: &mut Vec<Decision>,
    ) -> Option<String> {
        let incident = self.alerts.get(alert_id)?.incident_id.clone()?;
        Some(self.merge_bridged(&incident, t, t, decisions))
    }

    /// Whether a silence or an inhibition rule suppresses the alert at `t`.
    fn suppression(
        &self,
        alert: &AlertRecord,
        t: i64,
        decisions: &mut Vec<Decision>,
    ) -> Option<(Outcome, String)> {
        if let Some(silence) = self
            .silences
            .iter()
            .filter(|s| s.starts_at <= t && t < s.ends_at && all_match(&s.matchers, alert))
            .min_by(|a, b| a.id.cmp(&b.id))
        {
            decisions.push(Decision::new(
                DecisionKind::Silence,
                format!(
                    "silence {} (in force {} to {}) matches it: stored, no incident",
                    silence.id,
                    clock(silence.starts_at),
                    clock(silence.ends_at)
                ),
                &silence.id,
            ));
            return Some((Outcome::SuppressedBySilence, silence.id.clone()));
        }
        for rule in &self.inhibitions {
            if !all_match(&rule.target, alert) {
                continue;
            }
            // The index holds the unresolved alerts matching the rule's
            // source matchers under their equal values, oldest first: the
            // first that fired at or before `t` under another dedup key is
            // the earliest source.
            let key = equal_key(rule, alert);
            let source = self
                .sources
                .under(&rule.id, &key)
                .take_while(|(at, _)| *at <= t)
                .filter_map(|(_, id)| self.alerts.get(id))
                .find(|source| {
                    source.status != AlertStatus::Resolved && source.dedup_key != alert.dedup_key
                });
            if let Some(source) = source {
                decisions.push(Decision::new(
                    DecisionKind::Inhibition,
                    format!(
                        "inhibition rule {} suppresses it while alert {} ({} on {}) fires",
                        rule.id, source.id, source.signature, source.asset
                    ),
                    &rule.id,
                ));
                return Some((Outcome::SuppressedByInhibition, rule.id.clone()));
            }
        }
        if !self.silences.is_empty() || !self.inhibitions.is_empty() {
            decisions.push(Decision::new(
                DecisionKind::Silence,
                "no active silence or inhibition rule matches it",
                "",
            ));
        }
        None
    }

    /// The open incident with `key` that has the latest alert.
    fn latest_open(&self, key: &str) -> Option<&Incident> {
        self.by_key
            .get(key)?
            .iter()
            .filter_map(|id| self.incidents.get(id))
            .filter(|incident| incident.is_open())
            .max_by(|a, b| (a.last_alert_at, &a.id).cmp(&(b.last_alert_at, &b.id)))
    }

    /// The open incident with `key` that an alert at `t` joins: its latest
    /// alert is at or after `t − window` and (for an alert that arrives late,
    /// after newer ones) its first alert at or before `t + window`; the one
    /// with the latest alert if several qualify.
    fn joinable(&self, key: &str, t: i64, window: i64) -> Option<&Incident> {
        self.by_key
            .get(key)?
            .iter()
            .filter_map(|id| self.incidents.get(id))
            .filter(|incident| {
                incident.is_open()
                    && incident.last_alert_at >= t - window
                    && incident.first_alert_at <= t + window
            })
            .max_by(|a, b| (a.last_alert_at, &a.id).cmp(&(b.last_alert_at, &b.id)))
    }

    /// The incident with `key` that resolved itself and that an alert at `t`
    /// joins as if it were open (see [`World::joinable`]); the one with the
    /// latest alert if several qualify.
    fn reopenable(&self, key: &str, t: i64, window: i64) -> Option<&Incident> {
        self.by_key
            .get(key)?
            .iter()
            .filter_map(|id| self.incidents.get(id))
            .filter(|incident| {
                !incident.is_open()
                    && resolved_itself(incident)
                    && incident.last_alert_at >= t - window
                    && incident.first_alert_at <= t + window
            })
            .max_by(|a, b| (a.last_alert_at, &a.id).cmp(&(b.last_alert_at, &b.id)))
    }

    /// Reopens an incident that resolved itself for an alert that fired
    /// again within the window, and its storm parent with it.
    fn reopen(&mut self, incident_id: &str, alert: &AlertRecord) {
        let reason = format!(
            "alert {} ({} on {}) fired within the window after it resolved itself",
            alert.id, alert.signature, alert.asset
        );
        let command = IncidentCommand::Reopen {
            reason: reason.clone(),
        };
        // Only a resolved incident is reopened, which cannot fail.
        if self
            .change_incident(incident_id, "system", &command)
            .is_err()
        {
            return;
        }
        let parent = self
            .incidents
            .get(incident_id)
            .and_then(|incident| incident.parent_incident_id.clone())
            .filter(|parent| self.incidents.get(parent).is_some_and(|p| !p.is_open()));
        if let Some(parent) = parent {
            let command = IncidentCommand::Reopen { reason };
            let _ = self.change_incident(&parent, "system", &command);
        }
    }

    /// Puts an unsuppressed alert into an incident (joining or opening one).
    fn place(&mut self, alert: &AlertRecord, decisions: &mut Vec<Decision>) -> (Outcome, String) {
        let t = alert.last_occurred_at;
        let window = window_ms(&self.settings);
        let key = alert.aggregation_key.clone();
        let found = self
            .joinable(&key, t, window)
            .or_else(|| self.reopenable(&key, t, window))
            .map(|incident| incident.id.clone());
        if let Some(incident_id) = found {
            let (outcome, _) = self.place_in(&incident_id, alert, decisions);
            // The alert is not stored yet: the caller puts it into the
            // incident that remains.
            let survivor = self.merge_bridged(&incident_id, alert.occurred_at, t, decisions);
            return (outcome, survivor);
        }
        self.open_new(alert, decisions)
    }

    /// Puts an alert into an open incident it joins, or one that resolved
    /// itself and reopens for it.
    fn place_in(
        &mut self,
        incident_id: &str,
        alert: &AlertRecord,
        decisions: &mut Vec<Decision>,
    ) -> (Outcome, String) {
        let t = alert.last_occurred_at;
        let window = window_ms(&self.settings);
        let key = alert.aggregation_key.clone();
        if let Some(joined) = self.incidents.get(incident_id).filter(|i| i.is_open()) {
            let (incident_id, last) = (joined.id.clone(), joined.last_alert_at);
            decisions.push(Decision::new(
                DecisionKind::Window,
                format!(
                    "open incident {incident_id} with key {key:?} had its latest alert at {}, within the {} window of {}",
                    clock(last),
                    minutes(window),
                    clock(t)
                ),
                &incident_id,
            ));
            self.add_to_incident(
                &incident_id,
                alert,
                &alert_as_event(alert),
                EventKind::AlertAdded,
                true,
            );
            return (Outcome::Correlated, incident_id);
        }
        if let Some(reopened) = self.incidents.get(incident_id) {
            let (incident_id, last) = (reopened.id.clone(), reopened.last_alert_at);
            decisions.push(Decision::new(
                DecisionKind::Window,
                format!(
                    "incident {incident_id} with key {key:?} resolved itself, and its latest alert at {} is within the {} window of {}: it reopens, so that a flapping alert does not churn incidents",
                    clock(last),
                    minutes(window),
                    clock(t)
                ),
                &incident_id,
            ));
            self.reopen(&incident_id, alert);
            self.add_to_incident(
                &incident_id,
                alert,
                &alert_as_event(alert),
                EventKind::AlertAdded,
                true,
            );
            return (Outcome::Correlated, incident_id);
        }
        self.open_new(alert, decisions)
    }

    /// Merges the incidents of `incident_id`'s key that are now within the
    /// window of it (an alert from `from` to `to` that arrived late, or
    /// widened it, bridged them): open ones and ones that resolved
    /// themselves, into the one that started first. So an aggregation key's
    /// incidents are its alerts' runs with gaps of at most the window,
    /// whatever order they arrived in.
    fn merge_bridged(
        &mut self,
        incident_id: &str,
        from: i64,
        to: i64,
        decisions: &mut Vec<Decision>,
    ) -> String {
        let window = window_ms(&self.settings);
        let Some(incident) = self.incidents.get(incident_id) else {
            return incident_id.to_owned();
        };
        let mut group: Vec<(i64, String)> = vec![(incident.first_alert_at, incident.id.clone())];
        let (first, last) = (incident.first_alert_at, incident.last_alert_at);
        if let Some(ids) = self.by_key.get(&incident.aggregation_key) {
            for other in ids.iter().filter_map(|id| self.incidents.get(id)) {
                if other.id != incident_id
                    && (other.is_open() || resolved_itself(other))
                    && other.last_alert_at >= first - window
                    && other.first_alert_at <= last + window
                {
                    group.push((other.first_alert_at, other.id.clone()));
                }
            }
        }
        if group.len() < 2 {
            return incident_id.to_owned();
        }
        group.sort();
        let survivor = group[0].1.clone();
        for (_, absorbed) in &group[1..] {
            decisions.push(Decision::new(
                DecisionKind::Window,
                format!(
                    "the alert from {} to {} brings incidents {survivor} and {absorbed} within the {} window of each other: {absorbed} is merged into {survivor}",
                    clock(from),
                    clock(to),
                    minutes(window)
                ),
                &survivor,
            ));
            self.merge(
                &survivor,
                absorbed,
                &format!("an alert at {} bridged them", clock(from)),
            );
        }
        survivor
    }

    /// Merges incident `absorbed` into `survivor`: its alerts move, its
    /// counts add up, it resolves as merged (its id keeps answering, with
    /// the survivor's), and each gets a MERGED entry. A storm parent's
    /// children move with it.
    fn merge(&mut self, survivor: &str, absorbed: &str, why: &str) {
        let Some(gone) = self.incidents.get(absorbed).cloned() else {
            return;
        };
        if gone.merged_into().is_some() || survivor == absorbed {
            return;
        }
        if gone.is_storm_parent {
            let children: Vec<String> = self
                .incidents
                .values()
                .filter(|i| i.parent_incident_id.as_deref() == Some(absorbed))
                .map(|i| i.id.clone())
                .collect();
            for child in children {
                if let Some(child) = self.incidents.get_mut(&child) {
                    child.parent_incident_id = None;
                }
                self.fold(survivor, &child);
            }
            self.storm_ends.remove(absorbed);
        } else {
            let alerts: Vec<String> = self
                .alerts_of
                .get(absorbed)
                .map(|ids| ids.iter().cloned().collect())
                .unwrap_or_default();
            for id in alerts {
                if let Some(mut alert) = self.alerts.get(&id).cloned() {
                    alert.incident_id = Some(survivor.to_owned());
                    self.dirty_alerts.insert(id);
                    self.put_alert(alert);
                }
            }
            // The absorbed incident's storm gives it up.
            if let Some(parent_id) = &gone.parent_incident_id
                && let Some(parent) = self.incidents.get_mut(parent_id)
            {
                parent.child_incident_count = (parent.child_incident_count - 1).max(0);
                if gone.is_open() {
                    parent.open_child_count = (parent.open_child_count - 1).max(0);
                }
                parent.alert_count = (parent.alert_count - gone.alert_count).max(0);
                parent.summary = storm_summary(&parent.signature, parent.child_incident_count);
                let parent_id = parent_id.clone();
                self.mark(&parent_id);
            }
            if gone.is_open() && self.incidents.get(survivor).is_some_and(|s| !s.is_open()) {
                let command = IncidentCommand::Reopen {
                    reason: format!("incident {absorbed} merged in, still open"),
                };
                let _ = self.change_incident(survivor, "system", &command);
            }
            let parent = {
                let Some(kept) = self.incidents.get_mut(survivor) else {
                    return;
                };
                kept.alert_count += gone.alert_count;
                kept.firing_alert_count += gone.firing_alert_count;
                kept.first_alert_at = kept.first_alert_at.min(gone.first_alert_at);
                kept.last_alert_at = kept.last_alert_at.max(gone.last_alert_at);
                kept.severity = kept.severity.max(gone.severity);
                kept.tools.extend(gone.tools.iter().cloned());
                kept.flapping |= gone.flapping;
                kept.parent_incident_id.clone()
            };
            if let Some(parent_id) = parent
                && let Some(parent) = self.incidents.get_mut(&parent_id)
            {
                parent.alert_count += gone.alert_count;
                parent.first_alert_at = parent.first_alert_at.min(gone.first_alert_at);
                parent.last_alert_at = parent.last_alert_at.max(gone.last_alert_at);
                self.mark(&parent_id);
            }
            self.reprioritize(survivor);
        }
        if let Some(gone) = self.incidents.get_mut(absorbed) {
            gone.resolve(format!("{MERGED_RESOLUTION}{survivor}"), self.now);
            gone.parent_incident_id = None;
            gone.alert_count = 0;
            gone.firing_alert_count = 0;
            gone.child_incident_count = 0;
            gone.open_child_count = 0;
        }
        self.folded.remove(absorbed);
        self.record(
            absorbed,
            EventKind::Merged,
            "system",
            format!("merged into incident {survivor}: {why}"),
        );
        self.record(
            survivor,
            EventKind::Merged,
            "system",
            format!(
                "incident {absorbed} merged in ({} alerts): {why}",
                gone.alert_count
            ),
        );
    }

    /// Opens a new incident for an alert that joins none.
    fn open_new(
        &mut self,
        alert: &AlertRecord,
        decisions: &mut Vec<Decision>,
    ) -> (Outcome, String) {
        let t = alert.last_occurred_at;
        let window = window_ms(&self.settings);
        let key = alert.aggregation_key.clone();
        let candidate = self.latest_open(&key).map(|incident| {
            (
                incident.id.clone(),
                incident.last_alert_at,
                incident.first_alert_at,
            )
        });
        decisions.push(Decision::new(
            DecisionKind::Window,
            match &candidate {
                Some((id, last, _)) if *last < t - window => format!(
                    "the latest open incident {id} with key {key:?} had its latest alert at {}, before the window start {}",
                    clock(*last),
                    clock(t - window)
                ),
                Some((id, _, first)) => format!(
                    "the alert arrived late: open incident {id} with key {key:?} starts at {}, more than {} after it",
                    clock(*first),
                    minutes(window)
                ),
                None => format!("no open incident has key {key:?}"),
            },
            candidate.as_ref().map_or("", |(id, _, _)| id.as_str()),
        ));
        let incident_id = self.open_incident(alert);
        decisions.push(Decision::new(
            DecisionKind::NewIncident,
            format!("opened incident {incident_id}"),
            &incident_id,
        ));
        self.group_storm(&incident_id, decisions);
        self.auto_assign(&incident_id);
        (Outcome::NewIncident, incident_id)
    }

    fn open_incident(&mut self, alert: &AlertRecord) -> String {
        let id = (self.new_id)();
        let mut incident = Incident {
            id: id.clone(),
            company_id: self.company_id.clone(),
            aggregation_key: alert.aggregation_key.clone(),
            asset: alert.asset.clone(),
            signature: alert.signature.clone(),
            summary: alert.message.clone(),
            status: IncidentStatus::Open,
            priority: 0,
            priority_reasons: Vec::new(),
            alert_count: alert.count,
            firing_alert_count: 1,
            tools: BTreeSet::from([alert.tool_source.clone()]),
            severity: alert.severity,
            assigned_technician_id: None,
            parent_incident_id: None,
            is_storm_parent: false,
            child_incident_count: 0,
            open_child_count: 0,
            flapping: false,
            self_healed: false,
            remediation_failed: false,
            resolution: String::new(),
            first_alert_at: alert.occurred_at,
            last_alert_at: alert.last_occurred_at,
            created_at: self.now,
            acknowledged_at: None,
            first_acknowledged_at: None,
            resolved_at: None,
            updated_at: self.now,
        };
        incident.reprioritize(&self.settings.asset_criticality);
        self.note_onset(&alert.signature, alert.occurred_at);
        let message = format!(
            "opened by alert {} ({} on {}), priority P{}: {}",
            alert.id,
            alert.signature,
            alert.asset,
            incident.priority,
            incident.priority_reasons.join(", ")
        );
        self.load_incident(incident);
        self.record(&id, EventKind::Created, "system", message);
        id
    }

    /// Adds an alert (or a repeat) to an incident and to its storm parent.
    fn add_to_incident(
        &mut self,
        incident_id: &str,
        alert: &AlertRecord,
        event: &AlertEvent,
        kind: EventKind,
        new_alert: bool,
    ) {
        let parent = {
            let Some(incident) = self.incidents.get_mut(incident_id) else {
                return;
            };
            if new_alert {
                incident.alert_count += alert.count;
                incident.firing_alert_count += 1;
            } else {
                incident.alert_count += 1;
            }
            incident.last_alert_at = incident.last_alert_at.max(event.occurred_at_ms);
            if event.occurred_at_ms < incident.first_alert_at {
                incident.first_alert_at = event.occurred_at_ms;
                // It started earlier than it seemed (its first alert came
                // late): its storm, or whether it is part of one, is judged
                // again.
                if !incident.is_storm_parent {
                    self.regroup.insert(incident_id.to_owned());
                }
            }
            incident.summary.clone_from(&event.message);
            incident.severity = incident.severity.max(event.severity);
            incident.tools.insert(event.tool_source.clone());
            incident.parent_incident_id.clone()
        };
        let message = match kind {
            EventKind::AlertRepeated => format!(
                "alert {} repeated ({} times): {}",
                alert.id, alert.count, event.message
            ),
            _ => format!(
                "alert {} joined: {} on {}",
                alert.id, alert.signature, alert.asset
            ),
        };
        self.record(
            incident_id,
            kind,
            &format!("tool:{}", event.tool_source),
            message,
        );
        self.reprioritize(incident_id);
        if let Some(parent_id) = parent {
            if let Some(parent) = self.incidents.get_mut(&parent_id) {
                parent.alert_count += if new_alert { alert.count } else { 1 };
                parent.last_alert_at = parent.last_alert_at.max(event.occurred_at_ms);
                parent.first_alert_at = parent.first_alert_at.min(event.occurred_at_ms);
                parent.severity = parent.severity.max(event.severity);
                parent.tools.insert(event.tool_source.clone());
                parent.updated_at = self.now;
                self.mark(&parent_id);
                let touched = self.touched_parents.entry(parent_id.clone()).or_default();
                if new_alert {
                    touched.joined += 1;
                } else {
                    touched.repeated += 1;
                }
            }
            self.reprioritize(&parent_id);
        }
    }

    /// Folds a new incident under a storm parent when its signature storms.
    /// A storm is a run of incidents of one signature whose starts (first
    /// alerts) follow each other at most `storm_gap` apart: the incident's
    /// run is the open, unparented incidents of the signature reachable from
    /// its start in steps of at most the gap. The run joins an open storm of
    /// the signature whose members' starts are within the gap of it, or
    /// becomes a storm when it holds `min_assets` distinct assets and at
    /// more than `baseline_factor` times the incidents of the signature that
    /// the hour before the run makes expected over its span (so that the
    /// ordinary overlap of a large fleet is no storm). A run depends on the starts alone, not on arrival order or on
    /// how long a member keeps alerting.
    fn group_storm(&mut self, incident_id: &str, decisions: &mut Vec<Decision>) {
        if !self.settings.storm_enabled {
            return;
        }
        let Some(incident) = self.incidents.get(incident_id) else {
            return;
        };
        let signature = incident.signature.clone();
        let t = incident.first_alert_at;
        let gap = duration_ms(self.settings.storm_gap);
        let run = self.run_of(&signature, t, gap);
        let (first, last) = (
            run.first().map_or(t, |(at, _, _)| *at),
            run.last().map_or(t, |(at, _, _)| *at),
        );
        // A late incident whose run reaches two storms joins them: they were
        // one run all along.
        let storms = self.storms_near(&signature, first, last, gap);
        let parent = self
            .merge_storms(
                &storms,
                &format!("an incident starting at {} joined the storms", clock(t)),
                decisions,
            )
            .and_then(|id| {
                let parent = self.incidents.get(&id)?;
                Some((id, self.storm_span(parent)))
            });
        if let Some((parent_id, (start, end))) = parent {
            decisions.push(Decision::new(
                DecisionKind::StormGrouping,
                format!(
                    "signature {signature:?} is storming: its storm's members started {} to {}, and this incident at {}, within the {} gap: folded under incident {parent_id}",
                    clock(start),
                    clock(end),
                    clock(t),
                    minutes(gap)
                ),
                &parent_id,
            ));
            for (_, member, _) in run {
                self.fold(&parent_id, &member);
            }
            return;
        }
        let asset_count = run
            .iter()
            .map(|(_, _, asset)| asset.as_str())
            .collect::<BTreeSet<&str>>()
            .len();
        let min_assets = usize::try_from(self.settings.storm_min_assets).unwrap_or(usize::MAX);
        if asset_count < min_assets {
            return;
        }
        // Expected over the run's span (at least the gap), from the hour
        // before the run; the run needs more than `factor` times that.
        let before = self.baseline(&signature, first);
        let factor = u64::from(self.settings.storm_baseline_factor);
        let span = u64::try_from((last - first).max(gap)).unwrap_or(u64::MAX);
        let hour = u64::try_from(STORM_BASELINE.as_millis()).unwrap_or(u64::MAX);
        let expected = u64::from(before)
            .saturating_mul(factor)
            .saturating_mul(span)
            / hour;
        let above = usize::try_from(expected.saturating_add(1)).unwrap_or(usize::MAX);
        let needed = min_assets.max(if factor == 0 { 0 } else { above });
        let how = format!(
            "incidents of {signature:?} on {asset_count} assets started {} to {}, each within {} of another (threshold {needed}: at least {min_assets} assets, and more than {factor} times the {before} incidents of the hour before scaled to the run's span)",
            clock(first),
            clock(last),
            minutes(gap)
        );
        if asset_count < needed {
            decisions.push(Decision::new(
                DecisionKind::StormGrouping,
                format!("not a storm: {how}"),
                "",
            ));
            return;
        }
        let parent_id = (self.new_id)();
        let template = self.incidents.get(incident_id).cloned();
        let Some(template) = template else { return };
        let parent = Incident {
            id: parent_id.clone(),
            aggregation_key: format!("storm|{signature}"),
            asset: String::new(),
            summary: storm_summary(&signature, run.len()),
            alert_count: 0,
            firing_alert_count: 0,
            is_storm_parent: true,
            parent_incident_id: None,
            assigned_technician_id: None,
            child_incident_count: 0,
            open_child_count: 0,
            first_alert_at: first,
            created_at: self.now,
            updated_at: self.now,
            tools: BTreeSet::new(),
            // The incident that set it off may have resolved itself (a late
            // first alert judged its storm again): the storm starts open.
            status: IncidentStatus::Open,
            resolution: String::new(),
            resolved_at: None,
            acknowledged_at: None,
            first_acknowledged_at: None,
            flapping: false,
            self_healed: false,
            remediation_failed: false,
            ..template
        };
        self.load_incident(parent);
        self.record(
            &parent_id,
            EventKind::Created,
            "system",
            format!("storm parent: {how}"),
        );
        decisions.push(Decision::new(
            DecisionKind::StormGrouping,
            format!("{how}: folded under new storm incident {parent_id}"),
            &parent_id,
        ));
        for (_, member, _) in run {
            self.fold(&parent_id, &member);
        }
        // A storm of incidents that have all ended is over.
        if self.settings.auto_resolve
            && self
                .incidents
                .get(&parent_id)
                .is_some_and(|p| p.open_child_count == 0)
        {
            self.resolve_incident(&parent_id, STORM_RESOLUTION);
        }
    }

    /// Judges a storm again after a member's start moved earlier: the
    /// unparented incidents of its signature that now start within the gap
    /// of its members join it, and so do other storms of the signature that
    /// are now within the gap of it (merged into the one that started
    /// first).
    fn regroup_storm(&mut self, parent_id: &str, decisions: &mut Vec<Decision>) {
        let Some(parent) = self.incidents.get(parent_id) else {
            return;
        };
        let signature = parent.signature.clone();
        let gap = duration_ms(self.settings.storm_gap);
        let (start, end) = self.storm_span(parent);
        let storms = self.storms_near(&signature, start, end, gap);
        let Some(survivor) = self.merge_storms(
            &storms,
            "a late first alert moved a member's start within the gap",
            decisions,
        ) else {
            return;
        };
        let Some(parent) = self.incidents.get(&survivor) else {
            return;
        };
        let (start, end) = self.storm_span(parent);
        let mut joining = self.run_of(&signature, start, gap);
        joining.extend(self.run_of(&signature, end, gap));
        joining.sort();
        joining.dedup();
        for (_, member, _) in joining {
            self.fold(&survivor, &member);
        }
    }

    /// The storms of `signature` (open, or resolved by themselves) whose
    /// members' starts come within `gap` of `[first, last]`, the one that
    /// started first first.
    fn storms_near(&self, signature: &str, first: i64, last: i64, gap: i64) -> Vec<String> {
        let mut storms: Vec<(i64, String)> = self
            .parents
            .get(signature)
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| self.incidents.get(id))
                    .filter(|p| p.is_open() || resolved_itself(p))
                    .filter(|p| {
                        let (start, end) = self.storm_span(p);
                        start.saturating_sub(gap) <= last && first <= end.saturating_add(gap)
                    })
                    .map(|p| (p.first_alert_at, p.id.clone()))
                    .collect()
            })
            .unwrap_or_default();
        storms.sort();
        storms.into_iter().map(|(_, id)| id).collect()
    }

    /// Merges `storms` (the first started first) into the first; answers
    /// it.
    fn merge_storms(
        &mut self,
        storms: &[String],
        why: &str,
        decisions: &mut Vec<Decision>,
    ) -> Option<String> {
        let (survivor, rest) = storms.split_first()?;
        for absorbed in rest {
            decisions.push(Decision::new(
                DecisionKind::StormGrouping,
                format!(
                    "storms {survivor} and {absorbed} are one run of starts: {absorbed} is merged into {survivor} ({why})"
                ),
                survivor,
            ));
            self.merge(survivor, absorbed, why);
        }
        Some(survivor.clone())
    }

    /// The open, unparented incidents of `signature` whose starts are
    /// reachable from `t` in steps of at most `gap`, by start: (start, id,
    /// asset).
    fn run_of(&self, signature: &str, t: i64, gap: i64) -> Vec<(i64, String, String)> {
        let Some(roots) = self.roots.get(signature) else {
            return Vec::new();
        };
        let mut run = Vec::new();
        let mut edge = t;
        for (at, id) in roots.range(..(t, String::new())).rev() {
            if edge - at > gap {
                break;
            }
            edge = *at;
            run.push((*at, id.clone()));
        }
        run.reverse();
        edge = t;
        for (at, id) in roots.range((t, String::new())..) {
            if at - edge > gap {
                break;
            }
            edge = *at;
            run.push((*at, id.clone()));
        }
        run.into_iter()
            .filter_map(|(at, id)| {
                let asset = self.incidents.get(&id)?.asset.clone();
                Some((at, id, asset))
            })
            .collect()
    }

    /// The starts of a storm's first and last members.
    fn storm_span(&self, parent: &Incident) -> (i64, i64) {
        let end = self
            .storm_ends
            .get(&parent.id)
            .copied()
            .unwrap_or(parent.first_alert_at);
        (parent.first_alert_at, end.max(parent.first_alert_at))
    }

    fn fold(&mut self, parent_id: &str, child_id: &str) {
        let Some(child) = self.incidents.get_mut(child_id) else {
            return;
        };
        child.parent_incident_id = Some(parent_id.to_owned());
        let open = child.is_open();
        let (alerts, start, last, severity, tools, asset) = (
            child.alert_count,
            child.first_alert_at,
            child.last_alert_at,
            child.severity,
            child.tools.clone(),
            child.asset.clone(),
        );
        // A new incident folded at once gets one Created entry that already
        // names its parent, not two entries with the same moment.
        let child = child.clone();
        match self.feed.last_mut() {
            Some(last)
                if last.kind == EventKind::Created
                    && last.incident.id == child_id
                    && last.at == self.now =>
            {
                last.message
                    .push_str(&format!("; folded under storm incident {parent_id}"));
                last.incident = child;
                self.mark(child_id);
            }
            _ => self.record(
                child_id,
                EventKind::Grouped,
                "system",
                format!("folded under storm incident {parent_id}"),
            ),
        }
        if open && self.incidents.get(parent_id).is_some_and(|p| !p.is_open()) {
            let command = IncidentCommand::Reopen {
                reason: format!("incident {child_id} joined the storm, open"),
            };
            let _ = self.change_incident(parent_id, "system", &command);
        }
        if let Some(parent) = self.incidents.get_mut(parent_id) {
            parent.child_incident_count += 1;
            parent.open_child_count += i32::from(open);
            parent.summary = storm_summary(&parent.signature, parent.child_incident_count);
            parent.first_alert_at = parent.first_alert_at.min(start);
            parent.alert_count += alerts;
            parent.last_alert_at = parent.last_alert_at.max(last);
            parent.severity = parent.severity.max(severity);
            parent.tools.extend(tools);
        }
        let end = self.storm_ends.entry(parent_id.to_owned()).or_insert(start);
        *end = (*end).max(start);
        // One GROUPED entry per parent and pass (`finish`), not one per
        // child: in a storm that halves what the event log has to write.
        self.mark(parent_id);
        self.folded
            .entry(parent_id.to_owned())
            .or_default()
            .push((child_id.to_owned(), asset));
        self.reprioritize(parent_id);
    }

    /// The incidents opened since this world was loaded (storm parents left
    /// out), each with its first alert: what remediation rules look at.
    pub fn opened_incidents(&self) -> Vec<(&Incident, &AlertRecord)> {
        let mut first_alerts: HashMap<&str, &AlertRecord> = HashMap::new();
        for alert in self.changed_alerts() {
            if let Some(id) = alert.incident_id.as_deref() {
                first_alerts
                    .entry(id)
                    .and_modify(|first| {
                        if (alert.occurred_at, &alert.id) < (first.occurred_at, &first.id) {
                            *first = alert;
                        }
                    })
                    .or_insert(alert);
            }
        }
        self.feed
            .iter()
            .filter(|entry| entry.kind == EventKind::Created && !entry.incident.is_storm_parent)
            .filter_map(|entry| {
                first_alerts
                    .get(entry.incident.id.as_str())
                    .map(|alert| (&entry.incident, *alert))
            })
            .collect()
    }

    /// Ends a batch of events: writes one GROUPED entry per storm parent
    /// that gained children, naming them (the first 20). Call it after the
    /// last `apply` of a pass, before reading `feed`.
    pub fn finish(&mut self) {
        for (parent_id, children) in std::mem::take(&mut self.folded) {
            let named: Vec<String> = children
                .iter()
                .take(20)
                .map(|(child, asset)| format!("{child} on {asset}"))
                .collect();
            let message = match children.len() {
                1 => format!("incident {} folded in", named[0]),
                n if n <= 20 => format!("{n} incidents folded in: {}", named.join(", ")),
                n => format!(
                    "{n} incidents folded in: {}, and {} more",
                    named.join(", "),
                    n - 20
                ),
            };
            self.record(&parent_id, EventKind::Grouped, "system", message);
            // That entry carries the parent as it is now.
            self.touched_parents.remove(&parent_id);
        }
        for (parent_id, changes) in std::mem::take(&mut self.touched_parents) {
            let Some(parent) = self.incidents.get(&parent_id) else {
                continue;
            };
            let mut parts = Vec::new();
            if changes.joined > 0 {
                parts.push(format!("{} new alerts", changes.joined));
            }
            if changes.repeated > 0 {
                parts.push(format!("{} repeats", changes.repeated));
            }
            if changes.status > 0 {
                parts.push(format!("{} incidents resolved or reopened", changes.status));
            }
            let kind = if changes.joined > 0 {
                EventKind::AlertAdded
            } else if changes.repeated > 0 {
                EventKind::AlertRepeated
            } else {
                EventKind::AlertResolved
            };
            let message = format!(
                "in its grouped incidents: {} (now {} alerts, {} of {} incidents open)",
                parts.join(", "),
                parent.alert_count,
                parent.open_child_count,
                parent.child_incident_count
            );
            self.record(&parent_id, kind, "system", message);
        }
    }

    /// Applies a change by a person, a tool or a runbook run to an incident
    /// the world holds, at `self.now`: the incident, its timeline entries,
    /// and, when it stops or starts being open, its alerts (resolving an
    /// incident resolves them, so that the same alert firing again opens a
    /// new incident and they inhibit no more) and its storm parent's count
    /// of open children. Answers the incident after the change.
    pub fn change_incident(
        &mut self,
        incident_id: &str,
        actor: &str,
        command: &IncidentCommand,
    ) -> super::error::Result<Incident> {
        let mut incident = self
            .incidents
            .get(incident_id)
            .cloned()
            .ok_or_else(|| super::error::Error::NotFound(format!("incident {incident_id}")))?;
        let was_open = incident.is_open();
        let changes = lifecycle::apply(
            command,
            &mut incident,
            lifecycle::Context {
                now: self.now,
                criticality: &self.settings.asset_criticality,
                technicians: &self.technicians,
            },
        )?;
        if changes.is_empty() {
            return Ok(incident);
        }
        incident.updated_at = self.now;
        if was_open && !incident.is_open() {
            self.resolve_alerts_of(incident_id);
            incident.firing_alert_count = 0;
        }
        let parent = incident
            .parent_incident_id
            .clone()
            .filter(|_| was_open != incident.is_open());
        let opened = incident.is_open();
        self.incidents
            .insert(incident_id.to_owned(), incident.clone());
        for (kind, message) in changes {
            self.feed.push(FeedEntry {
                kind,
                actor: actor.to_owned(),
                message,
                at: self.now,
                incident: incident.clone(),
            });
        }
        self.mark(incident_id);
        if let Some(parent_id) = parent
            && let Some(parent) = self.incidents.get_mut(&parent_id)
        {
            parent.open_child_count += if opened { 1 } else { -1 };
            parent.open_child_count = parent.open_child_count.max(0);
            parent.updated_at = self.now;
            // A storm whose incidents were all resolved, by hand too, is over.
            let over = parent.open_child_count == 0 && parent.is_open();
            self.mark(&parent_id);
            self.touched_parents
                .entry(parent_id.clone())
                .or_default()
                .status += 1;
            if over && self.settings.auto_resolve {
                self.resolve_incident(&parent_id, STORM_RESOLUTION);
            }
        }
        Ok(incident)
    }

    /// Ends flapping at `self.now`: an open flapping incident whose alerts
    /// have all resolved, and that has not changed for a whole window, stops
    /// flapping (`FLAPPING_ENDED`) and, with auto-resolve, resolves. Answers
    /// how many settled.
    pub fn settle_flapping(&mut self) -> usize {
        let window = window_ms(&self.settings);
        let mut quiet: Vec<String> = self
            .incidents
            .values()
            .filter(|incident| {
                incident.flapping
                    && incident.is_open()
                    && incident.firing_alert_count == 0
                    && incident.updated_at < self.now - window
            })
            .map(|incident| incident.id.clone())
            .collect();
        quiet.sort();
        for id in &quiet {
            if let Some(incident) = self.incidents.get_mut(id) {
                incident.flapping = false;
            }
            let message = format!(
                "no alert fired for {} minutes",
                self.settings.window.as_secs() / 60
            );
            self.record(id, EventKind::FlappingEnded, "system", message);
            if self.settings.auto_resolve {
                self.resolve_incident(id, FLAPPING_RESOLUTION);
            }
        }
        quiet.len()
    }

    /// Whether an incident is flapping, quiet and due to settle at `now`.
    pub fn has_quiet_flapping(&self, now: i64) -> bool {
        let window = window_ms(&self.settings);
        self.incidents.values().any(|incident| {
            incident.flapping
                && incident.is_open()
                && incident.firing_alert_count == 0
                && incident.updated_at < now - window
        })
    }

    /// Resolves every unresolved alert of an incident at `self.now`.
    fn resolve_alerts_of(&mut self, incident_id: &str) {
        let ids: Vec<String> = self
            .alerts_of
            .get(incident_id)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default();
        for id in ids {
            let Some(mut alert) = self.alerts.get(&id).cloned() else {
                continue;
            };
            if alert.status == AlertStatus::Resolved {
                continue;
            }
            alert.status = AlertStatus::Resolved;
            alert.resolved_at = Some(self.now);
            self.dirty_alerts.insert(id);
            self.put_alert(alert);
        }
    }

    /// Takes what the decisions since the last call changed: the alerts and
    /// incidents as they are now, the timeline entries, the events' results
    /// and the suppression counts; ends the pass first ([`World::finish`]), so
    /// that no caller can leave a pass's storm entries unwritten.
    pub fn take_changes(&mut self) -> Changes {
        self.finish();
        let alerts = std::mem::take(&mut self.dirty_alerts)
            .into_iter()
            .filter_map(|id| self.alerts.get(&id).cloned())
            .collect();
        let incidents = std::mem::take(&mut self.dirty_incidents)
            .into_iter()
            .filter_map(|id| self.incidents.get(&id).cloned())
            .collect();
        Changes {
            alerts,
            incidents,
            feed: std::mem::take(&mut self.feed),
            results: std::mem::take(&mut self.results),
            suppressions: std::mem::take(&mut self.suppressions),
        }
    }

    /// An alert by id.
    pub fn alert(&self, id: &str) -> Option<&AlertRecord> {
        self.alerts.get(id)
    }

    /// Every alert the world holds.
    pub fn alerts(&self) -> impl Iterator<Item = &AlertRecord> {
        self.alerts.values()
    }

    /// How many alerts and incidents the world holds.
    pub fn size(&self) -> (usize, usize) {
        (self.alerts.len(), self.incidents.len())
    }

    /// Drops an alert from memory (it stays in the tables): for a resolved
    /// alert whose window has passed. The latest alert of its dedup key is
    /// then none, as for an alert never seen.
    pub fn forget_alert(&mut self, id: &str) {
        let Some(alert) = self.alerts.remove(id) else {
            return;
        };
        if self
            .latest_by_dedup
            .get(&alert.dedup_key)
            .map(String::as_str)
            == Some(id)
        {
            self.latest_by_dedup.remove(&alert.dedup_key);
        }
        if let Some(list) = self.history.get_mut(&alert.dedup_key) {
            list.retain(|(_, other)| other != id);
            if list.is_empty() {
                self.history.remove(&alert.dedup_key);
            }
        }
        if let Some(incident_id) = &alert.incident_id
            && let Some(ids) = self.alerts_of.get_mut(incident_id)
        {
            ids.remove(id);
            if ids.is_empty() {
                self.alerts_of.remove(incident_id);
            }
        }
        self.sources.remove(id);
        self.dirty_alerts.remove(id);
    }

    /// Drops an incident from memory (it stays in the tables): for a
    /// resolved incident, which nothing joins any more.
    pub fn forget_incident(&mut self, id: &str) {
        let Some(incident) = self.incidents.remove(id) else {
            return;
        };
        let index = if incident.is_storm_parent {
            self.parents.get_mut(&incident.signature)
        } else {
            self.by_key.get_mut(&incident.aggregation_key)
        };
        if let Some(ids) = index {
            ids.retain(|other| other != id);
        }
        if incident.is_storm_parent {
            self.storm_ends.remove(id);
            if self
                .parents
                .get(&incident.signature)
                .is_some_and(Vec::is_empty)
            {
                self.parents.remove(&incident.signature);
            }
        } else if self
            .by_key
            .get(&incident.aggregation_key)
            .is_some_and(Vec::is_empty)
        {
            self.by_key.remove(&incident.aggregation_key);
        }
        self.reindex(id);
        self.dirty_incidents.remove(id);
    }

    fn auto_assign(&mut self, incident_id: &str) {
        if !self.settings.auto_assign {
            return;
        }
        let Some(incident) = self.incidents.get(incident_id) else {
            return;
        };
        let Some(tech) = pick_technician(&self.technicians, incident).cloned() else {
            return;
        };
        if let Some(load) = self.technicians.iter_mut().find(|t| t.id == tech.id) {
            load.open_incidents += 1;
        }
        if let Some(incident) = self.incidents.get_mut(incident_id) {
            incident.assign(&tech.id);
        }
        self.record(
            incident_id,
            EventKind::Assigned,
            "system",
            format!(
                "assigned automatically to {} (technician:{})",
                tech.name, tech.id
            ),
        );
    }

    /// The alert a resolve or acknowledge applies to: the latest unresolved
    /// alert of the dedup key.
    fn active_alert(&self, dedup_key: &str) -> Option<AlertRecord> {
        self.latest_by_dedup
            .get(dedup_key)
            .and_then(|id| self.alerts.get(id))
            .filter(|alert| alert.status != AlertStatus::Resolved)
            .cloned()
    }

    fn acknowledge(
        &mut self,
        event_id: &str,
        event: &AlertEvent,
        decisions: &mut Vec<Decision>,
    ) -> (String, Outcome, Option<String>, Option<String>) {
        let Some(mut alert) = self.active_alert(&event.dedup_key) else {
            decisions.push(Decision::new(
                DecisionKind::Action,
                format!(
                    "acknowledge for dedup key {:?} matched no firing alert: stored for the record",
                    event.dedup_key
                ),
                "",
            ));
            return (event_id.to_owned(), Outcome::Unmatched, None, None);
        };
        alert.status = AlertStatus::Acknowledged;
        decisions.push(Decision::new(
            DecisionKind::Action,
            format!("acknowledged alert {}", alert.id),
            &alert.id,
        ));
        if let Some(incident_id) = &alert.incident_id {
            let opened = self
                .incidents
                .get_mut(incident_id)
                .filter(|incident| incident.status == IncidentStatus::Open);
            let author = non_empty_label(event, ACK_AUTHOR_LABEL);
            let comment = non_empty_label(event, ACK_COMMENT_LABEL);
            let actor = format!("tool:{}", event.tool_source);
            let by = match author {
                Some(author) => format!("acknowledged in {} by {author}", event.tool_source),
                None => format!("acknowledged at the source by {}", event.tool_source),
            };
            let text = match comment {
                Some(comment) => format!("{by}: {comment}"),
                None => by,
            };
            let source_comment = comment.map(|comment| match author {
                Some(author) => format!("{author} in {}: {comment}", event.tool_source),
                None => format!("in {}: {comment}", event.tool_source),
            });
            if let Some(incident) = opened {
                incident.acknowledge(self.now);
                self.record(incident_id, EventKind::Acknowledged, &actor, text);
            } else if let Some(source_comment) = source_comment {
                // Already acknowledged: the source's comment still belongs
                // on the timeline.
                self.record(incident_id, EventKind::Commented, &actor, source_comment);
            }
        }
        let result = (
            alert.id.clone(),
            Outcome::Acknowledged,
            alert.incident_id.clone(),
            None,
        );
        self.dirty_alerts.insert(alert.id.clone());
        self.put_alert(alert);
        result
    }

    fn resolve(
        &mut self,
        event_id: &str,
        event: &AlertEvent,
        decisions: &mut Vec<Decision>,
    ) -> (String, Outcome, Option<String>, Option<String>) {
        let t = event.occurred_at_ms;
        // The alert of the dedup key that had started by the resolve's time.
        let started = self.history.get(&event.dedup_key).and_then(|list| {
            list.iter()
                .rev()
                .filter_map(|(_, id)| self.alerts.get(id))
                .find(|alert| alert.occurred_at <= t)
                .cloned()
        });
        match started {
            Some(alert) if alert.status != AlertStatus::Resolved => {
                self.resolve_alert(alert, t, &event.tool_source, decisions)
            }
            Some(alert) => {
                // A trigger from between that alert's resolve and this one may
                // still arrive (late): this resolve ends the alert it starts.
                self.keep_early_resolve(&event.dedup_key, t);
                decisions.push(Decision::new(
                    DecisionKind::Action,
                    format!(
                        "resolve for dedup key {:?} matched no firing alert (alert {} had resolved): kept for {} in case a trigger from before it arrives late",
                        event.dedup_key,
                        alert.id,
                        minutes(duration_ms(self.settings.lateness))
                    ),
                    "",
                ));
                (event_id.to_owned(), Outcome::Unmatched, None, None)
            }
            None => {
                // Nothing of the key had fired by then: a trigger from
                // before it may still arrive (late) and is resolved by it.
                self.keep_early_resolve(&event.dedup_key, t);
                decisions.push(Decision::new(
                    DecisionKind::Action,
                    format!(
                        "resolve for dedup key {:?} matched no firing alert: no alert of the key had fired by {}; kept for {} in case an earlier trigger arrives late",
                        event.dedup_key,
                        clock(t),
                        minutes(duration_ms(self.settings.lateness))
                    ),
                    "",
                ));
                (event_id.to_owned(), Outcome::Unmatched, None, None)
            }
        }
    }

    /// Resolves an alert at `t` (event time), by a resolve from `tool`: its
    /// incident counts one firing alert fewer, turns flapping at the
    /// threshold and resolves itself when none fires.
    fn resolve_alert(
        &mut self,
        mut alert: AlertRecord,
        t: i64,
        tool: &str,
        decisions: &mut Vec<Decision>,
    ) -> (String, Outcome, Option<String>, Option<String>) {
        let window = window_ms(&self.settings);
        alert.status = AlertStatus::Resolved;
        alert.resolved_at = Some(t);
        alert.flap_history.retain(|at| *at >= t - window);
        alert.flap_history.push(t);
        decisions.push(Decision::new(
            DecisionKind::Action,
            format!("resolved alert {}", alert.id),
            &alert.id,
        ));
        let result = (
            alert.id.clone(),
            Outcome::Resolved,
            alert.incident_id.clone(),
            alert.suppressed_by_id.clone(),
        );
        let cycles = alert.flap_history.len();
        self.dirty_alerts.insert(alert.id.clone());
        let incident_id = alert.incident_id.clone();
        self.put_alert(alert.clone());
        let Some(incident_id) = incident_id else {
            return result;
        };
        let actor = format!("tool:{tool}");
        let (firing, flapping_now) = {
            let Some(incident) = self.incidents.get_mut(&incident_id) else {
                return result;
            };
            incident.firing_alert_count = (incident.firing_alert_count - 1).max(0);
            let threshold = usize::try_from(self.settings.flapping_threshold).unwrap_or(usize::MAX);
            let flapping_now =
                self.settings.flapping_enabled && !incident.flapping && cycles >= threshold;
            if flapping_now {
                incident.flapping = true;
            }
            (incident.firing_alert_count, flapping_now)
        };
        self.record(
            &incident_id,
            EventKind::AlertResolved,
            &actor,
            format!("alert {} resolved", alert.id),
        );
        if flapping_now {
            decisions.push(Decision::new(
                DecisionKind::Flapping,
                format!(
                    "dedup key {:?} resolved {cycles} times within {}: incident {incident_id} is flapping and stays open",
                    alert.dedup_key,
                    minutes(window)
                ),
                &incident_id,
            ));
            self.record(
                &incident_id,
                EventKind::FlappingStarted,
                "system",
                format!(
                    "alert {:?} fired and resolved {cycles} times within {}",
                    alert.dedup_key,
                    minutes(window)
                ),
            );
        }
        let Some(incident) = self.incidents.get(&incident_id) else {
            return result;
        };
        if firing == 0 && self.settings.auto_resolve && incident.is_open() {
            if incident.flapping {
                decisions.push(Decision::new(
                    DecisionKind::AutoResolve,
                    format!(
                        "incident {incident_id} has no firing alert but is flapping: it stays open"
                    ),
                    &incident_id,
                ));
            } else {
                decisions.push(Decision::new(
                    DecisionKind::AutoResolve,
                    format!(
                        "all alerts of incident {incident_id} are resolved: it resolved itself"
                    ),
                    &incident_id,
                ));
                self.resolve_incident(&incident_id, AUTO_RESOLUTION);
            }
        }
        result
    }

    /// Resolves an incident (and its storm parent once all children are).
    fn resolve_incident(&mut self, incident_id: &str, resolution: &str) {
        let parent = {
            let Some(incident) = self.incidents.get_mut(incident_id) else {
                return;
            };
            incident.resolve(resolution, self.now);
            incident.parent_incident_id.clone()
        };
        self.record(
            incident_id,
            EventKind::Resolved,
            "system",
            resolution.to_owned(),
        );
        if let Some(parent_id) = parent {
            let done = self.incidents.get_mut(&parent_id).is_some_and(|parent| {
                parent.open_child_count = (parent.open_child_count - 1).max(0);
                parent.updated_at = self.now;
                parent.open_child_count == 0 && parent.is_open()
            });
            self.mark(&parent_id);
            self.touched_parents
                .entry(parent_id.clone())
                .or_default()
                .status += 1;
            if done && self.settings.auto_resolve {
                self.resolve_incident(&parent_id, STORM_RESOLUTION);
            }
        }
    }
}

/// The order the engine takes events in: event time, then dedup key, then
/// action — a total order on stored events (two events equal in all three are
/// one idempotent delivery), so the result does not hang on arrival order.
pub fn event_order(a: &AlertEvent, b: &AlertEvent) -> std::cmp::Ordering {
    (a.occurred_at_ms, &a.dedup_key, a.action.as_i16()).cmp(&(
        b.occurred_at_ms,
        &b.dedup_key,
        b.action.as_i16(),
    ))
}

fn alert_as_event(alert: &AlertRecord) -> AlertEvent {
    AlertEvent {
        asset: alert.asset.clone(),
        signature: alert.signature.clone(),
        severity: alert.severity,
        message: alert.message.clone(),
        tool_source: alert.tool_source.clone(),
        labels: alert.labels.clone(),
        occurred_at_ms: alert.last_occurred_at,
        action: AlertEventAction::Trigger,
        dedup_key: alert.dedup_key.clone(),
        external_id: alert.external_id.clone(),
        link: alert.link.clone(),
        delivery_id: None,
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
