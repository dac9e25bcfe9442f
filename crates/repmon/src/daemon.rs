//! `repmon run`: the long-running monitor.
//!
//! One task per source polls on the source's interval and hands what it
//! fetched to a single ingest task, which batches whatever has arrived into
//! one write (one index writer, one commit per batch). A re-rank follows
//! every batch that changed mentions, and runs at least every
//! `ranking.recompute`. Alerts are delivered by their own task from the
//! persistent outbox; the digest goes out on its schedule; the HTTP API and
//! web page are served throughout. SIGINT/SIGTERM stop the pollers, let the
//! ingest task store what was already fetched, and then exit.

use crate::app::App;
use crate::ingest::{self, Fetched, SourceRecord};
use crate::{Failure, Outcome};
use anyhow::Context as _;
use chrono::Utc;
use repmon_alerts::Alerts;
use repmon_api::{AppState, Telemetry};
use repmon_config::{Config, Source};
use repmon_mentions::Analyzer;
use repmon_sources::Fetcher;
use repmon_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinSet;

/// How many fetched sources the ingest step takes into one batch at most.
const MAX_BATCH_SOURCES: usize = 32;

pub async fn run(config: Config) -> Outcome {
    run_until(config, wait_for_signal()).await
}

/// The daemon, stopping when `stop` completes (a signal, or a test's word).
async fn run_until(config: Config, stop: impl std::future::Future<Output = ()>) -> Outcome {
    let app = Arc::new(App::open(config)?);
    let config = app.config.clone();
    let telemetry = Arc::new(Telemetry::new());
    let fetcher =
        Fetcher::new(&config.poll).map_err(|e| Failure::Runtime(anyhow::anyhow!("{e}")))?;
    let analyzer = Arc::new(Analyzer::new(&config.companies));
    let alerts = Arc::new(Alerts::new(app.store.clone(), &config));

    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .with_context(|| format!("cannot listen on {} (server.listen)", config.server.listen))?;
    tracing::info!(
        "repmon {} watching {} companies on {} sources; web page at {}",
        env!("CARGO_PKG_VERSION"),
        config.companies.len(),
        config.sources.len(),
        config.server.base_url()
    );

    let (shutdown_tx, shutdown) = watch::channel(false);
    let rerank_now = Arc::new(Notify::new());
    let mut tasks = JoinSet::new();

    let router = repmon_api::router(AppState {
        store: app.store.clone(),
        monitor: app.monitor.clone(),
        config: config.clone(),
        telemetry: telemetry.clone(),
    });
    {
        let mut stop = shutdown.clone();
        tasks.spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("the HTTP server stopped: {e}");
            }
        });
    }

    let (fetched_tx, fetched_rx) = mpsc::channel::<Fetched>(64);
    for source in config.sources.iter().cloned() {
        let (fetcher, store, tx, stop) = (
            fetcher.clone(),
            app.store.clone(),
            fetched_tx.clone(),
            shutdown.clone(),
        );
        let default_interval = config.poll.interval.std();
        tasks.spawn(poll_loop(
            source,
            default_interval,
            fetcher,
            store,
            tx,
            stop,
        ));
    }
    drop(fetched_tx);

    tasks.spawn(ingest_loop(
        fetched_rx,
        app.store.clone(),
        analyzer,
        app.config.store.clone(),
        telemetry.clone(),
        rerank_now.clone(),
    ));
    tasks.spawn(rerank_loop(
        app.clone(),
        alerts.clone(),
        telemetry.clone(),
        rerank_now.clone(),
        shutdown.clone(),
    ));
    tasks.spawn(alerts.clone().run(shutdown.clone()));
    if config.digest.is_some() {
        tasks.spawn(digest_loop(app.clone(), shutdown.clone()));
    }

    stop.await;
    tracing::info!("stopping: finishing the work in flight");
    let _ = shutdown_tx.send(true);
    rerank_now.notify_one();
    // In-flight HTTP fetches are abandoned; what was fetched is stored.
    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(done) = tasks.join_next().await {
            if let Err(e) = done
                && e.is_panic()
            {
                tracing::error!("a task failed while stopping: {e}");
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "some work did not finish within 30s and was abandoned; committed data is intact"
        );
    }
    // A blocking job a task started (a store read, an ingest) or an HTTP
    // connection's handler can hold the store a moment longer. Stopped means
    // the store is closed, so a daemon started next (a restart in the same
    // process) can open it.
    let store = Arc::downgrade(&app.store);
    drop((app, alerts));
    let closing = std::time::Instant::now();
    while store.strong_count() > 0 && closing.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if store.strong_count() > 0 {
        tracing::warn!("the store is still in use 10s after stopping");
    }
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Sleeps for `d`, or less if the daemon is stopping. Returns false when stopping.
async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return false;
    }
    let stopped = tokio::select! {
        _ = tokio::time::sleep(d) => false,
        _ = stop.wait_for(|s| *s) => true,
    };
    !stopped && !*stop.borrow()
}

