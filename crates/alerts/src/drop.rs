//! When a company's move is worth an alert: pure logic, no I/O.
//!
//! Each rule compares the fresh ranking with what the webhook remembers
//! about the company ([`Baseline`]) and asks for three things before it
//! speaks: a move big enough to matter, enough mentions to believe it (the
//! evidence), and no alert of the same type about the company within the
//! cool-down.

use chrono::{DateTime, Utc};
use repmon_config::Webhook;
use repmon_monitor::Entry;
use serde::{Deserialize, Serialize};

/// How fast a company's usual net sentiment follows the current one, per
/// re-rank. Slow, so a real collapse stands out against it, yet a slow
/// change of mood over weeks is absorbed rather than alerted.
const USUAL_FOLLOW: f64 = 0.2;

/// A sentiment fall must also be this many standard errors of the current
/// window's net sentiment: few mentions make a noisy figure.
const SENTIMENT_Z: f64 = 3.0;

/// A spike must be less likely than this under the usual hourly rate.
const SPIKE_CHANCE: f64 = 1e-6;

/// The least hourly rate a spike is measured against: a company that is
/// hardly ever mentioned is not spiking on its first few mentions.
const SPIKE_FLOOR_RATE: f64 = 0.1;

/// How fast a company's usual rank and score follow the current ones, per
/// re-rank (an exponentially weighted average, as a control chart keeps).
const SETTLE: f64 = 0.2;

/// How fast the company's usual wobble (the squared deviation of its score
/// from the usual score) follows: slower than the mean, for a steady
/// estimate of the spread.
const WOBBLE_SETTLE: f64 = 0.1;

/// A score fall must also be this many of the company's own usual
/// deviations: a company whose score always wobbles by four points has not
/// dropped when it loses four. Four, not three: the test runs at every
/// re-rank of every company, hundreds a day.
const SCORE_Z: f64 = 4.0;

/// What one webhook remembers about one company between re-ranks.
///
/// Fields added after the first release default when read from an older
/// state store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Baseline {
    /// The company's usual rank, rounded (the event's `usual_rank`).
    pub rank: u32,
    /// Its usual score: a weighted average over re-ranks (the event's
    /// `usual_score`).
    pub score: f64,
    /// When the baseline last moved.
    pub seen_at: DateTime<Utc>,
    /// The usual rank unrounded (None in state written before it existed).
    #[serde(default)]
    pub rank_mean: Option<f64>,
    /// The usual squared deviation of the score from `score`.
    #[serde(default)]
    pub score_var: f64,
    /// The last `rank.dropped` (for the cool-down).
    #[serde(default)]
    pub dropped_at: Option<DateTime<Utc>>,
    /// Told it left the top-x, and it has not been back in since.
    #[serde(default)]
    pub exit_told: bool,
    /// The last `rank.exited_top`.
    #[serde(default)]
    pub exited_at: Option<DateTime<Utc>>,
    /// The company's usual net sentiment: a slow average over re-ranks.
    #[serde(default)]
    pub usual_net: Option<f64>,
    /// The last `sentiment.dropped`.
    #[serde(default)]
    pub sentiment_at: Option<DateTime<Utc>>,
    /// The last `volume.spike`.
    #[serde(default)]
    pub spike_at: Option<DateTime<Utc>>,
    /// Its rank and score at the previous re-rank (the previous snapshot)
    /// where it had mentions: the event's `previous_rank` and
    /// `previous_score`. None in state written before they existed.
    #[serde(default)]
    pub last_rank: Option<u32>,
    #[serde(default)]
    pub last_score: Option<f64>,
}

impl Baseline {
    /// Where the company stood at the previous re-rank, else its usual place.
    fn previous(&self) -> (u32, f64) {
        (
            self.last_rank.unwrap_or(self.rank),
            round1(self.last_score.unwrap_or(self.score)),
        )
    }
}

/// Where a company stood before a drop: at the previous re-rank, and usually.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Before {
    pub rank: u32,
    pub score: f64,
    pub usual_rank: u32,
    pub usual_score: f64,
}

impl Before {
    fn of(b: &Baseline) -> Before {
        let (rank, score) = b.previous();
        Before {
            rank,
            score,
            usual_rank: b.rank,
            usual_score: round1(b.score),
        }
    }
}

