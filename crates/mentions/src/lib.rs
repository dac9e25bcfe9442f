//! The mentions stage: which tracked companies a document names, and the
//! sentiment toward each of them (Dutch and English).
//!
//! [`Analyzer::analyze`] normalises the text once into a per-thread buffer,
//! finds every company with one automaton ([`matcher`]), splits the text into
//! clauses ([`text`]), scores each clause once ([`sentiment`]) and gives each
//! company the score of the clauses that name it. When those clauses say
//! nothing, the clauses that name no other company speak for it, at reduced
//! weight; a text that says nothing at all is neutral. A review's star rating
//! weighs in for the company the review is about.
//!
//! Labels: positive at a score of [`POSITIVE_AT`] (+0.05) or more, negative
//! at [`NEGATIVE_AT`] (-0.05) or less, neutral between.

mod lang;
mod matcher;
mod names;
mod query;
mod sentiment;
mod text;

pub use lang::detect_language;
pub use sentiment::{NEGATIVE_AT, POSITIVE_AT};

use matcher::{Hit, MatchScratch, Matcher, author_is, host_in, host_of};
use names::Cased;
use repmon_config::Company;
use repmon_model::{CompanyMention, Document, Mention, Sentiment};
use sentiment::{Tally, lexicon, score_clause_named};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;
use text::{Clause, FastSet, Normalized, Token, Tokens};

/// Clauses that name no company speak for one whose own clauses say
/// nothing, at this weight: they are probably, not surely, about it.
const FALLBACK_WEIGHT: f32 = 0.6;
/// A clause opened by "maar"/"but" counts this much...
const CONTRAST_WEIGHT: f32 = 1.5;
/// ...and the clause it contradicts this much.
const CONTRADICTED_WEIGHT: f32 = 0.5;
/// A review's stars weigh this much against its words.
const RATING_WEIGHT: f32 = 0.6;
/// At most this many terms per company mention.
const MAX_TERMS: usize = 12;
/// Scratch buffers grown beyond this by a huge document are let go.
const SCRATCH_KEEP_BYTES: usize = 4 << 20;

/// What [`Analyzer::mention_or_document`] made of a document.
#[derive(Debug)]
pub enum Analyzed {
    /// It names a tracked company, or is a company's own post.
    Mention(Mention),
    /// It makes no mention: the document, handed back.
    NoMention(Document),
}

/// Built once from the configured companies; cheap to share (&self, Send + Sync).
pub struct Analyzer {
    matcher: Matcher,
    /// Each company's parsed `query`, if it has one.
    queries: Vec<Option<query::Query>>,
    any_query: bool,
    companies: Vec<Tracked>,
    by_id: HashMap<String, u32>,
    /// Companies by the lower-case user part of their accounts, and by
    /// their domains: a company's own post is found by one lookup (or one
    /// per label of the host), whatever the number of companies.
    by_account: HashMap<String, Vec<u32>>,
    by_domain: HashMap<String, Vec<u32>>,
}

/// What the analyzer keeps of a company beyond its patterns.
struct Tracked {
    id: String,
    /// The lower-case words of its own names, never reported as terms.
    own_words: Vec<String>,
    accounts: Vec<String>,
    domains: Vec<String>,
}

/// Per-thread buffers reused from document to document.
#[derive(Default)]
struct Scratch {
    norm: Normalized,
    matching: MatchScratch,
    accepted: Vec<Hit>,
    clauses: Vec<Clause>,
    tallies: Vec<Option<Tally>>,
    /// How many companies name each clause.
    claims: Vec<u16>,
    /// The clauses naming the company at hand.
    own: Vec<u32>,
    /// (company, first accepted hit index, hit count) of each company found.
    found: Vec<(u32, u32, u32)>,
    /// Byte spans of the accepted company names, by start: not scored.
    names: Vec<(u32, u32)>,
    /// Companies whose own post the document is.
    owners: Vec<u32>,
    /// The document author's account key (see `account_user`).
    author_key: String,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Dutch and English function words plus link debris: never a topic.
static NOT_TERMS: LazyLock<FastSet<&'static str>> = LazyLock::new(|| {
    text::STOP_NL
        .iter()
        .chain(text::STOP_EN)
        .chain(text::NOT_TOPICS)
        .chain(text::CONTRAST)
        .chain(text::CONTRAST_SUB)
        .copied()
        .collect()
});

