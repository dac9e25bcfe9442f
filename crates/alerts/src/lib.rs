//! Alert webhooks: events when a company's standing changes for real, or a
//! source keeps failing, signed per [Standard Webhooks] and delivered at
//! least once from a persistent outbox.
//!
//! # Events
//!
//! - `rank.dropped`: a company sits at least `min_places` below its usual
//!   rank;
//! - `rank.exited_top`: a company that usually ranks in the top-x
//!   (`[ranking] top`) fell out of it;
//! - `sentiment.dropped`: its net sentiment fell at least `sentiment_drop`
//!   below its usual level;
//! - `volume.spike`: the last hour brought `spike_factor` times its usual
//!   hourly mentions (at least `spike_min`, and beyond what chance gives);
//! - `source.failing`: a source has failed for longer than `failing_after`,
//!   or was retired by a `410 Gone` (told at once, once, with
//!   `"retired": true`).
//!
//! Company events carry `previous_rank`/`previous_score` (the previous
//! re-rank), `usual_rank`/`usual_score` (the baseline judged against),
//! `reasons` and `reason_details` (the evidence).
//!
//! Each webhook subscribes to the types it names in `events`.
//!
//! # No false alarms
//!
//! Every webhook keeps, per company, a *baseline* in the state store
//! (`Table::Alerts`): the company's usual rank and score (weighted averages
//! over re-ranks), how much its score usually wobbles, and its usual net
//! sentiment. A company is judged only
//! - once armed (on a cold start the index is still filling from sources
//!   full of history, and baselines simply follow the table);
//! - with at least `min_mentions` mentions in the window (evidence: nine
//!   mentions cannot carry a claim that a company dropped);
//! - on a real fall: the score at least `min_score_drop` points and four of
//!   its usual deviations below its usual score (neighbours swapping places
//!   on noise raise nothing), or a sentiment fall beyond three standard
//!   errors of the window's net sentiment;
//! - outside the `cooldown` since the last event of the same type about it.
//!
//! When an event fires, the current place becomes the baseline, so the same
//! drop fires once. A company without mentions in the window is left alone:
//! it sits at the bottom for lack of data, which is no drop. The noise test
//! (`tests/noise.rs`) re-ranks stable companies hundreds of times and
//! requires silence, then a collapse and its events at the first re-rank.
//!
//! # Delivery
//!
//! Each event is written to the outbox (`Table::Outbox`), one entry per
//! webhook, with its `webhook-id` (`msg_…`), before any attempt, so the same
//! id is sent on every try and after a restart. A non-2xx answer, a timeout
//! (15 s) or a connection failure is retried on [`DEFAULT_RETRY_SCHEDULE`]
//! (the Standard Webhooks schedule continued to about three days, each wait
//! with up to 10 % jitter); a `Retry-After` answer is honoured (up to 10 h);
//! after the last attempt the entry is dropped with an error log line.
//! `410 Gone` disables the webhook, persistently, until its config entry is
//! edited. Every delivery and its outcome is kept in a log ([`deliveries`],
//! the newest 500) for the API. Redirects are not followed: a webhook URL
//! should be the final one.
//!
//! Webhooks are told apart by their URL and format, so editing a webhook's
//! `min_places`, events or secret keeps its baselines and pending deliveries.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com/

mod drop;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use drop::{Baseline, Finding, Rules, judge};
use futures_util::StreamExt as _;
use hmac::{Hmac, Mac};
use repmon_config::{Config, Webhook, WebhookFormat};
use repmon_monitor::{Entry, Ranking};
use repmon_store::{Store, StoreError, Table};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The event type raised when a company loses places.
pub const RANK_DROPPED: &str = "rank.dropped";
/// The event type raised when a company falls out of the top-x.
pub const RANK_EXITED_TOP: &str = "rank.exited_top";
/// The event type raised when a company's net sentiment falls from its usual level.
pub const SENTIMENT_DROPPED: &str = "sentiment.dropped";
/// The event type raised when the last hour brought far more mentions than usual.
pub const VOLUME_SPIKE: &str = "volume.spike";
/// The event type raised when a source has been failing for longer than `failing_after`.
pub const SOURCE_FAILING: &str = "source.failing";

/// The retry schedule: the delay before each attempt. The Standard Webhooks
/// schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h),
/// continued with growing waits so a receiver that is down over a long
/// weekend still gets its events: the last attempt is about three days
/// (71.6 h before jitter) after the first.
pub const DEFAULT_RETRY_SCHEDULE: [Duration; 11] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(14 * 3600),
    Duration::from_secs(14 * 3600),
    Duration::from_secs(16 * 3600),
];

