//! Conversions between store rows and protobuf messages.

use prost_types::{Duration as ProtoDuration, Timestamp};

use crate::error::{Error, Result};

/// Unix milliseconds to a protobuf timestamp.
pub(crate) fn timestamp(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// Optional Unix milliseconds to an optional timestamp.
pub(crate) fn optional_timestamp(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(timestamp)
}

/// A protobuf timestamp to Unix milliseconds, naming `field` when it is invalid.
pub(crate) fn timestamp_ms(field: &str, value: &Timestamp) -> Result<i64> {
    if !(0..1_000_000_000).contains(&value.nanos) {
        return Err(Error::invalid(field, "nanos must be within 0..1e9"));
    }
    value
        .seconds
        .checked_mul(1000)
        .and_then(|ms| ms.checked_add(i64::from(value.nanos / 1_000_000)))
        .ok_or_else(|| Error::invalid(field, "out of range"))
}

/// A protobuf duration to a std duration, naming `field` when negative or invalid.
pub(crate) fn duration(field: &str, value: &ProtoDuration) -> Result<std::time::Duration> {
    if value.seconds < 0 || value.nanos < 0 {
        return Err(Error::invalid(field, "must not be negative"));
    }
    std::time::Duration::try_from(*value).map_err(|_| Error::invalid(field, "out of range"))
}

/// Checks that `value` is a non-empty id for `field`.
pub(crate) fn required_id<'a>(field: &str, value: &'a str) -> Result<&'a str> {
    if value.trim().is_empty() {
        Err(Error::invalid(field, "is required"))
    } else {
        Ok(value)
    }
}

/// JSON text (as stored) to a protobuf Struct, for audit details.
pub(crate) fn json_struct(text: &str) -> Option<prost_types::Struct> {
    let serde_json::Value::Object(map) = serde_json::from_str(text).ok()? else {
        return None;
    };
    Some(prost_types::Struct {
        fields: map
            .into_iter()
            .map(|(key, value)| (key, json_value(value)))
            .collect(),
    })
}

fn json_value(value: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match value {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.into_iter().map(json_value).collect(),
        }),
        serde_json::Value::Object(map) => Kind::StructValue(prost_types::Struct {
            fields: map
                .into_iter()
                .map(|(key, value)| (key, json_value(value)))
                .collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

/// A trimmed free text of at most 4,096 characters for `field`; empty only
/// when not `required`.
pub(crate) fn text_of(field: &str, value: &str, required: bool) -> Result<String> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if value.chars().count() > 4096 {
        return Err(Error::invalid(field, "must be at most 4096 characters"));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        for ms in [0, 1, 999, 1_700_000_000_123, -1] {
            assert_eq!(timestamp_ms("t", &timestamp(ms)).expect("valid"), ms);
        }
        assert!(
            timestamp_ms(
                "t",
                &Timestamp {
                    seconds: 0,
                    nanos: -1
                }
            )
            .is_err()
        );
    }

    #[test]
    fn negative_duration_is_refused() {
        let error = duration(
            "overlap",
            &ProtoDuration {
                seconds: -1,
                nanos: 0,
            },
        )
        .expect_err("negative");
        assert!(error.to_string().starts_with("overlap"));
    }
}
