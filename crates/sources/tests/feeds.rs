//! `feed` sources against fixture servers: formats, encodings, errors, and
//! the fetcher's politeness (validators, per-host delay and concurrency).

mod common;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::*;
use repmon_model::SourceKind;
use repmon_sources::{Fetcher, SourceError, SourceState, poll};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Energieblog</title>
  <link>https://energie.example/</link>
  <language>nl</language>
  <item>
    <title>Zon Energie verhoogt de terugleververgoeding</title>
    <link>https://energie.example/2026/11/zon-terugleveren?utm_source=rss&amp;utm_medium=feed</link>
    <guid isPermaLink="false">post-101</guid>
    <dc:creator>Marieke de Vries</dc:creator>
    <pubDate>Fri, 20 Nov 2026 14:03:00 +0100</pubDate>
    <description><![CDATA[<p>Klanten van <b>Zon Energie</b> krijgen vanaf januari meer terug.</p><script>track()</script>]]></description>
  </item>
  <item>
    <title>Golf Internet storing in Utrecht &amp; Amersfoort</title>
    <link>https://energie.example/2026/11/golf-storing</link>
    <guid>post-102</guid>
    <pubDate>Thu, 19 Nov 2026 09:00:00 GMT</pubDate>
    <description>Urenlang geen wifi bij Golf Internet.</description>
  </item>
</channel>
</rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Telecom Watch</title>
  <id>urn:uuid:feed-1</id>
  <updated>2026-11-21T10:00:00Z</updated>
  <author><name>Telecom Watch Desk</name></author>
  <entry>
    <title type="html">Golf Internet &lt;em&gt;finally&lt;/em&gt; fixes its app</title>
    <link rel="alternate" href="https://watch.example/golf-app"/>
    <link rel="replies" href="https://watch.example/golf-app/comments"/>
    <id>urn:uuid:entry-1</id>
    <updated>2026-11-21T09:30:00Z</updated>
    <content type="html">&lt;p&gt;The new app works &amp;amp; customers are happy.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>No date, no link</title>
    <id>urn:uuid:entry-2</id>
    <summary>An entry the feed gives no time and no link.</summary>
  </entry>
</feed>"#;

const JSON_FEED: &str = r#"{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "Klantenpanel",
  "language": "nl",
  "items": [
    {"id": "k-1", "url": "https://panel.example/k-1", "title": "Zon Energie klantenservice",
     "content_html": "<p>Lang gewacht, maar <i>vriendelijk</i> geholpen.</p>",
     "date_published": "2026-11-18T08:15:00+01:00", "authors": [{"name": "Pieter"}]},
    {"id": "k-2", "url": "https://panel.example/k-2", "content_text": "Great service from Zon Energie.",
     "date_published": "2026-11-18T09:00:00Z", "language": "en"}
  ]
}"#;

/// The ISO-8859-1 bytes of a feed that declares its encoding.
fn latin1_feed() -> Vec<u8> {
    let text = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss version=\"2.0\"><channel><title>Caf\u{e9}</title>\
        <item><title>Cr\u{e8}me br\u{fb}l\u{e9}e bij Zon Energie</title><link>https://latin.example/1</link>\
        <description>Na\u{ef}ef, \u{bd} prijs \u{a7}3</description></item></channel></rss>";
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("latin-1"))
        .collect()
}

const RELATIVE: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Rel</title><link>/</link>
  <item><title>&lt;b&gt;Vet&lt;/b&gt; &amp;amp; &lt;i&gt;schuin&lt;/i&gt; over Zon</title><link>/posts/7#reacties</link><guid>7</guid></item>
  <item><title>Tweede</title><link>../andere/8?fbclid=abc&amp;page=2</link><guid>8</guid></item>
</channel></rss>"#;

const HTML_PAGE: &str = r#"<!DOCTYPE html><html><head><title>Energieblog</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body><h1>Welkom</h1></body></html>"#;

