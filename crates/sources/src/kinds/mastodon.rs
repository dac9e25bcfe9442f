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
use crate::state::{PageState, SourceState};
use crate::text::{collapse_whitespace, html_to_text};
use chrono::{DateTime, Utc};
use repmon_config::Source;
use repmon_model::{Document, SourceKind};
use serde::{Deserialize, Deserializer};
use std::cmp::Ordering;
use std::collections::HashSet;
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

pub(crate) async fn poll(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
    now: DateTime<Utc>,
) -> Result<PollOutcome, SourceError> {
    let base = source_url(source)?;
    let mut out = PollOutcome {
        documents: Vec::new(),
        requests: 0,
        not_modified: 0,
        state: SourceState::default(),
        moved_to: None,
    };
    let mut seen_ids = HashSet::new();

    for tag in &source.tags {
        let tag = tag.trim().trim_start_matches('#');
        if tag.is_empty() {
            continue;
        }
        let url = api_url(&base, &["timelines", "tag", tag]);
        read_timeline(
            fetcher,
            source,
            state,
            &format!("tag:{tag}"),
            url,
            now,
            &mut out,
            &mut seen_ids,
        )
        .await?;
    }
    for acct in &source.accounts {
        let acct = acct.trim().trim_start_matches('@');
        if acct.is_empty() {
            continue;
        }
        let account_id = match state.account_ids.get(acct) {
            Some(id) => id.clone(),
            None => lookup_account(fetcher, &base, acct, &mut out).await?,
        };
        out.state
            .account_ids
            .insert(acct.to_string(), account_id.clone());
        let url = api_url(&base, &["accounts", &account_id, "statuses"]);
        read_timeline(
            fetcher,
            source,
            state,
            &format!("account:{acct}"),
            url,
            now,
            &mut out,
            &mut seen_ids,
        )
        .await?;
    }
    Ok(out)
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
    endpoint: Url,
    now: DateTime<Utc>,
    out: &mut PollOutcome,
    seen_ids: &mut HashSet<String>,
) -> Result<(), SourceError> {
    let since = state.since.get(timeline).cloned();
    let mut newest = since.clone();
    let page_url = |max_id: Option<&str>| {
        let mut u = endpoint.clone();
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("limit", &PAGE_SIZE.to_string());
            if let Some(s) = &since {
                q.append_pair("since_id", s);
            }
            if let Some(m) = max_id {
                q.append_pair("max_id", m);
            }
        }
        u
    };
    let first = page_url(None);
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
            out.state.pages.insert(
                first.to_string(),
                PageState {
                    validators: fetched.validators.clone(),
                    ..PageState::default()
                },
            );
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
            let doc = status_document(status, &fetched.url, source, now);
            if seen_ids.insert(doc.id.clone()) {
                out.documents.push(doc);
            }
        }
        // A short page is the last one; so is one with nothing new on it.
        let Some(oldest) = oldest else { break };
        if count < PAGE_SIZE {
            break;
        }
        let max_id = next_max_id(&fetched).unwrap_or(oldest);
        url = page_url(Some(&max_id));
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
    Document {
        id,
        source: source.id.clone(),
        kind: SourceKind::Mastodon,
        url,
        title: s
            .spoiler_text
            .as_deref()
            .map(collapse_whitespace)
            .unwrap_or_default(),
        body: s.content.as_deref().map(html_to_text).unwrap_or_default(),
        author,
        published,
        first_seen: now,
        lang_hint: s.language.filter(|l| !l.trim().is_empty()),
        thread: None,
        in_reply_to: s.in_reply_to_id,
        position: None,
        rating: None,
        about: None,
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