/// The thresholds of one webhook.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    pub min_places: u32,
    pub min_mentions: u64,
    pub min_score_drop: f64,
    pub sentiment_drop: f64,
    pub spike_factor: f64,
    pub spike_min: u64,
    pub cooldown: chrono::Duration,
    /// The size of the top-x (`[ranking] top`).
    pub top: u32,
}

impl Rules {
    pub fn new(w: &Webhook, top: usize) -> Rules {
        Rules {
            // min_places 0 would fire on every re-rank; one place is the least that is a drop.
            min_places: u32::try_from(w.min_places).unwrap_or(u32::MAX).max(1),
            min_mentions: w.min_mentions,
            min_score_drop: w.min_score_drop,
            sentiment_drop: w.sentiment_drop,
            spike_factor: w.spike_factor,
            spike_min: w.spike_min,
            cooldown: w.cooldown.chrono(),
            top: u32::try_from(top).unwrap_or(u32::MAX),
        }
    }
}

/// Something worth telling about one company.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Finding {
    /// At least `min_places` below its usual rank, with a real fall in score.
    RankDropped(Before),
    /// Usually in the top-x, now out of it, with a real fall in score.
    ExitedTop(Before),
    /// Net sentiment fell from its usual level.
    SentimentDropped { usual: f64, now: f64 },
    /// The last hour against the hourly baseline.
    VolumeSpike { last_hour: u64, baseline: f64 },
}

impl Finding {
    /// The webhook event type.
    pub fn kind(&self) -> &'static str {
        match self {
            Finding::RankDropped(_) => crate::RANK_DROPPED,
            Finding::ExitedTop(_) => crate::RANK_EXITED_TOP,
            Finding::SentimentDropped { .. } => crate::SENTIMENT_DROPPED,
            Finding::VolumeSpike { .. } => crate::VOLUME_SPIKE,
        }
    }
}

