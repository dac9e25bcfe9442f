//! The reproducible evaluation of the sentiment scorer.
//!
//! `cargo run --release -p repmon-mentions --example evaluate [-- [--tuning] [--confusion] [--misses N] [DIR]]`
//!
//! Runs [`repmon_mentions::sentiment`] over every `*.jsonl` set in DIR
//! (default `$REPMON_SENTIMENT_DATA`, else `/work/shared/data/sentiment`)
//! and prints a Markdown table: per set n, accuracy, macro-F1, the binary
//! figures for two-way sets, Pearson r against the human `score` where the
//! set has one, and throughput in MB/s (one core).
//!
//! Honest split: a record is in the *tuning part* when its `split` is
//! `train` or `val`, or, for sets without splits, when
//! FNV-1a-64(id) % 5 == 0. The table reports the rest (the held-out part);
//! `--tuning` reports the tuning part instead, and `--misses N` prints up to
//! N wrongly labelled tuning texts per set (never held-out ones), and only of
//! the sets whose licence allows tuning on them (MIT: the VADER sets and
//! Glender's reviews; see [`TUNING_ALLOWED`]). `--confusion` adds each
//! set's confusion matrix and how many texts scored exactly 0. A set that is wholly a tuning
//! split (TweetEval `val`) is reported whole and marked.
//!
//! Labels: the scorer's own thresholds (positive >= +0.05, negative <=
//! -0.05). Strict macro-F1 on two-way sets counts a neutral answer as an
//! error; the binary figures decide by the sign of the score (a score of
//! exactly 0 is an error).

use repmon_mentions::{label, learning, sentiment};
use repmon_model::Sentiment;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Sets whose licence allows tuning on them (MIT), by file-name prefix.
/// The others (TweetEval, SemEval-2016 NL, Zegelaar, Pattern's corpora) are
/// for measuring only, so their texts are never printed as misses.
const TUNING_ALLOWED: &[&str] = &["en_vader_", "nl_earphone_reviews_glender"];

/// Figures are measured over at least this much scoring time per set.
const MIN_TIMING: Duration = Duration::from_millis(400);

struct Record {
    id: String,
    text: String,
    lang: String,
    truth: Sentiment,
    human: Option<f64>,
    tuning: bool,
}

fn idx(s: Sentiment) -> usize {
    match s {
        Sentiment::Positive => 0,
        Sentiment::Negative => 1,
        Sentiment::Neutral => 2,
    }
}

/// Mean F1 over the given classes of a [truth][prediction] matrix.
fn macro_f1(confusion: &[[usize; 3]; 3], classes: &[usize]) -> f64 {
    let total: f64 = classes
        .iter()
        .map(|&c| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = (0..3).map(|t| confusion[t][c]).sum();
            let actual: usize = confusion[c].iter().sum();
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
        .sum();
    total / classes.len().max(1) as f64
}

fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len() as f64;
    if pairs.len() < 3 {
        return None;
    }
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x / n, b + y / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for &(x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

fn read_set(path: &PathBuf) -> Result<(Vec<Record>, usize), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut bad = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            bad += 1;
            continue;
        };
        let (Some(id), Some(t), Some(lang), Some(truth)) = (
            v["id"].as_str(),
            v["text"].as_str(),
            v["lang"].as_str(),
            v["label"]
                .as_str()
                .and_then(|l| l.parse::<Sentiment>().ok()),
        ) else {
            bad += 1;
            continue;
        };
        let tuning = learning::in_tuning_part(id, v["split"].as_str());
        out.push(Record {
            id: id.to_string(),
            text: t.to_string(),
            lang: lang.to_string(),
            truth,
            human: v["score"].as_f64(),
            tuning,
        });
    }
    Ok((out, bad))
}

/// MB/s of the scorer over these texts, on this thread.
fn throughput(records: &[&Record]) -> f64 {
    let bytes: usize = records.iter().map(|r| r.text.len()).sum();
    if bytes == 0 {
        return 0.0;
    }
    let started = Instant::now();
    let mut rounds = 0usize;
    let mut sink = 0.0f32;
    while rounds == 0 || started.elapsed() < MIN_TIMING {
        for r in records {
            sink += sentiment(&r.text, &r.lang);
        }
        rounds += 1;
    }
    std::hint::black_box(sink);
    (bytes * rounds) as f64 / started.elapsed().as_secs_f64() / 1e6
}

