//! `reviews` sources: pages carrying schema.org `Review` and
//! `AggregateRating`, in JSON-LD or microdata.
//!
//! Microdata is first turned into the same JSON shape JSON-LD has, so one
//! walker reads both. Each `Review` becomes a document with its star rating
//! normalised to 1..=5 and `about` set to the source's `company`.
//!
//! An `AggregateRating` becomes a document only when the page holds no
//! individual reviews: the reviews already carry their ratings (counting the
//! aggregate too would count the same opinions twice), but a page that only
//! states an average should not be lost. Its id includes the rating and the
//! count, so a changed average is a new observation and an unchanged one is
//! the same document again.

use super::{poll_one_page, resolve};
use crate::PollOutcome;
use crate::dates::parse_lenient_in;
use crate::decode::{Markup, decode};
use crate::error::SourceError;
use crate::fetch::{ACCEPT_HTML, Fetcher};
use crate::ident::{canonical_url, id_for_guid, id_for_link};
use crate::state::SourceState;
use crate::text::{collapse_whitespace, element_text, html_to_text};
use chrono::{DateTime, Utc};
use ego_tree::iter::Edge;
use repmon_config::Source;
use repmon_model::{Document, SourceKind};
use scraper::{ElementRef, Html, Selector};
use serde_json::{Map, Value};
use url::Url;

/// How deep nested JSON-LD objects and microdata items are followed.
const MAX_DEPTH: usize = 24;

pub(crate) async fn poll(
    fetcher: &Fetcher,
    source: &Source,
    state: &SourceState,
    now: DateTime<Utc>,
) -> Result<PollOutcome, SourceError> {
    poll_one_page(fetcher, source, state, true, ACCEPT_HTML, |fetched| {
        let text = decode(&fetched.body, fetched.content_type.as_deref(), Markup::Html);
        parse_reviews(&text, &fetched.url, source, now)
    })
    .await
}

/// Reads the reviews of a page (see the module docs for what becomes a
/// document). A page with neither reviews nor an aggregate rating is an
/// error: the URL or the page is not what the source expects.
pub fn parse_reviews(
    html: &str,
    page_url: &Url,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<Vec<Document>, SourceError> {
    super::html::refuse_deep_pages(html, page_url)?;
    let doc = Html::parse_document(html);
    let lang = doc
        .root_element()
        .attr("lang")
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let mut items = json_ld(&doc);
    items.extend(microdata(&doc));

    let mut found = Found::default();
    for item in &items {
        walk(item, None, 0, &mut found);
    }
    let ctx = Context {
        page_url,
        source,
        now,
        lang,
    };
    let mut docs: Vec<Document> = Vec::new();
    for review in &found.reviews {
        if let Some(d) = review_document(review, &ctx) {
            // The same review in JSON-LD and in microdata is one review.
            if !docs.iter().any(|x| x.id == d.id) {
                docs.push(d);
            }
        }
    }
    if docs.is_empty()
        && let Some((agg, name)) = found.aggregates.first()
    {
        docs.extend(aggregate_document(agg, name.as_deref(), &ctx));
    }
    if docs.is_empty() && found.reviews.is_empty() && found.aggregates.is_empty() {
        return Err(SourceError::BadContent {
            url: page_url.to_string(),
            cause: "the page has no schema.org Review or AggregateRating (JSON-LD or microdata)"
                .into(),
        });
    }
    Ok(docs)
}

#[derive(Default)]
struct Found<'a> {
    reviews: Vec<&'a Map<String, Value>>,
    /// With the name of the thing rated, when known.
    aggregates: Vec<(&'a Map<String, Value>, Option<String>)>,
}

struct Context<'a> {
    page_url: &'a Url,
    source: &'a Source,
    now: DateTime<Utc>,
    lang: Option<String>,
}

