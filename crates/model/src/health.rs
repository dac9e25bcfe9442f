//! How a source has been doing, as the daemon remembers it across restarts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The health of one source as stored by the daemon (state store, table
/// `sources`, key = source id), so it survives restarts and every output
/// (`repmon check`, the API, the web page) can show it.
///
/// Every field has a default so a record written by an older version loads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SourceHealthRecord {
    /// Poll attempts ever made, failed ones included.
    pub polls: u64,
    /// When the last poll ran, whatever its outcome.
    pub last_poll: Option<DateTime<Utc>>,
    /// When a poll last succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// The error of the most recent failed poll, kept after a later success
    /// so an operator can still see what went wrong last.
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed polls since the last success; 0 when the source is healthy.
    pub consecutive_failures: u32,
    /// Documents new to this source, over all polls.
    pub documents_seen: u64,
    /// When the daemon means to poll the source next.
    pub next_poll: Option<DateTime<Utc>>,
    /// The server asked (429/503 `Retry-After`) not to be polled before this time.
    pub retry_after: Option<DateTime<Utc>>,
    /// The URL the source is polled at after a permanent redirect (301/308).
    pub moved_to: Option<String>,
    /// Set when the server answered 410 Gone: the source is no longer polled.
    pub retired: Option<Retired>,
}

/// Why and when a source stopped being polled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retired {
    pub at: DateTime<Utc>,
    /// The URL that answered 410 Gone; a source whose configured URL is
    /// changed by the user is polled again.
    pub url: String,
    /// One line a user can act on.
    pub reason: String,
}

impl SourceHealthRecord {
    /// A word for the source's state: `retired`, `failing`, `ok` or `not polled yet`.
    pub fn status(&self) -> &'static str {
        if self.retired.is_some() {
            "retired"
        } else if self.last_poll.is_none() {
            "not polled yet"
        } else if self.consecutive_failures > 0 {
            "failing"
        } else {
            "ok"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words() {
        let mut h = SourceHealthRecord::default();
        assert_eq!(h.status(), "not polled yet");
        h.last_poll = Some(Utc::now());
        assert_eq!(h.status(), "ok");
        h.consecutive_failures = 2;
        assert_eq!(h.status(), "failing");
        h.retired = Some(Retired {
            at: Utc::now(),
            url: "https://x.example/feed".into(),
            reason: "answered 410 Gone".into(),
        });
        assert_eq!(h.status(), "retired");
    }
}