/// Delivery records kept for `GET /api/v1/webhooks/deliveries`.
const DELIVERY_LOG_KEEP: usize = 500;
/// `Table::Alerts` key prefix of the delivery log (outside every webhook's
/// hex key range, so it never mixes with the per-company baselines).
const LOG_PREFIX: &str = "~log/";

/// The longest wait a receiver's `Retry-After` can impose.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 3600);

/// How long one delivery attempt may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Attempts in flight to one webhook at a time; other webhooks go in parallel.
const PER_WEBHOOK_CONCURRENCY: usize = 4;

/// The longest `run` sleeps before looking at the outbox again.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// An event as a webhook receives it (the JSON body of SPEC.md "Webhooks").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique per event (`evt_…`). Not part of the body a webhook receives,
    /// which is `{"type", "timestamp", "data"}`; each delivery has its own
    /// `webhook-id` header.
    pub id: String,
    /// The event type, e.g. `rank.dropped`.
    #[serde(rename = "type")]
    pub kind: String,
    pub timestamp: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// Why [`Alerts::observe`] failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot encode a webhook event: {0}")]
    Encode(#[from] serde_json::Error),
}

/// What one [`Alerts::deliver_due`] round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Deliveries that were due and tried (or dropped) this round.
    pub due: usize,
    /// Answered with 2xx; removed from the outbox.
    pub delivered: usize,
    /// Failed and rescheduled.
    pub retrying: usize,
    /// Failed on the last attempt of the schedule; removed.
    pub gave_up: usize,
    /// Removed without success: the webhook answered 410 Gone, is disabled,
    /// or is no longer configured.
    pub dropped: usize,
}

/// Standard Webhooks signature: `"v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag)
    )
}

/// A configured webhook with what delivery needs.
struct Hook {
    /// Stable identity across restarts: from URL and format.
    key: String,
    config: Webhook,
    signing_key: Vec<u8>,
    rules: Rules,
}

/// A source's health as `source.failing` needs it (from the state store's
/// source record).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceHealth {
    pub id: String,
    pub name: String,
    pub url: String,
    /// 0 when the last poll succeeded.
    pub consecutive_failures: u32,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Set when the source was retired (its server answered 410 Gone) and
    /// is no longer polled: why, in one line (e.g. "HTTP 410 Gone").
    pub retired: Option<String>,
}

/// What one webhook remembers about a failing source.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Failing {
    since: DateTime<Utc>,
    told: bool,
    /// The retirement was told (it is told once, and never again).
    #[serde(default)]
    retired: bool,
}

/// A webhook that answered 410 Gone, as persisted: it stays disabled across
/// restarts until its config entry changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Gone {
    at: DateTime<Utc>,
    /// A digest of the webhook's config entry when it was disabled.
    config: String,
}

/// One delivery as the API lists it (`GET /api/v1/webhooks/deliveries`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// The `webhook-id`, the same on every attempt.
    pub id: String,
    /// The webhook URL.
    pub url: String,
    /// The event type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The company or source the event is about.
    pub subject: String,
    /// `pending`, `retrying`, `delivered`, `gave_up` or `dropped`.
    pub status: String,
    pub attempts: u32,
    /// The last HTTP status received, if any.
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the next attempt is due (pending and retrying only).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// The delivery log, newest first, at most `limit` records. Reads the store
/// directly so the API can list deliveries without an [`Alerts`].
pub fn deliveries(store: &Store, limit: usize) -> Result<Vec<DeliveryRecord>, StoreError> {
    let end = format!("{}~", LOG_PREFIX.trim_end_matches('/'));
    let mut all: Vec<DeliveryRecord> = store
        .range::<DeliveryRecord>(Table::Alerts, Some(LOG_PREFIX), Some(&end))?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    // Ids sort by creation time.
    all.reverse();
    all.truncate(limit);
    Ok(all)
}

/// One pending delivery of one event to one webhook (a `Table::Outbox` value).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Delivery {
    /// The `webhook-id`: the same on every attempt.
    id: String,
    /// [`Hook::key`] of the webhook.
    webhook: String,
    /// The webhook URL at queue time, for log lines.
    url: String,
    event: Event,
    /// The exact body, rendered once so every attempt sends the same bytes.
    body: String,
    attempts: u32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    #[serde(default)]
    last_status: Option<u16>,
}

impl Delivery {
    /// The company id or source id the event is about.
    fn subject(&self) -> String {
        let d = &self.event.data;
        d["company"]["id"]
            .as_str()
            .or_else(|| d["source"]["id"].as_str())
            .unwrap_or_default()
            .to_string()
    }