/// The last part of each `@type` (`http://schema.org/Review` → `Review`).
fn types(obj: &Map<String, Value>) -> Vec<&str> {
    fn short(s: &str) -> &str {
        s.rsplit(['/', ':', '#']).next().unwrap_or(s).trim()
    }
    match obj.get("@type") {
        Some(Value::String(s)) => s.split_whitespace().map(short).collect(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(short).collect(),
        _ => Vec::new(),
    }
}

fn is_review(obj: &Map<String, Value>) -> bool {
    types(obj)
        .iter()
        .any(|t| t.ends_with("Review") && *t != "ReviewAction")
}

fn is_aggregate(obj: &Map<String, Value>) -> bool {
    types(obj).contains(&"AggregateRating")
}

/// Collects every Review and AggregateRating, wherever they are nested
/// (`@graph`, arrays, `review` of a Product or Organization, ...).
fn walk<'a>(v: &'a Value, parent_name: Option<&str>, depth: usize, found: &mut Found<'a>) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(a) => a
            .iter()
            .for_each(|x| walk(x, parent_name, depth + 1, found)),
        Value::Object(obj) => {
            if is_review(obj) {
                found.reviews.push(obj);
                return;
            }
            let name = obj.get("name").and_then(text_of);
            for (key, value) in obj {
                if key == "aggregateRating"
                    && let Value::Object(agg) = value
                {
                    found
                        .aggregates
                        .push((agg, name.clone().or(parent_name.map(str::to_string))));
                    continue;
                }
                if let Value::Object(o) = value
                    && key != "aggregateRating"
                    && is_aggregate(o)
                {
                    found.aggregates.push((o, name.clone()));
                    continue;
                }
                walk(value, name.as_deref().or(parent_name), depth + 1, found);
            }
        }
        _ => {}
    }
}

fn review_document(r: &Map<String, Value>, ctx: &Context<'_>) -> Option<Document> {
    let body = ["reviewBody", "description", "text"]
        .iter()
        .find_map(|k| r.get(*k).and_then(text_of))
        .unwrap_or_default();
    let title = ["name", "headline"]
        .iter()
        .find_map(|k| r.get(*k).and_then(text_of))
        .unwrap_or_default();
    if body.is_empty() && title.is_empty() {
        return None;
    }
    let rating = r.get("reviewRating").and_then(rating_of);
    let author = r.get("author").and_then(person_of);
    let date_text = ["datePublished", "dateCreated", "dateModified"]
        .iter()
        .find_map(|k| r.get(*k).and_then(text_of));
    let published = date_text
        .as_deref()
        .and_then(|t| parse_lenient_in(t, ctx.source.zone()))
        .unwrap_or(ctx.now);
    let own_url = ["url", "@id"]
        .iter()
        .find_map(|k| r.get(*k).and_then(Value::as_str))
        .and_then(|u| resolve(ctx.page_url, u))
        .filter(|u| u != ctx.page_url);
    let url = match own_url {
        Some(u) => canonical_url(&u),
        None => {
            // No permalink: the review is known by who wrote what, when.
            let key = format!(
                "{}\n{}\n{}\n{}",
                author.as_deref().unwrap_or(""),
                date_text.as_deref().unwrap_or(""),
                title,
                body
            );
            let mut u = ctx.page_url.clone();
            u.set_fragment(Some(&format!(
                "review-{}",
                &id_for_guid(&ctx.source.id, &key)[..12]
            )));
            u
        }
    };
    let lang_hint = r
        .get("inLanguage")
        .and_then(text_of)
        .or_else(|| ctx.lang.clone());
    Some(Document {
        title,
        author,
        first_seen: ctx.now,
        lang_hint,
        rating,
        ..page_document(url, body, published, ctx)
    })
}

fn aggregate_document(
    agg: &Map<String, Value>,
    name: Option<&str>,
    ctx: &Context<'_>,
) -> Option<Document> {
    let value = agg.get("ratingValue").and_then(number_of)?;
    let best = agg.get("bestRating").and_then(number_of);
    let worst = agg.get("worstRating").and_then(number_of);
    let rating = normalise(value, best, worst)?;
    let count = ["ratingCount", "reviewCount"]
        .iter()
        .find_map(|k| agg.get(*k).and_then(number_of));
    let what = name.unwrap_or("this page");
    let mut body = format!(
        "{what}: average rating {} out of {}",
        trim_number(value),
        trim_number(best.unwrap_or(5.0))
    );
    if let Some(c) = count {
        body.push_str(&format!(" from {} ratings", trim_number(c)));
    }
    let mut url = ctx.page_url.clone();
    url.set_fragment(Some(&format!(
        "aggregate-rating-{}-{}",
        trim_number(value),
        count.map(trim_number).unwrap_or_default()
    )));
    Some(Document {
        title: format!("{what} rating"),
        lang_hint: ctx.lang.clone(),
        rating: Some(rating),
        ..page_document(url, body, ctx.now, ctx)
    })
}

