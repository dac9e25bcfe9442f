//! Normalising and tokenising text: the one place that decides what a
//! "word", a "clause" and a "stop word" are, so matching, sentiment and terms
//! agree with each other.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A small multiply-rotate hasher for short string keys. The lexicon and
/// stop-word lookups run for every word of every document; SipHash's DoS
/// resistance buys nothing there because the keys are our own lexicon, and it
/// costs a good part of the scoring time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }

    /// A hash of a [`short_key`] and its string's length; its top bits are
    /// the best mixed.
    #[inline]
    pub(crate) fn of_short_key(key: &[u64; 3], len: usize) -> u64 {
        let mut h = FastHasher(len as u64);
        h.add(key[0]);
        // Most words fill only the first word: one round for the rest.
        h.add(key[1] ^ key[2].rotate_left(32));
        h.0
    }
}

/// The longest string [`short_key`] takes.
pub(crate) const SHORT_KEY: usize = 24;

/// A string of at most [`SHORT_KEY`] bytes as three 64-bit words, read in
/// place (no copy into a zeroed buffer): two strings of one length are
/// equal exactly when their keys are. For a memory of words that compares
/// a word with three integer comparisons.
#[inline]
pub(crate) fn short_key(b: &[u8]) -> Option<[u64; 3]> {
    let word = |i: usize| {
        b.get(i..)
            .and_then(<[u8]>::first_chunk::<8>)
            .map_or(0, |c| u64::from_le_bytes(*c))
    };
    let tail_from = |i: usize| b.get(i..).map_or(0, tail);
    match b.len() {
        0..=8 => Some([tail_from(0), 0, 0]),
        9..=16 => Some([word(0), tail_from(8), 0]),
        17..=SHORT_KEY => Some([word(0), word(8), tail_from(16)]),
        _ => None,
    }
}

/// Up to 8 bytes as one 64-bit word, each byte read once: two overlapping
/// reads (or single bytes) take in every byte without a loop over them or
/// a memcpy into a buffer; tails of one length never collide.
#[inline]
fn tail(rest: &[u8]) -> u64 {
    let n = rest.len();
    if n >= 4 {
        let head = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let last = u32::from_le_bytes([rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]]);
        u64::from(head) | u64::from(last) << 32
    } else if n > 0 {
        u64::from(rest[0]) | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]) << 16
    } else {
        0
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        // Most words end in such a tail.
        if !rest.is_empty() {
            self.add(tail(rest));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
pub(crate) type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

/// Letters, digits and `_` (so a handle like `@zon_energie` stays one
/// token): what a whole-word match may not touch on either side.
#[inline]
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        ASCII_WORD[c as usize]
    } else {
        // The most common other chars are told without a search of
        // Unicode's tables (a test checks every char): accented Latin
        // letters, and punctuation, emoji and the variation selector, which
        // are neither letters nor digits.
        match c {
            '\u{c0}'..='\u{24f}' => c != '\u{d7}' && c != '\u{f7}',
            '\u{2000}'..='\u{206f}' | '\u{1f200}'..='\u{1faff}' | '\u{fe0f}' => false,
            _ => c.is_alphanumeric(),
        }
    }
}

/// A table of the ASCII bytes for which the test holds; bytes from 0x80
/// up are false (they belong to a longer char that must be decoded first).
macro_rules! ascii_table {
    (|$c:ident| $test:expr) => {{
        let mut table = [false; 256];
        let mut b = 0;
        while b < 128 {
            let $c = b as u8;
            table[b] = $test;
            b += 1;
        }
        table
    }};
}

/// ASCII bytes that [`Normalized::push`] copies as they are (but for
/// case): not whitespace, not the backtick (an apostrophe), not 0x0b.
const ASCII_PLAIN: [bool; 256] =
    ascii_table!(|c| !c.is_ascii_whitespace() && c != b'`' && c != 0x0b);

/// ASCII letters, by byte.
const ASCII_LETTER: [bool; 256] = ascii_table!(|c| c.is_ascii_alphabetic());

/// [`is_word_char`] for each byte below 0x80.
const ASCII_WORD: [bool; 256] = ascii_table!(|c| c.is_ascii_alphanumeric() || c == b'_');

/// The end of the run of lower-case ASCII letters from byte `i` of `b`:
/// the bulk of normalised text, so words are walked eight bytes at a time
/// rather than byte by byte. The caller goes on byte by byte from there for
/// what else it counts as part of a word.
#[inline]
fn lower_run_end(b: &[u8], i: usize) -> usize {
    letter_run_end::<false>(b, i)
}

