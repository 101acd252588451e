//! The deadline of the request being served, for the calls it makes on: a
//! request forwarded to another replica keeps its caller's deadline. The
//! gRPC layer sets it from `grpc-timeout`; without one (webhooks, the
//! server's own tasks) a request may take [`DEFAULT`].

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How long a request without a deadline of its own may take to be decided
/// (forwarded and, when the owner is down, taken over).
pub const DEFAULT: Duration = Duration::from_secs(30);

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `future` with `deadline` as the deadline of what it calls.
pub async fn within<F: Future>(deadline: Option<Instant>, future: F) -> F::Output {
    match deadline {
        Some(deadline) => DEADLINE.scope(deadline, future).await,
        None => future.await,
    }
}

/// The deadline of the request being served, or [`DEFAULT`] from now.
pub fn current() -> Instant {
    DEADLINE
        .try_with(|deadline| *deadline)
        .unwrap_or_else(|_| Instant::now() + DEFAULT)
}

/// A `grpc-timeout` header's value (`<digits><unit>`, units `H M S m u n`).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.checked_mul(3600)?),
        "M" => Duration::from_secs(amount.checked_mul(60)?),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_as_the_spec_writes_them() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout("100000000S"), None, "at most 8 digits");
        assert_eq!(parse_grpc_timeout("5s"), None);
        assert_eq!(parse_grpc_timeout("S"), None);
        assert_eq!(parse_grpc_timeout(""), None);
    }

    #[tokio::test]
    async fn a_deadline_reaches_what_the_request_calls() {
        let at = Instant::now() + Duration::from_secs(3);
        let seen = within(Some(at), async { current() }).await;
        assert_eq!(seen, at);
        let default = current();
        assert!(default > Instant::now() + DEFAULT - Duration::from_secs(1));
    }
}
