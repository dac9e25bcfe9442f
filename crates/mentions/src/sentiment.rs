//! Lexicon-based sentiment for Dutch and English.
//!
//! Each word of a clause is looked up in the language's lexicon (our own
//! word lists in `lexicon/*.tsv`, weights -4..=+4). Around the lexicon:
//! two-word phrases ("te laat", "no response") override their words;
//! negations flip and dampen the next sentiment word within a few words (in
//! Dutch also the one just before: "het werkt niet"); intensifiers and
//! diminishers scale the next one; elongated words ("goeeed") are found and
//! count a little more; `!` adds emphasis; emoji and emoticons count in every
//! language. A clause's sum is squashed into -1..=1 by x / sqrt(x^2 + 15),
//! so one mild word gives a mild score and many strong words approach 1.

use crate::text::{FastMap, FastSet, Token, Tokens, is_word_char};
use std::sync::LazyLock;

/// A negated word keeps this share of its weight, with the sign flipped:
/// "niet goed" is bad, but less bad than "slecht" is.
const NEGATION_FLIP: f32 = -0.74;
/// How many words a negation reaches forward.
const NEGATION_REACH: u8 = 3;
/// How many words an intensifier reaches forward.
const BOOST_REACH: u8 = 2;
/// An elongated word ("slechttt") is stressed.
const ELONGATION: f32 = 1.2;
/// Emphasis added per `!` (at most four count).
const EXCLAMATION: f32 = 0.29;
/// Squashing constant: a single weight-2 word scores 2/sqrt(19) = 0.46.
const ALPHA: f32 = 15.0;

/// Scores at or above this are positive.
pub const POSITIVE_AT: f32 = 0.05;
/// Scores at or below this are negative; between the two is neutral.
pub const NEGATIVE_AT: f32 = -0.05;

const NL_TSV: &str = include_str!("../lexicon/nl.tsv");
const EN_TSV: &str = include_str!("../lexicon/en.tsv");
const SYMBOLS_TSV: &str = include_str!("../lexicon/symbols.tsv");

const NEGATIONS_NL: &[&str] = &[
    "niet",
    "geen",
    "nooit",
    "zonder",
    "nie",
    "ni",
    "nt",
    "gn",
    "niks",
    "niets",
    "nergens",
    "allerminst",
];
const NEGATIONS_EN: &[&str] = &[
    "not", "no", "never", "without", "nothing", "none", "nobody", "nowhere", "neither", "nor",
    "cannot", "cant", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont",
    "wouldnt", "shouldnt", "couldnt", "havent", "hasnt", "hadnt", "aint", "nope", "barely",
    "hardly", "rarely", "seldom",
];

/// Intensifiers (> 1) and diminishers (< 1): they scale the next sentiment word.
const BOOSTERS_NL: &[(&str, f32)] = &[
    ("heel", 1.3),
    ("erg", 1.3),
    ("super", 1.4),
    ("echt", 1.25),
    ("zeer", 1.3),
    ("ontzettend", 1.4),
    ("enorm", 1.4),
    ("hartstikke", 1.4),
    ("extreem", 1.45),
    ("bijzonder", 1.2),
    ("zo", 1.15),
    ("zwaar", 1.3),
    ("mega", 1.4),
    ("vreselijk", 1.35),
    ("verschrikkelijk", 1.35),
    ("ongelooflijk", 1.4),
    ("ongelofelijk", 1.4),
    ("uiterst", 1.4),
    ("totaal", 1.3),
    ("volstrekt", 1.3),
    ("compleet", 1.3),
    ("volledig", 1.2),
    ("behoorlijk", 1.15),
    ("best", 1.1),
    ("absoluut", 1.3),
    ("nogal", 1.1),
    ("te", 1.2),
    ("veel", 1.1),
    ("steeds", 1.1),
    ("beetje", 0.6),
    ("enigszins", 0.6),
    ("iets", 0.7),
    ("vrij", 0.85),
    ("redelijk", 0.8),
    ("tamelijk", 0.8),
    ("nauwelijks", 0.5),
    ("amper", 0.5),
    ("ietwat", 0.6),
    ("kei", 1.4),
    ("dik", 1.3),
    ("bere", 1.4),
    ("zó", 1.2),
];
/// Negations that may also turn back on the word just before them ("het
/// werkt niet"). "geen" and "zonder" only look ahead: "geannuleerd zonder
/// bericht" is not a good thing.
const BACKWARD_NEGATIONS_NL: &[&str] = &[
    "niet",
    "nooit",
    "nie",
    "ni",
    "nt",
    "niks",
    "niets",
    "allerminst",
];

