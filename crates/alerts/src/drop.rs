//! When a company's move down the table is worth an alert: pure logic, no I/O.

use chrono::{DateTime, Utc};
use repmon_monitor::Entry;
use serde::{Deserialize, Serialize};

/// What one webhook compares a company's rank against: the best (lowest)
/// rank seen since the last alert it raised for that company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Baseline {
    pub rank: u32,
    /// The score the company had at that rank (the event's `previous_score`).
    pub score: f64,
    /// When that rank was seen.
    pub seen_at: DateTime<Utc>,
}

/// What to do with one company for one webhook after a re-rank.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Leave the baseline as it is.
    Keep,
    /// Move the baseline to this (a better rank, a first sighting, or cold start).
    Move(Baseline),
    /// The company lost at least `min_places` since `from`: raise an alert and
    /// make the current rank the new baseline, so the same drop fires once.
    Fire { from: Baseline, to: Baseline },
}

/// Decides for one (webhook, company) pair; see the crate docs for the rules.
pub(crate) fn judge(
    baseline: Option<&Baseline>,
    entry: &Entry,
    armed: bool,
    min_places: usize,
    at: DateTime<Utc>,
) -> Verdict {
    let current = Baseline {
        rank: entry.rank,
        score: entry.score,
        seen_at: at,
    };
    if !armed {
        // Cold start: rankings built on a half-filled index mean nothing yet,
        // so follow them without judging.
        return match baseline {
            Some(b) if b.rank == current.rank && b.score == current.score => Verdict::Keep,
            _ => Verdict::Move(current),
        };
    }
    // A company without mentions in the window sits at the bottom only for
    // lack of data; that is no drop, and no rank to remember either.
    if entry.metrics.mentions == 0 {
        return Verdict::Keep;
    }
    let Some(b) = baseline else {
        return Verdict::Move(current);
    };
    if current.rank < b.rank {
        return Verdict::Move(current);
    }
    // min_places 0 would fire on every re-rank; one place is the least that is a drop.
    let lost = (current.rank - b.rank) as usize;
    if lost >= min_places.max(1) {
        Verdict::Fire {
            from: b.clone(),
            to: current,
        }
    } else {
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use repmon_monitor::{CompanyRef, Metrics};

    fn entry(rank: u32, mentions: u64) -> Entry {
        Entry {
            rank,
            previous_rank: None,
            company: CompanyRef {
                id: "golf".into(),
                name: "Golf Internet".into(),
            },
            score: 100.0 - f64::from(rank),
            score_change: None,
            metrics: Metrics {
                mentions,
                ..Metrics::default()
            },
            reasons: vec![],
        }
    }

    fn base(rank: u32) -> Baseline {
        Baseline {
            rank,
            score: 100.0 - f64::from(rank),
            seen_at: Utc::now(),
        }
    }

    #[test]
    fn drop_of_min_places_fires_smaller_does_not() {
        let now = Utc::now();
        assert!(matches!(
            judge(Some(&base(2)), &entry(5, 9), true, 3, now),
            Verdict::Fire { .. }
        ));
        assert_eq!(
            judge(Some(&base(2)), &entry(4, 9), true, 3, now),
            Verdict::Keep
        );
    }

    #[test]
    fn no_data_and_unarmed_never_fire() {
        let now = Utc::now();
        assert_eq!(
            judge(Some(&base(1)), &entry(9, 0), true, 3, now),
            Verdict::Keep
        );
        assert!(
            matches!(judge(Some(&base(1)), &entry(9, 5), false, 3, now), Verdict::Move(b) if b.rank == 9)
        );
    }

    #[test]
    fn a_better_rank_lowers_the_baseline() {
        let now = Utc::now();
        assert!(
            matches!(judge(Some(&base(4)), &entry(2, 5), true, 3, now), Verdict::Move(b) if b.rank == 2)
        );
        assert!(matches!(judge(None, &entry(6, 5), true, 3, now), Verdict::Move(b) if b.rank == 6));
    }
}
