//! `html` (a two-page forum thread) and `reviews` (JSON-LD and microdata)
//! sources against fixture servers.

mod common;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::*;
use repmon_model::SourceKind;
use repmon_sources::{SourceState, poll};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const PAGE_1: &str = r#"<!DOCTYPE html><html lang="nl"><head><title>Ervaringen met Zon Energie - Forum</title></head><body>
<article class="post" id="p1">
  <span class="author">jan_de_boer</span><time datetime="2026-11-20T14:03:00+01:00">gisteren</time>
  <a class="permalink" href="/thread/42?page=1&amp;utm_source=share#p1">#1</a>
  <div class="body"><p>Zon Energie heeft mijn <b>terugleververgoeding</b> verlaagd.</p><script>ad()</script></div>
</article>
<article class="post" id="p2">
  <span class="author">  Klantenservice   Zon </span><time>20-11-2026 15:10</time>
  <div class="body"><blockquote>verlaagd?</blockquote>Stuur ons een DM, dan kijken we mee.</div>
</article>
<article class="post" id="p3"><span class="author">leeg</span><div class="body"> </div></article>
<a class="next" href="/thread/42?page=2">Volgende</a>
</body></html>"#;

const PAGE_2: &str = r#"<!DOCTYPE html><html lang="nl"><head><title>Ervaringen met Zon Energie - Forum</title></head><body>
<article class="post"><span class="author">piet</span><time>2026-11-21 08:00</time>
  <div class="body">Bij mij ook, overstappen naar Golf dan maar.</div></article>
</body></html>"#;

#[derive(Default)]
struct Forum {
    requests: Mutex<Vec<(String, Option<String>)>>,
}

async fn thread(
    State(f): State<Arc<Forum>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let page = q.get("page").cloned().unwrap_or_else(|| "1".into());
    let inm = headers
        .get(header::IF_NONE_MATCH)
        .map(|v| v.to_str().unwrap().to_string());
    f.requests.lock().unwrap().push((page.clone(), inm.clone()));
    let etag = format!("\"page-{page}\"");
    if inm.as_deref() == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let body = if page == "2" { PAGE_2 } else { PAGE_1 };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}

/// The two-page thread at `/thread/42`, and the forum that counts its requests.
async fn forum_server() -> (Arc<Forum>, String) {
    let forum = Arc::new(Forum::default());
    let base = serve(
        Router::new()
            .route("/thread/42", get(thread))
            .with_state(forum.clone()),
    )
    .await;
    (forum, base)
}