/// Adverbs that spoil the good word they stand before: "slecht geregeld",
/// "poorly organised" are complaints, not praise.
const SPOILERS: &[&str] = &["slecht", "matig", "moeizaam", "badly", "poorly", "barely"];

const BOOSTERS_EN: &[(&str, f32)] = &[
    ("very", 1.3),
    ("really", 1.25),
    ("extremely", 1.5),
    ("so", 1.15),
    ("super", 1.4),
    ("totally", 1.3),
    ("absolutely", 1.35),
    ("incredibly", 1.4),
    ("completely", 1.3),
    ("utterly", 1.4),
    ("highly", 1.3),
    ("truly", 1.25),
    ("terribly", 1.3),
    ("awfully", 1.3),
    ("hugely", 1.3),
    ("especially", 1.15),
    ("most", 1.15),
    ("too", 1.2),
    ("quite", 1.1),
    ("seriously", 1.25),
    ("deeply", 1.3),
    ("exceptionally", 1.4),
    ("insanely", 1.4),
    ("thoroughly", 1.3),
    ("damn", 1.3),
    ("freaking", 1.3),
    ("fucking", 1.4),
    ("way", 1.1),
    ("bit", 0.6),
    ("slightly", 0.6),
    ("somewhat", 0.7),
    ("kinda", 0.7),
    ("kind", 0.8),
    ("sort", 0.8),
    ("fairly", 0.85),
    ("rather", 0.9),
    ("little", 0.8),
    ("marginally", 0.6),
    ("partly", 0.7),
    ("barely", 0.5),
    ("pretty", 1.1),
    ("real", 1.2),
    ("sooo", 1.3),
];

/// Dutch prefixes that intensify the word they are glued to ("supersnel").
const INTENSE_PREFIXES_NL: &[&str] = &[
    "super",
    "mega",
    "hyper",
    "kei",
    "reuze",
    "bere",
    "hartstikke",
    "ultra",
    "extra",
    "oer",
];
/// Dutch prefixes that make any compound a complaint ("kutservice").
const CURSE_PREFIXES_NL: &[&str] = &["kut", "klote", "kanker", "tering", "tyfus", "kl0te"];

/// What the lexicon knows about one word.
#[derive(Debug, Clone, Copy)]
struct Entry {
    weight: f32,
    /// Intensifier/diminisher factor; 1.0 when the word is none.
    boost: f32,
    negation: bool,
    /// A negation that may also reach back to the word before it.
    negates_back: bool,
    /// An adverb that turns the good word after it bad ([`SPOILERS`]).
    spoils: bool,
    /// A function word ("of", "them", "de"): it does not use up a
    /// negation's reach ("neither one of them work").
    function: bool,
    /// Some phrase starts with this word.
    opens_phrase: bool,
}

/// One language's word weights and modifiers.
pub(crate) struct Lexicon {
    words: FastMap<&'static str, f32>,
    /// Everything known about a word, found with one lookup in the hot loop.
    entries: FastMap<&'static str, Entry>,
    phrases: FastMap<(&'static str, &'static str), f32>,
    negations: FastSet<&'static str>,
    boosters: FastMap<&'static str, f32>,
    /// Dutch puts "niet" after the verb; English rarely negates backwards.
    negates_backwards: bool,
    dutch: bool,
}

/// Emoji and emoticons, which mean the same in every language.
pub(crate) struct Symbols {
    emoji: FastMap<char, f32>,
    /// Longest first, so ":-)" wins over ":-".
    emoticons: Vec<(&'static str, f32)>,
}

pub(crate) static NL: LazyLock<Lexicon> =
    LazyLock::new(|| Lexicon::parse(NL_TSV, NEGATIONS_NL, BOOSTERS_NL, true));
pub(crate) static EN: LazyLock<Lexicon> =
    LazyLock::new(|| Lexicon::parse(EN_TSV, NEGATIONS_EN, BOOSTERS_EN, false));
pub(crate) static SYMBOLS: LazyLock<Symbols> = LazyLock::new(|| Symbols::parse(SYMBOLS_TSV));

/// The lexicon for a language code, if we have one.
pub(crate) fn lexicon(lang: &str) -> Option<&'static Lexicon> {
    match lang {
        "nl" => Some(&NL),
        "en" => Some(&EN),
        _ => None,
    }
}