impl Analyzer {
    /// Compile all companies' terms into one automaton.
    pub fn new(companies: &[Company]) -> Analyzer {
        let tracked = companies
            .iter()
            .map(|c| {
                let mut own_words: Vec<String> = Vec::new();
                for name in c
                    .terms
                    .iter()
                    .chain(std::iter::once(&c.name))
                    .chain(&c.accounts)
                {
                    let n = text::normalize_phrase(name);
                    for tok in Tokens::new(&n) {
                        if let Token::Word { text: w, .. } = tok
                            && !own_words.iter().any(|o| o == w)
                        {
                            own_words.push(w.to_string());
                        }
                    }
                }
                Tracked {
                    id: c.id.clone(),
                    own_words,
                    accounts: c.accounts.clone(),
                    domains: c
                        .domains
                        .iter()
                        .map(|d| d.trim().to_ascii_lowercase())
                        .collect(),
                }
            })
            .collect();
        let by_id = companies
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i as u32))
            .collect();
        let mut by_account: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_domain: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, c) in companies.iter().enumerate() {
            for acc in &c.accounts {
                let mut user = String::new();
                account_user(acc, &mut user);
                if !user.is_empty() {
                    by_account.entry(user).or_default().push(i as u32);
                }
            }
            for d in &c.domains {
                let d = d.trim().trim_start_matches("*.").trim_end_matches('.');
                if !d.is_empty() {
                    by_domain
                        .entry(d.to_ascii_lowercase())
                        .or_default()
                        .push(i as u32);
                }
            }
        }
        // The config was validated, so a query parses; one that does not
        // (an unvalidated Company) filters nothing rather than everything.
        let queries: Vec<Option<query::Query>> = companies
            .iter()
            .map(|c| c.query.as_deref().and_then(|q| query::parse(q).ok()))
            .collect();
        Analyzer {
            any_query: queries.iter().any(Option::is_some),
            queries,
            matcher: Matcher::new(companies),
            companies: tracked,
            by_id,
            by_account,
            by_domain,
        }
    }

    /// Approximate memory held by the compiled patterns, in bytes.
    pub fn automaton_bytes(&self) -> usize {
        self.matcher.memory_usage()
    }

    /// The mention this document makes, or None when it names no tracked
    /// company and is no company's own post (by its accounts or domains).
    /// Sets lang ("nl" | "en" | "other"), and per company: sentiment label, score (-1..=1), owned, terms.
    pub fn analyze(&self, doc: Document) -> Option<Mention> {
        match self.mention_or_document(doc) {
            Analyzed::Mention(m) => Some(m),
            Analyzed::NoMention(_) => None,
        }
    }

    /// Like [`Analyzer::analyze`], but a document that makes no mention is
    /// handed back, for the caller to keep (a later rematch may find a
    /// company in it).
    pub fn mention_or_document(&self, doc: Document) -> Analyzed {
        SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            let found = self.analyze_in(&mut scratch, &doc);
            if scratch.norm.text.capacity() > SCRATCH_KEEP_BYTES {
                *scratch = Scratch::default();
            }
            match found {
                Some((companies, lang)) => Analyzed::Mention(Mention {
                    doc,
                    lang: lang.to_string(),
                    companies,
                }),
                None => Analyzed::NoMention(doc),
            }
        })
    }

    /// Only the company ids a text names (title + body), in configuration
    /// order: matching without sentiment, e.g. for re-matching stored text.
    pub fn companies_in(&self, title: &str, body: &str) -> Vec<&str> {
        SCRATCH.with(|cell| {
            let s = &mut *cell.borrow_mut();
            s.norm.set_doc(title, body);
            self.matcher
                .find(&s.norm, title, body, &mut s.matching, &mut s.accepted);
            self.apply_queries(s);
            let mut ids: Vec<&str> = Vec::new();
            for h in &s.accepted {
                let id = self.companies[h.company as usize].id.as_str();
                if ids.last() != Some(&id) {
                    ids.push(id);
                }
            }
            ids
        })
    }

    /// Drops the hits of companies whose `query` the document does not
    /// satisfy. Hits come grouped by company, so each query runs once.
    fn apply_queries(&self, s: &mut Scratch) {
        if !self.any_query || s.accepted.is_empty() {
            return;
        }
        let Scratch { norm, accepted, .. } = s;
        // Only documents that hit a company with a query pay for this list.
        let mut words_of: Vec<&str> = Vec::new();
        let mut filled = false;
        let mut last: Option<(u32, bool)> = None;
        accepted.retain(|h| {
            if let Some((c, keep)) = last
                && c == h.company
            {
                return keep;
            }
            let keep = match &self.queries[h.company as usize] {
                None => true,
                Some(q) => {
                    if !filled {
                        query::words_of(&norm.text, &mut words_of);
                        filled = true;
                    }
                    q.matches(&words_of)
                }
            };
            last = Some((h.company, keep));
            keep
        });
    }

    fn analyze_in(
        &self,
        s: &mut Scratch,
        doc: &Document,
    ) -> Option<(Vec<CompanyMention>, &'static str)> {
        s.norm.set_doc(&doc.title, &doc.body);
        self.matcher.find(
            &s.norm,
            &doc.title,
            &doc.body,
            &mut s.matching,
            &mut s.accepted,
        );
        self.apply_queries(s);
        let about = doc
            .about
            .as_deref()
            .and_then(|id| self.by_id.get(id.trim()))
            .copied();

        s.found.clear();
        for (i, h) in s.accepted.iter().enumerate() {
            match s.found.last_mut() {
                Some(last) if last.0 == h.company => last.2 += 1,
                _ => s.found.push((h.company, i as u32, 1)),
            }
        }
        if let Some(a) = about
            && !s.found.iter().any(|f| f.0 == a)
        {
            s.found.push((a, 0, 0));
        }
        // A company's own post is its mention even when it does not name
        // itself: a webcare answer ("@anna sorry, we kijken mee") counts for
        // the company it comes from.
        self.owners_of(doc, &mut s.author_key, &mut s.owners);
        for &o in &s.owners {
            if !s.found.iter().any(|f| f.0 == o) {
                s.found.push((o, 0, 0));
            }
        }
        if s.found.is_empty() {
            return None;
        }
        s.names.clear();
        s.names.extend(s.accepted.iter().map(|h| (h.start, h.end)));
        s.names.sort_unstable();

        let lang = doc
            .lang_hint
            .as_deref()
            .and_then(lang::hint_language)
            .unwrap_or_else(|| detect_language(&s.norm.text));
        let lex = lexicon(lang);
        let norm = s.norm.text.as_str();
        text::clauses(norm, &mut s.clauses);
        let cased = Cased::new(&s.norm, &doc.title, &doc.body);
        // Clauses are scored when first needed: a long post that names a
        // company once costs one clause, not the whole text.
        s.tallies.clear();
        s.tallies.resize(s.clauses.len(), None);
        let tally_of = |tallies: &mut Vec<Option<Tally>>, ci: usize| -> Tally {
            *tallies[ci].get_or_insert_with(|| {
                let c = s.clauses[ci];
                let clause = &norm[c.start as usize..c.end as usize];
                let lo = s.names.partition_point(|n| n.0 < c.start);
                let hi = s.names.partition_point(|n| n.0 < c.end);
                match lex {
                    Some(lex) => {
                        score_clause_named(lex, clause, c.start, &s.names[lo..hi], Some(&cased))
                    }
                    // Words of other languages are not guessed at; emoji mean the same everywhere.
                    None => sentiment::score_symbols(clause),
                }
            })
        };

        // Which clauses each company is named in.
        s.claims.clear();
        s.claims.resize(s.clauses.len(), 0);
        for &(_, first, n) in &s.found {
            s.own.clear();
            for h in &s.accepted[first as usize..(first + n) as usize] {
                let ci = clause_at(&s.clauses, h.start);
                if !s.own.contains(&ci) {
                    s.own.push(ci);
                    s.claims[ci as usize] = s.claims[ci as usize].saturating_add(1);
                }
            }
        }

        let ironic = sentiment::marks_irony(norm);
        let mut out = Vec::with_capacity(s.found.len());
        for &(company, first, n) in &s.found {
            s.own.clear();
            for h in &s.accepted[first as usize..(first + n) as usize] {
                let ci = clause_at(&s.clauses, h.start);
                if !s.own.contains(&ci) {
                    s.own.push(ci);
                }
            }
            // "X is cheap, but the service is awful": a contrasting clause
            // that names no company goes on about the one before it.
            for k in 0..s.own.len() {
                let mut next = s.own[k] as usize + 1;
                while next < s.clauses.len() && s.clauses[next].contrast && s.claims[next] == 0 {
                    if !s.own.contains(&(next as u32)) {
                        s.own.push(next as u32);
                    }
                    next += 1;
                }
            }
            let mut tally = Tally::default();
            for &ci in &s.own {
                let t = tally_of(&mut s.tallies, ci as usize);
                tally.add(t, clause_weight(&s.clauses, ci as usize));
            }
            // Nothing said where the company is named: the clauses that name
            // no company are probably about it ("Ik belde X. Wat een ramp!").
            let fallback = tally.hits == 0;
            if fallback {
                let weight = if s.own.is_empty() {
                    1.0
                } else {
                    FALLBACK_WEIGHT
                };
                for ci in 0..s.clauses.len() {
                    if s.claims[ci] == 0 {
                        let t = tally_of(&mut s.tallies, ci);
                        tally.add(t, weight * clause_weight(&s.clauses, ci));
                    }
                }
            }
            if ironic {
                tally.take_as_irony();
            }
            let mut score = lex.map_or(tally.score(), |l| l.calibrate(tally.score()));
            if let Some(stars) = doc.rating.filter(|r| r.is_finite())
                && (about.is_none() || about == Some(company))
            {
                let from_stars = (stars.clamp(1.0, 5.0) - 3.0) / 2.0;
                score = if tally.hits == 0 {
                    from_stars
                } else {
                    RATING_WEIGHT * from_stars + (1.0 - RATING_WEIGHT) * score
                };
            }
            let score = score.clamp(-1.0, 1.0);
            let tracked = &self.companies[company as usize];
            let terms = if fallback && s.own.is_empty() {
                let unclaimed: Vec<u32> = (0..s.clauses.len() as u32)
                    .filter(|&ci| s.claims[ci as usize] == 0)
                    .collect();
                terms_of(norm, &s.clauses, &unclaimed, &tracked.own_words)
            } else {
                terms_of(norm, &s.clauses, &s.own, &tracked.own_words)
            };
            out.push(CompanyMention {
                company: tracked.id.clone(),
                sentiment: label(score),
                score,
                owned: s.owners.contains(&company),
                terms,
            });
        }
        Some((out, lang))
    }

    /// The companies whose own account wrote the document or whose domain
    /// serves it.
    fn owners_of(&self, doc: &Document, key: &mut String, out: &mut Vec<u32>) {
        out.clear();
        if let Some(author) = doc.author.as_deref()
            && !self.by_account.is_empty()
        {
            account_user(author, key);
            if let Some(cands) = self.by_account.get(key.as_str()) {
                for &c in cands {
                    let tracked = &self.companies[c as usize];
                    if tracked.accounts.iter().any(|acc| author_is(author, acc))
                        && !out.contains(&c)
                    {
                        out.push(c);
                    }
                }
            }
        }
        if self.by_domain.is_empty() {
            return;
        }
        if let Some(host) = host_of(&doc.url) {
            key.clear();
            key.push_str(host.trim_end_matches('.'));
            key.make_ascii_lowercase();
            // The host itself, then each parent domain: shop.zon.nl, zon.nl, nl.
            let mut rest = key.as_str();
            loop {
                if let Some(cands) = self.by_domain.get(rest) {
                    for &c in cands {
                        // The index finds candidates; the rule decides.
                        let tracked = &self.companies[c as usize];
                        if tracked.domains.iter().any(|d| host_in(host, d)) && !out.contains(&c) {
                            out.push(c);
                        }
                    }
                }
                match rest.split_once('.') {
                    Some((_, parent)) => rest = parent,
                    None => break,
                }
            }
        }
    }
}