/// [`lower_run_end`], or with `ANY_CASE` the end of the run of ASCII
/// letters of either case (words of the original text, for names).
#[inline]
fn letter_run_end<const ANY_CASE: bool>(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    // Setting bit 5 of each byte maps 'A'..='Z' onto 'a'..='z', and no
    // other byte into that range.
    let fold = if ANY_CASE { ONES * 0x20 } else { 0 };
    while let Some(chunk) = b.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let x = u64::from_le_bytes(*chunk) | fold;
        // A byte's high bit in `ge_a`: it is 'a' or above; in `gt_z`: above
        // 'z'; in `x`: not ASCII. A carry out of a non-ASCII byte only
        // spoils the bytes after it, past the first non-letter anyway.
        let ge_a = x.wrapping_add(ONES * u64::from(0x80 - b'a'));
        let gt_z = x.wrapping_add(ONES * u64::from(0x80 - b'z' - 1));
        let letters = ge_a & !gt_z & !x & HIGH;
        if letters != HIGH {
            // Little-endian: the lowest clear high bit is the first non-letter.
            return i + ((letters ^ HIGH).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while b
        .get(i)
        .is_some_and(|&c| (c | fold as u8).is_ascii_lowercase())
    {
        i += 1;
    }
    i
}

/// The separator between title and body, and the mark of a paragraph break:
/// no pattern contains it, so no match spans two paragraphs.
pub(crate) const PARAGRAPH: char = '\n';

/// Text prepared for matching and scoring: lower case, apostrophes unified,
/// each whitespace run one space (a blank line becomes [`PARAGRAPH`]).
/// Lower-casing may change lengths and matches must be checked against the
/// original case, so the text keeps a way back to the original: `anchors`
/// holds (normalised offset, original offset) wherever the two stop moving
/// in step, which in ordinary text is only at collapsed whitespace. Reused
/// across documents.
#[derive(Default)]
pub(crate) struct Normalized {
    pub text: String,
    anchors: Vec<(u32, u32)>,
    /// The original offset of `text.len()`.
    end: u32,
    /// Where the second pushed part (the body) starts in the virtual original
    /// "title PARAGRAPH body"; see [`Normalized::original`].
    body_base: usize,
}

impl Normalized {
    pub fn clear(&mut self) {
        self.text.clear();
        self.anchors.clear();
        self.end = 0;
        self.body_base = 0;
    }

    /// Normalise one text on its own (for `sentiment()`).
    pub fn set(&mut self, src: &str) {
        self.clear();
        self.push(src, 0);
        self.finish(src.len());
    }

    /// Normalise a document's title and body as one text with a paragraph
    /// break between them.
    pub fn set_doc(&mut self, title: &str, body: &str) {
        self.clear();
        let trimmed = title.trim();
        self.push(trimmed, offset_in(title, trimmed));
        if !self.text.is_empty() {
            self.anchor(title.len());
            self.text.push(PARAGRAPH);
        }
        self.body_base = title.len() + 1;
        self.push(body, self.body_base);
        self.finish(self.body_base + body.len());
    }

    fn finish(&mut self, end: usize) {
        // Drop a trailing space or paragraph mark so the text ends in a word.
        while self.text.ends_with([' ', PARAGRAPH]) {
            self.text.pop();
        }
        let len = self.text.len() as u32;
        while self.anchors.last().is_some_and(|a| a.0 >= len && len > 0) {
            self.anchors.pop();
        }
        self.end = end as u32;
    }

    /// Note that the next byte pushed comes from original offset `orig`,
    /// unless that follows from the last anchor anyway.
    #[inline]
    fn anchor(&mut self, orig: usize) {
        let at = self.text.len() as u32;
        let orig = orig as u32;
        match self.anchors.last() {
            Some(&(n, o)) if o.wrapping_add(at - n) == orig => {}
            Some(&(n, _)) if n == at => {
                if let Some(last) = self.anchors.last_mut() {
                    last.1 = orig;
                }
            }
            _ => self.anchors.push((at, orig)),
        }
    }

    fn push(&mut self, src: &str, base: usize) {
        let b = src.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            // Plain ASCII runs, the bulk of most texts, are copied whole.
            if ASCII_PLAIN[c as usize] {
                let j = plain_run_end(b, i + 1);
                self.anchor(base + i);
                let from = self.text.len();
                self.text.push_str(&src[i..j]);
                if let Some(added) = self.text.get_mut(from..) {
                    added.make_ascii_lowercase();
                }
                i = j;
                continue;
            }
            let Some(ch) = src[i..].chars().next() else {
                break;
            };
            if ch.is_whitespace() {
                let start = i;
                let mut newlines = 0;
                while let Some(w) = src[i..].chars().next().filter(|w| w.is_whitespace()) {
                    newlines += (w == '\n') as u32;
                    i += w.len_utf8();
                }
                // Leading whitespace of a part is dropped.
                if !self.text.is_empty() && !self.text.ends_with(PARAGRAPH) {
                    self.anchor(base + start);
                    self.text.push(if newlines >= 2 { PARAGRAPH } else { ' ' });
                }
                continue;
            }
            match ch {
                // Soft hyphens and zero-width spaces hide inside scraped words.
                '\u{ad}' | '\u{200b}' | '\u{feff}' => {}
                '\u{2019}' | '\u{2018}' | '`' => {
                    self.anchor(base + i);
                    self.text.push('\'');
                }
                ch => {
                    self.anchor(base + i);
                    self.text.extend(ch.to_lowercase());
                }
            }
            i += ch.len_utf8();
        }
    }

    /// Byte offset in the virtual original "title PARAGRAPH body" of the
    /// normalised byte `i` (`i == text.len()` gives the end).
    #[inline]
    pub fn orig(&self, i: usize) -> usize {
        if i >= self.text.len() {
            return self.end as usize;
        }
        let k = self.anchors.partition_point(|a| a.0 as usize <= i);
        match k.checked_sub(1).and_then(|k| self.anchors.get(k)) {
            Some(&(n, o)) => o as usize + (i - n as usize),
            None => i,
        }
    }

    /// Where the body starts in the virtual original of [`Normalized::orig`]
    /// (0 for a text set with [`Normalized::set`]).
    pub fn body_base(&self) -> usize {
        self.body_base
    }

    /// The original text behind the normalised range `s..e`.
    pub fn original<'a>(&self, title: &'a str, body: &'a str, s: usize, e: usize) -> &'a str {
        let (os, oe) = (self.orig(s), self.orig(e));
        if self.body_base > 0 && os >= self.body_base {
            body.get(os - self.body_base..oe.saturating_sub(self.body_base))
                .unwrap_or("")
        } else if self.body_base == 0 {
            // A single text set with `set`.
            title.get(os..oe).unwrap_or("")
        } else {
            title.get(os..oe.min(title.len())).unwrap_or("")
        }
    }
}

/// Whether byte `j` continues a run that [`Normalized::push`] copies whole:
/// a plain byte, or a single space between plain bytes.
#[inline]
fn continues_plain(b: &[u8], j: usize) -> bool {
    ASCII_PLAIN[b[j] as usize]
        || (b[j] == b' ' && b.get(j + 1).is_some_and(|&d| ASCII_PLAIN[d as usize]))
}

/// The end of the run from byte `j` on in which every byte
/// [`continues_plain`]. Such runs are most of a text, so they are walked
/// eight bytes at a time as far as those are printable ASCII but for the
/// backtick, with lone spaces between them; byte by byte where that fails.
#[inline]
fn plain_run_end(b: &[u8], mut j: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    // The high bit of each byte of the result: the byte is at least `n`,
    // for bytes below 0x80 (`lo` has their high bits cleared, so no sum
    // carries into the next byte).
    let at_least = |lo: u64, n: u8| lo + ONES * u64::from(0x80 - n);
    loop {
        while let Some(chunk) = b.get(j..).and_then(<[u8]>::first_chunk::<8>) {
            let x = u64::from_le_bytes(*chunk);
            let lo = x & !HIGH;
            let ge_space = at_least(lo, b' ');
            let space = ge_space & !at_least(lo, b' ' + 1) & HIGH;
            let not_backtick = (lo ^ (ONES * u64::from(b'`'))) + !HIGH;
            let printable = !x & ge_space & not_backtick & HIGH;
            // A space is good before a printable byte other than a space;
            // the byte after the last is not known here. Little-endian:
            // `>> 8` moves each byte's mark to the byte before it.
            let ends_space = (!printable & HIGH | space) >> 8 | 0x80 << 56;
            let bad = (!printable & HIGH) | (space & ends_space);
            if bad != 0 {
                j += (bad.trailing_zeros() / 8) as usize;
                break;
            }
            j += 8;
        }
        if j < b.len() && continues_plain(b, j) {
            j += 1;
        } else {
            return j;
        }
    }
}

fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

/// The char just before byte `i` of `s`, if any.
#[inline]
pub(crate) fn char_before(s: &str, i: usize) -> Option<char> {
    match i.checked_sub(1).and_then(|j| s.as_bytes().get(j)) {
        // An ASCII byte ends a char, and `i` is then a char boundary.
        Some(&b) if b.is_ascii() => Some(b as char),
        _ => s.get(..i)?.chars().next_back(),
    }
}

/// The char at byte `i` of `s`, if any.
#[inline]
pub(crate) fn char_at(s: &str, i: usize) -> Option<char> {
    match s.as_bytes().get(i) {
        Some(&b) if b.is_ascii() => Some(b as char),
        Some(_) => s.get(i..)?.chars().next(),
        None => None,
    }
}

/// Whether `s[start..end]` stands as whole words: a side that begins or ends
/// in a word character must not touch another word character.
pub(crate) fn is_whole_word(s: &str, start: usize, end: usize) -> bool {
    let Some(m) = s.get(start..end) else {
        return false;
    };
    let (Some(first), Some(last)) = (m.chars().next(), m.chars().next_back()) else {
        return false;
    };
    if is_word_char(first) && char_before(s, start).is_some_and(is_word_char) {
        return false;
    }
    if is_word_char(last) && char_at(s, end).is_some_and(is_word_char) {
        return false;
    }
    true
}

/// Whether two texts are equal once whitespace runs count as one space and
/// curly apostrophes as straight ones (case matters).
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    fn unify(s: &str) -> impl Iterator<Item = char> + '_ {
        let mut in_space = false;
        s.chars().filter_map(move |c| {
            if c.is_whitespace() {
                if in_space {
                    return None;
                }
                in_space = true;
                return Some(' ');
            }
            in_space = false;
            Some(match c {
                '\u{2019}' | '\u{2018}' | '`' => '\'',
                c => c,
            })
        })
    }
    unify(a).eq(unify(b))
}

