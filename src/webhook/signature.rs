//! HMAC signatures of webhook deliveries.
//!
//! A signed delivery carries `X-Timestamp: <unix seconds>` and
//! `X-Signature: sha256=<hex>`, the HMAC-SHA256 with the company's secret of
//! `"{X-Timestamp}.{raw body}"`, over the body's bytes exactly as received.
//! [`verify`] checks the headers against up to two active secrets (a rotation
//! overlaps the old and the new one); refusing a replayed signature is the
//! caller's job, with [`Verified::signature`] as the record.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Name of the header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-signature";

/// Name of the header that carries the signing time.
pub const TIMESTAMP_HEADER: &str = "x-timestamp";

/// The only scheme of `X-Signature`.
const SCHEME_PREFIX: &str = "sha256=";

/// Length of an HMAC-SHA256 tag in bytes.
const TAG_LEN: usize = 32;

/// Why a signed delivery was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A signature header is absent (or empty).
    #[error("{header} header is missing")]
    Missing {
        /// The header's name.
        header: &'static str,
    },
    /// A signature header is not in its format.
    #[error("{header} header is malformed: {reason}")]
    Malformed {
        /// The header's name.
        header: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `X-Timestamp` is outside the tolerance around the server's clock.
    #[error("signature timestamp is outside the allowed window")]
    Expired,
    /// No active secret produces this signature.
    #[error("signature does not match")]
    Mismatch,
}

impl SignatureError {
    /// The failed check as one word for responses, logs and metrics:
    /// "missing", "malformed", "expired" or "mismatch".
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::Missing { .. } => "missing",
            SignatureError::Malformed { .. } => "malformed",
            SignatureError::Expired => "expired",
            SignatureError::Mismatch => "mismatch",
        }
    }
}

/// A parsed `X-Signature` value: the HMAC-SHA256 tag.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SignatureHeader {
    tag: [u8; TAG_LEN],
}

impl SignatureHeader {
    /// The 32 bytes of the tag.
    pub fn tag(&self) -> &[u8; TAG_LEN] {
        &self.tag
    }
}

impl std::fmt::Debug for SignatureHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SignatureHeader({SCHEME_PREFIX}{})",
            hex::encode(self.tag)
        )
    }
}

/// A parsed `X-Timestamp` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampHeader {
    /// The signing time, Unix seconds.
    pub unix_seconds: i64,
    /// The digits as sent: the signed string starts with them.
    text: String,
}

/// A delivery whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signing time, Unix seconds (from `X-Timestamp`).
    pub timestamp: i64,
    /// The verified tag, the key of the replay record.
    pub signature: [u8; TAG_LEN],
    /// Which of the given secrets matched (0 or 1 during a rotation).
    pub secret_index: usize,
}

impl Verified {
    /// The verified tag in lowercase hex.
    pub fn signature_hex(&self) -> String {
        hex::encode(self.signature)
    }
}

/// Parses an `X-Signature` value, `sha256=<64 hex digits>` (scheme and hex
/// case-insensitive, surrounding whitespace ignored).
pub fn parse_signature_header(value: Option<&[u8]>) -> Result<SignatureHeader, SignatureError> {
    const HEADER: &str = "X-Signature";
    let text = header_text(HEADER, value)?;
    let digits = text
        .get(..SCHEME_PREFIX.len())
        .filter(|scheme| scheme.eq_ignore_ascii_case(SCHEME_PREFIX))
        .and_then(|_| text.get(SCHEME_PREFIX.len()..))
        .ok_or(SignatureError::Malformed {
            header: HEADER,
            reason: "expected sha256=<hex>",
        })?;
    let mut tag = [0; TAG_LEN];
    hex::decode_to_slice(digits, &mut tag).map_err(|_| SignatureError::Malformed {
        header: HEADER,
        reason: "expected 64 hexadecimal digits after sha256=",
    })?;
    Ok(SignatureHeader { tag })
}

/// Parses an `X-Timestamp` value: Unix seconds, decimal digits only.
pub fn parse_timestamp_header(value: Option<&[u8]>) -> Result<TimestampHeader, SignatureError> {
    const HEADER: &str = "X-Timestamp";
    let text = header_text(HEADER, value)?;
    let malformed = SignatureError::Malformed {
        header: HEADER,
        reason: "expected Unix seconds",
    };
    if text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed);
    }
    let unix_seconds = text.parse().map_err(|_| malformed)?;
    Ok(TimestampHeader {
        unix_seconds,
        text: text.to_owned(),
    })
}

