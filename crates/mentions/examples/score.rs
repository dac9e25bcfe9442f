//! Print the detected language and the sentiment of each line of stdin:
//! `echo "Wat een topservice" | cargo run -p repmon-mentions --example score`
//! With `-- --lang nl` (or `en`) every line is scored in that language, as
//! when a source gives a language hint.
use std::io::BufRead;

fn main() {
    let mut args = std::env::args().skip(1);
    let forced: Option<String> = match (args.next().as_deref(), args.next()) {
        (Some("--lang"), Some(lang)) => Some(lang),
        (None, _) => None,
        _ => {
            eprintln!("usage: score [--lang nl|en] < lines");
            std::process::exit(2)
        }
    };
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let lang = forced
            .as_deref()
            .unwrap_or_else(|| repmon_mentions::detect_language(&line));
        let score = repmon_mentions::sentiment(&line, lang);
        println!(
            "{lang}\t{score:+.3}\t{}\t{line}",
            repmon_mentions::label(score)
        );
    }
}
