//! What the daemon has been doing, for `/metrics` and the sources page.
//!
//! A handful of counters does not need a metrics crate: global counters are
//! atomics, per-source figures sit in one small mutexed map (touched once per
//! poll, not per document), and the Prometheus text is written by hand.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A per-source metric family: name, type, help, and the value of one source (None = no sample).
type PerSourceMetric = (
    &'static str,
    &'static str,
    &'static str,
    fn(&SourceHealth) -> Option<f64>,
);

/// One source's health as the web page and `/api/v1/sources` show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceHealth {
    /// The configured source id.
    pub source: String,
    /// When the last poll ran, whatever its outcome.
    pub last_poll: Option<DateTime<Utc>>,
    /// When a poll last succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// The error of the most recent failed poll (kept after a later success,
    /// so an operator can still see what went wrong last).
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Failed polls since the last success; 0 when the source is healthy.
    pub consecutive_failures: u64,
    pub polls_ok: u64,
    pub polls_failed: u64,
    /// Documents fetched over all polls (the same post seen twice counts twice).
    pub documents_seen: u64,
    /// Documents that were new to the store.
    pub new_documents: u64,
}

/// Counters and gauges the daemon updates and `/metrics` renders
/// (Prometheus text format 0.0.4). Safe to share between threads.
#[derive(Debug)]
pub struct Telemetry {
    started: DateTime<Utc>,
    sources: Mutex<BTreeMap<String, SourceHealth>>,
    mentions_added: AtomicU64,
    mentions_updated: AtomicU64,
    reranks: AtomicU64,
    /// Unix seconds of the last re-rank; 0 = never.
    last_rerank: AtomicI64,
    webhooks_delivered: AtomicU64,
    webhooks_failed: AtomicU64,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self::new()
    }
}

impl Telemetry {
    /// Empty counters, with the process start time taken now.
    pub fn new() -> Telemetry {
        Telemetry {
            started: Utc::now(),
            sources: Mutex::new(BTreeMap::new()),
            mentions_added: AtomicU64::new(0),
            mentions_updated: AtomicU64::new(0),
            reranks: AtomicU64::new(0),
            last_rerank: AtomicI64::new(0),
            webhooks_delivered: AtomicU64::new(0),
            webhooks_failed: AtomicU64::new(0),
        }
    }

    /// After each poll of a source: ok or the error text, documents fetched, new documents.
    pub fn record_poll(
        &self,
        source: &str,
        ok: Result<(), String>,
        fetched: usize,
        new_documents: usize,
        at: DateTime<Utc>,
    ) {
        let mut sources = self.lock_sources();
        let health = sources
            .entry(source.to_string())
            .or_insert_with(|| SourceHealth {
                source: source.to_string(),
                ..SourceHealth::default()
            });
        health.last_poll = Some(at);
        health.documents_seen += fetched as u64;
        health.new_documents += new_documents as u64;
        match ok {
            Ok(()) => {
                health.polls_ok += 1;
                health.consecutive_failures = 0;
                health.last_success = Some(at);
            }
            Err(error) => {
                health.polls_failed += 1;
                health.consecutive_failures += 1;
                health.last_error = Some(error);
                health.last_error_at = Some(at);
            }
        }
    }

    /// After each ingest batch: how many mentions it added and how many it changed.
    pub fn record_ingest(&self, mentions_added: usize, mentions_updated: usize) {
        self.mentions_added
            .fetch_add(mentions_added as u64, Ordering::Relaxed);
        self.mentions_updated
            .fetch_add(mentions_updated as u64, Ordering::Relaxed);
    }

    /// After each re-rank.
    pub fn record_rerank(&self, at: DateTime<Utc>) {
        self.reranks.fetch_add(1, Ordering::Relaxed);
        self.last_rerank.store(at.timestamp(), Ordering::Relaxed);
    }

