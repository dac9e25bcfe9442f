//! `repmon rematch` against feeds on 127.0.0.1: after a company's rules
//! change in the config, every document already fetched is counted under the
//! new rules without polling again: stored mentions are re-matched, ones
//! that name no company any more are kept aside, and documents that named no
//! company when they were polled are searched for the new rules too.

mod support;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use chrono::{Duration, Utc};
use serde_json::Value;
use std::path::Path;
use support::{repmon, repmon_ok, serve_web, write_one_shot_config};

/// (guid, title, body, hours ago) of the travel feed's items.
const ITEMS: &[(&str, &str, &str, i64)] = &[
    (
        "cancelled",
        "Vlucht geannuleerd",
        "Meeuw Air heeft mijn vlucht geannuleerd zonder bericht. Slecht geregeld.",
        9,
    ),
    (
        "parcel",
        "Reisverslag",
        "Met Meeuw Air naar Lissabon. Mijn pakket kwam met Zwaluw binnen een dag, top service!",
        8,
    ),
    (
        "express",
        "Bezorging",
        "Zwaluw Express bezorgt morgen niet in Utrecht.",
        7,
    ),
    (
        "trains",
        "Nieuw aanbod",
        "Meeuw Air biedt voortaan ook treinreizen aan.",
        6,
    ),
    // Names no tracked company until Reiger Rail is added.
    ("storm", "Stormschade", STORM, 5),
    // Older than `keep_unmatched` (90 days): not kept, so never found.
    (
        "archive",
        "Uit het archief",
        "Reiger Rail opende toen een nieuwe lijn naar het noorden.",
        24 * 200,
    ),
];

/// Long enough for a content fingerprint: the news feed copies it.
const STORM: &str = "Reiger Rail legt alle treinen in het noorden stil door de storm. Reizigers \
     stonden urenlang op de perrons zonder informatie over bussen of taxi's, en de app gaf \
     nog steeds aan dat alles op tijd reed. Slecht geregeld!";