fn header_text<'a>(
    header: &'static str,
    value: Option<&'a [u8]>,
) -> Result<&'a str, SignatureError> {
    let value = value.ok_or(SignatureError::Missing { header })?;
    let text = std::str::from_utf8(value)
        .map_err(|_| SignatureError::Malformed {
            header,
            reason: "not ASCII",
        })?
        .trim();
    if text.is_empty() {
        return Err(SignatureError::Missing { header });
    }
    Ok(text)
}

/// Verifies a signed delivery: both headers present and well-formed, the
/// timestamp within `tolerance_secs` of `now_unix` either way, and the
/// HMAC-SHA256 of `"{timestamp}.{raw_body}"` under one of `secrets` equal to
/// the signature, compared in constant time. Every secret is tried, so the
/// time taken does not tell which one matched.
pub fn verify(
    secrets: &[&[u8]],
    timestamp_header: Option<&[u8]>,
    signature_header: Option<&[u8]>,
    raw_body: &[u8],
    now_unix: i64,
    tolerance_secs: u64,
) -> Result<Verified, SignatureError> {
    let timestamp = parse_timestamp_header(timestamp_header)?;
    let signature = parse_signature_header(signature_header)?;
    if now_unix.abs_diff(timestamp.unix_seconds) > tolerance_secs {
        return Err(SignatureError::Expired);
    }
    let mut matched: Option<usize> = None;
    for (index, secret) in secrets.iter().enumerate() {
        let expected = tag(secret, timestamp.text.as_bytes(), raw_body);
        if bool::from(expected.ct_eq(&signature.tag)) && matched.is_none() {
            matched = Some(index);
        }
    }
    let secret_index = matched.ok_or(SignatureError::Mismatch)?;
    Ok(Verified {
        timestamp: timestamp.unix_seconds,
        signature: signature.tag,
        secret_index,
    })
}

/// The `X-Signature` value for `body` signed with `secret` at `timestamp`
/// (Unix seconds, sent as `X-Timestamp`): `sha256=<hex>`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = tag(secret, timestamp.to_string().as_bytes(), body);
    format!("{SCHEME_PREFIX}{}", hex::encode(tag))
}

