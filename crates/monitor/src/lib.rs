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

mod model;
mod reasons;

pub use model::{
    Components, MOMENTUM_Z, Model, REVIEWS_PRIOR, WEBCARE_PRIOR, Weights, buzz, momentum, reach,
    reviews, vibe, webcare,
};

use chrono::{DateTime, NaiveDate, Utc};
use model::{Scored, Tally};
use repmon_config::{Company, Config};
use repmon_model::{Mention, Sentiment};
use repmon_store::{Store, StoreError, Table, time_key};
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
        Window {
            from: self.from - (self.to - self.from),
            to: self.from,
        }
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
    /// The same reasons with their evidence: the component, its figure
    /// before and after, and the mentions behind the move (one per reason,
    /// in the same order). Empty in snapshots written before it existed.
    #[serde(default)]
    pub reason_details: Vec<ReasonDetail>,
}

/// One reason with what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonDetail {
    /// The sentence, as in `reasons`.
    pub text: String,
    /// What moved: `vibe`, `buzz`, `reach`, `webcare`, `reviews`,
    /// `momentum`, `rank` (passed by or passing others), `new`, `quiet` or
    /// `steady`.
    pub component: String,
    /// The component's figure in the window before and in this one: net
    /// sentiment (-1..1) for vibe, share of the positive and neutral talk
    /// (0..1) for buzz, distinct authors for reach, answered share of
    /// complaints (0..1) for webcare, smoothed rating (1-5) for reviews, the
    /// rank for rank; for momentum `after` is the points it adds to the
    /// score (negative: takes).
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// The mentions behind the move, strongest first (at most three).
    pub mentions: Vec<ReasonMention>,
}

/// A mention cited as evidence for a reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonMention {
    /// The document's title, or the start of its text when it has none.
    /// Plain text: escape it when showing it as HTML.
    pub title: String,
    pub url: String,
    pub source: String,
    pub sentiment: Sentiment,
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
    /// Earned mentions published in the last hour of the window (for
    /// `volume.spike`).
    #[serde(default)]
    pub last_hour: u64,
    /// Earned mentions per hour over the rest of the window: the baseline
    /// the last hour is compared with.
    #[serde(default)]
    pub hourly_baseline: f64,
    /// How the company's own accounts answered complaints in threads; absent
    /// without such complaints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webcare: Option<Webcare>,
}

/// Webcare figures: complaints (negative earned mentions in a thread) and
/// the company's own answers in the same thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webcare {
    pub complaints: u64,
    /// Complaints followed by an answer from the company's own accounts.
    pub answered: u64,
    /// answered / complaints, 0..1.
    pub response_rate: f64,
    /// Median time from a complaint to the company's first answer, in
    /// minutes; None when nothing was answered.
    pub median_response_minutes: Option<f64>,
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
    /// The reasons with their evidence (see [`Entry::reason_details`]).
    #[serde(default)]
    pub reason_details: Vec<ReasonDetail>,
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
    rank_with(
        &Model::default(),
        companies,
        current,
        previous,
        window,
        generated_at,
    )
}

/// [`rank`] with a given model (weights, smoothing).
pub fn rank_with(
    model: &Model,
    companies: &[Company],
    current: &[Mention],
    previous: &[Mention],
    window: Window,
    generated_at: DateTime<Utc>,
) -> Ranking {
    let a = Analysis::new(model, companies, current, previous);
    let hour_start = window.to - chrono::Duration::hours(1);
    let other_hours = ((window.to - window.from).num_seconds() as f64 / 3600.0 - 1.0).max(1.0);
    let mut entries: Vec<Entry> = (0..companies.len())
        .map(|i| {
            let mut e = a.entry(i);
            let last_hour = a.cur_tallies[i]
                .earned
                .iter()
                .filter(|(m, _)| m.doc.published >= hour_start && m.doc.published < window.to)
                .count() as u64;
            e.metrics.last_hour = last_hour;
            e.metrics.hourly_baseline = model::round(
                e.metrics.mentions.saturating_sub(last_hour) as f64 / other_hours,
                3,
            );
            e
        })
        .collect();
    entries.sort_by_key(|e| e.rank);
    Ranking {
        generated_at,
        window,
        entries,
    }
}

/// Both windows tallied and scored.
struct Analysis<'a> {
    model: &'a Model,
    companies: &'a [Company],
    cur_tallies: Vec<Tally<'a>>,
    prev_tallies: Vec<Tally<'a>>,
    cur: Scored,
    prev: Scored,
}

