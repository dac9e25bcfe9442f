//! Delivery to real receivers on 127.0.0.1: signatures, retries with the
//! same webhook-id, Retry-After, 410 Gone, Slack format, restarts.

mod common;

use chrono::{Duration as Minutes, Utc};
use common::{Receiver, Reply, observe, open_alerts, outbox_len, webhook};
use repmon_alerts::{Alerts, DeliveryReport};
use repmon_store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FAST: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_millis(100),
    Duration::from_millis(100),
];

/// Queues one `rank.dropped` for company a (1 → 4).
fn queue_drop(alerts: &Alerts) {
    let t0 = Utc::now();
    observe(alerts, &["a", "b", "c", "d", "e"], t0);
    let events = observe(alerts, &["b", "c", "d", "a", "e"], t0 + Minutes::minutes(5));
    assert!(!events.is_empty());
}

/// A receiver answering from `script`, and alerts (with fast retries) that
/// have one webhook to it: `min_places`, then the `extra` keys. The
/// directory holds the store; keep it for as long as the store is used.
async fn hooked(
    script: Vec<Reply>,
    min_places: usize,
    extra: &str,
) -> (Receiver, tempfile::TempDir, Arc<Store>, Alerts) {
    let rx = Receiver::start(script).await;
    let dir = tempfile::tempdir().unwrap();
    let (store, alerts) = open(&dir, &webhook(&rx.url, min_places, extra));
    (rx, dir, store, alerts)
}

