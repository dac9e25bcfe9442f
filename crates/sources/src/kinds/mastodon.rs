//! `mastodon` sources: public hashtag and account timelines of a
//! Mastodon-compatible instance, through its REST API.
//!
//! Per timeline the newest status id seen is remembered and sent as
//! `since_id`, so each poll asks only for what is new. When more is new
//! than one page holds, older pages are read with `max_id` (from the `Link`
//! header when the instance sends one) up to [`MAX_PAGES`] pages.

use super::source_url;
use crate::PollOutcome;
use crate::error::{SourceError, one_line};
use crate::fetch::{ACCEPT_JSON, Fetched, Fetcher};
use crate::ident::{canonical_url, id_for_guid, id_for_link};
use crate::state::{KnownStatus, PageState, SourceState};
use crate::text::{collapse_whitespace, html_to_text};
use chrono::{DateTime, Utc};
use repmon_config::Source;
use repmon_model::{Document, SourceKind};
use serde::{Deserialize, Deserializer};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use url::Url;

/// At most this many pages of one timeline are read per poll.
pub const MAX_PAGES: usize = 5;
/// Statuses asked for per page (Mastodon's maximum for these endpoints).
pub const PAGE_SIZE: usize = 40;

/// A status as the API returns it; only what becomes a document.
#[derive(Debug, Deserialize)]
pub struct Status {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default, deserialize_with = "opt_id_text")]
    pub in_reply_to_id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub spoiler_text: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub account: Option<Account>,
    #[serde(default)]
    pub reblog: Option<Box<Status>>,
}

/// The author of a status.
#[derive(Debug, Deserialize)]
pub struct Account {
    #[serde(default, deserialize_with = "opt_id_text")]
    pub id: Option<String>,
    /// `user` for local accounts, `user@domain` for remote ones.
    #[serde(default)]
    pub acct: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

/// Instances send ids as strings; some servers of the family send numbers.
fn id_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "an id must be a string, not {other}"
        ))),
    }
}

