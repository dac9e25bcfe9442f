//! The HTTP surface end to end: the router served on 127.0.0.1 over a real
//! store in a temporary directory, filled with constructed mentions, asked
//! with a real HTTP client.

use chrono::{DateTime, Duration, Utc};
use repmon_api::{AppState, Telemetry, router};
use repmon_config::Config;
use repmon_model::{CompanyMention, Document, Mention, Sentiment, SourceHealthRecord, SourceKind};
use repmon_monitor::Monitor;
use repmon_store::Store;
use serde_json::Value;
use std::sync::Arc;

const SCRIPT: &str = "<script>alert(1)</script>";

struct Server {
    base: String,
    state: AppState,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request reaches the server")
    }

    async fn json(&self, path: &str) -> (u16, Value) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        let ct = content_type(&resp);
        assert!(
            ct.starts_with("application/json"),
            "{path}: content-type {ct:?}"
        );
        (status, resp.json().await.expect("a JSON body"))
    }

    async fn html(&self, path: &str) -> (u16, String) {
        let resp = self.get(path).await;
        let status = resp.status().as_u16();
        let ct = content_type(&resp);
        assert!(ct.starts_with("text/html"), "{path}: content-type {ct:?}");
        let body = resp.text().await.unwrap();
        assert_html_is_safe(path, &body);
        (status, body)
    }
}

fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The pages carry no script of their own, so any `<script` or script URL in
/// a page came from scraped data and was not escaped.
fn assert_html_is_safe(path: &str, body: &str) {
    assert!(
        !body.contains(SCRIPT),
        "{path}: the scraped script is in the page unescaped"
    );
    assert!(
        !body.to_ascii_lowercase().contains("<script"),
        "{path}: a <script> tag in the page"
    );
    assert!(
        !body.contains("href=\"javascript"),
        "{path}: a javascript: link in the page"
    );
    assert!(
        !body.contains("<img"),
        "{path}: a scraped <img> in the page"
    );
}