/// What a review and a page's aggregate rating share: the page is their
/// thread and the company the source is about is theirs.
fn page_document(url: Url, body: String, published: DateTime<Utc>, ctx: &Context<'_>) -> Document {
    Document {
        thread: Some(ctx.page_url.to_string()),
        about: ctx.source.company.clone(),
        ..Document::new(
            id_for_link(&url),
            ctx.source.id.clone(),
            SourceKind::Reviews,
            url,
            body,
            published,
        )
    }
}

fn trim_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n:.2}")
    }
}

/// A star rating (a Rating object, or a bare number) on the 1..=5 scale.
fn rating_of(v: &Value) -> Option<f32> {
    match v {
        Value::Object(r) => normalise(
            r.get("ratingValue").and_then(number_of)?,
            r.get("bestRating").and_then(number_of),
            r.get("worstRating").and_then(number_of),
        ),
        other => normalise(number_of(other)?, None, None),
    }
}

/// Maps `value` on the `worst..=best` scale onto 1..=5. schema.org's
/// defaults are 1 and 5; a page that gives no best but a value above 5 is
/// taken to rate out of 10 (or 100).
fn normalise(value: f64, best: Option<f64>, worst: Option<f64>) -> Option<f32> {
    let best = best.unwrap_or(if value <= 5.0 {
        5.0
    } else if value <= 10.0 {
        10.0
    } else {
        100.0
    });
    // A zero can only be on a scale that starts at zero.
    let worst = worst.unwrap_or(if value < 1.0 { 0.0 } else { 1.0 });
    if !value.is_finite() || !best.is_finite() || !worst.is_finite() || best <= worst {
        return None;
    }
    let r = 1.0 + 4.0 * (value - worst) / (best - worst);
    Some(r.clamp(1.0, 5.0) as f32)
}

/// A number, also when written as text ("4,5", "4.5 / 5").
fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let s = s.trim().replace(',', ".");
            let end = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                .unwrap_or(s.len());
            s[..end].parse().ok()
        }
        Value::Array(a) => a.first().and_then(number_of),
        Value::Object(o) => o.get("@value").and_then(number_of),
        _ => None,
    }
}

/// Readable text of a value: strings (HTML stripped), the first of a list,
/// a language-tagged `@value`.
fn text_of(v: &Value) -> Option<String> {
    let t = match v {
        Value::String(s) => html_to_text(s),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => return a.iter().find_map(text_of),
        Value::Object(o) => return o.get("@value").and_then(text_of),
        _ => return None,
    };
    (!t.is_empty()).then_some(t)
}

/// An author: a name, or a Person/Organization with a name.
fn person_of(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) => o
            .get("name")
            .and_then(text_of)
            .or_else(|| o.get("@value").and_then(text_of)),
        Value::Array(a) => a.iter().find_map(person_of),
        other => text_of(other),
    }
}

/// Every JSON-LD block of the page, parsed leniently (pages put comments,
/// raw newlines and trailing commas in them; browsers do not mind).
fn json_ld(doc: &Html) -> Vec<Value> {
    let Ok(sel) = Selector::parse("script[type]") else {
        return Vec::new();
    };
    doc.select(&sel)
        .filter(|s| {
            s.attr("type").is_some_and(|t| {
                t.trim()
                    .to_ascii_lowercase()
                    .starts_with("application/ld+json")
            })
        })
        .filter_map(|s| {
            let raw: String = s.text().collect();
            serde_json::from_str(raw.trim())
                .ok()
                .or_else(|| serde_json::from_str(&relax_json(&raw)).ok())
        })
        .collect()
}