fn opt_id_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Status ids are ordered numbers written as text (or, on some servers,
/// fixed-width sortable strings): a longer id is a newer one.
fn id_order(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// At most this many statuses that a reply answers, and that were not read
/// before, are asked for one by one per poll (to link the reply to them).
pub const MAX_PARENT_LOOKUPS: usize = 10;
/// How many statuses a source remembers (id → document) to link later replies.
const REMEMBERED_STATUSES: usize = 2_000;

/// A document of this poll and where it sits in its conversation.
struct Link {
    /// Index in the poll's documents.
    doc: usize,
    /// The instance's id for the status.
    status: String,
    /// The instance's id for the status it answers.
    parent: Option<String>,
}

pub(crate) async fn poll(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
    now: DateTime<Utc>,
) -> Result<PollOutcome, SourceError> {
    let base = source_url(source)?;
    let mut out = PollOutcome::default();
    let mut read = Read::default();
    // One failing timeline must not cost the others their statuses: each
    // failure is kept, and the source fails only when every timeline did.
    let mut failures: Vec<(String, SourceError)> = Vec::new();
    let mut worked = 0usize;

    // Tags first, then accounts, each timeline in the order the config lists it.
    enum Of {
        Tag,
        Account,
    }
    let tags = source
        .tags
        .iter()
        .map(|t| (Of::Tag, t.trim().trim_start_matches('#')));
    let accounts = source
        .accounts
        .iter()
        .map(|a| (Of::Account, a.trim().trim_start_matches('@')));
    for (of, name) in tags.chain(accounts) {
        if name.is_empty() {
            continue;
        }
        let (part, timeline, url) = match of {
            Of::Tag => {
                let url = api_url(&base, &["timelines", "tag", name]);
                (format!("timeline #{name}"), format!("tag:{name}"), url)
            }
            Of::Account => {
                let part = format!("timeline @{name}");
                let account_id = match state.account_ids.get(name) {
                    Some(id) => id.clone(),
                    None => match lookup_account(fetcher, &base, name, &mut out).await {
                        Ok(id) => id,
                        Err(e) => {
                            failures.push((part, e));
                            continue;
                        }
                    },
                };
                out.state
                    .account_ids
                    .insert(name.to_string(), account_id.clone());
                let url = api_url(&base, &["accounts", &account_id, "statuses"]);
                (part, format!("account:{name}"), url)
            }
        };
        match read_timeline(
            fetcher, source, state, &timeline, &url, now, &mut out, &mut read,
        )
        .await
        {
            Ok(()) => worked += 1,
            Err(e) => {
                keep_timeline_state(state, &timeline, &url, &mut out.state);
                failures.push((part, e));
            }
        }
    }
    if worked == 0 && !failures.is_empty() {
        // Nothing worked: the source as a whole failed, and its error keeps
        // what the caller needs (Retry-After, 410 Gone, ...).
        return Err(failures.swap_remove(0).1);
    }
    for (part, e) in failures {
        out.partial_errors.push(format!("{part} failed: {e}"));
    }
    link_threads(fetcher, &base, source, state, now, &mut out, read).await;
    Ok(out)
}

/// What a poll has read so far.
#[derive(Default)]
struct Read {
    /// Document ids already in the outcome (a status on two timelines counts once).
    ids: HashSet<String>,
    links: Vec<Link>,
}

/// A failed timeline is asked again from where it stood: its cursor and
/// its first page's validators stay as they were.
fn keep_timeline_state(
    state: &SourceState,
    timeline: &str,
    endpoint: &Url,
    next: &mut SourceState,
) {
    let since = state.since.get(timeline);
    if let Some(s) = since {
        next.since.insert(timeline.to_string(), s.clone());
    }
    let first = timeline_page(endpoint, since.map(String::as_str), None);
    if let Some(p) = state.pages.get(first.as_str()) {
        next.pages.insert(first.to_string(), p.clone());
    }
}

/// A timeline page: the newest statuses after `since`, before `max_id`.
fn timeline_page(endpoint: &Url, since: Option<&str>, max_id: Option<&str>) -> Url {
    let mut u = endpoint.clone();
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("limit", &PAGE_SIZE.to_string());
        if let Some(s) = since {
            q.append_pair("since_id", s);
        }
        if let Some(m) = max_id {
            q.append_pair("max_id", m);
        }
    }
    u
}

/// Sets every status document's `in_reply_to` and `thread` to repmon
/// document ids, the way the monitor's webcare reads conversations: a status
/// that answers none starts its own thread (its own id); a reply answers its
/// parent's document and shares the parent's thread. Parents come from this
/// poll, from the statuses remembered from earlier polls, or (up to
/// [`MAX_PARENT_LOOKUPS`]) are asked for; an asked-for parent becomes a
/// document too (the complaint a company's account answered may carry no
/// followed hashtag). A reply whose parent cannot be had starts the thread
/// as far as it can be seen, and answers nothing known.
async fn link_threads(
    fetcher: &Fetcher,
    base: &Url,
    source: &Source,
    state: &SourceState,
    now: DateTime<Utc>,
    out: &mut PollOutcome,
    mut read: Read,
) {
    let mut known: HashMap<String, (String, String)> = state
        .statuses
        .iter()
        .map(|k| (k.status.clone(), (k.doc.clone(), k.thread.clone())))
        .collect();
    for l in &read.links {
        known.remove(&l.status); // read again now: linked afresh below
    }
    // Parents nobody has seen: ask for a few, newest replies first.
    let mut asked = 0usize;
    let mut wanted: Vec<String> = Vec::new();
    for l in &read.links {
        if let Some(p) = &l.parent
            && !known.contains_key(p)
            && !read.links.iter().any(|o| &o.status == p)
            && !wanted.contains(p)
        {
            wanted.push(p.clone());
        }
    }
    wanted.sort_by(|a, b| id_order(b, a));
    for parent in wanted {
        if asked == MAX_PARENT_LOOKUPS {
            break;
        }
        asked += 1;
        let url = api_url(base, &["statuses", &parent]);
        let status: Status = match fetcher.get(&url, ACCEPT_JSON, None).await {
            Ok(fetched) => {
                out.requests += fetched.requests;
                match parse_json(&fetched, "a status") {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!(source = %source.id, "cannot read the status a reply answers: {e}");
                        continue;
                    }
                }
            }
            Err(e) => {
                out.requests += 1; // the failed request was made all the same
                // Deleted or private: the reply stays unlinked, the poll is fine.
                tracing::debug!(source = %source.id, "cannot fetch the status a reply answers: {e}");
                continue;
            }
        };
        let (status_id, grandparent) = conversation_ids(&status);
        let doc = status_document(status, &url, source, now);
        if read.ids.insert(doc.id.clone()) {
            out.documents.push(doc);
            read.links.push(Link {
                doc: out.documents.len() - 1,
                status: status_id,
                parent: grandparent,
            });
        }
    }

    // Parents before replies: status ids grow with time.
    read.links.sort_by(|a, b| id_order(&a.status, &b.status));
    for l in &read.links {
        let doc = &mut out.documents[l.doc];
        let (in_reply_to, thread) = match &l.parent {
            None => (None, Some(doc.id.clone())),
            Some(p) => match known.get(p) {
                Some((parent_doc, parent_thread)) => {
                    (Some(parent_doc.clone()), Some(parent_thread.clone()))
                }
                // The answered status cannot be had (deleted, private, or
                // beyond the lookups): the conversation as far as it can be
                // seen starts here.
                None => (None, Some(doc.id.clone())),
            },
        };
        doc.in_reply_to = in_reply_to;
        doc.thread = thread;
        if let Some(t) = &doc.thread {
            known.insert(l.status.clone(), (doc.id.clone(), t.clone()));
        }
    }

    // Remember the newest statuses for the next polls, oldest first.
    let mut remembered: Vec<KnownStatus> = state
        .statuses
        .iter()
        .filter(|k| !read.links.iter().any(|l| l.status == k.status))
        .cloned()
        .collect();
    for l in &read.links {
        let doc = &out.documents[l.doc];
        if let Some(thread) = &doc.thread {
            remembered.push(KnownStatus {
                status: l.status.clone(),
                doc: doc.id.clone(),
                thread: thread.clone(),
            });
        }
    }
    remembered.sort_by(|a, b| id_order(&a.status, &b.status));
    let excess = remembered.len().saturating_sub(REMEMBERED_STATUSES);
    remembered.drain(..excess);
    out.state.statuses = remembered;
}

