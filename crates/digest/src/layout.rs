//! Laying a digest out as text and HTML: pure, from a ranking and mentions.

use crate::{DigestError, Email, KeyMention, LastDigest, MOVERS};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use repmon_monitor::{Entry, Ranking};
use serde::Serialize;
use std::fmt::Write as _;

/// Everything a digest shows.
pub struct DigestData<'a> {
    /// The whole ranked table (all companies), best first.
    pub ranking: &'a Ranking,
    /// How many rows the table shows.
    pub top: usize,
    /// The last digest sent, for movement since then.
    pub last: Option<&'a LastDigest>,
    /// The mentions to highlight, most important first.
    pub mentions: &'a [KeyMention],
    /// Where the web page is, for links to company pages (no trailing slash).
    pub base_url: &'a str,
    /// The time zone dates are shown in (the digest's).
    pub tz: Tz,
    pub now: DateTime<Utc>,
}

/// A company's movement: where it stood at the comparison point.
pub(crate) struct Move<'a> {
    pub entry: &'a Entry,
    /// Rank then; None when it had no place (new, or no data before).
    pub from: Option<u32>,
    /// Score then, where known.
    pub from_score: Option<f64>,
}

impl Move<'_> {
    /// Places climbed (negative: lost).
    pub fn places(&self) -> Option<i64> {
        self.from.map(|f| i64::from(f) - i64::from(self.entry.rank))
    }

    fn score_change(&self) -> Option<f64> {
        self.from_score.map(|s| self.entry.score - s)
    }
}

fn movement<'a>(entry: &'a Entry, last: Option<&LastDigest>) -> Move<'a> {
    match last {
        Some(l) => {
            let then = l.ranking.entry(&entry.company.id);
            Move {
                entry,
                from: then.map(|e| e.rank),
                from_score: then.map(|e| e.score),
            }
        }
        None => Move {
            entry,
            from: entry.previous_rank,
            from_score: entry.score_change.map(|c| entry.score - c),
        },
    }
}

/// The biggest risers and fallers, at most [`MOVERS`] each, biggest first.
pub(crate) fn movers<'a>(
    ranking: &'a Ranking,
    last: Option<&LastDigest>,
) -> (Vec<Move<'a>>, Vec<Move<'a>>) {
    let moves: Vec<Move> = ranking.entries.iter().map(|e| movement(e, last)).collect();
    let (mut risers, mut fallers): (Vec<Move>, Vec<Move>) = moves
        .into_iter()
        .filter(|m| m.places().is_some_and(|p| p != 0))
        .partition(|m| m.places().is_some_and(|p| p > 0));
    // A company without mentions now has not risen on merit; leave it out.
    risers.retain(|m| m.entry.metrics.mentions > 0);
    risers.sort_by_key(|m| (-m.places().unwrap_or(0), m.entry.rank));
    fallers.sort_by_key(|m| (m.places().unwrap_or(0), m.entry.rank));
    risers.truncate(MOVERS);
    fallers.truncate(MOVERS);
    (risers, fallers)
}