fn main() {
    let mut tuning_part = false;
    let mut misses = 0usize;
    let mut show_confusion = false;
    let mut dir: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tuning" => tuning_part = true,
            "--confusion" => show_confusion = true,
            "--misses" => {
                misses = args.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| {
                    eprintln!("--misses needs a number");
                    std::process::exit(2)
                })
            }
            _ if a.starts_with("--") => {
                eprintln!(
                    "unknown option {a}; usage: evaluate [--tuning] [--confusion] [--misses N] [DIR]"
                );
                std::process::exit(2)
            }
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir
        .or_else(|| std::env::var_os("REPMON_SENTIMENT_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/work/shared/data/sentiment"));
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect(),
        Err(e) => {
            eprintln!("no labelled sentiment data at {}: {e}", dir.display());
            std::process::exit(1)
        }
    };
    files.sort();
    if cfg!(debug_assertions) {
        eprintln!("note: a debug build; throughput figures need --release");
    }

    println!(
        "Part: {}. Labels: positive >= +0.05, negative <= -0.05.\n",
        if tuning_part {
            "tuning (split train/val, or FNV-1a(id) % 5 == 0)"
        } else {
            "held out (split test, or FNV-1a(id) % 5 != 0)"
        }
    );
    println!(
        "| set | ways | n | accuracy | macro-F1 | binary acc. | binary macro-F1 | Pearson r | MB/s |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut miss_lines = Vec::new();
    let mut confusion_lines = Vec::new();
    for path in files {
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let (records, bad) = match read_set(&path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("skipping {e}");
                continue;
            }
        };
        let all_tuning = records.iter().all(|r| r.tuning);
        let part: Vec<&Record> = records
            .iter()
            .filter(|r| r.tuning == tuning_part || (all_tuning && !tuning_part))
            .collect();
        if part.is_empty() {
            continue;
        }
        let has_neutral = records.iter().any(|r| r.truth == Sentiment::Neutral);
        let mut confusion = [[0usize; 3]; 3];
        let mut binary = [[0usize; 3]; 3];
        let mut pairs = Vec::new();
        let mut zeros = 0usize;
        let mut shown = 0;
        let may_show = TUNING_ALLOWED.iter().any(|p| name.starts_with(p));
        for r in &part {
            let score = sentiment(&r.text, &r.lang);
            let predicted = label(score);
            confusion[idx(r.truth)][idx(predicted)] += 1;
            let sign = if score > 0.0 {
                Sentiment::Positive
            } else if score < 0.0 {
                Sentiment::Negative
            } else {
                Sentiment::Neutral
            };
            binary[idx(r.truth)][idx(sign)] += 1;
            zeros += usize::from(score == 0.0);
            if let Some(h) = r.human {
                pairs.push((score as f64, h));
            }
            if may_show && r.tuning && predicted != r.truth && shown < misses {
                shown += 1;
                miss_lines.push(format!(
                    "{name}\t{}\t{:?}->{:?}\t{score:+.2}\t{}",
                    r.id,
                    r.truth,
                    predicted,
                    r.text.replace('\n', " ")
                ));
            }
        }
        let n = part.len();
        let correct: usize = (0..3).map(|c| confusion[c][c]).sum();
        let (bin_acc, bin_f1) = if has_neutral {
            ("–".to_string(), "–".to_string())
        } else {
            let right = binary[0][0] + binary[1][1];
            (
                format!("{:.3}", right as f64 / n as f64),
                format!("{:.3}", macro_f1(&binary, &[0, 1])),
            )
        };
        let classes: &[usize] = if has_neutral { &[0, 1, 2] } else { &[0, 1] };
        let r = pearson(&pairs).map_or("–".to_string(), |r| format!("{r:.3}"));
        println!(
            "| {name}{} | {} | {n} | {:.3} | {:.4} | {bin_acc} | {bin_f1} | {r} | {:.1} |",
            if all_tuning && !tuning_part {
                " (tuning split)"
            } else {
                ""
            },
            if has_neutral { 3 } else { 2 },
            correct as f64 / n as f64,
            macro_f1(&confusion, classes),
            throughput(&part),
        );
        if show_confusion {
            let row = |t: usize| {
                format!(
                    "{} / {} / {}",
                    confusion[t][0], confusion[t][1], confusion[t][2]
                )
            };
            confusion_lines.push(format!(
                "| {name} | {} | {} | {} | {zeros} ({:.1}%) |",
                row(0),
                row(1),
                row(2),
                100.0 * zeros as f64 / n as f64
            ));
        }
        if bad > 0 {
            eprintln!("{name}: {bad} unreadable lines skipped");
        }
    }
    if !confusion_lines.is_empty() {
        println!(
            "\nConfusion, predicted positive / negative / neutral for each true label; scores of exactly 0:\n"
        );
        println!("| set | true positive | true negative | true neutral | scored 0 |");
        println!("| --- | --- | --- | --- | ---: |");
        for l in confusion_lines {
            println!("{l}");
        }
    }
    if !miss_lines.is_empty() {
        println!(
            "\nMisses in the tuning part of the sets that allow tuning (set, id, truth->predicted, score, text):"
        );
        for l in miss_lines {
            println!("{l}");
        }
    }
}
