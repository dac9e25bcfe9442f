//! Proper names in a text, which judge nothing: "The Good Wife returns
//! Sunday" is no praise, and neither is "op Good Morning America". The
//! scorer works on lower-cased text; this module looks back at the
//! original case, for the few words that need it.

use crate::text::{Normalized, char_at, char_before, is_word_char, word_end};

/// Words that open a greeting or a wish, not a name, even when every word
/// of it is capitalised ("Happy New Year", "Fijne Feestdagen").
fn is_greeting(w: &str) -> bool {
    let mut lower = [0u8; 16];
    let Some(l) = lower.get_mut(..w.len()) else {
        return false;
    };
    l.copy_from_slice(w.as_bytes());
    l.make_ascii_lowercase();
    matches!(
        &*l,
        b"happy"
            | b"merry"
            | b"congrats"
            | b"congratulations"
            | b"thanks"
            | b"thank"
            | b"welcome"
            | b"gefeliciteerd"
            | b"fijne"
            | b"prettige"
            | b"gelukkig"
            | b"vrolijk"
            | b"vrolijke"
            | b"bedankt"
            | b"dankjewel"
            | b"proficiat"
    )
}

/// Words a title-case headline leaves in lower case ("Nike Launches
/// Shoe Made from Recycled Plastic").
fn is_headline_small_word(w: &str) -> bool {
    matches!(
        w,
        "with"
            | "from"
            | "that"
            | "this"
            | "into"
            | "over"
            | "after"
            | "about"
            | "than"
            | "when"
            | "upon"
            | "voor"
            | "naar"
            | "door"
            | "onder"
            | "zonder"
    )
}

/// Small words that may stand inside a name ("Bank of America", "Game of
/// Thrones", "Huis ten Bosch").
fn is_name_joiner(w: &str) -> bool {
    matches!(
        w,
        "of" | "the" | "and" | "de" | "van" | "het" | "der" | "den" | "ten" | "ter" | "en" | "&"
    )
}

/// The original case of a normalised text, asked only about the words
/// that need it: is a word part of a proper name? Two or more capitalised
/// words in a row make a name ("The Good Wife returns", "op Happy
/// Valley", "Het Verloren Paradijs"), and a sentiment word inside a name
/// judges nothing. A sentence's first word is capitalised anyway, so it
/// is never part of a name ("Love Taylor Swift", "Bedankt Meeuw Air" are
/// a judgement and a name); greetings are never names; and a text that
/// capitalises all its longer words (a headline in title case) has no
/// names this way. Only capitalised words of judgement are asked about.
pub(crate) struct Cased<'a> {
    norm: &'a Normalized,
    title: &'a str,
    body: &'a str,
    /// Whether the text is a title-case headline, once asked.
    headline: std::cell::Cell<Option<bool>>,
}

impl<'a> Cased<'a> {
    /// `norm` was made from `title` and `body` by [`Normalized::set_doc`],
    /// or from `title` alone by [`Normalized::set`] (with an empty body).
    pub fn new(norm: &'a Normalized, title: &'a str, body: &'a str) -> Self {
        Self {
            norm,
            title,
            body,
            headline: std::cell::Cell::new(None),
        }
    }

    /// The original text and offset of normalised byte `at`.
    fn original_at(&self, at: usize) -> (&'a str, usize) {
        let o = self.norm.orig(at);
        if self.norm.body_base() > 0 && o >= self.norm.body_base() {
            (self.body, o - self.norm.body_base())
        } else {
            (self.title, o)
        }
    }

    /// Whether the word at normalised byte `at` starts with a capital in
    /// the original: the cheap first test before [`Cased::in_name`].
    pub fn capitalised(&self, at: usize) -> bool {
        let (text, i) = self.original_at(at);
        match text.as_bytes().get(i) {
            Some(c) if c.is_ascii() => c.is_ascii_uppercase(),
            Some(_) => char_at(text, i).is_some_and(char::is_uppercase),
            None => false,
        }
    }

    /// Whether the word at normalised byte `at` is part of a proper name.
    pub fn in_name(&self, at: usize) -> bool {
        let (text, i) = self.original_at(at);
        // Most capitalised words have no capitalised neighbour.
        capitalised_neighbour(text, i)
            && name_word(text, i).is_some()
            && name_around(text, i)
            && !self.is_headline()
    }

    fn is_headline(&self) -> bool {
        if let Some(h) = self.headline.get() {
            return h;
        }
        let h = is_title_case(self.title) && is_title_case(self.body);
        self.headline.set(Some(h));
        h
    }
}