fn xml(body: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, "application/rss+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn fixture_server() -> String {
    let app = Router::new()
        .route("/rss.xml", get(|| async { xml(RSS) }))
        .route(
            "/atom.xml",
            get(|| async { ([(header::CONTENT_TYPE, "application/atom+xml")], ATOM) }),
        )
        .route(
            "/feed.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/feed+json")], JSON_FEED) }),
        )
        .route(
            "/latin1.xml",
            get(|| async { ([(header::CONTENT_TYPE, "text/xml")], latin1_feed()) }),
        )
        .route("/blog/sub/relative.xml", get(|| async { xml(RELATIVE) }))
        .route(
            "/page",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    HTML_PAGE,
                )
            }),
        )
        .route(
            "/truncated.xml",
            get(|| async { xml(&RSS[..RSS.len() / 2]) }),
        )
        .route(
            "/error",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route("/big.xml", get(|| async { xml_big() }))
        .route("/bomb.xml", get(|| async { gzip_bomb() }))
        .route("/stall-body", get(|| async { stalled_body() }))
        .route(
            "/stall-headers",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                "never"
            }),
        )
        .route(
            "/loop",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop2")]) }),
        )
        .route(
            "/loop2",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop")]) }),
        )
        .route("/gone", get(|| async { (StatusCode::GONE, "gone") }))
        .route(
            "/site",
            get(|| async {
                axum::response::Html(
                    r#"<!DOCTYPE html><html><head><title>Energieblog</title>
<link rel="alternate" type="application/rss+xml" title="Energieblog &raquo; Feed" href="/rss.xml">
<link rel="alternate" type="application/rss+xml" title="Energieblog &raquo; Reacties" href="/comments/feed/">
<link rel="alternate" type="text/html" hreflang="en" href="/en/">
</head><body>Welkom</body></html>"#,
                )
            }),
        )
        .route(
            "/plain",
            get(|| async { axum::response::Html("<html><head><title>x</title></head><body>geen feed</body></html>") }),
        )
        .route(
            "/busy",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "120")],
                    "slow down",
                )
            }),
        )
        .route(
            "/moved",
            get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "/rss.xml")],
                )
            }),
        );
    serve(app).await
}

fn xml_big() -> Response {
    let mut body = String::from("<rss version=\"2.0\"><channel><title>big</title>");
    while body.len() < 200 * 1024 {
        body.push_str("<item><title>padding</title><description>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx</description></item>");
    }
    body.push_str("</channel></rss>");
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

/// A few KiB on the wire that inflate to 32 MiB (made once: compressing is slow in debug builds).
fn gzip_bomb() -> Response {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let compressed = BOMB.get_or_init(make_gzip_bomb).clone();
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml"),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        compressed,
    )
        .into_response()
}

fn make_gzip_bomb() -> Vec<u8> {
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let block = vec![b' '; 1024 * 1024];
    enc.write_all(b"<rss version=\"2.0\"><channel>").unwrap();
    for _ in 0..32 {
        enc.write_all(&block).unwrap();
    }
    let compressed = enc.finish().unwrap();
    // Smaller than the 64 KiB cap on the wire, so only the decompressed count can stop it.
    assert!(
        compressed.len() < 64 * 1024,
        "the bomb must be small on the wire: {}",
        compressed.len()
    );
    compressed
}

/// Headers and the start of a body, then nothing, forever.
fn stalled_body() -> Response {
    use futures_util::StreamExt;
    let start = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(Bytes::from_static(b"<rss version=\"2.0\">"))
    });
    let body = Body::from_stream(start.chain(futures_util::stream::pending()));
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

/// The fixture server and a fetcher for it.
async fn fixtures() -> (String, Fetcher) {
    (fixture_server().await, fetcher())
}

async fn poll_url(
    fetcher: &Fetcher,
    url: &str,
) -> Result<repmon_sources::PollOutcome, SourceError> {
    first_poll(fetcher, &feed_source("test-feed", url)).await
}