impl<'a> Analysis<'a> {
    fn new(
        model: &'a Model,
        companies: &'a [Company],
        current: &'a [Mention],
        previous: &'a [Mention],
    ) -> Self {
        let cur_tallies = model::tally(companies, current);
        let prev_tallies = model::tally(companies, previous);
        // The window before is scored without momentum (the window before
        // it is not loaded); the current one against it.
        let prev = model::score_window(model, companies, &prev_tallies, None);
        let cur = model::score_window(model, companies, &cur_tallies, Some(&prev));
        Analysis {
            model,
            companies,
            cur_tallies,
            prev_tallies,
            cur,
            prev,
        }
    }

    fn had_data_before(&self, i: usize) -> bool {
        self.prev_tallies[i].mentions > 0
    }

    fn side(&self, i: usize, current: bool) -> reasons::Side<'_, 'a> {
        let (t, s) = if current {
            (&self.cur_tallies, &self.cur)
        } else {
            (&self.prev_tallies, &self.prev)
        };
        reasons::Side {
            tally: &t[i],
            metrics: &s.metrics[i],
            components: s.components[i],
            score: s.scores[i],
            rank: s.ranks[i],
        }
    }

    fn entry(&self, i: usize) -> Entry {
        let before = self.had_data_before(i);
        // The companies it swapped places with (both ranked in both windows).
        let (was, is) = (self.prev.ranks[i], self.cur.ranks[i]);
        let passed_by: Vec<&str> = (0..self.companies.len())
            .filter(|&j| {
                let (jwas, jis) = (self.prev.ranks[j], self.cur.ranks[j]);
                j != i
                    && self.cur_tallies[j].mentions > 0
                    && self.had_data_before(j)
                    && ((jwas > was && jis < is) || (jwas < was && jis > is))
            })
            .map(|j| self.companies[j].name.as_str())
            .take(3)
            .collect();
        let details = if before || self.cur_tallies[i].mentions > 0 {
            reasons::reasons(
                &self.model.weights,
                &self.side(i, true),
                &self.side(i, false),
                &passed_by,
            )
        } else {
            Vec::new()
        };
        Entry {
            rank: self.cur.ranks[i],
            previous_rank: before.then(|| self.prev.ranks[i]),
            company: CompanyRef {
                id: self.companies[i].id.clone(),
                name: self.companies[i].name.clone(),
            },
            score: self.cur.scores[i],
            score_change: before.then(|| model::round(self.cur.scores[i] - self.prev.scores[i], 1)),
            metrics: self.cur.metrics[i].clone(),
            reasons: details.iter().map(|d| d.text.clone()).collect(),
            reason_details: details,
        }
    }
}

/// How long every snapshot is kept; older ones thin out to one per day.
const SNAPSHOT_KEEP_ALL: chrono::Duration = chrono::Duration::days(2);
/// Top mentions on a company page, per polarity.
const TOP_MENTIONS: usize = 5;
/// Longest excerpt of a mention summary, in chars.
const EXCERPT_CHARS: usize = 280;

/// The monitor over a store: rankings, company reports, snapshots.
pub struct Monitor {
    store: Arc<Store>,
    config: Arc<Config>,
    /// The last snapshot this process recorded, and the store's change
    /// count then ([`Store::change_count`]): a later write, an edited post
    /// included, makes the snapshot stale.
    recorded: std::sync::Mutex<Option<(DateTime<Utc>, u64)>>,
    /// The store's change count when the tables of the last few `ranking`
    /// calls were read, by generation time: a snapshot counts what its
    /// table saw, not what was written while it was being computed.
    counted: std::sync::Mutex<Vec<(DateTime<Utc>, u64)>>,
}

/// Tables whose document count is remembered until their snapshot.
const COUNTED_KEEP: usize = 8;

