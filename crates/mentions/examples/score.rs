//! Print the detected language and the sentiment of each line of stdin:
//! `echo "Wat een topservice" | cargo run -p repmon-mentions --example score`
use std::io::BufRead;

fn main() {
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let lang = repmon_mentions::detect_language(&line);
        let score = repmon_mentions::sentiment(&line, lang);
        println!(
            "{lang}\t{score:+.3}\t{}\t{line}",
            repmon_mentions::label(score)
        );
    }
}
