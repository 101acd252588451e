//! Time values as monitoring tools write them, to protobuf timestamps.
//!
//! There is no date crate in the dependency tree, and the formats need only a
//! small, strict subset: RFC 3339 with the offset spellings the tools actually
//! send (`Z`, `+02:00`, and ISO 8601's `+0000` that PagerDuty's examples and
//! CloudWatch's `StateChangeTime` use), and Unix epochs.

use prost_types::Timestamp;

/// Seconds of 0001-01-01T00:00:00Z and of 9999-12-31T23:59:59Z: the range a
/// protobuf `Timestamp` may hold.
const MIN_SECONDS: i64 = -62_135_596_800;
const MAX_SECONDS: i64 = 253_402_300_799;

/// Parses an RFC 3339 date-time (`2024-05-01T12:30:00.123Z`), also accepting a
/// space for `T`, a lowercase `t`/`z`, and the offsets `+hhmm` and `+hh`.
/// Returns `None` for anything else or out of range.
pub(super) fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let bytes = text.trim().as_bytes();
    let mut cursor = Cursor { bytes, position: 0 };
    let year = cursor.digits(4)?;
    cursor.expect(b'-')?;
    let month = cursor.digits(2)?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2)?;
    match cursor.next()? {
        b'T' | b't' | b' ' => {}
        _ => return None,
    }
    let hour = cursor.digits(2)?;
    cursor.expect(b':')?;
    let minute = cursor.digits(2)?;
    let mut second = 0;
    let mut nanos: i64 = 0;
    if cursor.peek() == Some(b':') {
        cursor.position += 1;
        second = cursor.digits(2)?;
        if cursor.peek() == Some(b'.') || cursor.peek() == Some(b',') {
            cursor.position += 1;
            let mut count = 0;
            while let Some(digit) = cursor.peek().filter(u8::is_ascii_digit) {
                cursor.position += 1;
                // Digits past nanosecond precision are dropped (Go writes up to 9).
                if count < 9 {
                    nanos = nanos * 10 + i64::from(digit - b'0');
                }
                count += 1;
            }
            if count == 0 {
                return None;
            }
            for _ in count..9 {
                nanos *= 10;
            }
        }
    }
    let offset_seconds = match cursor.next()? {
        b'Z' | b'z' => 0,
        sign @ (b'+' | b'-') => {
            let hours = cursor.digits(2)?;
            let minutes = match cursor.peek() {
                None => 0,
                Some(b':') => {
                    cursor.position += 1;
                    cursor.digits(2)?
                }
                Some(_) => cursor.digits(2)?,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if sign == b'-' { -offset } else { offset }
        }
        _ => return None,
    };
    if cursor.position != bytes.len() {
        return None;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // A leap second is folded into the second before it, as most systems do.
    let second = second.min(59);
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_seconds;
    from_parts(seconds, nanos)
}

/// Unix seconds to a timestamp, `None` when out of range.
pub(super) fn from_unix_seconds(seconds: i64) -> Option<Timestamp> {
    from_parts(seconds, 0)
}

/// Unix milliseconds to a timestamp, `None` when out of range.
pub(super) fn from_unix_millis(millis: i64) -> Option<Timestamp> {
    from_parts(millis.div_euclid(1000), millis.rem_euclid(1000) * 1_000_000)
}

/// A decimal Unix epoch that may be in seconds or in milliseconds (as Datadog's
/// `$DATE` and `$LAST_UPDATED` are): values past year 5138 in seconds are taken
/// as milliseconds. Fractions of a second are accepted.
pub(super) fn from_unix_auto(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    if whole.is_empty()
        || whole.len() > 16
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value: i64 = whole.parse().ok()?;
    if value >= 100_000_000_000 {
        from_unix_millis(value)
    } else {
        let mut nanos: i64 = 0;
        for (index, digit) in fraction.bytes().take(9).enumerate() {
            nanos += i64::from(digit - b'0') * 10_i64.pow(8 - u32::try_from(index).ok()?);
        }
        from_parts(value, nanos)
    }
}

fn from_parts(seconds: i64, nanos: i64) -> Option<Timestamp> {
    if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
        return None;
    }
    Some(Timestamp {
        seconds,
        nanos: i32::try_from(nanos).ok()?,
    })
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic
// Gregorian date (http://howardhinnant.github.io/date_algorithms.html).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.position += 1;
        Some(byte)
    }

    fn expect(&mut self, wanted: u8) -> Option<()> {
        (self.next()? == wanted).then_some(())
    }

    fn digits(&mut self, count: usize) -> Option<i64> {
        let mut value = 0;
        for _ in 0..count {
            let byte = self.next()?;
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(byte - b'0');
        }
        Some(value)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seconds(text: &str) -> Option<(i64, i32)> {
        parse_rfc3339(text).map(|t| (t.seconds, t.nanos))
    }

    #[test]
    fn parses_the_spellings_tools_send() {
        assert_eq!(seconds("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(seconds("2024-02-29T12:00:00Z"), Some((1_709_208_000, 0)));
        // Alertmanager: Go's RFC3339Nano.
        assert_eq!(
            seconds("2024-02-29T12:00:00.123456789+01:00"),
            Some((1_709_204_400, 123_456_789))
        );
        // CloudWatch StateChangeTime and PagerDuty's example use +0000.
        assert_eq!(
            seconds("2015-07-17T08:42:58.315+0000"),
            Some((1_437_122_578, 315_000_000))
        );
        assert_eq!(seconds("2024-01-01 00:00:00-05"), Some((1_704_085_200, 0)));
        assert_eq!(seconds("2024-01-01T00:00Z"), Some((1_704_067_200, 0)));
        // Go's zero time, Alertmanager's endsAt of a firing alert.
        assert_eq!(seconds("0001-01-01T00:00:00Z"), Some((MIN_SECONDS, 0)));
    }

    #[test]
    fn refuses_what_is_not_a_date_time() {
        for text in [
            "",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00Zjunk",
            "2024-01-01",
            "+2024-01-01T00:00:00Z",
            "0000-12-31T23:59:59Z",
        ] {
            assert_eq!(seconds(text), None, "{text}");
        }
    }

    #[test]
    fn reads_epochs_in_seconds_or_milliseconds() {
        let at = |text: &str| from_unix_auto(text).map(|t| (t.seconds, t.nanos));
        assert_eq!(at("1700000000"), Some((1_700_000_000, 0)));
        assert_eq!(at("1700000000123"), Some((1_700_000_000, 123_000_000)));
        assert_eq!(at("1700000000.5"), Some((1_700_000_000, 500_000_000)));
        assert_eq!(at("-1"), None);
        assert_eq!(at("$DATE"), None);
        assert_eq!(at("99999999999999999999"), None);
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = parse_rfc3339(&text);
            let _ = from_unix_auto(&text);
        }

        #[test]
        fn round_trips_the_civil_calendar(days in -719_162_i64..2_932_896) {
            let seconds = days * 86_400;
            let date = civil_from_days(days);
            let text = format!("{:04}-{:02}-{:02}T00:00:00Z", date.0, date.1, date.2);
            prop_assert_eq!(parse_rfc3339(&text).map(|t| t.seconds), Some(seconds));
        }
    }

    // The inverse of days_from_civil, only to check it.
    fn civil_from_days(days: i64) -> (i64, i64, i64) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }
}