/// Lines of a `word<TAB>weight` file, skipping blanks and `#` comments.
/// Yields `Err(line)` for a line that does not parse, so a test can insist
/// on none.
pub(crate) fn tsv_entries(
    tsv: &'static str,
) -> impl Iterator<Item = Result<(&'static str, f32), &'static str>> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let mut cols = line.split('\t');
            let key = cols.next().unwrap_or("").trim();
            let weight = cols.next().and_then(|w| w.trim().parse::<f32>().ok());
            match weight {
                Some(w) if !key.is_empty() && (-4.0..=4.0).contains(&w) => Ok((key, w)),
                _ => Err(line),
            }
        })
}

impl Lexicon {
    fn parse(
        tsv: &'static str,
        negations: &[&'static str],
        boosters: &[(&'static str, f32)],
        dutch: bool,
    ) -> Self {
        let mut words = FastMap::default();
        let mut phrases = FastMap::default();
        for (key, w) in tsv_entries(tsv).flatten() {
            match key.split_once(' ') {
                Some((a, b)) => {
                    phrases.insert((a, b), w);
                }
                None => {
                    words.insert(key, w);
                }
            }
        }
        let mut entries: FastMap<&'static str, Entry> = FastMap::default();
        let blank = Entry {
            weight: 0.0,
            boost: 1.0,
            negation: false,
            negates_back: false,
            spoils: false,
            function: false,
            opens_phrase: false,
        };
        let stop = if dutch {
            crate::text::STOP_NL
        } else {
            crate::text::STOP_EN
        };
        for &w in stop {
            if !negations.contains(&w) {
                entries.entry(w).or_insert(blank).function = true;
            }
        }
        for (&w, &v) in &words {
            entries.entry(w).or_insert(blank).weight = v;
        }
        for &w in negations {
            entries.entry(w).or_insert(blank).negation = true;
        }
        if dutch {
            for &w in BACKWARD_NEGATIONS_NL {
                entries.entry(w).or_insert(blank).negates_back = true;
            }
        }
        for &w in SPOILERS {
            if let Some(e) = entries.get_mut(w) {
                e.spoils = true;
            }
        }
        for &(w, m) in boosters {
            entries.entry(w).or_insert(blank).boost = m;
        }
        for &(a, _) in phrases.keys() {
            entries.entry(a).or_insert(blank).opens_phrase = true;
        }
        Self {
            words,
            entries,
            phrases,
            negations: negations.iter().copied().collect(),
            boosters: boosters.iter().copied().collect(),
            negates_backwards: dutch,
            dutch,
        }
    }

    /// Number of single words and phrases.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.words.len() + self.phrases.len()
    }

    fn is_negation(&self, w: &str) -> bool {
        self.negations.contains(w) || (!self.dutch && w.ends_with("n't"))
    }

    fn phrase(&self, a: &str, b: &str) -> Option<f32> {
        // The map's keys are 'static, but a lookup only needs them for the
        // call: HashMap is covariant in its key type.
        let phrases: &FastMap<(&str, &str), f32> = &self.phrases;
        phrases.get(&(a, b)).copied()
    }

    /// The weight of a word, trying its elongated, inflected and compound
    /// forms when the word itself is not listed.
    fn weight(&self, w: &str) -> f32 {
        if let Some(&v) = self.words.get(w) {
            return v;
        }
        let mut buf = [0u8; 48];
        if let Some(squeezed) = squeeze(w, 2, &mut buf)
            && let Some(&v) = self.words.get(squeezed)
        {
            return v * ELONGATION;
        }
        if let Some(squeezed) = squeeze(w, 1, &mut buf) {
            if let Some(&v) = self.words.get(squeezed) {
                return v * ELONGATION;
            }
            let v = self.inflected(squeezed);
            if v != 0.0 {
                return v * ELONGATION;
            }
        }
        let v = self.inflected(w);
        if v == 0.0 && is_laugh(w) {
            return LAUGH;
        }
        v
    }

    fn inflected(&self, w: &str) -> f32 {
        let get = |s: &str| self.words.get(s).copied();
        if self.dutch {
            // goede -> goed, storingen -> storing, slechtste -> slecht
            for suffix in ["e", "en", "ste", "er", "s"] {
                if let Some(stem) = w.strip_suffix(suffix)
                    && stem.len() >= 3
                    && let Some(v) = get(stem)
                {
                    return v;
                }
            }
            for p in INTENSE_PREFIXES_NL {
                if let Some(rest) = w.strip_prefix(p)
                    && rest.len() >= 3
                {
                    let v = get(rest).unwrap_or(0.0);
                    if v != 0.0 {
                        return v * 1.3;
                    }
                }
            }
            for p in CURSE_PREFIXES_NL {
                if w.len() > p.len() + 2 && w.starts_with(p) {
                    return -2.0;
                }
            }
            // Compounds carry their meaning at the end: stroomstoring,
            // klantvriendelijk, treinvertraging.
            if w.len() >= 9 {
                for (i, _) in w.char_indices().skip(4) {
                    let tail = &w[i..];
                    if tail.len() < 5 {
                        break;
                    }
                    if let Some(v) = get(tail) {
                        return v;
                    }
                }
            }
        } else {
            // delays -> delay, crashed -> crash, crashing -> crash, loved -> love
            for suffix in ["s", "es", "ed", "d", "ing", "ly"] {
                if let Some(stem) = w.strip_suffix(suffix)
                    && stem.len() >= 3
                    && let Some(v) = get(stem)
                {
                    return v;
                }
            }
        }
        0.0
    }
}

/// Weight of a written laugh of any length ("hahahaha", "hihi", "hehehe").
const LAUGH: f32 = 1.8;

/// Whether a word is a written laugh: "h" and a vowel, repeated, at least
/// twice ("haha", "ahah", "hihihi"); "ha" or "hah" alone is not.
fn is_laugh(w: &str) -> bool {
    let b = w.as_bytes();
    if b.len() < 4 || b.len() > 40 {
        return false;
    }
    let mut hs = 0;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'h' => {
                // Never two h's in a row: "hhhh" is not a laugh.
                if i > 0 && b[i - 1] == b'h' {
                    return false;
                }
                hs += 1;
            }
            b'a' | b'e' | b'i' => {}
            _ => return false,
        }
    }
    hs >= 2 && b.windows(2).all(|p| p.contains(&b'h'))
}

