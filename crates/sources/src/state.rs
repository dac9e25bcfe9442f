//! What a source remembers from one poll to the next.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a source remembers between polls: HTTP validators per URL, where an
/// html page's next page was, mastodon's newest status per timeline, ...
///
/// Opaque to the daemon, which stores it as JSON; every field has a default
/// so state written by an older version still loads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceState {
    /// Per fetched URL: its validators and what was learned from its body.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) pages: BTreeMap<String, PageState>,
    /// mastodon: per timeline (`tag:x`, `account:y`), the newest status id seen.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) since: BTreeMap<String, String>,
    /// mastodon: account ids found by lookup, so an account costs one request per poll.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) account_ids: BTreeMap<String, String>,
    /// Where the source moved to after a permanent redirect (301/308).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) moved: Option<Moved>,
    /// mastodon: the statuses read lately, oldest first, so that a reply in
    /// a later poll is linked to the document it answers and its thread.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) statuses: Vec<KnownStatus>,
}

/// A status read before: the instance's id for it and what repmon calls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KnownStatus {
    /// The instance's status id.
    pub status: String,
    /// The document id the status got.
    pub doc: String,
    /// The document id of its conversation's first status as far as known.
    pub thread: String,
}

/// A permanent move of a source's URL, remembered so later polls go
/// straight to the new place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Moved {
    /// The URL as configured when the move was seen: a user who edits the
    /// config's URL starts afresh instead of being sent to the old move.
    pub from: String,
    /// Where the server said the source now lives.
    pub to: String,
}

/// What is remembered about one URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PageState {
    #[serde(default, skip_serializing_if = "Validators::is_empty", flatten)]
    pub validators: Validators,
    /// html: the next page's URL, so a page that answers 304 can still be
    /// followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// html: how many posts the page held, so positions on later pages stay
    /// right when this one answers 304.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posts: Option<u32>,
}

/// The HTTP validators of one response, echoed on the next request to the same URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    /// The `ETag` header, exactly as sent (weak prefix and quotes kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The `Last-Modified` header, exactly as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

impl SourceState {
    /// The validators remembered for `url`, if any.
    pub fn validators(&self, url: &str) -> Option<&Validators> {
        self.pages
            .get(url)
            .map(|p| &p.validators)
            .filter(|v| !v.is_empty())
    }

    /// The newest status id seen on a mastodon timeline (`tag:NAME` or `account:ACCT`).
    pub fn since_id(&self, timeline: &str) -> Option<&str> {
        self.since.get(timeline).map(String::as_str)
    }

    /// True when nothing is remembered (a source never polled successfully).
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
            && self.since.is_empty()
            && self.account_ids.is_empty()
            && self.moved.is_none()
            && self.statuses.is_empty()
    }

    /// Where a source configured at `configured_url` is polled now: the URL
    /// a permanent redirect moved it to, if one did (and the config still
    /// names the URL that was moved).
    pub fn moved_to(&self, configured_url: &str) -> Option<&str> {
        self.moved
            .as_ref()
            .filter(|m| m.from == configured_url)
            .map(|m| m.to.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_and_tolerates_missing_fields() {
        let mut s = SourceState::default();
        s.pages.insert(
            "https://a.example/feed".into(),
            PageState {
                validators: Validators {
                    etag: Some("W/\"x\"".into()),
                    last_modified: None,
                },
                next: None,
                posts: Some(3),
            },
        );
        s.since.insert("tag:zon".into(), "1100".into());
        let json = serde_json::to_string(&s).unwrap();
        let back: SourceState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert_eq!(
            back.validators("https://a.example/feed")
                .unwrap()
                .etag
                .as_deref(),
            Some("W/\"x\"")
        );
        let empty: SourceState = serde_json::from_str("{}").unwrap();
        assert!(empty.is_empty());
    }
}