/// The end of the capitalised word (three letters or more, not all
/// capitals: "I", "It", "EU" and shouted words are no words of a name)
/// that starts at byte `i`, or None.
fn name_word(text: &str, i: usize) -> Option<usize> {
    let first = char_at(text, i)?;
    if !first.is_uppercase() {
        return None;
    }
    let end = word_end(text, i);
    let word = &text[i..end];
    let (mut letters, mut upper) = (0u32, 0u32);
    if word.is_ascii() {
        for &c in word.as_bytes() {
            letters += c.is_ascii_alphabetic() as u32;
            upper += c.is_ascii_uppercase() as u32;
        }
    } else {
        for ch in word.chars() {
            letters += ch.is_alphabetic() as u32;
            upper += ch.is_uppercase() as u32;
        }
    }
    (letters >= 3 && upper < letters).then_some(end)
}

/// Whether the word before or after the one at byte `i` (only spaces
/// between) starts with a capital or is a joiner: a quick look that rules
/// out most words before [`name_around`] is asked.
fn capitalised_neighbour(text: &str, i: usize) -> bool {
    let starts_name = |(s, e): (usize, usize)| {
        text.as_bytes()[s].is_ascii_uppercase()
            || text.as_bytes()[s] >= 0x80
            || is_name_joiner(&text[s..e])
    };
    word_before(text, i).is_some_and(starts_name)
        || word_after(text, word_end(text, i)).is_some_and(starts_name)
}

/// The start of the word that ends at byte `end` (spaces skipped before
/// it), if only spaces stand between it and `end`.
fn word_before(text: &str, end: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut e = end;
    while e > 0 && matches!(b[e - 1], b' ' | b'\t') {
        e -= 1;
    }
    let mut s = e;
    while let Some(c) = char_before(text, s).filter(|&c| is_word_char(c) || c == '\'') {
        s -= c.len_utf8();
    }
    // An opening quote is no part of the word ("'Duivels Lekker'").
    while s < e && b[s] == b'\'' {
        s += 1;
    }
    (s < e).then_some((s, e))
}

/// The word after byte `end`, if only spaces stand between.
fn word_after(text: &str, end: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut s = end;
    while s < b.len() && matches!(b[s], b' ' | b'\t') {
        s += 1;
    }
    let e = word_end(text, s);
    (s < e && char_at(text, s).is_some_and(is_word_char)).then_some((s, e))
}

/// Whether the word at `start` opens a sentence, where it is capitalised
/// anyway.
fn opens_sentence(text: &str, start: usize) -> bool {
    let before = text[..start].trim_end_matches([' ', '\t']);
    before.is_empty() || before.ends_with(['.', '!', '?', ':', '"', '\n', '\r'])
}

/// Whether the capitalised word at `i` stands in a run of them that makes
/// a name (see [`Cased`]). A sentence's first word is no part of a run.
fn name_around(text: &str, i: usize) -> bool {
    if opens_sentence(text, i) {
        return false;
    }
    let mut caps = 1u32;
    // Leftwards: capitalised words, or a joiner with one before it.
    let mut first = i;
    while let Some((s, e)) = word_before(text, first) {
        let next = if name_word(text, s).is_some() {
            Some(s)
        } else if is_name_joiner(&text[s..e])
            && let Some((s2, _)) = word_before(text, s)
            && name_word(text, s2).is_some()
        {
            Some(s2)
        } else {
            None
        };
        match next {
            Some(s) if !opens_sentence(text, s) => {
                caps += 1;
                first = s;
            }
            _ => break,
        }
    }
    // Rightwards likewise.
    let mut end = word_end(text, i);
    while let Some((s, e)) = word_after(text, end) {
        if let Some(e) = name_word(text, s) {
            caps += 1;
            end = e;
        } else if is_name_joiner(&text[s..e])
            && let Some((s2, _)) = word_after(text, e)
            && let Some(e2) = name_word(text, s2)
        {
            caps += 1;
            end = e2;
        } else {
            break;
        }
    }
    caps >= 2 && !is_greeting(&text[first..word_end(text, first)])
}

/// Whether every longer word (four letters or more) of `text` is
/// capitalised, as in a title-case headline ("Nike Launches Shoe Made
/// from Recycled Plastic"); links aside.
fn is_title_case(text: &str) -> bool {
    text.split_ascii_whitespace().all(|w| {
        // The cheap test first: a capitalised word passes whatever its
        // length, so only the others have their letters counted.
        w.chars().next().is_some_and(|c| !c.is_lowercase())
            || w.starts_with("http")
            || w.starts_with("www.")
            || w.chars().filter(|c| c.is_alphabetic()).count() < 4
            || is_headline_small_word(w.trim_matches(|c: char| !c.is_alphabetic()))
    })
}