/// `w` with every run of three or more equal letters cut to `keep`, when it
/// has such a run and fits the buffer.
fn squeeze<'b>(w: &str, keep: usize, buf: &'b mut [u8; 48]) -> Option<&'b str> {
    let b = w.as_bytes();
    if b.len() > buf.len() || !w.is_ascii() {
        return None;
    }
    let has_run = b.windows(3).any(|x| x[0] == x[1] && x[1] == x[2]);
    if !has_run {
        return None;
    }
    let mut n = 0;
    let mut i = 0;
    while i < b.len() {
        let mut j = i;
        while j < b.len() && b[j] == b[i] {
            j += 1;
        }
        let run = j - i;
        let take = if run >= 3 { keep } else { run };
        for _ in 0..take {
            buf[n] = b[i];
            n += 1;
        }
        i = j;
    }
    std::str::from_utf8(&buf[..n]).ok()
}

impl Symbols {
    fn parse(tsv: &'static str) -> Self {
        let mut emoji = FastMap::default();
        let mut emoticons = Vec::new();
        for (key, w) in tsv_entries(tsv).flatten() {
            let mut chars = key.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_ascii() => {
                    emoji.insert(c, w);
                }
                _ => emoticons.push((key, w)),
            }
        }
        emoticons.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        Self { emoji, emoticons }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.emoji.len() + self.emoticons.len()
    }

    /// The emoticon starting at byte `at` of `s`, with its length.
    fn emoticon(&self, s: &str, at: usize) -> Option<(usize, f32)> {
        let rest = s.get(at..)?;
        self.emoticons.iter().find_map(|&(e, v)| {
            if !rest.starts_with(e) {
                return None;
            }
            let next = rest[e.len()..].chars().next();
            let last = e.chars().next_back()?;
            // ":d" must not be the start of ":data", ":/" not of "https://".
            let glued = next.is_some_and(|n| (is_word_char(last) && is_word_char(n)) || n == '/');
            (!glued).then_some((e.len(), v))
        })
    }
}

/// The evidence gathered from one or more clauses.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Tally {
    /// Sum of the weights found.
    pub sum: f32,
    /// How many sentiment-bearing words and symbols were found.
    pub hits: u32,
    /// Exclamation marks seen.
    pub bangs: u32,
}

