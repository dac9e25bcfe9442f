//! `html` sources: forum and board pages read with CSS selectors.
//!
//! A source is one thread (or board) URL; its `next` links are followed up
//! to [`MAX_PAGES`] pages. Each page's validators, next link and post count
//! are remembered, so an unchanged page costs a 304 and later pages still
//! get the right positions in the thread.

use super::{resolve, source_url};
use crate::PollOutcome;
use crate::dates::parse_lenient_in;
use crate::decode::{Markup, decode};
use crate::error::{SourceError, one_line};
use crate::fetch::{ACCEPT_HTML, Fetcher};
use crate::ident::{canonical_url, id_for_link};
use crate::state::{PageState, SourceState};
use crate::text::{MAX_NESTING, check_nesting, collapse_whitespace, element_text};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use repmon_config::Source;
use repmon_model::{Document, SourceKind};
use scraper::{ElementRef, Html, Selector};
use std::collections::HashSet;
use url::Url;

/// At most this many pages of one thread are read per poll.
pub const MAX_PAGES: usize = 10;

/// The source's selectors, compiled once per poll.
struct Selectors {
    item: Selector,
    body: Selector,
    author: Option<Selector>,
    date: Option<Selector>,
    link: Option<Selector>,
    next: Option<Selector>,
    title: Selector,
}

impl Selectors {
    fn compile(source: &Source) -> Result<Selectors, SourceError> {
        let one = |key: &str, css: &Option<String>| -> Result<Option<Selector>, SourceError> {
            match css.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                None => Ok(None),
                Some(css) => Selector::parse(css)
                    .map(Some)
                    .map_err(|e| SourceError::Config {
                        source_id: source.id.clone(),
                        cause: format!("{key} = {css:?} is not a CSS selector: {}", one_line(e)),
                    }),
            }
        };
        let required = |key: &str, css: &Option<String>| {
            one(key, css)?.ok_or_else(|| SourceError::Config {
                source_id: source.id.clone(),
                cause: format!("an html source needs a CSS selector for {key}"),
            })
        };
        Ok(Selectors {
            item: required("item", &source.item)?,
            body: required("body", &source.body)?,
            author: one("author", &source.author)?,
            date: one("date", &source.date)?,
            link: one("link", &source.link)?,
            next: one("next", &source.next)?,
            title: Selector::parse("title").map_err(|e| SourceError::Config {
                source_id: source.id.clone(),
                cause: one_line(e),
            })?,
        })
    }
}

/// The posts found on one page.
#[derive(Debug)]
pub struct ForumPage {
    /// One document per post that has text.
    pub documents: Vec<Document>,
    /// Posts on the page (with or without text), for the positions on the next page.
    pub posts: u32,
    /// The next page, when the source has a `next` selector and the page a link.
    pub next: Option<Url>,
}

pub(crate) async fn poll(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
    now: DateTime<Utc>,
) -> Result<PollOutcome, SourceError> {
    let selectors = Selectors::compile(source)?;
    let first = source_url(source)?;
    let thread = first.to_string();
    let mut out = PollOutcome::default();
    let mut seen = HashSet::new();
    let mut page_url = first.clone();
    let mut before = 0u32; // posts on the pages before this one
    for page_no in 0..MAX_PAGES {
        seen.insert(page_url.to_string());
        let remembered = state.pages.get(page_url.as_str());
        let fetched = fetcher
            .get_page(&page_url, ACCEPT_HTML, remembered.map(|p| &p.validators))
            .await?;
        out.requests += fetched.requests;
        if page_no == 0 {
            out.moved_to = fetched.moved_permanently.as_ref().map(Url::to_string);
        }
        let (posts, next) = if fetched.not_modified {
            out.not_modified += 1;
            let r = remembered.cloned().unwrap_or_default();
            (
                r.posts.unwrap_or(0),
                r.next.and_then(|n| Url::parse(&n).ok()),
            )
        } else {
            let text = decode(&fetched.body, fetched.content_type.as_deref(), Markup::Html);
            let page = read_page(
                &text,
                &fetched.url,
                &thread,
                before + 1,
                source,
                &selectors,
                now,
            )?;
            if page_no == 0 && page.posts == 0 {
                return Err(SourceError::BadContent {
                    url: fetched.url.to_string(),
                    cause: format!(
                        "no element on the page matches the item selector {:?} (has the page changed?)",
                        source.item.as_deref().unwrap_or("")
                    ),
                });
            }
            out.documents.extend(page.documents);
            (page.posts, page.next)
        };
        out.state.pages.insert(
            page_url.to_string(),
            PageState {
                validators: fetched.validators,
                next: next.as_ref().map(Url::to_string),
                posts: Some(posts),
            },
        );
        before = before.saturating_add(posts);
        match next {
            Some(n) if !seen.contains(n.as_str()) => page_url = n,
            _ => break,
        }
    }
    Ok(out)
}

