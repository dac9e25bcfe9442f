//! The stored form of a mention: a small binary layout, in the index's stored
//! field and in the state store's window records.
//!
//! Why not JSON: every re-rank decodes the window's records, and JSON spent
//! ~10 µs on each (escapes, field names, dates as text). This layout is
//! length-prefixed fields in a fixed order, so decoding is bounds checks,
//! UTF-8 checks and the copies into the owned `Mention`.
//!
//! Layout, version 1 (after the format byte [`FORMAT_V1`]): the document's
//! fields in declaration order, then `lang`, then the companies. Strings are
//! a varint byte length and UTF-8 bytes; an `Option` is a byte 0/1 and the
//! value; times are seconds (i64 LE) and nanoseconds (u32 LE); floats are
//! f32 LE; enums are one byte in their declaration order; counts are varints.
//!
//! Records written before this layout are JSON objects, whose first byte is
//! `{`; [`decode`] reads both, so existing data directories stay readable and
//! are rewritten in the new layout as their mentions change.

use chrono::{DateTime, Utc};
use repmon_model::{CompanyMention, Document, Mention, Sentiment, SourceKind};

/// The first byte of a version-1 record. JSON records start with `{` (0x7b).
const FORMAT_V1: u8 = 1;

/// Why a stored record could not be read.
#[derive(Debug)]
pub(crate) struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Appends the record of `m` to `out`, with the body replaced by `body`
/// (the state store keeps a cut body; the index keeps the whole one).
pub(crate) fn encode(m: &Mention, body: &str, out: &mut Vec<u8>) {
    let Mention {
        doc,
        lang,
        companies,
    } = m;
    put_document(doc, body, out);
    put_str(out, lang);
    put_varint(out, companies.len() as u64);
    for c in companies {
        let CompanyMention {
            company,
            sentiment,
            score,
            owned,
            terms,
        } = c;
        put_str(out, company);
        out.push(sentiment_byte(*sentiment));
        out.extend_from_slice(&score.to_le_bytes());
        out.push(u8::from(*owned));
        put_varint(out, terms.len() as u64);
        for t in terms {
            put_str(out, t);
        }
    }
}

/// Appends the record of a document that makes no mention: the layout of a
/// mention with no language and no companies, so [`decode`] reads it.
pub(crate) fn encode_document(doc: &Document, out: &mut Vec<u8>) {
    put_document(doc, &doc.body, out);
    put_str(out, "");
    put_varint(out, 0);
}

/// The format byte and the document's fields.
fn put_document(doc: &Document, body: &str, out: &mut Vec<u8>) {
    // Destructured in full, so a field added to the model fails to compile
    // here until the layout (and its version) says how to store it.
    let Document {
        id,
        source,
        kind,
        url,
        title,
        body: _,
        author,
        published,
        first_seen,
        lang_hint,
        thread,
        in_reply_to,
        position,
        rating,
        about,
    } = doc;
    out.push(FORMAT_V1);
    put_str(out, id);
    put_str(out, source);
    out.push(kind_byte(*kind));
    put_str(out, url);
    put_str(out, title);
    put_str(out, body);
    put_opt_str(out, author.as_deref());
    put_time(out, published);
    put_time(out, first_seen);
    put_opt_str(out, lang_hint.as_deref());
    put_opt_str(out, thread.as_deref());
    put_opt_str(out, in_reply_to.as_deref());
    match position {
        Some(p) => {
            out.push(1);
            out.extend_from_slice(&p.to_le_bytes());
        }
        None => out.push(0),
    }
    match rating {
        Some(r) => {
            out.push(1);
            out.extend_from_slice(&r.to_le_bytes());
        }
        None => out.push(0),
    }
    put_opt_str(out, about.as_deref());
}

/// Reads a record in either layout: binary (by its format byte) or the JSON
/// of earlier versions.
pub(crate) fn decode(bytes: &[u8]) -> Result<Mention, Unreadable> {
    match bytes.first() {
        Some(&FORMAT_V1) => Reader { rest: &bytes[1..] }.mention(),
        Some(b'{') => serde_json::from_slice(bytes).map_err(|e| Unreadable(e.to_string())),
        Some(b) => Err(Unreadable(format!("unknown record format {b:#04x}"))),
        None => Err(Unreadable("empty record".into())),
    }
}

