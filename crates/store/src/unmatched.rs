//! Documents that name no tracked company, kept for a while (`[store]
//! keep_unmatched`) so that `repmon rematch` can find a company added or
//! widened later in what was already fetched. Polling again would not bring
//! them back: feeds and timelines drop old items.
//!
//! They live in the state store only, compressed (lz4 roughly halves text and
//! costs little): nothing searches them, and only a rematch reads them. A
//! document is either a mention or kept here, never both: storing its
//! mention takes it out of here.

use crate::state::{self, MENTION_IDS, UNMATCHED, UNMATCHED_IDS, decode_id, encode_id, state_err};
use crate::{Batches, Result, Store, dated_when_first_seen, last_versions, record, text, time_key};
use chrono::{DateTime, Datelike as _, Utc};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use repmon_model::Document;
use std::borrow::Cow;

/// LZ4 cannot expand data more than about 255 times; a record that claims
/// more is damaged, and must not make us allocate what it claims.
const MAX_EXPANSION: usize = 255;

fn compress(record: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress_prepend_size(record)
}

fn decompress(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let claimed = bytes
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or("record ends early")?;
    if claimed > bytes.len().saturating_mul(MAX_EXPANSION) {
        return Err(format!(
            "record claims {claimed} bytes, more than it can hold"
        ));
    }
    lz4_flex::block::decompress_size_prepended(bytes).map_err(|e| e.to_string())
}

fn key(time_key: &str, id: &str) -> String {
    format!("{time_key}\0{id}")
}

/// Removes a kept document, if it is kept (its mention is being stored).
pub(crate) fn forget(
    records: &mut redb::Table<&str, &[u8]>,
    ids: &mut redb::Table<&str, &[u8]>,
    id: &str,
) -> Result<()> {
    let old = ids
        .remove(id)
        .map_err(state_err)?
        .and_then(|v| decode_id(v.value()));
    if let Some(old) = old {
        records
            .remove(key(&old.time_key, id).as_str())
            .map_err(state_err)?;
    }
    Ok(())
}

impl Store {
    /// Keeps documents that make no mention, so a later rematch can look at
    /// them again. Skipped: documents published before `since` (older than
    /// `keep_unmatched`), ones already kept with the same content, and ones
    /// stored as mentions (their mention holds them; see
    /// [`Store::demote_mentions`]). Returns how many were written.
    pub fn keep_unmatched(&self, docs: &[Document], since: DateTime<Utc>) -> Result<usize> {
        self.keep(docs, since, true)
    }

    /// Moves stored mentions that name no company any more (after a rule
    /// change) to the kept documents, so widening the rules again finds them;
    /// returns how many mentions were removed. Documents published before
    /// `since` are not kept.
    pub fn demote_mentions(&self, docs: &[Document], since: DateTime<Utc>) -> Result<u64> {
        // Kept first: a crash in between leaves a document both kept and a
        // mention, which the next rematch settles; the other order could
        // lose it.
        self.keep(docs, since, false)?;
        let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        self.delete_mentions(&ids)
    }

