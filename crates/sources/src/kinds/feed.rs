//! `feed` sources: RSS 0.9x/1.0/2.0, Atom and JSON Feed, through feed-rs.

use super::{looks_like_html, mime_of, poll_one_page, resolve};
use crate::PollOutcome;
use crate::decode::{Markup, decode};
use crate::error::{SourceError, one_line};
use crate::fetch::{ACCEPT_FEED, Fetcher};
use crate::ident::{canonical_url, id_for_guid, id_for_link};
use crate::state::SourceState;
use crate::text::html_to_text;
use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed, Link, Person};
use quick_xml::events::Event;
use repmon_config::Source;
use repmon_model::{Document, SourceKind};
use std::collections::HashMap;
use url::Url;

pub(crate) async fn poll(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
    now: DateTime<Utc>,
) -> Result<PollOutcome, SourceError> {
    // Feeds are made for programs: robots.txt is not asked about them.
    poll_one_page(fetcher, source, state, false, ACCEPT_FEED, |fetched| {
        // Relative links are relative to where the feed really is, after redirects.
        parse_feed(
            &fetched.body,
            fetched.content_type.as_deref(),
            &fetched.url,
            source,
            now,
        )
    })
    .await
}

/// Parses a feed body into documents.
///
/// `bytes` are decoded first (byte order mark, `content_type`'s charset,
/// the XML declaration, else a legacy guess), so feeds in ISO-8859-1 and
/// friends read right. `base_url` is where the feed was fetched from:
/// relative links resolve against it and errors name it. Entries without a
/// published or updated time get `now`.
pub fn parse_feed(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &Url,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<Vec<Document>, SourceError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SourceError::NotAFeed {
            url: base_url.to_string(),
            reason: "the body is empty".into(),
        });
    }
    let mut text = decode(bytes, content_type, Markup::Xml);
    // RSS 0.90 is RSS 1.0's structure under another namespace, which
    // feed-rs does not know; read it as RSS 1.0.
    if text.contains(RSS_090_NS) {
        text = std::borrow::Cow::Owned(text.replace(RSS_090_NS, "http://purl.org/rss/1.0/"));
    }
    let feed = match parse_with_feed_rs(&text, base_url) {
        Ok(feed) => feed,
        // Common slips feed-rs is strict about get one repaired second try.
        Err(cause) => match repaired(&text).map(|t| parse_with_feed_rs(&t, base_url)) {
            Some(Ok(feed)) => feed,
            _ => return Err(not_a_feed(&text, content_type, base_url, cause)),
        },
    };
    let replies = if text.contains("in-reply-to") {
        replies_by_entry(&text)
    } else {
        HashMap::new()
    };
    Ok(documents(feed, &replies, base_url, source, now))
}

/// Per entry id (Atom `<id>`, RSS `<guid>`), what its `thr:in-reply-to`
/// (RFC 4685) names: the `href` of the post it answers, else its `ref`.
/// feed-rs does not keep that element, so a light second pass reads it.
/// A feed that does not read cleanly yields what was read before the fault.
fn replies_by_entry(text: &str) -> HashMap<String, String> {
    let mut reader = quick_xml::Reader::from_str(text.trim_start_matches('\u{feff}'));
    reader.config_mut().check_end_names = false;
    let mut out = HashMap::new();
    let mut in_entry = false;
    let (mut id, mut parent): (Option<String>, Option<String>) = (None, None);
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) | Event::Empty(e)
                if matches!(e.local_name().into_inner(), "entry" | "item") =>
            {
                in_entry = true;
                (id, parent) = (None, None);
            }
            Event::End(e) if matches!(e.local_name().into_inner(), "entry" | "item") => {
                if let (Some(id), Some(parent)) = (id.take(), parent.take()) {
                    out.insert(id, parent);
                }
                in_entry = false;
            }
            Event::Start(e) if in_entry && matches!(e.local_name().into_inner(), "id" | "guid") => {
                let name = e.name().into_inner().to_string();
                if let Ok(raw) = reader.read_text(quick_xml::name::QName(name.as_str())) {
                    let raw = raw.into_inner();
                    let value = quick_xml::escape::unescape(&raw)
                        .map(|v| v.trim().to_string())
                        .unwrap_or_else(|_| raw.trim().to_string());
                    id.get_or_insert(value);
                }
            }
            Event::Start(e) | Event::Empty(e)
                if in_entry && e.local_name().into_inner() == "in-reply-to" =>
            {
                let (mut href, mut reference) = (None, None);
                for attr in e.attributes().with_checks(false).flatten() {
                    let value = match attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                        Ok(v) => v.trim().to_string(),
                        Err(_) => continue,
                    };
                    match attr.key.local_name().into_inner() {
                        "href" if !value.is_empty() => href = Some(value),
                        "ref" if !value.is_empty() => reference = Some(value),
                        _ => {}
                    }
                }
                if parent.is_none() {
                    parent = href.or(reference);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

const RSS_090_NS: &str = "http://my.netscape.com/rdf/simple/0.9/";

fn parse_with_feed_rs(text: &str, base_url: &Url) -> Result<Feed, String> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base_url.as_str()))
        .build();
    // feed-rs is well fuzzed, but a panic on a stranger's bytes must not take
    // the daemon down; it becomes an ordinary "cannot read" error.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        parser.parse(text.as_bytes())
    })) {
        Ok(Ok(feed)) => Ok(feed),
        Ok(Err(e)) => Err(one_line(e)),
        Err(_) => Err("the feed parser gave up on this input".into()),
    }
}