#[tokio::test]
async fn rss_atom_and_json_feed_become_documents() {
    let (base, fetcher) = fixtures().await;

    let rss = poll_url(&fetcher, &format!("{base}/rss.xml"))
        .await
        .unwrap();
    assert_eq!(rss.requests, 1);
    assert_eq!(rss.not_modified, 0);
    assert_eq!(rss.documents.len(), 2);
    let d = &rss.documents[0];
    assert_eq!(d.kind, SourceKind::Feed);
    assert_eq!(d.source, "test-feed");
    assert_eq!(d.title, "Zon Energie verhoogt de terugleververgoeding");
    assert_eq!(
        d.body,
        "Klanten van Zon Energie krijgen vanaf januari meer terug."
    );
    assert_eq!(
        d.url, "https://energie.example/2026/11/zon-terugleveren",
        "tracking parameters dropped"
    );
    assert_eq!(d.author.as_deref(), Some("Marieke de Vries"));
    assert_eq!(d.published.to_rfc3339(), "2026-11-20T13:03:00+00:00");
    assert_eq!(d.lang_hint.as_deref(), Some("nl"));
    assert_eq!(d.id.len(), 32);
    assert_eq!(
        d.id,
        repmon_sources::id_for_link(&url::Url::parse(&d.url).unwrap())
    );
    assert_eq!(
        rss.documents[1].title,
        "Golf Internet storing in Utrecht & Amersfoort"
    );

    // The same post polled again gets the same id.
    let again = poll_url(&fetcher, &format!("{base}/rss.xml"))
        .await
        .unwrap();
    assert_eq!(again.documents[0].id, d.id);

    let atom = poll_url(&fetcher, &format!("{base}/atom.xml"))
        .await
        .unwrap();
    assert_eq!(atom.documents.len(), 2);
    let a = &atom.documents[0];
    assert_eq!(a.title, "Golf Internet finally fixes its app");
    assert_eq!(a.body, "The new app works & customers are happy.");
    assert_eq!(
        a.url, "https://watch.example/golf-app",
        "the alternate link, not the replies link"
    );
    assert_eq!(
        a.author.as_deref(),
        Some("Telecom Watch Desk"),
        "feed author stands in"
    );
    assert_eq!(
        a.published.to_rfc3339(),
        "2026-11-21T09:30:00+00:00",
        "updated when not published"
    );
    let b = &atom.documents[1];
    assert_eq!(b.body, "An entry the feed gives no time and no link.");
    assert_eq!(b.published, b.first_seen, "no time stated: first seen");
    assert_eq!(
        b.id,
        repmon_sources::id_for_guid("test-feed", "urn:uuid:entry-2")
    );

    let json = poll_url(&fetcher, &format!("{base}/feed.json"))
        .await
        .unwrap();
    assert_eq!(json.documents.len(), 2);
    assert_eq!(
        json.documents[0].body,
        "Lang gewacht, maar vriendelijk geholpen."
    );
    assert_eq!(json.documents[0].author.as_deref(), Some("Pieter"));
    assert_eq!(
        json.documents[0].published.to_rfc3339(),
        "2026-11-18T07:15:00+00:00"
    );
    assert_eq!(json.documents[1].body, "Great service from Zon Energie.");
    assert_eq!(json.documents[1].url, "https://panel.example/k-2");
}

#[tokio::test]
async fn latin1_feed_is_decoded() {
    let (base, fetcher) = fixtures().await;
    let out = poll_url(&fetcher, &format!("{base}/latin1.xml"))
        .await
        .unwrap();
    assert_eq!(out.documents.len(), 1);
    assert_eq!(out.documents[0].title, "Crème brûlée bij Zon Energie");
    assert_eq!(out.documents[0].body, "Naïef, ½ prijs §3");
}

#[tokio::test]
async fn relative_links_resolve_and_html_titles_become_text() {
    let (base, fetcher) = fixtures().await;
    let out = poll_url(&fetcher, &format!("{base}/blog/sub/relative.xml"))
        .await
        .unwrap();
    assert_eq!(out.documents.len(), 2);
    assert_eq!(out.documents[0].title, "Vet & schuin over Zon");
    assert_eq!(out.documents[0].url, format!("{base}/posts/7#reacties"));
    assert_eq!(out.documents[1].url, format!("{base}/blog/andere/8?page=2"));
}