#[tokio::test]
async fn a_forum_thread_over_two_pages() {
    let (forum, base) = forum_server().await;
    let source = source(serde_json::json!({
        "id": "forum", "kind": "html", "url": format!("{base}/thread/42"),
        "item": "article.post", "body": "div.body", "author": ".author", "date": "time",
        "link": "a.permalink", "next": "a.next"
    }));
    let fetcher = fetcher();
    let out = first_poll(&fetcher, &source).await.unwrap();
    // robots.txt (absent here: 404, everything allowed) and the two pages.
    assert_eq!(out.requests, 3);
    let docs = &out.documents;
    assert_eq!(docs.len(), 3, "the post without text is skipped: {docs:#?}");

    let first = &docs[0];
    assert_eq!(first.kind, SourceKind::Html);
    assert_eq!(first.title, "Ervaringen met Zon Energie - Forum");
    assert_eq!(
        first.body,
        "Zon Energie heeft mijn terugleververgoeding verlaagd."
    );
    assert_eq!(first.author.as_deref(), Some("jan_de_boer"));
    assert_eq!(
        first.published.to_rfc3339(),
        "2026-11-20T13:03:00+00:00",
        "datetime attribute wins over text"
    );
    assert_eq!(
        first.url,
        format!("{base}/thread/42?page=1#p1"),
        "permalink resolved, tracking dropped"
    );
    assert_eq!(first.position, Some(1));
    assert_eq!(
        first.thread.as_deref(),
        Some(format!("{base}/thread/42").as_str())
    );
    assert_eq!(first.lang_hint.as_deref(), Some("nl"));

    let reply = &docs[1];
    assert_eq!(
        reply.body,
        "verlaagd?\nStuur ons een DM, dan kijken we mee."
    );
    assert_eq!(reply.author.as_deref(), Some("Klantenservice Zon"));
    assert_eq!(
        reply.published.to_rfc3339(),
        "2026-11-20T15:10:00+00:00",
        "DD-MM-YYYY HH:MM text"
    );
    assert_eq!(
        reply.url,
        format!("{base}/thread/42#post-2"),
        "no permalink: the page URL and the position"
    );
    assert_eq!(reply.position, Some(2));

    let next_page = &docs[2];
    assert_eq!(next_page.position, Some(4), "positions run on across pages");
    assert_eq!(next_page.url, format!("{base}/thread/42?page=2#post-4"));
    assert_eq!(
        next_page.published.to_rfc3339(),
        "2026-11-21T08:00:00+00:00"
    );
    assert_eq!(next_page.thread, first.thread);

    // Unchanged pages: both answer 304, the second page is still reached
    // through the remembered next link, and nothing comes again. robots.txt
    // is not asked again within its time to live.
    let again = poll(&fetcher, &source, &out.state).await.unwrap();
    assert_eq!(
        (again.requests, again.not_modified, again.documents.len()),
        (2, 2, 0)
    );
    let seen = forum.requests.lock().unwrap();
    assert_eq!(
        seen[2..],
        [
            ("1".to_string(), Some("\"page-1\"".to_string())),
            ("2".to_string(), Some("\"page-2\"".to_string()))
        ]
    );
}

#[tokio::test]
async fn forum_times_without_a_zone_are_read_in_the_sources_timezone() {
    let (_forum, base) = forum_server().await;
    let source = source(serde_json::json!({
        "id": "forum", "kind": "html", "url": format!("{base}/thread/42"),
        "item": "article.post", "body": "div.body", "date": "time", "next": "a.next",
        "timezone": "Europe/Amsterdam"
    }));
    let fetcher = fetcher();
    let out = first_poll(&fetcher, &source).await.unwrap();
    let times: Vec<String> = out
        .documents
        .iter()
        .map(|d| d.published.to_rfc3339())
        .collect();
    assert_eq!(
        times,
        [
            "2026-11-20T13:03:00+00:00", // written with its zone: unchanged
            "2026-11-20T14:10:00+00:00", // 20-11-2026 15:10 in Amsterdam (UTC+1)
            "2026-11-21T07:00:00+00:00", // 2026-11-21 08:00 in Amsterdam
        ]
    );
}

#[tokio::test]
async fn a_page_without_matching_posts_is_a_clear_error() {
    let base = serve(Router::new().route("/t", html_page(PAGE_2))).await;
    let source = source(serde_json::json!({
        "id": "forum", "kind": "html", "url": format!("{base}/t"), "item": "div.message", "body": ".text"
    }));
    let err = first_poll(&fetcher(), &source).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{base}/t: no element on the page matches the item selector \"div.message\" (has the page changed?)"
        )
    );
}