/// Explains a parse failure: a web page or another kind of file is "not a
/// feed" (a page that names its feed says where it is); anything else is a
/// broken feed.
fn not_a_feed(text: &str, content_type: Option<&str>, url: &Url, cause: String) -> SourceError {
    if looks_like_html(text, content_type) {
        let ct = content_type
            .map(mime_of)
            .unwrap_or_else(|| "no content type".into());
        let mut reason = format!("the server sent an HTML page ({ct})");
        if let Some(feed) = advertised_feed(text, url) {
            reason.push_str(&format!("; the page names a feed at {feed}"));
        }
        return SourceError::NotAFeed {
            url: url.to_string(),
            reason,
        };
    }
    if let Some(root) = xml_root(text) {
        let local = root.rsplit(':').next().unwrap_or(root);
        if !matches!(local, "rss" | "feed" | "entry" | "RDF") {
            return SourceError::NotAFeed {
                url: url.to_string(),
                reason: format!("the document is an XML <{root}>, not RSS, Atom or JSON Feed"),
            };
        }
    }
    if let Some(ct) = content_type.map(mime_of) {
        let textual =
            ct.contains("xml") || ct.contains("json") || ct.starts_with("text/") || ct.is_empty();
        if !textual {
            return SourceError::NotAFeed {
                url: url.to_string(),
                reason: format!("the server sent {ct}"),
            };
        }
    }
    // A download cut short is the usual reason a feed stops mid-way; the
    // parsers' own words ("end of input", "EOF") do not say so plainly.
    let lower = cause.to_ascii_lowercase();
    let cause = if lower.contains("end of input") || lower.contains("eof") {
        format!("it ends before it is complete (cut off?): {cause}")
    } else {
        cause
    };
    SourceError::BadFeed {
        url: url.to_string(),
        cause,
    }
}

/// The text with the slips fixed that make feed-rs give up on otherwise
/// readable feeds: an `<rss>` root without a version it knows, and a JSON
/// Feed whose version is written as a bare number.
fn repaired(text: &str) -> Option<String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let mut v: serde_json::Value = serde_json::from_str(trimmed).ok()?;
        let version = v.get("version")?.as_str()?.trim().to_string();
        if version.starts_with("http") {
            return None;
        }
        v["version"] = serde_json::Value::String(format!("https://jsonfeed.org/version/{version}"));
        return serde_json::to_string(&v).ok();
    }
    if xml_root(text)? != "rss" {
        return None;
    }
    // The root start tag, from its '<' to its '>'.
    let start = text.find("<rss")?;
    let end = start + text[start..].find('>')?;
    let tag = &text[start..end];
    let version_at = tag.find("version");
    let version = version_at.map(|i| {
        tag[i + 7..]
            .trim_start_matches([' ', '='])
            .trim_start_matches(['"', '\''])
    });
    if version.is_some_and(|v| ["2.0", "0.91", "0.92"].iter().any(|k| v.starts_with(k))) {
        return None;
    }
    let mut fixed = String::with_capacity(text.len() + 16);
    fixed.push_str(&text[..start]);
    fixed.push_str("<rss version=\"2.0\"");
    match version_at {
        // Drop the unknown version attribute (`version="0.94"`), keep the rest.
        Some(i) => {
            let attr = &tag[i..];
            let value_end = attr
                .find(['"', '\''])
                .and_then(|q| attr[q + 1..].find(&attr[q..q + 1]).map(|e| q + e + 2))
                .unwrap_or(attr.len());
            fixed.push_str(&tag[4..i]);
            fixed.push_str(&attr[value_end..]);
        }
        None => fixed.push_str(&tag[4..]),
    }
    fixed.push_str(&text[end..]);
    Some(fixed)
}

