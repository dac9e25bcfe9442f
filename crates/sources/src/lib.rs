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
mod ident;
pub mod kinds;
mod opml;
mod state;
mod text;

pub use dates::parse_lenient as parse_date;
pub use error::SourceError;
pub use fetch::{Fetched, Fetcher, MAX_REDIRECTS};
pub use ident::{canonical_url, id_for_guid, id_for_link};
pub use kinds::feed::parse_feed;
pub use kinds::html::parse_forum_page;
pub use kinds::reviews::parse_reviews;
pub use opml::{OpmlFeed, parse_opml};
pub use state::{SourceState, Validators};
pub use text::html_to_text;

use chrono::Utc;
use repmon_config::Source;
use repmon_model::{Document, SourceKind};

/// What one poll of one source brought in.
#[derive(Debug)]
pub struct PollOutcome {
    /// New or changed documents (a document seen before comes again with the same id).
    pub documents: Vec<Document>,
    /// HTTP requests made, redirects included.
    pub requests: usize,
    /// Of those, how many were answered 304 Not Modified.
    pub not_modified: usize,
    /// What to hand to the next poll of this source.
    pub state: SourceState,
}

/// Polls one source once. Never panics; on error the caller keeps the old
/// state, so nothing is skipped: the next poll asks for the same things again.
pub async fn poll(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
) -> Result<PollOutcome, SourceError> {
    let now = Utc::now();
    match source.kind {
        SourceKind::Feed => kinds::feed::poll(fetcher, source, state, now).await,
        SourceKind::Html => kinds::html::poll(fetcher, source, state, now).await,
        SourceKind::Reviews => kinds::reviews::poll(fetcher, source, state, now).await,
        SourceKind::Mastodon => kinds::mastodon::poll(fetcher, source, state, now).await,
    }
}
