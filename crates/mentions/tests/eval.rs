//! Honesty check of the sentiment scorer against the labelled sets in
//! /work/shared/data/sentiment (or $REPMON_SENTIMENT_DATA). Prints, per set:
//! n, accuracy, macro-F1 (strict: on two-way sets a neutral answer is an
//! error) and how often the language detector agrees with the set's
//! language. It never fails on a figure; it skips when the data is absent.
//! `cargo test -p repmon-mentions --test eval -- --nocapture`

use repmon_mentions::{detect_language, label, sentiment};
use repmon_model::Sentiment;
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    std::env::var_os("REPMON_SENTIMENT_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/data/sentiment"))
}

struct Counts {
    n: usize,
    correct: usize,
    lang_checked: usize,
    lang_agrees: usize,
    /// [truth][prediction] over positive, negative, neutral.
    confusion: [[usize; 3]; 3],
}

fn idx(s: Sentiment) -> usize {
    match s {
        Sentiment::Positive => 0,
        Sentiment::Negative => 1,
        Sentiment::Neutral => 2,
    }
}

impl Counts {
    fn macro_f1(&self, classes: &[usize]) -> f64 {
        let f1s: Vec<f64> = classes
            .iter()
            .map(|&c| {
                let tp = self.confusion[c][c] as f64;
                let predicted: usize = (0..3).map(|t| self.confusion[t][c]).sum();
                let actual: usize = self.confusion[c].iter().sum();
                let p = if predicted > 0 {
                    tp / predicted as f64
                } else {
                    0.0
                };
                let r = if actual > 0 { tp / actual as f64 } else { 0.0 };
                if p + r > 0.0 {
                    2.0 * p * r / (p + r)
                } else {
                    0.0
                }
            })
            .collect();
        f1s.iter().sum::<f64>() / f1s.len().max(1) as f64
    }
}

#[test]
fn sentiment_against_labelled_sets() {
    let dir = data_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipping: no labelled sentiment data at {}", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    println!(
        "{:<40} {:>6} {:>6} {:>8} {:>9} {:>7}",
        "set", "n", "ways", "accuracy", "macro-F1", "lang ok"
    );
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut c = Counts {
            n: 0,
            correct: 0,
            lang_checked: 0,
            lang_agrees: 0,
            confusion: [[0; 3]; 3],
        };
        let mut has_neutral = false;
        let mut bad_lines = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                bad_lines += 1;
                continue;
            };
            let (Some(t), Some(lang), Some(l)) =
                (v["text"].as_str(), v["lang"].as_str(), v["label"].as_str())
            else {
                bad_lines += 1;
                continue;
            };
            let Ok(truth) = l.parse::<Sentiment>() else {
                bad_lines += 1;
                continue;
            };
            has_neutral |= truth == Sentiment::Neutral;
            let predicted = label(sentiment(t, lang));
            c.n += 1;
            c.correct += (predicted == truth) as usize;
            c.confusion[idx(truth)][idx(predicted)] += 1;
            // Detection is slow in debug builds; every tenth text tells enough.
            if c.n % 10 == 1 {
                c.lang_checked += 1;
                c.lang_agrees += (detect_language(t) == lang) as usize;
            }
        }
        if c.n == 0 {
            continue;
        }
        let classes: &[usize] = if has_neutral { &[0, 1, 2] } else { &[0, 1] };
        let name = path.file_stem().unwrap_or_default().to_string_lossy();
        println!(
            "{:<40} {:>6} {:>6} {:>8.3} {:>9.3} {:>7.3}{}",
            name,
            c.n,
            if has_neutral { "3-way" } else { "2-way" },
            c.correct as f64 / c.n as f64,
            c.macro_f1(classes),
            c.lang_agrees as f64 / c.lang_checked.max(1) as f64,
            if bad_lines > 0 {
                format!("  ({bad_lines} unreadable lines)")
            } else {
                String::new()
            }
        );
    }
}
