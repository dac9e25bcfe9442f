//! The project's own check sentences must keep getting their labels:
//! Dutch restaurant reviews, webcare and political tweets
//! (`tests/data/nl_checks.tsv`, `nl_restaurant_checks.tsv`,
//! `nl_review_checks.tsv`) and English
//! tweets (`tests/data/en_checks.tsv`, `en_topic_checks.tsv`,
//! `en_tweet_checks.tsv`), written for repmon. The public Dutch sets
//! may only be measured on, so the Dutch sentences are what the Dutch rules
//! were tuned with; these tests guard both against regressions and print
//! the misses (`--nocapture`).

use repmon_mentions::{label, sentiment};
use repmon_model::Sentiment;

/// Labels every sentence of a `label<TAB>text` file in `lang` and insists
/// on at least `at_least` of them right.
fn keep_their_labels(data: &str, lang: &str, at_least: f64) {
    let (mut n, mut right) = (0usize, 0usize);
    let mut per_label = [0usize; 3];
    for line in data
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (truth, text) = line.split_once('\t').expect("label<TAB>text");
        let truth: Sentiment = truth.parse().expect("a label");
        let score = sentiment(text, lang);
        n += 1;
        per_label[match truth {
            Sentiment::Positive => 0,
            Sentiment::Negative => 1,
            Sentiment::Neutral => 2,
        }] += 1;
        if label(score) == truth {
            right += 1;
        } else {
            println!("miss: {truth:?} scored {score:+.3}: {text}");
        }
    }
    // All three labels are there, so a scorer that says one thing fails.
    assert!(per_label.iter().all(|&c| c >= 20), "{per_label:?}");
    let share = right as f64 / n as f64;
    println!("{right}/{n} {lang} check sentences labelled right ({share:.3})");
    assert!(share >= at_least, "{right}/{n} = {share:.3} < {at_least}");
}

/// 742/860 after round 8 (731 after round 6; the sets written last,
/// blind, are the hardest); a change that loses more than a handful is a
/// regression.
#[test]
fn dutch_check_sentences_keep_their_labels() {
    keep_their_labels(include_str!("data/nl_checks.tsv"), "nl", 0.84);
}

/// 237/300 after round 8; the same margin as for Dutch.
#[test]
fn english_check_tweets_keep_their_labels() {
    keep_their_labels(include_str!("data/en_checks.tsv"), "en", 0.75);
}

/// 316/420 after round 8 (285 before round 7): implicit restaurant
/// complaints are the hardest Dutch sentences there are for a lexicon.
#[test]
fn dutch_restaurant_sentences_keep_their_labels() {
    keep_their_labels(include_str!("data/nl_restaurant_checks.tsv"), "nl", 0.73);
}

/// 347/450 after round 8 (343 before), a set whose misses were not read
/// while tuning: how the rules do on reviews they were not made from.
#[test]
fn dutch_review_sentences_keep_their_labels() {
    keep_their_labels(include_str!("data/nl_review_checks.tsv"), "nl", 0.75);
}

/// 325/420 after round 8 (299 before round 7): neutral news about named
/// topics, such as shows whose names are words of judgement.
#[test]
fn english_topic_tweets_keep_their_labels() {
    keep_their_labels(include_str!("data/en_topic_checks.tsv"), "en", 0.75);
}

/// 235/450 after round 8 (224 before), written blind and hard on purpose
/// (titles with emotional words, alarming news, sarcasm): how the rules do
/// on tweets they were not made from.
#[test]
fn english_blind_tweets_keep_their_labels() {
    keep_their_labels(include_str!("data/en_tweet_checks.tsv"), "en", 0.50);
}
