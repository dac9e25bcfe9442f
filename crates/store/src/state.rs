//! The redb side: compact mention records for window scans, and the JSON
//! key/value tables.

use crate::{Result, StoreError, Table};
use redb::{ReadableDatabase, TableDefinition};

/// `time_key(published) + "\0" + id` → the mention as a binary record
/// (`record.rs`; older stores hold JSON, still read), so a window is one
/// range scan.
pub(crate) const MENTIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("mentions");
/// `id` → content hash (8 bytes, little endian) + the time key its record is under.
pub(crate) const MENTION_IDS: TableDefinition<&str, &[u8]> = TableDefinition::new("mention_ids");
/// `band number (1 byte) + band (2 bytes, big endian) + id` → the document's
/// content fingerprint (8 bytes, little endian) + its source id: four keys
/// per fingerprint, so near ones are found by exact band lookups.
pub(crate) const FINGERPRINTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("fingerprints");
/// `id` → the fingerprint recorded for it last, so an unchanged document is
/// not recorded again.
pub(crate) const FINGERPRINT_OF: TableDefinition<&str, u64> =
    TableDefinition::new("fingerprint_of");
/// `id` of a copy → `id` of the document first stored with that content.
pub(crate) const ALIASES: TableDefinition<&str, &str> = TableDefinition::new("aliases");
/// `time_key(published) + "\0" + id` → a document that makes no mention, as
/// an lz4-compressed record (`unmatched.rs`).
pub(crate) const UNMATCHED: TableDefinition<&str, &[u8]> = TableDefinition::new("unmatched");
/// `id` → content hash + time key of a kept document, as in [`MENTION_IDS`].
pub(crate) const UNMATCHED_IDS: TableDefinition<&str, &[u8]> =
    TableDefinition::new("unmatched_ids");

pub(crate) fn definition(table: Table) -> TableDefinition<'static, &'static str, &'static [u8]> {
    match table {
        Table::Sources => TableDefinition::new("sources"),
        Table::Snapshots => TableDefinition::new("snapshots"),
        Table::Outbox => TableDefinition::new("outbox"),
        Table::Alerts => TableDefinition::new("alerts"),
        Table::Meta => TableDefinition::new("meta"),
    }
}

pub(crate) const ALL_TABLES: [Table; 5] = [
    Table::Sources,
    Table::Snapshots,
    Table::Outbox,
    Table::Alerts,
    Table::Meta,
];

pub(crate) fn state_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::State(e.to_string())
}

/// Creates every table once, so readers never meet a missing one.
pub(crate) fn create_tables(db: &redb::Database) -> Result<()> {
    let tx = db.begin_write().map_err(state_err)?;
    tx.open_table(MENTIONS).map_err(state_err)?;
    tx.open_table(MENTION_IDS).map_err(state_err)?;
    tx.open_table(FINGERPRINTS).map_err(state_err)?;
    tx.open_table(FINGERPRINT_OF).map_err(state_err)?;
    tx.open_table(ALIASES).map_err(state_err)?;
    tx.open_table(UNMATCHED).map_err(state_err)?;
    tx.open_table(UNMATCHED_IDS).map_err(state_err)?;
    for t in ALL_TABLES {
        tx.open_table(definition(t)).map_err(state_err)?;
    }
    tx.commit().map_err(state_err)
}

/// What the id table says about a stored mention.
pub(crate) struct StoredId {
    pub hash: u64,
    pub time_key: String,
}

pub(crate) fn encode_id(hash: u64, time_key: &str, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&hash.to_le_bytes());
    out.extend_from_slice(time_key.as_bytes());
}

pub(crate) fn decode_id(bytes: &[u8]) -> Option<StoredId> {
    let hash = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    let time_key = std::str::from_utf8(bytes.get(8..)?).ok()?.to_owned();
    Some(StoredId { hash, time_key })
}

pub(crate) fn lookup_ids<'a>(
    db: &redb::Database,
    ids: impl Iterator<Item = &'a str>,
) -> Result<Vec<Option<StoredId>>> {
    let tx = db.begin_read().map_err(state_err)?;
    let table = tx.open_table(MENTION_IDS).map_err(state_err)?;
    let mut out = Vec::new();
    for id in ids {
        let found = table.get(id).map_err(state_err)?;
        out.push(found.and_then(|v| decode_id(v.value())));
    }
    Ok(out)
}