const JSON_LD_PAGE: &str = r#"<!DOCTYPE html><html lang="nl"><head><title>Zon Energie reviews</title>
<script type="application/ld+json">
{
  "@context": "https://schema.org",
  "@graph": [
    {"@type": "Organization", "name": "Zon Energie",
     "aggregateRating": {"@type": "AggregateRating", "ratingValue": "3.9", "reviewCount": "212"},
     "review": [
       {"@type": "Review", "author": {"@type": "Person", "name": "Anja"},
        "datePublished": "2026-11-19", "name": "Snelle overstap",
        "reviewBody": "Overstappen ging snel &amp; zonder gedoe.",
        "reviewRating": {"@type": "Rating", "ratingValue": 5, "bestRating": 5}},
       {"@type": "Review", "author": "Bram", "url": "/reviews/zon/77",
        "datePublished": "2026-11-20T10:00:00+01:00",
        "reviewBody": "Klantenservice onbereikbaar.",
        "reviewRating": {"@type": "Rating", "ratingValue": "2", "bestRating": "10", "worstRating": "0"}}
     ]}
  ]
}
</script>
<script type="application/ld+json">
// a comment browsers tolerate
[{"@type": "Review", "reviewBody": "Prima tarieven,
  maar de app is traag.", "reviewRating": {"ratingValue": "4,0"}, "author": [{"name": "Carla"}],},]
</script>
</head><body><h1>Reviews</h1></body></html>"#;

const MICRODATA_PAGE: &str = r#"<!DOCTYPE html><html><body>
<div itemscope itemtype="https://schema.org/Product">
  <h1 itemprop="name">Golf Internet Glasvezel</h1>
  <div itemprop="aggregateRating" itemscope itemtype="https://schema.org/AggregateRating">
    <span itemprop="ratingValue">2.1</span> / <span itemprop="bestRating">5</span> (<span itemprop="reviewCount">48</span>)
  </div>
  <div itemprop="review" itemscope itemtype="https://schema.org/Review">
    <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Dirk</span></span>
    <meta itemprop="datePublished" content="2026-11-18">
    <div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">
      <meta itemprop="worstRating" content="1"><span itemprop="ratingValue">1</span>/<span itemprop="bestRating">5</span>
    </div>
    <p itemprop="reviewBody">Drie dagen <b>geen internet</b>.</p>
  </div>
  <div itemprop="review" itemscope itemtype="https://schema.org/Review">
    <span itemprop="author">Eva</span>
    <div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating"><span itemprop="ratingValue">4</span></div>
    <p itemprop="description">Snel en stabiel.</p>
  </div>
</div></body></html>"#;

const AGGREGATE_ONLY: &str = r#"<html><head><script type="application/ld+json">
{"@type": "LocalBusiness", "name": "Golf Winkel Utrecht",
 "aggregateRating": {"@type": "AggregateRating", "ratingValue": 8, "bestRating": 10, "worstRating": 0, "ratingCount": 31}}
</script></head><body></body></html>"#;

async fn review_server() -> String {
    serve(
        Router::new()
            .route("/jsonld", html_page(JSON_LD_PAGE))
            .route("/microdata", html_page(MICRODATA_PAGE))
            .route("/aggregate", html_page(AGGREGATE_ONLY))
            .route(
                "/none",
                get(|| async { axum::response::Html("<html><body>geen reviews</body></html>") }),
            ),
    )
    .await
}

fn review_source(url: String, company: &str) -> repmon_config::Source {
    source(serde_json::json!({"id": "reviews", "kind": "reviews", "url": url, "company": company}))
}

#[tokio::test]
async fn json_ld_reviews() {
    let base = review_server().await;
    let fetcher = fetcher();
    let out = first_poll(&fetcher, &review_source(format!("{base}/jsonld"), "zon"))
        .await
        .unwrap();
    let docs = &out.documents;
    assert_eq!(docs.len(), 3, "{docs:#?}");
    assert!(
        docs.iter()
            .all(|d| d.kind == SourceKind::Reviews && d.about.as_deref() == Some("zon"))
    );

    let anja = &docs[0];
    assert_eq!(anja.author.as_deref(), Some("Anja"));
    assert_eq!(anja.title, "Snelle overstap");
    assert_eq!(anja.body, "Overstappen ging snel & zonder gedoe.");
    assert_eq!(anja.rating, Some(5.0));
    assert_eq!(anja.published.to_rfc3339(), "2026-11-19T00:00:00+00:00");
    assert!(
        anja.url.starts_with(&format!("{base}/jsonld#review-")),
        "{}",
        anja.url
    );
    assert_eq!(anja.lang_hint.as_deref(), Some("nl"));

    let bram = &docs[1];
    assert_eq!(bram.url, format!("{base}/reviews/zon/77"));
    assert_eq!(bram.rating, Some(1.8), "2 on a 0..10 scale");
    assert_eq!(bram.published.to_rfc3339(), "2026-11-20T09:00:00+00:00");

    let carla = &docs[2];
    assert_eq!(
        carla.body, "Prima tarieven, maar de app is traag.",
        "sloppy JSON-LD recovered"
    );
    assert_eq!(carla.author.as_deref(), Some("Carla"));
    assert_eq!(carla.rating, Some(4.0));

    // Stable ids: the same reviews polled again.
    let again = first_poll(&fetcher, &review_source(format!("{base}/jsonld"), "zon"))
        .await
        .unwrap();
    let ids = |d: &[repmon_model::Document]| d.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&again.documents), ids(docs));
}

