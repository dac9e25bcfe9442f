//! Reasons: sentences that say what moved a company, from the data.

use crate::model::{Components, Tally, Weights};
use crate::{Metrics, ReasonDetail, ReasonMention, Webcare};
use repmon_model::{CompanyMention, Mention, Sentiment, SourceKind};
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

/// How many mentions a reason cites.
const EVIDENCE: usize = 3;
/// Longest title taken from a document's text when it has no title, in chars.
const TITLE_CHARS: usize = 120;

fn detail(component: &str, text: String, before: Option<f64>, after: Option<f64>) -> ReasonDetail {
    ReasonDetail {
        text,
        component: component.to_owned(),
        before,
        after,
        mentions: Vec::new(),
    }
}

/// The reasons for one company, most important first, each with its
/// evidence. `passed_by` names the companies it swapped places with: for a
/// drop those now ahead of it, for a rise those now behind it.
pub(crate) fn reasons(
    weights: &Weights,
    cur: &Side<'_, '_>,
    prev: &Side<'_, '_>,
    passed_by: &[&str],
) -> Vec<ReasonDetail> {
    let (now, before) = (cur.metrics, prev.metrics);
    if now.mentions == 0 && before.mentions == 0 {
        return Vec::new();
    }
    if now.mentions == 0 {
        return vec![detail(
            "quiet",
            format!(
                "no mentions in this window ({} in the window before)",
                before.mentions
            ),
            Some(before.mentions as f64),
            Some(0.0),
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
        let mut d = detail("new", s, None, Some(now.mentions as f64));
        d.mentions = evidence(cur.tally, |_, _| true, &topics);
        return vec![d];
    }

    let moved = cur.rank != prev.rank || (cur.score - prev.score).abs() >= MOVE_POINTS;
    if !moved {
        return vec![detail(
            "steady",
            format!(
                "steady: {} mentions, sentiment {}, share of voice {}",
                now.mentions,
                signed(now.net_sentiment),
                percent(now.share_of_voice)
            ),
            Some(prev.score),
            Some(cur.score),
        )];
    }

    // Each component's contribution to the score, in points, before and
    // after; components absent in both windows say nothing.
    let (c_now, c_before) = (
        cur.components.contributions(weights),
        prev.components.contributions(weights),
    );
    let present = |name: &str| match name {
        "webcare" => now.webcare.is_some() || before.webcare.is_some(),
        "reviews" => cur.components.reviews.is_some() || prev.components.reviews.is_some(),
        "momentum" => cur.components.momentum != 0.0,
        _ => true,
    };
    let mut deltas: Vec<(&str, f64)> = c_now
        .iter()
        .zip(&c_before)
        .filter(|((name, _), _)| present(name))
        .map(|((name, a), (_, b))| (*name, a - b))
        .collect();
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
        let own_change = match *component {
            "vibe" => now.net_sentiment != before.net_sentiment,
            "buzz" => cur.tally.supportive() != prev.tally.supportive(),
            "reach" => now.authors != before.authors,
            "webcare" => now.webcare != before.webcare,
            "reviews" => cur.components.reviews != prev.components.reviews,
            _ => true,
        };
        if i > 0 && !own_change {
            continue;
        }
        out.push(match *component {
            "vibe" => vibe_reason(cur, prev),
            "buzz" => buzz_reason(cur, prev),
            "reach" => reach_reason(cur, prev),
            "webcare" => webcare_reason(cur, prev),
            "reviews" => reviews_reason(cur, prev),
            _ => momentum_reason(cur, prev, *delta),
        });
    }
    if !against && let Some(p) = passed {
        out.push(p);
    }
    out
}

/// Up to [`EVIDENCE`] of `tally`'s earned mentions that pass `keep`: those
/// carrying the most of `terms` first, then the strongest sentiment, then
/// the newest.
fn evidence(
    tally: &Tally<'_>,
    keep: impl Fn(&Mention, &CompanyMention) -> bool,
    terms: &[&str],
) -> Vec<ReasonMention> {
    ranked(tally, keep, terms)
        .into_iter()
        .take(EVIDENCE)
        .map(|(m, sentiment)| cite(m, sentiment))
        .collect()
}

/// `tally`'s earned mentions that pass `keep`, in [`evidence`]'s order.
fn ranked<'a>(
    tally: &Tally<'a>,
    keep: impl Fn(&Mention, &CompanyMention) -> bool,
    terms: &[&str],
) -> Vec<(&'a Mention, Sentiment)> {
    let mut picked: Vec<(&'a Mention, &'a CompanyMention, usize)> = tally
        .earned
        .iter()
        .map(|&(m, ci)| (m, &m.companies[ci]))
        .filter(|(m, cm)| keep(m, cm))
        .map(|(m, cm)| {
            let hits = terms
                .iter()
                .filter(|t| cm.terms.iter().any(|x| x == *t))
                .count();
            (m, cm, hits)
        })
        .collect();
    picked.sort_by(|a, b| {
        b.2.cmp(&a.2)
            .then(b.1.score.abs().total_cmp(&a.1.score.abs()))
            .then(b.0.doc.published.cmp(&a.0.doc.published))
            .then(a.0.doc.id.cmp(&b.0.doc.id))
    });
    picked
        .into_iter()
        .map(|(m, cm, _)| (m, cm.sentiment))
        .collect()
}