    fn keep(&self, docs: &[Document], since: DateTime<Utc>, skip_mentions: bool) -> Result<usize> {
        // What to write, found in a read: a feed serves the same items poll
        // after poll, and a write transaction costs a sync to disk.
        let mut todo: Vec<(Cow<'_, Document>, u64, Option<String>)> = Vec::new();
        {
            let tx = self.db.begin_read().map_err(state_err)?;
            let kept = tx.open_table(UNMATCHED_IDS).map_err(state_err)?;
            let mentions = tx.open_table(MENTION_IDS).map_err(state_err)?;
            for d in last_versions(docs, |d| d) {
                if d.published < since {
                    continue;
                }
                if skip_mentions && mentions.get(d.id.as_str()).map_err(state_err)?.is_some() {
                    continue;
                }
                let old = kept
                    .get(d.id.as_str())
                    .map_err(state_err)?
                    .and_then(|v| decode_id(v.value()));
                let d = match old
                    .as_ref()
                    .and_then(|o| dated_when_first_seen(d, &o.time_key))
                {
                    Some(first) => Cow::Owned(first),
                    None => Cow::Borrowed(d),
                };
                let hash = text::document_hash(&d);
                match old {
                    Some(old) if old.hash == hash => {}
                    old => todo.push((d, hash, old.map(|o| o.time_key))),
                }
            }
        }
        if todo.is_empty() {
            return Ok(0);
        }
        let tx = self.db.begin_write().map_err(state_err)?;
        {
            let mut records = tx.open_table(UNMATCHED).map_err(state_err)?;
            let mut ids = tx.open_table(UNMATCHED_IDS).map_err(state_err)?;
            let (mut record, mut id_value) = (Vec::with_capacity(4096), Vec::new());
            for (d, hash, old_key) in &todo {
                if let Some(old) = old_key {
                    records
                        .remove(key(old, &d.id).as_str())
                        .map_err(state_err)?;
                }
                let tk = time_key(d.published);
                record.clear();
                record::encode_document(d, &mut record);
                records
                    .insert(key(&tk, &d.id).as_str(), compress(&record).as_slice())
                    .map_err(state_err)?;
                encode_id(*hash, &tk, &mut id_value);
                ids.insert(d.id.as_str(), id_value.as_slice())
                    .map_err(state_err)?;
            }
        }
        tx.commit().map_err(state_err)?;
        Ok(todo.len())
    }

    /// Every kept document, oldest first, handed to `f` in batches of up to
    /// `batch`; returns how many were handed over. The walk reads one
    /// snapshot, so `f` may store mentions (which takes their documents out
    /// of here) without disturbing it. An unreadable record is skipped with a
    /// warning; an error from `f` stops the walk.
    pub fn for_each_unmatched(
        &self,
        batch: usize,
        mut f: impl FnMut(Vec<Document>) -> Result<()>,
    ) -> Result<u64> {
        let tx = self.db.begin_read().map_err(state_err)?;
        let records = tx.open_table(UNMATCHED).map_err(state_err)?;
        let mut batches = Batches::new(batch);
        for entry in records.iter().map_err(state_err)? {
            let (k, v) = entry.map_err(state_err)?;
            let doc =
                decompress(v.value()).and_then(|r| record::decode(&r).map_err(|e| e.to_string()));
            match doc {
                Ok(m) => batches.push(m.doc, &mut f)?,
                Err(e) => tracing::warn!("skipping unreadable kept document {:?}: {e}", k.value()),
            }
        }
        batches.finish(&mut f)
    }

    /// How many documents without a mention are kept.
    pub fn unmatched_count(&self) -> Result<u64> {
        let tx = self.db.begin_read().map_err(state_err)?;
        let ids = tx.open_table(UNMATCHED_IDS).map_err(state_err)?;
        ids.len().map_err(state_err)
    }

    /// Forgets the kept documents published before `before`; returns how many.
    /// A `before` past the year 9999 (`keep_unmatched = "0s"`) forgets all.
    pub fn prune_unmatched(&self, before: DateTime<Utc>) -> Result<u64> {
        // Time keys sort as text only while years have four digits.
        let end = (before.year() <= 9999).then(|| time_key(before));
        let old: Vec<String> = {
            let tx = self.db.begin_read().map_err(state_err)?;
            let records = tx.open_table(UNMATCHED).map_err(state_err)?;
            let range = match &end {
                Some(end) => records.range(..end.as_str()),
                None => records.range::<&str>(..),
            };
            let mut keys = Vec::new();
            for entry in range.map_err(state_err)? {
                keys.push(entry.map_err(state_err)?.0.value().to_owned());
            }
            keys
        };
        if old.is_empty() {
            return Ok(0);
        }
        let tx = self.db.begin_write().map_err(state_err)?;
        {
            let mut records = tx.open_table(UNMATCHED).map_err(state_err)?;
            let mut ids = tx.open_table(UNMATCHED_IDS).map_err(state_err)?;
            for k in &old {
                records.remove(k.as_str()).map_err(state_err)?;
                if let Some((_, id)) = k.split_once('\0') {
                    ids.remove(id).map_err(state_err)?;
                }
            }
        }
        tx.commit().map_err(state::state_err)?;
        Ok(old.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_compressed_and_damage_is_an_error_not_an_allocation() {
        let text = "De trein reed niet en niemand wist waarom. ".repeat(100);
        let packed = compress(text.as_bytes());
        assert!(
            packed.len() * 4 < text.len(),
            "{} of {}",
            packed.len(),
            text.len()
        );
        assert_eq!(decompress(&packed).unwrap(), text.as_bytes());
        // A size claim no record of this length can hold is refused before
        // anything is allocated.
        let mut damaged = packed.clone();
        damaged[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(
            decompress(&damaged)
                .unwrap_err()
                .contains("more than it can hold")
        );
        assert!(decompress(&packed[..2]).is_err());
        assert!(decompress(&packed[..packed.len() / 2]).is_err());
    }
}
