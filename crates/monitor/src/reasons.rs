//! Reasons: sentences that say what moved a company, from the data.

use crate::Metrics;
use crate::model::{Components, Tally, Weights};
use repmon_model::{Sentiment, SourceKind};
use std::collections::HashMap;

/// A company as seen in one window, for comparing two windows.
pub(crate) struct Side<'s, 'a> {
    pub tally: &'s Tally<'a>,
    pub metrics: &'s Metrics,
    pub components: Components,
    pub score: f64,
    pub rank: u32,
}

/// A score move smaller than this (in points) is not a move.
const MOVE_POINTS: f64 = 0.5;
/// A component whose contribution moved less than this is not worth a sentence.
const COMPONENT_POINTS: f64 = 1.0;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Component {
    Vibe,
    Buzz,
    Reach,
}

/// The reasons for one company, most important first. `passed` names the
/// companies it swapped places with: for a drop those now ahead of it, for
/// a rise those now behind it.
pub(crate) fn reasons(
    weights: &Weights,
    cur: &Side<'_, '_>,
    prev: &Side<'_, '_>,
    passed_by: &[&str],
) -> Vec<String> {
    let (now, before) = (cur.metrics, prev.metrics);
    if now.mentions == 0 && before.mentions == 0 {
        return Vec::new();
    }
    if now.mentions == 0 {
        return vec![format!(
            "no mentions in this window ({} in the window before)",
            before.mentions
        )];
    }
    if before.mentions == 0 {
        let mut s = format!(
            "first mentions: {} in this window, sentiment {}",
            now.mentions,
            signed(now.net_sentiment)
        );
        let topics = topic_terms(cur.tally, None, None);
        if !topics.is_empty() {
            s.push_str(", about ");
            s.push_str(&quoted(&topics));
        }
        return vec![s];
    }

    let moved = cur.rank != prev.rank || (cur.score - prev.score).abs() >= MOVE_POINTS;
    if !moved {
        return vec![format!(
            "steady: {} mentions, sentiment {}, share of voice {}",
            now.mentions,
            signed(now.net_sentiment),
            percent(now.share_of_voice)
        )];
    }

    // Each component's contribution to the score, in points, before and after.
    let total = (weights.vibe + weights.buzz + weights.reach).max(f64::EPSILON);
    let mut deltas = [
        (
            Component::Vibe,
            100.0 * weights.vibe / total * (cur.components.vibe - prev.components.vibe),
        ),
        (
            Component::Buzz,
            100.0 * weights.buzz / total * (cur.components.buzz - prev.components.buzz),
        ),
        (
            Component::Reach,
            100.0 * weights.reach / total * (cur.components.reach - prev.components.reach),
        ),
    ];
    deltas.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let mut out = Vec::new();
    // When the rank moved against the score (others rose or fell past it),
    // that is the news; the score's own move follows.
    let score_delta = cur.score - prev.score;
    let against = (cur.rank > prev.rank && score_delta >= 0.0)
        || (cur.rank < prev.rank && score_delta <= 0.0);
    let passed = passed_statement(cur, prev, passed_by);
    if against && let Some(p) = &passed {
        out.push(p.clone());
    }
    for (i, (component, delta)) in deltas.iter().enumerate() {
        if i > 0 && delta.abs() < COMPONENT_POINTS {
            break;
        }
        // Past the first, only components whose own figure changed: "steady
        // while others moved" once is enough.
        let own_change = match component {
            Component::Vibe => now.net_sentiment != before.net_sentiment,
            Component::Buzz => cur.tally.supportive() != prev.tally.supportive(),
            Component::Reach => now.authors != before.authors,
        };
        if i > 0 && !own_change {
            continue;
        }
        out.push(match component {
            Component::Vibe => vibe_reason(cur, prev),
            Component::Buzz => buzz_reason(cur, prev),
            Component::Reach => reach_reason(cur, prev),
        });
    }
    if !against && let Some(p) = passed {
        out.push(p);
    }
    out
}

/// "overtaken by X" for a drop, "moved past X" for a rise.
fn passed_statement(cur: &Side<'_, '_>, prev: &Side<'_, '_>, passed: &[&str]) -> Option<String> {
    if passed.is_empty() || cur.rank == prev.rank {
        return None;
    }
    let verb = if cur.rank > prev.rank {
        "overtaken by"
    } else {
        "moved past"
    };
    Some(format!("{verb} {}", passed.join(", ")))
}

fn vibe_reason(cur: &Side<'_, '_>, prev: &Side<'_, '_>) -> String {
    let (now, before) = (cur.metrics.net_sentiment, prev.metrics.net_sentiment);
    let (verb, polarity) = if now < before {
        ("fell", Sentiment::Negative)
    } else if now > before {
        ("rose", Sentiment::Positive)
    } else {
        return format!(
            "sentiment steady at {} while other companies moved",
            signed(now)
        );
    };
    let mut s = format!(
        "sentiment {verb} from {} to {}",
        signed(before),
        signed(now)
    );
    let count = match polarity {
        Sentiment::Negative => cur.metrics.negative,
        _ => cur.metrics.positive,
    };
    if count == 0 {
        // Sentiment fell because praise stopped, not because complaints came.
        let (was, is) = match polarity {
            Sentiment::Negative => (prev.metrics.positive, cur.metrics.positive),
            _ => (prev.metrics.negative, cur.metrics.negative),
        };
        let other = if polarity == Sentiment::Negative {
            "positive"
        } else {
            "negative"
        };
        s.push_str(&format!(": {other} mentions went from {was} to {is}"));
        return s;
    }
    s.push_str(&format!(
        ": {count} {polarity} mention{}",
        if count == 1 { "" } else { "s" }
    ));
    let kinds = cur.tally.kinds(polarity);
    let places = main_kinds(&kinds, count);
    if !places.is_empty() {
        s.push_str(" on ");
        s.push_str(
            &places
                .iter()
                .map(|k| k.plural_noun())
                .collect::<Vec<_>>()
                .join(" and "),
        );
    }
    let topics = topic_terms(cur.tally, Some(polarity), Some(prev.tally));
    if !topics.is_empty() {
        s.push_str(" about ");
        s.push_str(&quoted(&topics));
    }
    s
}