fn kind_byte(k: SourceKind) -> u8 {
    match k {
        SourceKind::Feed => 0,
        SourceKind::Html => 1,
        SourceKind::Reviews => 2,
        SourceKind::Mastodon => 3,
    }
}

fn sentiment_byte(s: Sentiment) -> u8 {
    match s {
        Sentiment::Positive => 0,
        Sentiment::Negative => 1,
        Sentiment::Neutral => 2,
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
        None => out.push(0),
    }
}

fn put_time(out: &mut Vec<u8>, t: &DateTime<Utc>) {
    out.extend_from_slice(&t.timestamp().to_le_bytes());
    out.extend_from_slice(&t.timestamp_subsec_nanos().to_le_bytes());
}

/// The unread part of a record; every read checks its bounds, so a cut or
/// damaged record is an error, never a panic.
struct Reader<'a> {
    rest: &'a [u8],
}

fn truncated() -> Unreadable {
    Unreadable("record ends early".into())
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], Unreadable> {
        if n > self.rest.len() {
            return Err(truncated());
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Unreadable> {
        let mut a = [0; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    fn byte(&mut self) -> Result<u8, Unreadable> {
        Ok(self.array::<1>()?[0])
    }

    fn varint(&mut self) -> Result<u64, Unreadable> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err(Unreadable("a length is too long".into()))
    }

    /// A count of items that each take at least one byte, so a damaged
    /// count cannot ask for more memory than the record could fill.
    fn count(&mut self) -> Result<usize, Unreadable> {
        let n = self.varint()?;
        if n > self.rest.len() as u64 {
            return Err(truncated());
        }
        Ok(n as usize)
    }

    fn str(&mut self) -> Result<&'a str, Unreadable> {
        let n = self.count()?;
        std::str::from_utf8(self.bytes(n)?)
            .map_err(|_| Unreadable("a text field is not UTF-8".into()))
    }

    fn string(&mut self) -> Result<String, Unreadable> {
        self.str().map(str::to_owned)
    }

    fn present(&mut self) -> Result<bool, Unreadable> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Unreadable(format!("bad option tag {b}"))),
        }
    }

    fn opt_string(&mut self) -> Result<Option<String>, Unreadable> {
        Ok(if self.present()? {
            Some(self.string()?)
        } else {
            None
        })
    }

    fn time(&mut self) -> Result<DateTime<Utc>, Unreadable> {
        let secs = i64::from_le_bytes(self.array()?);
        let nanos = u32::from_le_bytes(self.array()?);
        DateTime::from_timestamp(secs, nanos)
            .ok_or_else(|| Unreadable("a time is out of range".into()))
    }

    fn mention(mut self) -> Result<Mention, Unreadable> {
        let id = self.string()?;
        let source = self.string()?;
        let kind = match self.byte()? {
            0 => SourceKind::Feed,
            1 => SourceKind::Html,
            2 => SourceKind::Reviews,
            3 => SourceKind::Mastodon,
            b => return Err(Unreadable(format!("unknown source kind {b}"))),
        };
        let url = self.string()?;
        let title = self.string()?;
        let body = self.string()?;
        let author = self.opt_string()?;
        let published = self.time()?;
        let first_seen = self.time()?;
        let lang_hint = self.opt_string()?;
        let thread = self.opt_string()?;
        let in_reply_to = self.opt_string()?;
        let position = if self.present()? {
            Some(u32::from_le_bytes(self.array()?))
        } else {
            None
        };
        let rating = if self.present()? {
            Some(f32::from_le_bytes(self.array()?))
        } else {
            None
        };
        let about = self.opt_string()?;
        let lang = self.string()?;
        let n = self.count()?;
        let mut companies = Vec::with_capacity(n);
        for _ in 0..n {
            let company = self.string()?;
            let sentiment = match self.byte()? {
                0 => Sentiment::Positive,
                1 => Sentiment::Negative,
                2 => Sentiment::Neutral,
                b => return Err(Unreadable(format!("unknown sentiment {b}"))),
            };
            let score = f32::from_le_bytes(self.array()?);
            let owned = self.present()?;
            let t = self.count()?;
            let mut terms = Vec::with_capacity(t);
            for _ in 0..t {
                terms.push(self.string()?);
            }
            companies.push(CompanyMention {
                company,
                sentiment,
                score,
                owned,
                terms,
            });
        }
        if !self.rest.is_empty() {
            return Err(Unreadable("trailing bytes after the record".into()));
        }
        Ok(Mention {
            doc: Document {
                id,
                source,
                kind,
                url,
                title,
                body,
                author,
                published,
                first_seen,
                lang_hint,
                thread,
                in_reply_to,
                position,
                rating,
                about,
            },
            lang,
            companies,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn full() -> Mention {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        Mention {
            doc: Document {
                id: "https://forum.example/t/1#p2".into(),
                source: "forum".into(),
                kind: SourceKind::Reviews,
                url: "https://forum.example/t/1".into(),
                title: "Storing \"wifi\" <b>".into(),
                body: "Zon's app crasht — ideeën? 🙂\n\u{0}".into(),
                author: Some("Jan".into()),
                published: t,
                first_seen: t + chrono::Duration::seconds(90),
                lang_hint: Some("nl".into()),
                thread: Some("https://forum.example/t/1".into()),
                in_reply_to: Some("https://forum.example/t/1#p1".into()),
                position: Some(2),
                rating: Some(1.5),
                about: Some("zon".into()),
            },
            lang: "nl".into(),
            companies: vec![
                CompanyMention {
                    company: "zon".into(),
                    sentiment: Sentiment::Negative,
                    score: -0.75,
                    owned: false,
                    terms: vec!["app".into(), "crasht".into()],
                },
                CompanyMention {
                    company: "golf".into(),
                    sentiment: Sentiment::Neutral,
                    score: 0.0,
                    owned: true,
                    terms: vec![],
                },
            ],
        }
    }

    fn bare() -> Mention {
        let mut m = full();
        let d = &mut m.doc;
        (d.author, d.lang_hint, d.thread, d.in_reply_to) = (None, None, None, None);
        (d.position, d.rating, d.about) = (None, None, None);
        m.doc.kind = SourceKind::Mastodon;
        m.companies[0].sentiment = Sentiment::Positive;
        m
    }

    #[test]
    fn every_field_survives_the_round_trip() {
        for m in [full(), bare()] {
            let mut out = Vec::new();
            encode(&m, &m.doc.body, &mut out);
            assert_eq!(out[0], FORMAT_V1);
            assert_eq!(decode(&out).unwrap(), m);
        }
    }

    #[test]
    fn the_body_written_is_the_one_given() {
        let m = full();
        let mut out = Vec::new();
        encode(&m, "Zon's app", &mut out);
        assert_eq!(decode(&out).unwrap().doc.body, "Zon's app");
    }

    #[test]
    fn json_records_of_earlier_versions_still_read() {
        let m = full();
        let json = serde_json::to_vec(&m).unwrap();
        assert_eq!(decode(&json).unwrap(), m);
    }

    #[test]
    fn damaged_records_are_errors_not_panics() {
        let m = full();
        let mut out = Vec::new();
        encode(&m, &m.doc.body, &mut out);
        // Every cut of the record fails cleanly.
        for end in 0..out.len() {
            assert!(decode(&out[..end]).is_err(), "cut at {end} decoded");
        }
        // Every single damaged byte either fails or decodes to something, never panics.
        for i in 0..out.len() {
            let mut bad = out.clone();
            bad[i] ^= 0xff;
            let _ = decode(&bad);
        }
        let mut long = out.clone();
        long.push(0);
        assert!(decode(&long).is_err());
        assert!(decode(&[9, 1, 2]).is_err());
        assert!(decode(b"{not json").is_err());
    }
}
