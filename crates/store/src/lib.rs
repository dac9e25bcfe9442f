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

mod copies;
mod index;
mod record;
mod state;
mod text;
mod unmatched;

pub use copies::Identity;

use chrono::{DateTime, Utc};
use redb::ReadableDatabase;
use repmon_model::{Document, Mention, Sentiment, SourceKind};
use serde::{Serialize, de::DeserializeOwned};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, RwLock};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};

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

/// A document whose source states no time is dated when first seen
/// (`published == first_seen`, see [`Document::published`]). Seen again by
/// a later poll it is dated anew; this gives it back the time it was first
/// seen, from the time key it is stored under. `None` when the document has
/// a stated time, or keeps its first one already.
pub(crate) fn dated_when_first_seen(doc: &Document, stored_key: &str) -> Option<Document> {
    if doc.published != doc.first_seen || time_key(doc.published) == stored_key {
        return None;
    }
    let first = DateTime::parse_from_rfc3339(stored_key).ok()?.to_utc();
    Some(Document {
        published: first,
        first_seen: first,
        ..doc.clone()
    })
}

/// A document seen twice in one batch counts once: its last version. The
/// batch's items in order, but for earlier versions of a later one.
pub(crate) fn last_versions<T>(batch: &[T], doc: impl Fn(&T) -> &Document) -> Vec<&T> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
    for (i, item) in batch.iter().enumerate() {
        last.insert(doc(item).id.as_str(), i);
    }
    batch
        .iter()
        .enumerate()
        .filter(|(i, item)| last[doc(item).id.as_str()] == *i)
        .map(|(_, item)| item)
        .collect()
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

/// Hands the items of a walk to its callback in batches of up to `size`.
struct Batches<T> {
    size: usize,
    pending: Vec<T>,
    handed: u64,
}

impl<T> Batches<T> {
    fn new(size: usize) -> Self {
        let size = size.max(1);
        Batches {
            size,
            pending: Vec::with_capacity(size),
            handed: 0,
        }
    }

    fn push(&mut self, item: T, f: &mut impl FnMut(Vec<T>) -> Result<()>) -> Result<()> {
        self.pending.push(item);
        if self.pending.len() == self.size {
            self.handed += self.size as u64;
            f(std::mem::replace(
                &mut self.pending,
                Vec::with_capacity(self.size),
            ))?;
        }
        Ok(())
    }

    /// Hands over what is left; how many were handed in all.
    fn finish(mut self, f: &mut impl FnMut(Vec<T>) -> Result<()>) -> Result<u64> {
        if !self.pending.is_empty() {
            self.handed += self.pending.len() as u64;
            f(std::mem::take(&mut self.pending))?;
        }
        Ok(self.handed)
    }
}

/// How much memory the one index writer may fill before it writes a segment
/// (more than a batch needs: every batch commits its own segment anyway).
const WRITER_MEMORY: usize = 50_000_000;
/// Body length kept in the state store's compact records.
const COMPACT_BODY_CHARS: usize = 400;
/// Length of a snippet in chars.
const SNIPPET_CHARS: usize = 200;
/// The most hits one search page returns.
pub const MAX_LIMIT: usize = 500;

/// The index and the state store of one data directory.
pub struct Store {
    index: Index,
    fields: index::Fields,
    reader: IndexReader,
    /// One writer for the store's life (tantivy allows one per index); `None`
    /// only while a failed writer is being replaced.
    writer: Mutex<Option<IndexWriter>>,
    parser: QueryParser,
    db: redb::Database,
    /// Per company id: the names to highlight in snippets without query words.
    company_terms: RwLock<HashMap<String, Vec<String>>>,
    /// Index commits that changed the stored mentions (added, updated or
    /// deleted one), by this process: the only writer, as it holds the lock.
    changes: std::sync::atomic::AtomicU64,
}

fn io_err(what: &str, path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Io(format!("{what} {}: {e}", path.display()))
}

fn in_use(data_dir: &Path, lock: &Path) -> StoreError {
    StoreError::Io(format!(
        "{} is in use by another repmon process (lock held on {})",
        data_dir.display(),
        lock.display()
    ))
}

