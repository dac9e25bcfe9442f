//! The ranking model: per-company tallies over a window, the score's
//! components (each its own function, each 0..1), and their weights.
//! docs/ranking.md explains the choices.

use crate::Metrics;
use repmon_config::Company;
use repmon_model::{Mention, Sentiment, SourceKind};
use std::collections::{HashMap, HashSet};

/// How much each component counts in the score. The weights need not sum to
/// one: the score divides by their sum, so it stays 0-100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// What people say: smoothed net sentiment.
    pub vibe: f64,
    /// How much they talk: damped share of voice.
    pub buzz: f64,
    /// How many of them: damped distinct authors.
    pub reach: f64,
    /// How the company answers: the smoothed share of complaints in threads
    /// its own accounts answered. Counts only for companies with such
    /// complaints (the weight drops out of the sum for the others).
    pub webcare: f64,
    /// What reviewers rate it: the smoothed mean review rating. Counts only
    /// for companies with ratings in the window.
    pub reviews: f64,
    /// Which way it is going: the change of smoothed sentiment and share of
    /// the favourable talk against the window before. Centred on zero, so
    /// it adds to or takes from the score and never pulls a steady company
    /// toward the middle (see [`Components::score`]).
    pub momentum: f64,
}

impl Default for Weights {
    fn default() -> Self {
        // Reputation is first what is said (vibe), then how loudly (buzz),
        // then by how many (reach); see docs/ranking.md.
        Weights {
            vibe: 0.5,
            buzz: 0.3,
            reach: 0.2,
            webcare: 0.15,
            reviews: 0.15,
            momentum: 0.2,
        }
    }
}

/// The ranking model's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model {
    pub weights: Weights,
    /// Prior strength of the sentiment smoothing, in mentions: a company's
    /// net sentiment counts as this many mentions at the all-company mean.
    pub prior_mentions: f64,
}

impl Default for Model {
    fn default() -> Self {
        Model {
            weights: Weights::default(),
            prior_mentions: 10.0,
        }
    }
}

impl Model {
    /// The model as `[ranking]` tunes it.
    pub fn from_config(r: &repmon_config::Ranking) -> Model {
        Model {
            weights: Weights {
                vibe: r.weights.vibe,
                buzz: r.weights.buzz,
                reach: r.weights.reach,
                webcare: r.weights.webcare,
                reviews: r.weights.reviews,
                momentum: r.weights.momentum,
            },
            prior_mentions: r.sentiment_prior,
        }
    }
}

/// The components of a score: vibe, buzz and reach (each 0..1) always;
/// webcare and reviews where their data exists; momentum (-0.5..0.5).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Components {
    pub vibe: f64,
    pub buzz: f64,
    pub reach: f64,
    /// The company's share of all positive and neutral talk, 0..1: the
    /// figure buzz is made from (reasons quote it).
    pub supportive_share: f64,
    /// Smoothed share of answered complaints; None without complaints in threads.
    pub webcare: Option<f64>,
    /// Smoothed mean rating mapped to 0..1; None without ratings.
    pub reviews: Option<f64>,
    /// The change against the window before, -0.5..0.5 (see [`momentum`]);
    /// 0 without data in either window.
    pub momentum: f64,
}