#[tokio::test]
async fn a_permanent_redirect_is_followed_and_reported() {
    let (base, fetcher) = fixtures().await;
    let out = poll_url(&fetcher, &format!("{base}/moved")).await.unwrap();
    assert_eq!(out.requests, 2);
    assert_eq!(out.documents.len(), 2);
    assert_eq!(out.moved_to, Some(format!("{base}/rss.xml")));
    let configured = format!("{base}/moved");
    assert_eq!(
        out.state.moved_to(&configured),
        Some(format!("{base}/rss.xml").as_str())
    );
    // The next poll goes straight to the new URL (one request, with its
    // validators) and does not report the move again.
    let source = feed_source("test-feed", &configured);
    let again = poll(&fetcher, &source, &out.state).await.unwrap();
    assert_eq!(again.requests, 1);
    assert_eq!(again.moved_to, None);
    assert_eq!(
        again.state.moved_to(&configured),
        out.state.moved_to(&configured)
    );
    // A user who edits the URL in the config is not sent to the old move.
    let edited = feed_source("test-feed", &format!("{base}/atom.xml"));
    let fresh = poll(&fetcher, &edited, &out.state).await.unwrap();
    assert_eq!(fresh.requests, 1);
    assert!(!fresh.documents.is_empty());
    assert_eq!(fresh.state.moved_to(&format!("{base}/atom.xml")), None);
    let fetched = fetcher
        .get(
            &url::Url::parse(&format!("{base}/moved")).unwrap(),
            "*/*",
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        fetched.moved_permanently.map(|u| u.to_string()),
        Some(format!("{base}/rss.xml"))
    );
}

#[tokio::test]
async fn gone_and_retry_after_are_told_to_the_caller() {
    let (base, fetcher) = fixtures().await;
    let gone = poll_url(&fetcher, &format!("{base}/gone"))
        .await
        .unwrap_err();
    assert!(gone.is_gone(), "{gone}");
    assert!(!gone.is_transient());
    assert_eq!(gone.to_string(), format!("{base}/gone: answered 410 Gone"));
    let busy = poll_url(&fetcher, &format!("{base}/busy"))
        .await
        .unwrap_err();
    assert!(busy.is_transient() && !busy.is_gone());
    assert_eq!(
        busy.retry_after(chrono::Utc::now()),
        Some(Duration::from_secs(120))
    );
}

/// Each bad answer yields one clear line that names the URL.
#[tokio::test]
async fn bad_answers_are_clear_errors() {
    let base = fixture_server().await;
    let poll_cfg = poll_settings(1_000, 64 * 1024, 4, 0);
    let fetcher = Fetcher::new(&poll_cfg).unwrap();
    let _ = gzip_bomb(); // built before the clock runs
    let cases: &[(&str, &str)] = &[
        (
            "/page",
            "/page: not a feed: the server sent an HTML page (text/html); the page names a feed at BASE/feed.xml",
        ),
        (
            "/truncated.xml",
            "/truncated.xml: the feed cannot be read: ",
        ),
        ("/error", "/error: answered 500 Internal Server Error"),
        (
            "/big.xml",
            "/big.xml: body is larger than the 64 KiB limit (poll.max_body)",
        ),
        (
            "/bomb.xml",
            "/bomb.xml: body is larger than the 64 KiB limit (poll.max_body)",
        ),
        ("/stall-body", "/stall-body: timed out after 1s"),
        ("/stall-headers", "/stall-headers: timed out after 1s"),
        (
            "/loop",
            "/loop: redirected more than 5 times (a redirect loop?)",
        ),
    ];
    for (path, expected) in cases {
        let started = Instant::now();
        let err = poll_url(&fetcher, &format!("{base}{path}"))
            .await
            .expect_err(path);
        let msg = err.to_string();
        let expected = format!("{base}{}", expected.replace("BASE", &base));
        assert!(
            msg.starts_with(&expected),
            "{path}: got {msg:?}, want {expected:?}"
        );
        assert!(!msg.contains('\n'), "one line: {msg:?}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path} took {:?}",
            started.elapsed()
        );
    }

    // Nothing listens on a port that was just closed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = poll_url(&fetcher, &format!("http://{closed}/feed"))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Connect { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("http://{closed}/feed: cannot connect: ")),
        "{err}"
    );
    assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
}