/// The longest a failing source waits between two polls: it is never given up.
const MAX_BACKOFF: Duration = Duration::from_secs(86_400);

/// When a source is next due, counted from now: its interval after the last
/// poll, doubling with every failure in a row after the first (at most a
/// day, or the interval if that is longer), never before a time the server
/// asked for with `Retry-After` (itself capped when stored), plus a little
/// jitter so sources sharing an interval do not all fire at once — also
/// after a restart, when every source is overdue at the same moment.
fn next_delay(record: &SourceRecord, interval: Duration) -> Duration {
    let jitter = |d: Duration| {
        let spread = (d.as_millis() as u64 / 10).min(10_000);
        Duration::from_millis(fastrand::u64(0..=spread))
    };
    let health = &record.health;
    let Some(last) = health.last_poll else {
        return jitter(interval.min(Duration::from_secs(5)));
    };
    let now = Utc::now();
    let backoff = if health.consecutive_failures > 1 {
        let factor = 1u32 << (health.consecutive_failures - 1).min(16);
        interval
            .saturating_mul(factor)
            .min(MAX_BACKOFF.max(interval))
    } else {
        interval
    };
    let elapsed = (now - last).to_std().unwrap_or_default();
    let due = backoff.saturating_sub(elapsed);
    let asked = health
        .retry_after
        .and_then(|t| (t - now).to_std().ok())
        .unwrap_or_default()
        .min(ingest::MAX_RETRY_AFTER);
    due.max(asked) + jitter(interval)
}

/// Loads a source's record off the async threads; a record that cannot be
/// read counts as a fresh one (the source is polled rather than stalled).
async fn load_record(store: &Arc<Store>, id: &str) -> SourceRecord {
    let (store, id) = (store.clone(), id.to_string());
    match tokio::task::spawn_blocking(move || ingest::load_record(&store, &id)).await {
        Ok(Ok(r)) => r,
        _ => SourceRecord::default(),
    }
}

async fn poll_loop(
    source: Source,
    default_interval: Duration,
    fetcher: Fetcher,
    store: Arc<Store>,
    tx: mpsc::Sender<Fetched>,
    mut stop: watch::Receiver<bool>,
) {
    let interval = source.interval.map_or(default_interval, |d| d.std());
    loop {
        let mut record = load_record(&store, &source.id).await;
        if let Some(retired) = record.retired_for(&source) {
            tracing::warn!(
                source = %source.id,
                "not polling: retired on {} ({}); change its url in the config to poll it again",
                retired.at.format("%Y-%m-%d %H:%M UTC"),
                retired.reason
            );
            return;
        }
        let delay = next_delay(&record, interval);
        // Remember when the next poll is due, for `repmon check` and the
        // sources page. Only this task and the ingest of this task's own
        // fetch (awaited below) write this source's record, so no update is lost.
        record.health.next_poll = chrono::Duration::from_std(delay)
            .ok()
            .map(|d| Utc::now() + d);
        let state = record.state.clone();
        {
            let (store, id) = (store.clone(), source.id.clone());
            let saved = tokio::task::spawn_blocking(move || {
                store.put(repmon_store::Table::Sources, &id, &record)
            })
            .await;
            if let Ok(Err(e)) = saved {
                tracing::warn!(source = %source.id, "cannot save the next poll time: {e}");
            }
        }
        if !sleep_or_stop(delay, &mut stop).await {
            return;
        }
        let mut fetched = tokio::select! {
            f = ingest::fetch_with(&fetcher, &source, &state) => f,
            _ = stop.wait_for(|s| *s) => return,
        };
        let (stored_tx, stored_rx) = tokio::sync::oneshot::channel();
        fetched.stored = Some(stored_tx);
        if tx.send(fetched).await.is_err() {
            return;
        }
        // An error here means the ingest step is gone (stopping); either way go on.
        let _ = stored_rx.await;
    }
}

