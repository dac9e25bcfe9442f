//! Finding the tracked companies a text names.
//!
//! Every company's terms, context words and exclude phrases go into ONE
//! Aho-Corasick automaton over normalised (lower-case) text, so the cost of
//! reading a document does not grow with the number of companies. Each
//! candidate is then checked: whole words only, exact case where the company
//! asks for it, a context word somewhere in the document, and no exclude
//! phrase covering it.

use crate::text::{
    FastMap, Normalized, char_before, is_whole_word, is_word_char, normalize_phrase, same_text,
};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use repmon_config::Company;

/// Up to this many patterns the automaton is built as a DFA: the fastest
/// to search, but its memory grows quickly with the pattern count.
const DFA_MAX_PATTERNS: usize = 4_000;

/// The shortest joined-up variant ("zonenergie" for "Zon Energie") we
/// accept; shorter ones ("hm" for "H&M") are ordinary words.
const MIN_VARIANT_CHARS: usize = 5;

/// What a pattern means as one company's name.
#[derive(Debug, Clone)]
struct Name {
    company: u32,
    /// Its spelling, when the company is case-sensitive.
    exact: Option<Box<str>>,
    /// The joined-up or hyphenated form of a multi-word name, which after
    /// `@`/`#` is a tag in any case.
    variant: bool,
    /// One of the company's own `@accounts`.
    handle: bool,
}

/// Everything one pattern of the automaton stands for. Context words and
/// exclude phrases are numbered once however many companies share them, so
/// a common context word ("energie") costs one note per occurrence, not one
/// per company that lists it.
#[derive(Debug, Clone, Default)]
struct Pattern {
    names: Vec<Name>,
    context: Option<u32>,
    exclude: Option<u32>,
}

/// A company's context words and exclude phrases, by number.
#[derive(Debug, Clone, Default)]
struct Rules {
    context: Vec<u32>,
    exclude: Vec<u32>,
}

/// How a name was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum HitKind {
    /// A name that needs the company's context words (if it has any).
    Term,
    /// A name that stands on its own: the company's @handle or #tag.
    Sure,
}

/// One place in the normalised text where a company's name stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub company: u32,
    pub kind: HitKind,
    pub start: u32,
    pub end: u32,
}

/// Buffers for [`Matcher::find`], reused from document to document.
#[derive(Default)]
pub(crate) struct MatchScratch {
    names: Vec<Hit>,
    context_seen: Vec<u32>,
    /// (exclude number, start, end)
    excluded: Vec<(u32, u32, u32)>,
}

/// The compiled patterns of all companies.
pub(crate) struct Matcher {
    automaton: Option<AhoCorasick>,
    patterns: Vec<Pattern>,
    rules: Vec<Rules>,
}