fn rss(base: &str, items: &[(&str, &str, &str, i64)]) -> String {
    let mut out = String::new();
    for (guid, title, body, hours) in items {
        let date = (Utc::now() - Duration::hours(*hours)).to_rfc2822();
        out.push_str(&format!(
            "<item><guid>{base}/p/{guid}</guid><link>{base}/p/{guid}</link><title>{title}</title>\
             <description>{body}</description><pubDate>{date}</pubDate></item>"
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Reizen</title><link>{base}/</link><description>x</description>{out}</channel></rss>"#
    )
}

async fn serve_feeds() -> String {
    serve_web(|base| {
        let travel = rss(base, ITEMS);
        // The storm post again, an hour later, under the news site's own address.
        let news = rss(base, &[("news-storm", "Storm legt treinen stil", STORM, 4)]);
        let feed = |body: String| {
            get(move || {
                let body = body.clone();
                async move { ([(header::CONTENT_TYPE, "application/rss+xml")], body) }
            })
        };
        Router::new()
            .route("/feed.xml", feed(travel))
            .route("/news.xml", feed(news))
            .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
    })
    .await
}

fn write_config(path: &Path, data: &Path, web: &str, companies: &str) {
    let rest = format!(
        r#"
{companies}

[[sources]]
id = "reizen"
kind = "feed"
url = "{web}/feed.xml"

[[sources]]
id = "nieuws"
kind = "feed"
url = "{web}/news.xml"
"#
    );
    write_one_shot_config(path, data, &rest);
}

/// Document title → (company id, sentiment) pairs, from `repmon search --format json`.
fn stored(config: &Path) -> Vec<(String, Vec<(String, String)>)> {
    let stdout = repmon_ok(config, &["search", "", "--format", "json", "--limit", "50"]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let mut docs: Vec<(String, Vec<(String, String)>)> = v["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let companies = m["companies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["id"].as_str().unwrap().to_string(),
                        c["sentiment"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            (m["title"].as_str().unwrap().to_string(), companies)
        })
        .collect();
    docs.sort();
    docs
}

fn pairs(list: &[(&str, &[(&str, &str)])]) -> Vec<(String, Vec<(String, String)>)> {
    list.iter()
        .map(|(t, cs)| {
            (
                t.to_string(),
                cs.iter()
                    .map(|(c, s)| (c.to_string(), s.to_string()))
                    .collect(),
            )
        })
        .collect()
}

/// `repmon rematch`'s summary (stdout) and progress (stderr), after
/// checking it went well.
fn rematch(config: &Path) -> (String, String) {
    let out = repmon(config, &["rematch"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rematch_applies_changed_rules_to_every_fetched_document() {
    let tmp = tempfile::tempdir().unwrap();
    let web = serve_feeds().await;
    let config = tmp.path().join("repmon.toml");
    let data = tmp.path().join("data");
    let before = r#"
[[companies]]
id = "meeuw"
name = "Meeuw Air"
terms = ["Meeuw Air"]

[[companies]]
id = "zwaluw"
name = "Zwaluw Express"
terms = ["Zwaluw Express"]
"#;
    write_config(&config, &data, &web, before);
    repmon_ok(&config, &["poll"]);
    assert_eq!(
        stored(&config),
        pairs(&[
            ("Bezorging", &[("zwaluw", "neutral")]),
            ("Nieuw aanbod", &[("meeuw", "neutral")]),
            ("Reisverslag", &[("meeuw", "positive")]),
            ("Vlucht geannuleerd", &[("meeuw", "negative")]),
        ])
    );

    // The analyst learns that people write plain "Zwaluw", that Meeuw Air
    // is only the airline where a flight is talked about, and starts
    // following Reiger Rail.
    let reiger = r#"
[[companies]]
id = "reiger"
name = "Reiger Rail"
terms = ["Reiger Rail"]
"#;
    let narrower = format!(
        r#"
[[companies]]
id = "meeuw"
name = "Meeuw Air"
terms = ["Meeuw Air"]
context = ["vlucht", "vliegen", "lissabon"]

[[companies]]
id = "zwaluw"
name = "Zwaluw Express"
terms = ["Zwaluw Express", "Zwaluw"]
{reiger}"#
    );
    write_config(&config, &data, &web, &narrower);
    // Nothing is polled: the feeds could be gone by now.
    let (stdout, stderr) = rematch(&config);
    assert!(
        stdout.contains("rematched 4 stored mentions: 1 changed, 2 unchanged, 1 removed"),
        "{stdout}"
    );
    // The storm post and its copy were kept; the archived post is too old.
    assert!(
        stdout.contains(
            "searched 2 documents kept without a mention: 1 new mention, and 1 copy of a post already stored"
        ),
        "{stdout}"
    );
    assert!(stderr.contains("rematching: 6/6 documents"), "{stderr}");
    assert_eq!(
        stored(&config),
        pairs(&[
            ("Bezorging", &[("zwaluw", "neutral")]),
            (
                "Reisverslag",
                &[("meeuw", "neutral"), ("zwaluw", "positive")]
            ),
            ("Stormschade", &[("reiger", "negative")]),
            ("Vlucht geannuleerd", &[("meeuw", "negative")]),
        ])
    );
    let out = repmon(
        &config,
        &["search", "", "--company", "zwaluw", "--format", "json"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 2, "{v}");

    // Meeuw Air's context was too strict: without it the removed post
    // counts again, as it was kept.
    let wider = format!("{before}{reiger}");
    write_config(&config, &data, &web, &wider);
    let (stdout, _) = rematch(&config);
    assert!(
        stdout.contains("rematched 4 stored mentions: 1 changed, 3 unchanged, 0 removed"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "searched 2 documents kept without a mention: 1 new mention, and 1 copy of a post already stored"
        ),
        "{stdout}"
    );
    assert_eq!(
        stored(&config),
        pairs(&[
            ("Bezorging", &[("zwaluw", "neutral")]),
            ("Nieuw aanbod", &[("meeuw", "neutral")]),
            ("Reisverslag", &[("meeuw", "positive")]),
            ("Stormschade", &[("reiger", "negative")]),
            ("Vlucht geannuleerd", &[("meeuw", "negative")]),
        ])
    );

    // A second rematch with the same rules changes nothing; the copy stays
    // a copy.
    let (stdout, _) = rematch(&config);
    assert!(
        stdout.contains("rematched 5 stored mentions: 0 changed, 5 unchanged, 0 removed"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "searched 1 documents kept without a mention: 0 new mentions, and 1 copy of a post already stored"
        ),
        "{stdout}"
    );

    // Polling again stores nothing twice: the storm post is a mention now,
    // its copy is known as one. The old post, still in the feed, is found
    // by polling.
    repmon_ok(&config, &["poll"]);
    let titles: Vec<String> = stored(&config).into_iter().map(|(t, _)| t).collect();
    assert_eq!(
        titles,
        [
            "Bezorging",
            "Nieuw aanbod",
            "Reisverslag",
            "Stormschade",
            "Uit het archief",
            "Vlucht geannuleerd"
        ]
    );
}