impl Components {
    /// The points each present component adds to the score, by name, in
    /// the order vibe, buzz, reach, webcare, reviews, momentum (the last
    /// may be negative). They sum to the score before clamping.
    pub fn contributions(&self, w: &Weights) -> [(&'static str, f64); 6] {
        let total = self.weight_total(w);
        let part = |weight: f64, value: f64| {
            if total <= 0.0 {
                0.0
            } else {
                100.0 * weight * value / total
            }
        };
        [
            ("vibe", part(w.vibe, self.vibe)),
            ("buzz", part(w.buzz, self.buzz)),
            ("reach", part(w.reach, self.reach)),
            ("webcare", self.webcare.map_or(0.0, |v| part(w.webcare, v))),
            ("reviews", self.reviews.map_or(0.0, |v| part(w.reviews, v))),
            ("momentum", part(w.momentum, self.momentum)),
        ]
    }

    /// The sum of the weights of the components that count (momentum
    /// excluded: it is an adjustment, not part of the mean).
    fn weight_total(&self, w: &Weights) -> f64 {
        w.vibe
            + w.buzz
            + w.reach
            + self.webcare.map_or(0.0, |_| w.webcare)
            + self.reviews.map_or(0.0, |_| w.reviews)
    }

    /// The score 0-100: the weighted mean of the present components, plus
    /// momentum's share, clamped.
    pub fn score(&self, w: &Weights) -> f64 {
        let total = self.weight_total(w);
        if total <= 0.0 {
            return 0.0;
        }
        let sum: f64 = self.contributions(w).iter().map(|(_, p)| p).sum();
        sum.clamp(0.0, 100.0)
    }
}

/// **buzz**: a company's share of the favourable-or-neutral talk, relative
/// to the company with the most, square-rooted so raw volume cannot
/// dominate (4× the mentions gives 2× the buzz). Complaints are not buzz: a
/// storm of them must lower a company, never lift it (see docs/ranking.md).
pub fn buzz(share_of_voice: f64, max_share: f64) -> f64 {
    if max_share <= 0.0 {
        0.0
    } else {
        (share_of_voice / max_share).clamp(0.0, 1.0).sqrt()
    }
}

/// **vibe**: net sentiment pulled toward the market's typical value (the
/// median company's net sentiment) by a prior of `k` mentions, mapped from
/// -1..1 to 0..1. Three happy mentions score
/// near the mean; three hundred mostly happy ones score near their own value.
pub fn vibe(positive: u64, negative: u64, mentions: u64, mean_net: f64, k: f64) -> f64 {
    let n = mentions as f64;
    if n + k <= 0.0 {
        return 0.5;
    }
    let smoothed = (positive as f64 - negative as f64 + k * mean_net) / (n + k);
    ((smoothed.clamp(-1.0, 1.0)) + 1.0) / 2.0
}

/// Complaints a company's webcare is judged on before its own answer rate
/// outweighs the neutral prior of one half.
pub const WEBCARE_PRIOR: f64 = 4.0;

/// **webcare**: the share of complaints (negative mentions in a thread) that
/// the company's own accounts answered in that thread, smoothed toward one
/// half by [`WEBCARE_PRIOR`] complaints, so one answered complaint is not a
/// perfect record.
pub fn webcare(answered: u64, complaints: u64) -> f64 {
    (answered as f64 + WEBCARE_PRIOR * 0.5) / (complaints as f64 + WEBCARE_PRIOR)
}

/// Ratings a company's reviews are judged on before their own mean
/// outweighs the mean of all rated companies.
pub const REVIEWS_PRIOR: f64 = 5.0;

/// **reviews**: the mean rating (1-5) smoothed toward the mean of all
/// ratings in the window by [`REVIEWS_PRIOR`] ratings, mapped to 0..1, so
/// one five-star review does not top a hundred at four and a half.
pub fn reviews(rating_sum: f64, ratings: u64, all_mean: f64) -> f64 {
    let smoothed = (rating_sum + REVIEWS_PRIOR * all_mean) / (ratings as f64 + REVIEWS_PRIOR);
    ((smoothed - 1.0) / 4.0).clamp(0.0, 1.0)
}

/// How many standard errors a change must exceed before momentum counts
/// it: window-to-window noise is not a trend.
pub const MOMENTUM_Z: f64 = 3.0;

/// **momentum**: which way a company is going, -0.5..0.5. The change of
/// its vibe (the smoothed net sentiment, so a tiny company's few mentions
/// barely move it) plus the change of its share of the positive and neutral
/// talk (an absolute share, so a tiny company going from 2 to 6 mentions
/// moves it by next to nothing), against the window before. Each change
/// counts only as far as it exceeds [`MOMENTUM_Z`] of its standard error
/// (`*_se`, of the difference): equal windows and ordinary noise give 0.
pub fn momentum(vibe_change: f64, vibe_se: f64, share_change: f64, share_se: f64) -> f64 {
    let beyond_noise = |d: f64, se: f64| {
        let room = d.abs() - MOMENTUM_Z * se.max(0.0);
        if room > 0.0 { room.copysign(d) } else { 0.0 }
    };
    let m = beyond_noise(vibe_change, vibe_se) + beyond_noise(share_change, share_se);
    if m.is_finite() {
        m.clamp(-0.5, 0.5)
    } else {
        0.0
    }
}

/// The standard error of a window's vibe: that of its net sentiment (one
/// mention's +1/0/-1 spread, floored so a unanimous window is not certain),
/// shrunk as the smoothing shrinks the figure, halved by the 0..1 mapping.
fn vibe_se(positive: u64, negative: u64, mentions: u64, k: f64) -> f64 {
    if mentions == 0 {
        return 0.0;
    }
    let n = mentions as f64;
    let (p, q) = (positive as f64 / n, negative as f64 / n);
    let variance = (p + q - (p - q) * (p - q)).max(0.05);
    n / (n + k.max(0.0)) * (variance / n).sqrt() / 2.0
}

/// The standard error of a share `share` of `total` mentions (binomial).
fn share_se(share: f64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (share * (1.0 - share) / total as f64).max(0.0).sqrt()
    }
}