impl Matcher {
    pub fn new(companies: &[Company]) -> Matcher {
        let mut texts: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut index: FastMap<String, usize> = FastMap::default();
        let mut slot = |text: String| -> Option<usize> {
            if text.trim().is_empty() {
                return None;
            }
            Some(*index.entry(text.clone()).or_insert_with(|| {
                texts.push(text);
                patterns.push(Pattern::default());
                patterns.len() - 1
            }))
        };
        // Numbering of context words and exclude phrases: by pattern slot.
        let mut rules = Vec::with_capacity(companies.len());
        let mut names: Vec<(usize, Name)> = Vec::new();
        let mut contexts: Vec<usize> = Vec::new();
        let mut excludes: Vec<usize> = Vec::new();
        for (i, c) in companies.iter().enumerate() {
            let company = i as u32;
            let exact = |s: &str| c.case_sensitive.then(|| Box::<str>::from(s));
            for term in &c.terms {
                let term = term.trim();
                let n = normalize_phrase(term);
                let Some(at) = slot(n.clone()) else { continue };
                names.push((
                    at,
                    Name {
                        company,
                        exact: exact(term),
                        variant: false,
                        handle: false,
                    },
                ));
                if n.chars().any(|ch| !is_word_char(ch)) {
                    let joined: String = n.chars().filter(|&ch| is_word_char(ch)).collect();
                    let joined_orig: String = term.chars().filter(|&ch| is_word_char(ch)).collect();
                    if joined.chars().count() >= MIN_VARIANT_CHARS
                        && let Some(at) = slot(joined)
                    {
                        names.push((
                            at,
                            Name {
                                company,
                                exact: exact(&joined_orig),
                                variant: true,
                                handle: false,
                            },
                        ));
                    }
                }
                if n.contains(' ') {
                    let hyphenated_orig = term.split_whitespace().collect::<Vec<_>>().join("-");
                    if let Some(at) = slot(n.replace(' ', "-")) {
                        names.push((
                            at,
                            Name {
                                company,
                                exact: exact(&hyphenated_orig),
                                variant: true,
                                handle: false,
                            },
                        ));
                    }
                }
            }
            for account in &c.accounts {
                if let Some(at) = handle_of(account).and_then(&mut slot) {
                    names.push((
                        at,
                        Name {
                            company,
                            exact: None,
                            variant: false,
                            handle: true,
                        },
                    ));
                }
            }
            let mut r = Rules::default();
            for word in &c.context {
                if let Some(at) = slot(normalize_phrase(word)) {
                    contexts.push(at);
                    r.context.push(at as u32);
                }
            }
            for phrase in &c.exclude {
                if let Some(at) = slot(normalize_phrase(phrase)) {
                    excludes.push(at);
                    r.exclude.push(at as u32);
                }
            }
            rules.push(r);
        }
        for (at, name) in names {
            patterns[at].names.push(name);
        }
        for at in contexts {
            patterns[at].context = Some(at as u32);
        }
        for at in excludes {
            patterns[at].exclude = Some(at as u32);
        }
        let automaton = build(&texts);
        Matcher {
            automaton,
            patterns,
            rules,
        }
    }

    /// Approximate heap size of the automaton, in bytes.
    pub fn memory_usage(&self) -> usize {
        self.automaton.as_ref().map_or(0, |a| a.memory_usage())
    }

    /// The company names standing in `norm` that pass every check, into
    /// `accepted`, ordered by company and position. `title` and `body` are
    /// the originals behind `norm`, for exact case.
    pub fn find(
        &self,
        norm: &Normalized,
        title: &str,
        body: &str,
        scratch: &mut MatchScratch,
        accepted: &mut Vec<Hit>,
    ) {
        let MatchScratch {
            names,
            context_seen,
            excluded,
        } = scratch;
        names.clear();
        context_seen.clear();
        excluded.clear();
        accepted.clear();
        let Some(ac) = &self.automaton else { return };
        let text = norm.text.as_str();
        for m in ac.find_overlapping_iter(text) {
            let (start, end) = (m.start(), m.end());
            if !is_whole_word(text, start, end) {
                continue;
            }
            let p = &self.patterns[m.pattern().as_usize()];
            if let Some(id) = p.context
                && !context_seen.contains(&id)
            {
                context_seen.push(id);
            }
            if let Some(id) = p.exclude {
                excluded.push((id, start as u32, end as u32));
            }
            for name in &p.names {
                let tagged = name.variant && matches!(char_before(text, start), Some('@' | '#'));
                let sure = name.handle || tagged;
                if let Some(exact) = &name.exact
                    && !sure
                    && !same_text(norm.original(title, body, start, end), exact)
                {
                    continue;
                }
                let kind = if sure { HitKind::Sure } else { HitKind::Term };
                names.push(Hit {
                    company: name.company,
                    kind,
                    start: start as u32,
                    end: end as u32,
                });
            }
        }
        if names.is_empty() {
            return;
        }
        names.sort_unstable_by_key(|h| (h.company, h.start, h.kind));
        for group in names.chunk_by(|a, b| a.company == b.company) {
            let rules = &self.rules[group[0].company as usize];
            let context_ok = rules.context.is_empty()
                || rules.context.iter().any(|id| context_seen.contains(id));
            for h in group {
                if h.kind == HitKind::Term && !context_ok {
                    continue;
                }
                let vetoed = !rules.exclude.is_empty()
                    && excluded.iter().any(|&(id, s, e)| {
                        s <= h.start && h.end <= e && rules.exclude.contains(&id)
                    });
                if !vetoed {
                    accepted.push(*h);
                }
            }
        }
    }
}