/// Normalise a configured phrase (term, context word, exclude) the way
/// document text is normalised, so both meet in the automaton.
pub(crate) fn normalize_phrase(s: &str) -> String {
    let mut n = Normalized::default();
    n.set(s);
    n.text.replace(PARAGRAPH, " ")
}

/// One piece of a clause, as the sentiment scorer sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token<'a> {
    /// A run of word characters, with inner apostrophes (`don't`, `z'n`).
    /// `handle` is set after `@` (a user name, not a word of the text).
    Word {
        text: &'a str,
        start: usize,
        handle: bool,
    },
    /// One emoji or other symbol character.
    Symbol(char),
    /// A run of `!`.
    Bangs(u32),
    /// A comma, colon or other mark that ends a negation's reach.
    Pause,
    /// Something else that may start an emoticon (`:`, `;`, `<`, `=`, `^`).
    Other { start: usize },
}

/// ASCII bytes that surely end a word: not word characters and not an
/// apostrophe, which may be inside one (`don't`).
const ASCII_WORD_STOP: [bool; 256] =
    ascii_table!(|c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'\''));

/// ASCII bytes that are no token and no part of one: spaces, quotes,
/// brackets, `#` and `@` (whose word [`Tokens`] sees as a handle by the byte
/// before it). The ASCII that `Tokens::next_other` passes without a
/// condition; a test keeps the two in step.
const ASCII_PASSED: [bool; 256] =
    ascii_table!(|c| !c.is_ascii_alphanumeric() && !one_of(c, b"_!:;<=^&-,.?/|+"));

/// [`ASCII_PASSED`] but for the paragraph mark, which ends a clause: the
/// bytes passed when [`Tokens`] also finds clauses.
const ASCII_PASSED_IN_CLAUSE: [bool; 256] = {
    let mut table = ASCII_PASSED;
    table[PARAGRAPH as usize] = false;
    table
};

/// Whether `c` is one of `set` (a `const fn`, for the tables).
const fn one_of(c: u8, set: &[u8]) -> bool {
    let mut k = 0;
    while k < set.len() {
        if set[k] == c {
            return true;
        }
        k += 1;
    }
    false
}

/// The end of the word starting at `start`: word characters and inner
/// apostrophes.
#[inline]
pub(crate) fn word_end(s: &str, start: usize) -> usize {
    let b = s.as_bytes();
    // Letters of either case: the proper-name check reads capitalised
    // words of the original text.
    let i = letter_run_end::<true>(b, start);
    // Most words are letters up to a space or a mark.
    match b.get(i) {
        Some(&c) if !ASCII_WORD_STOP[c as usize] => word_end_from::<false>(s, i),
        _ => i,
    }
}

/// [`word_end`] from byte `i` of a word on: ASCII is scanned byte by byte,
/// other letters are decoded. With `CLAUSES`, an apostrophe before a word
/// that opens a clause ends the word, as the end of that clause's text
/// would.
#[inline(never)]
fn word_end_from<const CLAUSES: bool>(s: &str, mut i: usize) -> usize {
    let b = s.as_bytes();
    while i < b.len() {
        i = lower_run_end(b, i);
        let Some(&c) = b.get(i) else {
            break;
        };
        if ASCII_WORD[c as usize] {
            i += 1;
        } else if c == b'\'' {
            if char_at(s, i + 1).is_some_and(is_word_char)
                && !(CLAUSES && contrast_at(s, i + 1).is_some())
            {
                i += 1;
            } else {
                break;
            }
        } else if c.is_ascii() {
            break;
        } else {
            match char_at(s, i) {
                Some(ch) if is_word_char(ch) => i += ch.len_utf8(),
                _ => break,
            }
        }
    }
    i
}