async fn ingest_loop(
    mut rx: mpsc::Receiver<Fetched>,
    store: Arc<Store>,
    analyzer: Arc<Analyzer>,
    kept: repmon_config::Store,
    telemetry: Arc<Telemetry>,
    rerank_now: Arc<Notify>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH_SOURCES {
            match rx.try_recv() {
                Ok(f) => batch.push(f),
                Err(_) => break,
            }
        }
        let (store, analyzer) = (store.clone(), analyzer.clone());
        let acks: Vec<_> = batch.iter_mut().filter_map(|f| f.stored.take()).collect();
        let since = kept.keep_unmatched_since(chrono::Utc::now());
        let done =
            tokio::task::spawn_blocking(move || ingest::ingest(&store, &analyzer, since, batch))
                .await;
        for ack in acks {
            let _ = ack.send(());
        }
        match done {
            Ok(Ok(ingested)) => {
                for r in &ingested.reports {
                    ingest::log_report(r);
                    // Only counted here: the source's health was stored by
                    // the ingest step. A partial poll (one Mastodon timeline
                    // of several failed) still brought documents, and the
                    // stored health counts it a success too.
                    let ok = r.error.is_none() || r.partial;
                    telemetry.record_poll(&r.source, ok, r.fetched, r.new_documents);
                }
                telemetry.record_ingest(ingested.stats.added, ingested.stats.updated);
                if ingested.stats.added + ingested.stats.updated > 0 {
                    rerank_now.notify_one();
                }
            }
            Ok(Err(e)) => tracing::error!(
                "ingest failed, the batch will be fetched again on the next poll: {e:#}"
            ),
            Err(e) => tracing::error!("ingest task failed: {e}"),
        }
    }
}