/// **reach**: distinct authors of favourable-or-neutral mentions on a log
/// scale relative to the company with the most, so one loud author is not a
/// movement and ten thousand are not a hundred times ten.
pub fn reach(authors: u64, max_authors: u64) -> f64 {
    if max_authors == 0 {
        0.0
    } else {
        ((1.0 + authors as f64).ln() / (1.0 + max_authors as f64).ln()).clamp(0.0, 1.0)
    }
}

/// What one window says about one company, borrowed from the mentions.
#[derive(Default)]
pub(crate) struct Tally<'a> {
    pub mentions: u64,
    pub positive: u64,
    pub negative: u64,
    pub neutral: u64,
    pub owned: u64,
    /// Mentions per author; mentions without an author count under their
    /// source (a news site without bylines is one voice).
    pub authors: HashMap<&'a str, u32>,
    /// Distinct authors of mentions that are not negative (for reach).
    pub supportive_authors: HashSet<&'a str>,
    pub rating_sum: f64,
    pub ratings: u64,
    /// Earned mentions of this company in the window.
    pub earned: Vec<(&'a Mention, usize)>,
    /// The company's own posts in the window (webcare answers among them).
    pub own_posts: Vec<&'a Mention>,
}

impl<'a> Tally<'a> {
    pub fn metrics(&self, total_mentions: u64) -> Metrics {
        let n = self.mentions;
        Metrics {
            mentions: n,
            share_of_voice: if total_mentions == 0 {
                0.0
            } else {
                round(n as f64 / total_mentions as f64, 4)
            },
            positive: self.positive,
            negative: self.negative,
            neutral: self.neutral,
            net_sentiment: if n == 0 {
                0.0
            } else {
                round((self.positive as f64 - self.negative as f64) / n as f64, 4)
            },
            authors: self.authors.len() as u64,
            owned: self.owned,
            rating: (self.ratings > 0).then(|| round(self.rating_sum / self.ratings as f64, 2)),
            // Filled in by `rank_with`, which knows the window's end.
            last_hour: 0,
            hourly_baseline: 0.0,
            webcare: self.webcare(),
        }
    }

    /// Each complaint (an earned negative mention in a thread) with the
    /// seconds until the company's first own post in the same thread (or
    /// replying to it) after it; None when unanswered.
    pub fn complaints(&self) -> Vec<(&'a Mention, usize, Option<i64>)> {
        self.earned
            .iter()
            .filter(|(m, ci)| {
                m.companies[*ci].sentiment == Sentiment::Negative && m.doc.thread.is_some()
            })
            .map(|&(m, ci)| {
                let thread = m.doc.thread.as_deref();
                let first_answer = self
                    .own_posts
                    .iter()
                    .filter(|a| {
                        a.doc.published >= m.doc.published
                            && (a.doc.thread.as_deref() == thread
                                || a.doc.in_reply_to.as_deref() == Some(m.doc.id.as_str()))
                    })
                    .map(|a| (a.doc.published - m.doc.published).num_seconds())
                    .min();
                (m, ci, first_answer)
            })
            .collect()
    }