/// Splits normalised text into [`Token`]s without allocating.
///
/// With `CLAUSES` ([`Tokens::by_clause`]) it also finds the clauses of
/// [`clauses`] on the way, so the text is walked once rather than twice:
/// `next` gives `None` at the end of each clause, and
/// [`Tokens::end_clause`] goes on to the next. The tokens are those of each
/// clause's text on its own; a test keeps the two in step.
pub(crate) struct Tokens<'a, const CLAUSES: bool = false> {
    s: &'a str,
    pos: usize,
    /// Where the current clause starts (0 without `CLAUSES`): no token
    /// looks back past it.
    from: usize,
    /// Where the current clause ends once that is known, `usize::MAX`
    /// before; and what the next one starts as.
    to: usize,
    next_from: usize,
    next_contrast: bool,
    contrast: bool,
    /// The clause began with a subordinating contrast word ("hoewel"): a
    /// comma ends it.
    until_comma: bool,
    /// The end of the last run of sentence marks looked at: its other
    /// marks end nothing.
    marks_until: usize,
    /// A contrast word before which a clause was ended: the next clause
    /// starts with it.
    opened_at: usize,
}

impl<'a> Tokens<'a> {
    pub fn new(s: &'a str) -> Self {
        Self::over(s)
    }
}

impl<'a> Tokens<'a, true> {
    /// Tokens that also find clauses; see [`Tokens`].
    pub fn by_clause(s: &'a str) -> Self {
        Self::over(s)
    }

    /// After `next` gave `None`: the clause that ended, unless it is only
    /// spaces (which [`clauses`] leaves out), and whether the text goes on.
    /// The next clause's tokens follow.
    pub fn end_clause(&mut self) -> (Option<Clause>, bool) {
        let (from, to) = (self.from, self.to.min(self.s.len()));
        let clause = self.s.as_bytes()[from..to]
            .iter()
            .any(|&c| c != b' ')
            .then_some(Clause {
                start: from as u32,
                end: to as u32,
                contrast: self.contrast,
            });
        self.from = self.next_from;
        self.to = usize::MAX;
        self.contrast = self.next_contrast;
        (clause, to < self.s.len())
    }
}

impl<'a, const CLAUSES: bool> Tokens<'a, CLAUSES> {
    fn over(s: &'a str) -> Self {
        Self {
            s,
            pos: 0,
            from: 0,
            to: usize::MAX,
            next_from: 0,
            next_contrast: false,
            contrast: false,
            until_comma: false,
            marks_until: 0,
            opened_at: usize::MAX,
        }
    }

    /// Move past `n` bytes (an emoticon the caller recognised).
    pub fn skip_bytes(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.s.len());
    }

    /// The text the tokens' offsets are in.
    pub fn text(&self) -> &'a str {
        self.s
    }

    /// The text of the clause whose tokens were given (all of it without
    /// `CLAUSES`).
    pub fn clause_text(&self) -> &'a str {
        &self.s[self.from..self.to.min(self.s.len())]
    }

    /// With `CLAUSES`: the current clause ends at `to`, and the next one
    /// starts at `next_from` and weighs as a contrast if `contrast`.
    fn end_at(&mut self, to: usize, next_from: usize, contrast: bool) {
        self.to = to;
        self.next_from = next_from;
        self.next_contrast = contrast;
        self.until_comma = false;
    }

    /// With `CLAUSES`, at the word starting at byte `i`: whether a
    /// contrast word there ends the current clause, which is then ended
    /// (not when the current clause is the one the word opened).
    #[inline(never)]
    fn opens_clause_at(&mut self, i: usize) -> bool {
        if i == self.opened_at {
            return false;
        }
        let Some(coord) = contrast_at(self.s, i) else {
            return false;
        };
        self.end_at(i, i, coord);
        self.until_comma = !coord;
        self.opened_at = i;
        true
    }

    /// With `CLAUSES`, at a sentence mark at byte `i`: the run of marks
    /// it starts may end the clause, as in [`clauses`].
    fn sentence_marks(&mut self, i: usize) {
        if i < self.marks_until {
            return;
        }
        if let Some((j, ends)) = sentence_marks(self.s.as_bytes(), i) {
            self.marks_until = j;
            if ends {
                self.end_at(j, j, false);
            }
        }
    }

    /// The word starting at byte `start`, an ASCII word character or
    /// the first byte of any other (or `None` at a clause's end).
    #[inline(always)]
    fn word(&mut self, start: usize) -> Option<Token<'a>> {
        let s = self.s;
        let b = s.as_bytes();
        let run = lower_run_end(b, start);
        // Contrast words are lower-case letters: most words are ruled out
        // by the shape of their lower-case start, also those that go on.
        if CLAUSES
            && run > start
            && may_contrast(b[start], b[run - 1], run - start)
            && self.opens_clause_at(start)
        {
            return None;
        }
        // Most words are lower-case letters up to a space or a mark.
        let end = match b.get(run) {
            Some(&c) if !ASCII_WORD_STOP[c as usize] => word_end_from::<CLAUSES>(s, run),
            _ => run,
        };
        self.pos = end;
        let handle = start > self.from && b[start - 1] == b'@';
        Some(Token::Word {
            text: &s[start..end],
            start,
            handle,
        })
    }
}

impl<'a, const CLAUSES: bool> Iterator for Tokens<'a, CLAUSES> {
    type Item = Token<'a>;

    // Only the common case is here, so the function stays small; the rest
    // is out of line in `next_other`. (LLVM still calls it rather than
    // inlining it, but the hint measured a little cheaper.)
    #[inline]
    fn next(&mut self) -> Option<Token<'a>> {
        if CLAUSES && self.pos >= self.to {
            return None;
        }
        let b = self.s.as_bytes();
        let passed = if CLAUSES {
            &ASCII_PASSED_IN_CLAUSE
        } else {
            &ASCII_PASSED
        };
        // Most steps are a space between words, or the `@` of a handle:
        // pass them at once.
        while b.get(self.pos).is_some_and(|&c| passed[c as usize]) {
            self.pos += 1;
        }
        // Most tokens are ASCII words: found here, the rest by `next_other`.
        let start = self.pos;
        match b.get(start) {
            Some(&c) if ASCII_WORD[c as usize] => self.word(start),
            None if !CLAUSES => None,
            _ => self.next_other(),
        }
    }
}