    /// After each webhook delivery attempt.
    pub fn record_webhook(&self, delivered: bool) {
        let counter = if delivered {
            &self.webhooks_delivered
        } else {
            &self.webhooks_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Per-source health, ordered by source id: last success, last error,
    /// consecutive failures, documents seen. Only sources polled since start.
    pub fn sources(&self) -> Vec<SourceHealth> {
        self.lock_sources().values().cloned().collect()
    }

    /// When the last re-rank ran, if one has.
    pub fn last_rerank(&self) -> Option<DateTime<Utc>> {
        match self.last_rerank.load(Ordering::Relaxed) {
            0 => None,
            secs => DateTime::from_timestamp(secs, 0),
        }
    }

    /// Everything as Prometheus text format 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        let sources = self.sources();

        family(
            &mut out,
            "repmon_start_time_seconds",
            "gauge",
            "When this repmon process started (Unix time).",
        );
        sample(
            &mut out,
            "repmon_start_time_seconds",
            &[],
            self.started.timestamp() as f64,
        );

        family(
            &mut out,
            "repmon_source_polls_total",
            "counter",
            "Polls of a source, by outcome.",
        );
        for s in &sources {
            sample(
                &mut out,
                "repmon_source_polls_total",
                &[("source", &s.source), ("result", "ok")],
                s.polls_ok as f64,
            );
            sample(
                &mut out,
                "repmon_source_polls_total",
                &[("source", &s.source), ("result", "error")],
                s.polls_failed as f64,
            );
        }
        let per_source: [PerSourceMetric; 4] = [
            (
                "repmon_source_documents_fetched_total",
                "counter",
                "Documents fetched from a source.",
                |s| Some(s.documents_seen as f64),
            ),
            (
                "repmon_source_new_documents_total",
                "counter",
                "Documents from a source that were new to the store.",
                |s| Some(s.new_documents as f64),
            ),
            (
                "repmon_source_consecutive_failures",
                "gauge",
                "Failed polls of a source since its last success.",
                |s| Some(s.consecutive_failures as f64),
            ),
            (
                "repmon_source_last_success_timestamp_seconds",
                "gauge",
                "When a poll of a source last succeeded (Unix time).",
                |s| s.last_success.map(|t| t.timestamp() as f64),
            ),
        ];
        for (name, kind, help, value) in per_source {
            family(&mut out, name, kind, help);
            for s in &sources {
                if let Some(v) = value(s) {
                    sample(&mut out, name, &[("source", &s.source)], v);
                }
            }
        }

        let load = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64;
        family(
            &mut out,
            "repmon_mentions_added_total",
            "counter",
            "Mentions added to the store.",
        );
        sample(
            &mut out,
            "repmon_mentions_added_total",
            &[],
            load(&self.mentions_added),
        );
        family(
            &mut out,
            "repmon_mentions_updated_total",
            "counter",
            "Stored mentions whose content or companies changed.",
        );
        sample(
            &mut out,
            "repmon_mentions_updated_total",
            &[],
            load(&self.mentions_updated),
        );
        family(
            &mut out,
            "repmon_reranks_total",
            "counter",
            "Times the ranking was recomputed.",
        );
        sample(&mut out, "repmon_reranks_total", &[], load(&self.reranks));
        family(
            &mut out,
            "repmon_last_rerank_timestamp_seconds",
            "gauge",
            "When the ranking was last recomputed (Unix time; 0 = never).",
        );
        sample(
            &mut out,
            "repmon_last_rerank_timestamp_seconds",
            &[],
            self.last_rerank.load(Ordering::Relaxed) as f64,
        );
        family(
            &mut out,
            "repmon_webhook_deliveries_total",
            "counter",
            "Webhook delivery attempts, by outcome.",
        );
        sample(
            &mut out,
            "repmon_webhook_deliveries_total",
            &[("result", "delivered")],
            load(&self.webhooks_delivered),
        );
        sample(
            &mut out,
            "repmon_webhook_deliveries_total",
            &[("result", "failed")],
            load(&self.webhooks_failed),
        );
        out
    }

    fn lock_sources(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SourceHealth>> {
        // A panic elsewhere while holding the lock leaves plain counters behind,
        // which are still worth showing: recover rather than take /metrics down.
        self.sources
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Writes the `# HELP` and `# TYPE` lines of a metric family.
pub(crate) fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writes one sample line, escaping label values as the text format requires.
pub(crate) fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (key, val)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(key);
            out.push_str("=\"");
            for c in val.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '\n' => out.push_str("\\n"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_failures_count_up_and_reset_on_success() {
        let t = Telemetry::new();
        let at = Utc::now();
        t.record_poll("forum", Err("timed out".into()), 0, 0, at);
        t.record_poll("forum", Err("HTTP 503".into()), 0, 0, at);
        let h = &t.sources()[0];
        assert_eq!(h.consecutive_failures, 2);
        assert_eq!(h.last_error.as_deref(), Some("HTTP 503"));
        assert_eq!(h.last_success, None);

        t.record_poll("forum", Ok(()), 12, 5, at);
        let h = &t.sources()[0];
        assert_eq!(h.consecutive_failures, 0);
        assert_eq!(h.last_success, Some(at));
        assert_eq!(
            (
                h.documents_seen,
                h.new_documents,
                h.polls_ok,
                h.polls_failed
            ),
            (12, 5, 1, 2)
        );
    }

    #[test]
    fn render_escapes_label_values_and_sums_counters() {
        let t = Telemetry::new();
        t.record_poll("we\"ird\\src\n", Ok(()), 3, 1, Utc::now());
        t.record_ingest(4, 1);
        t.record_ingest(2, 0);
        t.record_webhook(true);
        t.record_webhook(false);
        t.record_webhook(false);
        let text = t.render();
        assert!(
            text.contains(r#"repmon_source_polls_total{source="we\"ird\\src\n",result="ok"} 1"#),
            "{text}"
        );
        assert!(text.contains("repmon_mentions_added_total 6\n"));
        assert!(text.contains("repmon_mentions_updated_total 1\n"));
        assert!(text.contains("repmon_webhook_deliveries_total{result=\"failed\"} 2\n"));
        assert!(text.contains("# TYPE repmon_reranks_total counter\n"));
        // Every non-comment line is `name{labels} value`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "bad sample line {line:?}");
        }
    }
}
