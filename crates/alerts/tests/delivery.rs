//! Delivery to real receivers on 127.0.0.1: signatures, retries with the
//! same webhook-id, Retry-After, 410 Gone, Slack format, restarts.

mod common;

use chrono::{Duration as Minutes, Utc};
use common::{Receiver, Reply, config, ranking, webhook};
use repmon_alerts::{Alerts, DeliveryReport};
use repmon_store::{Store, Table};
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
    alerts
        .observe(&ranking(&["a", "b", "c", "d", "e"], &[], t0), true)
        .unwrap();
    let events = alerts
        .observe(
            &ranking(&["b", "c", "d", "a", "e"], &[], t0 + Minutes::minutes(5)),
            true,
        )
        .unwrap();
    assert!(!events.is_empty());
}

fn open(dir: &tempfile::TempDir, webhooks: &str) -> (Arc<Store>, Alerts) {
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let alerts = Alerts::new(store.clone(), &config(webhooks)).with_retry_schedule(FAST.to_vec());
    (store, alerts)
}

fn outbox_len(store: &Store) -> usize {
    store
        .range::<serde_json::Value>(Table::Outbox, None, None)
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_is_retried_with_the_same_webhook_id() {
    let rx = Receiver::start(vec![Reply::status(500)]).await;
    let dir = tempfile::tempdir().unwrap();
    let (store, alerts) = open(&dir, &webhook(&rx.url, 3, ""));
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
            "reasons",
            "score",
            "url"
        ]
    );
    assert_eq!(body["data"]["previous_rank"], 1);
    assert_eq!(body["data"]["rank"], 4);
    assert_eq!(outbox_len(&store), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_delivers_at_once_and_honours_retry_after() {
    let rx = Receiver::start(vec![Reply {
        status: 503,
        retry_after: Some("1"),
        delay: Duration::ZERO,
    }])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let (store, alerts) = open(&dir, &webhook(&rx.url, 3, ""));
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

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), runner)
        .await
        .expect("run stops on shutdown")
        .unwrap();
    assert_eq!(outbox_len(&store), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gives_up_after_the_schedule() {
    let rx = Receiver::start(vec![Reply::status(500); 10]).await;
    let dir = tempfile::tempdir().unwrap();
    let (store, alerts) = open(&dir, &webhook(&rx.url, 3, ""));
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
    let rx = Receiver::start(vec![Reply::status(410); 10]).await;
    let dir = tempfile::tempdir().unwrap();
    let (store, alerts) = open(&dir, &webhook(&rx.url, 2, ""));
    let t0 = Utc::now();
    alerts
        .observe(&ranking(&["a", "b", "c", "d", "e"], &[], t0), true)
        .unwrap();
    // a and b both drop: two deliveries queued.
    let events = alerts
        .observe(
            &ranking(&["c", "d", "a", "b", "e"], &[], t0 + Minutes::minutes(1)),
            true,
        )
        .unwrap();
    assert_eq!(events.len(), 2);

    let report = alerts.deliver_due().await;
    assert_eq!(report.dropped, 2, "{report:?}");
    assert_eq!(outbox_len(&store), 0);
    let seen = rx.received().len();
    assert!(seen >= 1);
    // Disabled: later drops are not queued, nothing more is sent.
    let events = alerts
        .observe(
            &ranking(&["d", "e", "c", "a", "b"], &[], t0 + Minutes::minutes(2)),
            true,
        )
        .unwrap();
    assert!(events.is_empty());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(alerts.deliver_due().await.due, 0);
    assert_eq!(rx.received().len(), seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_format_posts_a_signed_sentence() {
    let rx = Receiver::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let (_store, alerts) = open(&dir, &webhook(&rx.url, 3, "format = \"slack\""));
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
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let hooks = [webhook(&slow.url, 3, ""), webhook(&fast.url, 3, "")].concat();
    let alerts = Alerts::new(store.clone(), &config(&hooks))
        .with_retry_schedule(FAST.to_vec())
        .with_timeout(Duration::from_millis(700));
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