fn build(patterns: &[String]) -> Option<AhoCorasick> {
    if patterns.is_empty() {
        return None;
    }
    let mut builder = AhoCorasick::builder();
    builder.match_kind(MatchKind::Standard);
    if patterns.len() <= DFA_MAX_PATTERNS {
        builder.kind(Some(AhoCorasickKind::DFA));
        if let Ok(ac) = builder.build(patterns) {
            return Some(ac);
        }
    }
    // Let the crate choose (a contiguous NFA for large sets); it only fails
    // beyond limits no company list reaches.
    builder.kind(None).build(patterns).ok()
}

/// The `@handle` an account is written as in text, if it is a handle
/// (`@zonenergie`, `zonenergie@mastodon.social`) and not a display name.
fn handle_of(account: &str) -> Option<String> {
    let a = account.trim();
    if a.is_empty() || a.chars().any(char::is_whitespace) {
        return None;
    }
    let bare = a.strip_prefix('@');
    let has_at = bare.is_some() || a.contains('@');
    let local = bare.unwrap_or(a).split('@').next().unwrap_or("");
    if !has_at || local.is_empty() {
        return None;
    }
    Some(format!("@{}", normalize_phrase(local)))
}

/// Whether a document's author is one of the company's accounts:
/// case-insensitive, with or without `@`, `user@instance` matching `user`
/// (or `@user@instance`) but not another instance's `user`.
pub(crate) fn author_is(author: &str, account: &str) -> bool {
    let norm = |s: &str| s.trim().trim_start_matches('@').to_lowercase();
    let (a, b) = (norm(author), norm(account));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if same_text(&a, &b) {
        return true;
    }
    match (a.split_once('@'), b.split_once('@')) {
        (Some((user, _)), None) => user == b,
        (None, Some((user, _))) => user == a,
        _ => false,
    }
}

/// The lower-case host of a URL, without port or user info.
pub(crate) fn host_of(url: &str) -> Option<&str> {
    let rest = url.trim().split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

/// Whether `host` is `domain` or one of its subdomains (case-insensitive).
pub(crate) fn host_in(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.');
    let domain = domain.trim().trim_start_matches("*.").trim_end_matches('.');
    if domain.is_empty() || host.len() < domain.len() {
        return false;
    }
    let cut = host.len() - domain.len();
    if !host.is_char_boundary(cut) || !host[cut..].eq_ignore_ascii_case(domain) {
        return false;
    }
    host.len() == domain.len() || host.as_bytes()[host.len() - domain.len() - 1] == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_match_accounts_in_their_usual_spellings() {
        assert!(author_is("@ZonEnergie", "zonenergie"));
        assert!(author_is("zonenergie@mastodon.social", "@zonenergie"));
        assert!(author_is("zonenergie", "@zonenergie@mastodon.social"));
        assert!(author_is(
            "zon energie  klantenservice",
            "Zon Energie Klantenservice"
        ));
        assert!(!author_is(
            "zonenergie@other.example",
            "zonenergie@mastodon.social"
        ));
        assert!(!author_is("zonenergiefan", "@zonenergie"));
        assert!(!author_is("", "@zonenergie"));
    }

    #[test]
    fn hosts_and_subdomains() {
        assert_eq!(
            host_of("https://user@Blog.ZonEnergie.example:8443/x?y"),
            Some("Blog.ZonEnergie.example")
        );
        assert!(host_in("Blog.ZonEnergie.example", "zonenergie.example"));
        assert!(host_in("zonenergie.example", "zonenergie.example"));
        assert!(!host_in("notzonenergie.example", "zonenergie.example"));
        assert!(!host_in("zonenergie.example.evil", "zonenergie.example"));
    }

    #[test]
    fn handles_come_from_at_accounts_only() {
        assert_eq!(handle_of("@ZonEnergie").as_deref(), Some("@zonenergie"));
        assert_eq!(
            handle_of("zonenergie@mastodon.social").as_deref(),
            Some("@zonenergie")
        );
        assert_eq!(handle_of("Zon Energie Klantenservice"), None);
        assert_eq!(handle_of("zonenergie"), None);
    }
}