#[tokio::test]
async fn microdata_reviews() {
    let base = review_server().await;
    let fetcher = fetcher();
    let out = first_poll(
        &fetcher,
        &review_source(format!("{base}/microdata"), "golf"),
    )
    .await
    .unwrap();
    let docs = &out.documents;
    assert_eq!(
        docs.len(),
        2,
        "reviews only; the aggregate is not counted again: {docs:#?}"
    );
    assert_eq!(docs[0].author.as_deref(), Some("Dirk"));
    assert_eq!(docs[0].body, "Drie dagen geen internet.");
    assert_eq!(docs[0].rating, Some(1.0));
    assert_eq!(docs[0].published.to_rfc3339(), "2026-11-18T00:00:00+00:00");
    assert_eq!(docs[0].about.as_deref(), Some("golf"));
    assert_eq!(docs[1].author.as_deref(), Some("Eva"));
    assert_eq!(docs[1].body, "Snel en stabiel.");
    assert_eq!(docs[1].rating, Some(4.0));
    assert_eq!(docs[1].published, docs[1].first_seen, "no date: first seen");
}

#[tokio::test]
async fn an_aggregate_alone_is_kept_and_no_reviews_is_an_error() {
    let base = review_server().await;
    let fetcher = fetcher();
    let out = first_poll(
        &fetcher,
        &review_source(format!("{base}/aggregate"), "golf"),
    )
    .await
    .unwrap();
    assert_eq!(out.documents.len(), 1);
    let agg = &out.documents[0];
    assert_eq!(agg.rating, Some(4.2), "8 on a 0..10 scale");
    assert_eq!(
        agg.body,
        "Golf Winkel Utrecht: average rating 8 out of 10 from 31 ratings"
    );
    assert_eq!(agg.about.as_deref(), Some("golf"));

    let err = first_poll(&fetcher, &review_source(format!("{base}/none"), "golf"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{base}/none: the page has no schema.org Review or AggregateRating (JSON-LD or microdata)"
        )
    );
}

/// The shared schema.org samples (extruct's pages): no panic, and the
/// pages known to carry reviews yield rated documents.
#[test]
fn shared_schema_org_samples() {
    let dir = std::path::Path::new("/work/shared/data/sources/schema-org/extruct");
    if !dir.exists() {
        eprintln!("skipped: {} is not here", dir.display());
        return;
    }
    let source = review_source("https://samples.example/".into(), "sample");
    let base = url::Url::parse("https://samples.example/page").unwrap();
    let now = chrono::Utc::now();
    let (mut pages, mut with_reviews, mut docs) = (0, 0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "html") {
                pages += 1;
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                if let Ok(found) = repmon_sources::parse_reviews(&text, &base, &source, now) {
                    with_reviews += 1;
                    docs += found.len();
                    for doc in &found {
                        let r = doc.rating.unwrap_or(3.0);
                        assert!((1.0..=5.0).contains(&r), "{}: rating {r}", p.display());
                    }
                }
            }
        }
    }
    eprintln!(
        "schema.org samples: {pages} pages, {with_reviews} with reviews or ratings, {docs} documents"
    );
    let product = std::fs::read_to_string(dir.join("schema.org/product.html")).unwrap_or_default();
    if !product.is_empty() {
        let found = repmon_sources::parse_reviews(&product, &base, &source, now).unwrap();
        assert!(found.iter().any(|d| d.rating.is_some()), "{found:#?}");
    }
    assert!(
        with_reviews >= 3,
        "only {with_reviews} sample pages gave reviews"
    );
}