impl<'a, const CLAUSES: bool> Tokens<'a, CLAUSES> {
    /// [`Iterator::next`] for any token: marks, symbols, words that do not
    /// start with an ASCII word character.
    #[inline(never)]
    fn next_other(&mut self) -> Option<Token<'a>> {
        let s = self.s;
        loop {
            // Most steps are a space between words: pass them at once.
            let b = s.as_bytes();
            while b.get(self.pos) == Some(&b' ') {
                self.pos += 1;
            }
            let start = self.pos;
            let Some(c) = char_at(s, start) else {
                if CLAUSES {
                    self.end_at(s.len(), s.len(), false);
                }
                return None;
            };
            if is_word_char(c) {
                return self.word(start);
            }
            self.pos += c.len_utf8();
            match c {
                PARAGRAPH if CLAUSES => {
                    self.end_at(start, start + 1, false);
                    return None;
                }
                ' ' | PARAGRAPH | '\'' | '"' | '#' | '@' | '(' | ')' | '[' | ']' | '*' => continue,
                '!' => {
                    if CLAUSES {
                        self.sentence_marks(start);
                    }
                    let mut n = 1;
                    while s.as_bytes().get(self.pos) == Some(&b'!') {
                        n += 1;
                        self.pos += 1;
                    }
                    return Some(Token::Bangs(n));
                }
                ':' | ';' | '<' | '=' | '^' => {
                    if CLAUSES && c == ';' {
                        self.sentence_marks(start);
                    }
                    return Some(Token::Other { start });
                }
                // A heart escaped twice by a feed ("&lt;3") is still a heart.
                '&' if s[self.pos..].starts_with("lt;") => return Some(Token::Other { start }),
                // A hyphen inside a word joins ("hassle-free", "Zon-contract"):
                // its halves may make a phrase; not across a clause's end.
                '-' if start > self.from
                    && char_before(s, start).is_some_and(is_word_char)
                    && s[self.pos..].chars().next().is_some_and(is_word_char)
                    && !(CLAUSES && contrast_at(s, self.pos).is_some()) =>
                {
                    continue;
                }
                ',' | '.' | '?' | '-' | '/' | '|' | '&' | '+' | '…' | '–' | '—' => {
                    if CLAUSES {
                        if c == '.' || c == '?' {
                            self.sentence_marks(start);
                        } else if c == ',' && self.until_comma {
                            // The main clause after "hoewel ..., " is what
                            // the writer stresses, like one after "maar".
                            self.end_at(start + 1, start + 1, true);
                        }
                    }
                    return Some(Token::Pause);
                }
                c if c.is_ascii() => continue,
                // Variation selectors, joiners and skin tones dress up an emoji.
                '\u{fe0f}' | '\u{200d}' | '\u{1f3fb}'..='\u{1f3ff}' => continue,
                c => return Some(Token::Symbol(c)),
            }
        }
    }
}

/// Words that start a clause which contrasts with what came before
/// ("..., maar de trein reed prima").
pub(crate) const CONTRAST: &[&str] = &[
    "maar",
    "echter",
    "doch",
    "daarentegen",
    "but",
    "however",
    "nevertheless",
    "yet",
];

/// Contrast words that open a subordinate clause ending at the next comma
/// ("Hoewel X te laat was, ...").
pub(crate) const CONTRAST_SUB: &[&str] = &[
    "although", "though", "whereas", "hoewel", "ofschoon", "terwijl", "alhoewel",
];

/// The bytes that may end a clause in [`clauses`].
const CLAUSE_MARK: [bool; 256] = ascii_table!(|c| one_of(c, b".!?;\n,"));

/// A clause of the text: a sentence, or part of one cut at a contrast word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clause {
    pub start: u32,
    pub end: u32,
    /// Begins with a coordinating contrast word (`maar`, `but`) or is the
    /// main clause after a "hoewel ...," clause: a reader weighs it more
    /// than the clause before it.
    pub contrast: bool,
}

/// Split normalised text into clauses at sentence ends, paragraph breaks and
/// contrast words. `out` is cleared first.
pub(crate) fn clauses(s: &str, out: &mut Vec<Clause>) {
    out.clear();
    let b = s.as_bytes();
    let mut start = 0usize;
    let mut contrast = false;
    let mut until_comma = false;
    let push = |out: &mut Vec<Clause>, from: usize, to: usize, contrast: bool| {
        if s[from..to].bytes().any(|c| c != b' ') {
            out.push(Clause {
                start: from as u32,
                end: to as u32,
                contrast,
            });
        }
    };
    let mut i = 0usize;
    while i < b.len() {
        let c = b[i];
        if ASCII_LETTER[c as usize] {
            // A run of letters, met at its first: most bytes are passed here.
            // The cheap shape test goes first, so most words need no look at
            // their neighbours.
            let mut j = lower_run_end(b, i + 1);
            while j < b.len() && ASCII_LETTER[b[j] as usize] {
                j += 1;
            }
            if may_contrast(c, b[j - 1], j - i)
                && let Some(coord) = opens_clause(s, i, j)
            {
                push(out, start, i, contrast);
                start = i;
                contrast = coord;
                until_comma = !coord;
            }
            i = j;
            continue;
        }
        // Spaces, digits and most marks end nothing.
        if !CLAUSE_MARK[c as usize] {
            i += 1;
            continue;
        }
        match c {
            b'.' | b'!' | b'?' | b';' => {
                if let Some((j, ends)) = sentence_marks(b, i) {
                    if ends {
                        push(out, start, j, contrast);
                        start = j;
                        contrast = false;
                        until_comma = false;
                    }
                    i = j;
                    continue;
                }
            }
            b'\n' => {
                push(out, start, i, contrast);
                start = i + 1;
                contrast = false;
                until_comma = false;
            }
            b',' if until_comma => {
                // The main clause after "hoewel ..., " is what the writer
                // stresses, like the clause after "maar".
                push(out, start, i + 1, contrast);
                start = i + 1;
                contrast = true;
                until_comma = false;
            }
            _ => {}
        }
        i += 1;
    }
    push(out, start, b.len(), contrast);
}

