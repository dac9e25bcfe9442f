//! A company's optional `query` (its grammar is
//! [`repmon_config::query`]), compiled for matching: each phrase's words
//! normalised as the terms are, so that they match whole words,
//! case-insensitively, in a document's normalised text.

use crate::text::{Token, Tokens, normalize_phrase};
use repmon_config::query as syntax;

/// A compiled query: the parsed one with each phrase as its words.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query(syntax::Query<Words>);

/// A phrase's normalised words; with `slop`, within `len - 1 + slop` words
/// of each other in any order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Words {
    words: Vec<String>,
    slop: Option<u32>,
}

/// Parses and compiles a query; the error says what is wrong in the
/// analyst's terms.
pub(crate) fn parse(q: &str) -> Result<Query, String> {
    syntax::parse(q)?.try_map(&mut words).map(Query)
}

fn words(p: &syntax::Phrase) -> Result<Words, String> {
    let norm = normalize_phrase(&p.text);
    let words: Vec<String> = Tokens::new(&norm)
        .filter_map(|t| match t {
            Token::Word { text, .. } => Some(text.to_string()),
            _ => None,
        })
        .collect();
    if words.is_empty() {
        return Err(format!("{:?} has no words to look for", p.text));
    }
    Ok(Words {
        words,
        slop: p.slop,
    })
}

impl Query {
    /// Whether the document (its normalised words, in order) satisfies the query.
    pub(crate) fn matches(&self, doc: &[&str]) -> bool {
        matches(&self.0, doc)
    }
}

fn matches(q: &syntax::Query<Words>, doc: &[&str]) -> bool {
    match q {
        syntax::Query::Phrase(p) => spans(p, doc).next().is_some(),
        syntax::Query::Near { left, right, dist } => {
            let (syntax::Query::Phrase(left), syntax::Query::Phrase(right)) = (&**left, &**right)
            else {
                // The grammar puts NEAR between phrases only.
                return false;
            };
            let rights: Vec<(usize, usize)> = spans(right, doc).collect();
            spans(left, doc).any(|(ls, le)| {
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
        syntax::Query::And(parts) => parts.iter().all(|p| matches(p, doc)),
        syntax::Query::Or(parts) => parts.iter().any(|p| matches(p, doc)),
        syntax::Query::Not(inner) => !matches(inner, doc),
    }
}

/// Where a phrase occurs: (first word, last word) positions.
fn spans<'a>(p: &'a Words, doc: &'a [&'a str]) -> Box<dyn Iterator<Item = (usize, usize)> + 'a> {
    let Words { words, slop } = p;
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
    fn malformed_queries_are_refused_with_the_grammars_reason() {
        let err = parse("(storing").unwrap_err();
        assert!(err.contains("never closed"), "{err}");
        let err = parse("(a OR b) NEAR/2 c").unwrap_err();
        assert!(err.contains("not groups"), "{err}");
    }
}
