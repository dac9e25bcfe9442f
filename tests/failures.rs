//! Every way a source fails on the real web, through the real binary: a
//! hostile web on 127.0.0.1 (tests/support/hostile.rs) serves two good
//! feeds among one source per failure kind. `repmon poll`, `repmon check`
//! and the daemon's `GET /api/v1/sources` must name each failing source and
//! its cause in words a user can act on, and every good source must be
//! ingested all the same, round after round.

mod support;

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::hostile::{self, HostileWeb};
use support::{Daemon, eventually, repmon};

/// One source that must fail, and what its error must say.
struct Failing {
    id: &'static str,
    kind: &'static str,
    /// Where the source points (the URL the error names).
    path: &'static str,
    /// Phrases the error must contain: the cause in a user's words.
    says: &'static [&'static str],
}

/// `poll.timeout` and `poll.max_body`, small so the test runs in seconds
/// (the timeout still leaves a busy machine time to answer the good feeds);
/// the messages quote them back.
const TIMEOUT: &str = "2s";
const MAX_BODY: &str = "1MiB";

const FAILING: &[Failing] = &[
    Failing {
        id: "malformed",
        kind: "feed",
        path: "/malformed.xml",
        says: &["the feed cannot be read"],
    },
    Failing {
        id: "truncated",
        kind: "feed",
        path: "/truncated.xml",
        says: &["the feed cannot be read: it ends before it is complete (cut off?)"],
    },
    Failing {
        id: "huge",
        kind: "feed",
        path: "/huge.xml",
        says: &["body is larger than the 1 MiB limit (poll.max_body)"],
    },
    Failing {
        id: "bomb",
        kind: "feed",
        path: "/bomb.xml",
        says: &["body is larger than the 1 MiB limit (poll.max_body)"],
    },
    Failing {
        id: "slow",
        kind: "feed",
        path: "/slow.xml",
        says: &["timed out after 2s"],
    },
    Failing {
        id: "loop",
        kind: "feed",
        path: "/loop/a",
        says: &["redirected more than 5 times (a redirect loop?)"],
    },
    Failing {
        id: "error",
        kind: "feed",
        path: "/error.xml",
        says: &["answered 500 Internal Server Error"],
    },
    Failing {
        id: "busy",
        kind: "feed",
        path: "/busy.xml",
        says: &[
            "answered 429 Too Many Requests",
            "the server asks to wait 120 s (Retry-After)",
        ],
    },
    Failing {
        id: "page",
        kind: "feed",
        path: "/page.html",
        says: &["not a feed: the server sent an HTML page (text/html)"],
    },
    Failing {
        id: "private",
        kind: "html",
        path: "/private/board",
        says: &["disallowed by robots.txt"],
    },
];

/// The sources that must be read: (id, path, documents, mentions).
const GOOD: &[(&str, &str, u64, u64)] = &[
    (
        "news",
        "/good/news.xml",
        hostile::NEWS_ITEMS as u64,
        hostile::NEWS_ITEMS as u64,
    ),
    (
        "forum",
        "/good/forum.xml",
        hostile::FORUM_ENTRIES as u64,
        hostile::FORUM_ENTRIES as u64,
    ),
    ("latin1", "/latin1.xml", 1, 1),
    ("undated", "/undated.xml", 1, 1),
];

