//! The hot path, shared by `repmon run` and `repmon poll`:
//! fetch a source → documents → mentions → one batched write → re-rank.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use repmon_alerts::Alerts;
use repmon_config::{Config, Source};
use repmon_mentions::{Analyzed, Analyzer};
use repmon_model::Mention;
use repmon_model::{Retired, SourceHealthRecord};
use repmon_monitor::{Monitor, Ranking};
use repmon_sources::{
    Fetcher, MAX_COPY_DISTANCE, PollOutcome, SourceError, SourceState, distance, fingerprint,
};
use repmon_store::{Identity, Store, Table, WriteStats};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

/// What the daemon remembers about a source between polls and restarts.
///
/// Stored as one JSON object: the health fields sit at the top level, so the
/// API can read the same value as a [`SourceHealthRecord`] without knowing
/// the source kinds' state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SourceRecord {
    /// The source kind's own cursors and HTTP validators.
    #[serde(default)]
    pub state: SourceState,
    #[serde(flatten)]
    pub health: SourceHealthRecord,
}

impl SourceRecord {
    /// The retirement that still applies to `source`: one made for the URL
    /// the config names now (a user who changes the URL revives the source).
    pub fn retired_for(&self, source: &Source) -> Option<&Retired> {
        self.health.retired.as_ref().filter(|r| r.url == source.url)
    }
}

/// The longest wait a `Retry-After` can impose: a server asking for more is
/// asked again after this anyway.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 3600);

/// How many recent document ids a source remembers to tell new documents from old.
const SEEN_PER_SOURCE: usize = 20_000;

fn seen_key(source: &str) -> String {
    format!("seen/{source}")
}

pub fn load_record(store: &Store, source: &str) -> anyhow::Result<SourceRecord> {
    Ok(store
        .get::<SourceRecord>(Table::Sources, source)?
        .unwrap_or_default())
}