/// The instance's id of the status a status stands for (a reblog stands for
/// the status it shares) and of the status that one answers.
fn conversation_ids(status: &Status) -> (String, Option<String>) {
    let s = status.reblog.as_deref().unwrap_or(status);
    (s.id.clone(), s.in_reply_to_id.clone())
}

/// `{instance}/api/v1/...`, each part percent-encoded as one path segment.
fn api_url(base: &Url, parts: &[&str]) -> Url {
    let mut u = base.clone();
    u.set_query(None);
    u.set_fragment(None);
    if let Ok(mut segs) = u.path_segments_mut() {
        segs.pop_if_empty().push("api").push("v1").extend(parts);
    }
    u
}

async fn lookup_account(
    fetcher: &Fetcher,
    base: &Url,
    acct: &str,
    out: &mut PollOutcome,
) -> Result<String, SourceError> {
    let mut url = api_url(base, &["accounts", "lookup"]);
    url.query_pairs_mut().append_pair("acct", acct);
    let fetched = match fetcher.get(&url, ACCEPT_JSON, None).await {
        Err(SourceError::Status { code: 404, .. }) => {
            return Err(SourceError::BadContent {
                url: url.to_string(),
                cause: format!(
                    "the instance knows no account @{acct} (check accounts in the source)"
                ),
            });
        }
        other => other?,
    };
    out.requests += fetched.requests;
    let account: Account = parse_json(&fetched, "an account")?;
    account.id.ok_or_else(|| SourceError::BadContent {
        url: url.to_string(),
        cause: format!("the account lookup for @{acct} returned no id"),
    })
}

#[allow(clippy::too_many_arguments)]
async fn read_timeline(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
    timeline: &str,
    endpoint: &Url,
    now: DateTime<Utc>,
    out: &mut PollOutcome,
    read: &mut Read,
) -> Result<(), SourceError> {
    let since = state.since.get(timeline).cloned();
    let mut newest = since.clone();
    let first = timeline_page(endpoint, since.as_deref(), None);
    let mut first_page: Option<PageState> = None;
    let mut url = first.clone();
    for page in 0..MAX_PAGES {
        // Only the first page's URL recurs from poll to poll, so only its
        // validators are worth keeping.
        let validators = if page == 0 {
            state.validators(first.as_str())
        } else {
            None
        };
        let fetched = fetcher.get(&url, ACCEPT_JSON, validators).await?;
        out.requests += fetched.requests;
        if page == 0 {
            first_page = Some(PageState {
                validators: fetched.validators.clone(),
                ..PageState::default()
            });
        }
        if fetched.not_modified {
            out.not_modified += 1;
            break;
        }
        let statuses: Vec<Status> = parse_json(&fetched, "a list of statuses")?;
        let count = statuses.len();
        let mut oldest: Option<String> = None;
        for status in statuses {
            if since
                .as_deref()
                .is_some_and(|s| id_order(&status.id, s) != Ordering::Greater)
            {
                continue; // an instance that ignores since_id: skip what was already read
            }
            if newest
                .as_deref()
                .is_none_or(|n| id_order(&status.id, n) == Ordering::Greater)
            {
                newest = Some(status.id.clone());
            }
            if oldest
                .as_deref()
                .is_none_or(|o| id_order(&status.id, o) == Ordering::Less)
            {
                oldest = Some(status.id.clone());
            }
            let (status_id, parent) = conversation_ids(&status);
            let doc = status_document(status, &fetched.url, source, now);
            if read.ids.insert(doc.id.clone()) {
                out.documents.push(doc);
                read.links.push(Link {
                    doc: out.documents.len() - 1,
                    status: status_id,
                    parent,
                });
            }
        }
        // A short page is the last one; so is one with nothing new on it.
        let Some(oldest) = oldest else { break };
        if count < PAGE_SIZE {
            break;
        }
        let max_id = next_max_id(&fetched).unwrap_or(oldest);
        url = timeline_page(endpoint, since.as_deref(), Some(&max_id));
    }
    // Saved only now: a timeline that failed half-way is asked again in full.
    if let Some(p) = first_page {
        out.state.pages.insert(first.to_string(), p);
    }
    if let Some(n) = newest {
        out.state.since.insert(timeline.to_string(), n);
    }
    Ok(())
}