impl Tally {
    /// Add another clause's tally, scaled by `weight`.
    pub fn add(&mut self, other: Tally, weight: f32) {
        self.sum += other.sum * weight;
        self.hits += other.hits;
        self.bangs += other.bangs;
    }

    /// The score in -1..=1.
    pub fn score(&self) -> f32 {
        if self.hits == 0 || self.sum == 0.0 {
            return 0.0;
        }
        let emphasis = self.bangs.min(4) as f32 * EXCLAMATION;
        let x = self.sum + emphasis.copysign(self.sum);
        (x / (x * x + ALPHA).sqrt()).clamp(-1.0, 1.0)
    }
}

/// Score one clause of normalised (lower-case) text.
pub(crate) fn score_clause(lex: &Lexicon, s: &str) -> Tally {
    let symbols = &*SYMBOLS;
    let mut t = Tally::default();
    let mut toks = Tokens::new(s);
    // The previous word and what it added, so a phrase can replace it.
    let mut prev: &str = "";
    let mut prev_added = 0.0f32;
    let mut prev_negated = false;
    let mut prev_opens = false;
    // The previous word spoils a good word after it ("slecht geregeld").
    let mut prev_spoils = false;
    // Words left in the reach of a negation, and (Dutch) the weight just
    // before it, flipped instead if nothing follows within reach.
    let mut neg_left = 0u8;
    let mut neg_back = 0.0f32;
    // The word right before the negation carried sentiment of its own
    // ("werkt niet goed"): the negation is about the whole verb phrase.
    let mut neg_verb = false;
    let mut since_sentiment = u8::MAX;
    let mut last_added = 0.0f32;
    let mut boost = 1.0f32;
    let mut boost_left = 0u8;

    // A negation that found nothing ahead turns back on the word before it.
    let close_negation = |t: &mut Tally, neg_left: &mut u8, neg_back: &mut f32| {
        if *neg_left > 0 && *neg_back != 0.0 {
            t.sum += *neg_back * NEGATION_FLIP - *neg_back;
        }
        *neg_left = 0;
        *neg_back = 0.0;
    };

    while let Some(tok) = toks.next() {
        match tok {
            Token::Word {
                text: w, handle, ..
            } => {
                if handle {
                    // A user name is not a word of the text.
                    prev = "";
                    prev_added = 0.0;
                    prev_opens = false;
                    prev_spoils = false;
                    continue;
                }
                let entry = lex.entries.get(w).copied();
                let spoiled = std::mem::replace(&mut prev_spoils, entry.is_some_and(|e| e.spoils));
                if prev_opens && let Some(v) = lex.phrase(prev, w) {
                    // The phrase replaces its first word, and any negation
                    // that word opened ("geen probleem" is a phrase).
                    t.sum -= prev_added;
                    if prev_added != 0.0 {
                        t.hits -= 1;
                    }
                    if lex.is_negation(prev) {
                        // "werkt niet goed": as for a negated word below.
                        if neg_verb && neg_back != 0.0 {
                            t.sum -= neg_back;
                            t.hits -= 1;
                        }
                        neg_left = 0;
                        neg_back = 0.0;
                    }
                    let mut v = v;
                    if boost_left > 0 {
                        v *= boost;
                    }
                    // "niet snel geholpen": the negation of the first word
                    // carries over to the phrase.
                    if neg_left > 0 || prev_negated {
                        v *= NEGATION_FLIP;
                        neg_left = 0;
                        neg_back = 0.0;
                    }
                    prev_negated = false;
                    // A zero-weight phrase ("kind of") only cancels its words.
                    if v != 0.0 {
                        t.sum += v;
                        t.hits += 1;
                        last_added = v;
                        since_sentiment = 0;
                    }
                    // A phrase ending in a negation ("werkt niet") still
                    // negates what follows: "werkt niet goed" is no praise.
                    if entry.is_some_and(|e| e.negation) {
                        neg_left = NEGATION_REACH;
                        neg_back = 0.0;
                        neg_verb = false;
                    }
                    prev = w;
                    prev_added = v;
                    prev_opens = entry.is_some_and(|e| e.opens_phrase);
                    boost = 1.0;
                    boost_left = 0;
                    continue;
                }
                prev_opens = entry.is_some_and(|e| e.opens_phrase);
                if entry.is_some_and(|e| e.negation) || (!lex.dutch && w.ends_with("n't")) {
                    close_negation(&mut t, &mut neg_left, &mut neg_back);
                    neg_left = NEGATION_REACH;
                    neg_back = if lex.negates_backwards
                        && entry.is_some_and(|e| e.negates_back)
                        && since_sentiment <= 2
                    {
                        last_added
                    } else {
                        0.0
                    };
                    neg_verb = neg_back > 0.0 && since_sentiment == 0;
                    prev = w;
                    prev_added = 0.0;
                    prev_negated = false;
                    since_sentiment = since_sentiment.saturating_add(1);
                    continue;
                }
                if let Some(e) = entry
                    && e.boost != 1.0
                    && e.weight == 0.0
                {
                    boost *= e.boost;
                    boost_left = BOOST_REACH;
                    prev = w;
                    prev_added = 0.0;
                    since_sentiment = since_sentiment.saturating_add(1);
                    continue;
                }
                let mut v = match entry {
                    Some(e) => e.weight,
                    None => lex.weight(w),
                };
                prev_negated = false;
                if v > 0.0 && spoiled {
                    v *= NEGATION_FLIP;
                }
                if v != 0.0 {
                    if boost_left > 0 {
                        v *= boost;
                    }
                    if neg_left > 0 {
                        v *= NEGATION_FLIP;
                        // "werkt niet goed" does not work: "werkt" no longer praises.
                        if neg_verb && neg_back != 0.0 {
                            t.sum -= neg_back;
                            t.hits -= 1;
                        }
                        neg_left = 0;
                        neg_back = 0.0;
                        prev_negated = true;
                    }
                    t.sum += v;
                    t.hits += 1;
                    last_added = v;
                    since_sentiment = 0;
                    boost = 1.0;
                    boost_left = 0;
                } else {
                    since_sentiment = since_sentiment.saturating_add(1);
                    if neg_left > 0 && !entry.is_some_and(|e| e.function) {
                        neg_left -= 1;
                        if neg_left == 0 {
                            neg_left = 1;
                            close_negation(&mut t, &mut neg_left, &mut neg_back);
                        }
                    }
                    if boost_left > 0 {
                        boost_left -= 1;
                        if boost_left == 0 {
                            boost = 1.0;
                        }
                    }
                }
                prev = w;
                prev_added = v;
            }
            Token::Bangs(n) => {
                t.bangs += n;
                close_negation(&mut t, &mut neg_left, &mut neg_back);
                prev = "";
                prev_added = 0.0;
                prev_negated = false;
                prev_opens = false;
                prev_spoils = false;
            }
            Token::Pause => {
                close_negation(&mut t, &mut neg_left, &mut neg_back);
                boost = 1.0;
                boost_left = 0;
                prev = "";
                prev_added = 0.0;
                prev_negated = false;
                prev_opens = false;
                prev_spoils = false;
            }
            Token::Symbol(c) => {
                if let Some(&v) = symbols.emoji.get(&c) {
                    t.sum += v;
                    t.hits += 1;
                }
            }
            Token::Other { start } => {
                if let Some((len, v)) = symbols.emoticon(s, start) {
                    t.sum += v;
                    t.hits += 1;
                    toks.skip_bytes(len - 1);
                }
            }
        }
    }
    close_negation(&mut t, &mut neg_left, &mut neg_back);
    t
}