/// Judges one (webhook, company) pair after a re-rank: the state to keep
/// (None: leave it as it is) and what to tell.
pub(crate) fn judge(
    baseline: Option<&Baseline>,
    entry: &Entry,
    armed: bool,
    rules: &Rules,
    at: DateTime<Utc>,
) -> (Option<Baseline>, Vec<Finding>) {
    let m = &entry.metrics;
    let evidence = m.mentions >= rules.min_mentions.max(1);
    let in_top = entry.rank <= rules.top;
    let fresh = Baseline {
        rank: entry.rank,
        score: entry.score,
        seen_at: at,
        rank_mean: Some(f64::from(entry.rank)),
        score_var: 0.0,
        dropped_at: baseline.and_then(|b| b.dropped_at),
        exit_told: false,
        exited_at: baseline.and_then(|b| b.exited_at),
        usual_net: if evidence {
            Some(m.net_sentiment)
        } else {
            baseline.and_then(|b| b.usual_net)
        },
        sentiment_at: baseline.and_then(|b| b.sentiment_at),
        spike_at: baseline.and_then(|b| b.spike_at),
        last_rank: Some(entry.rank),
        last_score: Some(entry.score),
    };
    if !armed {
        // Cold start: rankings built on a half-filled index mean nothing yet,
        // so follow them without judging (and learn no wobble from them).
        return if baseline == Some(&fresh) {
            (None, Vec::new())
        } else {
            (Some(fresh), Vec::new())
        };
    }
    // A company without mentions in the window sits at the bottom only for
    // lack of data; that is no drop, and no rank to remember either.
    if m.mentions == 0 {
        return (None, Vec::new());
    }
    let Some(b) = baseline else {
        return (Some(fresh), Vec::new());
    };
    let cooling = |last: Option<DateTime<Utc>>| last.is_some_and(|t| at < t + rules.cooldown);
    let mut next = b.clone();
    // Whatever is decided below, this re-rank is the next one's "previous".
    next.last_rank = Some(entry.rank);
    next.last_score = Some(entry.score);
    let mut found = Vec::new();

    // volume.spike needs no window-wide evidence: the hour itself must hold
    // spike_min mentions, be spike_factor times the usual hour, and be
    // beyond what chance gives around the usual rate (one in a million).
    let usual = m.hourly_baseline.max(0.0);
    let hour = m.last_hour as f64;
    if m.last_hour >= rules.spike_min
        && hour >= rules.spike_factor * usual
        && poisson_upper_tail(m.last_hour, usual.max(SPIKE_FLOOR_RATE)) < SPIKE_CHANCE
        && !cooling(b.spike_at)
    {
        found.push(Finding::VolumeSpike {
            last_hour: m.last_hour,
            baseline: usual,
        });
        next.spike_at = Some(at);
    }

    if !evidence {
        // Too few mentions to say anything about rank or sentiment.
        return (Some(next).filter(|n| n != b), found);
    }

    // A real fall in score: below the usual score by min_score_drop points
    // and by SCORE_Z of the company's usual wobble.
    let usual_rank = b.rank_mean.unwrap_or(f64::from(b.rank));
    let fall = b.score - entry.score;
    let real_fall = fall >= rules.min_score_drop && fall >= SCORE_Z * b.score_var.sqrt();
    let rank_now = f64::from(entry.rank);

    // rank.dropped: min_places below the usual rank, with a real fall.
    let dropped = real_fall && rank_now - usual_rank >= f64::from(rules.min_places) - 0.5;
    // rank.exited_top: usually in the top-x, now out of it, with a real fall
    // of at least two places (a step to the neighbouring rank is the
    // flapping of a company at the edge, never news); once per exit.
    let exited = real_fall
        && !in_top
        && usual_rank <= f64::from(rules.top) + 0.5
        && rank_now - usual_rank >= 1.5
        && !b.exit_told;
    let mut hold = false;
    if dropped {
        if cooling(b.dropped_at) {
            // Within the cool-down the baseline holds, so a company that
            // keeps falling is told once the cool-down is over.
            hold = true;
        } else {
            found.push(Finding::RankDropped(Before::of(b)));
            next.dropped_at = Some(at);
        }
    }
    if exited && !cooling(b.exited_at) {
        found.push(Finding::ExitedTop(Before::of(b)));
        next.exit_told = true;
        next.exited_at = Some(at);
    }
    if in_top {
        next.exit_told = false;
    }
    if found
        .iter()
        .any(|f| matches!(f, Finding::RankDropped(_) | Finding::ExitedTop(_)))
    {
        // Told: the current place is the new usual one, so the same drop
        // fires once. The wobble learnt so far stays.
        next.rank = entry.rank;
        next.rank_mean = Some(rank_now);
        next.score = entry.score;
        next.seen_at = at;
    } else if !hold {
        let d = entry.score - b.score;
        next.score = b.score + SETTLE * d;
        next.score_var = (1.0 - WOBBLE_SETTLE) * b.score_var + WOBBLE_SETTLE * d * d;
        let r = usual_rank + SETTLE * (rank_now - usual_rank);
        next.rank_mean = Some(r);
        next.rank = r.round().max(1.0) as u32;
        next.seen_at = at;
    }

    // sentiment.dropped: against the usual level, with a fall both large
    // (sentiment_drop) and beyond the window's own noise.
    let now = m.net_sentiment;
    match b.usual_net {
        None => next.usual_net = Some(now),
        Some(usual) => {
            let fall = usual - now;
            let n = m.mentions as f64;
            let (p, q) = (m.positive as f64 / n, m.negative as f64 / n);
            // Variance of one mention's +1/0/-1, floored so a unanimous
            // window is not taken as certain.
            let variance = (p + q - (p - q) * (p - q)).max(0.05);
            let noise = SENTIMENT_Z * (variance / n).sqrt();
            if fall >= rules.sentiment_drop && fall >= noise {
                if !cooling(b.sentiment_at) {
                    found.push(Finding::SentimentDropped { usual, now });
                    next.usual_net = Some(now);
                    next.sentiment_at = Some(at);
                }
                // Within the cool-down the usual level holds, so the fall is
                // not absorbed before it can be told.
            } else {
                next.usual_net = Some(usual + USUAL_FOLLOW * (now - usual));
            }
        }
    }
    (Some(next).filter(|n| n != b), found)
}

