//! Alert webhooks: a `rank.dropped` event when a company loses places in the
//! ranking, signed per [Standard Webhooks] and delivered at least once from a
//! persistent outbox.
//!
//! # When `rank.dropped` fires
//!
//! Every webhook keeps, per company, a *baseline* in the state store
//! (`Table::Alerts`): the best (lowest) rank the company had since the last
//! alert that webhook raised for it, with the score it had then.
//! On each fresh ranking ([`Alerts::observe`]):
//! - a company whose rank is better than its baseline moves the baseline there;
//! - a company that now ranks at least `min_places` below its baseline, *and*
//!   has mentions in the window, raises one event (`previous_rank` and
//!   `previous_score` are the baseline's); the baseline then becomes the
//!   current rank, so the same drop never fires twice and a company sliding
//!   one place at a time fires once per `min_places` lost;
//! - smaller moves (neighbours swapping places) change nothing, so a company
//!   flapping between two ranks raises nothing;
//! - a company without mentions in the window is left alone: it sits at the
//!   bottom for lack of data, which is no drop;
//! - while not armed (cold start, the index still filling from sources full
//!   of history) every baseline simply follows the current rank and nothing
//!   fires.
//!
//! A company missing from the ranking passed in keeps its baseline; pass the
//! full table (not only the top-x) so every company is judged.
//!
//! # Delivery
//!
//! Each event is written to the outbox (`Table::Outbox`), one entry per
//! webhook, with its `webhook-id` (`msg_…`), before any attempt, so the same
//! id is sent on every try and after a restart. A non-2xx answer, a timeout
//! or a connection failure is retried on the Standard Webhooks schedule
//! (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, with up to 10 %
//! jitter); a `Retry-After` answer is honoured (up to 10 h); after the last
//! attempt the entry is dropped with an error log line. `410 Gone` disables
//! the webhook until repmon restarts (its pending entries are dropped).
//! Redirects are not followed: a webhook URL should be the final one.
//!
//! Webhooks are told apart by their URL and format, so editing a webhook's
//! `min_places`, events or secret keeps its baselines and pending deliveries.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com/

mod drop;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use drop::{Baseline, Verdict, judge};
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

