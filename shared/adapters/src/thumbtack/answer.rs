//! Thumbtack's answers as every version of its API reads them: accepted (2xx), retryable
//! ([`SendError::Transient`]: 429, 408, 5xx, and requests that got no answer) or permanent
//! ([`SendError::Permanent`]: any other answer, with an excerpt of its body). A version that
//! reads some answers otherwise (v4's 202 is a challenge, not a delivery; its error bodies are
//! RFC 7807 with a `traceID`) decides those first, and hands the rest to [`classify`] or asks
//! [`transient`] which are worth trying again.

use app::ports::{Accepted, SendError};
use app::replies::MAX_REDELIVERY_DELAY;
use reqwest::header::RETRY_AFTER;
use std::time::{Duration, SystemTime};

/// How much of an error answer is kept (in the ledger, never in logs).
const EXCERPT_CHARS: usize = 200;

/// The answer to a send: accepted, or why not.
pub async fn classify(response: reqwest::Response) -> Result<Accepted, SendError> {
    let status = response.status();
    if status.is_success() {
        return Ok(Accepted::legacy(status.as_u16()));
    }
    if let Some(transient) = transient(&response) {
        return Err(transient);
    }
    let body = response.bytes().await.unwrap_or_default();
    Err(SendError::Permanent {
        status: status.as_u16(),
        excerpt: excerpt(&body),
    })
}

/// The error for an answer worth trying again later (429, 408, 5xx), with its `Retry-After`;
/// `None` for any other. Apart from [`classify`], for a version that reads its error bodies itself.
pub fn transient(response: &reqwest::Response) -> Option<SendError> {
    let status = response.status();
    let code = status.as_u16();
    if !(code == 429 || code == 408 || status.is_server_error()) {
        return None;
    }
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_retry_after);
    Some(SendError::Transient {
        status: Some(code),
        retry_after,
        detail: format!("Thumbtack answered {code}"),
    })
}

/// A request that got no answer: it may succeed later.
pub(super) fn transport_error(error: reqwest::Error) -> SendError {
    let detail = if error.is_timeout() {
        "timed out waiting for Thumbtack".to_owned()
    } else if error.is_connect() {
        "could not connect to Thumbtack".to_owned()
    } else {
        format!("request to Thumbtack failed: {}", error.without_url())
    };
    SendError::Transient {
        status: None,
        retry_after: None,
        detail,
    }
}

/// `Retry-After` is either delay-seconds or an HTTP date (RFC 9110). Clamped to SQS's longest
/// visibility timeout: a longer wait cannot be expressed as a redelivery delay anyway.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let when = httpdate::parse_http_date(value).ok()?;
            when.duration_since(SystemTime::now()).unwrap_or_default()
        }
    };
    Some(wait.min(MAX_REDELIVERY_DELAY))
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut excerpt: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXCERPT_CHARS)
        .collect();
    if text.chars().count() > EXCERPT_CHARS {
        excerpt.push('…');
    }
    excerpt.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
        let parsed = parse_retry_after(&in_a_minute).unwrap();
        assert!(parsed > Duration::from_secs(55) && parsed <= Duration::from_secs(60));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn a_retry_after_beyond_twelve_hours_is_clamped_to_sqs_longest_visibility_timeout() {
        let twelve_hours = Some(Duration::from_secs(12 * 3600));
        assert_eq!(parse_retry_after("18446744073709551615"), twelve_hours);
        assert_eq!(parse_retry_after("43201"), twelve_hours);
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"),
            twelve_hours
        );
        assert_eq!(parse_retry_after("43200"), twelve_hours, "the limit itself");
    }

    #[test]
    fn excerpts_are_short_and_single_line() {
        let long = format!("error:\n{}", "x".repeat(500));
        let excerpt = excerpt(long.as_bytes());
        assert!(!excerpt.contains('\n'));
        assert_eq!(excerpt.chars().count(), EXCERPT_CHARS + 1);
    }
}