fn config(api_tokens: &[&str]) -> Config {
    let tokens = api_tokens
        .iter()
        .map(|t| format!("{t:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let toml = format!(
        r#"
        [server]
        api_tokens = [{tokens}]

        [[companies]]
        id = "zon"
        name = "Zon Energie"
        terms = ["Zon Energie"]

        [[companies]]
        id = "golf"
        name = "Golf Internet"
        terms = ["Golf Internet"]

        [[companies]]
        id = "wind"
        name = "Wind & Co"
        terms = ["Wind & Co"]

        [[sources]]
        id = "tweakers"
        kind = "html"
        url = "https://forum.example.org/energie"
        item = "article"
        body = "div.body"

        [[sources]]
        id = "blog"
        kind = "feed"
        url = "https://blog.example.org/feed"
        name = "Energieblog"
        "#
    );
    Config::from_toml_with_env(std::path::Path::new("test.toml"), &toml, &[])
        .expect("test config is valid")
}

#[allow(clippy::too_many_arguments)]
fn mention(
    id: &str,
    source: &str,
    kind: SourceKind,
    title: &str,
    body: &str,
    published: DateTime<Utc>,
    lang: &str,
    about: &[(&str, Sentiment, f32)],
) -> Mention {
    let url = format!("https://{source}.example.org/{id}");
    Mention {
        doc: Document {
            title: title.into(),
            author: Some(format!("author-{id}")),
            ..Document::new(id, source, kind, url, body, published)
        },
        lang: lang.into(),
        companies: about
            .iter()
            .map(|&(c, s, score)| CompanyMention::new(c, s, score))
            .collect(),
    }
}

/// This week Zon Energie is praised (Dutch forum posts) and Golf Internet is
/// panned (English blog posts); the week before it was the other way round.
/// One post carries a script in its title, body, author and link.
fn mentions(now: DateTime<Utc>) -> Vec<Mention> {
    use Sentiment::*;
    let mut out = Vec::new();
    for i in 0..8 {
        out.push(mention(
            &format!("zon-now-{i}"),
            "tweakers",
            SourceKind::Html,
            &format!("Ervaringen met Zon Energie {i}"),
            "Zon Energie is geweldig: snelle klantenservice en een eerlijke terugleververgoeding. Echt een aanrader.",
            now - Duration::hours(6 + 12 * i),
            "nl",
            &[("zon", Positive, 0.8)],
        ));
    }
    for i in 0..6 {
        out.push(mention(
            &format!("golf-now-{i}"),
            "blog",
            SourceKind::Feed,
            &format!("Golf Internet outage, day {i}"),
            "Golf Internet had another storing tonight. The wifi dropped again and support never answered. Terrible.",
            now - Duration::hours(3 + 20 * i),
            "en",
            &[("golf", Negative, -0.7)],
        ));
    }
    for i in 0..6 {
        out.push(mention(
            &format!("golf-before-{i}"),
            "blog",
            SourceKind::Feed,
            &format!("Golf Internet is fast {i}"),
            "Golf Internet upgraded my line for free. Great speed, friendly support.",
            now - Duration::days(8) - Duration::hours(10 * i),
            "en",
            &[("golf", Positive, 0.7)],
        ));
    }
    for i in 0..2 {
        out.push(mention(
            &format!("zon-before-{i}"),
            "tweakers",
            SourceKind::Html,
            &format!("Zon Energie storing {i}"),
            "Zon Energie stuurde weer een verkeerde rekening. Slechte service.",
            now - Duration::days(9) - Duration::hours(5 * i),
            "nl",
            &[("zon", Negative, -0.6)],
        ));
    }
    let mut evil = mention(
        "evil",
        "tweakers",
        SourceKind::Html,
        &format!("{SCRIPT} Zon Energie"),
        &format!("Zon Energie oplichters {SCRIPT} <img src=x onerror=alert(2)> slecht en traag"),
        now - Duration::hours(30),
        "nl",
        &[("zon", Negative, -0.9), ("golf", Neutral, 0.0)],
    );
    evil.doc.url = "javascript:alert(1)".into();
    evil.doc.author = Some(format!("<b>mallory</b>{SCRIPT}"));
    out.push(evil);
    out
}

async fn start(api_tokens: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let config = Arc::new(config(api_tokens));
    let store = Arc::new(Store::open(dir.path()).expect("store opens"));
    let stats = store
        .write_mentions(&mentions(Utc::now()))
        .expect("mentions are stored");
    assert_eq!(stats.added, 23);
    let monitor = Arc::new(Monitor::new(store.clone(), config.clone()));
    let telemetry = Arc::new(Telemetry::new());
    let state = AppState {
        store,
        monitor,
        config,
        telemetry,
    };

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        base,
        state,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn ranking_has_spec_shape_and_order() {
    let s = start(&[]).await;
    let (status, r) = s.json("/api/v1/ranking").await;
    assert_eq!(status, 200, "{r}");
    for key in ["generated_at", "window", "entries"] {
        assert!(r.get(key).is_some(), "ranking lacks {key}: {r}");
    }
    let from = DateTime::parse_from_rfc3339(r["window"]["from"].as_str().unwrap()).unwrap();
    let to = DateTime::parse_from_rfc3339(r["window"]["to"].as_str().unwrap()).unwrap();
    assert_eq!(
        to - from,
        Duration::days(7),
        "the default window is the configured 7d"
    );

    let entries = r["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "every tracked company has a row: {r}");
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["rank"], i + 1, "ranks run 1, 2, 3 in order");
        for key in [
            "previous_rank",
            "company",
            "score",
            "score_change",
            "metrics",
            "reasons",
        ] {
            assert!(e.get(key).is_some(), "entry lacks {key}: {e}");
        }
        for key in [
            "mentions",
            "share_of_voice",
            "positive",
            "negative",
            "neutral",
            "net_sentiment",
        ] {
            assert!(e["metrics"][key].is_number(), "metrics lack {key}: {e}");
        }
        assert!(e["reasons"].is_array());
    }
    // Praised this week, panned before: Zon Energie climbs over Golf Internet.
    assert_eq!(
        entries[0]["company"],
        serde_json::json!({"id": "zon", "name": "Zon Energie"})
    );
    assert_eq!(entries[1]["company"]["id"], "golf");
    assert_eq!(entries[2]["company"]["id"], "wind");
    assert_eq!(entries[0]["previous_rank"], 2);
    assert_eq!(entries[1]["previous_rank"], 1);
    assert_eq!(entries[0]["metrics"]["mentions"], 9);
    assert_eq!(entries[0]["metrics"]["positive"], 8);
    assert!(entries[0]["score"].as_f64().unwrap() > entries[1]["score"].as_f64().unwrap());
    assert!(
        entries[1]["score_change"].as_f64().unwrap() < 0.0,
        "Golf Internet lost score"
    );

    let (status, r) = s.json("/api/v1/ranking?top=1&window=30d").await;
    assert_eq!(status, 200);
    assert_eq!(r["entries"].as_array().unwrap().len(), 1);
    let from = DateTime::parse_from_rfc3339(r["window"]["from"].as_str().unwrap()).unwrap();
    let to = DateTime::parse_from_rfc3339(r["window"]["to"].as_str().unwrap()).unwrap();
    assert_eq!(to - from, Duration::days(30));

    for bad in [
        "window=soon",
        "window=0s",
        "top=0",
        "top=many",
        "window=100000d",
    ] {
        let (status, body) = s.json(&format!("/api/v1/ranking?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn mentions_search_filters_pages_and_highlights() {
    let s = start(&[]).await;

    // Full text: "storing" is in the Golf posts of this week and the Zon posts before.
    let (status, page) = s.json("/api/v1/mentions?q=storing").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 6 + 2, "{page}");
    let first = &page["mentions"][0];
    for key in [
        "id",
        "url",
        "title",
        "snippet",
        "source",
        "kind",
        "author",
        "published",
        "lang",
        "companies",
    ] {
        assert!(first.get(key).is_some(), "mention lacks {key}: {first}");
    }
    assert!(
        first["snippet"].as_str().unwrap().contains("<b>"),
        "the query word is highlighted: {first}"
    );
    assert_eq!(first["id"], "golf-now-0", "newest first");
    assert_eq!(first["kind"], "feed");
    assert_eq!(first["lang"], "en");
    assert_eq!(
        first["companies"],
        serde_json::json!([{"id": "golf", "sentiment": "negative", "score": -0.7}])
    );
    let times: Vec<DateTime<Utc>> = page["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["published"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    // Company and sentiment together: the sentiment toward that company.
    let (_, page) = s
        .json("/api/v1/mentions?company=golf&sentiment=negative")
        .await;
    assert_eq!(page["total"], 6);
    assert!(
        ids(&page).iter().all(|id| id.starts_with("golf-now-")),
        "{page}"
    );
    let (_, page) = s
        .json("/api/v1/mentions?company=golf&sentiment=neutral")
        .await;
    assert_eq!(
        ids(&page),
        vec!["evil"],
        "the script post is neutral about Golf Internet"
    );

    // since as a duration back from now; until as RFC 3339.
    let (_, page) = s.json("/api/v1/mentions?company=zon&since=7d").await;
    assert_eq!(
        page["total"], 9,
        "8 praising posts and the script post this week"
    );
    let until = (Utc::now() - Duration::days(7)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (status, page) = s
        .json(&format!("/api/v1/mentions?company=zon&until={until}"))
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 2);
    let (_, page) = s
        .json("/api/v1/mentions?kind=html&source=tweakers&since=2d")
        .await;
    assert!(
        ids(&page)
            .iter()
            .all(|id| id.starts_with("zon-now-") || id == "evil"),
        "{page}"
    );

    // Paging: total stays, pages do not overlap, and they continue in order.
    let (_, all) = s.json("/api/v1/mentions?company=zon&limit=50").await;
    let (_, p1) = s.json("/api/v1/mentions?company=zon&limit=4").await;
    let (_, p2) = s
        .json("/api/v1/mentions?company=zon&limit=4&offset=4")
        .await;
    assert_eq!(
        (p1["total"].clone(), p2["total"].clone()),
        (all["total"].clone(), all["total"].clone())
    );
    assert_eq!(all["total"], 11);
    let (a, b) = (ids(&p1), ids(&p2));
    assert_eq!((a.len(), b.len()), (4, 4));
    assert_eq!([a, b].concat(), ids(&all)[..8].to_vec());

    // A search with no full-text part still highlights the company in the snippet.
    let first = &all["mentions"][0];
    assert!(
        first["snippet"].as_str().unwrap().contains("<b>"),
        "{first}"
    );

    // The script post comes back as data, escaped in its snippet.
    let (_, page) = s.json("/api/v1/mentions?q=oplichters").await;
    assert_eq!(ids(&page), vec!["evil"]);
    let m = &page["mentions"][0];
    assert_eq!(
        m["title"],
        format!("{SCRIPT} Zon Energie"),
        "JSON carries the text as it was"
    );
    assert!(
        !m["snippet"].as_str().unwrap().contains("<script"),
        "snippets are HTML and escaped: {m}"
    );
}

#[tokio::test]
async fn bad_search_input_is_a_400_with_a_message() {
    let s = start(&[]).await;
    for bad in [
        "q=nosuchfield:zon",
        "q=title:(zon",
        "company=nope",
        "sentiment=furious",
        "kind=gopher",
        "since=yesterday-ish",
        "limit=0",
        "limit=abc",
        "offset=-1",
        "limit=1000&offset=9500",
        "since=1d&until=3d",
    ] {
        let (status, body) = s.json(&format!("/api/v1/mentions?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(!error.is_empty(), "{bad}: {body}");
    }
    let (_, body) = s.json("/api/v1/mentions?company=nope").await;
    assert!(
        body["error"].as_str().unwrap().contains("nope"),
        "the error names the value: {body}"
    );
    // Broken percent-encoding is the client's fault too, and answered in JSON.
    let (status, body) = s.json("/api/v1/mentions?limit=%FF%FE").await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn company_report_and_unknown_company() {
    let s = start(&[]).await;
    let (status, c) = s.json("/api/v1/companies/golf").await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["company"]["id"], "golf");
    assert_eq!(c["rank"], 2);
    assert_eq!(c["previous_rank"], 1);
    assert_eq!(c["metrics"]["negative"], 6);
    assert_eq!(c["previous_metrics"]["positive"], 6);
    let days = c["daily"].as_array().unwrap().len();
    assert!(
        (7..=8).contains(&days),
        "one point per day of the 7d window: {c}"
    );
    assert!(!c["top_negative"].as_array().unwrap().is_empty());
    // The reasons come with their evidence: the sentiment fall, and links to
    // this week's complaints behind it.
    let details = c["reason_details"].as_array().unwrap();
    let texts: Vec<&Value> = details.iter().map(|d| &d["text"]).collect();
    assert_eq!(
        texts,
        c["reasons"].as_array().unwrap().iter().collect::<Vec<_>>()
    );
    let d = details
        .iter()
        .find(|d| d["component"] == "vibe")
        .unwrap_or_else(|| panic!("a sentiment reason: {c}"));
    assert!(
        d["text"].as_str().unwrap().starts_with("sentiment fell"),
        "{d}"
    );
    // Net sentiment: six praising posts before; six complaints and one
    // neutral post now.
    assert_eq!(
        (d["before"].as_f64(), d["after"].as_f64()),
        (Some(1.0), Some(-0.8571)),
        "{d}"
    );
    let cited = d["mentions"].as_array().unwrap();
    assert_eq!(cited.len(), 3, "{d}");
    for m in cited {
        assert!(
            m["url"]
                .as_str()
                .unwrap()
                .starts_with("https://blog.example.org/golf-now-"),
            "{m}"
        );
        assert_eq!(m["sentiment"], "negative");
        assert_eq!(m["source"], "blog");
        assert!(
            m["title"]
                .as_str()
                .unwrap()
                .starts_with("Golf Internet outage")
        );
    }
    // The ranking carries the same details.
    let (_, r) = s.json("/api/v1/ranking").await;
    let golf = r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["company"]["id"] == "golf")
        .unwrap();
    assert_eq!(golf["reason_details"], c["reason_details"]);

    let (status, c) = s.json("/api/v1/companies/zon?window=30d").await;
    assert_eq!(status, 200, "{c}");
    let days = c["daily"].as_array().unwrap().len();
    assert!((30..=31).contains(&days), "{days} days in a 30d window");

    let (status, body) = s.json("/api/v1/companies/nope").await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].as_str().unwrap().contains("nope"));
    let (status, body) = s.json("/api/v1/no-such-endpoint").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn api_tokens_guard_the_api_only() {
    let s = start(&["tok-alpha-123", "tok-beta-456"]).await;
    let (status, body) = s.json("/api/v1/mentions").await;
    assert_eq!(status, 401);
    assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");

    let ask = |auth: &'static str| {
        s.http
            .get(format!("{}/api/v1/mentions?limit=1", s.base))
            .header("authorization", auth)
            .send()
    };
    let resp = ask("Bearer tok-alpha-12").await.unwrap();
    assert_eq!(resp.status(), 401, "a prefix of a token is not the token");
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        ask("Basic dG9rLWFscGhhLTEyMw==").await.unwrap().status(),
        401
    );
    assert_eq!(ask("Bearer tok-beta-456").await.unwrap().status(), 200);
    let resp = ask("bearer tok-alpha-123").await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["total"], 23);

    // Unknown API paths are behind the token too.
    let (status, _) = s.json("/api/v1/nothing-here").await;
    assert_eq!(status, 401);
    let (status, _) = s.json("/api/v1/ranking").await;
    assert_eq!(status, 401);

    // The web page, health and metrics stay open.
    assert_eq!(s.get("/healthz").await.status(), 200);
    assert_eq!(s.get("/metrics").await.status(), 200);
    assert_eq!(s.html("/sources").await.0, 200);

    // Without tokens configured, no header is needed.
    let open = start(&[]).await;
    assert_eq!(open.json("/api/v1/mentions?limit=1").await.0, 200);
}

#[tokio::test]
async fn healthz_metrics_and_sources() {
    let s = start(&[]).await;
    let resp = s.get("/healthz").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");

    // Two failed polls of one source and a good one of the other: the
    // health as the poll step stores it, the counts as the daemon counts them.
    let at = Utc::now();
    let stored = |id: &str, health: SourceHealthRecord| {
        s.state
            .store
            .put(repmon_store::Table::Sources, id, &health)
            .unwrap();
    };
    stored(
        "tweakers",
        SourceHealthRecord {
            polls: 2,
            last_poll: Some(at),
            consecutive_failures: 2,
            last_error: Some(format!("bad page {SCRIPT}")),
            last_error_at: Some(at),
            ..Default::default()
        },
    );
    stored(
        "blog",
        SourceHealthRecord {
            polls: 1,
            last_poll: Some(at),
            last_success: Some(at),
            documents_seen: 25,
            ..Default::default()
        },
    );
    let t = &s.state.telemetry;
    t.record_poll("tweakers", false, 0, 0);
    t.record_poll("tweakers", false, 0, 0);
    t.record_poll("blog", true, 25, 12);
    t.record_ingest(12, 3);
    t.record_rerank(at);
    t.record_webhook(true);
    t.record_webhook(false);
    let kept: Vec<_> = ["k1", "k2"]
        .iter()
        .map(|id| {
            Document::new(
                *id,
                "blog",
                SourceKind::Feed,
                format!("https://blog.example/{id}"),
                "Over niemand in het bijzonder.",
                at,
            )
        })
        .collect();
    s.state
        .store
        .keep_unmatched(&kept, at - Duration::days(1))
        .unwrap();

    let resp = s.get("/metrics").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        content_type(&resp),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = resp.text().await.unwrap();
    for line in [
        "repmon_source_polls_total{source=\"tweakers\",result=\"error\"} 2",
        "repmon_source_polls_total{source=\"blog\",result=\"ok\"} 1",
        "repmon_source_consecutive_failures{source=\"tweakers\"} 2",
        "repmon_source_documents_fetched_total{source=\"blog\"} 25",
        "repmon_mentions_added_total 12",
        "repmon_mentions_updated_total 3",
        "repmon_reranks_total 1",
        "repmon_webhook_deliveries_total{result=\"failed\"} 1",
        "repmon_mentions_stored 23",
        "repmon_unmatched_documents_kept 2",
        "repmon_companies_tracked 3",
        "# TYPE repmon_mentions_stored gauge",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "metrics lack {line:?}:\n{text}"
        );
    }

    let (status, body) = s.json("/api/v1/sources").await;
    assert_eq!(status, 200);
    let rows = body["sources"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{body}");
    assert_eq!(rows[0]["id"], "tweakers");
    assert_eq!(rows[0]["status"], "failing");
    assert_eq!(rows[0]["consecutive_failures"], 2);
    assert_eq!(rows[0]["last_error"], format!("bad page {SCRIPT}"));
    assert_eq!(rows[1]["name"], "Energieblog");
    assert_eq!(rows[1]["status"], "ok");
    assert_eq!(rows[1]["documents_seen"], 25);
    assert_eq!(
        (
            &rows[0]["polls_failed"],
            &rows[1]["polls_ok"],
            &rows[1]["new_documents"]
        ),
        (&Value::from(2), &Value::from(1), &Value::from(12)),
        "this process's poll counts"
    );

    let (status, page) = s.html("/sources").await;
    assert_eq!(status, 200);
    assert!(page.contains("Energieblog") && page.contains("failing"));
    assert!(
        page.contains("bad page &lt;script&gt;"),
        "the error text is shown, escaped"
    );
}

#[tokio::test]
async fn web_pages_render_and_escape_scraped_text() {
    let s = start(&[]).await;

    let (status, page) = s.html("/").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<a href=\"/companies/zon\">Zon Energie</a>"),
        "{page}"
    );
    assert!(page.contains("Wind &amp; Co"), "names are escaped too");
    assert!(
        page.contains("▲1") && page.contains("▼1"),
        "movement arrows"
    );
    assert!(
        page.find("Zon Energie").unwrap() < page.find("Golf Internet").unwrap(),
        "ranked order"
    );
    let (status, page) = s.html("/?window=30d").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("class=\"selected\" aria-current=\"true\">30d"),
        "the window selector shows 30d"
    );
    assert_eq!(s.html("/?window=never").await.0, 400);

    let (status, page) = s.html("/companies/zon").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<svg") && page.contains("<rect"),
        "the trend chart"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "the script title, escaped"
    );
    // minijinja escapes `/` too; browsers read `&#x2f;` in an attribute as `/`.
    assert!(
        page.contains("href=\"https:&#x2f;&#x2f;tweakers.example.org&#x2f;zon-now-"),
        "links to mentions"
    );
    let (status, page) = s.html("/companies/golf").await;
    assert_eq!(status, 200);
    assert!(page.contains("Golf Internet"));
    // Each reason lists the mentions behind it, linked.
    let why = &page[page.find("<h2>Why</h2>").unwrap()..page.find("<h2>Trend</h2>").unwrap()];
    assert!(why.contains("sentiment fell"), "{why}");
    assert!(
        why.contains(
            "<ul class=\"evidence\"><li><a href=\"https:&#x2f;&#x2f;blog.example.org&#x2f;golf-now-"
        ),
        "{why}"
    );
    assert!(why.contains("Golf Internet outage, day"), "{why}");
    // The scraped post cited for reach has a script for a title and a
    // javascript: link: shown as escaped text, not linked.
    assert!(
        why.contains("<li>&lt;script&gt;alert(1)&lt;&#x2f;script&gt; Zon Energie"),
        "{why}"
    );
    let (status, page) = s.html("/companies/nope").await;
    assert_eq!(status, 404);
    assert!(page.contains("nope"));

    let (status, page) = s.html("/search").await;
    assert_eq!(status, 200);
    assert!(page.contains("<form"));
    let (status, page) = s.html("/search?q=oplichters").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<b>oplichters</b>"),
        "the store's snippet HTML is kept: {page}"
    );
    assert!(
        page.contains("&lt;b&gt;mallory&lt;&#x2f;b&gt;"),
        "the author is escaped"
    );
    let (status, page) = s.html("/search?company=golf&sentiment=negative").await;
    assert_eq!(status, 200);
    assert!(page.contains("1–6 of 6 mentions"), "{page}");
    assert!(
        page.contains("<option value=\"golf\" selected>"),
        "the form keeps the filter"
    );
    let (status, page) = s.html("/search?q=zon&company=&sentiment=").await;
    assert_eq!(status, 200, "empty form fields are no filter");
    assert!(page.contains("of 11 mentions"), "{page}");

    let (status, page) = s
        .html(&format!("/search?q=title:(zon{}", "%3Cscript%3E"))
        .await;
    assert_eq!(status, 400);
    assert!(
        page.contains("class=\"error\""),
        "the query error is on the page"
    );
    assert!(
        page.contains("value=\"title:(zon&lt;script&gt;\""),
        "the query is kept in the box, escaped"
    );
    let (status, page) = s.html("/search?sentiment=furious").await;
    assert_eq!(status, 400);
    assert!(page.contains("furious"));

    assert_eq!(s.html("/no/such/page").await.0, 404);
}

