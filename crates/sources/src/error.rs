//! What can go wrong while reading a source, told so a user can act on it.

use chrono::{DateTime, Utc};
use std::fmt;
use std::time::Duration;

/// Why a poll (or an OPML import) failed. Every message is one line that
/// starts with the URL concerned, then the cause in plain words.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The server answered with a status that is neither success nor 304.
    /// A `Retry-After` it sent is quoted, so a user sees when it is tried again.
    #[error("{url}: answered {status}{}", retry_note(.retry_after.as_deref()))]
    Status {
        url: String,
        /// Code and reason, e.g. `500 Internal Server Error`.
        status: String,
        /// The code alone, for callers that decide on it (backoff, retiring a source).
        code: u16,
        /// The `Retry-After` header as sent, if any.
        retry_after: Option<String>,
    },
    /// No complete answer within `poll.timeout`.
    #[error("{url}: timed out after {after}")]
    Timeout { url: String, after: String },
    /// The (decompressed) body grew past `poll.max_body`.
    #[error("{url}: body is larger than the {limit} limit (poll.max_body)")]
    TooLarge { url: String, limit: String },
    /// Too many redirects in a row; usually a loop.
    #[error("{url}: redirected more than {limit} times (a redirect loop?)")]
    TooManyRedirects { url: String, limit: usize },
    /// The host's robots.txt asks repmon not to fetch this page (html and
    /// reviews sources).
    #[error("{url}: disallowed by robots.txt")]
    Disallowed { url: String },
    /// The connection could not be made: refused, DNS failure, TLS, ...
    #[error("{url}: cannot connect: {cause}")]
    Connect { url: String, cause: String },
    /// Any other transport failure (reset mid-body, broken compression, ...).
    #[error("{url}: request failed: {cause}")]
    Request { url: String, cause: String },
    /// The answer is something other than a feed (an HTML page, an image, ...).
    #[error("{url}: not a feed: {reason}")]
    NotAFeed { url: String, reason: String },
    /// The answer looks like a feed but cannot be parsed.
    #[error("{url}: the feed cannot be read: {cause}")]
    BadFeed { url: String, cause: String },
    /// A page (html or reviews source) or an API answer (mastodon) that does
    /// not hold what the source expects.
    #[error("{url}: {cause}")]
    BadContent { url: String, cause: String },
    /// A URL in the config or in a redirect that cannot be used.
    #[error("{url}: not a usable URL: {cause}")]
    BadUrl { url: String, cause: String },
    /// The source's settings cannot work (a selector that does not parse, ...).
    #[error("source {source_id}: {cause}")]
    Config { source_id: String, cause: String },
    /// An OPML file that cannot be read.
    #[error("not a usable OPML file: {0}")]
    Opml(String),
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

impl SourceError {
    /// The HTTP status code, when the server answered with an error status.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            Self::Status { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the server said the source is gone for good (410 Gone): the
    /// source should be retired rather than polled again.
    pub fn is_gone(&self) -> bool {
        self.status_code() == Some(410)
    }

    /// How long the server asked us to wait (`Retry-After` on a 429 or 503),
    /// read as seconds or as an HTTP date relative to `now`; None when it
    /// sent none or something unreadable. Not capped: the caller decides how
    /// long it is willing to wait.
    pub fn retry_after(&self, now: DateTime<Utc>) -> Option<Duration> {
        let Self::Status {
            retry_after: Some(value),
            ..
        } = self
        else {
            return None;
        };
        repmon_model::http::retry_after(value, now)
    }

    /// Whether trying again later may help (network trouble, 5xx, 429), as
    /// opposed to a problem someone must fix (404, not a feed, bad selector).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Status { code, .. } => *code >= 500 || *code == 429 || *code == 408,
            Self::Timeout { .. } | Self::Connect { .. } | Self::Request { .. } => true,
            _ => false,
        }
    }
}

/// `; the server asks to wait 120 s (Retry-After)` for a `Retry-After` as the
/// server sent it (seconds or an HTTP date); nothing without one.
fn retry_note(retry_after: Option<&str>) -> String {
    match retry_after.map(str::trim) {
        None | Some("") => String::new(),
        Some(secs) if secs.parse::<u64>().is_ok() => {
            format!("; the server asks to wait {secs} s (Retry-After)")
        }
        Some(date) => format!(
            "; the server asks to wait until {} (Retry-After)",
            one_line(date)
        ),
    }
}

/// Text from a library or a server squeezed onto one line, so every error
/// message stays one line however the cause was worded.
pub(crate) fn one_line(text: impl fmt::Display) -> String {
    let s = text.to_string();
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    const MAX: usize = 300;
    if out.len() > MAX {
        let cut = (0..=MAX)
            .rev()
            .find(|&i| out.is_char_boundary(i))
            .unwrap_or(0);
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// A size the way a user wrote it in the config: `8 MiB`, `512 KiB`, `1000 bytes`.
pub(crate) fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    const KIB: u64 = 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        assert_eq!(one_line("a\n  b\tc "), "a b c");
        let long = "x".repeat(1000);
        assert!(one_line(&long).chars().count() <= 301);
    }

    #[test]
    fn sizes_read_like_the_config() {
        assert_eq!(human_size(8 * 1024 * 1024), "8 MiB");
        assert_eq!(human_size(512 * 1024), "512 KiB");
        assert_eq!(human_size(1000), "1000 bytes");
    }

    #[test]
    fn display_starts_with_the_url() {
        let e = SourceError::Status {
            url: "https://x.example/feed".into(),
            status: "500 Internal Server Error".into(),
            code: 500,
            retry_after: None,
        };
        assert_eq!(
            e.to_string(),
            "https://x.example/feed: answered 500 Internal Server Error"
        );
        assert!(e.is_transient());
        assert!(!e.is_gone());
        assert_eq!(e.retry_after(Utc::now()), None);
    }

    fn status(code: u16, retry_after: Option<&str>) -> SourceError {
        SourceError::Status {
            url: "https://x.example/feed".into(),
            status: code.to_string(),
            code,
            retry_after: retry_after.map(str::to_string),
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            status(429, Some(" 120 ")).retry_after(now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            status(503, Some("Sun, 22 Nov 2026 12:30:00 GMT")).retry_after(now),
            Some(Duration::from_secs(1800))
        );
        // A date already past means "now", not a negative wait.
        assert_eq!(
            status(503, Some("Sun, 22 Nov 2026 11:00:00 GMT")).retry_after(now),
            Some(Duration::ZERO)
        );
        assert_eq!(status(429, Some("soon")).retry_after(now), None);
        // The message quotes the wait, so `repmon poll` tells the user.
        assert_eq!(
            status(429, Some(" 120 ")).to_string(),
            "https://x.example/feed: answered 429; the server asks to wait 120 s (Retry-After)"
        );
        assert_eq!(
            status(503, Some("Sun, 22 Nov 2026 12:30:00 GMT")).to_string(),
            "https://x.example/feed: answered 503; the server asks to wait until Sun, 22 Nov 2026 12:30:00 GMT (Retry-After)"
        );
        assert_eq!(status(429, None).retry_after(now), None);
        assert!(status(410, None).is_gone());
    }
}
