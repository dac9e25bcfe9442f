//! When `rank.dropped` fires, on constructed rankings over a real store.

mod common;

use chrono::{Duration, Utc};
use common::{observe, open_alerts, outbox_len, ranking, webhook};
use repmon_alerts::Alerts;
use repmon_store::Store;
use std::sync::Arc;

fn setup(webhooks: &str) -> (tempfile::TempDir, Arc<Store>, Alerts) {
    let dir = tempfile::tempdir().unwrap();
    let (store, alerts) = open_alerts(dir.path(), webhooks);
    (dir, store, alerts)
}

/// These tests re-rank minutes apart; the default cool-down (12 h) would
/// hold every second alert back.
const SHORT_COOLDOWN: &str = "cooldown = \"1m\"";

#[test]
fn fires_once_per_drop_and_again_after_recovering() {
    let (_dir, store, alerts) = setup(&webhook("http://127.0.0.1:9/hook", 3, SHORT_COOLDOWN));
    let t0 = Utc::now();
    let at = |m: i64| t0 + Duration::minutes(m);

    assert!(observe(&alerts, &["a", "b", "c", "d", "e"], at(0)).is_empty());

    // a loses three places: one event, against its best rank.
    let events = observe(&alerts, &["b", "c", "d", "a", "e"], at(5));
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.kind, "rank.dropped");
    assert_eq!(e.timestamp, at(5));
    assert!(e.id.starts_with("evt_"));
    assert_eq!(
        e.data["company"],
        serde_json::json!({"id": "a", "name": "Company A"})
    );
    assert_eq!(e.data["previous_rank"], 1);
    assert_eq!(e.data["usual_rank"], 1);
    assert_eq!(e.data["rank"], 4);
    assert_eq!(e.data["previous_score"], 90.0);
    assert_eq!(e.data["usual_score"], 90.0);
    assert_eq!(e.data["score"], 60.0);
    assert_eq!(
        e.data["reasons"][0],
        "sentiment of a moved: mentions on forums about 'storing'"
    );
    assert_eq!(e.data["url"], "https://repmon.example.org/companies/a");
    // The evidence travels with the reasons.
    assert_eq!(
        e.data["reason_details"][0],
        serde_json::json!({
            "text": "sentiment of a moved: mentions on forums about 'storing'",
            "component": "vibe", "before": 0.4, "after": -0.2,
            "mentions": [{"title": "Storing bij a", "url": "https://forum.example/a/storing",
                          "source": "forum", "sentiment": "negative"}]
        })
    );
    assert_eq!(outbox_len(&store), 1);

    // The same table again, and neighbours swapping one place: nothing new.
    assert!(observe(&alerts, &["b", "c", "d", "a", "e"], at(10)).is_empty());
    assert!(observe(&alerts, &["b", "c", "d", "e", "a"], at(15)).is_empty());
    assert!(observe(&alerts, &["c", "b", "d", "a", "e"], at(20)).is_empty());

    // a climbs back to the top and settles there, then falls again: a
    // second event.
    for m in 0..30 {
        assert!(observe(&alerts, &["a", "b", "c", "d", "e"], at(25 + m)).is_empty());
    }
    let again = observe(&alerts, &["b", "c", "d", "e", "a"], at(60));
    assert_eq!(again.len(), 1);
    assert_eq!(
        (
            again[0].data["previous_rank"].as_u64(),
            again[0].data["rank"].as_u64()
        ),
        (Some(1), Some(5))
    );
    assert_ne!(again[0].id, e.id);
    assert_eq!(outbox_len(&store), 2);
}

#[test]
fn a_slow_slide_fires_once_per_min_places_lost() {
    let (_dir, _store, alerts) = setup(&webhook("http://127.0.0.1:9/hook", 2, SHORT_COOLDOWN));
    let t0 = Utc::now();
    let steps: [&[&str]; 5] = [
        &["a", "b", "c", "d", "e"],
        &["b", "a", "c", "d", "e"], // a: 2 (lost 1)
        &["b", "c", "a", "d", "e"], // a: 3 (lost 2): fires
        &["b", "c", "d", "a", "e"], // a: 4 (lost 1 since the alert)
        &["b", "c", "d", "e", "a"], // a: 5 (lost 2 since the alert): fires
    ];
    let fired: Vec<usize> = steps
        .iter()
        .enumerate()
        .map(|(i, order)| observe(&alerts, order, t0 + Duration::minutes(i as i64)).len())
        .collect();
    assert_eq!(fired, [0, 0, 1, 0, 1]);
}

#[test]
fn previous_rank_is_the_rank_at_the_previous_re_rank_and_usual_rank_the_baseline() {
    let (_dir, _store, alerts) = setup(&webhook("http://127.0.0.1:9/hook", 2, SHORT_COOLDOWN));
    let t0 = Utc::now();
    let at = |m: i64| t0 + Duration::minutes(m);
    // a is first for a long while, so first is its usual place.
    for m in 0..20 {
        observe(&alerts, &["a", "b", "c", "d", "e"], at(m));
    }
    // It slips to second (not yet a drop of two places), then to fourth.
    assert!(observe(&alerts, &["b", "a", "c", "d", "e"], at(20)).is_empty());
    let events = observe(&alerts, &["b", "c", "d", "a", "e"], at(21));
    assert_eq!(events.len(), 1, "{events:?}");
    let d = &events[0].data;
    // The table a reader saw last had it second; its usual place is first.
    assert_eq!(d["rank"], 4);
    assert_eq!(d["previous_rank"], 2);
    assert_eq!(d["previous_score"], 80.0);
    assert_eq!(d["usual_rank"], 1);
    assert!(d["usual_score"].as_f64().unwrap() > 85.0, "{d}");
}