/// Lays the digest out: subject, text part and HTML part.
pub fn render(d: &DigestData) -> Result<Email, DigestError> {
    let local_now = d.now.with_timezone(&d.tz);
    let week = chrono::Datelike::iso_week(&local_now);
    let subject = format!(
        "repmon weekly digest — week {}, {}",
        week.week(),
        week.year()
    );
    let day = |t: DateTime<Utc>| t.with_timezone(&d.tz).format("%-d %b %Y").to_string();
    let w = &d.ranking.window;
    let period = format!(
        "Ranking over {} – {} ({}).",
        day(w.from),
        day(w.to),
        d.tz.name()
    );
    let days = (w.to - w.from).num_days();
    let compared = match d.last {
        Some(l) => format!("Movement since the last digest of {}.", day(l.sent_at)),
        None => format!("Movement compared with the {days} days before."),
    };

    let rows: Vec<Row> = d
        .ranking
        .entries
        .iter()
        .take(d.top)
        .map(|e| row(&movement(e, d.last), d.base_url))
        .collect();
    let (risers, fallers) = movers(d.ranking, d.last);
    let risers: Vec<Mover> = risers.iter().map(|m| mover(m, d.base_url)).collect();
    let fallers: Vec<Mover> = fallers.iter().map(|m| mover(m, d.base_url)).collect();
    let mentions: Vec<Highlight> = d.mentions.iter().map(|k| highlight(k, &day)).collect();

    let text = text_part(
        &subject, &period, &compared, &rows, &risers, &fallers, &mentions,
    );
    let view = View {
        subject: &subject,
        period: &period,
        compared: &compared,
        rows,
        risers,
        fallers,
        mentions,
    };
    let html = minijinja::Environment::new()
        // The .html name turns auto-escaping on for every {{ }}.
        .render_named_str("digest.html", HTML_TEMPLATE, &view)
        .map_err(|e| DigestError::Template(e.to_string()))?;
    Ok(Email {
        subject,
        text,
        html,
    })
}

#[derive(Serialize)]
struct View<'a> {
    subject: &'a str,
    period: &'a str,
    compared: &'a str,
    rows: Vec<Row>,
    risers: Vec<Mover>,
    fallers: Vec<Mover>,
    mentions: Vec<Highlight>,
}

#[derive(Serialize)]
struct Row {
    rank: u32,
    /// "+2", "-3", "=", "new".
    movement: String,
    /// "up", "down" or "same", for colour.
    direction: &'static str,
    name: String,
    link: String,
    score: String,
    mentions: u64,
    net_sentiment: String,
}

#[derive(Serialize)]
struct Mover {
    name: String,
    link: String,
    /// "up 2 places, #3 → #1 (score 71.4, +6.2)".
    change: String,
    reasons: Vec<Reason>,
}

/// A reason with the mentions behind it.
#[derive(Serialize)]
struct Reason {
    text: String,
    evidence: Vec<Evidence>,
}

#[derive(Serialize)]
struct Evidence {
    title: String,
    /// Only http(s) links are kept; anything else is shown as text.
    url: Option<String>,
    raw_url: String,
    source: String,
    sentiment: String,
}

#[derive(Serialize)]
struct Highlight {
    company: String,
    sentiment: String,
    title: String,
    /// Only http(s) links are kept; anything else is shown as text.
    url: Option<String>,
    raw_url: String,
    source: String,
    date: String,
    excerpt: String,
}

fn row(m: &Move, base_url: &str) -> Row {
    let e = m.entry;
    let (movement, direction) = match m.places() {
        None => ("new".to_string(), "same"),
        Some(0) => ("=".to_string(), "same"),
        Some(p) if p > 0 => (format!("+{p}"), "up"),
        Some(p) => (format!("{p}"), "down"),
    };
    Row {
        rank: e.rank,
        movement,
        direction,
        name: clean(&e.company.name, 40),
        link: company_link(base_url, &e.company.id),
        score: format!("{:.1}", e.score),
        mentions: e.metrics.mentions,
        net_sentiment: format!("{:+.2}", e.metrics.net_sentiment),
    }
}

fn mover(m: &Move, base_url: &str) -> Mover {
    let e = m.entry;
    let places = m.places().unwrap_or(0);
    let word = if places > 0 { "up" } else { "down" };
    let n = places.unsigned_abs();
    let plural = if n == 1 { "place" } else { "places" };
    let mut change = format!(
        "{word} {n} {plural}, #{} → #{} (score {:.1}",
        m.from.unwrap_or(0),
        e.rank,
        e.score
    );
    if let Some(c) = m.score_change() {
        let _ = write!(change, ", {c:+.1}");
    }
    change.push(')');
    Mover {
        name: clean(&e.company.name, 60),
        link: company_link(base_url, &e.company.id),
        change,
        reasons: reasons(e),
    }
}