/// Records the validators each request carried, and answers 304 when they match.
#[derive(Default)]
struct Conditional {
    seen: Mutex<Vec<(Option<String>, Option<String>)>>,
}

const ETAG: &str = "W/\"zon-v1\"";
const LAST_MODIFIED: &str = "Fri, 20 Nov 2026 13:03:00 GMT";

async fn conditional(State(s): State<Arc<Conditional>>, headers: HeaderMap) -> Response {
    let inm = headers
        .get(header::IF_NONE_MATCH)
        .map(|v| v.to_str().unwrap().to_string());
    let ims = headers
        .get(header::IF_MODIFIED_SINCE)
        .map(|v| v.to_str().unwrap().to_string());
    s.seen.lock().unwrap().push((inm.clone(), ims));
    if inm.as_deref() == Some(ETAG) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, ETAG)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml"),
            (header::ETAG, ETAG),
            (header::LAST_MODIFIED, LAST_MODIFIED),
        ],
        RSS,
    )
        .into_response()
}

#[tokio::test]
async fn the_second_poll_sends_the_validators_and_gets_304() {
    let recorder = Arc::new(Conditional::default());
    let app = Router::new()
        .route("/feed", get(conditional))
        .with_state(recorder.clone());
    let base = serve(app).await;
    let fetcher = fetcher();
    let source = feed_source("cond", &format!("{base}/feed"));

    let first = first_poll(&fetcher, &source).await.unwrap();
    assert_eq!(first.documents.len(), 2);
    assert_eq!(first.not_modified, 0);
    // The daemon keeps the state as JSON between polls (and restarts).
    let stored = serde_json::to_string(&first.state).unwrap();
    let state: SourceState = serde_json::from_str(&stored).unwrap();

    let second = poll(&fetcher, &source, &state).await.unwrap();
    assert_eq!(second.requests, 1);
    assert_eq!(second.not_modified, 1);
    assert!(second.documents.is_empty());
    assert_eq!(
        second.state, first.state,
        "validators kept for the third poll"
    );

    let seen = recorder.seen.lock().unwrap();
    assert_eq!(seen[0], (None, None), "first poll is unconditional");
    assert_eq!(
        seen[1],
        (Some(ETAG.to_string()), Some(LAST_MODIFIED.to_string())),
        "exact validators echoed"
    );
}

#[derive(Default)]
struct Timing {
    starts: Mutex<Vec<Instant>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    user_agents: Mutex<Vec<String>>,
}

async fn timed(State(t): State<Arc<Timing>>, headers: HeaderMap) -> Response {
    t.starts.lock().unwrap().push(Instant::now());
    if let Some(ua) = headers.get(header::USER_AGENT) {
        t.user_agents
            .lock()
            .unwrap()
            .push(ua.to_str().unwrap().to_string());
    }
    let now = t.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    t.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    t.in_flight.fetch_sub(1, Ordering::SeqCst);
    xml(RSS)
}

/// Serves the RSS fixture slowly at `/{n}`, timing each request.
async fn timing_server() -> (Arc<Timing>, String) {
    let timing = Arc::new(Timing::default());
    let base = serve(
        Router::new()
            .route("/{n}", get(timed))
            .with_state(timing.clone()),
    )
    .await;
    (timing, base)
}