/// P(X >= k) for X ~ Poisson(lambda), summed from k upward so that tiny
/// tails keep their precision.
pub(crate) fn poisson_upper_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda <= 0.0 {
        return 0.0;
    }
    // ln P(X = k) = -lambda + k ln(lambda) - ln(k!)
    let ln_fact: f64 = (2..=k).map(|i| (i as f64).ln()).sum();
    let mut term = (-lambda + k as f64 * lambda.ln() - ln_fact).exp();
    let mut sum = 0.0;
    let mut i = k;
    while term > 0.0 && (term > sum * 1e-12) && i < k + 10_000 {
        sum += term;
        i += 1;
        term *= lambda / i as f64;
    }
    sum.min(1.0)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use repmon_monitor::{CompanyRef, Metrics};

    fn rules() -> Rules {
        Rules {
            min_places: 3,
            min_mentions: 10,
            min_score_drop: 3.0,
            sentiment_drop: 0.3,
            spike_factor: 4.0,
            spike_min: 10,
            cooldown: chrono::Duration::hours(12),
            top: 20,
        }
    }

    fn entry(rank: u32, mentions: u64) -> Entry {
        Entry {
            rank,
            previous_rank: None,
            company: CompanyRef {
                id: "golf".into(),
                name: "Golf Internet".into(),
            },
            score: 100.0 - 10.0 * f64::from(rank),
            score_change: None,
            metrics: Metrics {
                mentions,
                positive: mentions,
                net_sentiment: 1.0,
                ..Metrics::default()
            },
            reasons: vec![],
            reason_details: vec![],
        }
    }

    fn base(rank: u32) -> Baseline {
        Baseline {
            rank,
            score: 100.0 - 10.0 * f64::from(rank),
            seen_at: Utc::now(),
            rank_mean: Some(f64::from(rank)),
            score_var: 0.0,
            dropped_at: None,
            exit_told: false,
            exited_at: None,
            usual_net: Some(1.0),
            sentiment_at: None,
            spike_at: None,
            last_rank: None,
            last_score: None,
        }
    }

    fn kinds(found: &[Finding]) -> Vec<&'static str> {
        found.iter().map(Finding::kind).collect()
    }

    #[test]
    fn drop_of_min_places_fires_smaller_does_not() {
        let now = Utc::now();
        let (next, found) = judge(Some(&base(2)), &entry(5, 19), true, &rules(), now);
        assert_eq!(kinds(&found), ["rank.dropped"]);
        assert_eq!(next.unwrap().rank, 5);
        let (_, found) = judge(Some(&base(2)), &entry(4, 19), true, &rules(), now);
        assert!(found.is_empty());
    }

    #[test]
    fn no_data_thin_data_and_unarmed_never_fire() {
        let now = Utc::now();
        assert_eq!(
            judge(Some(&base(1)), &entry(9, 0), true, &rules(), now),
            (None, vec![])
        );
        // Nine mentions are not enough evidence to say it dropped.
        let (_, found) = judge(Some(&base(1)), &entry(9, 9), true, &rules(), now);
        assert!(found.is_empty());
        let (next, found) = judge(Some(&base(1)), &entry(9, 50), false, &rules(), now);
        assert!(found.is_empty());
        assert_eq!(next.unwrap().rank, 9);
    }

    #[test]
    fn a_drop_on_a_tiny_score_change_is_noise() {
        let now = Utc::now();
        let mut e = entry(5, 50);
        e.score = base(2).score - 2.0;
        let (_, found) = judge(Some(&base(2)), &e, true, &rules(), now);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn the_cool_down_holds_a_second_drop_back() {
        let t0 = Utc::now();
        let (b, found) = judge(Some(&base(1)), &entry(4, 50), true, &rules(), t0);
        assert_eq!(kinds(&found), ["rank.dropped"]);
        let b = b.unwrap();
        let later = t0 + chrono::Duration::hours(1);
        let (held, found) = judge(Some(&b), &entry(8, 50), true, &rules(), later);
        assert!(found.is_empty());
        // The usual place waits at rank 4; only "where it stood last" moves.
        let held = held.unwrap();
        assert_eq!(
            (held.rank, held.rank_mean, held.score),
            (4, Some(4.0), 60.0)
        );
        assert_eq!(held.last_rank, Some(8));
        let after = t0 + chrono::Duration::hours(13);
        let (_, found) = judge(Some(&b), &entry(8, 50), true, &rules(), after);
        assert_eq!(kinds(&found), ["rank.dropped"]);
    }

    #[test]
    fn leaving_the_top_fires_once_and_flapping_at_its_edge_does_not() {
        let t0 = Utc::now();
        let top3 = Rules { top: 3, ..rules() };
        let b = base(3);
        // 3 -> 4 with a score barely lower: flapping, nothing.
        let mut e = entry(4, 50);
        e.score = b.score - 1.0;
        let (next, found) = judge(Some(&b), &e, true, &top3, t0);
        assert!(found.is_empty(), "{found:?}");
        assert!(
            next.unwrap().rank_mean.unwrap() > 3.0,
            "the usual rank follows a little"
        );
        // 3 -> 4 with a real fall: out of the top, but only to the
        // neighbouring rank, which an edge company does all the time.
        let mut e = entry(4, 50);
        e.score = b.score - 10.0;
        let (_, found) = judge(Some(&b), &e, true, &top3, t0);
        assert!(found.is_empty(), "one place is no exit: {found:?}");
        // A real fall out of the top (two places: no rank.dropped).
        let mut e = entry(5, 50);
        e.score = b.score - 10.0;
        let (next, found) = judge(Some(&b), &e, true, &top3, t0);
        assert_eq!(kinds(&found), ["rank.exited_top"]);
        let b3 = next.unwrap();
        assert!(b3.exit_told);
        assert_eq!(b3.rank, 5);
        let (_, found) = judge(Some(&b3), &e, true, &top3, t0 + chrono::Duration::days(2));
        assert!(found.is_empty(), "told once");
    }

    #[test]
    fn a_company_that_always_wobbles_needs_a_bigger_fall() {
        let t0 = Utc::now();
        let mut b = base(2);
        // Its score usually moves by about 4 points between re-ranks.
        b.score_var = 16.0;
        let mut e = entry(5, 50);
        e.score = b.score - 10.0;
        let (_, found) = judge(Some(&b), &e, true, &rules(), t0);
        assert!(found.is_empty(), "10 points is within 4 x 4: {found:?}");
        e.score = b.score - 17.0;
        let (_, found) = judge(Some(&b), &e, true, &rules(), t0);
        assert_eq!(kinds(&found), ["rank.dropped"]);
    }

    #[test]
    fn a_sentiment_fall_needs_size_and_evidence() {
        let t0 = Utc::now();
        let b = base(1);
        let mut e = entry(1, 40);
        e.metrics.positive = 10;
        e.metrics.negative = 30;
        e.metrics.net_sentiment = -0.5;
        let (next, found) = judge(Some(&b), &e, true, &rules(), t0);
        assert_eq!(kinds(&found), ["sentiment.dropped"]);
        assert_eq!(next.unwrap().usual_net, Some(-0.5));
        // The same fall on 10 mentions with a mixed window is within the noise.
        let mut e = entry(1, 10);
        e.metrics.positive = 4;
        e.metrics.negative = 5;
        e.metrics.neutral = 1;
        e.metrics.net_sentiment = -0.1;
        let mut b = base(1);
        b.usual_net = Some(0.35);
        let (_, found) = judge(Some(&b), &e, true, &rules(), t0);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn poisson_tails_are_right() {
        // P(X >= 1) = 1 - e^-lambda; P(X >= 3 | 1) = 1 - e^-1 (1 + 1 + 1/2).
        assert!((poisson_upper_tail(1, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
        assert!((poisson_upper_tail(3, 1.0) - (1.0 - (-1.0f64).exp() * 2.5)).abs() < 1e-12);
        assert_eq!(poisson_upper_tail(0, 3.0), 1.0);
        assert!(poisson_upper_tail(13, 2.3) < 1e-6 && poisson_upper_tail(12, 2.3) > 1e-6);
    }

    #[test]
    fn a_volume_spike_stands_out_from_its_baseline() {
        let t0 = Utc::now();
        let mut e = entry(1, 60);
        e.metrics.last_hour = 12;
        e.metrics.hourly_baseline = 0.3;
        let (_, found) = judge(Some(&base(1)), &e, true, &rules(), t0);
        assert_eq!(kinds(&found), ["volume.spike"]);
        // A busy company's ordinary hour is no spike.
        e.metrics.hourly_baseline = 6.0;
        let (_, found) = judge(Some(&base(1)), &e, true, &rules(), t0);
        assert!(found.is_empty());
    }
}