/// What the daemon stored about its sources (before a restart, say) shows in
/// the API and on the page even when this process has not polled yet.
#[tokio::test]
async fn stored_source_health_is_shown_after_a_restart() {
    let s = start(&[]).await;
    let at = Utc::now() - Duration::hours(2);
    // Shaped as the daemon writes it: the source kind's state next to the health.
    let put = |id: &str, record: Value| {
        s.state
            .store
            .put(repmon_store::Table::Sources, id, &record)
            .unwrap();
    };
    put(
        "tweakers",
        serde_json::json!({
            "state": {"pages": {"https://forum.example.org/energie": {"etag": "\"x\""}}},
            "polls": 4, "last_poll": at, "consecutive_failures": 1,
            "last_error": format!("https://forum.example.org/energie: answered 410 Gone {SCRIPT}"),
            "last_error_at": at,
            "retired": {"at": at, "url": "https://forum.example.org/energie",
                        "reason": format!("https://forum.example.org/energie: answered 410 Gone {SCRIPT}")}
        }),
    );
    let next = Utc::now() + Duration::minutes(7);
    put(
        "blog",
        serde_json::json!({
            "state": {}, "polls": 9, "last_poll": at, "last_success": at,
            "consecutive_failures": 0, "documents_seen": 31, "next_poll": next,
            "moved_to": "https://blog.example.org/new-feed",
        }),
    );

    let (status, body) = s.json("/api/v1/sources").await;
    assert_eq!(status, 200);
    let rows = body["sources"].as_array().unwrap();
    assert_eq!(rows[0]["id"], "tweakers");
    assert_eq!(rows[0]["status"], "retired");
    assert!(
        rows[0]["next_poll"].is_null(),
        "a retired source is not polled"
    );
    assert_eq!(
        rows[0]["retired"]["url"],
        "https://forum.example.org/energie"
    );
    assert_eq!(rows[0]["consecutive_failures"], 1);
    assert_eq!(rows[1]["status"], "ok");
    assert_eq!(
        rows[1]["last_success"].as_str().unwrap(),
        at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    );
    assert_eq!(
        rows[1]["next_poll"].as_str().unwrap(),
        next.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    );
    assert_eq!(rows[1]["moved_to"], "https://blog.example.org/new-feed");

    // A later failed poll, stored as the poll step stores it, shows at once.
    let mut blog: SourceHealthRecord = s
        .state
        .store
        .get(repmon_store::Table::Sources, "blog")
        .unwrap()
        .unwrap();
    blog.last_poll = Some(Utc::now());
    blog.consecutive_failures = 1;
    blog.last_error = Some("timed out".into());
    blog.last_error_at = blog.last_poll;
    put("blog", serde_json::to_value(&blog).unwrap());
    let (_, body) = s.json("/api/v1/sources").await;
    assert_eq!(body["sources"][1]["status"], "failing");
    assert_eq!(body["sources"][1]["last_error"], "timed out");

    let (status, page) = s.html("/sources").await;
    assert_eq!(status, 200);
    assert!(page.contains("retired"), "{page}");
    assert!(
        page.contains("answered 410 Gone &lt;script&gt;"),
        "the reason is shown, escaped"
    );
    assert!(
        page.contains("moved permanently to https:&#x2f;&#x2f;blog.example.org&#x2f;new-feed"),
        "{page}"
    );
    assert!(page.contains("never (retired)"));
}