/// The name of the root element of an XML document, if it has one.
fn xml_root(text: &str) -> Option<&str> {
    let mut rest = text.trim_start();
    // Skip the declaration, comments, processing instructions and doctype.
    while rest.starts_with("<?") || rest.starts_with("<!") {
        let end = if rest.starts_with("<!--") {
            rest.find("-->")? + 3
        } else {
            rest.find('>')? + 1
        };
        rest = rest[end..].trim_start();
    }
    let name = rest.strip_prefix('<')?;
    let end = name
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(name.len());
    let name = &name[..end];
    (!name.is_empty() && name.chars().next().is_some_and(char::is_alphabetic)).then_some(name)
}

/// The first `<link rel="alternate">` feed a web page points to.
fn advertised_feed(page: &str, base: &Url) -> Option<Url> {
    advertised_feeds(page, base)
        .into_iter()
        .next()
        .map(|(u, _)| u)
}

/// Every feed a web page points to with `<link rel="alternate">` (RSS, Atom
/// or JSON Feed), in page order, each with the link's title if it has one.
pub fn advertised_feeds(page: &str, base: &Url) -> Vec<(Url, Option<String>)> {
    if crate::text::check_nesting(page).is_err() {
        return Vec::new();
    }
    let html = scraper::Html::parse_document(page);
    let Ok(sel) = scraper::Selector::parse("link[rel~=alternate][href]") else {
        return Vec::new();
    };
    let mut out: Vec<(Url, Option<String>)> = Vec::new();
    for link in html.select(&sel) {
        let t = link.attr("type").unwrap_or("").to_ascii_lowercase();
        if !(t.contains("rss") || t.contains("atom") || t.contains("feed+json")) {
            continue;
        }
        let Some(url) = link.attr("href").and_then(|h| resolve(base, h)) else {
            continue;
        };
        if out.iter().any(|(u, _)| *u == url) {
            continue;
        }
        let title = link
            .attr("title")
            .map(html_to_text)
            .filter(|t| !t.is_empty());
        out.push((url, title));
    }
    out
}

/// What `repmon sources import` adds for a site's address: the URL itself
/// when it is a feed, else the feeds its page advertises. A page naming no
/// feed is [`SourceError::NotAFeed`], saying so.
pub async fn discover_feeds(
    fetcher: &Fetcher,
    url: &Url,
) -> Result<Vec<crate::OpmlFeed>, SourceError> {
    let fetched = fetcher.get(url, ACCEPT_FEED, None).await?;
    let text = decode(&fetched.body, fetched.content_type.as_deref(), Markup::Xml);
    if !looks_like_html(&text, fetched.content_type.as_deref()) {
        // A feed (or something broken, which parse_feed explains).
        let probe: Source = serde_json::from_value(serde_json::json!({
            "id": "discover", "kind": "feed", "url": url.as_str()
        }))
        .map_err(|e| SourceError::BadUrl {
            url: url.to_string(),
            cause: one_line(e),
        })?;
        parse_feed(
            &fetched.body,
            fetched.content_type.as_deref(),
            &fetched.url,
            &probe,
            Utc::now(),
        )?;
        return Ok(vec![crate::OpmlFeed {
            title: None,
            url: fetched.url.to_string(),
            html_url: None,
        }]);
    }
    let feeds = advertised_feeds(&text, &fetched.url);
    if feeds.is_empty() {
        return Err(SourceError::NotAFeed {
            url: fetched.url.to_string(),
            reason: "a web page that names no feed (no <link rel=\"alternate\"> to RSS, Atom or JSON Feed)".into(),
        });
    }
    Ok(feeds
        .into_iter()
        .map(|(u, title)| crate::OpmlFeed {
            title,
            url: u.to_string(),
            html_url: Some(fetched.url.to_string()),
        })
        .collect())
}

