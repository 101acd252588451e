//! A route as asked for, and its checks: its events, priority, windows and
//! time zone, escalation levels and repeats.

use crate::domain::correlation::Matcher;
use crate::domain::notification::{
    Level, MAX_DELAY_SECONDS, MAX_LEVELS, MAX_PAGED_TECHNICIANS, MAX_REPEATS, MAX_WINDOWS,
    MIN_REPEAT_SECONDS, NotifyEvent, Window,
};
use crate::error::{Error, Result};

/// A route to create, as asked for (not yet checked).
#[derive(Debug, Clone)]
pub struct RouteDraft {
    pub company_id: String,
    /// Name, unique within the company.
    pub name: String,
    /// The changes it notifies on.
    pub events: Vec<NotifyEvent>,
    /// Least urgent priority it notifies for, 1 to 4; 0 for 4.
    pub max_priority: i32,
    /// Conditions on the incident.
    pub matchers: Vec<Matcher>,
    /// When it applies; empty for always.
    pub windows: Vec<WindowDraft>,
    /// The windows' IANA time zone; empty for UTC.
    pub time_zone: String,
    /// Escalation levels, first first.
    pub levels: Vec<Level>,
    /// Seconds between repeats of the last level; 0 for none.
    pub repeat_interval_seconds: i32,
    /// Repeats of the last level.
    pub repeat_count: i32,
}

/// A time window, as asked for.
#[derive(Debug, Clone)]
pub struct WindowDraft {
    /// Days it starts on, 1 (Monday) to 7 (Sunday).
    pub weekdays: Vec<i32>,
    /// Start, `HH:MM`.
    pub start_time: String,
    /// End, `HH:MM` (`24:00` for midnight).
    pub end_time: String,
}

/// Checks that a route names at least one event, none twice.
pub(super) fn check_events(events: &[NotifyEvent]) -> Result<()> {
    if events.is_empty() {
        return Err(Error::invalid("events", "at least one event is required"));
    }
    check_listed_once("events", events)
}

/// The least urgent priority a route notifies for (0 asks for 4).
pub(super) fn max_priority_of(max_priority: i32) -> Result<u8> {
    match max_priority {
        0 => Ok(4),
        n @ 1..=4 => Ok(u8::try_from(n).unwrap_or(4)),
        _ => Err(Error::invalid("max_priority", "must be between 1 and 4")),
    }
}

/// A route's windows and time zone from a request.
pub(super) fn windows_of(
    windows: &[WindowDraft],
    time_zone: &str,
) -> Result<(Vec<Window>, String)> {
    let time_zone = if time_zone.trim().is_empty() {
        "UTC".to_owned()
    } else {
        time_zone.trim().to_owned()
    };
    if time_zone.len() > 64 {
        return Err(Error::invalid("time_zone", "must be at most 64 characters"));
    }
    crate::domain::notification::time_zone("time_zone", &time_zone)?;
    if windows.len() > MAX_WINDOWS {
        return Err(Error::invalid(
            "windows",
            format!("at most {MAX_WINDOWS} windows"),
        ));
    }
    let windows = windows
        .iter()
        .enumerate()
        .map(|(index, window)| {
            let field = format!("windows[{index}]");
            let mut weekdays = Vec::with_capacity(window.weekdays.len());
            for (position, day) in window.weekdays.iter().enumerate() {
                let day = u8::try_from(*day)
                    .ok()
                    .filter(|d| (1..=7).contains(d))
                    .ok_or_else(|| {
                        Error::invalid(
                            &format!("{field}.weekdays[{position}]"),
                            "must be 1 (Monday) to 7 (Sunday)",
                        )
                    })?;
                if weekdays.contains(&day) {
                    return Err(Error::invalid(
                        &format!("{field}.weekdays[{position}]"),
                        "is listed twice",
                    ));
                }
                weekdays.push(day);
            }
            Ok(Window {
                weekdays,
                start: Window::minutes(&format!("{field}.start_time"), &window.start_time, false)?,
                end: Window::minutes(&format!("{field}.end_time"), &window.end_time, true)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((windows, time_zone))
}

/// A route's repeats of its last level: (interval, count).
pub(super) fn repeats_of(
    (interval, count): (i32, i32),
    events: &[NotifyEvent],
) -> Result<(i32, i32)> {
    if !(0..=i32::from(MAX_REPEATS)).contains(&count) {
        return Err(Error::invalid(
            "repeat_count",
            format!("must be between 0 and {MAX_REPEATS}"),
        ));
    }
    if interval != 0 && !(MIN_REPEAT_SECONDS..=MAX_DELAY_SECONDS).contains(&interval) {
        return Err(Error::invalid(
            "repeat_interval_seconds",
            format!("must be 0 or between {MIN_REPEAT_SECONDS} and {MAX_DELAY_SECONDS}"),
        ));
    }
    if (interval == 0) != (count == 0) {
        return Err(Error::invalid(
            "repeat_count",
            "repeat_count and repeat_interval_seconds are set together (both 0: no repeats)",
        ));
    }
    if count > 0 && !events.iter().any(|event| event.escalates()) {
        return Err(Error::invalid(
            "repeat_count",
            "repeats page again while nobody acknowledges, so the route needs OPENED, REOPENED or STORM_OPENED among its events",
        ));
    }
    Ok((interval, count))
}

/// Checks that a route has 1 to [`MAX_LEVELS`] levels.
pub(super) fn check_level_count(levels: &[Level]) -> Result<()> {
    if levels.is_empty() || levels.len() > MAX_LEVELS {
        return Err(Error::invalid(
            "levels",
            format!("must hold 1 to {MAX_LEVELS} levels"),
        ));
    }
    Ok(())
}

/// Checks one level, named `field`, that follows a level of
/// `previous_delay` seconds: its channels, its delay and its technicians.
pub(super) fn check_level(field: &str, level: &Level, previous_delay: i32) -> Result<()> {
    if level.channel_ids.is_empty() || level.channel_ids.len() > 10 {
        return Err(Error::invalid(
            &format!("{field}.channel_ids"),
            "must hold 1 to 10 channel ids",
        ));
    }
    check_listed_once(&format!("{field}.channel_ids"), &level.channel_ids)?;
    if !(0..=MAX_DELAY_SECONDS).contains(&level.delay_seconds) {
        return Err(Error::invalid(
            &format!("{field}.delay_seconds"),
            format!("must be between 0 and {MAX_DELAY_SECONDS}"),
        ));
    }
    if level.delay_seconds < previous_delay {
        return Err(Error::invalid(
            &format!("{field}.delay_seconds"),
            "must not be shorter than the level before",
        ));
    }
    if level.technician_ids.len() > MAX_PAGED_TECHNICIANS {
        return Err(Error::invalid(
            &format!("{field}.technician_ids"),
            format!("at most {MAX_PAGED_TECHNICIANS} technicians"),
        ));
    }
    check_listed_once(&format!("{field}.technician_ids"), &level.technician_ids)
}

/// Checks that no item of the list `field` is listed twice.
fn check_listed_once<T: PartialEq>(field: &str, items: &[T]) -> Result<()> {
    for (position, item) in items.iter().enumerate() {
        if items[..position].contains(item) {
            return Err(Error::invalid(
                &format!("{field}[{position}]"),
                "is listed twice",
            ));
        }
    }
    Ok(())
}