/// The Standard Webhooks retry schedule: the delay before each attempt.
pub const DEFAULT_RETRY_SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

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
        let hooks = config
            .webhooks
            .iter()
            .map(|w| Hook {
                key: hook_key(w),
                config: w.clone(),
                signing_key: w.key(),
            })
            .collect();
        Alerts {
            store,
            hooks,
            base_url: config.server.base_url(),
            client: http_client(DEFAULT_TIMEOUT),
            schedule: DEFAULT_RETRY_SCHEDULE.to_vec(),
            disabled: Mutex::new(HashSet::new()),
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

    /// Looks at a fresh ranking. For each webhook that wants `rank.dropped`
    /// and each company, compares the company's rank with that webhook's
    /// baseline for it (kept in `Table::Alerts`), and queues an event in the
    /// outbox (`Table::Outbox`) when it lost at least `min_places`.
    /// `armed = false` (cold start: the index is still filling) moves
    /// baselines without raising anything. Returns the events queued.
    ///
    /// Blocks on the store; call it from `spawn_blocking` in async code.
    pub fn observe(&self, ranking: &Ranking, armed: bool) -> Result<Vec<Event>, AlertError> {
        let at = ranking.generated_at;
        let mut queued = Vec::new();
        for hook in &self.hooks {
            if !hook.config.wants(RANK_DROPPED) || self.is_disabled(&hook.key) {
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
                match judge(
                    baselines.get(&entry.company.id),
                    entry,
                    armed,
                    hook.config.min_places,
                    at,
                ) {
                    Verdict::Keep => {}
                    Verdict::Move(b) => self.store.put(Table::Alerts, &key, &b)?,
                    Verdict::Fire { from, to } => {
                        let event = self.dropped_event(entry, &from, at);
                        let delivery = Delivery {
                            id: new_id("msg"),
                            webhook: hook.key.clone(),
                            url: hook.config.url.clone(),
                            body: render_body(&event, hook.config.format)?,
                            event: event.clone(),
                            attempts: 0,
                            next_attempt_at: Utc::now(),
                            last_error: None,
                            created_at: Utc::now(),
                        };
                        // The delivery is persisted before the baseline moves: a
                        // crash in between re-raises the event rather than losing it.
                        self.store.put(Table::Outbox, &delivery.id, &delivery)?;
                        self.store.put(Table::Alerts, &key, &to)?;
                        tracing::info!(
                            webhook = %hook.config.url,
                            webhook_id = %delivery.id,
                            company = %entry.company.id,
                            from = from.rank,
                            to = to.rank,
                            "rank.dropped queued"
                        );
                        queued.push(event);
                    }
                }
            }
        }
        if !queued.is_empty() {
            self.wake.notify_one();
        }
        Ok(queued)
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

    fn dropped_event(&self, entry: &Entry, from: &Baseline, at: DateTime<Utc>) -> Event {
        let data = serde_json::json!({
            "company": {"id": entry.company.id, "name": entry.company.name},
            "previous_rank": from.rank,
            "rank": entry.rank,
            "score": entry.score,
            "previous_score": from.score,
            "reasons": entry.reasons,
            "url": format!("{}/companies/{}", self.base_url, entry.company.id),
        });
        Event {
            id: new_id("evt"),
            kind: RANK_DROPPED.into(),
            timestamp: at,
            data,
        }
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

    async fn remove(&self, id: &str) {
        let key = id.to_string();
        if let Err(e) = self
            .with_store(move |s| s.delete(Table::Outbox, &key))
            .await
        {
            tracing::error!(webhook_id = %id, error = %e, "cannot remove a webhook delivery from the outbox");
        }
    }

    /// One attempt at one delivery, with its bookkeeping.
    async fn attempt(&self, mut d: Delivery) -> Outcome {
        let Some(hook) = self.hooks.iter().find(|h| h.key == d.webhook) else {
            tracing::warn!(webhook = %d.url, webhook_id = %d.id, "webhook no longer configured; dropping its delivery");
            self.remove(&d.id).await;
            return Outcome::Dropped;
        };
        if self.is_disabled(&hook.key) {
            self.remove(&d.id).await;
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
        let (error, retry_after) = match sent {
            Ok(resp) if resp.status().is_success() => {
                tracing::info!(
                    webhook = %hook.config.url, webhook_id = %d.id, attempt = d.attempts,
                    status = resp.status().as_u16(), "webhook delivered"
                );
                self.remove(&d.id).await;
                return Outcome::Delivered;
            }
            Ok(resp) if resp.status() == reqwest::StatusCode::GONE => {
                self.disable(hook).await;
                return Outcome::Dropped;
            }
            Ok(resp) => {
                let retry_after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, Utc::now()));
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
            self.remove(&d.id).await;
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
        if let Err(e) = self
            .with_store(move |s| s.put(Table::Outbox, &id, &d))
            .await
        {
            tracing::error!(error = %e, "cannot reschedule a webhook delivery");
        }
        Outcome::Retrying
    }

    /// 410 Gone: the receiver says the endpoint is gone for good.
    async fn disable(&self, hook: &Hook) {
        if let Ok(mut d) = self.disabled.lock() {
            d.insert(hook.key.clone());
        }
        let key = hook.key.clone();
        let dropped = self
            .with_store(move |s| {
                let mut n = 0;
                for (id, d) in s.range::<Delivery>(Table::Outbox, None, None)? {
                    if d.webhook == key {
                        s.delete(Table::Outbox, &id)?;
                        n += 1;
                    }
                }
                Ok(n)
            })
            .await;
        tracing::warn!(
            webhook = %hook.config.url, pending_dropped = ?dropped.as_ref().ok(),
            "webhook answered 410 Gone: its deliveries are disabled until repmon restarts"
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

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
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
    let name = d["company"]["name"].as_str().unwrap_or_default();
    let mut text = format!(
        "*{}* dropped from #{} to #{} in the ranking (score {:.1} → {:.1}).",
        slack_escape(name),
        d["previous_rank"],
        d["rank"],
        d["previous_score"].as_f64().unwrap_or(0.0),
        d["score"].as_f64().unwrap_or(0.0),
    );
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
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 08:01:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("soon", now), None);
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
