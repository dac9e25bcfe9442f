//! Small readings of HTTP that more than one stage needs, so a source poll
//! and a webhook delivery agree on what a server asked for.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long a `Retry-After` header asks to wait, read as whole seconds
/// (`120`) or as an HTTP date relative to `now`; None for anything else.
/// A date already past is a wait of zero, never negative. Not capped: each
/// caller decides how long it is willing to wait.
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // An HTTP date (IMF-fixdate, "Wed, 21 Oct 2015 07:28:00 GMT") is RFC 2822 shaped.
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.with_timezone(&Utc) - now).to_std().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = at("2026-11-22T12:00:00Z");
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Sun, 22 Nov 2026 12:30:00 GMT", now),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(
            retry_after("Sun, 22 Nov 2026 12:01:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        // A date already past means "now", not a negative wait.
        assert_eq!(
            retry_after("Sun, 22 Nov 2026 11:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("", now), None);
    }
}