    /// Complaints in threads, and how the company's own accounts answered
    /// them. A complaint is answered by the company's first own post in the
    /// same thread (or replying to it) published after it.
    pub fn webcare(&self) -> Option<crate::Webcare> {
        let all = self.complaints();
        let complaints = all.len() as u64;
        let mut delays: Vec<i64> = all.iter().filter_map(|c| c.2).collect();
        if complaints == 0 {
            return None;
        }
        delays.sort_unstable();
        let median_minutes = match delays.len() {
            0 => None,
            n if n % 2 == 1 => Some(delays[n / 2] as f64 / 60.0),
            n => Some((delays[n / 2 - 1] + delays[n / 2]) as f64 / 120.0),
        };
        Some(crate::Webcare {
            complaints,
            answered: delays.len() as u64,
            response_rate: round(delays.len() as f64 / complaints as f64, 4),
            median_response_minutes: median_minutes.map(|m| round(m, 1)),
        })
    }

    /// Earned mentions that are not negative: the talk that counts as buzz.
    pub fn supportive(&self) -> u64 {
        self.positive + self.neutral
    }

    /// The share of this company's mentions the busiest author wrote.
    pub fn top_author_share(&self) -> f64 {
        let top = self.authors.values().copied().max().unwrap_or(0);
        if self.mentions == 0 {
            0.0
        } else {
            f64::from(top) / self.mentions as f64
        }
    }

    /// Earned mentions with `sentiment`, per source kind.
    pub fn kinds(&self, sentiment: Sentiment) -> Vec<(SourceKind, u64)> {
        let mut counts = [0u64; 4];
        for (m, i) in &self.earned {
            if m.companies[*i].sentiment == sentiment {
                counts[kind_index(m.doc.kind)] += 1;
            }
        }
        let mut out: Vec<(SourceKind, u64)> = SourceKind::ALL
            .into_iter()
            .zip(counts)
            .filter(|(_, c)| *c > 0)
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

fn kind_index(k: SourceKind) -> usize {
    SourceKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
}

pub(crate) fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// Tallies per company (in `companies` order) over one window's mentions.
pub(crate) fn tally<'a>(companies: &[Company], mentions: &'a [Mention]) -> Vec<Tally<'a>> {
    let index: HashMap<&str, usize> = companies
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let mut tallies: Vec<Tally<'a>> = companies.iter().map(|_| Tally::default()).collect();
    let mut seen: HashSet<(usize, &str)> = HashSet::new();
    for m in mentions {
        for (ci, cm) in m.companies.iter().enumerate() {
            let Some(&ti) = index.get(cm.company.as_str()) else {
                continue; // a company no longer configured
            };
            // One document names a company once, however the list came out.
            if !seen.insert((ti, m.doc.id.as_str())) {
                continue;
            }
            let t = &mut tallies[ti];
            if cm.owned {
                t.owned += 1;
                t.own_posts.push(m);
                continue;
            }
            t.mentions += 1;
            match cm.sentiment {
                Sentiment::Positive => t.positive += 1,
                Sentiment::Negative => t.negative += 1,
                Sentiment::Neutral => t.neutral += 1,
            }
            let voice = m
                .doc
                .author
                .as_deref()
                .filter(|a| !a.trim().is_empty())
                .unwrap_or(m.doc.source.as_str());
            *t.authors.entry(voice).or_insert(0) += 1;
            if cm.sentiment != Sentiment::Negative {
                t.supportive_authors.insert(voice);
            }
            if let Some(r) = m.doc.rating.filter(|r| r.is_finite()) {
                t.rating_sum += f64::from(r);
                t.ratings += 1;
            }
            t.earned.push((m, ci));
        }
    }
    tallies
}