    fn record(&self, status: &str, next: Option<DateTime<Utc>>) -> DeliveryRecord {
        DeliveryRecord {
            id: self.id.clone(),
            url: self.url.clone(),
            kind: self.event.kind.clone(),
            subject: self.subject(),
            status: status.to_string(),
            attempts: self.attempts,
            last_status: self.last_status,
            last_error: self.last_error.clone(),
            created_at: self.created_at,
            updated_at: Utc::now(),
            next_attempt_at: next,
        }
    }
}

/// How one attempt ended.
enum Outcome {
    Delivered,
    Retrying,
    GaveUp,
    Dropped,
}

/// Raises `rank.dropped` events and delivers them to the configured webhooks.
pub struct Alerts {
    store: Arc<Store>,
    hooks: Vec<Hook>,
    base_url: String,
    client: reqwest::Client,
    schedule: Vec<Duration>,
    /// Webhooks that answered 410 Gone, by key.
    disabled: Mutex<HashSet<String>>,
    /// Woken by `observe` so `run` delivers new events at once.
    wake: tokio::sync::Notify,
    /// One delivery round at a time, so an entry is never sent twice at once.
    delivering: tokio::sync::Mutex<()>,
}

impl Alerts {
    /// `config.webhooks`, the public base URL `config.server.base_url()` (for
    /// the event's `url`: `{base}/companies/{id}`), one HTTP client with a
    /// 15 s timeout.
    pub fn new(store: Arc<Store>, config: &Config) -> Alerts {
        let hooks: Vec<Hook> = config
            .webhooks
            .iter()
            .map(|w| Hook {
                key: hook_key(w),
                config: w.clone(),
                signing_key: w.key(),
                rules: Rules::new(w, config.ranking.top),
            })
            .collect();
        // A 410 Gone is remembered across restarts, until the webhook's
        // config entry is edited (the operator's sign that it is back).
        let mut disabled = HashSet::new();
        for hook in &hooks {
            match store.get::<Gone>(Table::Alerts, &gone_key(&hook.key)) {
                Ok(Some(g)) if g.config == config_digest(&hook.config) => {
                    tracing::warn!(
                        webhook = %hook.config.url, since = %g.at,
                        "webhook stays disabled: it answered 410 Gone; edit its entry in the config to enable it again"
                    );
                    disabled.insert(hook.key.clone());
                }
                Ok(Some(_)) => {
                    let _ = store.delete(Table::Alerts, &gone_key(&hook.key));
                    tracing::info!(webhook = %hook.config.url, "webhook enabled again: its config entry changed since it answered 410 Gone");
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(webhook = %hook.config.url, error = %e, "cannot read whether the webhook was disabled")
                }
            }
        }
        Alerts {
            store,
            hooks,
            base_url: config.server.base_url(),
            client: http_client(DEFAULT_TIMEOUT),
            schedule: DEFAULT_RETRY_SCHEDULE.to_vec(),
            disabled: Mutex::new(disabled),
            wake: tokio::sync::Notify::new(),
            delivering: tokio::sync::Mutex::new(()),
        }
    }

    /// Replaces the retry schedule: the delay before each attempt, the first
    /// being the one made when the event is queued (for tests and tuning).
    /// An empty schedule is taken as a single immediate attempt.
    pub fn with_retry_schedule(mut self, schedule: Vec<Duration>) -> Alerts {
        self.schedule = if schedule.is_empty() {
            vec![Duration::ZERO]
        } else {
            schedule
        };
        self
    }

