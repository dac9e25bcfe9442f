//! Copies: one post reached under two ids (a syndicated copy, the same post
//! in a second feed under another URL). The first id stored keeps the
//! mention; later copies are remembered as its aliases and add nothing.
//!
//! The store does not compute fingerprints (the sources stage does); it keeps
//! them so that near ones are found in one read: a fingerprint is filed
//! under each of its four 16-bit bands, and two fingerprints at most three
//! bits apart share at least one band whole.

use crate::state::{self, ALIASES, FINGERPRINT_OF, FINGERPRINTS, MENTION_IDS, state_err};
use crate::{Result, Store};
use redb::{ReadableDatabase, ReadableTable};

/// What the store knows about an incoming document's id and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Neither its id nor its content is stored: a new mention.
    New,
    /// Its id is stored: an update of its own mention (changed or not).
    Stored {
        /// The fingerprint recorded for it, if any.
        fingerprint: Option<u64>,
    },
    /// Its content is stored under another id (the first one seen): a copy,
    /// which adds no mention.
    CopyOf(String),
}

/// Band `i` of a fingerprint as its 3-byte key prefix.
fn band_prefix(fingerprint: u64, i: u8) -> [u8; 3] {
    let band = (fingerprint >> (16 * u32::from(i))) as u16;
    let [hi, lo] = band.to_be_bytes();
    [i, hi, lo]
}

/// A fingerprint entry's value: the fingerprint and the source it came from.
fn decode_print(bytes: &[u8]) -> Option<(u64, &str)> {
    let fp = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    Some((fp, std::str::from_utf8(bytes.get(8..)?).ok()?))
}

impl Store {
    /// For each incoming `(id, source, fingerprint)`, in one read of the
    /// state store: whether the id is stored, else whether it is a known
    /// alias of a stored document, else whether a stored document from
    /// another source has a fingerprint within `max_distance` bits of it
    /// (`max_distance` at most 3: the band lookup finds no farther ones
    /// reliably).
    ///
    /// Copies are looked for in other sources only: within one source a
    /// near text is a forum reply quoting the post it answers, not a copy.
    /// A document removed since (e.g. by `rematch`) is no original any more:
    /// its copies count as new again.
    pub fn identify(
        &self,
        docs: &[(&str, &str, Option<u64>)],
        max_distance: u32,
    ) -> Result<Vec<Identity>> {
        let tx = self.db.begin_read().map_err(state_err)?;
        let ids = tx.open_table(MENTION_IDS).map_err(state_err)?;
        let prints = tx.open_table(FINGERPRINTS).map_err(state_err)?;
        let print_of = tx.open_table(FINGERPRINT_OF).map_err(state_err)?;
        let aliases = tx.open_table(ALIASES).map_err(state_err)?;
        let stored = |id: &str| -> Result<bool> { Ok(ids.get(id).map_err(state_err)?.is_some()) };

        let mut out = Vec::with_capacity(docs.len());
        'docs: for &(id, source, fingerprint) in docs {
            if stored(id)? {
                let fingerprint = print_of.get(id).map_err(state_err)?.map(|v| v.value());
                out.push(Identity::Stored { fingerprint });
                continue;
            }
            if let Some(first) = aliases.get(id).map_err(state_err)? {
                let first = first.value();
                if stored(first)? {
                    out.push(Identity::CopyOf(first.to_owned()));
                    continue;
                }
            }
            if let Some(fp) = fingerprint {
                for i in 0..4u8 {
                    let lo = band_prefix(fp, i);
                    // The next prefix: bands sort big endian, and i < 4 never overflows.
                    let next = (u32::from_be_bytes([0, lo[0], lo[1], lo[2]]) + 1).to_be_bytes();
                    let hi = [next[1], next[2], next[3]];
                    for entry in prints.range::<&[u8]>(&lo[..]..&hi[..]).map_err(state_err)? {
                        let (key, value) = entry.map_err(state_err)?;
                        let Some((theirs, their_source)) = decode_print(value.value()) else {
                            continue;
                        };
                        if (theirs ^ fp).count_ones() > max_distance || their_source == source {
                            continue;
                        }
                        let Ok(other) = std::str::from_utf8(&key.value()[3..]) else {
                            continue;
                        };
                        if other != id && stored(other)? {
                            out.push(Identity::CopyOf(other.to_owned()));
                            continue 'docs;
                        }
                    }
                }
            }
            out.push(Identity::New);
        }
        Ok(out)
    }

    /// Remembers, in one write, the fingerprints of stored documents as
    /// `(id, source, fingerprint)` (so later copies are found) and which ids
    /// are copies of which (so a copy seen again is known as one at once,
    /// even if its text changed).
    pub fn record_copies(
        &self,
        fingerprints: &[(&str, &str, u64)],
        aliases: &[(&str, &str)],
    ) -> Result<()> {
        if fingerprints.is_empty() && aliases.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(state_err)?;
        {
            let mut prints = tx.open_table(FINGERPRINTS).map_err(state_err)?;
            let mut print_of = tx.open_table(FINGERPRINT_OF).map_err(state_err)?;
            let mut alias_table = tx.open_table(ALIASES).map_err(state_err)?;
            let (mut key, mut value) = (Vec::new(), Vec::new());
            for &(id, source, fp) in fingerprints {
                // An edited post's old text is no original any more: drop
                // its bands, or a later copy of the old text would be taken
                // for a copy of the new one.
                let old = print_of.get(id).map_err(state_err)?.map(|v| v.value());
                if let Some(old) = old.filter(|&old| old != fp) {
                    for i in 0..4u8 {
                        key.clear();
                        key.extend_from_slice(&band_prefix(old, i));
                        key.extend_from_slice(id.as_bytes());
                        prints.remove(key.as_slice()).map_err(state_err)?;
                    }
                }
                value.clear();
                value.extend_from_slice(&fp.to_le_bytes());
                value.extend_from_slice(source.as_bytes());
                for i in 0..4u8 {
                    key.clear();
                    key.extend_from_slice(&band_prefix(fp, i));
                    key.extend_from_slice(id.as_bytes());
                    prints
                        .insert(key.as_slice(), value.as_slice())
                        .map_err(state_err)?;
                }
                print_of.insert(id, fp).map_err(state_err)?;
            }
            for &(copy, first) in aliases {
                alias_table.insert(copy, first).map_err(state_err)?;
            }
        }
        tx.commit().map_err(state::state_err)
    }
}
