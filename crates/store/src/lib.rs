//! Where mentions live once they are found.
//!
//! Two stores under one data directory, each for what it does best:
//! - `index/`: a tantivy index of every mention (full text, companies with
//!   the sentiment toward each, source, kind, language, published time),
//!   for the analysts' search with highlighted snippets;
//! - `state.redb`: an embedded key-value store (redb) for everything tantivy
//!   should not hold: compact mention records for the monitor's window
//!   scans, source cursors and HTTP validators, ranking snapshots, the
//!   webhook outbox and alert baselines.
//!
//! Writes are batched: one index writer, one commit per batch. A batch is
//! idempotent (a document id replaces its earlier version), so a crash
//! between the two commits is repaired by ingesting the batch again.
//!
//! All methods block; call them from `spawn_blocking` in async code.

use chrono::{DateTime, Utc};
use repmon_model::{Mention, Sentiment, SourceKind};
use serde::{Serialize, de::DeserializeOwned};
use std::path::Path;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The user's search query is malformed; the message says where and why.
    /// (An API answers this with 400, never 500.)
    #[error("invalid query: {0}")]
    Query(String),
    /// The data directory could not be opened or written (permissions, full
    /// disk, held by another repmon process, ...).
    #[error("{0}")]
    Io(String),
    #[error("index: {0}")]
    Index(String),
    #[error("state store: {0}")]
    State(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The state store's tables. Keys are strings; values are JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Per source id: cursors, HTTP validators, health.
    Sources,
    /// Ranking snapshots keyed by [`time_key`], so keys sort by time.
    Snapshots,
    /// Webhook deliveries not yet done.
    Outbox,
    /// Per webhook and company: the rank an alert compares against.
    Alerts,
    /// Small facts about this data directory (e.g. when the last digest went out).
    Meta,
}

/// A key for a time that sorts lexicographically in time order.
pub fn time_key(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// What a batch write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Documents not stored before.
    pub added: usize,
    /// Documents stored before whose content or companies changed.
    pub updated: usize,
    /// Documents stored before exactly as they are now.
    pub unchanged: usize,
}

/// A mention search as analysts write it (SPEC: `GET /api/v1/mentions`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// Full-text query: words, "phrases", AND/OR/NOT, field:value. Empty = all.
    pub q: String,
    pub company: Option<String>,
    /// With `company`: the sentiment toward that company; without: toward any.
    pub sentiment: Option<Sentiment>,
    pub source: Option<String>,
    pub kind: Option<SourceKind>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: usize,
    pub offset: usize,
}

/// One search result: a mention and its snippet.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub mention: Mention,
    /// A short piece of the text as HTML: escaped, with the query's (or the
    /// companies') words in `<b>`. Safe to put in a page as is.
    pub snippet: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    /// All matches, not only this page.
    pub total: usize,
    /// Newest first.
    pub hits: Vec<SearchHit>,
}

/// The index and the state store of one data directory.
pub struct Store {
    _private: (),
}

impl Store {
    /// Opens (creating if missing) the index and state store under `data_dir`.
    /// Fails with a clear [`StoreError::Io`] when another process holds it.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let _ = data_dir;
        todo!()
    }

    /// Stores a batch of mentions in one commit: new documents are added,
    /// changed ones replace their earlier version, unchanged ones are skipped.
    pub fn write_mentions(&self, batch: &[Mention]) -> Result<WriteStats> {
        let _ = batch;
        todo!()
    }

    /// The stored mention of a document, if any.
    pub fn mention(&self, doc_id: &str) -> Result<Option<Mention>> {
        let _ = doc_id;
        todo!()
    }

    /// Mentions published in `[from, to)`, oldest first, from the state
    /// store's compact records (bodies cut to a few hundred characters).
    pub fn mentions_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Mention>> {
        let _ = (from, to);
        todo!()
    }

    /// How many documents are stored.
    pub fn mention_count(&self) -> Result<u64> {
        todo!()
    }

    /// Full-text search with filters; a malformed `q` is [`StoreError::Query`].
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        let _ = query;
        todo!()
    }

    /// Reads one value from a state table.
    pub fn get<T: DeserializeOwned>(&self, table: Table, key: &str) -> Result<Option<T>> {
        let _ = (table, key);
        todo!()
    }

    /// Writes one value to a state table (durably committed on return).
    pub fn put<T: Serialize>(&self, table: Table, key: &str, value: &T) -> Result<()> {
        let _ = (table, key, value);
        todo!()
    }

    pub fn delete(&self, table: Table, key: &str) -> Result<()> {
        let _ = (table, key);
        todo!()
    }

    /// All entries with keys in `[from, to)` (either bound open when `None`), in key order.
    pub fn range<T: DeserializeOwned>(
        &self,
        table: Table,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<(String, T)>> {
        let _ = (table, from, to);
        todo!()
    }

    /// The last entry with a key `<= key`, if any (e.g. the snapshot as it stood at a time).
    pub fn last_at_or_before<T: DeserializeOwned>(&self, table: Table, key: &str) -> Result<Option<(String, T)>> {
        let _ = (table, key);
        todo!()
    }
}