    /// Replaces the per-attempt timeout (default 15 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Alerts {
        self.client = http_client(timeout);
        self
    }

    /// Looks at a fresh ranking. For each webhook and each company, compares
    /// the company with what that webhook remembers about it (kept in
    /// `Table::Alerts`) and queues in the outbox (`Table::Outbox`) the events
    /// the webhook subscribed to: `rank.dropped`, `rank.exited_top`,
    /// `sentiment.dropped`, `volume.spike`. `armed = false` (cold start: the
    /// index is still filling) follows the ranking without raising anything.
    /// Returns the events queued.
    ///
    /// Blocks on the store; call it from `spawn_blocking` in async code.
    pub fn observe(&self, ranking: &Ranking, armed: bool) -> Result<Vec<Event>, AlertError> {
        let at = ranking.generated_at;
        let mut queued = Vec::new();
        for hook in &self.hooks {
            if self.is_disabled(&hook.key) {
                continue;
            }
            let prefix = format!("{}/", hook.key);
            let end = format!("{}0", hook.key); // '0' sorts right after '/'
            let baselines: HashMap<String, Baseline> = self
                .store
                .range::<Baseline>(Table::Alerts, Some(&prefix), Some(&end))?
                .into_iter()
                .map(|(k, b)| (k[prefix.len()..].to_string(), b))
                .collect();
            for entry in &ranking.entries {
                let key = format!("{prefix}{}", entry.company.id);
                let (next, found) = judge(
                    baselines.get(&entry.company.id),
                    entry,
                    armed,
                    &hook.rules,
                    at,
                );
                for finding in found.iter().filter(|f| hook.config.wants(f.kind())) {
                    let event = self.company_event(entry, finding, at);
                    // The delivery is persisted before the baseline moves: a
                    // crash in between re-raises the event rather than losing it.
                    self.queue(hook, &event)?;
                    queued.push(event);
                }
                if let Some(next) = next {
                    self.store.put(Table::Alerts, &key, &next)?;
                }
            }
        }
        if !queued.is_empty() {
            self.wake.notify_one();
        }
        Ok(queued)
    }

    /// Looks at the sources' health: a source failing for longer than a
    /// webhook's `failing_after` raises one `source.failing` for it, and
    /// again only after it has recovered and failed that long once more.
    ///
    /// A retired source (410 Gone) is reported at once, as `source.failing`
    /// with `"retired": true` and the cause "retired: …", and never again:
    /// it will not recover by itself, so there is nothing more to wait for
    /// and nothing new to tell. Should it come back (its URL edited in the
    /// config), it starts with a clean slate.
    ///
    /// Blocks on the store; call it from `spawn_blocking` in async code.
    pub fn observe_sources(
        &self,
        sources: &[SourceHealth],
        at: DateTime<Utc>,
    ) -> Result<Vec<Event>, AlertError> {
        let mut queued = Vec::new();
        for hook in &self.hooks {
            if !hook.config.wants(SOURCE_FAILING) || self.is_disabled(&hook.key) {
                continue;
            }
            for src in sources {
                // '#' sorts before '/', so these keys stay out of the
                // per-company range of the same webhook.
                let key = format!("{}#source/{}", hook.key, src.id);
                let state = self.store.get::<Failing>(Table::Alerts, &key)?;
                if src.consecutive_failures == 0 {
                    if state.is_some() {
                        self.store.delete(Table::Alerts, &key)?;
                    }
                    continue;
                }
                let fresh = || Failing {
                    // It has failed since its last success at the latest.
                    since: src.last_success.map_or(at, |t| t.min(at)),
                    told: false,
                    retired: false,
                };
                let mut state = match state {
                    // Retired before, polled again now (its URL was edited):
                    // a new story.
                    Some(s) if s.retired && src.retired.is_none() => fresh(),
                    Some(s) => s,
                    None => fresh(),
                };
                if src.retired.is_some() {
                    if !state.retired {
                        let event = self.source_event(src, &state, at);
                        self.queue(hook, &event)?;
                        queued.push(event);
                        state.told = true;
                        state.retired = true;
                        self.store.put(Table::Alerts, &key, &state)?;
                    }
                    continue;
                }
                if !state.told && at - state.since >= hook.config.failing_after.chrono() {
                    let event = self.source_event(src, &state, at);
                    self.queue(hook, &event)?;
                    queued.push(event);
                    state.told = true;
                }
                self.store.put(Table::Alerts, &key, &state)?;
            }
        }
        if !queued.is_empty() {
            self.wake.notify_one();
        }
        Ok(queued)
    }

    /// Writes one event for one webhook to the outbox and the delivery log.
    fn queue(&self, hook: &Hook, event: &Event) -> Result<(), AlertError> {
        let delivery = Delivery {
            id: new_id("msg"),
            webhook: hook.key.clone(),
            url: hook.config.url.clone(),
            body: render_body(event, hook.config.format)?,
            event: event.clone(),
            attempts: 0,
            next_attempt_at: Utc::now(),
            last_error: None,
            created_at: Utc::now(),
            last_status: None,
        };
        self.store.put(Table::Outbox, &delivery.id, &delivery)?;
        log_delivery(
            &self.store,
            &delivery.record("pending", Some(delivery.next_attempt_at)),
        )?;
        tracing::info!(
            webhook = %hook.config.url,
            webhook_id = %delivery.id,
            event = %event.kind,
            subject = %delivery.subject(),
            "webhook event queued"
        );
        Ok(())
    }

    /// Tries every due delivery once (concurrently, bounded per webhook);
    /// reschedules failures.
    pub async fn deliver_due(&self) -> DeliveryReport {
        let _round = self.delivering.lock().await;
        let mut report = DeliveryReport::default();
        let pending = match self.outbox().await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the webhook outbox");
                return report;
            }
        };
        let now = Utc::now();
        let mut by_hook: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
        for d in pending.into_iter().filter(|d| d.next_attempt_at <= now) {
            by_hook.entry(d.webhook.clone()).or_default().push(d);
        }
        // Each webhook gets its own bounded lane, so a slow or dead endpoint
        // only ever holds up its own deliveries.
        let lanes = by_hook.into_values().map(|deliveries| {
            futures_util::stream::iter(deliveries)
                .map(|d| self.attempt(d))
                .buffer_unordered(PER_WEBHOOK_CONCURRENCY)
                .collect::<Vec<Outcome>>()
        });
        for outcome in futures_util::future::join_all(lanes)
            .await
            .into_iter()
            .flatten()
        {
            report.due += 1;
            match outcome {
                Outcome::Delivered => report.delivered += 1,
                Outcome::Retrying => report.retrying += 1,
                Outcome::GaveUp => report.gave_up += 1,
                Outcome::Dropped => report.dropped += 1,
            }
        }
        report
    }

    /// Delivers until `shutdown` turns true, waking when deliveries fall due
    /// or `observe` queued one. An attempt in flight at shutdown is abandoned;
    /// its entry stays in the outbox and is retried with the same id.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            tokio::select! {
                _ = self.deliver_due() => {}
                res = shutdown.changed() => {
                    if res.is_err() || *shutdown.borrow() { break; }
                    continue;
                }
            }
            let idle = match self.next_due().await {
                Some(t) => (t - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(MAX_IDLE),
                None => MAX_IDLE,
            };
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = self.wake.notified() => {}
                res = shutdown.changed() => {
                    if res.is_err() || *shutdown.borrow() { break; }
                }
            }
        }
        tracing::debug!("webhook delivery stopped");
    }

    fn is_disabled(&self, key: &str) -> bool {
        self.disabled
            .lock()
            .map(|d| d.contains(key))
            .unwrap_or(false)
    }

    fn company_event(&self, entry: &Entry, finding: &Finding, at: DateTime<Utc>) -> Event {
        let mut data = serde_json::json!({
            "company": {"id": entry.company.id, "name": entry.company.name},
            "rank": entry.rank,
            "score": entry.score,
            "reasons": entry.reasons,
            "reason_details": entry.reason_details,
            "url": format!("{}/companies/{}", self.base_url, entry.company.id),
        });
        let m = &entry.metrics;
        // previous_*: the previous re-rank (snapshot), as a reader of the
        // event expects; usual_*: the slow baseline the drop is judged on.
        let before = |b: &drop::Before| {
            serde_json::json!({
                "previous_rank": b.rank, "previous_score": b.score,
                "usual_rank": b.usual_rank, "usual_score": b.usual_score
            })
        };
        let extra = match finding {
            Finding::RankDropped(b) => before(b),
            Finding::ExitedTop(b) => {
                let mut v = before(b);
                v["top"] = self.top().into();
                v
            }
            Finding::SentimentDropped { usual, now } => serde_json::json!({
                "previous_net_sentiment": drop_round(*usual), "net_sentiment": now,
                "mentions": m.mentions, "negative": m.negative
            }),
            Finding::VolumeSpike {
                last_hour,
                baseline,
            } => serde_json::json!({
                "last_hour": last_hour, "hourly_baseline": baseline,
                "mentions": m.mentions, "net_sentiment": m.net_sentiment
            }),
        };
        if let (Some(d), serde_json::Value::Object(e)) = (data.as_object_mut(), extra) {
            d.extend(e);
        }
        Event {
            id: new_id("evt"),
            kind: finding.kind().into(),
            timestamp: at,
            data,
        }
    }

    fn source_event(&self, src: &SourceHealth, state: &Failing, at: DateTime<Utc>) -> Event {
        Event {
            id: new_id("evt"),
            kind: SOURCE_FAILING.into(),
            timestamp: at,
            data: serde_json::json!({
                "source": {"id": src.id, "name": src.name, "url": src.url},
                "failing_since": state.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "consecutive_failures": src.consecutive_failures,
                "last_error": src.last_error,
                "last_success": src.last_success.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                "retired": src.retired.is_some(),
                "cause": match &src.retired {
                    Some(why) => format!("retired: {why}; it is no longer polled (change its url in the config to poll it again)"),
                    None => src.last_error.clone().unwrap_or_else(|| "no error recorded".into()),
                },
                "url": format!("{}/sources", self.base_url),
            }),
        }
    }

    fn top(&self) -> u32 {
        self.hooks.first().map_or(0, |h| h.rules.top)
    }

    /// Runs a blocking store call off the async threads.
    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .unwrap_or_else(|e| Err(StoreError::State(format!("store task failed: {e}"))))
    }

    async fn outbox(&self) -> Result<Vec<Delivery>, StoreError> {
        let entries = self
            .with_store(|s| s.range::<Delivery>(Table::Outbox, None, None))
            .await?;
        Ok(entries.into_iter().map(|(_, d)| d).collect())
    }

    async fn next_due(&self) -> Option<DateTime<Utc>> {
        let pending = self.outbox().await.ok()?;
        pending.iter().map(|d| d.next_attempt_at).min()
    }

    /// One attempt at one delivery, with its bookkeeping.
    async fn attempt(&self, mut d: Delivery) -> Outcome {
        let Some(hook) = self.hooks.iter().find(|h| h.key == d.webhook) else {
            tracing::warn!(webhook = %d.url, webhook_id = %d.id, "webhook no longer configured; dropping its delivery");
            d.last_error = Some("the webhook is no longer configured".into());
            self.finish(&d, "dropped").await;
            return Outcome::Dropped;
        };
        if self.is_disabled(&hook.key) {
            d.last_error = Some("the webhook is disabled (it answered 410 Gone)".into());
            self.finish(&d, "dropped").await;
            return Outcome::Dropped;
        }
        let timestamp = Utc::now().timestamp();
        let signature = sign(&hook.signing_key, &d.id, timestamp, d.body.as_bytes());
        let sent = self
            .client
            .post(&hook.config.url)
            .header("content-type", "application/json")
            .header("webhook-id", &d.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(d.body.clone())
            .send()
            .await;
        d.attempts += 1;
        if let Ok(resp) = &sent {
            d.last_status = Some(resp.status().as_u16());
        }
        let (error, retry_after) = match sent {
            Ok(resp) if resp.status().is_success() => {
                tracing::info!(
                    webhook = %hook.config.url, webhook_id = %d.id, attempt = d.attempts,
                    status = resp.status().as_u16(), "webhook delivered"
                );
                d.last_error = None;
                self.finish(&d, "delivered").await;
                return Outcome::Delivered;
            }
            Ok(resp) if resp.status() == reqwest::StatusCode::GONE => {
                d.last_error = Some("HTTP 410 Gone: the webhook is disabled".into());
                self.finish(&d, "dropped").await;
                self.disable(hook).await;
                return Outcome::Dropped;
            }
            Ok(resp) => {
                let retry_after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| repmon_model::http::retry_after(v, Utc::now()));
                (format!("HTTP {}", resp.status()), retry_after)
            }
            Err(e) if e.is_timeout() => ("timed out".to_string(), None),
            Err(e) => (format!("request failed: {}", error_chain(&e)), None),
        };
        d.last_error = Some(error.clone());
        let Some(&planned) = self.schedule.get(d.attempts as usize) else {
            tracing::error!(
                webhook = %hook.config.url, webhook_id = %d.id, company = ?d.event.data["company"]["id"],
                attempts = d.attempts, last_error = %error,
                "giving up on a webhook delivery: every attempt of the retry schedule failed"
            );
            self.finish(&d, "gave_up").await;
            return Outcome::GaveUp;
        };
        let mut delay = with_jitter(planned);
        if let Some(asked) = retry_after {
            delay = delay.max(asked.min(MAX_RETRY_AFTER));
        }
        d.next_attempt_at =
            Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
        tracing::warn!(
            webhook = %hook.config.url, webhook_id = %d.id, attempt = d.attempts, error = %error,
            retry_in = ?delay, "webhook delivery failed; will retry"
        );
        let id = d.id.clone();
        let record = d.record("retrying", Some(d.next_attempt_at));
        if let Err(e) = self
            .with_store(move |s| {
                s.put(Table::Outbox, &id, &d)?;
                log_delivery(s, &record)
            })
            .await
        {
            tracing::error!(error = %e, "cannot reschedule a webhook delivery");
        }
        Outcome::Retrying
    }

    /// A delivery is done (delivered, given up or dropped): out of the
    /// outbox, its outcome into the delivery log.
    async fn finish(&self, d: &Delivery, status: &str) {
        let (id, record) = (d.id.clone(), d.record(status, None));
        if let Err(e) = self
            .with_store(move |s| {
                s.delete(Table::Outbox, &id)?;
                log_delivery(s, &record)
            })
            .await
        {
            tracing::error!(webhook_id = %d.id, error = %e, "cannot remove a webhook delivery from the outbox");
        }
    }

    /// 410 Gone: the receiver says the endpoint is gone for good. Persisted,
    /// so a restart does not start sending to it again.
    async fn disable(&self, hook: &Hook) {
        if let Ok(mut d) = self.disabled.lock() {
            d.insert(hook.key.clone());
        }
        let key = hook.key.clone();
        let gone = Gone {
            at: Utc::now(),
            config: config_digest(&hook.config),
        };
        let dropped = self
            .with_store(move |s| {
                s.put(Table::Alerts, &gone_key(&key), &gone)?;
                let mut n = 0;
                for (id, mut d) in s.range::<Delivery>(Table::Outbox, None, None)? {
                    if d.webhook == key {
                        s.delete(Table::Outbox, &id)?;
                        d.last_error = Some("the webhook answered 410 Gone".into());
                        log_delivery(s, &d.record("dropped", None))?;
                        n += 1;
                    }
                }
                Ok(n)
            })
            .await;
        tracing::warn!(
            webhook = %hook.config.url, pending_dropped = ?dropped.as_ref().ok(),
            "webhook answered 410 Gone: it is disabled (also after a restart); edit its entry in the config to enable it again"
        );
    }
}

fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("repmon/", env!("CARGO_PKG_VERSION"), " (webhooks)"))
        .build()
        // Only TLS backend initialisation can fail here, which is a build defect.
        .expect("the HTTP client builds")
}

/// The `Table::Alerts` key marking a webhook disabled by 410 Gone ('!'
/// sorts before '/', out of the webhook's per-company range).
fn gone_key(hook: &str) -> String {
    format!("{hook}!gone")
}

/// A digest of a webhook's whole config entry: an edit re-enables it.
fn config_digest(w: &Webhook) -> String {
    let text = serde_json::to_string(w).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a delivery's record to the log, keeping the newest ones.
fn log_delivery(store: &Store, record: &DeliveryRecord) -> Result<(), StoreError> {
    let key = format!("{LOG_PREFIX}{}", record.id);
    let is_new = store
        .get::<serde_json::Value>(Table::Alerts, &key)?
        .is_none();
    store.put(Table::Alerts, &key, record)?;
    if is_new {
        let end = format!("{}~", LOG_PREFIX.trim_end_matches('/'));
        let keys = store.keys(Table::Alerts, Some(LOG_PREFIX), Some(&end))?;
        if keys.len() > DELIVERY_LOG_KEEP {
            store.delete_keys(Table::Alerts, &keys[..keys.len() - DELIVERY_LOG_KEEP])?;
        }
    }
    Ok(())
}

/// Net sentiment as the monitor rounds it.
fn drop_round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// A webhook's identity across restarts and config edits of its other keys.
fn hook_key(w: &Webhook) -> String {
    let format = match w.format {
        WebhookFormat::Json => "json",
        WebhookFormat::Slack => "slack",
    };
    let digest = Sha256::digest(format!("{}\n{format}", w.url).as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// `prefix_` + creation time + randomness: unique, and sorting by creation.
fn new_id(prefix: &str) -> String {
    let millis = Utc::now().timestamp_millis().max(0) as u64;
    format!("{prefix}_{millis:012x}{:016x}", fastrand::u64(..))
}

/// Adds up to 10 % so retries of many deliveries do not arrive in lockstep.
fn with_jitter(d: Duration) -> Duration {
    if d.is_zero() {
        return d;
    }
    d + d.mul_f64(fastrand::f64() * 0.1)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The body a webhook receives, in its configured format.
fn render_body(event: &Event, format: WebhookFormat) -> Result<String, serde_json::Error> {
    match format {
        WebhookFormat::Json => serde_json::to_string(&serde_json::json!({
            "type": event.kind,
            "timestamp": event.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "data": event.data,
        })),
        WebhookFormat::Slack => {
            serde_json::to_string(&serde_json::json!({ "text": slack_text(event) }))
        }
    }
}

/// A sentence for a chat channel, e.g. "*Golf Internet* dropped from #2 to #7 …".
fn slack_text(event: &Event) -> String {
    let d = &event.data;
    let name = slack_escape(d["company"]["name"].as_str().unwrap_or_default());
    let score = |k: &str| d[k].as_f64().unwrap_or(0.0);
    let mut text = match event.kind.as_str() {
        RANK_EXITED_TOP => format!(
            "*{name}* left the top {} of the ranking: now #{} (was #{}; score {:.1} → {:.1}).",
            d["top"],
            d["rank"],
            d["previous_rank"],
            score("previous_score"),
            score("score"),
        ),
        SENTIMENT_DROPPED => format!(
            "*{name}*: sentiment fell from {:+.2} to {:+.2} ({} negative of {} mentions).",
            score("previous_net_sentiment"),
            score("net_sentiment"),
            d["negative"],
            d["mentions"],
        ),
        VOLUME_SPIKE => format!(
            "*{name}*: {} mentions in the last hour, against {:.1} in a usual hour.",
            d["last_hour"],
            score("hourly_baseline"),
        ),
        SOURCE_FAILING if d["retired"].as_bool() == Some(true) => format!(
            "Source *{}* is {}.",
            slack_escape(d["source"]["name"].as_str().unwrap_or_default()),
            slack_escape(d["cause"].as_str().unwrap_or("retired")),
        ),
        SOURCE_FAILING => format!(
            "Source *{}* has been failing since {} ({} failed polls in a row): {}",
            slack_escape(d["source"]["name"].as_str().unwrap_or_default()),
            d["failing_since"].as_str().unwrap_or("?"),
            d["consecutive_failures"],
            slack_escape(d["last_error"].as_str().unwrap_or("no error recorded")),
        ),
        _ => format!(
            "*{name}* dropped from #{} to #{} in the ranking (score {:.1} → {:.1}).",
            d["previous_rank"],
            d["rank"],
            score("previous_score"),
            score("score"),
        ),
    };
    let reasons: Vec<&str> = d["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str())
        .collect();
    if !reasons.is_empty() {
        text.push_str(" Why: ");
        text.push_str(&slack_escape(&reasons.join("; ")));
        text.push('.');
    }
    if let Some(url) = d["url"].as_str() {
        text.push_str(&format!(" <{}|Details>", slack_escape(url)));
    }
    text
}

/// Slack's mrkdwn treats these three as control characters.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_schedule_grows_and_spans_about_three_days() {
        let total: Duration = DEFAULT_RETRY_SCHEDULE.iter().sum();
        let hours = total.as_secs_f64() / 3600.0;
        assert!((70.0..=74.0).contains(&hours), "{hours} h");
        assert!(DEFAULT_RETRY_SCHEDULE.windows(2).all(|w| w[0] <= w[1]));
        // Jitter adds up to a tenth, never takes away.
        for _ in 0..100 {
            let d = with_jitter(Duration::from_secs(100));
            assert!(d >= Duration::from_secs(100) && d <= Duration::from_secs(110));
        }
    }

    #[test]
    fn slack_text_reads_for_every_event_type() {
        let event = |kind: &str, data: serde_json::Value| Event {
            id: "evt_1".into(),
            kind: kind.into(),
            timestamp: Utc::now(),
            data,
        };
        let company = serde_json::json!({"id": "golf", "name": "Golf & Co"});
        let t = slack_text(&event(
            RANK_EXITED_TOP,
            serde_json::json!({"company": company, "top": 5, "rank": 7, "previous_rank": 4,
                "score": 41.0, "previous_score": 55.5, "reasons": []}),
        ));
        assert_eq!(
            t,
            "*Golf &amp; Co* left the top 5 of the ranking: now #7 (was #4; score 55.5 → 41.0)."
        );
        let t = slack_text(&event(
            SENTIMENT_DROPPED,
            serde_json::json!({"company": company, "previous_net_sentiment": 0.42,
                "net_sentiment": -0.35, "negative": 61, "mentions": 90,
                "reasons": ["sentiment fell"], "url": "http://x/companies/golf"}),
        ));
        assert_eq!(
            t,
            "*Golf &amp; Co*: sentiment fell from +0.42 to -0.35 (61 negative of 90 mentions). Why: sentiment fell. <http://x/companies/golf|Details>"
        );
        let t = slack_text(&event(
            VOLUME_SPIKE,
            serde_json::json!({"company": company, "last_hour": 44, "hourly_baseline": 2.5}),
        ));
        assert_eq!(
            t,
            "*Golf &amp; Co*: 44 mentions in the last hour, against 2.5 in a usual hour."
        );
    }

    #[test]
    fn slack_text_escapes_and_reads() {
        let event = Event {
            id: "evt_1".into(),
            kind: RANK_DROPPED.into(),
            timestamp: Utc::now(),
            data: serde_json::json!({
                "company": {"id": "golf", "name": "Golf <Internet>"},
                "previous_rank": 2, "rank": 7, "score": 38.0, "previous_score": 64.5,
                "reasons": ["sentiment fell about 'storing' & 'wifi'"],
                "url": "http://127.0.0.1:7070/companies/golf"
            }),
        };
        let t = slack_text(&event);
        assert!(
            t.starts_with("*Golf &lt;Internet&gt;* dropped from #2 to #7"),
            "{t}"
        );
        assert!(t.contains("(score 64.5 → 38.0)"), "{t}");
        assert!(t.contains("'storing' &amp; 'wifi'"), "{t}");
        assert!(
            t.ends_with("<http://127.0.0.1:7070/companies/golf|Details>"),
            "{t}"
        );
    }
}