/// The entry's reasons with their evidence, or the plain sentences of a
/// table that has no details (a snapshot older than them).
fn reasons(e: &Entry) -> Vec<Reason> {
    if e.reason_details.is_empty() {
        return e
            .reasons
            .iter()
            .map(|r| Reason {
                text: clean(r, 300),
                evidence: Vec::new(),
            })
            .collect();
    }
    e.reason_details
        .iter()
        .map(|d| Reason {
            text: clean(&d.text, 300),
            evidence: d
                .mentions
                .iter()
                .map(|m| {
                    let title = clean(&m.title, 120);
                    Evidence {
                        title: if title.is_empty() {
                            "(untitled)".into()
                        } else {
                            title
                        },
                        url: http_link(&m.url),
                        raw_url: clean(&m.url, 300),
                        source: clean(&m.source, 60),
                        sentiment: m.sentiment.to_string(),
                    }
                })
                .collect(),
        })
        .collect()
}

/// A link from scraped data, only when it is http(s).
fn http_link(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    let linkable = lower.starts_with("https://") || lower.starts_with("http://");
    linkable.then(|| url.trim().to_string())
}

fn highlight(k: &KeyMention, day: &dyn Fn(DateTime<Utc>) -> String) -> Highlight {
    let m = &k.mention;
    let title = if m.title.trim().is_empty() {
        "(untitled)".to_string()
    } else {
        clean(&m.title, 120)
    };
    Highlight {
        company: clean(&k.company.name, 60),
        sentiment: format!("{} ({:+.2})", m.sentiment, m.score),
        title,
        url: http_link(&m.url),
        raw_url: clean(&m.url, 300),
        source: clean(&m.source, 60),
        date: day(m.published),
        excerpt: clean(&m.excerpt, 240),
    }
}

fn company_link(base_url: &str, id: &str) -> String {
    format!("{base_url}/companies/{id}")
}

/// One line of at most `max` characters: scraped text may hold newlines,
/// tabs and control characters that would break the layout.
fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max * 4));
    let mut count = 0;
    for word in s
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if count > 0 {
            out.push(' ');
            count += 1;
        }
        for c in word.chars() {
            if count >= max {
                out.push('…');
                return out;
            }
            out.push(c);
            count += 1;
        }
    }
    out
}

fn text_part(
    subject: &str,
    period: &str,
    compared: &str,
    rows: &[Row],
    risers: &[Mover],
    fallers: &[Mover],
    mentions: &[Highlight],
) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{subject}\n{}\n\n{period}\n{compared}\n",
        "=".repeat(subject.chars().count())
    );
    if rows.is_empty() {
        t.push_str("No companies are tracked yet.\n");
    } else {
        let width = rows
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(7);
        let _ = writeln!(
            t,
            "{:>3}  {:>4}  {:<width$}  {:>5}  {:>8}  {:>9}",
            "#", "move", "company", "score", "mentions", "sentiment"
        );
        for r in rows {
            let _ = writeln!(
                t,
                "{:>3}  {:>4}  {:<width$}  {:>5}  {:>8}  {:>9}",
                r.rank, r.movement, r.name, r.score, r.mentions, r.net_sentiment
            );
        }
    }
    for (title, list) in [("Biggest risers", risers), ("Biggest fallers", fallers)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(t, "\n{title}\n{}", "-".repeat(title.len()));
        for m in list {
            let _ = writeln!(t, "{}: {}", m.name, m.change);
            for r in &m.reasons {
                let _ = writeln!(t, "  - {}", r.text);
                for e in &r.evidence {
                    let _ = writeln!(
                        t,
                        "      \"{}\" ({}, {}) {}",
                        e.title, e.source, e.sentiment, e.raw_url
                    );
                }
            }
            let _ = writeln!(t, "  {}", m.link);
        }
    }
    if !mentions.is_empty() {
        let _ = writeln!(t, "\nMentions of the week\n--------------------");
        for h in mentions {
            let _ = writeln!(
                t,
                "{} — {}: \"{}\" ({}, {})",
                h.company, h.sentiment, h.title, h.source, h.date
            );
            if !h.excerpt.is_empty() {
                let _ = writeln!(t, "  {}", h.excerpt);
            }
            let _ = writeln!(t, "  {}", h.raw_url);
        }
    }
    t
}