/// Scores of every company over one window.
pub(crate) struct Scored {
    pub metrics: Vec<Metrics>,
    pub components: Vec<Components>,
    pub scores: Vec<f64>,
    /// Rank per company (1 = best), companies without data after all others.
    pub ranks: Vec<u32>,
    /// Standard errors of each company's vibe and supportive share (for
    /// the next window's momentum).
    pub noise: Vec<(f64, f64)>,
}

/// Scores one window. With `before` (the window before, scored) each
/// company that has data in both gets its momentum; without it momentum is 0.
pub(crate) fn score_window(
    model: &Model,
    companies: &[Company],
    tallies: &[Tally<'_>],
    before: Option<&Scored>,
) -> Scored {
    let total: u64 = tallies.iter().map(|t| t.mentions).sum();
    let metrics: Vec<Metrics> = tallies.iter().map(|t| t.metrics(total)).collect();
    // The prior is the typical company's net sentiment (the median), not the
    // mention-weighted mean: one company's storm must not drag every other
    // company's vibe down with it.
    let mut nets: Vec<f64> = metrics
        .iter()
        .filter(|m| m.mentions > 0)
        .map(|m| m.net_sentiment)
        .collect();
    nets.sort_by(f64::total_cmp);
    let mean_net = match nets.len() {
        0 => 0.0,
        n if n % 2 == 1 => nets[n / 2],
        n => (nets[n / 2 - 1] + nets[n / 2]) / 2.0,
    };
    // Buzz and reach count the talk that is not against a company, so that a
    // wave of complaints cannot lift it (nor push down everyone else's buzz).
    let supportive_total: u64 = tallies.iter().map(Tally::supportive).sum();
    let share = |t: &Tally<'_>| {
        if supportive_total == 0 {
            0.0
        } else {
            t.supportive() as f64 / supportive_total as f64
        }
    };
    let max_share = tallies.iter().map(share).fold(0.0, f64::max);
    let (rating_sum, ratings) = tallies
        .iter()
        .fold((0.0, 0u64), |(s, n), t| (s + t.rating_sum, n + t.ratings));
    // The middle of the scale until there are ratings to learn from.
    let all_ratings_mean = if ratings == 0 {
        3.0
    } else {
        rating_sum / ratings as f64
    };
    let max_authors = tallies
        .iter()
        .map(|t| t.supportive_authors.len() as u64)
        .max()
        .unwrap_or(0);
    let noise: Vec<(f64, f64)> = tallies
        .iter()
        .map(|t| {
            (
                vibe_se(t.positive, t.negative, t.mentions, model.prior_mentions),
                share_se(share(t), supportive_total),
            )
        })
        .collect();
    let components: Vec<Components> = tallies
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if t.mentions == 0 {
                return Components::default();
            }
            let mut c = Components {
                vibe: vibe(
                    t.positive,
                    t.negative,
                    t.mentions,
                    mean_net,
                    model.prior_mentions,
                ),
                buzz: buzz(share(t), max_share),
                reach: reach(t.supportive_authors.len() as u64, max_authors),
                supportive_share: share(t),
                webcare: t.webcare().map(|w| webcare(w.answered, w.complaints)),
                reviews: (t.ratings > 0)
                    .then(|| reviews(t.rating_sum, t.ratings, all_ratings_mean)),
                momentum: 0.0,
            };
            if let Some(b) = before.filter(|b| b.metrics[i].mentions > 0) {
                let p = &b.components[i];
                let (v_se, s_se) = b.noise[i];
                let (v_now, s_now) = noise[i];
                c.momentum = momentum(
                    c.vibe - p.vibe,
                    v_se.hypot(v_now),
                    c.supportive_share - p.supportive_share,
                    s_se.hypot(s_now),
                );
            }
            c
        })
        .collect();
    let scores: Vec<f64> = components
        .iter()
        .zip(tallies)
        .map(|(c, t)| {
            if t.mentions == 0 {
                0.0
            } else {
                round(c.score(&model.weights), 1)
            }
        })
        .collect();
    // Best first: with data before without; then score, mentions, name.
    let mut order: Vec<usize> = (0..companies.len()).collect();
    order.sort_by(|&a, &b| {
        let has = |i: usize| tallies[i].mentions > 0;
        has(b)
            .cmp(&has(a))
            .then(scores[b].total_cmp(&scores[a]))
            .then(tallies[b].mentions.cmp(&tallies[a].mentions))
            .then(companies[a].name.cmp(&companies[b].name))
    });
    let mut ranks = vec![0u32; companies.len()];
    for (pos, &i) in order.iter().enumerate() {
        ranks[i] = pos as u32 + 1;
    }
    Scored {
        metrics,
        components,
        scores,
        ranks,
        noise,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_stay_in_range() {
        assert_eq!(buzz(0.0, 0.0), 0.0);
        assert!((buzz(0.25, 1.0) - 0.5).abs() < 1e-9);
        assert_eq!(vibe(0, 0, 0, 0.0, 10.0), 0.5);
        assert_eq!(vibe(100, 0, 100, 1.0, 10.0), 1.0);
        assert_eq!(reach(0, 0), 0.0);
        assert_eq!(reach(7, 7), 1.0);
        assert!(reach(1, 1000) < 0.11);
        let c = Components {
            vibe: 1.0,
            buzz: 1.0,
            reach: 1.0,
            supportive_share: 1.0,
            webcare: None,
            reviews: None,
            momentum: 0.0,
        };
        assert!((c.score(&Weights::default()) - 100.0).abs() < 1e-9);
        // Momentum adds and takes points, and the score stays 0-100.
        let rising = Components {
            momentum: 0.1,
            vibe: 0.5,
            ..c
        };
        let w0 = Weights::default();
        // 100 * (0.5 * 0.5 + 0.3 + 0.2) = 75, plus 100 * 0.2 * 0.1 = 2.
        assert!((rising.score(&w0) - 77.0).abs() < 1e-9);
        assert_eq!(Components { momentum: 0.5, ..c }.score(&w0), 100.0);
        assert_eq!(momentum(0.0, 0.0, 0.0, 0.0), 0.0);
        assert_eq!(momentum(0.8, 0.0, 0.8, 0.0), 0.5);
        // Within twice the noise nothing counts; beyond it, only the excess.
        assert_eq!(momentum(0.1, 0.06, -0.05, 0.03), 0.0);
        assert!((momentum(0.2, 0.05, 0.0, 0.0) - 0.05).abs() < 1e-12);
        assert!((momentum(-0.2, 0.05, 0.0, 0.0) + 0.05).abs() < 1e-12);
        // Webcare counts where there is something to answer, and only there.
        let answered_none = Components {
            webcare: Some(0.0),
            ..c
        };
        let w = Weights::default();
        let expected =
            100.0 * (w.vibe + w.buzz + w.reach) / (w.vibe + w.buzz + w.reach + w.webcare);
        assert!((answered_none.score(&w) - expected).abs() < 1e-9);
        // Smoothing: nothing to judge is one half; one answer out of one is
        // not a perfect record; forty out of forty nearly is.
        assert_eq!(webcare(0, 0), 0.5);
        assert!((webcare(1, 1) - 0.6).abs() < 1e-9);
        assert!(webcare(40, 40) > 0.95 && webcare(0, 40) < 0.05);
        // One five-star review sits near the market's 3.5; a hundred at 4.5 keep theirs.
        let one = reviews(5.0, 1, 3.5);
        let hundred = reviews(450.0, 100, 3.5);
        assert!(one < hundred, "{one} {hundred}");
        assert!((hundred - (4.452 - 1.0) / 4.0).abs() < 0.01, "{hundred}");
        assert_eq!(reviews(0.0, 0, 3.0), 0.5);
    }
}