/// The lower-case user part of an account or author: `@Zon@mastodon.nl`
/// and `zon` both give `zon`.
fn account_user(account: &str, out: &mut String) {
    out.clear();
    let bare = account.trim().trim_start_matches('@');
    let user = bare.split('@').next().unwrap_or("");
    for word in user.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
}

/// The label for a score (see the crate docs for the thresholds).
pub fn label(score: f32) -> Sentiment {
    if score >= POSITIVE_AT {
        Sentiment::Positive
    } else if score <= NEGATIVE_AT {
        Sentiment::Negative
    } else {
        Sentiment::Neutral
    }
}

/// The clause containing byte `at`.
fn clause_at(clauses: &[Clause], at: u32) -> u32 {
    let i = clauses.partition_point(|c| c.start <= at);
    i.saturating_sub(1) as u32
}

/// "X is fine, but Y is awful": the clause after the contrast word weighs
/// more, the one before it less.
fn clause_weight(clauses: &[Clause], i: usize) -> f32 {
    weight_of(
        clauses[i].contrast,
        clauses.get(i + 1).is_some_and(|n| n.contrast),
    )
}

/// [`clause_weight`] of a clause by its contrast and the next clause's.
fn weight_of(contrast: bool, next_contrast: bool) -> f32 {
    if contrast {
        CONTRAST_WEIGHT
    } else if next_contrast {
        CONTRADICTED_WEIGHT
    } else {
        1.0
    }
}

