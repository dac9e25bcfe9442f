//! One module per source kind. Each has an async `poll` (fetch, remember
//! validators) and a sync parser that turns a fetched body into documents,
//! so parsing can be tested and benchmarked without a network.

pub mod feed;
pub mod html;
pub mod mastodon;
pub mod reviews;

use crate::PollOutcome;
use crate::error::{SourceError, one_line};
use crate::fetch::{Fetched, Fetcher};
use crate::state::{PageState, SourceState};
use repmon_config::Source;
use repmon_model::Document;
use url::Url;

/// Polls a source that is a single page (a feed, a review page): fetches it
/// with the validators of the last poll, as a web page that robots.txt
/// governs when `web_page`, and has `read` turn it into documents unless it
/// is unchanged.
pub(crate) async fn poll_one_page(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
    web_page: bool,
    accept: &str,
    read: impl FnOnce(&Fetched) -> Result<Vec<Document>, SourceError>,
) -> Result<PollOutcome, SourceError> {
    let url = source_url(source)?;
    let validators = state.validators(url.as_str());
    let fetched = if web_page {
        fetcher.get_page(&url, accept, validators).await?
    } else {
        fetcher.get(&url, accept, validators).await?
    };
    let documents = if fetched.not_modified {
        Vec::new()
    } else {
        read(&fetched)?
    };
    Ok(one_page_outcome(&url, fetched, documents))
}

/// The outcome of a source that is a single page (a feed, a review page):
/// its documents, and that page's validators for the next poll.
pub(crate) fn one_page_outcome(
    url: &Url,
    fetched: Fetched,
    documents: Vec<Document>,
) -> PollOutcome {
    let mut next = SourceState::default();
    next.pages.insert(
        url.to_string(),
        PageState {
            validators: fetched.validators,
            ..PageState::default()
        },
    );
    PollOutcome {
        documents,
        requests: fetched.requests,
        not_modified: usize::from(fetched.not_modified),
        state: next,
        moved_to: fetched.moved_permanently.map(|u| u.to_string()),
        partial_errors: Vec::new(),
    }
}

/// The source's configured URL, parsed.
pub(crate) fn source_url(source: &Source) -> Result<Url, SourceError> {
    let url = Url::parse(source.url.trim()).map_err(|e| SourceError::BadUrl {
        url: source.url.clone(),
        cause: one_line(e),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(SourceError::BadUrl {
            url: source.url.clone(),
            cause: "only http and https URLs with a host can be polled".into(),
        });
    }
    Ok(url)
}

/// Whether a body that failed to parse as a feed is in fact a web page.
pub(crate) fn looks_like_html(text: &str, content_type: Option<&str>) -> bool {
    if content_type
        .is_some_and(|ct| mime_of(ct) == "text/html" || mime_of(ct) == "application/xhtml+xml")
    {
        return true;
    }
    let head: String = text
        .trim_start()
        .chars()
        .take(256)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.contains("<head")
        || head.contains("<body")
}

/// The media type of a Content-Type header, lower case, without parameters.
pub(crate) fn mime_of(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Resolves a link found in a document against the document's URL; only
/// http(s) results are links a reader can follow.
pub(crate) fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let u = base.join(href).ok()?;
    matches!(u.scheme(), "http" | "https").then_some(u)
}
