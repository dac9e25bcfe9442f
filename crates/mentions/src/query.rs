//! A company's optional `query`: an extra filter in the analysts' search
//! syntax, checked on a document only after the company's terms matched.
//!
//! Syntax: words and "quoted phrases"; `AND` (also implied between two
//! parts), `OR`, `NOT` (or a leading `-`); parentheses; proximity as
//! `"a b"~3` (the phrase's words within 3 extra words of each other, any
//! order) or `a NEAR/3 b` (a and b at most 3 words apart, either side).
//! Operators are upper case; words match whole words, case-insensitively,
//! after the same normalisation as the terms. Precedence: NEAR, NOT, AND, OR.

use crate::text::{Token, Tokens, normalize_phrase};

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Query {
    /// Words in a row; with `slop`, within `len - 1 + slop` words in any order.
    Phrase {
        words: Vec<String>,
        slop: Option<u32>,
    },
    /// Two phrases at most `dist` words apart.
    Near {
        left: Box<Query>,
        right: Box<Query>,
        dist: u32,
    },
    And(Vec<Query>),
    Or(Vec<Query>),
    Not(Box<Query>),
}

#[derive(Debug, Clone, PartialEq)]
enum Lex {
    Open,
    Close,
    And,
    Or,
    Not,
    Near(u32),
    Phrase(String, Option<u32>),
    Word(String),
}

fn lex(q: &str) -> Result<Vec<Lex>, String> {
    let mut out = Vec::new();
    let mut chars = q.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Lex::Open);
            }
            ')' => {
                chars.next();
                out.push(Lex::Close);
            }
            '-' => {
                chars.next();
                out.push(Lex::Not);
            }
            '"' => {
                chars.next();
                let start = i + 1;
                let end = loop {
                    match chars.next() {
                        Some((j, '"')) => break j,
                        Some(_) => {}
                        None => {
                            return Err(format!(
                                "the quote at character {} is never closed",
                                i + 1
                            ));
                        }
                    }
                };
                let phrase = q[start..end].to_string();
                let mut slop = None;
                if let Some(&(_, '~')) = chars.peek() {
                    chars.next();
                    let mut digits = String::new();
                    while let Some(&(_, d)) = chars.peek() {
                        if !d.is_ascii_digit() {
                            break;
                        }
                        digits.push(d);
                        chars.next();
                    }
                    slop = Some(number(&digits, "~")?);
                }
                out.push(Lex::Phrase(phrase, slop));
            }
            _ => {
                let start = i;
                let mut end = q.len();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_whitespace() || matches!(d, '(' | ')' | '"') {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                let w = &q[start..end];
                out.push(match w {
                    "AND" | "&&" => Lex::And,
                    "OR" | "||" => Lex::Or,
                    "NOT" => Lex::Not,
                    _ => match w.strip_prefix("NEAR/") {
                        Some(n) => Lex::Near(number(n, "NEAR/")?),
                        None if w == "NEAR" => {
                            return Err("NEAR needs a distance, e.g. NEAR/3".into());
                        }
                        None if w.contains('~') => {
                            return Err(format!(
                                "{w:?}: proximity is written on a quoted phrase, e.g. \"a b\"~3"
                            ));
                        }
                        None => Lex::Word(w.to_string()),
                    },
                });
            }
        }
    }
    Ok(out)
}

fn number(digits: &str, after: &str) -> Result<u32, String> {
    match digits.parse::<u32>() {
        Ok(n) if n <= 1000 => Ok(n),
        _ => Err(format!("{after} needs a number of words (0..=1000)")),
    }
}

/// Parses a query; the error says what is wrong in the analyst's terms.
pub(crate) fn parse(q: &str) -> Result<Query, String> {
    let toks = lex(q)?;
    if toks.is_empty() {
        return Err("the query is empty".into());
    }
    let mut p = Parser { toks, at: 0 };
    let query = p.or()?;
    match p.toks.get(p.at) {
        None => Ok(query),
        Some(Lex::Close) => Err("a ')' has no '(' before it".into()),
        Some(t) => Err(format!("unexpected {t:?}")),
    }
}

struct Parser {
    toks: Vec<Lex>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Lex> {
        self.toks.get(self.at)
    }