/// The article a comment is on, when its permalink says it is a comment
/// (`https://blog/post/#comment-12`, as WordPress comment feeds link them).
fn commented_article(link: &Url) -> Option<String> {
    let fragment = link.fragment()?;
    if !(fragment.starts_with("comment") || fragment.starts_with("reactie")) {
        return None;
    }
    let mut article = link.clone();
    article.set_fragment(None);
    Some(article.to_string())
}

fn documents(
    feed: Feed,
    replies: &HashMap<String, String>,
    base_url: &Url,
    source: &Source,
    now: DateTime<Utc>,
) -> Vec<Document> {
    let feed_author = feed.authors.iter().find_map(person_name);
    // Tracking parameters are dropped from permalinks, in the id and in what users see.
    let links: Vec<Option<Url>> = feed
        .entries
        .iter()
        .map(|e| entry_link(e, base_url).map(|l| canonical_url(&l)))
        .collect();
    // Some feeds point every item at the same page (the home page); the link
    // cannot tell those items apart, so they are told apart by their guid.
    let mut link_uses: HashMap<&str, usize> = HashMap::new();
    for link in links.iter().flatten() {
        *link_uses.entry(link.as_str()).or_default() += 1;
    }

    let mut out = Vec::with_capacity(feed.entries.len());
    for (entry, link) in feed.entries.iter().zip(&links) {
        let id = match link {
            Some(l) if link_uses.get(l.as_str()).copied().unwrap_or(0) < 2 => id_for_link(l),
            _ => id_for_guid(&source.id, &entry.id),
        };
        let url = match link {
            Some(l) => l.to_string(),
            // A guid that is an absolute web address is the permalink (RSS isPermaLink).
            None => match Url::parse(entry.id.trim()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => u.to_string(),
                _ => base_url.to_string(),
            },
        };
        let title = entry
            .title
            .as_ref()
            .map(|t| html_to_text(&t.content))
            .unwrap_or_default();
        let body = entry_body(entry);
        let author = entry
            .authors
            .iter()
            .find_map(person_name)
            .or_else(|| feed_author.clone());
        let published = entry.published.or(entry.updated).unwrap_or(now);
        // A comment is kept as a reply in its article's thread: the feed says
        // what it answers (thr:in-reply-to), or its permalink does.
        let article = link.as_ref().and_then(commented_article);
        let parent = replies.get(entry.id.trim()).and_then(|p| {
            resolve(base_url, p)
                .map(|u| u.to_string())
                .or(Some(p.clone()))
        });
        let in_reply_to = parent.or_else(|| article.clone());
        let thread = article.or_else(|| in_reply_to.clone());
        let lang_hint = entry
            .language
            .clone()
            .or_else(|| feed.language.clone())
            .filter(|l| !l.trim().is_empty());
        out.push(Document {
            title,
            author,
            first_seen: now,
            lang_hint,
            thread,
            in_reply_to,
            ..Document::new(
                id,
                source.id.clone(),
                SourceKind::Feed,
                url,
                body,
                published,
            )
        });
    }
    out
}

/// The entry's permalink: its alternate link (or the first plain one).
fn entry_link(entry: &Entry, base: &Url) -> Option<Url> {
    let usable = |l: &&Link| {
        !matches!(
            l.rel.as_deref(),
            Some("self" | "edit" | "enclosure" | "replies" | "related")
        )
    };
    let pick = entry
        .links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| entry.links.iter().find(usable))?;
    resolve(base, &pick.href)
}

/// The fullest text the entry has: content, else summary, else a media description.
fn entry_body(entry: &Entry) -> String {
    let content = entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .filter(|b| !b.trim().is_empty());
    let summary = entry
        .summary
        .as_ref()
        .map(|s| s.content.as_str())
        .filter(|b| !b.trim().is_empty());
    let media = entry.media.iter().find_map(|m| {
        m.description
            .as_ref()
            .map(|d| d.content.as_str())
            .filter(|b| !b.trim().is_empty())
    });
    content
        .or(summary)
        .or(media)
        .map(html_to_text)
        .unwrap_or_default()
}