/// `max_id` of the `Link: <...>; rel="next"` header, when the instance sends one.
fn next_max_id(fetched: &Fetched) -> Option<String> {
    let link = fetched.headers.get(reqwest::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        if !params
            .split(';')
            .any(|p| p.trim().trim_start_matches("rel=").trim_matches('"') == "next")
        {
            return None;
        }
        let u = Url::parse(target.trim().trim_start_matches('<').trim_end_matches('>')).ok()?;
        u.query_pairs()
            .find(|(k, _)| k == "max_id")
            .map(|(_, v)| v.into_owned())
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(
    fetched: &Fetched,
    what: &str,
) -> Result<T, SourceError> {
    serde_json::from_slice(&fetched.body).map_err(|e| SourceError::BadContent {
        url: fetched.url.to_string(),
        cause: format!("the answer is not {what}: {}", one_line(e)),
    })
}

/// A status as a document; a reblog stands for the status it shares.
///
/// `thread` and `in_reply_to` are left empty: they are document ids, which
/// only a poll that knows the conversation's other statuses can set.
pub fn status_document(
    status: Status,
    api_url: &Url,
    source: &Source,
    now: DateTime<Utc>,
) -> Document {
    let s = match status.reblog {
        Some(original) => *original,
        None => status,
    };
    let link = [s.url.as_deref(), s.uri.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|u| {
            Url::parse(u.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
        })
        .map(|u| canonical_url(&u));
    let (id, url) = match link {
        Some(l) => (id_for_link(&l), l.to_string()),
        None => {
            let host = api_url.host_str().unwrap_or("");
            (
                id_for_guid(&source.id, &format!("{host}/{}", s.id)),
                api_url.to_string(),
            )
        }
    };
    let author = s
        .account
        .as_ref()
        .and_then(|a| a.acct.as_deref().or(a.username.as_deref()))
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    let published = s
        .created_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
        .map_or(now, |t| t.with_timezone(&Utc));
    let body = s.content.as_deref().map(html_to_text).unwrap_or_default();
    Document {
        title: s
            .spoiler_text
            .as_deref()
            .map(collapse_whitespace)
            .unwrap_or_default(),
        author,
        first_seen: now,
        lang_hint: s.language.filter(|l| !l.trim().is_empty()),
        ..Document::new(
            id,
            source.id.clone(),
            SourceKind::Mastodon,
            url,
            body,
            published,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_order_numerically() {
        assert_eq!(id_order("99", "100"), Ordering::Less);
        assert_eq!(id_order("110", "109"), Ordering::Greater);
        assert_eq!(id_order("5", "5"), Ordering::Equal);
    }

    #[test]
    fn api_urls_are_built_under_the_instance() {
        let base = Url::parse("https://social.example/").unwrap();
        assert_eq!(
            api_url(&base, &["timelines", "tag", "zon energie"]).as_str(),
            "https://social.example/api/v1/timelines/tag/zon%20energie"
        );
        let sub = Url::parse("https://x.example/masto").unwrap();
        assert_eq!(
            api_url(&sub, &["accounts", "lookup"]).as_str(),
            "https://x.example/masto/api/v1/accounts/lookup"
        );
    }
}
