//! The monitor: turns stored mentions into the ranked table of companies,
//! after the IAB Netherlands "Social Media Monitor".
//!
//! For a window (by default the last 7 days) each company gets metrics
//! (mentions, share of voice, positive/negative/neutral, net sentiment, ...),
//! a composite score of 0-100, a rank, and its rank and score over the
//! window before, so the table shows movement. Reasons say in words what
//! moved a company: which component changed, from what to what, on which
//! sources, about which topics.
//!
//! [`rank`] is pure (mentions in, ranking out) so it can be tested on
//! constructed mention streams; [`Monitor`] reads the store and keeps snapshots.

use chrono::{DateTime, NaiveDate, Utc};
use repmon_config::{Company, Config};
use repmon_model::Mention;
use repmon_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A span of time `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// The window of length `len` ending at `to`.
    pub fn ending_at(to: DateTime<Utc>, len: chrono::Duration) -> Window {
        Window { from: to - len, to }
    }

    /// The window of the same length just before this one.
    pub fn previous(&self) -> Window {
        Window { from: self.from - (self.to - self.from), to: self.from }
    }
}

/// A company as a table shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyRef {
    pub id: String,
    pub name: String,
}

/// The ranked table (SPEC: `GET /api/v1/ranking`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    pub generated_at: DateTime<Utc>,
    pub window: Window,
    /// Companies with data, best first; then those without data in the
    /// window (rank = position, metrics zero, score 0), so none is missing.
    pub entries: Vec<Entry>,
}

impl Ranking {
    pub fn entry(&self, company: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.company.id == company)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub rank: u32,
    /// The rank over the window before this one; None without data there.
    pub previous_rank: Option<u32>,
    pub company: CompanyRef,
    /// 0-100.
    pub score: f64,
    /// Score minus the score over the window before; None without data there.
    pub score_change: Option<f64>,
    pub metrics: Metrics,
    /// Sentences a person reads, most important first.
    pub reasons: Vec<String>,
}

/// A company's figures over one window. SPEC fixes the first six keys;
/// the rest are extensions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub mentions: u64,
    pub share_of_voice: f64,
    pub positive: u64,
    pub negative: u64,
    pub neutral: u64,
    /// (positive - negative) / mentions, -1..=1.
    pub net_sentiment: f64,
    /// Distinct authors (reach/breadth).
    pub authors: u64,
    /// Mentions posted by the company itself (not counted in `mentions`).
    pub owned: u64,
    /// Mean review rating (1-5) where reviews exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<f64>,
}

/// Mentions and sentiment of one company on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyPoint {
    pub date: NaiveDate,
    pub mentions: u64,
    pub positive: u64,
    pub negative: u64,
    pub neutral: u64,
    pub net_sentiment: f64,
    /// The company's rank at the last snapshot of that day, if one was kept.
    pub rank: Option<u32>,
}

/// A mention as a company page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentionSummary {
    pub id: String,
    pub url: String,
    pub title: String,
    /// Plain text (not HTML): escape it when showing it.
    pub excerpt: String,
    pub source: String,
    pub kind: String,
    pub author: Option<String>,
    pub published: DateTime<Utc>,
    pub sentiment: repmon_model::Sentiment,
    pub score: f32,
}

/// One company in depth (SPEC: `GET /api/v1/companies/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyReport {
    pub company: CompanyRef,
    pub window: Window,
    pub rank: Option<u32>,
    pub previous_rank: Option<u32>,
    pub score: f64,
    pub score_change: Option<f64>,
    pub metrics: Metrics,
    pub previous_metrics: Metrics,
    pub reasons: Vec<String>,
    /// One point per day of the window, oldest first.
    pub daily: Vec<DailyPoint>,
    pub top_positive: Vec<MentionSummary>,
    pub top_negative: Vec<MentionSummary>,
}

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = MonitorError> = std::result::Result<T, E>;

/// Ranks `companies` on the mentions of `window` (`current`) against those
/// of the window before it (`previous`). Pure: same input, same table.
pub fn rank(
    companies: &[Company],
    current: &[Mention],
    previous: &[Mention],
    window: Window,
    generated_at: DateTime<Utc>,
) -> Ranking {
    let _ = (companies, current, previous, window, generated_at);
    todo!()
}

/// The monitor over a store: rankings, company reports, snapshots.
pub struct Monitor {
    store: Arc<Store>,
    config: Arc<Config>,
}

impl Monitor {
    pub fn new(store: Arc<Store>, config: Arc<Config>) -> Monitor {
        Monitor { store, config }
    }

    /// The table for the window of length `window` ending at `at`, limited to `top` entries.
    pub fn ranking(&self, at: DateTime<Utc>, window: chrono::Duration, top: usize) -> Result<Ranking> {
        let _ = (at, window, top, &self.store, &self.config);
        todo!()
    }

    /// One company in depth; None for an unknown id.
    pub fn company(&self, id: &str, at: DateTime<Utc>, window: chrono::Duration) -> Result<Option<CompanyReport>> {
        let _ = (id, at, window);
        todo!()
    }

    /// Keeps a ranking as a snapshot (retention: all of the last 2 days, then one per day).
    pub fn record_snapshot(&self, ranking: &Ranking) -> Result<()> {
        let _ = ranking;
        todo!()
    }

    /// The last snapshot taken at or before `at`.
    pub fn snapshot_at(&self, at: DateTime<Utc>) -> Result<Option<Ranking>> {
        let _ = at;
        todo!()
    }

    /// The most recent snapshot.
    pub fn latest_snapshot(&self) -> Result<Option<Ranking>> {
        self.snapshot_at(Utc::now())
    }
}
