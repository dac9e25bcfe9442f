//! `repmon rematch` against a feed on 127.0.0.1: after a company's rules
//! change in the config, the documents already stored are counted under the
//! new rules without polling again; ones that name no company any more go.

mod support;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use serde_json::Value;
use std::path::Path;
use support::{repmon, repmon_ok, serve_web, write_one_shot_config};

/// (guid, title, body) of the feed's items.
const ITEMS: &[(&str, &str, &str)] = &[
    (
        "cancelled",
        "Vlucht geannuleerd",
        "Meeuw Air heeft mijn vlucht geannuleerd zonder bericht. Slecht geregeld.",
    ),
    (
        "parcel",
        "Reisverslag",
        "Met Meeuw Air naar Lissabon. Mijn pakket kwam met Zwaluw binnen een dag, top service!",
    ),
    (
        "express",
        "Bezorging",
        "Zwaluw Express bezorgt morgen niet in Utrecht.",
    ),
    (
        "trains",
        "Nieuw aanbod",
        "Meeuw Air biedt voortaan ook treinreizen aan.",
    ),
];

fn rss(base: &str) -> String {
    let mut items = String::new();
    for (i, (guid, title, body)) in ITEMS.iter().enumerate() {
        items.push_str(&format!(
            "<item><guid>{base}/p/{guid}</guid><link>{base}/p/{guid}</link><title>{title}</title>\
             <description>{body}</description><pubDate>Fri, 20 Nov 2026 1{i}:00:00 GMT</pubDate></item>"
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Reizen</title><link>{base}/</link><description>x</description>{items}</channel></rss>"#
    )
}

async fn serve_feed() -> String {
    serve_web(|base| {
        let body = rss(base);
        Router::new()
            .route(
                "/feed.xml",
                get(move || {
                    let body = body.clone();
                    async move { ([(header::CONTENT_TYPE, "application/rss+xml")], body) }
                }),
            )
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rematch_applies_changed_rules_to_stored_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let web = serve_feed().await;
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

    // The analyst learns that people write plain "Zwaluw", and that Meeuw Air
    // is only the airline where a flight is talked about.
    let after = r#"
[[companies]]
id = "meeuw"
name = "Meeuw Air"
terms = ["Meeuw Air"]
context = ["vlucht", "vliegen", "lissabon"]

[[companies]]
id = "zwaluw"
name = "Zwaluw Express"
terms = ["Zwaluw Express", "Zwaluw"]
"#;
    write_config(&config, &data, &web, after);
    // Nothing is polled: the feed could be gone by now.
    let out = repmon(&config, &["rematch"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("rematched 4 stored documents: 1 changed, 2 unchanged, 1 removed"),
        "{stdout}"
    );
    assert!(stderr.contains("rematching: 4/4 documents"), "{stderr}");
    assert_eq!(
        stored(&config),
        pairs(&[
            ("Bezorging", &[("zwaluw", "neutral")]),
            (
                "Reisverslag",
                &[("meeuw", "neutral"), ("zwaluw", "positive")]
            ),
            ("Vlucht geannuleerd", &[("meeuw", "negative")]),
        ])
    );
    let out = repmon(
        &config,
        &["search", "", "--company", "zwaluw", "--format", "json"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 2, "{v}");

    // A second rematch with the same rules changes nothing.
    let out = repmon(&config, &["rematch"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("rematched 3 stored documents: 0 changed, 3 unchanged, 0 removed"),
        "{stdout}"
    );
}