fn write_config(dir: &Path, web: &str, port: u16, host_delay: &str) -> PathBuf {
    let mut text = format!(
        r#"data_dir = "{data}"

[server]
listen = "127.0.0.1:{port}"

[poll]
interval = "1s"
timeout = "{TIMEOUT}"
max_body = "{MAX_BODY}"
host_concurrency = 4
host_delay = "{host_delay}"

[ranking]
window = "7d"
top = 10
recompute = "1s"
{companies}"#,
        data = dir.join("data").display(),
        companies = hostile::COMPANIES,
    );
    for (id, path, _, _) in GOOD {
        text.push_str(&format!(
            "\n[[sources]]\nid = \"{id}\"\nkind = \"feed\"\nurl = \"{web}{path}\"\n"
        ));
    }
    for f in FAILING {
        text.push_str(&format!(
            "\n[[sources]]\nid = \"{}\"\nkind = \"{}\"\nurl = \"{web}{}\"\n",
            f.id, f.kind, f.path
        ));
        if f.kind == "html" {
            text.push_str(
                "item = \"article.post\"\nbody = \"div.body\"\nauthor = \"span.author\"\n",
            );
        }
    }
    let path = dir.join("repmon.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// (exit code, stdout, stderr) of one command.
fn run(config: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = repmon(config, args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The poll summary's rows by source: (fetched, new documents, new mentions, result).
fn summary(stdout: &str) -> HashMap<String, (u64, u64, u64, String)> {
    stdout
        .lines()
        .skip(2)
        .take_while(|l| !l.starts_with("stored:"))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let n = |i: usize| cols.get(i)?.parse::<u64>().ok();
            Some((
                cols.first()?.to_string(),
                (n(1)?, n(2)?, n(3)?, cols.get(4..)?.join(" ")),
            ))
        })
        .collect()
}

/// What is wrong with one failing source's message, if anything.
fn judge(f: &Failing, web: &str, message: Option<&str>) -> Option<String> {
    let Some(message) = message else {
        return Some(format!("{}: no error shown", f.id));
    };
    let url = format!("{web}{}", f.path);
    if !message.contains(&url) {
        return Some(format!(
            "{}: the error does not name {url}: {message}",
            f.id
        ));
    }
    f.says
        .iter()
        .find(|s| !message.contains(**s))
        .map(|s| format!("{}: the error does not say {s:?}: {message}", f.id))
}

/// The mentions `repmon search` finds from one source, as JSON.
fn mentions_from(config: &Path, source: &str) -> Vec<Value> {
    let (code, stdout, stderr) = run(
        config,
        &[
            "search",
            "KaasKoning OR Meeuw",
            "--source",
            source,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(0), "search --source {source}: {stderr}");
    let found: Value = serde_json::from_str(&stdout).unwrap();
    found["mentions"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_is_named_and_the_good_sources_are_ingested() {
    let tmp = tempfile::tempdir().unwrap();
    let (web, hits) = hostile::serve().await;
    let delay = Duration::from_millis(150);
    let config = write_config(tmp.path(), &web, support::port::free_port(), "150ms");

    // --- first round: everything new ---------------------------------------
    let before = chrono::Utc::now();
    let (code, stdout, stderr) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || run(&config, &["poll"])
    })
    .await
    .unwrap();
    let after = chrono::Utc::now();
    assert_eq!(
        code,
        Some(0),
        "good sources were read: exit 0\n{stdout}\n{stderr}"
    );
    let rows = summary(&stdout);
    let mut wrong: Vec<String> = Vec::new();
    for f in FAILING {
        let row = rows.get(f.id);
        if let Some(&(fetched, new, mentions, _)) = row
            && (fetched, new, mentions) != (0, 0, 0)
        {
            wrong.push(format!("{}: a failure brought documents in", f.id));
        }
        wrong.extend(judge(f, &web, row.map(|r| r.3.as_str())));
    }
    for &(id, _, docs, mentions) in GOOD {
        let expected = (docs, docs, mentions, "ok".to_string());
        if rows.get(id) != Some(&expected) {
            wrong.push(format!(
                "{id}: expected {expected:?}, got {:?}",
                rows.get(id)
            ));
        }
    }
    assert!(wrong.is_empty(), "poll:\n{}\n\n{stdout}", wrong.join("\n"));
    let good_mentions: u64 = GOOD.iter().map(|g| g.3).sum();
    assert!(
        stdout.contains(&format!("stored: {good_mentions} new,")),
        "{stdout}"
    );

    // robots.txt was asked, the page it forbids never.
    assert!(!hits.hits_of("/robots.txt").is_empty());
    assert!(
        hits.hits_of("/private/board").is_empty(),
        "a forbidden page was fetched"
    );
    // The politeness delay held for every request to the host, failures included.
    assert_host_delay(&hits, delay);

    // The good sources' mentions are searchable, their text intact.
    for &(id, _, _, mentions) in GOOD {
        let found = mentions_from(&config, id);
        assert_eq!(found.len() as u64, mentions, "{id}: {found:?}");
    }
    let latin1 = mentions_from(&config, "latin1");
    assert_eq!(
        latin1[0]["title"],
        hostile::LATIN1_TITLE,
        "é and ë survive ISO-8859-1"
    );
    // An unreadable date is not a lost item: it is dated when first seen.
    let undated = &mentions_from(&config, "undated")[0];
    assert_eq!(undated["title"], hostile::UNDATED_WORDS);
    let published: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(undated["published"].clone()).unwrap();
    assert!(
        published >= before - chrono::Duration::seconds(1) && published <= after,
        "dated at first sight ({before} .. {after}): {published}"
    );

    // --- second round: conditional requests, 304s, the failures still named --
    let first_round = hits.hits().len();
    let (code, stdout, _) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || run(&config, &["poll"])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{stdout}");
    let rows = summary(&stdout);
    for (id, path) in [("news", "/good/news.xml"), ("forum", "/good/forum.xml")] {
        assert_eq!(rows[id], (0, 0, 0, "ok".into()), "{stdout}");
        let again: Vec<_> = hits.hits_of(path).into_iter().skip(1).collect();
        assert!(
            again.len() == 1 && again[0].conditional && again[0].not_modified,
            "{path}: the second poll is conditional and answered 304: {again:?}"
        );
    }
    let wrong: Vec<String> = FAILING
        .iter()
        .filter_map(|f| judge(f, &web, rows.get(f.id).map(|r| r.3.as_str())))
        .collect();
    assert!(
        wrong.is_empty(),
        "second poll:\n{}\n\n{stdout}",
        wrong.join("\n")
    );
    assert!(stdout.contains("stored: 0 new,"), "{stdout}");
    assert!(hits.hits().len() > first_round);

    // --- check: the same causes, and what the polls stored ---------------------
    let (code, stdout, _) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || run(&config, &["check"])
    })
    .await
    .unwrap();
    assert_eq!(code, Some(1), "some sources cannot be read: {stdout}");
    let block = |id: &str, kind: &str| -> Vec<String> {
        let head = [
            format!("FAIL  {id} ({kind}): "),
            format!("ok    {id} ({kind}): "),
        ];
        stdout
            .lines()
            .skip_while(|l| !head.iter().any(|h| l.starts_with(h.as_str())))
            .enumerate()
            .take_while(|(i, l)| *i == 0 || l.starts_with("      "))
            .map(|(_, l)| l.to_string())
            .collect()
    };
    let mut wrong = Vec::new();
    for f in FAILING {
        let lines = block(f.id, f.kind);
        let first = lines
            .first()
            .filter(|l| l.starts_with("FAIL  "))
            .map(String::as_str);
        wrong.extend(judge(f, &web, first));
        if !lines.iter().any(|l| l.contains("2 failures in a row")) {
            wrong.push(format!(
                "{}: the stored health does not show two failures: {lines:?}",
                f.id
            ));
        }
    }
    for &(id, _, docs, mentions) in GOOD {
        let line =
            format!("ok    {id} (feed): {docs} documents, {mentions} mentioning a tracked company");
        if !stdout.lines().any(|l| l == line) {
            wrong.push(format!("missing {line:?}"));
        }
    }
    // The 429's Retry-After is remembered and shown.
    if !block("busy", "feed")
        .iter()
        .any(|l| l.contains("the server asked not to be polled before"))
    {
        wrong.push("busy: the Retry-After is not shown".into());
    }
    assert!(wrong.is_empty(), "check:\n{}\n\n{stdout}", wrong.join("\n"));
}

/// Requests to the one fixture host started at least `delay` apart (the
/// fetcher spaces starts; arrival may wobble by a little scheduling).
fn assert_host_delay(web: &HostileWeb, delay: Duration) {
    let times: Vec<Instant> = web.hits().iter().map(|h| h.at).collect();
    assert!(times.len() >= 10, "{} requests", times.len());
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let smallest = gaps.iter().min().unwrap();
    assert!(
        *smallest >= delay / 2,
        "two requests {smallest:?} apart, host_delay is {delay:?}: {gaps:?}"
    );
    let span = *times.last().unwrap() - times[0];
    let least = delay * (times.len() as u32 - 1);
    assert!(
        span + Duration::from_millis(100) >= least,
        "{} requests in {span:?}, at least {least:?} with host_delay {delay:?}",
        times.len()
    );
}

/// The fixture's bomb is real: small on the wire, and a client without a
/// body cap really inflates it to [`hostile::BOMB_INFLATED`] bytes, so the
/// "larger than" error above comes from the cap, not from a broken stream.
#[tokio::test]
async fn the_gzip_bomb_fixture_is_real() {
    let (web, _) = hostile::serve().await;
    let wire = hostile::gzip_bomb().len();
    assert!(
        wire < hostile::BOMB_INFLATED / 100,
        "{wire} bytes on the wire"
    );
    let body = reqwest::get(format!("{web}/bomb.xml"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), hostile::BOMB_INFLATED);
    assert!(body.starts_with(b"<?xml"));
}

/// The poll start times of one failing source, from the fixture's log: one
/// request per poll, except the redirect loop, whose polls each start at
/// `/loop/a` and visit it three times.
fn poll_starts(web: &HostileWeb, f: &Failing) -> Vec<Instant> {
    let hits = web.hits_of(f.path);
    let per_poll = if f.id == "loop" { 3 } else { 1 };
    hits.iter().step_by(per_poll).map(|h| h.at).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_keeps_ingesting_while_failing_sources_back_off() {
    let tmp = tempfile::tempdir().unwrap();
    let (web, hits) = hostile::serve().await;
    let port = support::port::free_port();
    let config = write_config(tmp.path(), &web, port, "10ms");
    let api = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let get = |path: &str| {
        let (http, url) = (http.clone(), format!("{api}{path}"));
        async move {
            let res = http.get(url).send().await.ok()?;
            res.json::<Value>().await.ok()
        }
    };

    let mut daemon = Daemon::start(&config, tmp.path().join("run.log"));
    // Run until every failing source that can be counted has been polled
    // four times: with a 1 s interval and doubling, that takes about 7 s.
    let counted: Vec<&Failing> = FAILING
        .iter()
        .filter(|f| !matches!(f.id, "busy" | "private"))
        .collect();
    let waited = support::within(Duration::from_secs(60), || async {
        counted
            .iter()
            .all(|f| poll_starts(&hits, f).len() >= 4)
            .then_some(())
    })
    .await;
    let snapshot = hits.hits();
    let log = daemon.log_text();
    assert!(
        waited.is_some(),
        "failing sources were not polled four times: {:?}\nlog:\n{log}",
        counted
            .iter()
            .map(|f| (f.id, poll_starts(&hits, f).len()))
            .collect::<Vec<_>>()
    );

    // The good feeds kept their 1 s interval: many polls, all conditional
    // after the first, answered 304.
    for path in ["/good/news.xml", "/good/forum.xml"] {
        let polls: Vec<_> = snapshot.iter().filter(|h| h.path == path).collect();
        assert!(
            polls.len() >= 6,
            "{path} polled {} times\n{log}",
            polls.len()
        );
        assert!(
            polls[1..].iter().all(|h| h.conditional && h.not_modified),
            "{path}: {polls:?}"
        );
    }
    // Each failing source waited twice as long after every further failure
    // in a row: at least 1 s, 2 s, 4 s (less 10 % for timer slack).
    for f in &counted {
        let starts = poll_starts(&hits, f);
        let gaps: Vec<f64> = starts
            .windows(2)
            .take(3)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect();
        assert!(
            gaps.iter()
                .zip([1.0, 2.0, 4.0])
                .all(|(gap, backoff)| *gap >= 0.9 * backoff),
            "{}: gaps between polls {gaps:?} do not double",
            f.id
        );
    }
    // The 429 asked for two minutes: asked once, not again.
    assert_eq!(hits.hits_of("/busy.xml").len(), 1);

    // The API names every failure and its cause, and shows the good ones healthy.
    let sources = eventually("/api/v1/sources", Duration::from_secs(10), || {
        get("/api/v1/sources")
    })
    .await;
    let by_id: HashMap<&str, &Value> = sources["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s))
        .collect();
    let mut wrong = Vec::new();
    for f in FAILING {
        let s = by_id[f.id];
        wrong.extend(judge(f, &web, s["last_error"].as_str()));
        if s["status"] != "failing" || s["last_success"] != Value::Null {
            wrong.push(format!("{}: not shown failing: {s}", f.id));
        }
        let failures = s["consecutive_failures"].as_u64().unwrap_or(0);
        if f.id != "busy" && failures < 3 {
            wrong.push(format!("{}: {failures} failures in a row", f.id));
        }
    }
    if by_id["busy"]["retry_after"].is_null() {
        wrong.push(format!("busy: no retry_after: {}", by_id["busy"]));
    }
    for &(id, _, _, _) in GOOD {
        let s = by_id[id];
        if s["status"] != "ok" || s["consecutive_failures"] != 0 || !s["last_error"].is_null() {
            wrong.push(format!("{id}: not healthy: {s}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "/api/v1/sources:\n{}\n\n{sources:#}",
        wrong.join("\n")
    );

    // The sources page shows the same causes, the scraped error text escaped.
    let page = http
        .get(format!("{api}/sources"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("`</b>`"),
        "the malformed feed's tags in its error are shown as text, not markup"
    );
    let text = unescape(&page);
    let wrong: Vec<String> = FAILING
        .iter()
        .filter_map(|f| {
            let row = text
                .split("<tr>")
                .find(|row| row.contains(&format!(">{}<", f.id)));
            judge(f, &web, row)
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "/sources:\n{}\n\n{page}",
        wrong.join("\n")
    );

    // ... and every good source's mentions are in.
    for &(id, _, _, mentions) in GOOD {
        let found = get(&format!("/api/v1/mentions?limit=1&source={id}"))
            .await
            .unwrap();
        assert_eq!(found["total"].as_u64(), Some(mentions), "{id}: {found}");
    }
    // The daemon's log names each failure too.
    let log = daemon.log_text();
    for f in FAILING {
        assert!(
            log.lines()
                .any(|l| l.contains(f.id) && l.contains(f.says[0])),
            "the log does not name {}: {}\n{log}",
            f.id,
            f.says[0]
        );
    }
    let status = daemon.stop();
    assert!(status.success(), "{}", daemon.log_text());
}

/// A page's text with HTML's character references read back.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