    fn or(&mut self) -> Result<Query, String> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Lex::Or) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Query, String> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Lex::And) => {
                    self.at += 1;
                    parts.push(self.unary()?);
                }
                Some(Lex::Or | Lex::Close) | None => break,
                Some(_) => parts.push(self.unary()?),
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Query, String> {
        if self.peek() == Some(&Lex::Not) {
            self.at += 1;
            return Ok(Query::Not(Box::new(self.unary()?)));
        }
        self.near()
    }

    fn near(&mut self) -> Result<Query, String> {
        let mut left = self.primary()?;
        // "a NEAR/2 b NEAR/3 c": each neighbouring pair must be near.
        let mut pairs = Vec::new();
        while let Some(&Lex::Near(dist)) = self.peek() {
            // Checked on the tokens, so "(a) NEAR/2 b" is refused like
            // "(a OR b) NEAR/2 c": the same rule as the config check.
            let grouped = self.at > 0 && self.toks[self.at - 1] == Lex::Close
                || self.toks.get(self.at + 1) == Some(&Lex::Open);
            if grouped {
                return Err("NEAR joins words or \"phrases\", not groups".into());
            }
            self.at += 1;
            let right = self.primary()?;
            for side in [&left, &right] {
                if !matches!(side, Query::Phrase { .. }) {
                    return Err("NEAR joins words or \"phrases\", not groups".into());
                }
            }
            pairs.push(Query::Near {
                left: Box::new(left),
                right: Box::new(right.clone()),
                dist,
            });
            left = right;
        }
        Ok(match pairs.len() {
            0 => left,
            1 => pairs.remove(0),
            _ => Query::And(pairs),
        })
    }

    fn primary(&mut self) -> Result<Query, String> {
        let tok = self.peek().cloned();
        self.at += 1;
        match tok {
            Some(Lex::Open) => {
                let inner = self.or()?;
                if self.peek() != Some(&Lex::Close) {
                    return Err("a '(' is never closed".into());
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Lex::Word(w)) => phrase(&w, None),
            Some(Lex::Phrase(p, slop)) => phrase(&p, slop),
            Some(Lex::Close) => Err("a ')' has no '(' before it, or a group is empty".into()),
            Some(t) => Err(format!("{} needs something to work on", name(&t))),
            None => Err("the query ends where a word was expected".into()),
        }
    }
}

fn name(t: &Lex) -> &'static str {
    match t {
        Lex::And => "AND",
        Lex::Or => "OR",
        Lex::Not => "NOT",
        Lex::Near(_) => "NEAR",
        _ => "an operator",
    }
}

fn phrase(text: &str, slop: Option<u32>) -> Result<Query, String> {
    let norm = normalize_phrase(text);
    let words: Vec<String> = Tokens::new(&norm)
        .filter_map(|t| match t {
            Token::Word { text, .. } => Some(text.to_string()),
            _ => None,
        })
        .collect();
    if words.is_empty() {
        return Err(format!("{text:?} has no words to look for"));
    }
    Ok(Query::Phrase { words, slop })
}

impl Query {
    /// Whether the document (its normalised words, in order) satisfies the query.
    pub(crate) fn matches(&self, doc: &[&str]) -> bool {
        match self {
            Query::Phrase { .. } => self.spans(doc).next().is_some(),
            Query::Near { left, right, dist } => {
                let rights: Vec<(usize, usize)> = right.spans(doc).collect();
                left.spans(doc).any(|(ls, le)| {
                    rights.iter().any(|&(rs, re)| {
                        let gap = if rs > le {
                            rs - le - 1
                        } else {
                            ls.saturating_sub(re + 1)
                        };
                        gap <= *dist as usize
                    })
                })
            }
            Query::And(parts) => parts.iter().all(|p| p.matches(doc)),
            Query::Or(parts) => parts.iter().any(|p| p.matches(doc)),
            Query::Not(inner) => !inner.matches(doc),
        }
    }