/// Only the emoji and emoticons of a clause: for texts in a language
/// without a lexicon, whose words we do not guess at.
pub(crate) fn score_symbols(s: &str) -> Tally {
    let symbols = &*SYMBOLS;
    let mut t = Tally::default();
    let mut toks = Tokens::new(s);
    while let Some(tok) = toks.next() {
        match tok {
            Token::Symbol(c) => {
                if let Some(&v) = symbols.emoji.get(&c) {
                    t.sum += v;
                    t.hits += 1;
                }
            }
            Token::Other { start } => {
                if let Some((len, v)) = symbols.emoticon(s, start) {
                    t.sum += v;
                    t.hits += 1;
                    toks.skip_bytes(len - 1);
                }
            }
            Token::Bangs(n) => t.bangs += n,
            _ => {}
        }
    }
    t
}

/// Whether a (lower-case) word is in the lexicon, as a word or a form of one.
impl Lexicon {
    pub(crate) fn knows(&self, w: &str) -> bool {
        self.negations.contains(w) || self.boosters.contains_key(w) || self.weight(w) != 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(lang: &str, s: &str) -> f32 {
        score_clause(lexicon(lang).unwrap(), s).score()
    }

    #[test]
    fn lexicon_files_parse_completely_and_are_substantial() {
        for (name, tsv) in [("nl", NL_TSV), ("en", EN_TSV), ("symbols", SYMBOLS_TSV)] {
            let bad: Vec<_> = tsv_entries(tsv).filter_map(Result::err).collect();
            assert!(bad.is_empty(), "{name}: lines that do not parse: {bad:?}");
        }
        assert!(NL.len() >= 500, "nl lexicon has {}", NL.len());
        assert!(EN.len() >= 500, "en lexicon has {}", EN.len());
        assert!(SYMBOLS.len() >= 40, "symbols has {}", SYMBOLS.len());
    }

    #[test]
    fn negation_flips_forward_and_in_dutch_backward() {
        assert!(score("nl", "de service is goed") > 0.1);
        assert!(score("nl", "de service is niet goed") < -0.1);
        assert!(score("nl", "de app werkt niet") < -0.1);
        assert!(score("nl", "snel geholpen") > 0.1);
        assert!(score("nl", "niet snel geholpen") < 0.0);
        assert!(score("en", "the support was not helpful") < -0.1);
        assert!(score("en", "the support wasn't helpful at all") < -0.1);
        assert!(score("nl", "geen probleem") > 0.0);
        assert!(score("en", "no problem at all") > 0.0);
        // Beyond its reach a negation does nothing.
        assert!(score("en", "not that i care, the staff was friendly") > 0.1);
        // Function words do not use up the reach; content words do.
        assert!(score("en", "neither one of them work") < 0.0);
        assert!(score("nl", "geen van de medewerkers was vriendelijk") < 0.0);
        assert!(score("en", "no sign, signal, phone or email, staff friendly") > 0.0);
    }

    #[test]
    fn intensifiers_and_diminishers_scale() {
        let plain = score("nl", "de bezorging was snel");
        let strong = score("nl", "de bezorging was heel erg snel");
        let weak = score("nl", "de bezorging was een beetje snel");
        assert!(
            strong > plain && plain > weak && weak > 0.0,
            "{strong} {plain} {weak}"
        );
        let plain = score("en", "delivery was slow");
        let strong = score("en", "delivery was extremely slow");
        let weak = score("en", "delivery was slightly slow");
        assert!(
            strong < plain && plain < weak && weak < 0.0,
            "{strong} {plain} {weak}"
        );
    }

    #[test]
    fn elongation_compounds_and_emphasis() {
        assert!(score("nl", "goeeeed gedaan") > 0.2);
        assert!(score("nl", "slechttt") < -0.2);
        assert!(score("nl", "wat een stroomstoring weer") < -0.1);
        assert!(score("nl", "supersnel geleverd") > score("nl", "snel geleverd"));
        assert!(score("nl", "kutservice") < -0.2);
        assert!(score("en", "this is bad!!!") < score("en", "this is bad"));
        assert!(score("en", "sooooo goood") > 0.2);
    }

    #[test]
    fn emoji_and_emoticons_count_but_urls_do_not() {
        assert!(score("nl", "pakketje binnen 😀") > 0.1);
        assert!(score("nl", "pakketje binnen 😡") < -0.1);
        assert!(score("en", "parcel arrived :)") > 0.1);
        assert!(score("en", "parcel arrived :-(") < -0.1);
        assert!(score("en", "parcel arrived 👍") > 0.1);
        assert!(score_symbols("paket angekommen 😍!").score() > 0.1);
        assert!(score("en", "parcel arrived 👎") < -0.1);
        assert_eq!(score("en", "see https://example.org/x"), 0.0);
    }

    #[test]
    fn laughs_and_winks_are_positive() {
        assert!(score("en", "hahahahaha") > 0.2);
        assert!(score("nl", "hihihi") > 0.2);
        assert!(score("en", "ahahah") > 0.2);
        assert!(!is_laugh("heia") && !is_laugh("hhhh") && !is_laugh("ha"));
        assert!(score("en", "hahah that was bad") < score("en", "that was bad") + 0.5);
    }

    #[test]
    fn plain_facts_are_neutral() {
        assert_eq!(
            score("nl", "het bedrijf maakt morgen de kwartaalcijfers bekend"),
            0.0
        );
        assert_eq!(
            score(
                "en",
                "the company will publish its quarterly figures on monday"
            ),
            0.0
        );
    }
}
