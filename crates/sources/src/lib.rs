//! The intake of repmon: fetch what the configured sources publish and turn
//! it into [`Document`]s — plain text, HTML stripped, with stable ids.
//!
//! One [`Fetcher`] is shared by every source so that politeness (per-host
//! concurrency and spacing, time limits, body caps) holds across all of
//! them. [`poll`] reads one source once; what it needs to remember for the
//! next time (HTTP validators, mastodon's newest status, ...) comes back as
//! a [`SourceState`] the daemon stores and hands back on the next poll.
//!
//! The four kinds live in [`kinds`]: `feed` (RSS, Atom, JSON Feed), `html`
//! (forum pages read with CSS selectors), `reviews` (schema.org Review and
//! AggregateRating in JSON-LD or microdata) and `mastodon` (public hashtag
//! and account timelines).

mod dates;
mod decode;
mod error;
mod fetch;
mod fingerprint;
mod ident;
pub mod kinds;
mod opml;
mod robots;
mod state;
mod text;

pub use dates::{parse_lenient as parse_date, parse_lenient_in as parse_date_in};
pub use error::SourceError;
pub use fetch::{Fetched, Fetcher, MAX_REDIRECTS, ROBOTS_TTL};
pub use fingerprint::{
    MAX_COPY_DISTANCE, MIN_FINGERPRINT_WORDS, distance, fingerprint, text_fingerprint,
};
pub use ident::{canonical_url, id_for_guid, id_for_link};
pub use kinds::feed::{advertised_feeds, discover_feeds, parse_feed};
pub use kinds::html::parse_forum_page;
pub use kinds::reviews::parse_reviews;
pub use opml::{OpmlFeed, parse_opml, write_opml};
pub use robots::{ROBOTS_TOKEN, Robots};
pub use state::{SourceState, Validators};
pub use text::html_to_text;

use chrono::Utc;
use repmon_config::Source;
use repmon_model::{Document, SourceKind};

/// What one poll of one source brought in.
#[derive(Debug, Default)]
pub struct PollOutcome {
    /// New or changed documents (a document seen before comes again with the same id).
    pub documents: Vec<Document>,
    /// HTTP requests made, redirects included.
    pub requests: usize,
    /// Of those, how many were answered 304 Not Modified.
    pub not_modified: usize,
    /// What to hand to the next poll of this source.
    pub state: SourceState,
    /// Set on the poll that found the source moved (its URL answered 301 or
    /// 308): the new URL, which later polls use. Not repeated afterwards.
    pub moved_to: Option<String>,
    /// Parts of the source that failed while others worked (a mastodon
    /// timeline), each in one line naming the part and the cause. The
    /// documents of the parts that worked are in `documents`, and a failed
    /// part is asked again from where it stood on the next poll.
    pub partial_errors: Vec<String>,
}

/// Polls one source once. Never panics; on error the caller keeps the old
/// state, so nothing is skipped: the next poll asks for the same things again.
///
/// A source that moved permanently (301/308) is polled at its new URL from
/// then on, as long as the config still names the URL that moved.
pub async fn poll(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
) -> Result<PollOutcome, SourceError> {
    let now = Utc::now();
    let moved = state
        .moved
        .as_ref()
        .filter(|m| m.from == source.url)
        .cloned();
    // Only a moved source pays for a copy of its settings.
    let relocated;
    let effective = match &moved {
        Some(m) => {
            relocated = Source {
                url: m.to.clone(),
                ..source.clone()
            };
            &relocated
        }
        None => source,
    };
    let mut outcome = match source.kind {
        SourceKind::Feed => kinds::feed::poll(fetcher, effective, state, now).await,
        SourceKind::Html => kinds::html::poll(fetcher, effective, state, now).await,
        SourceKind::Reviews => kinds::reviews::poll(fetcher, effective, state, now).await,
        SourceKind::Mastodon => kinds::mastodon::poll(fetcher, effective, state, now).await,
    }?;
    outcome.state.moved = match outcome.moved_to.as_ref() {
        Some(to) => Some(state::Moved {
            from: source.url.clone(),
            to: to.clone(),
        }),
        None => moved,
    };
    Ok(outcome)
}