const ROBOTS_TXT: &str = "User-agent: *\nDisallow: /\n\n\
User-agent: repmon\nDisallow: /closed\nAllow: /closed/open\nDisallow: /*.reviews$\n";

#[tokio::test]
async fn robots_txt_is_honoured_for_pages_and_read_once_per_host() {
    let robots_hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let hits = robots_hits.clone();
    let base = serve(
        Router::new()
            .route(
                "/robots.txt",
                get(move || {
                    hits.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async { ROBOTS_TXT }
                }),
            )
            .route("/closed/thread", html_page(PAGE_2))
            .route("/closed/open/thread", html_page(PAGE_2))
            .route("/golf.reviews", html_page(MICRODATA_PAGE))
            .route("/golf", html_page(MICRODATA_PAGE))
            .route(
                "/hop",
                get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/closed/thread")]) }),
            )
            .route(
                "/feed.xml",
                get(|| async { "<rss version=\"2.0\"><channel><title>t</title></channel></rss>" }),
            ),
    )
    .await;
    let forum = |path: &str| {
        source(serde_json::json!({
            "id": "forum", "kind": "html", "url": format!("{base}{path}"),
            "item": "article.post", "body": "div.body"
        }))
    };
    let fetcher = fetcher();
    let fresh = SourceState::default();

    // The repmon group applies (not `*`, which forbids everything), and its
    // longest matching rule decides.
    let err = poll(&fetcher, &forum("/closed/thread"), &fresh)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{base}/closed/thread: disallowed by robots.txt")
    );
    assert!(!err.is_transient());
    let ok = poll(&fetcher, &forum("/closed/open/thread"), &fresh)
        .await
        .unwrap();
    assert_eq!(ok.documents.len(), 1);
    assert_eq!(ok.requests, 1, "robots.txt came from the cache");
    // A redirect into a forbidden path is refused too.
    let err = poll(&fetcher, &forum("/hop"), &fresh).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{base}/closed/thread: disallowed by robots.txt")
    );

    // reviews pages obey it as well; the `$` anchor matters.
    let err = poll(
        &fetcher,
        &review_source(format!("{base}/golf.reviews"), "golf"),
        &fresh,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("/golf.reviews: disallowed by robots.txt"),
        "{err}"
    );
    let ok = poll(
        &fetcher,
        &review_source(format!("{base}/golf"), "golf"),
        &fresh,
    )
    .await
    .unwrap();
    assert_eq!(ok.documents.len(), 2);

    // Feeds are made for programs: robots.txt is not consulted for them.
    let feed = feed_source("feed", &format!("{base}/feed.xml"));
    assert!(poll(&fetcher, &feed, &fresh).await.is_ok());

    assert_eq!(
        robots_hits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "robots.txt is read once per host within its time to live"
    );
}

#[tokio::test]
async fn a_failing_robots_txt_is_a_clear_error() {
    let base = serve(
        Router::new()
            .route(
                "/robots.txt",
                get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "down") }),
            )
            .route("/golf", html_page(MICRODATA_PAGE)),
    )
    .await;
    let fetcher = fetcher();
    let err = first_poll(&fetcher, &review_source(format!("{base}/golf"), "golf"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{base}/robots.txt: answered 503 Service Unavailable")
    );
    assert!(err.is_transient(), "tried again later");
}