/// Content words of the given clauses, in order of appearance.
fn terms_of(norm: &str, clauses: &[Clause], which: &[u32], own: &[String]) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    let mut sorted: Vec<u32> = which.to_vec();
    sorted.sort_unstable();
    'clauses: for &ci in &sorted {
        let c = clauses[ci as usize];
        for tok in Tokens::new(&norm[c.start as usize..c.end as usize]) {
            let Token::Word {
                text: w, handle, ..
            } = tok
            else {
                continue;
            };
            if handle
                || w.chars().count() < 3
                || w.chars().all(|ch| ch.is_numeric())
                || NOT_TERMS.contains(w)
                || own.iter().any(|o| o == w)
                || terms.iter().any(|t| t == w)
            {
                continue;
            }
            terms.push(w.to_string());
            if terms.len() == MAX_TERMS {
                break 'clauses;
            }
        }
    }
    terms
}

/// Sentiment of a piece of text in a language, -1..=1 (0 for other languages).
pub fn sentiment(text: &str, lang: &str) -> f32 {
    match lexicon(lang) {
        Some(lex) => sentiment_with(lex, text),
        None => 0.0,
    }
}

/// What the lexicon learner (`examples/learn_lexicon.rs`) needs from the
/// scorer; not part of the daemon's interface.
#[doc(hidden)]
pub mod learning {
    /// [`crate::sentiment`] with the hand-written lexicon only, without the
    /// learned table: the learner explains what this leaves unexplained.
    pub fn hand_sentiment(text: &str, lang: &str) -> f32 {
        match crate::sentiment::hand_lexicon(lang) {
            Some(lex) => crate::sentiment_with(lex, text),
            None => 0.0,
        }
    }