/// Reads the posts of one forum page with the source's selectors.
///
/// `page_url` is where the page was fetched (links resolve against it),
/// `thread` the thread's first page, and `first_position` the place in the
/// thread of this page's first post (1 on the first page).
pub fn parse_forum_page(
    html: &str,
    page_url: &Url,
    thread: &str,
    first_position: u32,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<ForumPage, SourceError> {
    let selectors = Selectors::compile(source)?;
    read_page(
        html,
        page_url,
        thread,
        first_position,
        source,
        &selectors,
        now,
    )
}

fn read_page(
    html: &str,
    page_url: &Url,
    thread: &str,
    first_position: u32,
    source: &Source,
    sel: &Selectors,
    now: DateTime<Utc>,
) -> Result<ForumPage, SourceError> {
    refuse_deep_pages(html, page_url)?;
    let doc = Html::parse_document(html);
    let title = doc
        .select(&sel.title)
        .next()
        .map(|t| collapse_whitespace(&t.text().collect::<String>()))
        .unwrap_or_default();
    let lang = doc
        .root_element()
        .attr("lang")
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    // Forums mostly write local times without a zone.
    let zone = source.zone();
    let mut documents = Vec::new();
    let mut posts = 0u32;
    for item in doc.select(&sel.item) {
        let position = first_position.saturating_add(posts);
        posts = posts.saturating_add(1);
        let body = joined_text(item, &sel.body);
        if body.is_empty() {
            continue;
        }
        let author = sel
            .author
            .as_ref()
            .and_then(|s| item.select(s).next())
            .map(element_text)
            .map(|a| collapse_whitespace(&a))
            .filter(|a| !a.is_empty());
        let published = sel
            .date
            .as_ref()
            .and_then(|s| item.select(s).next())
            .and_then(|el| post_time(el, zone))
            .unwrap_or(now);
        let link = sel
            .link
            .as_ref()
            .and_then(|s| item.select(s).next())
            .and_then(|a| a.attr("href"))
            .and_then(|href| resolve(page_url, href))
            .map(|u| canonical_url(&u))
            .unwrap_or_else(|| {
                let mut u = page_url.clone();
                u.set_fragment(Some(&format!("post-{position}")));
                u
            });
        documents.push(Document {
            title: title.clone(),
            author,
            first_seen: now,
            lang_hint: lang.clone(),
            thread: Some(thread.to_string()),
            position: Some(position),
            ..Document::new(
                id_for_link(&link),
                source.id.clone(),
                SourceKind::Html,
                link,
                body,
                published,
            )
        });
    }
    let next = sel
        .next
        .as_ref()
        .and_then(|s| doc.select(s).find_map(|a| a.attr("href")))
        .and_then(|href| resolve(page_url, href))
        .filter(|n| n != page_url);
    Ok(ForumPage {
        documents,
        posts,
        next,
    })
}

/// Refuses a page nested so deeply that building its tree would take minutes.
pub(crate) fn refuse_deep_pages(html: &str, url: &Url) -> Result<(), SourceError> {
    check_nesting(html).map_err(|depth| SourceError::BadContent {
        url: url.to_string(),
        cause: format!(
            "the page nests elements {depth} deep (more than {MAX_NESTING}); not reading it"
        ),
    })
}

/// The text of every element matching `sel` inside `item`, one per line
/// (a post body split over several elements is read whole).
fn joined_text(item: ElementRef<'_>, sel: &Selector) -> String {
    let mut out = String::new();
    for part in item.select(sel) {
        let t = element_text(part);
        if t.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&t);
    }
    out
}

/// A post's time: the `datetime` attribute (as `<time>` has), else the
/// `title` attribute (forums put the full time in a tooltip), else the text.
fn post_time(el: ElementRef<'_>, zone: Tz) -> Option<DateTime<Utc>> {
    el.attr("datetime")
        .and_then(|t| parse_lenient_in(t, zone))
        .or_else(|| el.attr("title").and_then(|t| parse_lenient_in(t, zone)))
        .or_else(|| parse_lenient_in(&element_text(el), zone))
}