impl Monitor {
    pub fn new(store: Arc<Store>, config: Arc<Config>) -> Monitor {
        Monitor {
            store,
            config,
            recorded: std::sync::Mutex::new(None),
            counted: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The stored mentions of `window` and of the window before it.
    fn load(&self, window: Window) -> Result<(Vec<Mention>, Vec<Mention>)> {
        let mut all = self
            .store
            .mentions_between(window.previous().from, window.to)?;
        // Oldest first, so the split is one search.
        let split = all.partition_point(|m| m.doc.published < window.from);
        let current = all.split_off(split);
        Ok((current, all))
    }

    /// The table for the window of length `window` ending at `at`, limited to
    /// `top` entries (0 = all).
    pub fn ranking(
        &self,
        at: DateTime<Utc>,
        window: chrono::Duration,
        top: usize,
    ) -> Result<Ranking> {
        let w = Window::ending_at(at, window);
        let count = self.store.change_count();
        if let Ok(mut c) = self.counted.lock() {
            if c.len() >= COUNTED_KEEP {
                c.remove(0);
            }
            c.push((at, count));
        }
        let (current, previous) = self.load(w)?;
        let mut ranking = rank_with(
            &Model::from_config(&self.config.ranking),
            &self.config.companies,
            &current,
            &previous,
            w,
            at,
        );
        if top > 0 {
            ranking.entries.truncate(top);
        }
        Ok(ranking)
    }

    /// The table for the window of length `window` ending at `now`, `top`
    /// entries (0 = all), as the API and web page serve it: the latest
    /// snapshot when this process recorded it, nothing was written to the
    /// store since, and it is of a window that long, of the configured
    /// companies, and no older than `[ranking] recompute` (the daemon
    /// re-ranks at least that often, and after every poll round that added
    /// mentions); else computed now. Its `generated_at` tells which.
    pub fn current_ranking(
        &self,
        now: DateTime<Utc>,
        window: chrono::Duration,
        top: usize,
    ) -> Result<Ranking> {
        if let Some(mut ranking) = self.fresh_snapshot(now, window)? {
            if top > 0 {
                ranking.entries.truncate(top);
            }
            return Ok(ranking);
        }
        self.ranking(now, window, top)
    }

    fn fresh_snapshot(
        &self,
        now: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<Option<Ranking>> {
        let Some(s) = self.snapshot_at(now)? else {
            return Ok(None);
        };
        let age = now - s.generated_at;
        let fresh =
            age >= chrono::Duration::zero() && age <= self.config.ranking.recompute.chrono();
        let same_window = s.window.to - s.window.from == window;
        // A config edited since (a company added or removed) needs a new table.
        let companies = &self.config.companies;
        let same_companies = s.entries.len() == companies.len()
            && companies.iter().all(|c| s.entry(&c.id).is_some());
        if !(fresh && same_window && same_companies) {
            return Ok(None);
        }
        // Mentions ingested after the snapshot (before the re-rank they
        // trigger) would be missing from it.
        let recorded = self.recorded.lock().ok().and_then(|r| *r);
        let unchanged = match recorded {
            Some((at, count)) => at == s.generated_at && count == self.store.change_count(),
            None => false,
        };
        Ok(unchanged.then_some(s))
    }

    /// One company in depth; None for an unknown id.
    pub fn company(
        &self,
        id: &str,
        at: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Result<Option<CompanyReport>> {
        let companies = &self.config.companies;
        let Some(i) = companies.iter().position(|c| c.id == id) else {
            return Ok(None);
        };
        let w = Window::ending_at(at, window);
        let (current, previous) = self.load(w)?;
        let model = Model::from_config(&self.config.ranking);
        let a = Analysis::new(&model, companies, &current, &previous);
        let entry = a.entry(i);
        let tally = &a.cur_tallies[i];
        let has_data = tally.mentions > 0;
        Ok(Some(CompanyReport {
            company: entry.company.clone(),
            window: w,
            rank: has_data.then_some(entry.rank),
            previous_rank: entry.previous_rank,
            score: entry.score,
            score_change: entry.score_change,
            metrics: entry.metrics,
            previous_metrics: a.prev.metrics[i].clone(),
            reasons: entry.reasons,
            reason_details: entry.reason_details,
            daily: self.daily(id, tally, w)?,
            top_positive: top_mentions(tally, Sentiment::Positive),
            top_negative: top_mentions(tally, Sentiment::Negative),
        }))
    }

    /// One point per calendar day (UTC) the window touches, oldest first.
    fn daily(&self, id: &str, tally: &Tally<'_>, w: Window) -> Result<Vec<DailyPoint>> {
        if w.to <= w.from {
            return Ok(Vec::new());
        }
        let first = w.from.date_naive();
        let last = (w.to - chrono::Duration::microseconds(1)).date_naive();
        let mut points: Vec<DailyPoint> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|date| DailyPoint {
                date,
                mentions: 0,
                positive: 0,
                negative: 0,
                neutral: 0,
                net_sentiment: 0.0,
                rank: None,
            })
            .collect();
        for (m, ci) in &tally.earned {
            let day = m.doc.published.date_naive();
            let Some(p) = points.get_mut((day - first).num_days().max(0) as usize) else {
                continue;
            };
            p.mentions += 1;
            match m.companies[*ci].sentiment {
                Sentiment::Positive => p.positive += 1,
                Sentiment::Negative => p.negative += 1,
                Sentiment::Neutral => p.neutral += 1,
            }
        }
        for p in &mut points {
            if p.mentions > 0 {
                p.net_sentiment = model::round(
                    (p.positive as f64 - p.negative as f64) / p.mentions as f64,
                    4,
                );
            }
            let day_end = p
                .date
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc());
            let until = day_end.map_or(w.to, |e| e.min(w.to)) - chrono::Duration::microseconds(1);
            if let Some((key, snapshot)) = self
                .store
                .last_at_or_before::<Ranking>(Table::Snapshots, &time_key(until))?
                && key.starts_with(&p.date.format("%Y-%m-%d").to_string())
            {
                p.rank = snapshot
                    .entry(id)
                    .filter(|e| e.metrics.mentions > 0)
                    .map(|e| e.rank);
            }
        }
        Ok(points)
    }

    /// Keeps a ranking as a snapshot (retention: all of the last 2 days, then one per day).
    pub fn record_snapshot(&self, ranking: &Ranking) -> Result<()> {
        self.store
            .put(Table::Snapshots, &time_key(ranking.generated_at), ranking)?;
        // Thin out what fell out of the keep-all span: keep the last of each
        // day. Looking up to the end of the cutoff's day tells whether a
        // snapshot before the cutoff is its day's last.
        let cutoff = ranking.generated_at - SNAPSHOT_KEEP_ALL;
        let day_after = cutoff
            .date_naive()
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        let scan_to = day_after.map(time_key);
        let keys = self
            .store
            .keys(Table::Snapshots, None, scan_to.as_deref())?;
        let cutoff_key = time_key(cutoff);
        let doomed: Vec<String> = keys
            .iter()
            .enumerate()
            .filter(|(j, k)| {
                let same_day_later = keys
                    .get(j + 1)
                    .is_some_and(|next| next.get(..10) == k.get(..10));
                k.as_str() < cutoff_key.as_str() && same_day_later
            })
            .map(|(_, k)| k.clone())
            .collect();
        self.store.delete_keys(Table::Snapshots, &doomed)?;
        let counted = self.counted.lock().ok().and_then(|c| {
            c.iter()
                .rev()
                .find(|(at, _)| *at == ranking.generated_at)
                .map(|(_, n)| *n)
        });
        let count = counted.unwrap_or_else(|| self.store.change_count());
        if let Ok(mut r) = self.recorded.lock() {
            *r = Some((ranking.generated_at, count));
        }
        Ok(())
    }

    /// The last snapshot taken at or before `at`.
    pub fn snapshot_at(&self, at: DateTime<Utc>) -> Result<Option<Ranking>> {
        Ok(self
            .store
            .last_at_or_before::<Ranking>(Table::Snapshots, &time_key(at))?
            .map(|(_, r)| r))
    }

    /// The most recent snapshot.
    pub fn latest_snapshot(&self) -> Result<Option<Ranking>> {
        self.snapshot_at(Utc::now())
    }
}

/// The strongest mentions of one polarity: by |score|, then newest.
fn top_mentions(tally: &Tally<'_>, sentiment: Sentiment) -> Vec<MentionSummary> {
    let mut picked: Vec<_> = tally
        .earned
        .iter()
        .filter(|(m, ci)| m.companies[*ci].sentiment == sentiment)
        .collect();
    picked.sort_by(|(a, ai), (b, bi)| {
        b.companies[*bi]
            .score
            .abs()
            .total_cmp(&a.companies[*ai].score.abs())
            .then(b.doc.published.cmp(&a.doc.published))
    });
    picked
        .into_iter()
        .take(TOP_MENTIONS)
        .map(|(m, ci)| {
            let cm = &m.companies[*ci];
            MentionSummary {
                id: m.doc.id.clone(),
                url: m.doc.url.clone(),
                title: m.doc.title.clone(),
                excerpt: excerpt(&m.doc.body, EXCERPT_CHARS),
                source: m.doc.source.clone(),
                kind: m.doc.kind.as_str().to_owned(),
                author: m.doc.author.clone(),
                published: m.doc.published,
                sentiment: cm.sentiment,
                score: cm.score,
            }
        })
        .collect()
}

/// At most `max` chars of `text`, cut at a word and marked with "…" when cut.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let end = text
        .char_indices()
        .nth(max - 1)
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..end];
    let head = match head.rfind(char::is_whitespace) {
        Some(space) if space > end * 3 / 4 => head[..space].trim_end(),
        _ => head,
    };
    format!("{head}…")
}