/// At the sentence mark (`.`, `!`, `?`, `;`) at byte `i` of `b`, the
/// first of its run: where the run ends, and whether a clause ends there
/// (`None` for a wink).
#[inline]
fn sentence_marks(b: &[u8], i: usize) -> Option<(usize, bool)> {
    // ";)" and ";-)" are winks, not a clause end.
    if b[i] == b';' && matches!(b.get(i + 1), Some(b')' | b'-' | b'd' | b'p' | b'0' | b'(')) {
        return None;
    }
    // Runs like "?!" or "..." end together; a dot inside "bol.com" or
    // "3.5" is not a sentence end.
    let mut j = i + 1;
    while j < b.len() && matches!(b[j], b'.' | b'!' | b'?') {
        j += 1;
    }
    Some((
        j,
        j >= b.len() || matches!(b[j], b' ' | b'\n' | b'"' | b')'),
    ))
}

/// Whether the run of ASCII letters `i..j` of `s` is a contrast word
/// that opens a clause: standing alone, and not the particle "maar".
/// `Some(true)` for a coordinating one, `Some(false)` for a subordinating
/// one.
fn opens_clause(s: &str, i: usize, j: usize) -> Option<bool> {
    // A contrast word stands alone: not "2but", "but2" or "ébut".
    if (i > 0 && is_word_byte_before(s, i)) || char_at(s, j).is_some_and(is_word_char) {
        return None;
    }
    let (coord, sub) = contrast_kind(&s[i..j]);
    if !(coord || sub) || (s.as_bytes()[i] == b'm' && maar_is_particle(s, i)) {
        return None;
    }
    Some(coord)
}

/// [`opens_clause`] for the run of ASCII letters starting at byte `i`, if
/// one does: where [`clauses`] would cut before a contrast word.
fn contrast_at(s: &str, i: usize) -> Option<bool> {
    let b = s.as_bytes();
    if !ASCII_LETTER[*b.get(i)? as usize] {
        return None;
    }
    let mut j = lower_run_end(b, i + 1);
    while j < b.len() && ASCII_LETTER[b[j] as usize] {
        j += 1;
    }
    if !may_contrast(b[i], b[j - 1], j - i) {
        return None;
    }
    opens_clause(s, i, j)
}

/// Whether a word with these first and last letters and this length may
/// be a contrast word: a cheap test that spares most words the string
/// comparisons of [`contrast_kind`] (a test keeps the two in step).
#[inline]
fn may_contrast(first: u8, last: u8, len: usize) -> bool {
    matches!(
        (len, first, last),
        (3, b'b', b't')
            | (3, b'y', b't')
            | (4, b'm', b'r')
            | (4, b'd', b'h')
            | (6, b'e', b'r')
            | (6, b't', b'h')
            | (6, b'h', b'l')
            | (7, b'h', b'r')
            | (7, b'w', b's')
            | (7, b't', b'l')
            | (8, b'a', b'h')
            | (8, b'o', b'n')
            | (8, b'a', b'l')
            | (11, b'd', b'n')
            | (12, b'n', b's')
    )
}

/// Whether a word is a coordinating or a subordinating contrast word.
fn contrast_kind(w: &str) -> (bool, bool) {
    // A match compiles to a length switch; cheaper than scanning the lists.
    match w {
        "maar" | "echter" | "doch" | "daarentegen" | "but" | "however" | "nevertheless" | "yet" => {
            (true, false)
        }
        "although" | "though" | "whereas" | "hoewel" | "ofschoon" | "terwijl" | "alhoewel" => {
            (false, true)
        }
        _ => (false, false),
    }
}

/// Words after which Dutch "maar" is a particle ("alleen maar", "zelf
/// maar", "ook maar", "dan maar"), not a contrast between two clauses.
const MAAR_PARTICLE_AFTER: &[&str] = &[
    "alleen", "zelf", "ook", "nog", "toch", "dan", "gewoon", "even", "pas", "eens",
];

/// Whether the "maar" at byte `i` follows one of [`MAAR_PARTICLE_AFTER`]
/// with only spaces between.
fn maar_is_particle(s: &str, i: usize) -> bool {
    let before = s[..i].trim_end_matches(' ');
    let start = before.rfind(|c: char| !is_word_char(c)).map_or(0, |k| {
        k + before[k..].chars().next().map_or(1, char::len_utf8)
    });
    before.len() < i && MAAR_PARTICLE_AFTER.contains(&&before[start..])
}

fn is_word_byte_before(s: &str, i: usize) -> bool {
    char_before(s, i).is_some_and(is_word_char)
}

/// Dutch function words, for leaving them out of terms and for telling Dutch
/// from English in short texts.
pub(crate) const STOP_NL: &[&str] = &[
    "aan",
    "al",
    "alle",
    "alles",
    "als",
    "altijd",
    "ben",
    "bent",
    "bij",
    "daar",
    "dan",
    "dat",
    "de",
    "deze",
    "die",
    "dit",
    "doch",
    "doen",
    "door",
    "dus",
    "een",
    "eens",
    "en",
    "er",
    "ge",
    "geen",
    "geweest",
    "had",
    "hebben",
    "heb",
    "hebt",
    "heeft",
    "hem",
    "het",
    "hier",
    "hij",
    "hoe",
    "hun",
    "iemand",
    "iets",
    "ik",
    "in",
    "is",
    "ja",
    "je",
    "jij",
    "jou",
    "jouw",
    "jullie",
    "kan",
    "kon",
    "kunnen",
    "maar",
    "me",
    "meer",
    "men",
    "met",
    "mij",
    "mijn",
    "moet",
    "moeten",
    "na",
    "naar",
    "nee",
    "niet",
    "niets",
    "niks",
    "nog",
    "nu",
    "of",
    "om",
    "omdat",
    "ons",
    "onze",
    "ook",
    "op",
    "over",
    "reeds",
    "te",
    "tegen",
    "toch",
    "toen",
    "tot",
    "u",
    "uit",
    "uw",
    "van",
    "veel",
    "voor",
    "want",
    "waren",
    "was",
    "wat",
    "we",
    "wel",
    "werd",
    "wie",
    "wij",
    "wil",
    "worden",
    "wordt",
    "zal",
    "ze",
    "zelf",
    "zich",
    "zij",
    "zijn",
    "zo",
    "zonder",
    "zou",
    "zouden",
    "weer",
    "mn",
    "zn",
    "m'n",
    "z'n",
    "d'r",
    "'t",
    "t",
    "ff",
    "even",
    "nou",
    "maar",
    "echt",
    "gewoon",
    "heel",
    "erg",
    "wordt",
    "werden",
    "gaat",
    "gaan",
    "ging",
    "komt",
    "kom",
    "komen",
    "kwam",
    "krijg",
    "krijgen",
    "kreeg",
    "word",
    "wilt",
    "willen",
    "mag",
    "mogen",
    "zullen",
    "zei",
    "zegt",
    "nooit",
    "steeds",
    "alweer",
    "vandaag",
    "gisteren",
    "morgen",
    "daarna",
    "eerst",
    "dus",
    "jullie",
    "hen",
    "haar",
    "hun",
    "wij",
    "onder",
    "boven",
    "tussen",
    "sinds",
    "tijdens",
    "binnen",
    "buiten",
    "waar",
    "waarom",
    "wanneer",
    "welke",
    "zeer",
    "beetje",
    "ermee",
    "erop",
    "eraan",
    "ervan",
    "hierover",
    "daarover",
    "waarvan",
    "echter",
    "hoewel",
    "terwijl",
    "mee",
    "af",
    "via",
    "per",
    "dezelfde",
    "hetzelfde",
    "andere",
    "ander",
    "elk",
    "elke",
    "ieder",
    "iedere",
    "wanneer",
    "bijvoorbeeld",
    "ongeveer",
    "alleen",
    "misschien",
    "natuurlijk",
    "helemaal",
];

