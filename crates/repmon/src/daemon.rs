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

    wait_for_signal().await;
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

/// When a source is next due: its interval after the last poll (backing off
/// exponentially while it fails, at most a day), plus a little jitter so
/// sources sharing an interval do not all fire at once, also after a restart.
fn next_delay(record: &SourceRecord, interval: Duration) -> Duration {
    let jitter = |d: Duration| {
        let spread = (d.as_millis() as u64 / 10).min(10_000);
        Duration::from_millis(fastrand::u64(0..=spread))
    };
    let Some(last) = record.last_poll else {
        return jitter(interval.min(Duration::from_secs(5)));
    };
    let backoff = if record.consecutive_failures > 1 {
        let factor = 1u32 << (record.consecutive_failures - 1).min(16);
        interval
            .saturating_mul(factor)
            .min(Duration::from_secs(86_400).max(interval))
    } else {
        interval
    };
    let elapsed = (Utc::now() - last).to_std().unwrap_or_default();
    backoff.saturating_sub(elapsed) + jitter(interval)
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
        let record = {
            let (store, id) = (store.clone(), source.id.clone());
            tokio::task::spawn_blocking(move || ingest::load_record(&store, &id)).await
        };
        let record = match record {
            Ok(Ok(r)) => r,
            _ => SourceRecord::default(),
        };
        if !sleep_or_stop(next_delay(&record, interval), &mut stop).await {
            return;
        }
        let mut fetched = tokio::select! {
            f = ingest::fetch(&fetcher, &store, &source) => f,
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
        let at = Utc::now();
        let (store, analyzer) = (store.clone(), analyzer.clone());
        let acks: Vec<_> = batch.iter_mut().filter_map(|f| f.stored.take()).collect();
        let done =
            tokio::task::spawn_blocking(move || ingest::ingest(&store, &analyzer, batch)).await;
        for ack in acks {
            let _ = ack.send(());
        }
        match done {
            Ok(Ok(ingested)) => {
                for r in &ingested.reports {
                    ingest::log_report(r);
                    let ok = r.error.clone().map_or(Ok(()), Err);
                    telemetry.record_poll(&r.source, ok, r.fetched, r.new_documents, at);
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
mod tests {
    use super::*;

    #[test]
    fn first_poll_is_soon_and_later_ones_wait_their_interval() {
        let fresh = SourceRecord::default();
        assert!(next_delay(&fresh, Duration::from_secs(900)) <= Duration::from_secs(5));
        let just_polled = SourceRecord {
            last_poll: Some(Utc::now()),
            ..Default::default()
        };
        let d = next_delay(&just_polled, Duration::from_secs(900));
        assert!(
            d >= Duration::from_secs(899) && d <= Duration::from_secs(910),
            "{d:?}"
        );
    }

    #[test]
    fn failing_source_backs_off_but_never_beyond_a_day() {
        let failing = |n| SourceRecord {
            last_poll: Some(Utc::now()),
            consecutive_failures: n,
            ..Default::default()
        };
        let iv = Duration::from_secs(600);
        assert!(next_delay(&failing(3), iv) >= Duration::from_secs(2399));
        assert!(next_delay(&failing(30), iv) <= Duration::from_secs(86_400 + 61));
    }
}
