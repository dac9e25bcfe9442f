//! One post, many ways in: the real binary polls a fixture web on 127.0.0.1
//! where the same post arrives under other URLs (a syndicated copy in a
//! second feed, a cross-post on Mastodon) and as a reblog, and where the
//! blog edits the post between polls. Each post must count as one mention,
//! with its newest text; short look-alike posts by different people stay two,
//! and so does a reply that quotes the whole post. A post the feed gives no
//! date keeps the time it was first seen.

mod support;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use support::{repmon_ok, serve_web, write_one_shot_config};

/// The blog post, long enough to be recognised by its text.
const POST: &str = "Sinds gisteravond ligt het internet van Golf Internet er in heel \
    Utrecht uit. De klantenservice neemt niet op en op de storingspagina staat nog steeds \
    dat alles werkt. Wij werken thuis en verliezen zo een hele dag omzet. Wanneer komt er \
    eindelijk een oplossing en krijgen klanten een vergoeding? Gisteren belde ik drie keer \
    met de helpdesk en kreeg ik elke keer iemand anders aan de lijn die me vroeg de router \
    opnieuw op te starten. Dat had ik natuurlijk allang gedaan, net als de buren aan beide \
    kanten van de straat. Op sociale media zie je honderden klanten uit Utrecht, Nieuwegein \
    en Zeist met precies hetzelfde verhaal, maar het bedrijf zwijgt daar ook. Een \
    abonnement van zestig euro per maand mag toch wel iets meer betrouwbaarheid opleveren \
    dan dit, zeker nu zoveel mensen vanuit huis werken en afhankelijk zijn van een goede \
    verbinding voor hun werk, hun school en hun contact met familie.";
/// What the blog adds to the post before the second poll.
const UPDATE: &str = " Update: Golf Internet meldt dat de storing verholpen is.";
/// A short post two different people wrote word for word.
const SHORT: &str = "Golf Internet ligt er weer uit.";

struct Web {
    base: String,
    edited: AtomicBool,
}

fn rss(items: &str) -> axum::response::Response {
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>http://x/</link><description>d</description>{items}</channel></rss>"#
        ),
    )
        .into_response()
}

async fn blog(State(w): State<Arc<Web>>) -> impl IntoResponse {
    let body = if w.edited.load(Ordering::SeqCst) {
        format!("{POST}{UPDATE}")
    } else {
        POST.to_string()
    };
    let b = &w.base;
    rss(&format!(
        "<item><guid>{b}/blog/storing</guid><link>{b}/blog/storing</link><title>Storing bij Golf Internet</title>\
         <description><![CDATA[<p>{body}</p>]]></description><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>\
         <item><guid>{b}/blog/storing#reactie-1</guid><link>{b}/blog/storing#reactie-1</link><title>Reactie</title>\
         <description><![CDATA[<blockquote>{POST}</blockquote><p>Bij mij ook, al de hele dag.</p>]]></description><pubDate>Fri, 20 Nov 2026 10:30:00 GMT</pubDate></item>\
         <item><guid>{b}/blog/kort-1</guid><link>{b}/blog/kort-1</link><title>Kort</title>\
         <description>{SHORT}</description><author>anna@blog.example (Anna)</author></item>"
    ))
}

/// A news aggregator carrying the blog post as a syndicated copy (its own
/// URL, another title, other markup) and someone else's identical short post.
async fn aggregator(State(w): State<Arc<Web>>) -> impl IntoResponse {
    let b = &w.base;
    let copy = POST.replace(". ", ".</p>\n<p>");
    // After the edit, a second site copies the updated post as well.
    let late = if w.edited.load(Ordering::SeqCst) {
        format!(
            "<item><guid>agg-993</guid><link>{b}/aggregator/993</link><title>Overgenomen</title>\
             <description><![CDATA[<blockquote>{POST}<br/>{UPDATE}</blockquote>]]></description><pubDate>Fri, 20 Nov 2026 15:00:00 GMT</pubDate></item>"
        )
    } else {
        String::new()
    };
    rss(&format!(
        "{late}<item><guid>agg-991</guid><link>{b}/aggregator/991?utm_source=rss</link><title>[Blog] Storing bij Golf Internet</title>\
         <description><![CDATA[<div class=\"syndicated\"><p>{copy}</p></div>]]></description><pubDate>Fri, 20 Nov 2026 12:00:00 GMT</pubDate></item>\
         <item><guid>agg-992</guid><link>{b}/aggregator/992</link><title>Lezersbericht</title>\
         <description>{SHORT}</description><pubDate>Fri, 20 Nov 2026 12:30:00 GMT</pubDate></item>"
    ))
}

fn status(b: &str, id: &str, acct: &str, content: &str) -> Value {
    json!({
        "id": id, "created_at": "2026-11-20T13:00:00.000Z", "in_reply_to_id": null,
        "url": format!("{b}/@{acct}/{id}"), "uri": format!("{b}/users/{acct}/statuses/{id}"),
        "content": format!("<p>{content}</p>"), "spoiler_text": "", "language": "nl",
        "account": {"id": "1", "acct": acct, "username": acct}, "reblog": null
    })
}