    /// The scorer with a candidate learned table (the format of
    /// `lexicon/*_learned.tsv`) under the hand-written one.
    pub struct CandidateScorer(crate::sentiment::Lexicon);

    impl CandidateScorer {
        /// None for a language without a hand lexicon.
        pub fn new(lang: &str, learned: &'static str) -> Option<CandidateScorer> {
            crate::sentiment::Lexicon::with_learned(lang, learned).map(CandidateScorer)
        }

        /// Like [`crate::sentiment`], -1..=1.
        pub fn score(&self, text: &str) -> f32 {
            crate::sentiment_with(&self.0, text)
        }
    }

    /// The key a learned table uses for its neutral band:
    /// `<neutral_band><TAB>0.2` makes raw scores within ±0.2 neutral.
    pub const NEUTRAL_BAND_KEY: &str = crate::sentiment::NEUTRAL_BAND_KEY;

    /// Whether a labelled record is in the *tuning part* of its set, the
    /// only part lexicon work may look at: its `split` is `train` or `val`,
    /// or, in a set without splits, FNV-1a-64 of its id is a multiple of 5
    /// (about a fifth). The rest is held out for the reported figures.
    pub fn in_tuning_part(id: &str, split: Option<&str>) -> bool {
        match split {
            Some(split) => matches!(split, "train" | "val"),
            None => repmon_model::hash::fnv1a(id.as_bytes()).is_multiple_of(5),
        }
    }

    /// Whether the hand-written lexicon alone settles a (lower-case) word:
    /// listed (even with weight 0) or found through one of its forms. A
    /// learned table need not, and must not, say anything about it.
    pub fn hand_decides(word: &str, lang: &str) -> bool {
        crate::sentiment::hand_lexicon(lang).is_some_and(|l| l.decides(word))
    }

    /// Whether the scorer treats a (lower-case) word by its role (negation,
    /// intensifier, function word) rather than by a weight.
    pub fn is_modifier(word: &str, lang: &str) -> bool {
        crate::sentiment::is_modifier_in(word, lang)
    }
}

fn sentiment_with(lex: &sentiment::Lexicon, text: &str) -> f32 {
    SCRATCH.with(|cell| {
        let s = &mut *cell.borrow_mut();
        s.norm.set(text);
        let norm = s.norm.text.as_str();
        let cased = Cased::new(&s.norm, text, "");
        let mut tally = Tally::default();
        // A clause's weight depends on the next: each is added when the
        // next is known.
        let mut last: Option<(Clause, Tally)> = None;
        sentiment::score_text(lex, norm, Some(&cased), |c, t| {
            if let Some((p, pt)) = last.replace((c, t)) {
                tally.add(pt, weight_of(p.contrast, c.contrast));
            }
        });
        if let Some((p, pt)) = last {
            tally.add(pt, weight_of(p.contrast, false));
        }
        if sentiment::marks_irony(norm) {
            tally.take_as_irony();
        }
        lex.calibrate(tally.score())
    })
}

#[cfg(test)]
mod tests;
