//! repmon end to end: the real binary polls a fixture web on 127.0.0.1,
//! finds and scores mentions, ranks the companies, serves the API, alerts a
//! webhook receiver when a company drops, survives a restart without losing
//! or duplicating anything, and mails the digest to an SMTP sink.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;
use support::fixtures::{self, Fixtures};
use support::{Daemon, eventually, receivers, repmon, repmon_ok};

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn get(&self, path: &str) -> (u16, Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("API reachable");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path} answered {status}: {body}");
        body
    }

    async fn total(&self, query: &str) -> u64 {
        self.ok(&format!("/api/v1/mentions?limit=1&{query}")).await["total"]
            .as_u64()
            .unwrap()
    }

    async fn entry(&self, company: &str) -> Value {
        let ranking = self.ok("/api/v1/ranking").await;
        ranking["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["company"]["id"] == company)
            .cloned()
            .unwrap()
    }
}

fn sentiment_toward(mention: &Value, company: &str) -> String {
    mention["companies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == company)
        .map(|c| c["sentiment"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("{company} not among the mention's companies: {mention}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repmon_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let web_state = Fixtures::new();
    let web = fixtures::serve(web_state.clone()).await;
    let (hook_url, hooks) = receivers::webhook_receiver().await;
    let smtp = repmon_digest::testing::SmtpSink::start().await.unwrap();
    let port = support::port::free_port();
    let config = support::write_config(tmp.path(), &web, port, &hook_url, &smtp.url());
    let api = Api {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
    };

    // --- cold start on two weeks of history --------------------------------
    let mut daemon = Daemon::start(&config, tmp.path().join("run1.log"));
    eventually(
        "the daemon to answer /healthz",
        Duration::from_secs(30),
        || async {
            let res = api
                .http
                .get(format!("{}/healthz", api.base))
                .send()
                .await
                .ok()?;
            res.status().is_success().then_some(())
        },
    )
    .await;
    // Every source kind delivered its mentions.
    let expected = [
        ("blog", 36),
        ("forum", 38),
        ("news", 6),
        ("board", 2),
        ("social", 2),
    ];
    for (source, n) in expected {
        eventually(
            &format!("{n} mentions from {source}"),
            Duration::from_secs(60),
            || async { (api.total(&format!("source={source}")).await == n).then_some(()) },
        )
        .await;
    }
    let reviews = api.total("source=reviews").await;
    assert!(
        reviews >= 2,
        "the two reviews of Zon Energie are mentions ({reviews})"
    );

    // Decoys: the words of a company's name used for something else.
    for word in ["schijnt", "verkiezingen", "ontspannend"] {
        assert_eq!(
            api.total(&format!("q={word}")).await,
            0,
            "decoy text with '{word}' must not be a mention"
        );
    }
    // One document, two companies, opposite sentiment.
    let two = api.ok("/api/v1/mentions?q=onbeschoft").await;
    assert_eq!(two["total"], 1, "{two}");
    let m = &two["mentions"][0];
    assert_eq!(sentiment_toward(m, "meeuw"), "negative", "{m}");
    assert_eq!(sentiment_toward(m, "snelspoor"), "positive", "{m}");
    assert!(
        m["snippet"].as_str().unwrap().contains("<b>"),
        "snippet highlights the query: {m}"
    );
    // Per-company sentiment filters mean "toward that company".
    let meeuw_neg = api.total("company=meeuw&sentiment=negative").await;
    let spoor_pos = api.total("company=snelspoor&sentiment=positive").await;
    assert!(
        meeuw_neg >= 13,
        "forum complaints about Meeuw Air are negative ({meeuw_neg})"
    );
    assert!(
        spoor_pos >= 13,
        "forum praise for SnelSpoor is positive ({spoor_pos})"
    );
    // A malformed query is the user's mistake: 400 with a message, never 500.
    for bad in ["%22unclosed", "title%3A(", "AND%20OR"] {
        let (status, body) = api.get(&format!("/api/v1/mentions?q={bad}")).await;
        assert_eq!(status, 400, "q={bad}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "q={bad}: {body}"
        );
    }

    // The ranking: every company, Golf Internet on top with its 14 positive posts this week.
    let ranking = api.ok("/api/v1/ranking").await;
    let entries = ranking["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5, "{ranking}");
    let ids: BTreeSet<&str> = entries
        .iter()
        .map(|e| e["company"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from(["golf", "kaaskoning", "meeuw", "snelspoor", "zon"])
    );
    let sov: f64 = entries
        .iter()
        .map(|e| e["metrics"]["share_of_voice"].as_f64().unwrap())
        .sum();
    assert!(
        (sov - 1.0).abs() < 1e-6,
        "shares of voice add up to 1: {sov}"
    );
    let golf = api.entry("golf").await;
    assert_eq!(golf["metrics"]["mentions"], 14, "{golf}");
    assert_eq!(golf["metrics"]["positive"], 14, "{golf}");
    let golf_rank_before = golf["rank"].as_u64().unwrap();
    assert_eq!(
        golf_rank_before, 1,
        "Golf Internet leads before its bad day: {ranking}"
    );
    let meeuw = api.entry("meeuw").await;
    assert!(
        meeuw["metrics"]["net_sentiment"].as_f64().unwrap() < 0.0,
        "{meeuw}"
    );
    assert!(
        meeuw["rank"].as_u64().unwrap() > golf_rank_before,
        "{ranking}"
    );

    // Cold start: the index filled from history and re-ranked several times; no alert.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        hooks.all().is_empty(),
        "no alert during the cold start: {:?}",
        hooks.all()
    );

    // --- Golf Internet's bad day -------------------------------------------
    web_state.start_wave();
    let delivered = support::within(Duration::from_secs(90), || async {
        let all = hooks.all();
        all.iter().any(|d| d.status == 200).then_some(all)
    })
    .await;
    let Some(deliveries) = delivered else {
        panic!(
            "no rank.dropped delivery retried after a 500; deliveries {:?}\nranking {}\nlog:\n{}",
            hooks.all(),
            api.ok("/api/v1/ranking").await,
            daemon.log_text()
        );
    };
    let first = &deliveries[0];
    assert_eq!(first.status, 500, "the receiver refused the first try");
    assert!(
        deliveries.iter().all(|d| d.signature_ok),
        "every delivery is signed with the secret"
    );
    assert!(
        deliveries.iter().all(|d| d.id == first.id),
        "a retry keeps its webhook-id: {deliveries:?}"
    );
    let event = &first.body;
    assert_eq!(event["type"], "rank.dropped", "{event}");
    let data = &event["data"];
    assert_eq!(data["company"]["id"], "golf", "{event}");
    assert_eq!(data["company"]["name"], "Golf Internet");
    let (prev, now) = (
        data["previous_rank"].as_u64().unwrap(),
        data["rank"].as_u64().unwrap(),
    );
    assert!(now >= prev + 2, "dropped at least min_places: {event}");
    assert!(
        data["score"].as_f64().unwrap() < data["previous_score"].as_f64().unwrap(),
        "{event}"
    );
    assert!(!data["reasons"].as_array().unwrap().is_empty(), "{event}");
    // The evidence travels with the reasons: the sentiment reason links to
    // the wave's posts on the fixture web.
    let vibe = data["reason_details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["component"] == "vibe")
        .unwrap_or_else(|| panic!("a sentiment reason: {event}"));
    let cited = vibe["mentions"].as_array().unwrap();
    assert!(!cited.is_empty(), "{event}");
    for m in cited {
        let url = m["url"].as_str().unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.contains("golf-wave"),
            "{event}"
        );
        assert_eq!(m["sentiment"], "negative", "{event}");
    }
    assert!(data["usual_rank"].is_u64(), "{event}");
    assert!(
        data["url"].as_str().unwrap().ends_with("/companies/golf"),
        "{event}"
    );

    // Once per drop: further re-ranks raise nothing new, for Golf or anyone else.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let ids: BTreeSet<String> = hooks.all().into_iter().map(|d| d.id).collect();
    assert_eq!(ids.len(), 1, "exactly one event: {:?}", hooks.all());

    let golf = api.entry("golf").await;
    assert!(
        golf["rank"].as_u64().unwrap() >= golf_rank_before + 2,
        "{golf}"
    );
    let reasons = golf["reasons"].to_string().to_lowercase();
    assert!(
        reasons.contains("sentiment"),
        "the reason names the sentiment: {reasons}"
    );
    let golf_negative = api.total("company=golf&sentiment=negative").await;
    assert!(
        golf_negative >= 60,
        "the wave is negative toward Golf Internet ({golf_negative} of 65)"
    );
    let company = api.ok("/api/v1/companies/golf").await;
    assert!(
        !company["daily"].as_array().unwrap().is_empty(),
        "{company}"
    );
    assert_eq!(api.get("/api/v1/companies/nobody").await.0, 404);
    let page = api
        .http
        .get(format!("{}/companies/golf", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("Golf Internet"));

    // --- restart: nothing lost, nothing doubled ------------------------------
    let total_before = api.total("").await;
    let golf_before = api.entry("golf").await["metrics"]["mentions"].clone();
    let status = daemon.stop();
    assert!(
        status.success(),
        "clean stop on SIGTERM: {status:?}\n{}",
        daemon.log_text()
    );
    let requests_before = web_state.requests.load(std::sync::atomic::Ordering::SeqCst);
    let not_modified_before = web_state
        .not_modified
        .load(std::sync::atomic::Ordering::SeqCst);

    let mut daemon = Daemon::start(&config, tmp.path().join("run2.log"));
    eventually(
        "the restarted daemon to poll again",
        Duration::from_secs(60),
        || async {
            let polled = web_state.requests.load(std::sync::atomic::Ordering::SeqCst)
                >= requests_before + 10;
            let healthy = api
                .http
                .get(format!("{}/healthz", api.base))
                .send()
                .await
                .is_ok();
            (polled && healthy).then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        web_state
            .not_modified
            .load(std::sync::atomic::Ordering::SeqCst)
            > not_modified_before,
        "after the restart, polls are conditional and answered 304"
    );
    assert_eq!(
        api.total("").await,
        total_before,
        "a restart neither loses nor duplicates mentions"
    );
    assert_eq!(api.entry("golf").await["metrics"]["mentions"], golf_before);
    let ids: BTreeSet<String> = hooks.all().into_iter().map(|d| d.id).collect();
    assert_eq!(
        ids.len(),
        1,
        "no new alert after the restart: {:?}",
        hooks.all()
    );
    let status = daemon.stop();
    assert!(status.success(), "{}", daemon.log_text());

    // --- the commands on the same data ----------------------------------------
    let table: Value =
        serde_json::from_str(&repmon_ok(&config, &["rank", "--format", "json"])).unwrap();
    assert_eq!(table["entries"].as_array().unwrap().len(), 5);

    let found: Value = serde_json::from_str(&repmon_ok(
        &config,
        &["search", "storing", "--company", "golf", "--format", "json"],
    ))
    .unwrap();
    assert!(found["total"].as_u64().unwrap() >= 30, "{found}");

    let out = repmon(&config, &["search", "\"unclosed"]);
    assert_eq!(out.status.code(), Some(2), "a malformed query is bad usage");

    let preview = repmon_ok(&config, &["digest", "preview"]);
    assert!(
        preview.contains("Golf Internet") && preview.contains("Zon Energie"),
        "{preview}"
    );

    repmon_ok(&config, &["digest", "send"]);
    let mails = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1, "one digest arrived");
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["analyst@example.org".to_string()]);
    assert_eq!(mail.from, "repmon@example.org");
    let data = &mail.data;
    assert!(data.contains("multipart/alternative"), "{data}");
    assert!(
        data.contains("text/plain") && data.contains("text/html"),
        "both parts: {data}"
    );
    let subject = data
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        subject.contains("week"),
        "the subject names the week: {subject}"
    );
}

#[test]
fn bad_config_is_exit_2_with_file_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.toml");
    std::fs::write(&path, "[poll]\ninterval = \"soon\"\n").unwrap();
    let out = repmon(&path, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.contains("bad.toml"))
        .unwrap_or_default();
    assert!(
        line.contains("poll.interval") && line.contains("not a duration"),
        "{err}"
    );
}

#[test]
fn missing_config_is_exit_2_and_env_names_the_file() {
    let out = std::process::Command::new(support::BIN)
        .arg("rank")
        .env("REPMON_CONFIG", "/nonexistent/repmon.toml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/repmon.toml"));
}