/// Makes sloppy JSON strict: drops `//` and `/* */` comments and trailing
/// commas, and turns control characters inside strings into spaces.
fn relax_json(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.trim().trim_end_matches(';').chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    out.push(c);
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                '"' => {
                    in_string = false;
                    out.push(c);
                }
                c if c.is_control() => out.push(' '),
                c => out.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                out.push('\n');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
                out.push(' ');
            }
            '}' | ']' => {
                let trimmed = out.trim_end().len();
                if out[..trimmed].ends_with(',') {
                    out.truncate(trimmed - 1);
                }
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The page's top-level microdata items as JSON-LD-shaped objects.
fn microdata(doc: &Html) -> Vec<Value> {
    let Ok(sel) = Selector::parse("[itemscope]:not([itemprop])") else {
        return Vec::new();
    };
    doc.select(&sel)
        // Only outermost items: nested ones are reached through their parents.
        .filter(|el| {
            !el.ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| a.attr("itemscope").is_some())
        })
        .map(|el| Value::Object(microdata_item(el, 0)))
        .collect()
}

fn microdata_item(scope: ElementRef<'_>, depth: usize) -> Map<String, Value> {
    let mut obj = Map::new();
    if let Some(t) = scope.attr("itemtype") {
        obj.insert("@type".into(), Value::String(t.trim().to_string()));
    }
    // Walk the item's subtree, not descending into nested items (their
    // properties are theirs).
    let mut inside_nested: Option<ego_tree::NodeId> = None;
    for edge in scope.traverse() {
        match edge {
            Edge::Open(node) => {
                if inside_nested.is_some() || node.id() == scope.id() {
                    continue;
                }
                let Some(el) = ElementRef::wrap(node) else {
                    continue;
                };
                let nested = el.attr("itemscope").is_some();
                if let Some(props) = el.attr("itemprop") {
                    let value = if nested {
                        if depth < MAX_DEPTH {
                            Value::Object(microdata_item(el, depth + 1))
                        } else {
                            Value::Null
                        }
                    } else {
                        Value::String(property_value(el))
                    };
                    for name in props.split_whitespace() {
                        add_property(&mut obj, name, value.clone());
                    }
                }
                if nested {
                    inside_nested = Some(node.id());
                }
            }
            Edge::Close(node) => {
                if inside_nested == Some(node.id()) {
                    inside_nested = None;
                }
            }
        }
    }
    obj
}

fn add_property(obj: &mut Map<String, Value>, name: &str, value: Value) {
    match obj.get_mut(name) {
        None => {
            obj.insert(name.to_string(), value);
        }
        Some(Value::Array(a)) => a.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// A microdata property's value, by the element it is on.
fn property_value(el: ElementRef<'_>) -> String {
    let attr = |name| el.attr(name).map(|v: &str| v.trim().to_string());
    let by_element = match el.value().name() {
        "meta" => attr("content"),
        "a" | "area" | "link" => attr("href"),
        "img" | "audio" | "video" | "source" | "embed" | "iframe" | "track" => attr("src"),
        "object" => attr("data"),
        "data" | "meter" => attr("value"),
        "time" => attr("datetime"),
        _ => None,
    };
    // Many pages put the machine value in `content` on any element.
    by_element
        .or_else(|| attr("content"))
        .unwrap_or_else(|| collapse_whitespace(&element_text(el)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_normalised_to_five_stars() {
        assert_eq!(normalise(5.0, None, None), Some(5.0));
        assert_eq!(normalise(1.0, None, None), Some(1.0));
        assert_eq!(normalise(3.0, Some(5.0), Some(1.0)), Some(3.0));
        assert_eq!(normalise(8.0, Some(10.0), Some(0.0)), Some(4.2));
        assert_eq!(normalise(80.0, Some(100.0), Some(0.0)), Some(4.2));
        assert_eq!(normalise(3.0, Some(1.0), Some(1.0)), None);
        assert_eq!(number_of(&Value::String("4,5 / 5".into())), Some(4.5));
    }

    #[test]
    fn sloppy_json_ld_is_recovered() {
        let raw = "{\n // a comment\n \"@type\": \"Review\", /* more */ \"reviewBody\": \"regel een\nregel twee\",\n}";
        let v: Value = serde_json::from_str(&relax_json(raw)).unwrap();
        assert_eq!(v["reviewBody"], "regel een regel twee");
        let url_in_string = r#"{"url": "https://a.example//x", "n": [1,2,],}"#;
        let v: Value = serde_json::from_str(&relax_json(url_in_string)).unwrap();
        assert_eq!(v["url"], "https://a.example//x");
    }
}