/// True when every configured source has been polled (successfully or not)
/// at least once: until then the index is still filling and rankings move
/// for no reason a user should be alerted about.
pub fn all_sources_polled(store: &Store, config: &Config) -> anyhow::Result<bool> {
    for s in &config.sources {
        if load_record(store, &s.id)?.health.polls == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// One source's poll result on its way to the ingest step.
pub struct Fetched {
    pub source: Source,
    /// When the poll started.
    pub at: DateTime<Utc>,
    /// When its answer was in hand: a `Retry-After` counts from here, not
    /// from `at` (a slow answer would otherwise shorten the wait it asks for).
    pub answered: DateTime<Utc>,
    pub result: Result<PollOutcome, SourceError>,
    /// Told when the result is stored (or failed to be), so that the source's
    /// next poll starts from the validators this one saved.
    pub stored: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Polls one source with the state it left last time.
pub async fn fetch(fetcher: &Fetcher, store: &Arc<Store>, source: &Source) -> Fetched {
    let record = {
        let (store, id) = (store.clone(), source.id.clone());
        tokio::task::spawn_blocking(move || load_record(&store, &id)).await
    };
    let state = match record {
        Ok(Ok(r)) => r.state,
        Ok(Err(e)) => {
            tracing::warn!(source = %source.id, "cannot read the source's saved state, polling from scratch: {e:#}");
            SourceState::default()
        }
        Err(e) => {
            tracing::warn!(source = %source.id, "cannot read the source's saved state: {e}");
            SourceState::default()
        }
    };
    fetch_with(fetcher, source, &state).await
}

/// Polls one source from a state the caller already holds.
pub async fn fetch_with(fetcher: &Fetcher, source: &Source, state: &SourceState) -> Fetched {
    let at = Utc::now();
    let result = repmon_sources::poll(fetcher, source, state).await;
    Fetched {
        source: source.clone(),
        at,
        answered: Utc::now(),
        result,
        stored: None,
    }
}

/// What one source contributed to a round, as `repmon poll` prints it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceReport {
    pub source: String,
    /// Documents the source returned.
    pub fetched: usize,
    /// Of those, documents not seen from this source before.
    pub new_documents: usize,
    /// Of those, documents that mention a tracked company and were not stored before.
    pub new_mentions: usize,
    /// Documents that copy a post already stored under another id (a
    /// syndicated copy, the same post in another feed): they add no mention.
    pub copies: usize,
    pub requests: usize,
    pub not_modified: usize,
    pub error: Option<String>,
    /// The error concerns part of the source (a mastodon timeline); the
    /// rest was read and ingested.
    pub partial: bool,
}

/// The outcome of ingesting one batch.
pub struct Ingested {
    pub reports: Vec<SourceReport>,
    pub stats: WriteStats,
}

/// Analyzes a batch of poll results and stores the mentions in one write.
/// Source records (and with them the HTTP validators) are saved only after
/// the write succeeded, so a failed write is retried on the next poll
/// instead of being hidden behind a 304.
///
/// Documents that name no company are kept if published at or after
/// `keep_since` (see [`repmon_config::Store::keep_unmatched`]); older kept
/// ones are forgotten.
pub fn ingest(
    store: &Store,
    analyzer: &Analyzer,
    keep_since: DateTime<Utc>,
    batch: Vec<Fetched>,
) -> anyhow::Result<Ingested> {
    let mut reports = Vec::with_capacity(batch.len());
    let mut mentions = Vec::new();
    let mut unmatched = Vec::new();
    // For each mention, the index of the report of the source it came from.
    let mut from_report: Vec<usize> = Vec::new();
    let mut updates: Vec<(String, SourceRecord, Option<VecDeque<String>>)> = Vec::new();

    for fetched in batch {
        let id = fetched.source.id.clone();
        let mut record = load_record(store, &id)?;
        let health = &mut record.health;
        health.polls += 1;
        health.last_poll = Some(fetched.at);
        let mut report = SourceReport {
            source: id.clone(),
            ..Default::default()
        };
        match fetched.result {
            Err(e) => {
                let msg = e.to_string();
                health.consecutive_failures += 1;
                health.last_error = Some(msg.clone());
                health.last_error_at = Some(fetched.at);
                health.retry_after = e
                    .retry_after(fetched.answered)
                    .map(|wait| fetched.answered + wait.min(MAX_RETRY_AFTER));
                if e.is_gone() && record.retired_for(&fetched.source).is_none() {
                    tracing::warn!(
                        source = %id,
                        "source retired: {msg}; it will not be polled again until its url is changed in the config"
                    );
                    record.health.retired = Some(Retired {
                        at: fetched.at,
                        url: fetched.source.url.clone(),
                        reason: msg.clone(),
                    });
                }
                report.error = Some(msg);
                updates.push((id, record, None));
            }
            Ok(outcome) => {
                let mut seen: VecDeque<String> = store
                    .get(Table::Sources, &seen_key(&id))?
                    .unwrap_or_default();
                let known: HashSet<&str> = seen.iter().map(String::as_str).collect();
                report.fetched = outcome.documents.len();
                report.requests = outcome.requests;
                report.not_modified = outcome.not_modified;
                let mut fresh = Vec::new();
                for doc in outcome.documents {
                    if !known.contains(doc.id.as_str()) {
                        report.new_documents += 1;
                        fresh.push(doc.id.clone());
                    }
                    match analyzer.mention_or_document(doc) {
                        Analyzed::Mention(m) => {
                            // This report is the next one pushed: its index is reports.len().
                            from_report.push(reports.len());
                            mentions.push(m);
                        }
                        Analyzed::NoMention(doc) => unmatched.push(doc),
                    }
                }
                drop(known);
                for doc_id in fresh {
                    seen.push_back(doc_id);
                }
                while seen.len() > SEEN_PER_SOURCE {
                    seen.pop_front();
                }
                if let Some(to) = &outcome.moved_to {
                    tracing::warn!(
                        source = %id,
                        "source moved permanently to {to}; polling it there from now on (update its url in the config)"
                    );
                }
                let health = &mut record.health;
                health.moved_to = outcome
                    .state
                    .moved_to(&fetched.source.url)
                    .map(str::to_string);
                if !outcome.partial_errors.is_empty() {
                    // Part of the source failed: the source still works
                    // (no backoff), but the failed part is shown.
                    let msg = outcome.partial_errors.join("; ");
                    health.last_error = Some(msg.clone());
                    health.last_error_at = Some(fetched.at);
                    report.error = Some(msg);
                    report.partial = true;
                }
                health.consecutive_failures = 0;
                health.last_success = Some(fetched.at);
                health.retry_after = None;
                health.retired = None;
                health.documents_seen += report.new_documents as u64;
                record.state = outcome.state;
                updates.push((id, record, Some(seen)));
            }
        }
        reports.push(report);
    }

    let fates =
        sort_out_copies(store, &mentions).context("cannot tell new mentions from copies")?;
    let mut counted: HashSet<&str> = HashSet::new();
    for (i, fate) in fates.iter().enumerate() {
        match fate {
            Fate::Copy => reports[from_report[i]].copies += 1,
            Fate::New if counted.insert(mentions[i].doc.id.as_str()) => {
                reports[from_report[i]].new_mentions += 1;
            }
            _ => {}
        }
    }
    drop(counted);
    let stats = store
        .write_mentions(&without_copies(mentions, &fates))
        .context("cannot store the new mentions")?;
    // Documents that name no company are kept for a later rematch; failing
    // that fails the round like a failed mention write (the next poll
    // brings them again).
    store
        .keep_unmatched(&unmatched, keep_since)
        .context("cannot keep the documents without a mention")?;
    store
        .prune_unmatched(keep_since)
        .context("cannot forget old documents without a mention")?;
    for (id, record, seen) in updates {
        store.put(Table::Sources, &id, &record)?;
        if let Some(seen) = seen {
            store.put(Table::Sources, &seen_key(&id), &seen)?;
        }
    }
    Ok(Ingested { reports, stats })
}

/// What a mention of a batch turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Neither its id nor its text is stored yet.
    New,
    /// An update (changed or not) of its own stored mention.
    Stored,
    /// A copy of a post stored under another id (a syndicated copy, the same
    /// post in another feed): it adds no mention.
    Copy,
}

/// Tells the batch's new mentions from updates and from copies of posts
/// already stored (or of another mention of the batch), in one read of the
/// store, and remembers the fingerprints of the ones to be stored and which
/// ids are copies of which. One [`Fate`] per mention, in order.
pub fn sort_out_copies(
    store: &Store,
    mentions: &[Mention],
) -> Result<Vec<Fate>, repmon_store::StoreError> {
    let prints: Vec<Option<u64>> = mentions.iter().map(|m| fingerprint(&m.doc)).collect();
    let asked: Vec<(&str, &str, Option<u64>)> = mentions
        .iter()
        .zip(&prints)
        .map(|(m, fp)| (m.doc.id.as_str(), m.doc.source.as_str(), *fp))
        .collect();
    let mut identities = store.identify(&asked, MAX_COPY_DISTANCE)?;
    let mut fates = vec![Fate::New; mentions.len()];
    // Fingerprints to remember (new or changed texts) and copies found.
    let mut record: Vec<(usize, u64)> = Vec::new();
    let mut aliases: Vec<(usize, String)> = Vec::new();
    // This batch's kept texts by fingerprint band, so a copy arriving in the
    // same batch as its original is found too.
    let mut bands: HashMap<(u8, u16), Vec<usize>> = HashMap::new();
    // Decide in first-seen order: documents stored before come first (their
    // texts, edited or not, are originals), then the batch's new ones by
    // publication time (a syndicated copy comes after its source).
    let mut order: Vec<usize> = (0..mentions.len()).collect();
    order.sort_by_key(|&i| {
        let stored = matches!(identities[i], Identity::Stored { .. });
        (!stored, mentions[i].doc.published)
    });
    for i in order {
        let identity = std::mem::replace(&mut identities[i], Identity::New);
        let id = asked[i].0;
        let fp = prints[i];
        match identity {
            Identity::Stored { fingerprint } => {
                fates[i] = Fate::Stored;
                if let Some(fp) = fp
                    && fingerprint != Some(fp)
                {
                    record.push((i, fp));
                }
            }
            Identity::CopyOf(first) => {
                fates[i] = Fate::Copy;
                aliases.push((i, first));
                continue;
            }
            Identity::New => {
                let original = fp.and_then(|fp| {
                    (0..4u8).find_map(|b| {
                        bands.get(&band(fp, b))?.iter().copied().find(|&j| {
                            // Another source's: within one source a near
                            // text is a reply quoting the post it answers.
                            asked[j].0 != id
                                && asked[j].1 != asked[i].1
                                && prints[j].is_some_and(|o| distance(o, fp) <= MAX_COPY_DISTANCE)
                        })
                    })
                });
                if let Some(j) = original {
                    fates[i] = Fate::Copy;
                    aliases.push((i, asked[j].0.to_owned()));
                    continue;
                }
                if let Some(fp) = fp {
                    record.push((i, fp));
                }
            }
        }
        // A kept text is an original for the rest of the batch.
        if let Some(fp) = fp {
            for b in 0..4u8 {
                bands.entry(band(fp, b)).or_default().push(i);
            }
        }
    }
    let prints_to_record: Vec<(&str, &str, u64)> = record
        .iter()
        .map(|&(i, fp)| (asked[i].0, asked[i].1, fp))
        .collect();
    let alias_pairs: Vec<(&str, &str)> = aliases
        .iter()
        .map(|(i, first)| (asked[*i].0, first.as_str()))
        .collect();
    // Before the mentions are written, so the borrowed ids need no copies: a
    // failed write leaves fingerprints of ids that are not stored, and those
    // are passed over (the store only matches stored originals).
    store.record_copies(&prints_to_record, &alias_pairs)?;
    Ok(fates)
}

/// The mentions to store: all but the copies [`sort_out_copies`] found.
pub fn without_copies(mentions: Vec<Mention>, fates: &[Fate]) -> Vec<Mention> {
    mentions
        .into_iter()
        .zip(fates)
        .filter_map(|(m, fate)| (*fate != Fate::Copy).then_some(m))
        .collect()
}

/// Band `b` of a fingerprint: copies at most three bits apart share one whole.
fn band(fingerprint: u64, b: u8) -> (u8, u16) {
    (b, (fingerprint >> (16 * u32::from(b))) as u16)
}

/// Recomputes the full table, keeps it as a snapshot, and lets the alerts
/// look at it. `armed = false` while the index is still filling.
pub fn rerank(
    monitor: &Monitor,
    config: &Config,
    alerts: &Alerts,
    armed: bool,
) -> anyhow::Result<Ranking> {
    let ranking = monitor
        .ranking(Utc::now(), config.ranking.window.chrono(), usize::MAX)
        .context("cannot compute the ranking")?;
    monitor
        .record_snapshot(&ranking)
        .context("cannot keep the ranking snapshot")?;
    let events = alerts
        .observe(&ranking, armed)
        .context("cannot queue alerts")?;
    for e in &events {
        tracing::info!(event = %e.kind, id = %e.id, "alert queued");
    }
    Ok(ranking)
}

/// Logs a source's round the way an operator wants to read it.
pub fn log_report(r: &SourceReport) {
    match &r.error {
        Some(e) if r.partial => tracing::warn!(
            source = %r.source,
            fetched = r.fetched,
            new_mentions = r.new_mentions,
            "poll partly failed: {e}"
        ),
        Some(e) => tracing::warn!(source = %r.source, "poll failed: {e}"),
        None => tracing::info!(
            source = %r.source,
            fetched = r.fetched,
            new_documents = r.new_documents,
            new_mentions = r.new_mentions,
            not_modified = r.not_modified,
            "polled"
        ),
    }
}