    /// Where a phrase occurs: (first word, last word) positions.
    fn spans<'a>(&'a self, doc: &'a [&'a str]) -> Box<dyn Iterator<Item = (usize, usize)> + 'a> {
        let Query::Phrase { words, slop } = self else {
            return Box::new(std::iter::empty());
        };
        let k = words.len();
        match slop {
            None => Box::new(
                (0..doc.len().saturating_sub(k - 1))
                    .filter(move |&i| words.iter().zip(&doc[i..i + k]).all(|(w, d)| w == d))
                    .map(move |i| (i, i + k - 1)),
            ),
            Some(slop) => {
                // Every word within a window of k + slop words around an
                // occurrence of the first.
                let reach = k - 1 + *slop as usize;
                Box::new(
                    doc.iter()
                        .enumerate()
                        .filter(move |(_, d)| **d == words[0])
                        .filter_map(move |(p, _)| {
                            let lo = p.saturating_sub(reach);
                            let hi = (p + reach).min(doc.len() - 1);
                            let mut first = p;
                            let mut last = p;
                            for w in &words[1..] {
                                let q = (lo..=hi).find(|&q| q != p && doc[q] == w.as_str())?;
                                first = first.min(q);
                                last = last.max(q);
                            }
                            (last - first <= reach).then_some((first, last))
                        }),
                )
            }
        }
    }
}

/// The words of a normalised text, in order, for [`Query::matches`].
pub(crate) fn words_of<'a>(norm: &'a str, out: &mut Vec<&'a str>) {
    out.clear();
    out.extend(Tokens::new(norm).filter_map(|t| match t {
        Token::Word { text, .. } => Some(text),
        _ => None,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(q: &str, text: &str) -> bool {
        let norm = normalize_phrase(text);
        let mut words = Vec::new();
        words_of(&norm, &mut words);
        parse(q).unwrap().matches(&words)
    }

    #[test]
    fn boolean_operators_and_groups() {
        assert!(hit("storing", "Weer een storing bij Golf"));
        assert!(!hit("storing", "Weer een storingsmelding"));
        assert!(hit("storing OR uitval", "Uitval in Utrecht"));
        assert!(hit("storing AND utrecht", "Storing in Utrecht"));
        assert!(hit("storing utrecht", "Storing in Utrecht"));
        assert!(!hit("storing utrecht", "Storing in Amsterdam"));
        assert!(hit("(storing OR uitval) NOT gepland", "Uitval vannacht"));
        assert!(!hit(
            "(storing OR uitval) NOT gepland",
            "Geplande uitval, gepland onderhoud"
        ));
        assert!(!hit("internet -golfbaan", "internet op de golfbaan"));
        assert!(hit("NOT sport", "Golf Internet doet het"));
    }

    #[test]
    fn phrases_and_proximity() {
        assert!(hit("\"golf internet\"", "Bij GOLF Internet"));
        assert!(!hit("\"golf internet\"", "golf en internet"));
        assert!(hit("\"golf internet\"~2", "golf en ook internet"));
        assert!(hit("\"internet golf\"~2", "golf en internet"));
        assert!(!hit("\"golf internet\"~1", "golf speel ik, internet niet"));
        assert!(hit("golf NEAR/3 storing", "golf heeft weer een storing"));
        assert!(hit("storing NEAR/3 golf", "golf heeft weer een storing"));
        assert!(!hit("golf NEAR/1 storing", "golf heeft weer een storing"));
        assert!(hit(
            "\"meeuw air\" NEAR/2 vertraging",
            "Meeuw Air: vertraging"
        ));
        assert!(hit("a NEAR/1 b NEAR/1 c", "a b c"));
        assert!(!hit("a NEAR/1 b NEAR/1 c", "a b x x c"));
    }

    #[test]
    fn malformed_queries_say_what_is_wrong() {
        for (q, says) in [
            ("", "empty"),
            ("   ", "empty"),
            ("(storing", "never closed"),
            ("storing)", "no '('"),
            ("\"golf internet", "never closed"),
            ("storing AND", "ends"),
            ("OR storing", "OR needs"),
            ("golf NEAR storing", "distance"),
            ("golf NEAR/x storing", "number"),
            ("golf~3", "quoted phrase"),
            ("(a OR b) NEAR/2 c", "not groups"),
            ("\"!!\"", "no words"),
            ("()", "empty"),
        ] {
            let err = parse(q).unwrap_err();
            assert!(err.contains(says), "{q:?}: {err}");
        }
    }
}