#[tokio::test]
async fn the_per_host_delay_is_kept_between_request_starts() {
    let (timing, base) = timing_server().await;
    let delay = Duration::from_millis(250);
    let fetcher =
        Fetcher::new(&poll_settings(5_000, 1 << 20, 4, delay.as_millis() as u64)).unwrap();
    let sources: Vec<_> = (0..5)
        .map(|i| feed_source(&format!("s{i}"), &format!("{base}/{i}")))
        .collect();
    let empty = SourceState::default();
    let polls = sources.iter().map(|s| poll(&fetcher, s, &empty));
    for result in futures_util::future::join_all(polls).await {
        assert_eq!(result.unwrap().documents.len(), 2);
    }
    let mut starts = timing.starts.lock().unwrap().clone();
    starts.sort();
    assert_eq!(starts.len(), 5);
    for pair in starts.windows(2) {
        let gap = pair[1] - pair[0];
        // A few ms of slack for the loopback hop between client and server clocks.
        assert!(
            gap >= delay - Duration::from_millis(15),
            "requests started only {gap:?} apart"
        );
    }
    let agents = timing.user_agents.lock().unwrap();
    assert!(
        agents
            .iter()
            .all(|ua| ua == &format!("repmon-test/{}", env!("CARGO_PKG_VERSION"))),
        "{agents:?}"
    );
}

#[tokio::test]
async fn at_most_host_concurrency_requests_are_in_flight_per_host() {
    let (timing, base) = timing_server().await;
    let fetcher = Fetcher::new(&poll_settings(5_000, 1 << 20, 2, 0)).unwrap();
    // A clone shares the limits: half the polls go through each.
    let clone = fetcher.clone();
    let sources: Vec<_> = (0..8)
        .map(|i| feed_source(&format!("s{i}"), &format!("{base}/{i}")))
        .collect();
    let empty = SourceState::default();
    let polls = sources
        .iter()
        .enumerate()
        .map(|(i, s)| poll(if i % 2 == 0 { &fetcher } else { &clone }, s, &empty));
    for result in futures_util::future::join_all(polls).await {
        result.unwrap();
    }
    assert_eq!(timing.max_in_flight.load(Ordering::SeqCst), 2);
}

const WP_COMMENTS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Reacties op: Energieblog</title>
  <link>https://energie.example/</link>
  <item>
    <title>Reactie op Zon Energie verhoogt de terugleververgoeding door Piet</title>
    <link>https://energie.example/2026/11/zon-terugleveren/#comment-17</link>
    <dc:creator>Piet</dc:creator>
    <guid isPermaLink="false">https://energie.example/?p=101#comment-17</guid>
    <pubDate>Fri, 20 Nov 2026 16:03:00 +0100</pubDate>
    <description>Bij mij ook, Zon Energie belt niet terug.</description>
  </item>
</channel>
</rss>"#;

const ATOM_REPLIES: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0">
  <title>Reacties</title>
  <id>tag:energie.example,2026:comments</id>
  <updated>2026-11-21T10:00:00Z</updated>
  <entry>
    <id>tag:energie.example,2026:c-5</id>
    <title>Re: Golf Internet storing</title>
    <link href="/reacties/5"/>
    <thr:in-reply-to ref="tag:energie.example,2026:post-9" href="/2026/11/golf-storing"/>
    <updated>2026-11-21T10:00:00Z</updated>
    <content type="html">Hier ook &lt;b&gt;geen internet&lt;/b&gt;.</content>
  </entry>
  <entry>
    <id>tag:energie.example,2026:c-6</id>
    <title>Re: Re: storing</title>
    <link href="/reacties/6"/>
    <thr:in-reply-to ref="tag:energie.example,2026:c-5"/>
    <updated>2026-11-21T11:00:00Z</updated>
    <content>Nu weer in de lucht.</content>
  </entry>
  <entry>
    <id>tag:energie.example,2026:post-10</id>
    <title>Een gewoon bericht</title>
    <link href="/2026/11/gewoon"/>
    <updated>2026-11-21T12:00:00Z</updated>
    <content>Geen reactie.</content>
  </entry>
</feed>"#;

