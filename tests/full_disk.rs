//! A poll whose write finds no room loses nothing. The real binary polls a
//! feed on 127.0.0.1 with its files capped just above their present size
//! (`ulimit -f`: a write past the cap fails with EFBIG, as a write to a full
//! disk fails with ENOSPC). The poll must fail with an error that names the
//! cause and must not keep the feed's validators: a poll that kept them
//! would be answered 304 next time, and the posts would never arrive. The
//! next poll with room stores every post once.

#![cfg(unix)]

mod support;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use support::{BIN, repmon_ok, serve_web, write_one_shot_config};

const POSTS: usize = 200;

#[derive(Default)]
struct Feed {
    /// False: an empty feed; true: `POSTS` posts about the company.
    full: AtomicBool,
    /// Answers with a body (200) and without one (304).
    bodies: AtomicUsize,
    not_modified: AtomicUsize,
}

async fn feed(State(f): State<Arc<Feed>>, headers: HeaderMap) -> Response {
    let full = f.full.load(Ordering::SeqCst);
    let etag = if full { "\"full\"" } else { "\"empty\"" };
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        f.not_modified.fetch_add(1, Ordering::SeqCst);
        return StatusCode::NOT_MODIFIED.into_response();
    }
    f.bodies.fetch_add(1, Ordering::SeqCst);
    let mut items = String::new();
    if full {
        // Long posts of made-up words, which the index cannot compress
        // much: its document store must outgrow the state store.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for i in 0..POSTS {
            let mut body = String::new();
            for _ in 0..1500 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let len = 3 + (seed % 7) as usize;
                body.extend((0..len).map(|k| (b'a' + ((seed >> (5 * k + 8)) % 26) as u8) as char));
                body.push(' ');
            }
            items.push_str(&format!(
                "<item><guid>post-{i}</guid><link>http://blog.example/{i}</link>\
                 <title>Storing {i} bij Zon Energie</title><description>Zon Energie {body}\
                 </description><pubDate>Fri, 20 Nov 2026 10:{:02}:00 GMT</pubDate></item>",
                i % 60
            ));
        }
    }
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml"),
            (header::ETAG, etag),
        ],
        format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>http://blog.example/</link><description>d</description>{items}</channel></rss>"#
        ),
    )
        .into_response()
}

/// The largest file under `dir`, in bytes.
fn largest_file(dir: &Path) -> u64 {
    let mut largest = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        largest = largest.max(if meta.is_dir() {
            largest_file(&entry.path())
        } else {
            meta.len()
        });
    }
    largest
}

fn mentions_found(config: &Path) -> u64 {
    let out = repmon_ok(config, &["search", "Zon", "--format", "json"]);
    let found: Value = serde_json::from_str(&out).unwrap();
    found["total"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_that_finds_no_room_loses_nothing() {
    let state = Arc::new(Feed::default());
    let shared = state.clone();
    let web = serve_web(move |_| {
        Router::new()
            .route("/feed.xml", get(feed))
            .with_state(shared)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let rest = format!(
        r#"
[[companies]]
id = "zon"
name = "Zon Energie"
terms = ["Zon Energie"]

[[sources]]
id = "blog"
kind = "feed"
url = "{web}/feed.xml"
"#
    );
    let config = dir.path().join("repmon.toml");
    let data = dir.path().join("data");
    write_one_shot_config(&config, &data, &rest);

    // How large the posts make the state store and the index's largest
    // file: a cap between the two lets the state store write and makes the
    // index fail, the worse case (the index is written first, and the state
    // store could keep the validators of a batch the index lost).
    let probe_config = dir.path().join("probe.toml");
    let probe = dir.path().join("probe");
    write_one_shot_config(&probe_config, &probe, &rest);
    state.full.store(true, Ordering::SeqCst);
    repmon_ok(&probe_config, &["poll"]);
    let state_store = std::fs::metadata(probe.join("state.redb")).unwrap().len();
    let index = largest_file(&probe.join("index"));
    // Two thirds of the index file: well above what the state store writes
    // (redb writes a little past its file's length as it grows).
    let cap = index * 2 / 3;
    assert!(
        cap > 2 * state_store,
        "the posts no longer make the index outgrow the state store: {index} vs {state_store}"
    );
    let cap_kib = cap / 1024;
    state.full.store(false, Ordering::SeqCst);
    state.bodies.store(0, Ordering::SeqCst);

    // The store is made, and the feed's validators kept, while it is empty.
    repmon_ok(&config, &["poll"]);
    assert_eq!(mentions_found(&config), 0);

    // The posts arrive while no file may grow past the cap.
    state.full.store(true, Ordering::SeqCst);
    let out = Command::new("sh")
        .arg("-c")
        // Ignore SIGXFSZ so that the write fails instead of killing the process.
        .arg(format!(
            "trap '' XFSZ; ulimit -f {cap_kib}; exec \"$0\" \"$@\""
        ))
        .arg(BIN)
        .arg("--config")
        .arg(&config)
        .arg("poll")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the poll had room after all: {stderr}"
    );
    assert!(
        stderr.contains("cannot store the new mentions") && stderr.contains("File too large"),
        "the error does not name its cause: {stderr}"
    );
    assert_eq!(state.bodies.load(Ordering::SeqCst), 2);
    // The index may hold the batch already (it is written before the state
    // store); storing the batch again replaces it, so nothing is counted twice.

    // With room again, the next poll fetches the posts anew and stores them all.
    let summary = repmon_ok(&config, &["poll"]);
    assert_eq!(
        state.not_modified.load(Ordering::SeqCst),
        0,
        "the failed poll kept the feed's validators"
    );
    assert_eq!(state.bodies.load(Ordering::SeqCst), 3);
    assert!(
        summary.lines().any(
            |l| l.split_whitespace().collect::<Vec<_>>() == ["blog", "200", "200", "200", "ok"]
        ),
        "{summary}"
    );
    assert_eq!(mentions_found(&config), POSTS as u64);

    // And once stored, the validators are kept: the poll after that is a 304.
    repmon_ok(&config, &["poll"]);
    assert_eq!(state.not_modified.load(Ordering::SeqCst), 1);
    assert_eq!(mentions_found(&config), POSTS as u64);
}