fn open(dir: &tempfile::TempDir, webhooks: &str) -> (Arc<Store>, Alerts) {
    let (store, alerts) = open_alerts(dir.path(), webhooks);
    (store, alerts.with_retry_schedule(FAST.to_vec()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_retried_with_the_same_webhook_id() {
    let (rx, _dir, store, alerts) = hooked(vec![Reply::status(500)], 3, "").await;
    queue_drop(&alerts);

    let first = alerts.deliver_due().await;
    assert_eq!(
        first,
        DeliveryReport {
            due: 1,
            retrying: 1,
            ..Default::default()
        }
    );
    // Not due again before its delay.
    assert_eq!(alerts.deliver_due().await.due, 0);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        alerts.deliver_due().await,
        DeliveryReport {
            due: 1,
            delivered: 1,
            ..Default::default()
        }
    );

    let got = rx.received();
    assert_eq!(got.len(), 2);
    assert!(
        got[0].webhook_id.starts_with("msg_"),
        "{}",
        got[0].webhook_id
    );
    assert_eq!(got[0].webhook_id, got[1].webhook_id);
    assert!(got.iter().all(|r| r.signature_ok), "signatures must verify");
    assert!(got.iter().all(|r| r.content_type == "application/json"));
    assert_eq!(
        got[0].body, got[1].body,
        "every attempt sends the same event"
    );
    // The body of SPEC.md "Webhooks", exactly.
    let body = &got[1].body;
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["data", "timestamp", "type"]);
    assert_eq!(body["type"], "rank.dropped");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    let mut data_keys: Vec<&str> = body["data"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    data_keys.sort();
    assert_eq!(
        data_keys,
        [
            "company",
            "previous_rank",
            "previous_score",
            "rank",
            "reason_details",
            "reasons",
            "score",
            "url",
            "usual_rank",
            "usual_score"
        ]
    );
    assert_eq!(body["data"]["previous_rank"], 1);
    assert_eq!(body["data"]["rank"], 4);
    assert_eq!(outbox_len(&store), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_delivers_at_once_and_honours_retry_after() {
    let (rx, _dir, store, alerts) = hooked(
        vec![Reply {
            status: 503,
            retry_after: Some("1"),
            delay: Duration::ZERO,
        }],
        3,
        "",
    )
    .await;
    let alerts = Arc::new(alerts);
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let runner = tokio::spawn(alerts.clone().run(shutdown));
    tokio::time::sleep(Duration::from_millis(100)).await;

    let queued_at = Instant::now();
    let a = alerts.clone();
    tokio::task::spawn_blocking(move || queue_drop(&a))
        .await
        .unwrap();
    let got = rx.wait_for(2, Duration::from_secs(10)).await;
    assert!(
        got[0].at - queued_at < Duration::from_secs(1),
        "observe wakes the deliverer"
    );
    let gap = got[1].at - got[0].at;
    // The schedule says 100 ms; the receiver asked for a second.
    assert!(gap >= Duration::from_millis(990), "retried after {gap:?}");
    assert!(gap < Duration::from_secs(5), "retried after {gap:?}");
    assert_eq!(got[0].webhook_id, got[1].webhook_id);

    // The receiver logs a request before it answers: give the deliverer the
    // moment it needs to hear the 200 and clear the entry.
    let start = Instant::now();
    while outbox_len(&store) > 0 && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(outbox_len(&store), 0);
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), runner)
        .await
        .expect("run stops on shutdown")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gives_up_after_the_schedule() {
    let (rx, _dir, store, alerts) = hooked(vec![Reply::status(500); 10], 3, "").await;
    queue_drop(&alerts);
    let mut last = DeliveryReport::default();
    for _ in 0..3 {
        last = alerts.deliver_due().await;
        tokio::time::sleep(Duration::from_millis(130)).await;
    }
    assert_eq!(
        last,
        DeliveryReport {
            due: 1,
            gave_up: 1,
            ..Default::default()
        }
    );
    assert_eq!(rx.received().len(), FAST.len());
    assert_eq!(outbox_len(&store), 0);
    assert_eq!(alerts.deliver_due().await.due, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_disables_the_webhook() {
    let (rx, _dir, store, alerts) = hooked(vec![Reply::status(410); 10], 2, "").await;
    let t0 = Utc::now();
    observe(&alerts, &["a", "b", "c", "d", "e"], t0);
    // a and b both drop: two deliveries queued.
    let events = observe(
        &alerts,
        &["c", "d", "a", "b", "e"],
        t0 + Minutes::minutes(1),
    );
    assert_eq!(events.len(), 2);

    let report = alerts.deliver_due().await;
    assert_eq!(report.dropped, 2, "{report:?}");
    assert_eq!(outbox_len(&store), 0);
    let seen = rx.received().len();
    assert!(seen >= 1);
    // Disabled: later drops are not queued, nothing more is sent.
    let events = observe(
        &alerts,
        &["d", "e", "c", "a", "b"],
        t0 + Minutes::minutes(2),
    );
    assert!(events.is_empty());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(alerts.deliver_due().await.due, 0);
    assert_eq!(rx.received().len(), seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_format_posts_a_signed_sentence() {
    let (rx, _dir, _store, alerts) = hooked(vec![], 3, "format = \"slack\"").await;
    queue_drop(&alerts);
    assert_eq!(alerts.deliver_due().await.delivered, 1);
    let got = rx.received();
    assert!(got[0].signature_ok);
    let body = got[0].body.as_object().unwrap();
    assert_eq!(body.keys().collect::<Vec<_>>(), ["text"]);
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("*Company A* dropped from #1 to #4 in the ranking (score 90.0 → 60.0)."),
        "{text}"
    );
    assert!(
        text.contains("Why: sentiment of a moved: mentions on forums about 'storing'."),
        "{text}"
    );
    assert!(
        text.contains("<https://repmon.example.org/companies/a|Details>"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_survives_a_restart_with_the_same_webhook_id() {
    let rx = Receiver::start(vec![Reply::status(502)]).await;
    let dir = tempfile::tempdir().unwrap();
    let hooks = webhook(&rx.url, 3, "");
    {
        let (_store, alerts) = open(&dir, &hooks);
        queue_drop(&alerts);
        assert_eq!(alerts.deliver_due().await.retrying, 1);
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (store, alerts) = open(&dir, &hooks);
    assert_eq!(alerts.deliver_due().await.delivered, 1);
    let got = rx.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].webhook_id, got[1].webhook_id);
    assert!(got[1].signature_ok);
    assert_eq!(outbox_len(&store), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_endpoint_times_out_and_holds_up_no_other_webhook() {
    let slow = Receiver::start(vec![Reply {
        status: 200,
        retry_after: None,
        delay: Duration::from_secs(5),
    }])
    .await;
    let fast = Receiver::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let hooks = [webhook(&slow.url, 3, ""), webhook(&fast.url, 3, "")].concat();
    let (_store, alerts) = open(&dir, &hooks);
    let alerts = alerts.with_timeout(Duration::from_millis(700));
    queue_drop(&alerts);

    let started = Instant::now();
    let report = alerts.deliver_due().await;
    assert_eq!(
        report,
        DeliveryReport {
            due: 2,
            delivered: 1,
            retrying: 1,
            ..Default::default()
        }
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the timeout bounds an attempt"
    );
    assert!(
        fast.received()[0].at - started < Duration::from_millis(500),
        "the fast webhook did not wait"
    );

    // The timed-out one is retried with the same id and now answers in time.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(alerts.deliver_due().await.delivered, 1);
    let got = slow.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].webhook_id, got[1].webhook_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_stays_disabled_after_a_restart_until_the_webhook_is_edited() {
    let rx = Receiver::start(vec![Reply::status(410)]).await;
    let dir = tempfile::tempdir().unwrap();
    let hook = webhook(&rx.url, 3, "");
    {
        let (_store, alerts) = open(&dir, &hook);
        queue_drop(&alerts);
        assert_eq!(alerts.deliver_due().await.dropped, 1);
    }
    // Restarted with the same config: still disabled, nothing is queued.
    {
        let (store, alerts) = open(&dir, &hook);
        let t0 = Utc::now() + Minutes::hours(1);
        observe(&alerts, &["a", "b", "c", "d", "e"], t0);
        let events = observe(&alerts, &["b", "c", "d", "e", "a"], t0 + Minutes::hours(13));
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(outbox_len(&store), 0);
    }
    assert_eq!(rx.received().len(), 1);
    // The operator edits the webhook's entry: enabled again.
    let (_store, alerts) = open(&dir, &webhook(&rx.url, 2, ""));
    let t0 = Utc::now() + Minutes::days(2);
    // a settles back at the top (its baseline remembers the old drop and
    // the jump back up, which counts as wobble until it has held a while).
    for m in 0..30 {
        observe(
            &alerts,
            &["a", "b", "c", "d", "e"],
            t0 - Minutes::minutes(30 - m),
        );
    }
    let events = observe(
        &alerts,
        &["b", "c", "d", "e", "a"],
        t0 + Minutes::minutes(1),
    );
    assert_eq!(events.len(), 1);
    assert_eq!(alerts.deliver_due().await.delivered, 1);
    assert_eq!(rx.received().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delivery_log_shows_each_delivery_and_its_outcome() {
    let (rx, _dir, store, alerts) = hooked(vec![Reply::status(503)], 3, "").await;
    queue_drop(&alerts);
    let log = repmon_alerts::deliveries(&store, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].status.as_str(),
            log[0].attempts,
            log[0].kind.as_str()
        ),
        ("pending", 0, "rank.dropped")
    );
    assert_eq!(log[0].subject, "a");
    assert_eq!(log[0].url, rx.url);

    alerts.deliver_due().await;
    let log = repmon_alerts::deliveries(&store, 10).unwrap();
    assert_eq!(
        (log[0].status.as_str(), log[0].attempts, log[0].last_status),
        ("retrying", 1, Some(503))
    );
    assert_eq!(
        log[0].last_error.as_deref(),
        Some("HTTP 503 Service Unavailable")
    );
    assert!(log[0].next_attempt_at.is_some());

    tokio::time::sleep(Duration::from_millis(150)).await;
    alerts.deliver_due().await;
    let log = repmon_alerts::deliveries(&store, 10).unwrap();
    assert_eq!(
        (log[0].status.as_str(), log[0].attempts, log[0].last_status),
        ("delivered", 2, Some(200))
    );
    assert_eq!(log[0].id, rx.received()[0].webhook_id);
    assert_eq!(log[0].next_attempt_at, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_failing_too_long_is_told_once_per_outage() {
    let (rx, _dir, _store, alerts) = hooked(
        vec![],
        3,
        "events = [\"source.failing\"]\nfailing_after = \"2h\"\nformat = \"slack\"",
    )
    .await;
    let t0 = Utc::now();
    let health = |failures: u32| repmon_alerts::SourceHealth {
        id: "tweakers".into(),
        name: "Tweakers <feed>".into(),
        url: "https://tweakers.example/feed".into(),
        consecutive_failures: failures,
        last_success: Some(t0 - Minutes::minutes(30)),
        last_error: Some("HTTP 503".into()),
        retired: None,
    };
    // Failing for 30 min, then 1.5 h: not yet.
    assert!(alerts.observe_sources(&[health(1)], t0).unwrap().is_empty());
    assert!(
        alerts
            .observe_sources(&[health(4)], t0 + Minutes::hours(1))
            .unwrap()
            .is_empty()
    );
    // Past two hours since the last success: one event.
    let events = alerts
        .observe_sources(&[health(5)], t0 + Minutes::minutes(95))
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "source.failing");
    assert_eq!(events[0].data["source"]["id"], "tweakers");
    assert_eq!(events[0].data["consecutive_failures"], 5);
    assert!(
        alerts
            .observe_sources(&[health(9)], t0 + Minutes::hours(5))
            .unwrap()
            .is_empty(),
        "told once per outage"
    );
    // It recovers, then fails again for long: told again.
    assert!(
        alerts
            .observe_sources(&[health(0)], t0 + Minutes::hours(6))
            .unwrap()
            .is_empty()
    );
    let again = repmon_alerts::SourceHealth {
        last_success: Some(t0 + Minutes::hours(6)),
        ..health(3)
    };
    assert!(
        alerts
            .observe_sources(std::slice::from_ref(&again), t0 + Minutes::hours(7))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        alerts
            .observe_sources(&[again], t0 + Minutes::hours(9))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(alerts.deliver_due().await.delivered, 2);
    // Both outages were told; deliveries run concurrently, so in either order.
    let got = rx.received();
    let mut texts: Vec<&str> = got
        .iter()
        .map(|d| d.body["text"].as_str().unwrap())
        .collect();
    texts.sort();
    assert_eq!(texts.len(), 2, "{texts:?}");
    for text in &texts {
        assert!(
            text.starts_with("Source *Tweakers &lt;feed&gt;* has been failing since "),
            "{text}"
        );
    }
    assert!(
        texts
            .iter()
            .any(|t| t.contains("(5 failed polls in a row): HTTP 503")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("(3 failed polls in a row)")),
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_source_is_reported_once_at_once_and_never_again() {
    let (rx, _dir, _store, alerts) = hooked(
        vec![],
        3,
        "events = [\"source.failing\"]\nfailing_after = \"6h\"",
    )
    .await;
    let t0 = Utc::now();
    let gone = |failures: u32| repmon_alerts::SourceHealth {
        id: "oldblog".into(),
        name: "Old blog".into(),
        url: "https://old.example/feed".into(),
        consecutive_failures: failures,
        last_success: Some(t0 - Minutes::minutes(10)),
        last_error: Some("HTTP 410 Gone".into()),
        retired: Some("HTTP 410 Gone".into()),
    };
    // Retired ten minutes after its last success: reported now, without
    // waiting for failing_after (it will not come back by itself).
    let events = alerts.observe_sources(&[gone(1)], t0).unwrap();
    assert_eq!(events.len(), 1);
    let d = &events[0].data;
    assert_eq!(events[0].kind, "source.failing");
    assert_eq!(d["retired"], true);
    assert_eq!(
        d["cause"],
        "retired: HTTP 410 Gone; it is no longer polled (change its url in the config to poll it again)"
    );
    // The failure count it keeps, hours and days later: never again.
    for hours in [1, 7, 30, 200] {
        assert!(
            alerts
                .observe_sources(&[gone(1)], t0 + Minutes::hours(hours))
                .unwrap()
                .is_empty(),
            "told again after {hours} h"
        );
    }
    assert_eq!(alerts.deliver_due().await.delivered, 1);
    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body["data"]["retired"], true);
    assert_eq!(got[0].body["data"]["source"]["id"], "oldblog");

    // Its URL is edited: polled again, it is a new source as far as alerts
    // go: a plain failure is told after failing_after, as for any source.
    let back = |failures: u32| repmon_alerts::SourceHealth {
        url: "https://new.example/feed".into(),
        retired: None,
        last_error: Some("HTTP 500".into()),
        last_success: Some(t0 + Minutes::hours(200)),
        ..gone(failures)
    };
    assert!(
        alerts
            .observe_sources(&[back(2)], t0 + Minutes::hours(201))
            .unwrap()
            .is_empty()
    );
    let events = alerts
        .observe_sources(&[back(9)], t0 + Minutes::hours(207))
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data["retired"], false);
    assert_eq!(events[0].data["cause"], "HTTP 500");
}