async fn rerank_loop(
    app: Arc<App>,
    alerts: Arc<Alerts>,
    telemetry: Arc<Telemetry>,
    rerank_now: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let every = app.config.ranking.recompute.std();
    // Alerts are armed from the second re-rank after every source was first
    // polled: the first such re-rank sets the baselines on a full index.
    let mut all_polled_before = {
        let (store, config) = (app.store.clone(), app.config.clone());
        tokio::task::spawn_blocking(move || ingest::all_sources_polled(&store, &config))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or(false)
    };
    loop {
        tokio::select! {
            _ = rerank_now.notified() => {}
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if *stop.borrow() {
            return;
        }
        let (store, monitor, config, alerts2) = (
            app.store.clone(),
            app.monitor.clone(),
            app.config.clone(),
            alerts.clone(),
        );
        let was_polled = all_polled_before;
        let done = tokio::task::spawn_blocking(move || {
            let all_polled = ingest::all_sources_polled(&store, &config)?;
            let armed = was_polled && all_polled;
            let ranking = ingest::rerank(&monitor, &config, &alerts2, armed)?;
            // source.failing: judged from each source's health record.
            let health = config
                .sources
                .iter()
                .map(|s| {
                    let r = ingest::load_record(&store, &s.id)?;
                    let retired = r.retired_for(s).map(|g| g.reason.clone());
                    Ok(repmon_alerts::SourceHealth {
                        id: s.id.clone(),
                        name: s.display_name().to_string(),
                        url: s.url.clone(),
                        consecutive_failures: r.health.consecutive_failures,
                        last_success: r.health.last_success,
                        last_error: r.health.last_error,
                        retired,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            for e in alerts2
                .observe_sources(&health, Utc::now())
                .context("cannot queue source alerts")?
            {
                tracing::info!(event = %e.kind, id = %e.id, "alert queued");
            }
            anyhow::Ok((ranking, all_polled, armed))
        })
        .await;
        match done {
            Ok(Ok((ranking, all_polled, armed))) => {
                all_polled_before = all_polled;
                telemetry.record_rerank(ranking.generated_at);
                tracing::debug!(entries = ranking.entries.len(), armed, "re-ranked");
            }
            Ok(Err(e)) => tracing::error!("re-rank failed: {e:#}"),
            Err(e) => tracing::error!("re-rank task failed: {e}"),
        }
    }
}

async fn digest_loop(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let Some(digest) = app.config.digest.clone() else {
        return;
    };
    loop {
        let now = Utc::now();
        let Some(next) = repmon_digest::next_run(&digest, now) else {
            tracing::warn!(
                "the digest schedule {:?} never fires again",
                digest.schedule
            );
            return;
        };
        tracing::info!("next digest at {next}");
        let wait = (next - now).to_std().unwrap_or_default();
        if !sleep_or_stop(wait, &mut stop).await {
            return;
        }
        if let Err(e) = send_digest(&app).await {
            tracing::error!("the digest was not sent: {e:#}");
        }
    }
}

/// Composes and sends the digest, and remembers it went out.
pub async fn send_digest(app: &App) -> anyhow::Result<()> {
    let config = app.config.clone();
    let digest = config
        .digest
        .clone()
        .context("no [digest] section in the config")?;
    let now = Utc::now();
    let cfg = config.clone();
    let (email, ranking) = app
        .blocking(move |store, monitor| {
            let email = repmon_digest::compose(monitor, store, &cfg, now)?;
            let ranking = monitor.ranking(now, cfg.ranking.window.chrono(), usize::MAX)?;
            Ok((email, ranking))
        })
        .await?;
    repmon_digest::send(&digest, &email).await?;
    app.blocking(move |store, _| Ok(repmon_digest::mark_sent(store, &ranking, now)?))
        .await?;
    tracing::info!(subject = %email.subject, recipients = digest.to.len(), "digest sent");
    Ok(())
}

#[cfg(test)]
#[path = "../../../tests/support/port.rs"]
mod test_port;

#[cfg(test)]
mod tests {
    use super::*;
    use repmon_model::Retired;

    fn polled(failures: u32) -> SourceRecord {
        let mut r = SourceRecord::default();
        r.health.last_poll = Some(Utc::now());
        r.health.consecutive_failures = failures;
        r
    }

    #[test]
    fn first_poll_is_soon_and_later_ones_wait_their_interval() {
        let fresh = SourceRecord::default();
        assert!(next_delay(&fresh, Duration::from_secs(900)) <= Duration::from_secs(5));
        let d = next_delay(&polled(0), Duration::from_secs(900));
        assert!(
            d >= Duration::from_secs(899) && d <= Duration::from_secs(910),
            "{d:?}"
        );
    }

    #[test]
    fn failing_source_backs_off_but_never_beyond_a_day() {
        let iv = Duration::from_secs(600);
        // One failure: the plain interval; then doubling per failure.
        assert!(next_delay(&polled(1), iv) <= Duration::from_secs(661));
        let third = next_delay(&polled(3), iv);
        assert!(third >= Duration::from_secs(2399) && third <= Duration::from_secs(2461));
        let d = next_delay(&polled(30), iv);
        assert!(
            d >= Duration::from_secs(86_399) && d <= Duration::from_secs(86_400 + 61),
            "{d:?}"
        );
        // An interval longer than a day is never shortened by the cap.
        let weekly = Duration::from_secs(7 * 86_400);
        assert!(next_delay(&polled(5), weekly) >= weekly - Duration::from_secs(1));
    }

    #[test]
    fn overdue_sources_after_a_restart_are_spread_by_jitter() {
        let mut r = polled(0);
        r.health.last_poll = Some(Utc::now() - chrono::Duration::hours(3));
        let iv = Duration::from_secs(600);
        let delays: std::collections::HashSet<Duration> =
            (0..50).map(|_| next_delay(&r, iv)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(60)));
        assert!(delays.len() > 10, "every overdue source fires at once");
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let iv = Duration::from_secs(60);
        let mut r = polled(1);
        r.health.retry_after = Some(Utc::now() + chrono::Duration::minutes(30));
        let d = next_delay(&r, iv);
        assert!(
            d >= Duration::from_secs(1799) && d <= Duration::from_secs(1807),
            "{d:?}"
        );
        // A Retry-After in the past does not delay anything.
        r.health.retry_after = Some(Utc::now() - chrono::Duration::minutes(30));
        assert!(next_delay(&r, iv) <= Duration::from_secs(67));
        // Whatever the record says, no more than the cap.
        r.health.retry_after = Some(Utc::now() + chrono::Duration::days(30));
        assert!(next_delay(&r, iv) <= ingest::MAX_RETRY_AFTER + Duration::from_secs(7));
        // The backoff still applies when it is the longer wait.
        let mut r = polled(6);
        r.health.retry_after = Some(Utc::now() + chrono::Duration::seconds(10));
        assert!(next_delay(&r, iv) >= Duration::from_secs(60 * 32 - 1));
    }

    #[test]
    fn a_retirement_holds_only_for_the_url_that_went_away() {
        let source: Source = serde_json::from_value(serde_json::json!({
            "id": "blog", "kind": "feed", "url": "https://a.example/feed"
        }))
        .unwrap();
        let mut r = SourceRecord::default();
        r.health.retired = Some(Retired {
            at: Utc::now(),
            url: "https://a.example/feed".into(),
            reason: "gone".into(),
        });
        assert!(r.retired_for(&source).is_some());
        let edited = Source {
            url: "https://a.example/new-feed".into(),
            ..source
        };
        assert!(r.retired_for(&edited).is_none());
    }

    // ------------------------------------------------------------------
    // The poll loops against a fixture web on 127.0.0.1, with the real
    // fetcher, store and ingest step.

    use axum::Router;
    use axum::extract::{Path as UrlPath, State};
    use axum::http::{StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Instant;

    /// When each path was requested.
    #[derive(Default)]
    struct Hits(Mutex<HashMap<String, Vec<Instant>>>);

    impl Hits {
        fn of(&self, path: &str) -> Vec<Instant> {
            self.0
                .lock()
                .unwrap()
                .get(path)
                .cloned()
                .unwrap_or_default()
        }
    }

    fn rss(n: usize) -> String {
        format!(
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
            <item><title>Post {n}</title><link>https://blog.example/{n}</link><guid>post-{n}</guid>
            <pubDate>Fri, 20 Nov 2026 14:03:00 +0100</pubDate><description>Bericht {n}</description></item>
            </channel></rss>"#
        )
    }

    async fn fixture(State(hits): State<Arc<Hits>>, UrlPath(path): UrlPath<String>) -> Response {
        let n = {
            let mut all = hits.0.lock().unwrap();
            let list = all.entry(path.clone()).or_default();
            list.push(Instant::now());
            list.len()
        };
        let feed =
            |body: String| ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response();
        match path.as_str() {
            "ok.xml" | "new.xml" => feed(rss(n)),
            "fail.xml" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
            "busy.xml" => (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "2")],
                "slow down",
            )
                .into_response(),
            "old.xml" => (
                StatusCode::MOVED_PERMANENTLY,
                [(header::LOCATION, "/new.xml")],
            )
                .into_response(),
            "gone.xml" => (StatusCode::GONE, "gone").into_response(),
            _ => StatusCode::NOT_FOUND.into_response(),
        }
    }

    fn poll_settings() -> repmon_config::Poll {
        repmon_config::Poll {
            interval: repmon_config::Duration::from_secs(60),
            timeout: repmon_config::Duration(Duration::from_secs(5)),
            max_body: repmon_config::ByteSize(1024 * 1024),
            user_agent: "repmon-test".into(),
            host_concurrency: 8,
            host_delay: repmon_config::Duration(Duration::ZERO),
        }
    }

    /// Runs one poll loop per source for `run_for`, with the daemon's own
    /// ingest step behind them; returns the loops that are still running.
    async fn run_loops(
        store: &Arc<Store>,
        sources: &[Source],
        interval: Duration,
        run_for: Duration,
    ) -> Vec<String> {
        let fetcher = Fetcher::new(&poll_settings()).unwrap();
        let (stop_tx, stop) = watch::channel(false);
        let (tx, rx) = mpsc::channel(16);
        let ingest = tokio::spawn(ingest_loop(
            rx,
            store.clone(),
            Arc::new(Analyzer::new(&[])),
            repmon_config::Store::default(),
            Arc::new(Telemetry::new()),
            Arc::new(Notify::new()),
        ));
        let loops: Vec<_> = sources
            .iter()
            .map(|s| {
                let task = tokio::spawn(poll_loop(
                    s.clone(),
                    interval,
                    fetcher.clone(),
                    store.clone(),
                    tx.clone(),
                    stop.clone(),
                ));
                (s.id.clone(), task)
            })
            .collect();
        drop(tx);
        tokio::time::sleep(run_for).await;
        let running = loops
            .iter()
            .filter(|(_, t)| !t.is_finished())
            .map(|(id, _)| id.clone())
            .collect();
        stop_tx.send(true).unwrap();
        for (_, t) in loops {
            t.await.unwrap();
        }
        ingest.await.unwrap();
        running
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failing_sources_back_off_move_retire_and_wait_while_others_are_ingested() {
        let (base, hits) = fixture_web().await;

        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let sources: Vec<Source> = ["ok", "fail", "busy", "old", "gone"]
            .iter()
            .map(|id| {
                serde_json::from_value(serde_json::json!({
                    "id": id, "kind": "feed", "url": format!("{base}/{id}.xml")
                }))
                .unwrap()
            })
            .collect();
        let interval = Duration::from_millis(200);
        let running = run_loops(&store, &sources, interval, Duration::from_millis(3500)).await;

        // The healthy source kept being polled and ingested all along.
        let ok = hits.of("ok.xml").len();
        assert!(ok >= 10, "the healthy source was polled only {ok} times");
        let rec = ingest::load_record(&store, "ok").unwrap();
        assert!(rec.health.documents_seen >= 10, "{:?}", rec.health);
        assert_eq!(rec.health.consecutive_failures, 0);
        assert!(rec.health.next_poll.is_some());

        // The failing one backed off: 0, +0.2, +0.4, +0.8, +1.6 s ...
        let fail = hits.of("fail.xml");
        assert!(
            (3..=5).contains(&fail.len()),
            "a failing source polled {} times in 3.5 s",
            fail.len()
        );
        let gaps: Vec<Duration> = fail.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.windows(2).all(|g| g[1] > g[0]), "{gaps:?}");
        let rec = ingest::load_record(&store, "fail").unwrap();
        // A poll still in flight when the loops stop is abandoned: the
        // server saw its request, the store never sees its answer.
        let stored = rec.health.consecutive_failures as usize;
        assert!(
            stored == fail.len() || stored + 1 == fail.len(),
            "{stored} failures stored for {} polls",
            fail.len()
        );
        assert!(
            rec.health
                .last_error
                .as_deref()
                .unwrap()
                .ends_with("answered 500 Internal Server Error"),
            "{:?}",
            rec.health.last_error
        );

        // 429 with Retry-After: 2 → the next poll waited two seconds, not 200 ms.
        let busy = hits.of("busy.xml");
        assert_eq!(busy.len(), 2, "{busy:?}");
        assert!(busy[1] - busy[0] >= Duration::from_millis(1900), "{busy:?}");

        // 301: one request to the old URL, every later poll goes to the new one.
        assert_eq!(hits.of("old.xml").len(), 1);
        assert!(hits.of("new.xml").len() >= 10);
        let rec = ingest::load_record(&store, "old").unwrap();
        assert_eq!(rec.health.moved_to, Some(format!("{base}/new.xml")));

        // 410: retired after one request, its loop ended, the others run on.
        assert_eq!(hits.of("gone.xml").len(), 1);
        assert!(!running.contains(&"gone".to_string()), "{running:?}");
        assert_eq!(running.len(), 4, "{running:?}");
        let rec = ingest::load_record(&store, "gone").unwrap();
        let retired = rec.health.retired.expect("retired");
        assert!(
            retired.reason.ends_with("answered 410 Gone"),
            "{}",
            retired.reason
        );

        // After a restart the retired source stays retired, and the moved one
        // goes straight to its new URL.
        let running = run_loops(&store, &sources[3..], interval, Duration::from_millis(600)).await;
        assert_eq!(running, vec!["old".to_string()]);
        assert_eq!(hits.of("gone.xml").len(), 1);
        assert_eq!(hits.of("old.xml").len(), 1);
    }

    // ------------------------------------------------------------------
    // The whole daemon (HTTP API included) on 127.0.0.1: a source's health
    // is what the poll step stored, so it is the same after a restart and
    // after a `repmon poll` that ran without the daemon.

    /// Serves the fixture feeds; returns the base URL and the hit log.
    async fn fixture_web() -> (String, Arc<Hits>) {
        let hits = Arc::new(Hits::default());
        let app = Router::new()
            .route("/{path}", axum::routing::get(fixture))
            .with_state(hits.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, hits)
    }

    /// A healthy and a failing feed, polled hourly: after its first poll a
    /// source is not polled again while a test runs.
    fn daemon_config(dir: &std::path::Path, web: &str) -> Config {
        let port = test_port::free_port();
        let path = dir.join("repmon.toml");
        let text = format!(
            r#"
data_dir = "{data}"

[server]
listen = "127.0.0.1:{port}"

[poll]
interval = "1h"
timeout = "5s"
host_delay = "0s"

[[companies]]
id = "zon"
name = "Zon Energie"
terms = ["Zon"]

[[sources]]
id = "ok"
kind = "feed"
url = "{web}/ok.xml"

[[sources]]
id = "fail"
kind = "feed"
url = "{web}/fail.xml"
"#,
            data = dir.join("data").display()
        );
        std::fs::write(&path, text).unwrap();
        Config::load(&path).unwrap()
    }

    struct Daemon {
        api: String,
        stop: tokio::sync::oneshot::Sender<()>,
        task: tokio::task::JoinHandle<Outcome>,
    }

    impl Daemon {
        async fn start(config: &Config) -> Daemon {
            let api = config.server.base_url();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(run_until(config.clone(), async move {
                let _ = stopped.await;
            }));
            let deadline = Instant::now() + Duration::from_secs(10);
            while reqwest::get(format!("{api}/healthz")).await.is_err() {
                if task.is_finished() {
                    panic!("the daemon stopped at once: {:?}", task.await.unwrap());
                }
                assert!(Instant::now() < deadline, "the daemon did not come up");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Daemon { api, stop, task }
        }

        async fn get(&self, path: &str) -> String {
            let resp = reqwest::get(format!("{}{path}", self.api)).await.unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            resp.text().await.unwrap()
        }

        /// `/api/v1/sources` by source id.
        async fn sources(&self) -> HashMap<String, serde_json::Value> {
            let body: serde_json::Value =
                serde_json::from_str(&self.get("/api/v1/sources").await).unwrap();
            body["sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["id"].as_str().unwrap().to_string(), s.clone()))
                .collect()
        }

        async fn stop(self) {
            let _ = self.stop.send(());
            let outcome = self.task.await.unwrap();
            assert!(outcome.is_ok(), "{outcome:?}");
        }
    }

    /// The fields that describe a source's health (not this process's counts,
    /// and not the next poll time, which a starting daemon sets anew).
    fn health(row: &serde_json::Value) -> serde_json::Value {
        let mut h = serde_json::Map::new();
        for key in [
            "status",
            "last_poll",
            "last_success",
            "last_error",
            "last_error_at",
            "consecutive_failures",
            "documents_seen",
            "retry_after",
            "moved_to",
            "retired",
        ] {
            h.insert(key.into(), row[key].clone());
        }
        h.into()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn source_health_is_the_same_after_a_restart() {
        let (web, hits) = fixture_web().await;
        let dir = tempfile::tempdir().unwrap();
        let config = daemon_config(dir.path(), &web);

        let daemon = Daemon::start(&config).await;
        let deadline = Instant::now() + Duration::from_secs(15);
        let before = loop {
            let rows = daemon.sources().await;
            if rows.values().all(|r| !r["last_poll"].is_null()) {
                break rows;
            }
            assert!(Instant::now() < deadline, "not polled: {rows:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(before["ok"]["status"], "ok", "{:?}", before["ok"]);
        assert_eq!(before["ok"]["documents_seen"], 1);
        assert_eq!(before["ok"]["polls_ok"], 1);
        assert_eq!(before["fail"]["status"], "failing");
        assert_eq!(before["fail"]["consecutive_failures"], 1);
        assert_eq!(before["fail"]["polls_failed"], 1);
        daemon.stop().await;

        let daemon = Daemon::start(&config).await;
        let after = daemon.sources().await;
        for id in ["ok", "fail"] {
            assert_eq!(health(&after[id]), health(&before[id]), "{id}");
            assert!(!after[id]["next_poll"].is_null(), "{id}: {:?}", after[id]);
            // The counts are this process's: it has not polled yet.
            assert_eq!(after[id]["polls_ok"], 0);
            assert_eq!(after[id]["polls_failed"], 0);
        }
        // The health gauges survive the restart too; the counters do not.
        let metrics = daemon.get("/metrics").await;
        assert!(
            metrics
                .lines()
                .any(|l| l == "repmon_source_consecutive_failures{source=\"fail\"} 1"),
            "{metrics}"
        );
        assert!(
            metrics
                .lines()
                .any(|l| l
                    .starts_with("repmon_source_last_success_timestamp_seconds{source=\"ok\"} ")),
            "{metrics}"
        );
        assert!(!metrics.contains("repmon_source_polls_total{"), "{metrics}");
        daemon.stop().await;
        // Shown from the record, not from another poll.
        assert_eq!(hits.of("ok.xml").len(), 1);
        assert_eq!(hits.of("fail.xml").len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_poll_without_the_daemon_shows_in_the_daemon_started_after_it() {
        let (web, hits) = fixture_web().await;
        let dir = tempfile::tempdir().unwrap();
        let config = daemon_config(dir.path(), &web);

        let polled = crate::commands::poll(config.clone(), None).await;
        assert!(polled.is_ok(), "one source of two works: {polled:?}");
        let stored = ingest::load_record(&Store::open(&config.data_dir).unwrap(), "ok").unwrap();
        let polled_at = stored.health.last_poll.expect("the poll is stored");

        let daemon = Daemon::start(&config).await;
        let rows = daemon.sources().await;
        let ok = &rows["ok"];
        assert_eq!(ok["status"], "ok", "{ok}");
        assert_eq!(
            ok["last_success"].as_str().unwrap(),
            polled_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        );
        assert_eq!(ok["documents_seen"], 1, "{ok}");
        let fail = &rows["fail"];
        assert_eq!(fail["status"], "failing", "{fail}");
        assert_eq!(fail["consecutive_failures"], 1, "{fail}");
        assert!(
            fail["last_error"]
                .as_str()
                .unwrap()
                .ends_with("answered 500 Internal Server Error"),
            "{fail}"
        );
        assert!(fail["last_success"].is_null(), "{fail}");
        let page = daemon.get("/sources").await;
        assert!(
            page.contains("answered 500 Internal Server Error"),
            "{page}"
        );
        daemon.stop().await;
        assert_eq!(hits.of("ok.xml").len(), 1, "the daemon did not poll again");
    }
}