#[test]
fn cold_start_raises_nothing_and_moves_the_baseline() {
    let (_dir, store, alerts) = setup(&webhook("http://127.0.0.1:9/hook", 3, ""));
    let t0 = Utc::now();
    // While the index fills, tables jump around; nothing may fire.
    assert!(
        alerts
            .observe(&ranking(&["a", "b", "c", "d", "e"], &[], t0), false)
            .unwrap()
            .is_empty()
    );
    assert!(
        alerts
            .observe(
                &ranking(&["b", "c", "d", "e", "a"], &[], t0 + Duration::minutes(1)),
                false
            )
            .unwrap()
            .is_empty()
    );
    // Armed, the table as it stood at the end of the cold start is the baseline.
    assert!(
        observe(
            &alerts,
            &["b", "c", "d", "e", "a"],
            t0 + Duration::minutes(2)
        )
        .is_empty()
    );
    assert_eq!(outbox_len(&store), 0);
    // b fell from 1 to 4 after arming: that fires.
    let events = observe(
        &alerts,
        &["c", "d", "e", "b", "a"],
        t0 + Duration::minutes(3),
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data["company"]["id"], "b");
}

#[test]
fn a_company_without_mentions_in_the_window_raises_nothing() {
    let (_dir, _store, alerts) = setup(&webhook("http://127.0.0.1:9/hook", 2, ""));
    let t0 = Utc::now();
    observe(&alerts, &["a", "b", "c", "d", "e"], t0);
    let events = alerts
        .observe(
            &ranking(
                &["b", "c", "d", "e", "a"],
                &["a"],
                t0 + Duration::minutes(1),
            ),
            true,
        )
        .unwrap();
    assert!(events.is_empty(), "{events:?}");
}

#[test]
fn each_webhook_has_its_own_threshold_and_baseline() {
    let hooks = [
        webhook("http://127.0.0.1:9/two", 2, SHORT_COOLDOWN),
        webhook("http://127.0.0.1:9/four", 4, SHORT_COOLDOWN),
    ]
    .concat();
    let (_dir, store, alerts) = setup(&hooks);
    let t0 = Utc::now();
    observe(&alerts, &["a", "b", "c", "d", "e"], t0);
    let events = observe(
        &alerts,
        &["b", "c", "a", "d", "e"],
        t0 + Duration::minutes(1),
    );
    assert_eq!(
        events.len(),
        1,
        "only the webhook with min_places = 2 fires"
    );
    let events = observe(
        &alerts,
        &["b", "c", "d", "e", "a"],
        t0 + Duration::minutes(2),
    );
    // min_places 2: a lost 2 more since its alert; min_places 4: a lost 4 since the start.
    assert_eq!(events.len(), 2);
    assert_eq!(outbox_len(&store), 3);
}

#[test]
fn baselines_and_the_outbox_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = webhook("http://127.0.0.1:9/hook", 3, "");
    let t0 = Utc::now();
    {
        let (_store, alerts) = open_alerts(dir.path(), &hooks);
        observe(&alerts, &["a", "b", "c", "d", "e"], t0);
        assert_eq!(
            observe(
                &alerts,
                &["b", "c", "d", "a", "e"],
                t0 + Duration::minutes(1)
            )
            .len(),
            1
        );
    }
    let (store, alerts) = open_alerts(dir.path(), &hooks);
    assert_eq!(outbox_len(&store), 1);
    // The drop was already told; the restarted daemon does not tell it again.
    assert!(
        observe(
            &alerts,
            &["b", "c", "d", "a", "e"],
            t0 + Duration::minutes(2)
        )
        .is_empty()
    );
}

#[test]
fn within_the_cool_down_a_second_drop_waits() {
    let (_dir, _store, alerts) = setup(&webhook("http://127.0.0.1:9/hook", 2, ""));
    let t0 = Utc::now();
    let at = |h: i64| t0 + Duration::hours(h);
    observe(&alerts, &["a", "b", "c", "d", "e"], at(0));
    let fired = |order: &[&str], h: i64| observe(&alerts, order, at(h)).len();
    assert_eq!(fired(&["b", "c", "a", "d", "e"], 1), 1);
    // Two more places an hour later: within the 12 h cool-down, quiet.
    assert_eq!(fired(&["b", "c", "d", "e", "a"], 2), 0);
    assert_eq!(fired(&["b", "c", "d", "e", "a"], 6), 0);
    // Still down there when the cool-down is over: told once.
    assert_eq!(fired(&["b", "c", "d", "e", "a"], 14), 1);
    assert_eq!(fired(&["b", "c", "d", "e", "a"], 30), 0);
}