/// English function words (see [`STOP_NL`]).
pub(crate) const STOP_EN: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "down",
    "each",
    "few",
    "for",
    "from",
    "further",
    "get",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "it's",
    "i'm",
    "i've",
    "i'd",
    "i'll",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "don't",
    "doesn't",
    "didn't",
    "can't",
    "won't",
    "isn't",
    "aren't",
    "wasn't",
    "weren't",
    "haven't",
    "hasn't",
    "still",
    "yet",
    "however",
    "although",
    "though",
    "today",
    "yesterday",
    "tomorrow",
    "really",
    "even",
    "ever",
    "never",
    "always",
    "there's",
    "that's",
    "what's",
    "let",
    "lets",
    "let's",
    "via",
    "per",
    "one",
    "two",
    "three",
    "much",
    "many",
    "lot",
    "lots",
    "since",
    "during",
    "within",
    "without",
    "between",
    "against",
    "among",
    "etc",
    "im",
    "dont",
    "u",
    "ur",
    "ya",
    "gonna",
    "wanna",
    "say",
    "says",
    "said",
    "go",
    "goes",
    "went",
    "make",
    "made",
    "see",
    "know",
    "think",
    "want",
    "day",
    "days",
    "time",
    "again",
];

/// Pieces of links and markup that are never a topic.
pub(crate) const NOT_TOPICS: &[&str] = &[
    "http", "https", "www", "com", "nl", "org", "net", "html", "php", "amp", "rt", "via", "quot",
    "nbsp", "gt", "lt", "be", "de", "eu", "io",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_lowers_case_collapses_space_and_maps_back() {
        let mut n = Normalized::default();
        let title = "Storing bij ZON";
        let body = "  Ärger\n over  Zon\n\nEnergie’s app";
        n.set_doc(title, body);
        assert_eq!(n.text, "storing bij zon\närger over zon\nenergie's app");
        let at = n.text.find("zon\nenergie").unwrap();
        assert_eq!(n.original(title, body, at, at + 3), "Zon");
        let t = n.text.find("zon").unwrap();
        assert_eq!(n.original(title, body, t, t + 3), "ZON");
        let a = n.text.find("ärger").unwrap();
        assert_eq!(n.original(title, body, a, a + "ärger".len()), "Ärger");
    }

    #[test]
    fn offsets_survive_length_changing_lower_case() {
        let mut n = Normalized::default();
        // İ grows when lower-cased, ẞ shrinks, ’ shrinks, tabs collapse.
        let body = "İİ ẞẞ\t\t Zon’s   \u{ad}Énergie  ZON";
        n.set_doc("", body);
        for (needle, want) in [("zon's", "Zon’s"), ("énergie", "Énergie"), ("zon", "Zon")] {
            let at = n.text.find(needle).unwrap();
            assert_eq!(
                n.original("", body, at, at + needle.len()),
                want,
                "{needle}"
            );
        }
        let at = n.text.rfind("zon").unwrap();
        assert_eq!(n.original("", body, at, at + 3), "ZON");
    }

    #[test]
    fn plain_runs_end_where_the_byte_rule_stops() {
        let slow = |b: &[u8], mut j: usize| {
            while j < b.len() && continues_plain(b, j) {
                j += 1;
            }
            j
        };
        let texts = [
            "plain text with single spaces, all the way",
            "two  spaces in a row here",
            "a trailing space ",
            "tab\there and `back` ticks and ~ and \u{7f} and \u{1}",
            "emoji 😡 and é in the middle of a longer line",
            "x y z a b c d e f g h i j k l m n o p",
            "",
        ];
        for t in texts {
            let b = t.as_bytes();
            for j in 0..=b.len() {
                assert_eq!(plain_run_end(b, j), slow(b, j), "{t:?} at {j}");
            }
        }
        // Every byte value in every position of a chunk, alone and before a space.
        for pos in 0..10 {
            for v in 0..=255u8 {
                for next in [b'a', b' ', b'\n'] {
                    let mut b = *b"abcdefghijklm";
                    b[pos] = v;
                    b[pos + 1] = next;
                    assert_eq!(
                        plain_run_end(&b, 0),
                        slow(&b, 0),
                        "{v} at {pos}, then {next}"
                    );
                }
            }
        }
    }

    #[test]
    fn whole_words_do_not_match_inside_longer_words() {
        let s = "zondag zon's @zon #zon zon-contract zon_energie";
        assert!(!is_whole_word(s, 0, 3));
        assert!(is_whole_word(s, 7, 10));
        assert!(is_whole_word(s, 14, 17));
        assert!(is_whole_word(s, 19, 22));
        assert!(is_whole_word(s, 23, 26));
        assert!(!is_whole_word(s, 36, 39));
    }

    #[test]
    fn clauses_split_on_sentence_ends_and_contrast_words() {
        let s = "meeuw air was weer te laat, maar de trein reed prima. bestel via bol.com! hoewel het duur was, is het goed";
        let mut out = Vec::new();
        clauses(s, &mut out);
        let texts: Vec<&str> = out
            .iter()
            .map(|c| s[c.start as usize..c.end as usize].trim())
            .collect();
        assert_eq!(
            texts,
            [
                "meeuw air was weer te laat,",
                "maar de trein reed prima.",
                "bestel via bol.com!",
                "hoewel het duur was,",
                "is het goed"
            ]
        );
        assert!(out[1].contrast && !out[0].contrast && !out[3].contrast && out[4].contrast);
    }

    #[test]
    fn particle_maar_does_not_split_a_clause() {
        let count = |s: &str| {
            let mut out = Vec::new();
            clauses(s, &mut out);
            out.len()
        };
        assert_eq!(count("ik kan het alleen maar aanraden"), 1);
        assert_eq!(count("we hebben zelf maar een tafel gezocht"), 1);
        assert_eq!(count("zonder ook maar op te kijken"), 1);
        assert_eq!(count("lekker maar duur"), 2);
        assert_eq!(count("het was lekker, maar duur"), 2);
        assert_eq!(count("maar de soep was koud"), 1);
        assert_eq!(count("vooral maar duur"), 2);
    }

    #[test]
    fn contrast_words_stand_alone() {
        let cuts = |s: &str| {
            let mut out = Vec::new();
            clauses(s, &mut out);
            out.len() - 1
        };
        assert_eq!(cuts("goed but duur"), 1);
        assert_eq!(cuts("but duur"), 0);
        assert_eq!(cuts("goed (but duur)"), 1);
        assert_eq!(cuts("goed \u{e9} but duur"), 1);
        for glued in [
            "goed 2but duur",
            "goed but2 duur",
            "goed \u{e9}but duur",
            "goed but\u{e9} duur",
            "goed _but duur",
            "goedbut duur",
            "goed butt",
        ] {
            assert_eq!(cuts(glued), 0, "{glued}");
        }
    }

    #[test]
    fn contrast_lists_and_matcher_agree() {
        for w in CONTRAST.iter().chain(CONTRAST_SUB) {
            let b = w.as_bytes();
            assert!(may_contrast(b[0], b[b.len() - 1], b.len()), "{w}");
        }
        for w in CONTRAST {
            assert_eq!(contrast_kind(w), (true, false), "{w}");
        }
        for w in CONTRAST_SUB {
            assert_eq!(contrast_kind(w), (false, true), "{w}");
        }
    }

    #[test]
    fn word_chars_beyond_ascii_are_letters_and_digits() {
        for c in '\u{80}'..=char::MAX {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn short_keys_tell_strings_of_one_length_apart() {
        // Every string of one length from a few byte values, and strings
        // that differ in one byte at each place: equal keys, equal strings.
        for len in 0..=SHORT_KEY {
            let mut seen: FastMap<[u64; 3], Vec<u8>> = FastMap::default();
            let mut strings: Vec<Vec<u8>> = Vec::new();
            for pos in 0..len {
                for v in [b'a', b'b', 0x80, 0xff] {
                    let mut s = vec![b'a'; len];
                    s[pos] = v;
                    strings.push(s);
                }
            }
            strings.push(vec![b'a'; len]);
            for s in strings {
                let key = short_key(&s).unwrap();
                if let Some(other) = seen.insert(key, s.clone()) {
                    assert_eq!(other, s, "{len}");
                }
            }
        }
        assert!(short_key(&[b'a'; SHORT_KEY + 1]).is_none());
    }

    #[test]
    fn lower_runs_end_at_the_first_other_byte() {
        let slow =
            |b: &[u8], i: usize| i + b[i..].iter().take_while(|c| c.is_ascii_lowercase()).count();
        let texts = [
            "abcdefghijklmnopqrstuvwxyz",
            "abcdefgh`{@[zz",
            "hello world",
            "zzzzzzzzz\u{7f}a",
            "ééé abcdefghé",
            "abcdefgÿabcdefg",
            "abcdefg😡abcdefghijk",
            "ABCdefghijklmnoP",
            "",
        ];
        for t in texts {
            let b = t.as_bytes();
            for i in 0..=b.len() {
                assert_eq!(lower_run_end(b, i), slow(b, i), "{t:?} at {i}");
            }
        }
        // Every byte value in every position of a chunk.
        for pos in 0..8 {
            for v in 0..=255u8 {
                let mut b = *b"abcdefghij";
                b[pos] = v;
                assert_eq!(lower_run_end(&b, 0), slow(&b, 0), "{v} at {pos}");
                let any_case = |b: &[u8]| b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
                let mut upper = *b"ABCdefGHij";
                upper[pos] = v;
                assert_eq!(
                    letter_run_end::<true>(&upper, 0),
                    any_case(&upper),
                    "{v} at {pos}"
                );
            }
        }
    }

    #[test]
    fn tokens_keep_inner_apostrophes_and_count_bangs() {
        let toks: Vec<Token> = Tokens::new("don't @zon 😡!!! :)").collect();
        assert!(matches!(
            toks[0],
            Token::Word {
                text: "don't",
                handle: false,
                ..
            }
        ));
        assert!(matches!(
            toks[1],
            Token::Word {
                text: "zon",
                handle: true,
                ..
            }
        ));
        assert_eq!(toks[2], Token::Symbol('😡'));
        assert_eq!(toks[3], Token::Bangs(3));
        assert!(matches!(toks[4], Token::Other { .. }));
    }

    #[test]
    fn passed_bytes_are_passed_by_the_general_tokeniser_too() {
        for c in 0..128u8 {
            let text = format!("{}x", c as char);
            let mut toks = Tokens::new(&text);
            let word = matches!(
                toks.next_other(),
                Some(Token::Word {
                    text: "x",
                    start: 1,
                    ..
                })
            );
            assert_eq!(ASCII_PASSED[c as usize], word, "{c}");
        }
    }

    #[test]
    fn a_hyphen_joins_inside_a_word_and_pauses_between_words() {
        let pauses = |s: &str| Tokens::new(s).filter(|t| matches!(t, Token::Pause)).count();
        assert_eq!(pauses("hassle-free zon-contract"), 0);
        assert_eq!(Tokens::new("hassle-free").count(), 2);
        assert_eq!(pauses("goed - maar duur"), 1);
        assert_eq!(pauses("-5 graden"), 1);
    }
}