fn cite(m: &Mention, sentiment: Sentiment) -> ReasonMention {
    let title = m.doc.title.trim();
    ReasonMention {
        title: if title.is_empty() {
            crate::excerpt(&m.doc.body, TITLE_CHARS)
        } else {
            title.to_owned()
        },
        url: m.doc.url.clone(),
        source: m.doc.source.clone(),
        sentiment,
    }
}

/// "overtaken by X" for a drop, "moved past X" for a rise.
fn passed_statement(
    cur: &Side<'_, '_>,
    prev: &Side<'_, '_>,
    passed: &[&str],
) -> Option<ReasonDetail> {
    if passed.is_empty() || cur.rank == prev.rank {
        return None;
    }
    let verb = if cur.rank > prev.rank {
        "overtaken by"
    } else {
        "moved past"
    };
    Some(detail(
        "rank",
        format!("{verb} {}", passed.join(", ")),
        Some(f64::from(prev.rank)),
        Some(f64::from(cur.rank)),
    ))
}

fn vibe_reason(cur: &Side<'_, '_>, prev: &Side<'_, '_>) -> ReasonDetail {
    let (now, before) = (cur.metrics.net_sentiment, prev.metrics.net_sentiment);
    let mut d = detail("vibe", String::new(), Some(before), Some(now));
    let (verb, polarity) = if now < before {
        ("fell", Sentiment::Negative)
    } else if now > before {
        ("rose", Sentiment::Positive)
    } else {
        d.text = format!(
            "sentiment steady at {} while other companies moved",
            signed(now)
        );
        return d;
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
        d.text = s;
        return d;
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
    d.text = s;
    d.mentions = evidence(cur.tally, |_, cm| cm.sentiment == polarity, &topics);
    d
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
fn buzz_reason(cur: &Side<'_, '_>, prev: &Side<'_, '_>) -> ReasonDetail {
    let (now, before) = (cur.tally.supportive(), prev.tally.supportive());
    let (share_now, share_before) = (
        cur.components.supportive_share,
        prev.components.supportive_share,
    );
    let mut d = detail(
        "buzz",
        String::new(),
        Some(crate::model::round(share_before, 4)),
        Some(crate::model::round(share_now, 4)),
    );
    if now > before {
        // The new favourable talk is the evidence; talk that stopped has
        // nothing to link to.
        d.mentions = evidence(cur.tally, |_, cm| cm.sentiment != Sentiment::Negative, &[]);
    }
    d.text = if now != before {
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
    };
    d
}

fn reach_reason(cur: &Side<'_, '_>, prev: &Side<'_, '_>) -> ReasonDetail {
    let (now, before) = (cur.metrics.authors, prev.metrics.authors);
    let mut d = detail(
        "reach",
        String::new(),
        Some(before as f64),
        Some(now as f64),
    );
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
    if now > before {
        // One mention per author: the breadth is the point.
        let mut seen = std::collections::HashSet::new();
        d.mentions = ranked(cur.tally, |_, cm| cm.sentiment != Sentiment::Negative, &[])
            .into_iter()
            .filter(|(m, _)| seen.insert(m.doc.author.as_deref().unwrap_or(&m.doc.source)))
            .take(EVIDENCE)
            .map(|(m, sentiment)| cite(m, sentiment))
            .collect();
    }
    d.text = s;
    d
}

/// Webcare: how many complaints in threads the company answered, and how
/// fast, before and now; the complaints left unanswered (or, when it got
/// better, the ones answered) are the evidence.
fn webcare_reason(cur: &Side<'_, '_>, prev: &Side<'_, '_>) -> ReasonDetail {
    let (now, before) = (cur.metrics.webcare.as_ref(), prev.metrics.webcare.as_ref());
    let rate = |w: Option<&Webcare>| w.map(|w| w.response_rate);
    let mut d = detail("webcare", String::new(), rate(before), rate(now));
    let answered = |w: &Webcare| {
        format!(
            "{} of {} complaint{} in threads answered ({})",
            w.answered,
            w.complaints,
            if w.complaints == 1 { "" } else { "s" },
            percent(w.response_rate)
        )
    };
    let short = |w: &Webcare| {
        format!(
            "{} of {} ({})",
            w.answered,
            w.complaints,
            percent(w.response_rate)
        )
    };
    let median = |now: Option<f64>, before: Option<f64>| match (now, before) {
        (Some(n), Some(b)) => format!(
            "; median first answer {}, before {}",
            minutes_words(n),
            minutes_words(b)
        ),
        (Some(n), None) => format!("; median first answer {}", minutes_words(n)),
        (None, Some(b)) => format!("; median first answer was {}", minutes_words(b)),
        (None, None) => String::new(),
    };
    let mut better = false;
    d.text = match (now, before) {
        (Some(n), Some(b)) => {
            better = n.response_rate > b.response_rate;
            let verb = if better {
                "rose"
            } else if n.response_rate < b.response_rate {
                "fell"
            } else {
                "held"
            };
            format!(
                "webcare {verb}: {}, before {}{}",
                answered(n),
                short(b),
                median(n.median_response_minutes, b.median_response_minutes)
            )
        }
        (Some(n), None) => format!(
            "complaints in threads: {}{}",
            answered(n),
            median(n.median_response_minutes, None)
        ),
        (None, Some(b)) => format!(
            "no complaints in threads in this window (before: {})",
            answered(b)
        ),
        (None, None) => "no complaints in threads".to_owned(),
    };
    let mut complaints = cur.tally.complaints();
    complaints.retain(|c| c.2.is_some() == better);
    complaints.sort_by(|a, b| {
        b.0.companies[b.1]
            .score
            .abs()
            .total_cmp(&a.0.companies[a.1].score.abs())
            .then(b.0.doc.published.cmp(&a.0.doc.published))
    });
    d.mentions = complaints
        .into_iter()
        .take(EVIDENCE)
        .map(|(m, ci, _)| cite(m, m.companies[ci].sentiment))
        .collect();
    d
}

/// "45 min", "3.5 h", "2.1 days".
fn minutes_words(minutes: f64) -> String {
    if minutes < 60.0 {
        format!("{minutes:.0} min")
    } else if minutes < 48.0 * 60.0 {
        format!("{:.1} h", minutes / 60.0)
    } else {
        format!("{:.1} days", minutes / 1440.0)
    }
}

/// Reviews: the smoothed rating (the figure the score uses) before and
/// now; the lowest (or, when it rose, the highest) rated reviews are the
/// evidence.
fn reviews_reason(cur: &Side<'_, '_>, prev: &Side<'_, '_>) -> ReasonDetail {
    let stars = |c: Option<f64>| c.map(|c| crate::model::round(1.0 + 4.0 * c, 2));
    let (now, before) = (
        stars(cur.components.reviews),
        stars(prev.components.reviews),
    );
    let mut d = detail("reviews", String::new(), before, now);
    let counted = |t: &Tally<'_>, m: &Metrics| {
        format!(
            "{} review{}, mean {:.1}",
            t.ratings,
            if t.ratings == 1 { "" } else { "s" },
            m.rating.unwrap_or(0.0)
        )
    };
    let rose = match (now, before) {
        (Some(n), Some(b)) => n > b,
        _ => false,
    };
    d.text = match (now, before) {
        (Some(n), Some(b)) => format!(
            "review rating {} from {b:.1} to {n:.1} (smoothed; {} in this window)",
            if rose { "rose" } else { "fell" },
            counted(cur.tally, cur.metrics)
        ),
        (Some(n), None) => format!(
            "first reviews: rating {n:.1} (smoothed; {})",
            counted(cur.tally, cur.metrics)
        ),
        (None, Some(b)) => format!("no reviews in this window (rating {b:.1} before)"),
        (None, None) => "no reviews".to_owned(),
    };
    let mut rated: Vec<(&Mention, usize, f32)> = cur
        .tally
        .earned
        .iter()
        .filter_map(|&(m, ci)| m.doc.rating.filter(|r| r.is_finite()).map(|r| (m, ci, r)))
        .collect();
    rated.sort_by(|a, b| {
        let order = a.2.total_cmp(&b.2);
        if rose { order.reverse() } else { order }.then(b.0.doc.published.cmp(&a.0.doc.published))
    });
    d.mentions = rated
        .into_iter()
        .take(EVIDENCE)
        .map(|(m, ci, _)| cite(m, m.companies[ci].sentiment))
        .collect();
    d
}

/// Momentum: which way the company is going, in the points it adds to or
/// takes from the score, with the two changes it is made of.
fn momentum_reason(cur: &Side<'_, '_>, prev: &Side<'_, '_>, points: f64) -> ReasonDetail {
    let m = cur.components.momentum;
    let mut d = detail(
        "momentum",
        String::new(),
        None,
        Some(crate::model::round(points, 1)),
    );
    let (verb, polarity) = if m < 0.0 {
        ("took", Sentiment::Negative)
    } else {
        ("added", Sentiment::Positive)
    };
    d.text = format!(
        "momentum {verb} {:.1} points: against the window before, net sentiment went from {} to {} and the share of the positive and neutral talk from {} to {}",
        points.abs(),
        signed(prev.metrics.net_sentiment),
        signed(cur.metrics.net_sentiment),
        percent(prev.components.supportive_share),
        percent(cur.components.supportive_share)
    );
    let topics = topic_terms(cur.tally, Some(polarity), Some(prev.tally));
    d.mentions = evidence(cur.tally, |_, cm| cm.sentiment == polarity, &topics);
    d
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