const HTML_TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; color: #1f2328; max-width: 760px; margin: 0 auto; padding: 16px;">
<h1 style="font-size: 20px; margin: 0 0 8px;">{{ subject }}</h1>
<p style="color: #59636e; margin: 0 0 16px;">{{ period }} {{ compared }}</p>
{% if rows %}
<table cellpadding="6" cellspacing="0" style="border-collapse: collapse; width: 100%; font-size: 14px;">
<thead><tr style="text-align: left; border-bottom: 2px solid #d1d9e0;">
<th style="text-align: right;">#</th><th style="text-align: right;">Move</th><th>Company</th>
<th style="text-align: right;">Score</th><th style="text-align: right;">Mentions</th><th style="text-align: right;">Sentiment</th>
</tr></thead>
<tbody>
{% for r in rows %}<tr style="border-bottom: 1px solid #eef1f4;">
<td style="text-align: right;">{{ r.rank }}</td>
<td style="text-align: right; color: {% if r.direction == "up" %}#1a7f37{% elif r.direction == "down" %}#cf222e{% else %}#59636e{% endif %};">{{ r.movement }}</td>
<td><a href="{{ r.link }}" style="color: #0969da; text-decoration: none;">{{ r.name }}</a></td>
<td style="text-align: right;">{{ r.score }}</td>
<td style="text-align: right;">{{ r.mentions }}</td>
<td style="text-align: right;">{{ r.net_sentiment }}</td>
</tr>
{% endfor %}</tbody>
</table>
{% else %}<p>No companies are tracked yet.</p>{% endif %}
{% for section in [["Biggest risers", risers], ["Biggest fallers", fallers]] %}{% if section[1] %}
<h2 style="font-size: 17px; margin: 24px 0 8px;">{{ section[0] }}</h2>
{% for m in section[1] %}<div style="margin: 0 0 12px;">
<a href="{{ m.link }}" style="color: #0969da; font-weight: 600; text-decoration: none;">{{ m.name }}</a>: {{ m.change }}
{% if m.reasons %}<ul style="margin: 4px 0;">{% for reason in m.reasons %}<li>{{ reason.text }}
{% if reason.evidence %}<ul style="margin: 2px 0; font-size: 13px;">{% for e in reason.evidence %}<li>{% if e.url %}<a href="{{ e.url }}" style="color: #0969da;">{{ e.title }}</a>{% else %}{{ e.title }} ({{ e.raw_url }}){% endif %} <span style="color: #59636e;">{{ e.source }} · {{ e.sentiment }}</span></li>{% endfor %}</ul>{% endif %}</li>{% endfor %}</ul>{% endif %}
</div>
{% endfor %}{% endif %}{% endfor %}
{% if mentions %}
<h2 style="font-size: 17px; margin: 24px 0 8px;">Mentions of the week</h2>
{% for h in mentions %}<div style="margin: 0 0 12px;">
<div>{% if h.url %}<a href="{{ h.url }}" style="color: #0969da;">{{ h.title }}</a>{% else %}{{ h.title }}{% endif %}</div>
<div style="color: #59636e; font-size: 13px;">{{ h.company }} · {{ h.sentiment }} · {{ h.source }} · {{ h.date }}{% if not h.url %} · {{ h.raw_url }}{% endif %}</div>
{% if h.excerpt %}<div style="font-size: 14px;">{{ h.excerpt }}</div>{% endif %}
</div>
{% endfor %}{% endif %}
</body>
</html>
"#;