/// The source kinds that carried at least a quarter of the mentions, at most two.
fn main_kinds(kinds: &[(SourceKind, u64)], total: u64) -> Vec<SourceKind> {
    kinds
        .iter()
        .filter(|(_, c)| *c * 4 >= total)
        .take(2)
        .map(|(k, _)| *k)
        .collect()
}

/// Buzz is made from the positive and neutral talk (complaints are not
/// buzz), so its reason quotes those mentions and their share.
fn buzz_reason(cur: &Side<'_, '_>, prev: &Side<'_, '_>) -> String {
    let (now, before) = (cur.tally.supportive(), prev.tally.supportive());
    let (share_now, share_before) = (
        cur.components.supportive_share,
        prev.components.supportive_share,
    );
    if now != before {
        let verb = if now > before { "rose" } else { "fell" };
        format!(
            "positive and neutral mentions {verb} from {before} to {now} (share of that talk {} → {})",
            percent(share_before),
            percent(share_now)
        )
    } else {
        let verb = if share_now > share_before {
            "rose"
        } else {
            "fell"
        };
        format!(
            "share of the positive and neutral talk {verb} from {} to {} as other companies drew {} of it ({now} such mentions, as before)",
            percent(share_before),
            percent(share_now),
            if verb == "rose" { "less" } else { "more" },
        )
    }
}

fn reach_reason(cur: &Side<'_, '_>, prev: &Side<'_, '_>) -> String {
    let (now, before) = (cur.metrics.authors, prev.metrics.authors);
    let mut s = match now.cmp(&before) {
        std::cmp::Ordering::Greater => format!("distinct authors rose from {before} to {now}"),
        std::cmp::Ordering::Less => format!("distinct authors fell from {before} to {now}"),
        std::cmp::Ordering::Equal => {
            format!("distinct authors steady at {now} while other companies moved")
        }
    };
    let top = cur.tally.top_author_share();
    if cur.metrics.mentions >= 4 && top >= 0.5 {
        s.push_str(&format!(
            "; one author wrote {} of the mentions",
            percent(top)
        ));
    }
    s
}

/// Up to three terms over-represented in `tally`'s earned mentions with
/// `polarity` (all when `None`) compared with `baseline`'s earned mentions.
///
/// Each term scores `c · ln(rate / baseline_rate)`: its count times the log
/// of how much more often it occurs now, the baseline rate smoothed by half
/// a mention so a term never seen before does not score infinitely. The
/// count factor keeps one-off words out of the top.
pub(crate) fn topic_terms<'a>(
    tally: &Tally<'a>,
    polarity: Option<Sentiment>,
    baseline: Option<&Tally<'a>>,
) -> Vec<&'a str> {
    let mut counts: HashMap<&'a str, u32> = HashMap::new();
    let mut n = 0u32;
    for (m, i) in &tally.earned {
        let cm = &m.companies[*i];
        if polarity.is_some_and(|p| cm.sentiment != p) {
            continue;
        }
        n += 1;
        count_terms(&mut counts, &cm.terms);
    }
    if n == 0 {
        return Vec::new();
    }
    let mut base: HashMap<&'a str, u32> = HashMap::new();
    let mut bn = 0u32;
    for (m, i) in baseline.map(|b| b.earned.as_slice()).unwrap_or(&[]) {
        bn += 1;
        count_terms(&mut base, &m.companies[*i].terms);
    }
    // In a big wave a word must recur to be a topic.
    let min_count = if n >= 4 { 2 } else { 1 };
    let mut scored: Vec<(&str, u32, f64)> = counts
        .into_iter()
        .filter(|(_, c)| *c >= min_count)
        .filter_map(|(term, c)| {
            let rate = f64::from(c) / f64::from(n);
            let base_rate =
                (f64::from(base.get(term).copied().unwrap_or(0)) + 0.5) / (f64::from(bn) + 1.0);
            let score = f64::from(c) * (rate / base_rate).ln();
            (score > 0.0).then_some((term, c, score))
        })
        .collect();
    scored.sort_by(|a, b| b.2.total_cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(b.0)));
    scored.into_iter().take(3).map(|(t, _, _)| t).collect()
}

/// Counts each term once per mention.
fn count_terms<'a>(counts: &mut HashMap<&'a str, u32>, terms: &'a [String]) {
    for (j, t) in terms.iter().enumerate() {
        if t.is_empty() || terms[..j].contains(t) {
            continue;
        }
        *counts.entry(t.as_str()).or_insert(0) += 1;
    }
}

fn quoted(terms: &[&str]) -> String {
    terms
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Net sentiment as people read it: "+0.35", "-0.41".
fn signed(x: f64) -> String {
    let s = format!("{x:+.2}");
    if s == "-0.00" { "+0.00".into() } else { s }
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}