/// The hashtag timeline: a complaint and the blog's own cross-post of its text.
async fn tag(State(w): State<Arc<Web>>) -> impl IntoResponse {
    let b = &w.base;
    axum::Json(json!([
        status(b, "105", "blogger", POST),
        status(
            b,
            "101",
            "klant",
            "Al drie dagen geen wifi en Golf Internet belooft niets. Dit is de laatste maand dat ik klant ben, wat een slechte service na zoveel jaren trouw betalen."
        ),
    ]))
}

/// An account timeline that reblogs the complaint the tag timeline carries.
async fn account(State(w): State<Arc<Web>>) -> impl IntoResponse {
    let b = &w.base;
    let mut reblog = status(b, "110", "nieuws", "");
    reblog["reblog"] = status(
        b,
        "101",
        "klant",
        "Al drie dagen geen wifi en Golf Internet belooft niets. Dit is de laatste maand dat ik klant ben, wat een slechte service na zoveel jaren trouw betalen.",
    );
    axum::Json(json!([reblog]))
}

async fn serve() -> Arc<Web> {
    let mut served = None;
    serve_web(|base| {
        let web = Arc::new(Web {
            base: base.to_string(),
            edited: AtomicBool::new(false),
        });
        served = Some(web.clone());
        Router::new()
            .route("/blog/feed.xml", get(blog))
            .route("/aggregator/feed.xml", get(aggregator))
            .route("/api/v1/timelines/tag/golf", get(tag))
            .route(
                "/api/v1/accounts/lookup",
                get(|| async { axum::Json(json!({"id": "7", "acct": "nieuws"})) }),
            )
            .route("/api/v1/accounts/7/statuses", get(account))
            .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
            .with_state(web)
    })
    .await;
    served.expect("the web is served")
}

fn write_config(path: &Path, data: &Path, web: &str) {
    let rest = format!(
        r#"
[[companies]]
id = "golf"
name = "Golf Internet"
terms = ["Golf Internet"]

[[sources]]
id = "blog"
kind = "feed"
url = "{web}/blog/feed.xml"

[[sources]]
id = "aggregator"
kind = "feed"
url = "{web}/aggregator/feed.xml"

[[sources]]
id = "social"
kind = "mastodon"
url = "{web}"
tags = ["golf"]
accounts = ["nieuws"]
"#
    );
    write_one_shot_config(path, data, &rest);
}

/// `repmon search` as JSON: (total, [(source, title, author)] sorted).
fn search(config: &Path, q: &str) -> (u64, Vec<(String, String, String)>) {
    let stdout = repmon_ok(config, &["search", q, "--format", "json", "--limit", "50"]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let mut hits: Vec<(String, String, String)> = v["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["source"].as_str().unwrap_or("").to_string(),
                m["title"].as_str().unwrap_or("").to_string(),
                m["author"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    hits.sort();
    (v["total"].as_u64().unwrap(), hits)
}

/// The published time of the blog's undated short post, as stored.
fn undated_published(config: &Path) -> String {
    let stdout = repmon_ok(
        config,
        &["search", "--source", "blog", "", "--format", "json"],
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    v["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["title"] == "Kort")
        .map(|m| m["published"].as_str().unwrap().to_string())
        .expect("the short post is stored")
}

fn poll(config: &Path) -> String {
    repmon_ok(config, &["poll"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_reached_through_several_sources_counts_once_and_updates_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let web = serve().await;
    let config = tmp.path().join("repmon.toml");
    write_config(&config, &tmp.path().join("data"), &web.base);

    poll(&config);
    let (total, hits) = search(&config, "");
    assert_eq!(
        hits,
        [
            ("aggregator".into(), "Lezersbericht".into(), "".into()),
            ("blog".into(), "Kort".into(), "Anna".into()),
            ("blog".into(), "Reactie".into(), "".into()),
            ("blog".into(), "Storing bij Golf Internet".into(), "".into()),
            ("social".into(), "".into(), "klant".into()),
        ],
        "the syndicated copy and the cross-post add nothing, the reblog is the complaint \
         itself, the two short posts stay two, and a reply quoting the post is a reply"
    );
    assert_eq!(total, 5);
    let first_seen = undated_published(&config);

    // The blog edits its post; the aggregator still carries the old text.
    web.edited.store(true, Ordering::SeqCst);
    poll(&config);
    let (total, _) = search(&config, "");
    assert_eq!(
        total, 5,
        "an edit updates the mention instead of adding one, and a new copy of the \
         edited text adds nothing"
    );
    let (_, updated) = search(&config, "verholpen");
    assert_eq!(
        updated,
        [("blog".into(), "Storing bij Golf Internet".into(), "".into())],
        "the mention carries the new text"
    );

    // A third poll, nothing changed: still one mention per post.
    poll(&config);
    assert_eq!(search(&config, "").0, 5);
    // The feed gives the short post no date: it was dated when first seen,
    // and polls that bring it again do not date it anew.
    assert_eq!(undated_published(&config), first_seen);
}
