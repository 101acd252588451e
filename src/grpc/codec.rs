//! The protobuf codec of every generated service: prost's, with two checks on
//! what a server decodes.
//!
//! - A request that is not valid protobuf (truncated, invalid UTF-8 in a
//!   string, nested too deep) is the caller's fault: INVALID_ARGUMENT, where
//!   `tonic_prost::ProstCodec` answers INTERNAL for every decode error.
//! - No string field of a request may hold the NUL character. PostgreSQL
//!   refuses 0x00 in text while SQLite stores it, so without this the same
//!   request would be stored on one database and fail with a server error on
//!   the other. The check runs only when the encoded request holds a zero
//!   byte, which an ordinary proto3 request rarely does (zero values are not
//!   encoded); then the request is decoded again against its descriptor to
//!   name the field.
//!
//! Responses decoded by the generated clients keep prost's INTERNAL: a reply
//! a client cannot parse is not the client's fault.

use std::marker::PhantomData;
use std::sync::LazyLock;

use prost::bytes::{Buf, Bytes};
use prost::{Message, Name};
use prost_reflect::{DescriptorPool, DynamicMessage, MapKey, Value};
use tonic::Status;
use tonic::codec::{DecodeBuf, Decoder};

/// Most characters of a map key quoted in an error.
const MAX_QUOTED_KEY_CHARS: usize = 40;

/// Codec named by build.rs (`codec_path`) for every service and client.
#[derive(Debug, Clone)]
pub struct Codec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for Codec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> tonic::codec::Codec for Codec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Name + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = tonic_prost::ProstEncoder<T>;
    type Decoder = CheckedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        tonic_prost::ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        CheckedDecoder(PhantomData)
    }
}

/// Decodes `U` with prost; for request messages, maps decode errors to
/// INVALID_ARGUMENT and refuses NUL in strings.
#[derive(Debug, Clone, Default)]
pub struct CheckedDecoder<U>(PhantomData<U>);

impl<U: Message + Default + Name> Decoder for CheckedDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        // A split of the receive buffer, not a copy.
        decode_checked(buf.copy_to_bytes(buf.remaining())).map(Some)
    }
}

/// `U` decoded from `bytes`, with the checks of [`CheckedDecoder`].
fn decode_checked<U: Message + Default + Name>(bytes: Bytes) -> Result<U, Status> {
    // Servers decode requests (buf STANDARD names them `*Request`);
    // clients decode responses and stream items. The name is built only
    // off the common path (it allocates).
    let item = U::decode(bytes.clone()).map_err(|error| {
        let name = U::full_name();
        if name.ends_with("Request") {
            Status::invalid_argument(format!("the request is not a valid {name}: {error}"))
        } else {
            Status::internal(error.to_string())
        }
    })?;
    if bytes.contains(&0) {
        let name = U::full_name();
        if name.ends_with("Request")
            && let Some(field) = nul_field(&name, bytes)
        {
            return Err(Status::invalid_argument(format!(
                "{field}: must not contain the NUL character (U+0000)"
            )));
        }
    }
    Ok(item)
}

/// The descriptors of the public API; the replicas' internal messages are not
/// in it and are not checked (their senders are our own servers, which
/// checked the request they forward).
static POOL: LazyLock<Option<DescriptorPool>> =
    LazyLock::new(|| DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).ok());

/// The path of the first string field (or map key) of message `name` encoded
/// in `bytes` that holds a NUL, e.g. `alerts[2].labels["env"]`.
fn nul_field(name: &str, bytes: Bytes) -> Option<String> {
    let descriptor = POOL.as_ref()?.get_message_by_name(name)?;
    let message = DynamicMessage::decode(descriptor, bytes).ok()?;
    message_nul(&message, "")
}

fn message_nul(message: &DynamicMessage, prefix: &str) -> Option<String> {
    message.fields().find_map(|(field, value)| {
        let path = if prefix.is_empty() {
            field.name().to_owned()
        } else {
            format!("{prefix}.{}", field.name())
        };
        value_nul(value, &path)
    })
}

fn value_nul(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(text) => text.contains('\0').then(|| path.to_owned()),
        Value::Message(message) => message_nul(message, path),
        Value::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, item)| value_nul(item, &format!("{path}[{index}]"))),
        Value::Map(entries) => entries.iter().find_map(|(key, item)| {
            let quoted = match key {
                MapKey::String(key) => {
                    let shown: String = key.chars().take(MAX_QUOTED_KEY_CHARS).collect();
                    if key.contains('\0') {
                        return Some(format!("{path} key {shown:?}"));
                    }
                    format!("{shown:?}")
                }
                other => format!("{other:?}"),
            };
            value_nul(item, &format!("{path}[{quoted}]"))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::v1;

    fn decode<U: Message + Default + Name>(bytes: &[u8]) -> Result<U, Status> {
        decode_checked(Bytes::copy_from_slice(bytes))
    }

    fn batch(message: &str, label: (&str, &str)) -> Vec<u8> {
        v1::IngestAlertsRequest {
            alerts: vec![
                v1::AlertInput::default(),
                v1::AlertInput {
                    message: message.into(),
                    labels: [(label.0.to_owned(), label.1.to_owned())].into(),
                    ..Default::default()
                },
            ],
        }
        .encode_to_vec()
    }

    #[test]
    fn a_nul_in_a_nested_string_is_refused_by_path() {
        let status = decode::<v1::IngestAlertsRequest>(&batch("disk\0full", ("env", "prod")))
            .expect_err("NUL refused");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(
            status.message(),
            "alerts[1].message: must not contain the NUL character (U+0000)"
        );
        let status = decode::<v1::IngestAlertsRequest>(&batch("ok", ("env", "pr\0d")))
            .expect_err("NUL refused");
        assert_eq!(
            status.message(),
            "alerts[1].labels[\"env\"]: must not contain the NUL character (U+0000)"
        );
        let status = decode::<v1::IngestAlertsRequest>(&batch("ok", ("e\0nv", "prod")))
            .expect_err("NUL refused");
        assert!(
            status.message().starts_with("alerts[1].labels key "),
            "{}",
            status.message()
        );
    }

    #[test]
    fn zero_bytes_without_nul_strings_decode() {
        // An empty alert encodes as a zero length: the check runs and finds nothing.
        let bytes = batch("disk full", ("env", "prod"));
        assert!(bytes.contains(&0));
        let request = decode::<v1::IngestAlertsRequest>(&bytes).expect("valid");
        assert_eq!(request.alerts[1].message, "disk full");
    }

    #[test]
    fn malformed_requests_are_invalid_arguments_and_responses_internal() {
        let mut bytes = batch("disk full", ("env", "prod"));
        bytes.truncate(bytes.len() - 2);
        let status = decode::<v1::IngestAlertsRequest>(&bytes).expect_err("truncated");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert!(
            status
                .message()
                .starts_with("the request is not a valid alertwhisperer.v1.IngestAlertsRequest"),
            "{}",
            status.message()
        );
        // Field 4 (message), length 2, invalid UTF-8.
        let status =
            decode::<v1::AlertInput>(&[0x22, 0x02, 0xc3, 0x28]).expect_err("invalid UTF-8");
        assert_eq!(status.code(), tonic::Code::Internal);
        let status = decode::<v1::IngestAlertRequest>(&[0x0a, 0x04, 0x22, 0x02, 0xc3, 0x28])
            .expect_err("invalid UTF-8");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
    }
}
