//! A company's optional `query`: an extra filter in the analysts' search
//! syntax, which `repmon-mentions` checks on a document after the
//! company's terms matched. The grammar lives here, with the setting, so
//! that the check made when the configuration is loaded and the filter
//! the matcher runs are one and the same.
//!
//! Syntax: words and "quoted phrases"; `AND` (also implied between two
//! parts), `OR`, `NOT` (or a leading `-`); parentheses; proximity as
//! `"a b"~3` (the phrase's words within 3 extra words of each other, any
//! order) or `a NEAR/3 b` (a and b at most 3 words apart, either side).
//! Operators are upper case. Precedence: NEAR, NOT, AND, OR.

/// A parsed query. `P` is what stands for a word or phrase: as parsed, its
/// [`Phrase`] text as written; the matcher turns each into its normalised
/// words with [`Query::try_map`].
#[derive(Debug, Clone, PartialEq)]
pub enum Query<P = Phrase> {
    /// A word or a "quoted phrase".
    Phrase(P),
    /// Two phrases at most `dist` words apart.
    Near {
        left: Box<Query<P>>,
        right: Box<Query<P>>,
        dist: u32,
    },
    And(Vec<Query<P>>),
    Or(Vec<Query<P>>),
    Not(Box<Query<P>>),
}

/// A word or "quoted phrase" as written; with `slop` (`"a b"~3`), its words
/// within `len - 1 + slop` words of each other in any order.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    pub text: String,
    pub slop: Option<u32>,
}

impl<P> Query<P> {
    /// The same query with each phrase turned by `f` (e.g. into the words
    /// to look for), or the first error `f` gives.
    pub fn try_map<Q, E>(&self, f: &mut impl FnMut(&P) -> Result<Q, E>) -> Result<Query<Q>, E> {
        let mut all = |parts: &[Query<P>]| -> Result<Vec<Query<Q>>, E> {
            parts.iter().map(|q| q.try_map(&mut *f)).collect()
        };
        Ok(match self {
            Query::Phrase(p) => Query::Phrase(f(p)?),
            Query::Near { left, right, dist } => Query::Near {
                left: Box::new(left.try_map(f)?),
                right: Box::new(right.try_map(f)?),
                dist: *dist,
            },
            Query::And(parts) => Query::And(all(parts)?),
            Query::Or(parts) => Query::Or(all(parts)?),
            Query::Not(inner) => Query::Not(Box::new(inner.try_map(f)?)),
        })
    }
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
pub fn parse(q: &str) -> Result<Query, String> {
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
                if !matches!(side, Query::Phrase(_)) {
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
            Some(Lex::Word(w)) => phrase(w, None),
            Some(Lex::Phrase(p, slop)) => phrase(p, slop),
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

fn phrase(text: String, slop: Option<u32>) -> Result<Query, String> {
    if !text.chars().any(char::is_alphanumeric) {
        return Err(format!("{text:?} has no words to look for"));
    }
    Ok(Query::Phrase(Phrase { text, slop }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrase(text: &str, slop: Option<u32>) -> Query {
        Query::Phrase(Phrase {
            text: text.into(),
            slop,
        })
    }

    #[test]
    fn precedence_near_not_and_or() {
        assert_eq!(
            parse("a b OR NOT c").unwrap(),
            Query::Or(vec![
                Query::And(vec![phrase("a", None), phrase("b", None)]),
                Query::Not(Box::new(phrase("c", None))),
            ])
        );
        assert_eq!(
            parse("\"meeuw air\"~2 NEAR/3 vertraging").unwrap(),
            Query::Near {
                left: Box::new(phrase("meeuw air", Some(2))),
                right: Box::new(phrase("vertraging", None)),
                dist: 3,
            }
        );
        assert_eq!(
            parse("-golfbaan").unwrap(),
            Query::Not(Box::new(phrase("golfbaan", None)))
        );
    }

    #[test]
    fn good_queries_pass() {
        for q in [
            "storing",
            "storing OR uitval",
            "(storing OR uitval) AND NOT gepland",
            "internet -golfbaan",
            "\"golf internet\"~3 storing",
            "golf NEAR/3 storing",
            "\"meeuw air\" NEAR/2 vertraging NEAR/1 uur",
            "NOT sport",
            "a && b || c",
        ] {
            assert!(parse(q).is_ok(), "{q}");
        }
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
            ("golf NEAR/1001 storing", "number"),
            ("golf~3", "quoted phrase"),
            ("(a OR b) NEAR/2 c", "not groups"),
            ("a NEAR/2 (b)", "not groups"),
            ("\"!!\"", "no words"),
            ("!!", "no words"),
            ("()", "empty"),
        ] {
            let err = parse(q).unwrap_err();
            assert!(err.contains(says), "{q:?}: {err}");
        }
    }
}