/// The name to show for a feed's person. RSS writes authors as
/// `email (Name)`, which feed-rs splits into the address and `(Name)`: the
/// wrapping is dropped. A person known only by an address is shown by the
/// address's local part (`jan.jansen@example.nl` → `jan.jansen`): readable,
/// and the address itself is contact data no ranking or page needs.
fn person_name(p: &Person) -> Option<String> {
    let name = p
        .name
        .as_deref()
        .map(html_to_text)
        .map(|n| unwrap_name(&n).to_string())
        .filter(|n| !n.is_empty());
    name.or_else(|| {
        p.email
            .as_deref()
            .map(|e| e.trim().trim_start_matches("mailto:"))
            .map(|e| e.split_once('@').map_or(e, |(local, _)| local).trim())
            .filter(|e| !e.is_empty())
            .map(str::to_string)
    })
}

/// `(Name)`, `<Name>`, `[Name]` or `"Name"` → `Name`, as often as they are nested.
fn unwrap_name(mut name: &str) -> &str {
    loop {
        name = name.trim();
        let inner = [('(', ')'), ('<', '>'), ('[', ']'), ('"', '"')]
            .into_iter()
            .find_map(|(open, close)| name.strip_prefix(open)?.strip_suffix(close));
        match inner {
            Some(inner) => name = inner,
            None => return name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_without_a_known_version_is_repaired() {
        let fixed =
            repaired("<?xml version=\"1.0\"?>\n<rss xmlns:a=\"x\"><channel/></rss>").unwrap();
        assert_eq!(
            fixed,
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:a=\"x\"><channel/></rss>"
        );
        let fixed = repaired("<rss version=\"0.94\" a='b'><channel/></rss>").unwrap();
        assert_eq!(fixed, "<rss version=\"2.0\"  a='b'><channel/></rss>");
        assert_eq!(repaired("<rss version=\"2.0\"><channel/></rss>"), None);
        assert_eq!(repaired("<feed/>"), None);
    }

    #[test]
    fn a_feed_cut_short_says_so() {
        let source: Source = serde_json::from_value(
            serde_json::json!({"id": "c", "kind": "feed", "url": "https://c.example/feed"}),
        )
        .unwrap();
        let base = Url::parse("https://c.example/feed").unwrap();
        let whole = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>c</title>\
            <item><title>one</title></item><item><title>two</title></item></channel></rss>";
        let json =
            r#"{"version": "https://jsonfeed.org/version/1.1", "title": "c", "items": [{"id": "1""#;
        for cut in [
            &whole[..whole.find("<item>").unwrap() + 12],
            &whole[..whole.find("</item>").unwrap() + 7],
            json,
        ] {
            let err = parse_feed(cut.as_bytes(), None, &base, &source, Utc::now()).unwrap_err();
            assert!(
                err.to_string().contains(
                    "the feed cannot be read: it ends before it is complete (cut off?): "
                ),
                "{cut}: {err}"
            );
        }
        let broken = whole.replace("</title></item>", "</item></title>");
        let err = parse_feed(broken.as_bytes(), None, &base, &source, Utc::now()).unwrap_err();
        assert!(!err.to_string().contains("cut off"), "{err}");
    }

    #[test]
    fn rss_authors_written_with_an_address_show_the_name() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>b</title>
            <item><link>https://b.example/1</link><author>jan@b.example (Jan de Wit)</author></item>
            <item><link>https://b.example/2</link><author>Els Baas &lt;els@b.example&gt;</author></item>
            <item><link>https://b.example/3</link><author>piet.post@b.example</author></item>
            <item><link>https://b.example/4</link><author>Kees</author></item>
            <item><link>https://b.example/5</link><author>()</author></item>
            </channel></rss>"#;
        let source: Source = serde_json::from_value(
            serde_json::json!({"id": "b", "kind": "feed", "url": "https://b.example/feed"}),
        )
        .unwrap();
        let base = Url::parse("https://b.example/feed").unwrap();
        let docs = parse_feed(rss.as_bytes(), None, &base, &source, Utc::now()).unwrap();
        let authors: Vec<Option<&str>> = docs.iter().map(|d| d.author.as_deref()).collect();
        assert_eq!(
            authors,
            [
                Some("Jan de Wit"),
                Some("Els Baas"),
                Some("piet.post"),
                Some("Kees"),
                None
            ]
        );
    }

    #[test]
    fn json_feed_with_a_bare_version_is_repaired() {
        let fixed = repaired(r#"{"version": "1.1", "title": "t", "items": []}"#).unwrap();
        assert!(
            fixed.contains("https://jsonfeed.org/version/1.1"),
            "{fixed}"
        );
    }
}