#[test]
fn comments_are_kept_as_replies_in_their_thread() {
    let now = chrono::Utc::now();
    let base = url::Url::parse("https://energie.example/comments/feed/").unwrap();
    let source = feed_source("blog-comments", base.as_str());
    let docs =
        repmon_sources::parse_feed(WP_COMMENTS.as_bytes(), None, &base, &source, now).unwrap();
    let article = "https://energie.example/2026/11/zon-terugleveren/";
    assert_eq!(docs[0].thread.as_deref(), Some(article));
    assert_eq!(docs[0].in_reply_to.as_deref(), Some(article));
    assert_eq!(
        docs[0].url,
        "https://energie.example/2026/11/zon-terugleveren/#comment-17"
    );

    let base = url::Url::parse("https://energie.example/feeds/comments.atom").unwrap();
    let docs =
        repmon_sources::parse_feed(ATOM_REPLIES.as_bytes(), None, &base, &source, now).unwrap();
    assert_eq!(docs.len(), 3);
    // The href (resolved against the feed) names the post answered.
    assert_eq!(
        docs[0].in_reply_to.as_deref(),
        Some("https://energie.example/2026/11/golf-storing")
    );
    assert_eq!(docs[0].thread, docs[0].in_reply_to);
    assert_eq!(docs[0].body, "Hier ook geen internet.");
    // Only a ref: the answered entry's id is kept as it is.
    assert_eq!(
        docs[1].in_reply_to.as_deref(),
        Some("tag:energie.example,2026:c-5")
    );
    assert_eq!(
        (docs[2].thread.as_ref(), docs[2].in_reply_to.as_ref()),
        (None, None)
    );
}

#[tokio::test]
async fn feeds_are_discovered_from_a_site_address() {
    let (base, fetcher) = fixtures().await;
    let at = |p: &str| url::Url::parse(&format!("{base}{p}")).unwrap();

    let found = repmon_sources::discover_feeds(&fetcher, &at("/site"))
        .await
        .unwrap();
    let urls: Vec<&str> = found.iter().map(|f| f.url.as_str()).collect();
    assert_eq!(
        urls,
        [format!("{base}/rss.xml"), format!("{base}/comments/feed/")]
    );
    assert_eq!(found[0].title.as_deref(), Some("Energieblog » Feed"));
    assert_eq!(
        found[0].html_url.as_deref(),
        Some(format!("{base}/site").as_str())
    );

    // A feed's own address is kept as it is.
    let found = repmon_sources::discover_feeds(&fetcher, &at("/atom.xml"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].url, format!("{base}/atom.xml"));

    let err = repmon_sources::discover_feeds(&fetcher, &at("/plain"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{base}/plain: not a feed: a web page that names no feed"
        )),
        "{err}"
    );
    let err = repmon_sources::discover_feeds(&fetcher, &at("/truncated.xml"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot be read"), "{err}");
}

/// A server that ignores conditional requests but sends the same ETag: the
/// answer counts as not modified and nothing comes again.
#[tokio::test]
async fn a_200_with_the_same_validator_is_not_modified() {
    let etag = Arc::new(Mutex::new("\"v1\"".to_string()));
    let current = etag.clone();
    let app = Router::new().route(
        "/feed",
        get(move || {
            let tag = current.lock().unwrap().clone();
            async move {
                (
                    [
                        (header::CONTENT_TYPE, "application/rss+xml".to_string()),
                        (header::ETAG, tag),
                    ],
                    RSS,
                )
            }
        }),
    );
    let base = serve(app).await;
    let fetcher = fetcher();
    let source = feed_source("deaf", &format!("{base}/feed"));
    let first = first_poll(&fetcher, &source).await.unwrap();
    assert_eq!((first.documents.len(), first.not_modified), (2, 0));
    let second = poll(&fetcher, &source, &first.state).await.unwrap();
    assert_eq!((second.documents.len(), second.not_modified), (0, 1));
    // A new validator means new content: read in full again.
    *etag.lock().unwrap() = "\"v2\"".into();
    let third = poll(&fetcher, &source, &second.state).await.unwrap();
    assert_eq!((third.documents.len(), third.not_modified), (2, 0));
}