/// A tantivy error as the user should read it: disk trouble is `Io`.
fn tantivy_err(e: tantivy::TantivyError) -> StoreError {
    match e {
        tantivy::TantivyError::IoError(io) => StoreError::Io(format!("index: {io}")),
        e => StoreError::Index(e.to_string()),
    }
}

impl Store {
    /// Opens (creating if missing) the index and state store under `data_dir`.
    /// Fails with a clear [`StoreError::Io`] when another process holds it.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| io_err("cannot create data directory", data_dir, e))?;
        // The state store first: its file lock is what tells two repmon
        // processes on one data directory apart.
        let state_path = data_dir.join("state.redb");
        let db = match redb::Database::create(&state_path) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(in_use(data_dir, &state_path));
            }
            Err(redb::DatabaseError::Storage(redb::StorageError::Io(e))) => {
                return Err(io_err("cannot open state store", &state_path, e));
            }
            Err(e) => return Err(StoreError::State(format!("{}: {e}", state_path.display()))),
        };
        state::create_tables(&db)?;

        let index_path = data_dir.join("index");
        std::fs::create_dir_all(&index_path)
            .map_err(|e| io_err("cannot create index directory", &index_path, e))?;
        let dir = MmapDirectory::open(&index_path)
            .map_err(|e| io_err("cannot open index", &index_path, e))?;
        let (schema, fields) = index::schema();
        let index = Index::open_or_create(dir, schema).map_err(|e| match e {
            tantivy::TantivyError::SchemaError(m) => StoreError::Index(format!(
                "{}: the index was written by another repmon version ({m}); move it away to rebuild",
                index_path.display()
            )),
            e => tantivy_err(e),
        })?;
        index::register_tokenizers(&index);
        let writer = open_writer(&index).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => {
                in_use(data_dir, &index_path.join(".tantivy-writer.lock"))
            }
            e => tantivy_err(e),
        })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(tantivy_err)?;
        let mut parser = QueryParser::for_index(&index, vec![fields.title, fields.body]);
        // AND by default: a monitoring analyst narrows ("storing wifi" = both
        // words); OR stays available by writing it.
        parser.set_conjunction_by_default();
        Ok(Store {
            index,
            fields,
            reader,
            writer: Mutex::new(Some(writer)),
            parser,
            db,
            company_terms: RwLock::new(HashMap::new()),
            changes: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Tells the store each company's names (id → terms), so snippets of
    /// searches without words highlight the names instead of the ids.
    pub fn set_company_terms(&self, terms: HashMap<String, Vec<String>>) {
        let mut guard = self
            .company_terms
            .write()
            .unwrap_or_else(|p| p.into_inner());
        *guard = terms;
    }

    fn writer(&self) -> MutexGuard<'_, Option<IndexWriter>> {
        // A panic elsewhere while holding the lock leaves the writer usable.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores a batch of mentions in one commit: new documents are added,
    /// changed ones replace their earlier version, unchanged ones are skipped.
    pub fn write_mentions(&self, batch: &[Mention]) -> Result<WriteStats> {
        let mut stats = WriteStats::default();
        if batch.is_empty() {
            return Ok(stats);
        }
        // Held for the whole batch: the "unchanged" check and both commits
        // must not interleave with another batch.
        let mut guard = self.writer();

        let todo = last_versions(batch, |m| &m.doc);
        let known = state::lookup_ids(&self.db, todo.iter().map(|m| m.doc.id.as_str()))?;

        struct Change<'a> {
            mention: Cow<'a, Mention>,
            hash: u64,
            old_key: Option<String>,
        }
        let mut changes: Vec<Change> = Vec::with_capacity(todo.len());
        for (m, old) in todo.into_iter().zip(known) {
            let m = match old
                .as_ref()
                .and_then(|o| dated_when_first_seen(&m.doc, &o.time_key))
            {
                Some(doc) => Cow::Owned(Mention {
                    doc,
                    lang: m.lang.clone(),
                    companies: m.companies.clone(),
                }),
                None => Cow::Borrowed(m),
            };
            let hash = text::content_hash(&m);
            match old {
                Some(old) if old.hash == hash => stats.unchanged += 1,
                Some(old) => {
                    stats.updated += 1;
                    changes.push(Change {
                        mention: m,
                        hash,
                        old_key: Some(old.time_key),
                    });
                }
                None => {
                    stats.added += 1;
                    changes.push(Change {
                        mention: m,
                        hash,
                        old_key: None,
                    });
                }
            }
        }
        if changes.is_empty() {
            return Ok(stats);
        }

        let writer = guard
            .as_mut()
            .ok_or_else(|| StoreError::Index("the index writer could not be restarted".into()))?;
        let mut indexed = Ok(());
        // One buffer for every record of the batch, index and state store alike.
        let mut record = Vec::with_capacity(2048);
        for c in &changes {
            record.clear();
            record::encode(&c.mention, &c.mention.doc.body, &mut record);
            writer.delete_term(Term::from_field_text(self.fields.id, &c.mention.doc.id));
            if let Err(e) = writer.add_document(index::document(&self.fields, &c.mention, &record))
            {
                indexed = Err(e);
                break;
            }
        }
        self.commit_index(&mut guard, indexed)?;

        // The index holds the batch now; the state store follows. A crash in
        // between is repaired by ingesting the batch again (it is idempotent).
        let tx = self.db.begin_write().map_err(state::state_err)?;
        {
            let mut records = tx.open_table(state::MENTIONS).map_err(state::state_err)?;
            let mut ids = tx
                .open_table(state::MENTION_IDS)
                .map_err(state::state_err)?;
            let mut kept = tx.open_table(state::UNMATCHED).map_err(state::state_err)?;
            let mut kept_ids = tx
                .open_table(state::UNMATCHED_IDS)
                .map_err(state::state_err)?;
            let mut key = String::new();
            let mut id_value = Vec::new();
            for c in &changes {
                let d = &c.mention.doc;
                if c.old_key.is_none() {
                    // A kept document that makes a mention now is no longer kept.
                    unmatched::forget(&mut kept, &mut kept_ids, &d.id)?;
                }
                if let Some(old) = &c.old_key {
                    key.clear();
                    key.push_str(old);
                    key.push('\0');
                    key.push_str(&d.id);
                    records.remove(key.as_str()).map_err(state::state_err)?;
                }
                let tk = time_key(d.published);
                key.clear();
                key.push_str(&tk);
                key.push('\0');
                key.push_str(&d.id);
                record.clear();
                let body = text::cut(&d.body, COMPACT_BODY_CHARS);
                record::encode(&c.mention, body, &mut record);
                records
                    .insert(key.as_str(), record.as_slice())
                    .map_err(state::state_err)?;
                state::encode_id(c.hash, &tk, &mut id_value);
                ids.insert(d.id.as_str(), id_value.as_slice())
                    .map_err(state::state_err)?;
            }
        }
        tx.commit().map_err(state::state_err)?;
        Ok(stats)
    }

    /// Commits what the writer holds unless `pending` (the adding of the
    /// batch) failed; then the readers see it, and it counts as a change.
    /// On failure the batch is dropped ([`Store::recover_writer`]).
    fn commit_index(
        &self,
        guard: &mut MutexGuard<'_, Option<IndexWriter>>,
        pending: tantivy::Result<()>,
    ) -> Result<()> {
        let committed = pending.and_then(|()| match guard.as_mut() {
            Some(w) => w.commit().map(drop),
            None => Err(tantivy::TantivyError::InternalError(
                "the index writer could not be restarted".into(),
            )),
        });
        if let Err(e) = committed {
            self.recover_writer(guard);
            return Err(tantivy_err(e));
        }
        self.changes
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.reader.reload().map_err(tantivy_err)
    }

    /// After a failed commit: drop what the batch left pending, or, when the
    /// writer itself broke (e.g. disk full in an indexing thread), start a
    /// new one so the next batch can succeed once the cause is gone.
    fn recover_writer(&self, guard: &mut MutexGuard<'_, Option<IndexWriter>>) {
        if let Some(w) = guard.as_mut()
            && w.rollback().is_ok()
        {
            return;
        }
        // The old writer must be gone (its lock released) before a new one opens.
        drop(guard.take());
        match open_writer(&self.index) {
            Ok(w) => **guard = Some(w),
            Err(e) => tracing::error!("cannot restart the index writer: {e}"),
        }
    }

    /// The stored mention of a document, if any.
    pub fn mention(&self, doc_id: &str) -> Result<Option<Mention>> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.id, doc_id),
            IndexRecordOption::Basic,
        );
        let top = searcher
            .search(&q, &TopDocs::with_limit(1).order_by_score())
            .map_err(tantivy_err)?;
        match top.first() {
            Some((_, addr)) => {
                let doc: TantivyDocument = searcher.doc(*addr).map_err(tantivy_err)?;
                self.decode_hit(&doc).map(Some)
            }
            None => Ok(None),
        }
    }

    fn decode_hit(&self, doc: &TantivyDocument) -> Result<Mention> {
        let bytes = doc
            .get_first(self.fields.mention)
            .and_then(|v| v.as_bytes())
            .ok_or_else(|| StoreError::Index("a stored document lacks its mention".into()))?;
        record::decode(bytes)
            .map_err(|e| StoreError::Index(format!("a stored mention is unreadable: {e}")))
    }

    /// Mentions published in `[from, to)`, oldest first, from the state
    /// store's compact records (bodies cut to a few hundred characters).
    pub fn mentions_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Mention>> {
        if from >= to {
            return Ok(Vec::new());
        }
        let (lo, hi) = (time_key(from), time_key(to));
        let tx = self.db.begin_read().map_err(state::state_err)?;
        let table = tx.open_table(state::MENTIONS).map_err(state::state_err)?;
        let mut out = Vec::new();
        for entry in table
            .range(lo.as_str()..hi.as_str())
            .map_err(state::state_err)?
        {
            let (k, v) = entry.map_err(state::state_err)?;
            match record::decode(v.value()) {
                Ok(m) => out.push(m),
                // One unreadable record must not hide the window's others.
                Err(e) => tracing::warn!("skipping unreadable mention record {:?}: {e}", k.value()),
            }
        }
        Ok(out)
    }

    /// Every stored mention, full text included (from the index), handed to
    /// `f` in batches of up to `batch`; returns how many were handed over.
    /// The walk reads one snapshot, so `f` may write or delete mentions
    /// (e.g. `repmon rematch`) without disturbing it. An unreadable stored
    /// mention is skipped with a warning; an error from `f` stops the walk.
    pub fn for_each_mention(
        &self,
        batch: usize,
        mut f: impl FnMut(Vec<Mention>) -> Result<()>,
    ) -> Result<u64> {
        let searcher = self.reader.searcher();
        let mut batches = Batches::new(batch);
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc_id in segment.doc_ids_alive() {
                let addr = tantivy::DocAddress::new(ord as u32, doc_id);
                let doc: TantivyDocument = searcher.doc(addr).map_err(tantivy_err)?;
                match self.decode_hit(&doc) {
                    Ok(m) => batches.push(m, &mut f)?,
                    Err(e) => tracing::warn!("skipping a stored mention: {e}"),
                }
            }
        }
        batches.finish(&mut f)
    }

    /// Removes the documents with these ids from the index and the state
    /// store in one commit (e.g. ones that no longer name any company);
    /// returns how many were stored. Unknown ids are ignored.
    pub fn delete_mentions(&self, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut guard = self.writer();
        let known = state::lookup_ids(&self.db, ids.iter().map(String::as_str))?;
        let gone: Vec<(&String, String)> = ids
            .iter()
            .zip(known)
            .filter_map(|(id, k)| k.map(|k| (id, k.time_key)))
            .collect();
        if gone.is_empty() {
            return Ok(0);
        }
        let writer = guard
            .as_mut()
            .ok_or_else(|| StoreError::Index("the index writer could not be restarted".into()))?;
        for (id, _) in &gone {
            writer.delete_term(Term::from_field_text(self.fields.id, id));
        }
        self.commit_index(&mut guard, Ok(()))?;
        let tx = self.db.begin_write().map_err(state::state_err)?;
        {
            let mut records = tx.open_table(state::MENTIONS).map_err(state::state_err)?;
            let mut id_table = tx
                .open_table(state::MENTION_IDS)
                .map_err(state::state_err)?;
            for (id, time_key) in &gone {
                let key = format!("{time_key}\0{id}");
                records.remove(key.as_str()).map_err(state::state_err)?;
                id_table
                    .remove(String::as_str(id))
                    .map_err(state::state_err)?;
            }
        }
        tx.commit().map_err(state::state_err)?;
        Ok(gone.len() as u64)
    }

    /// How many documents are stored.
    pub fn mention_count(&self) -> Result<u64> {
        Ok(self.reader.searcher().num_docs())
    }

    /// How many times this process changed the stored mentions (a batch
    /// that added or updated some, a deletion). Unlike the count, an edited
    /// post moves it: what was computed from the mentions before is stale.
    pub fn change_count(&self) -> u64 {
        self.changes.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Full-text search with filters; a malformed `q` is [`StoreError::Query`].
    ///
    /// Words in `q` are combined with AND unless OR is written; `since` is
    /// inclusive and so is `until`. `limit` is clamped to `1..=500`.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        let f = &self.fields;
        let user = self.parse(&query.q)?;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(u) = &user {
            clauses.push((Occur::Must, u.box_clone()));
        }
        let term = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, &value.to_lowercase()),
                IndexRecordOption::Basic,
            ))
        };
        match (&query.company, query.sentiment) {
            (Some(c), Some(s)) => {
                clauses.push((Occur::Must, term(f.company_sentiment, &format!("{c}:{s}"))))
            }
            (Some(c), None) => clauses.push((Occur::Must, term(f.company, c))),
            (None, Some(s)) => clauses.push((Occur::Must, term(f.sentiment, s.as_str()))),
            (None, None) => {}
        }
        if let Some(s) = &query.source {
            clauses.push((Occur::Must, term(f.source, s)));
        }
        if let Some(k) = query.kind {
            clauses.push((Occur::Must, term(f.kind, k.as_str())));
        }
        if query.since.is_some() || query.until.is_some() {
            let bound = |t: Option<DateTime<Utc>>, inclusive: fn(Term) -> Bound<Term>| match t {
                Some(t) => inclusive(Term::from_field_date(f.published, index::to_date(t))),
                None => Bound::Unbounded,
            };
            clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    bound(query.since, Bound::Included),
                    bound(query.until, Bound::Included),
                )),
            ));
        }
        let combined: Box<dyn Query> = match clauses.len() {
            0 => Box::new(AllQuery),
            1 => clauses
                .pop()
                .map(|(_, q)| q)
                .unwrap_or_else(|| Box::new(AllQuery)),
            _ => Box::new(BooleanQuery::new(clauses)),
        };

        let limit = query.limit.clamp(1, MAX_LIMIT);
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(limit)
            .and_offset(query.offset)
            .order_by_fast_field::<tantivy::DateTime>("published", Order::Desc);
        let (total, docs) = searcher
            .search(&*combined, &(Count, top))
            .map_err(tantivy_err)?;

        let generator = match &user {
            Some(u) => {
                let mut g =
                    SnippetGenerator::create(&searcher, &**u, f.body).map_err(tantivy_err)?;
                g.set_max_num_chars(SNIPPET_CHARS);
                Some(g)
            }
            None => None,
        };
        let names = self.company_terms.read().unwrap_or_else(|p| p.into_inner());
        let mut hits = Vec::with_capacity(docs.len());
        for (_, addr) in docs {
            let doc: TantivyDocument = searcher.doc(addr).map_err(tantivy_err)?;
            let mention = self.decode_hit(&doc)?;
            let snippet = generator
                .as_ref()
                .map(|g| g.snippet(&mention.doc.body))
                .filter(|s| !s.is_empty())
                .map(|s| s.to_html())
                .unwrap_or_else(|| {
                    let mut terms: Vec<&str> = Vec::new();
                    for c in &mention.companies {
                        match names.get(&c.company) {
                            Some(t) if !t.is_empty() => terms.extend(t.iter().map(String::as_str)),
                            _ => terms.push(&c.company),
                        }
                    }
                    text::company_snippet(&mention.doc.body, &terms, SNIPPET_CHARS)
                });
            hits.push(SearchHit { mention, snippet });
        }
        Ok(SearchPage { total, hits })
    }

    /// The parsed full-text part of a search; `None` when there is none.
    fn parse(&self, q: &str) -> Result<Option<Box<dyn Query>>> {
        let q = q.trim();
        if q.is_empty() || q == "*" {
            return Ok(None);
        }
        match self.parser.parse_query(q) {
            Ok(parsed) => Ok(Some(complete_negations(parsed))),
            // "-spam" or "NOT spam" alone means: everything but spam.
            Err(tantivy::query::QueryParserError::AllButQueryForbidden) => {
                let negated = self.parser.parse_query(&format!("* AND ({q})"));
                negated
                    .map(|p| Some(complete_negations(p)))
                    .map_err(|e| StoreError::Query(e.to_string()))
            }
            Err(e) => Err(StoreError::Query(e.to_string())),
        }
    }

    /// Reads one value from a state table.
    pub fn get<T: DeserializeOwned>(&self, table: Table, key: &str) -> Result<Option<T>> {
        let tx = self.db.begin_read().map_err(state::state_err)?;
        let t = tx
            .open_table(state::definition(table))
            .map_err(state::state_err)?;
        match t.get(key).map_err(state::state_err)? {
            Some(v) => decode_value(table, key, v.value()).map(Some),
            None => Ok(None),
        }
    }

    /// Writes one value to a state table (durably committed on return).
    pub fn put<T: Serialize>(&self, table: Table, key: &str, value: &T) -> Result<()> {
        let json = serde_json::to_vec(value).map_err(state::state_err)?;
        let tx = self.db.begin_write().map_err(state::state_err)?;
        {
            let mut t = tx
                .open_table(state::definition(table))
                .map_err(state::state_err)?;
            t.insert(key, json.as_slice()).map_err(state::state_err)?;
        }
        tx.commit().map_err(state::state_err)
    }

    /// Removes one key from a state table (no error when it is absent).
    pub fn delete(&self, table: Table, key: &str) -> Result<()> {
        let tx = self.db.begin_write().map_err(state::state_err)?;
        {
            let mut t = tx
                .open_table(state::definition(table))
                .map_err(state::state_err)?;
            t.remove(key).map_err(state::state_err)?;
        }
        tx.commit().map_err(state::state_err)
    }

    /// Removes every key of `table` in `[from, to)` (either bound open when `None`)
    /// in one transaction; returns how many went.
    pub fn delete_range(
        &self,
        table: Table,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<usize> {
        let tx = self.db.begin_write().map_err(state::state_err)?;
        let mut removed = 0;
        {
            let mut t = tx
                .open_table(state::definition(table))
                .map_err(state::state_err)?;
            let range = (
                from.map_or(Bound::Unbounded, Bound::Included),
                to.map_or(Bound::Unbounded, Bound::Excluded),
            );
            t.retain_in::<&str, _>(range, |_, _| {
                removed += 1;
                false
            })
            .map_err(state::state_err)?;
        }
        tx.commit().map_err(state::state_err)?;
        Ok(removed)
    }

    /// All entries with keys in `[from, to)` (either bound open when `None`), in key order.
    pub fn range<T: DeserializeOwned>(
        &self,
        table: Table,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<(String, T)>> {
        let tx = self.db.begin_read().map_err(state::state_err)?;
        let t = tx
            .open_table(state::definition(table))
            .map_err(state::state_err)?;
        let range = (
            from.map_or(Bound::Unbounded, Bound::Included),
            to.map_or(Bound::Unbounded, Bound::Excluded),
        );
        if let (Bound::Included(a), Bound::Excluded(b)) = range
            && a >= b
        {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for entry in t.range::<&str>(range).map_err(state::state_err)? {
            let (k, v) = entry.map_err(state::state_err)?;
            out.push((
                k.value().to_owned(),
                decode_value(table, k.value(), v.value())?,
            ));
        }
        Ok(out)
    }

    /// The keys of `table` in `[from, to)` (either bound open when `None`), in
    /// order, without reading the values (e.g. to prune snapshots).
    pub fn keys(&self, table: Table, from: Option<&str>, to: Option<&str>) -> Result<Vec<String>> {
        let tx = self.db.begin_read().map_err(state::state_err)?;
        let t = tx
            .open_table(state::definition(table))
            .map_err(state::state_err)?;
        if let (Some(a), Some(b)) = (from, to)
            && a >= b
        {
            return Ok(Vec::new());
        }
        let range = (
            from.map_or(Bound::Unbounded, Bound::Included),
            to.map_or(Bound::Unbounded, Bound::Excluded),
        );
        let mut out = Vec::new();
        for entry in t.range::<&str>(range).map_err(state::state_err)? {
            let (k, _) = entry.map_err(state::state_err)?;
            out.push(k.value().to_owned());
        }
        Ok(out)
    }

    /// Removes the given keys from a state table in one transaction.
    pub fn delete_keys(&self, table: Table, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(state::state_err)?;
        {
            let mut t = tx
                .open_table(state::definition(table))
                .map_err(state::state_err)?;
            for k in keys {
                t.remove(k.as_str()).map_err(state::state_err)?;
            }
        }
        tx.commit().map_err(state::state_err)
    }

    /// The last entry with a key `<= key`, if any (e.g. the snapshot as it stood at a time).
    pub fn last_at_or_before<T: DeserializeOwned>(
        &self,
        table: Table,
        key: &str,
    ) -> Result<Option<(String, T)>> {
        let tx = self.db.begin_read().map_err(state::state_err)?;
        let t = tx
            .open_table(state::definition(table))
            .map_err(state::state_err)?;
        let mut range = t.range::<&str>(..=key).map_err(state::state_err)?;
        match range.next_back() {
            Some(entry) => {
                let (k, v) = entry.map_err(state::state_err)?;
                Ok(Some((
                    k.value().to_owned(),
                    decode_value(table, k.value(), v.value())?,
                )))
            }
            None => Ok(None),
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Let running merges finish so the next open finds a tidy index.
        if let Some(w) = self.writer().take()
            && let Err(e) = w.wait_merging_threads()
        {
            tracing::warn!("index merge at shutdown failed: {e}");
        }
    }
}

/// The parser turns "a AND NOT b" into `a` plus a group holding only
/// "not b", and a group of exclusions alone matches nothing in tantivy. Such
/// a group means "everything except", so give it the everything.
fn complete_negations(query: Box<dyn Query>) -> Box<dyn Query> {
    let Some(boolean) = query.downcast_ref::<BooleanQuery>() else {
        return query;
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = boolean
        .clauses()
        .iter()
        .map(|(occur, q)| (*occur, complete_negations(q.box_clone())))
        .collect();
    if !clauses.is_empty() && clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses,
        boolean.get_minimum_number_should_match(),
    ))
}

/// The index writer, with one indexing thread: every batch commits, and
/// each thread turns its share of a batch into a segment of its own, with a
/// fixed cost (term hash table, term dictionaries) and later merges. With
/// batches of ~1,000 mentions a second thread cost 17% more instructions
/// and saved no time on two busy cores (callgrind and `cargo bench`).
fn open_writer(index: &Index) -> tantivy::Result<IndexWriter> {
    index.writer_with_num_threads(1, WRITER_MEMORY)
}

fn decode_value<T: DeserializeOwned>(table: Table, key: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::State(format!("{table:?} entry {key:?} is unreadable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use redb::{ReadableTable, ReadableTableMetadata};
    use repmon_model::{CompanyMention, Document};

    fn mention(id: &str, minutes: i64, title: &str, body: &str) -> Mention {
        let t = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap() + Duration::minutes(minutes);
        Mention {
            doc: Document {
                id: id.into(),
                source: "forum".into(),
                kind: SourceKind::Html,
                url: format!("https://forum.example/{id}"),
                title: title.into(),
                body: body.into(),
                author: Some("Jan".into()),
                published: t,
                first_seen: t,
                lang_hint: None,
                thread: Some("https://forum.example/t".into()),
                in_reply_to: None,
                position: Some(3),
                rating: None,
                about: None,
            },
            lang: "nl".into(),
            companies: vec![CompanyMention {
                company: "zon".into(),
                sentiment: Sentiment::Negative,
                score: -0.5,
                owned: false,
                terms: vec!["storing".into()],
            }],
        }
    }

    /// Stores a batch as repmon did before binary records: the mention as
    /// JSON in the index and in the state store's window records.
    fn write_as_json(store: &Store, batch: &[Mention]) {
        let mut guard = store.writer();
        let writer = guard.as_mut().unwrap();
        for m in batch {
            let json = serde_json::to_vec(m).unwrap();
            writer
                .add_document(index::document(&store.fields, m, &json))
                .unwrap();
        }
        writer.commit().unwrap();
        drop(guard);
        let tx = store.db.begin_write().unwrap();
        {
            let mut records = tx.open_table(state::MENTIONS).unwrap();
            let mut ids = tx.open_table(state::MENTION_IDS).unwrap();
            let mut id_value = Vec::new();
            for m in batch {
                let tk = time_key(m.doc.published);
                let mut short = m.clone();
                short.doc.body = text::cut(&m.doc.body, COMPACT_BODY_CHARS).to_owned();
                let key = format!("{tk}\0{}", m.doc.id);
                records
                    .insert(key.as_str(), serde_json::to_vec(&short).unwrap().as_slice())
                    .unwrap();
                state::encode_id(text::content_hash(m), &tk, &mut id_value);
                ids.insert(m.doc.id.as_str(), id_value.as_slice()).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    /// The first byte of every window record, in key order.
    fn record_formats(store: &Store) -> Vec<u8> {
        let tx = store.db.begin_read().unwrap();
        let table = tx.open_table(state::MENTIONS).unwrap();
        assert!(table.len().unwrap() > 0);
        table
            .iter()
            .unwrap()
            .map(|e| e.unwrap().1.value()[0])
            .collect()
    }

    #[test]
    fn a_data_dir_written_with_json_records_reads_and_updates_through_the_new_code() {
        let dir = tempfile::tempdir().unwrap();
        let long = "storing bij Zon ".repeat(60);
        let docs = vec![
            mention("a", 0, "Zon storing", &long),
            mention("b", 1, "Zon wifi", "wifi van Zon ligt eruit"),
            mention("c", 2, "Zon app", "de app van Zon crasht"),
        ];
        {
            let store = Store::open(dir.path()).unwrap();
            write_as_json(&store, &docs);
            assert_eq!(record_formats(&store), [b'{'; 3]);
        }
        // Reopened, as an upgraded repmon would find it.
        let store = Store::open(dir.path()).unwrap();
        let (from, to) = (
            docs[0].doc.published,
            docs[2].doc.published + Duration::minutes(1),
        );
        let window = store.mentions_between(from, to).unwrap();
        assert_eq!(window.len(), 3);
        assert_eq!(window[1..], docs[1..]);
        assert!(long.starts_with(&window[0].doc.body) && window[0].doc.body.len() < long.len());
        assert_eq!(store.mention("a").unwrap().unwrap(), docs[0]);
        let page = store
            .search(&SearchQuery {
                q: "crasht".into(),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.hits[0].mention, docs[2]);

        // The content hash is the same as before: unchanged stays unchanged,
        // and an update replaces the JSON record with a binary one.
        let mut changed = docs[1].clone();
        changed.doc.title = "Zon wifi weer terug".into();
        let stats = store
            .write_mentions(&[docs[0].clone(), changed.clone()])
            .unwrap();
        assert_eq!((stats.unchanged, stats.updated, stats.added), (1, 1, 0));
        let window = store.mentions_between(from, to).unwrap();
        assert_eq!(window.len(), 3);
        assert_eq!(window[1], changed);
        assert_eq!(record_formats(&store), [b'{', 1, b'{']);
        assert_eq!(store.mention("b").unwrap().unwrap(), changed);
        let mut walked = Vec::new();
        store
            .for_each_mention(2, |batch| {
                walked.extend(batch);
                Ok(())
            })
            .unwrap();
        walked.sort_by(|x, y| x.doc.id.cmp(&y.doc.id));
        assert_eq!(walked, [docs[0].clone(), changed, docs[2].clone()]);
    }
}