/// A table of two companies, `first` ahead of the other.
fn two_company_table(first: &str, at: DateTime<Utc>) -> repmon_monitor::Ranking {
    let entry = |id: &str, rank: u32| repmon_monitor::Entry {
        rank,
        previous_rank: None,
        company: repmon_monitor::CompanyRef {
            id: id.into(),
            name: id.into(),
        },
        score: if rank == 1 { 70.0 } else { 40.0 },
        score_change: None,
        metrics: repmon_monitor::Metrics {
            mentions: 20,
            ..Default::default()
        },
        reasons: vec![],
        reason_details: vec![],
    };
    let second = if first == "zon" { "golf" } else { "zon" };
    repmon_monitor::Ranking {
        generated_at: at,
        window: repmon_monitor::Window::ending_at(at, Duration::days(7)),
        entries: vec![entry(first, 1), entry(second, 2)],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_deliveries_are_listed_with_their_outcome() {
    let server = start(&[]).await;
    // A webhook nobody listens on (port 9, discard): every attempt fails.
    let hooks = Config::from_toml_with_env(
        std::path::Path::new("hooks.toml"),
        "[[webhooks]]\nurl = \"http://127.0.0.1:9/hook\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nmin_places = 1\n",
        &[],
    )
    .unwrap();
    let alerts = repmon_alerts::Alerts::new(server.state.store.clone(), &hooks);
    let t0 = Utc::now();
    alerts.observe(&two_company_table("zon", t0), true).unwrap();
    let events = alerts
        .observe(&two_company_table("golf", t0 + Duration::minutes(5)), true)
        .unwrap();
    assert_eq!(events.len(), 1);

    let (status, body) = server.json("/api/v1/webhooks/deliveries").await;
    assert_eq!(status, 200, "{body}");
    let list = body["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{body}");
    assert_eq!(list[0]["status"], "pending");
    assert_eq!(list[0]["type"], "rank.dropped");
    assert_eq!(list[0]["subject"], "zon");
    assert!(list[0]["id"].as_str().unwrap().starts_with("msg_"));

    alerts.deliver_due().await;
    let (_, body) = server.json("/api/v1/webhooks/deliveries?limit=5").await;
    let d = &body["deliveries"][0];
    assert_eq!(d["status"], "retrying", "{body}");
    assert_eq!(d["attempts"], 1);
    assert!(
        d["last_error"]
            .as_str()
            .unwrap()
            .starts_with("request failed"),
        "{d}"
    );
    assert!(d["next_attempt_at"].is_string(), "{d}");

    for bad in ["limit=0", "limit=501", "limit=lots"] {
        let (status, body) = server
            .json(&format!("/api/v1/webhooks/deliveries?{bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"].as_str().unwrap().contains("limit"), "{body}");
    }
}

/// The table is the daemon's latest re-rank while it is fresh (no full
/// recompute per request), and says when it was made.
#[tokio::test]
async fn the_ranking_is_served_from_a_fresh_snapshot_with_its_time() {
    let s = start(&[]).await;
    let monitor = s.state.monitor.clone();
    let taken = Utc::now() - Duration::minutes(3);
    let snapshot = monitor.ranking(taken, Duration::days(7), 0).unwrap();
    monitor.record_snapshot(&snapshot).unwrap();

    let (status, r) = s.json("/api/v1/ranking?top=2").await;
    assert_eq!(status, 200, "{r}");
    let at = DateTime::parse_from_rfc3339(r["generated_at"].as_str().unwrap()).unwrap();
    assert_eq!(at, taken, "served from the snapshot: {r}");
    assert_eq!(r["entries"].as_array().unwrap().len(), 2);
    let (_, page) = s.html("/").await;
    assert!(
        page.contains(&format!(
            "Table as of {}.",
            taken.format("%Y-%m-%d %H:%M UTC")
        )),
        "{page}"
    );
    // Another window is not in the snapshot: computed for the request.
    let (_, r) = s.json("/api/v1/ranking?window=30d").await;
    let at = DateTime::parse_from_rfc3339(r["generated_at"].as_str().unwrap()).unwrap();
    assert!(at > taken + Duration::minutes(2), "{r}");
}