fn tag(secret: &[u8], timestamp: &[u8], body: &[u8]) -> [u8; TAG_LEN] {
    // HMAC takes keys of any length, so this cannot fail; an empty tag would
    // simply never match.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return [0; TAG_LEN];
    };
    mac.update(timestamp);
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_714_564_800;
    const BODY: &[u8] = br#"{"asset_name":"web-01","signature":"disk_full"}"#;

    fn headers(secret: &[u8], timestamp: i64, body: &[u8]) -> (String, String) {
        (timestamp.to_string(), sign(secret, timestamp, body))
    }

    fn check(
        secrets: &[&[u8]],
        (timestamp, signature): &(String, String),
        body: &[u8],
    ) -> Result<Verified, SignatureError> {
        verify(
            secrets,
            Some(timestamp.as_bytes()),
            Some(signature.as_bytes()),
            body,
            NOW,
            300,
        )
    }

    #[test]
    fn signs_like_the_documented_scheme() {
        // python3 -c 'import hmac, hashlib;
        //   print(hmac.new(b"whsec_test", b"1714564800.{\"a\":1}", hashlib.sha256).hexdigest())'
        assert_eq!(
            sign(b"whsec_test", NOW, br#"{"a":1}"#),
            "sha256=929103466b442d258ec65ed32917b1967f5f18fff7e139d49da93027d2ffcc3f"
        );
    }

    #[test]
    fn accepts_a_fresh_signature_from_either_secret() {
        let signed = headers(b"new-secret", NOW - 299, BODY);
        let verified = check(&[b"old-secret", b"new-secret"], &signed, BODY).unwrap();
        assert_eq!(verified.secret_index, 1);
        assert_eq!(verified.timestamp, NOW - 299);
        assert_eq!(format!("sha256={}", verified.signature_hex()), signed.1);

        let signed = headers(b"old-secret", NOW + 300, BODY);
        let verified = check(&[b"old-secret", b"new-secret"], &signed, BODY).unwrap();
        assert_eq!(verified.secret_index, 0);
    }

    #[test]
    fn refuses_tampered_stale_and_unsigned_deliveries() {
        let signed = headers(b"secret", NOW, BODY);
        assert_eq!(
            check(&[b"secret"], &signed, b"{}"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(&[b"other"], &signed, BODY),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(check(&[], &signed, BODY), Err(SignatureError::Mismatch));
        // The timestamp is signed: moving it breaks the signature.
        let moved = (NOW.to_string(), headers(b"secret", NOW - 1, BODY).1);
        assert_eq!(
            check(&[b"secret"], &moved, BODY),
            Err(SignatureError::Mismatch)
        );
        for stale in [NOW - 301, NOW + 301, 0] {
            assert_eq!(
                check(&[b"secret"], &headers(b"secret", stale, BODY), BODY),
                Err(SignatureError::Expired)
            );
        }
        let missing = verify(&[b"s"], None, Some(b"sha256=00"), BODY, NOW, 300).unwrap_err();
        assert_eq!(missing.reason(), "missing");
        assert_eq!(missing.to_string(), "X-Timestamp header is missing");
        let missing = verify(&[b"s"], Some(b"1"), Some(b"  "), BODY, NOW, 300).unwrap_err();
        assert_eq!(
            missing,
            SignatureError::Missing {
                header: "X-Signature"
            }
        );
    }

    #[test]
    fn parses_the_signature_header() {
        let hex64 = "ab".repeat(32);
        let parsed = parse_signature_header(Some(format!(" SHA256={hex64} ").as_bytes())).unwrap();
        assert_eq!(parsed.tag(), &[0xab; 32]);
        assert_eq!(
            parse_signature_header(Some(hex64.to_uppercase().as_bytes())).map(|_| ()),
            Err(SignatureError::Malformed {
                header: "X-Signature",
                reason: "expected sha256=<hex>"
            })
        );
        for bad in [
            format!("sha1={hex64}"),
            format!("sha256={}", "ab".repeat(31)),
            format!("sha256={}zz", "ab".repeat(31)),
            format!("sha256={hex64},sha256={hex64}"),
            "sha256=".to_owned(),
            "é".to_owned(),
        ] {
            let error = parse_signature_header(Some(bad.as_bytes())).unwrap_err();
            assert_eq!(error.reason(), "malformed", "{bad}");
        }
        assert_eq!(
            parse_signature_header(Some(b"\xff\xfe"))
                .unwrap_err()
                .reason(),
            "malformed"
        );
    }

    #[test]
    fn parses_the_timestamp_header() {
        assert_eq!(
            parse_timestamp_header(Some(b" 1714564800 "))
                .unwrap()
                .unix_seconds,
            NOW
        );
        for bad in [
            &b"-5"[..],
            b"+5",
            b"1.5",
            b"1e9",
            b"9999999999999999999",
            b"now",
        ] {
            assert_eq!(
                parse_timestamp_header(Some(bad)).unwrap_err().reason(),
                "malformed"
            );
        }
        assert_eq!(
            parse_timestamp_header(None).unwrap_err().reason(),
            "missing"
        );
    }

    #[test]
    fn reasons_are_stable_words() {
        assert_eq!(SignatureError::Expired.reason(), "expired");
        assert_eq!(SignatureError::Mismatch.reason(), "mismatch");
    }

    proptest! {
        #[test]
        fn header_parsers_never_panic(value in prop::collection::vec(any::<u8>(), 0..100)) {
            let _ = parse_signature_header(Some(&value));
            let _ = parse_timestamp_header(Some(&value));
        }

        #[test]
        fn verify_never_panics(
            timestamp in prop::option::of("[ 0-9a-z+\\-.]{0,24}"),
            signature in prop::option::of("(sha256=|SHA256=)?[0-9a-fA-F=é]{0,70}"),
            body in prop::collection::vec(any::<u8>(), 0..64),
            now in any::<i64>(),
            tolerance in any::<u64>(),
        ) {
            let _ = verify(
                &[b"a", b"b"],
                timestamp.as_deref().map(str::as_bytes),
                signature.as_deref().map(str::as_bytes),
                &body,
                now,
                tolerance,
            );
        }

        #[test]
        fn what_is_signed_verifies(
            secret in prop::collection::vec(any::<u8>(), 0..80),
            body in prop::collection::vec(any::<u8>(), 0..256),
            skew in -300_i64..=300,
        ) {
            let signed = headers(&secret, NOW + skew, &body);
            prop_assert!(check(&[&secret], &signed, &body).is_ok());
            let mut tampered = body.clone();
            tampered.push(b' ');
            prop_assert_eq!(check(&[&secret], &signed, &tampered), Err(SignatureError::Mismatch));
        }
    }
}
