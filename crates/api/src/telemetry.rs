//! What this process has been doing, for `/metrics`.
//!
//! Only process counters live here (polls, documents, ingests, re-ranks,
//! webhook deliveries since start). A source's health (last success, last
//! error, failures in a row, next poll) is not: it is the record the poll
//! step stores, read from the store by whoever shows it, so there is one
//! truth that survives restarts and `repmon poll` runs.
//!
//! A handful of counters does not need a metrics crate: global counters are
//! atomics, per-source counters sit in one small mutexed map (touched once
//! per poll, not per document), and the Prometheus text is written by hand.

use chrono::{DateTime, Utc};
use repmon_model::SourceHealthRecord;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// A per-source counter family: name, help, and the value of one source.
type PerSourceCounter = (&'static str, &'static str, fn(&SourceCounters) -> u64);

/// What this process counted for one source since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceCounters {
    pub polls_ok: u64,
    pub polls_failed: u64,
    /// Documents fetched (the same post seen twice counts twice).
    pub documents_fetched: u64,
    /// Documents that were new to the source.
    pub new_documents: u64,
}

/// Counters and gauges the daemon updates and `/metrics` renders
/// (Prometheus text format 0.0.4). Safe to share between threads.
#[derive(Debug)]
pub struct Telemetry {
    started: DateTime<Utc>,
    sources: Mutex<BTreeMap<String, SourceCounters>>,
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

    /// Counts one poll of a source: whether it succeeded, documents fetched,
    /// documents new to the source. (Its health is stored by the poll step.)
    pub fn record_poll(&self, source: &str, ok: bool, fetched: usize, new_documents: usize) {
        let mut sources = self.lock_sources();
        // Looked up before inserting so the steady state allocates nothing.
        let counters = match sources.get_mut(source) {
            Some(c) => c,
            None => sources.entry(source.to_string()).or_default(),
        };
        if ok {
            counters.polls_ok += 1;
        } else {
            counters.polls_failed += 1;
        }
        counters.documents_fetched += fetched as u64;
        counters.new_documents += new_documents as u64;
    }

    /// This process's counters for one source (zero when it has not polled it).
    pub fn source_counters(&self, source: &str) -> SourceCounters {
        self.lock_sources().get(source).copied().unwrap_or_default()
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

    /// When the last re-rank ran, if one has.
    pub fn last_rerank(&self) -> Option<DateTime<Utc>> {
        match self.last_rerank.load(Ordering::Relaxed) {
            0 => None,
            secs => DateTime::from_timestamp(secs, 0),
        }
    }

    /// Everything as Prometheus text format 0.0.4. `health` is the stored
    /// health of the sources whose gauges (failures in a row, last success)
    /// are shown; sources never polled have none.
    pub fn render(&self, health: &[(&str, &SourceHealthRecord)]) -> String {
        let mut out = String::with_capacity(2048);
        // A copy, so the lock is not held while writing text.
        let counters: Vec<(String, SourceCounters)> = self
            .lock_sources()
            .iter()
            .map(|(id, c)| (id.clone(), *c))
            .collect();

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
        for (id, c) in &counters {
            sample(
                &mut out,
                "repmon_source_polls_total",
                &[("source", id), ("result", "ok")],
                c.polls_ok as f64,
            );
            sample(
                &mut out,
                "repmon_source_polls_total",
                &[("source", id), ("result", "error")],
                c.polls_failed as f64,
            );
        }
        let per_source_counters: [PerSourceCounter; 2] = [
            (
                "repmon_source_documents_fetched_total",
                "Documents fetched from a source.",
                |c| c.documents_fetched,
            ),
            (
                "repmon_source_new_documents_total",
                "Documents from a source that were new to the store.",
                |c| c.new_documents,
            ),
        ];
        for (name, help, value) in per_source_counters {
            family(&mut out, name, "counter", help);
            for (id, c) in &counters {
                sample(&mut out, name, &[("source", id)], value(c) as f64);
            }
        }
        let polled = || health.iter().filter(|(_, h)| h.last_poll.is_some());
        family(
            &mut out,
            "repmon_source_consecutive_failures",
            "gauge",
            "Failed polls of a source since its last success.",
        );
        for (id, h) in polled() {
            sample(
                &mut out,
                "repmon_source_consecutive_failures",
                &[("source", id)],
                f64::from(h.consecutive_failures),
            );
        }
        family(
            &mut out,
            "repmon_source_last_success_timestamp_seconds",
            "gauge",
            "When a poll of a source last succeeded (Unix time).",
        );
        for (id, h) in polled() {
            if let Some(t) = h.last_success {
                sample(
                    &mut out,
                    "repmon_source_last_success_timestamp_seconds",
                    &[("source", id)],
                    t.timestamp() as f64,
                );
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

    fn lock_sources(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SourceCounters>> {
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

/// Writes a gauge without labels: its family lines and its one sample.
pub(crate) fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    family(out, name, "gauge", help);
    sample(out, name, &[], value);
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
    fn polls_are_counted_per_source_and_outcome() {
        let t = Telemetry::new();
        t.record_poll("forum", false, 0, 0);
        t.record_poll("forum", false, 0, 0);
        t.record_poll("forum", true, 12, 5);
        t.record_poll("blog", true, 3, 3);
        assert_eq!(
            t.source_counters("forum"),
            SourceCounters {
                polls_ok: 1,
                polls_failed: 2,
                documents_fetched: 12,
                new_documents: 5
            }
        );
        assert_eq!(t.source_counters("blog").polls_ok, 1);
        assert_eq!(t.source_counters("never"), SourceCounters::default());
    }

    #[test]
    fn gauges_come_from_the_stored_health() {
        let t = Telemetry::new();
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let failing = SourceHealthRecord {
            last_poll: Some(at),
            last_success: Some(at),
            consecutive_failures: 3,
            ..Default::default()
        };
        let unpolled = SourceHealthRecord::default();
        // Nothing polled in this process: the stored health still shows.
        let text = t.render(&[("forum", &failing), ("fresh", &unpolled)]);
        assert!(
            text.contains("repmon_source_consecutive_failures{source=\"forum\"} 3\n"),
            "{text}"
        );
        assert!(text.contains(
            "repmon_source_last_success_timestamp_seconds{source=\"forum\"} 1800000000\n"
        ));
        assert!(!text.contains("source=\"fresh\""), "{text}");
        assert!(!text.contains("repmon_source_polls_total{"), "{text}");
    }

    #[test]
    fn render_escapes_label_values_and_sums_counters() {
        let t = Telemetry::new();
        t.record_poll("we\"ird\\src\n", true, 3, 1);
        t.record_ingest(4, 1);
        t.record_ingest(2, 0);
        t.record_webhook(true);
        t.record_webhook(false);
        t.record_webhook(false);
        let text = t.render(&[]);
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
