//! Language detection: Dutch, English or something else.
//!
//! whatlang decides when it is sure. Short texts (a tweet, a one-line
//! review) are where it guesses, and where Dutch is easily taken for
//! Afrikaans or German; there a count of Dutch versus English function words
//! decides, and the source's declared language before either.

use crate::text::{FastSet, STOP_EN, STOP_NL, Token, Tokens};
use std::sync::LazyLock;
use whatlang::Lang;

/// whatlang's cost grows with the text; the first part of a text tells its
/// language as well as the whole.
const SAMPLE_BYTES: usize = 600;
/// This many unmistakable function words settle the language.
const DECISIVE: u32 = 4;
/// Function words no nearby language (German, Afrikaans aside) shares with
/// Dutch, or with English.
const DECISIVE_NL: &[&str] = &[
    "het", "een", "niet", "ik", "van", "dat", "op", "voor", "met", "zijn", "maar", "ook", "geen",
    "heb", "nog", "naar", "bij", "uit", "wordt", "heeft", "deze", "mijn", "jij", "wij", "hebben",
    "moet", "omdat", "kunnen", "worden", "niks", "weer", "zo", "nu", "dus", "wel", "erg", "wat",
];
const DECISIVE_EN: &[&str] = &[
    "the", "and", "of", "to", "you", "that", "with", "this", "have", "are", "not", "but", "they",
    "from", "there", "would", "been", "has", "were", "just", "your", "my", "it's", "i'm", "don't",
    "for", "it", "on", "be", "at", "or",
];
/// Below this many words whatlang's "reliable" is not to be relied on.
const SHORT_WORDS: u32 = 8;

/// Function words that belong to one of the two languages only.
static ONLY_NL: LazyLock<FastSet<&'static str>> = LazyLock::new(|| {
    STOP_NL
        .iter()
        .copied()
        .filter(|w| !STOP_EN.contains(w))
        .collect()
});
static ONLY_EN: LazyLock<FastSet<&'static str>> = LazyLock::new(|| {
    STOP_EN
        .iter()
        .copied()
        .filter(|w| !STOP_NL.contains(w))
        .collect()
});

static DECISIVE_NL_SET: LazyLock<FastSet<&'static str>> =
    LazyLock::new(|| DECISIVE_NL.iter().copied().collect());
static DECISIVE_EN_SET: LazyLock<FastSet<&'static str>> =
    LazyLock::new(|| DECISIVE_EN.iter().copied().collect());

/// "nl", "en" or "other" for a text (see the module docs).
pub fn detect_language(text: &str) -> &'static str {
    let mut end = text.len().min(SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = &text[..end];
    let Votes {
        nl,
        en,
        words,
        sure_nl,
        sure_en,
    } = stop_word_votes(sample);
    // Plenty of unmistakable function words and none of the other language:
    // no need to ask whatlang (the most expensive step of the hot path).
    if sure_nl >= DECISIVE && sure_en == 0 {
        return "nl";
    }
    if sure_en >= DECISIVE && sure_nl == 0 {
        return "en";
    }
    let guess = whatlang::detect(sample).map(|g| (g.lang(), g.is_reliable()));
    match guess {
        Some((Lang::Nld, true)) => return "nl",
        Some((Lang::Eng, true)) => return "en",
        // Afrikaans and Frisian share Dutch's trigrams; function words tell.
        Some((Lang::Afr, true)) if nl > en => return "nl",
        Some((_, true)) if words >= SHORT_WORDS => {
            // Only overwhelming evidence overrules a sure detector on a long text.
            if nl >= 4 && nl >= 3 * en.max(1) {
                return "nl";
            }
            if en >= 4 && en >= 3 * nl.max(1) {
                return "en";
            }
            return "other";
        }
        _ => {}
    }
    if nl + en >= 2 && nl != en {
        return if nl > en { "nl" } else { "en" };
    }
    // Few function words: the words only one lexicon knows vote too
    // ("Telly is great", "Top service, snel geholpen").
    let (nl_words, en_words, shared) = lexicon_votes(sample);
    let (nl, en) = (nl + nl_words, en + en_words);
    if nl != en {
        return if nl > en { "nl" } else { "en" };
    }
    match guess {
        Some((Lang::Nld, _)) => "nl",
        Some((Lang::Eng, _)) => "en",
        // Only words both lexicons know ("great", "top"): English loanwords
        // in a Dutch text score the same in English.
        _ if shared > 0 => "en",
        _ => "other",
    }
}

/// The language a source declares, when it is Dutch or English
/// ("nl", "nl-BE", "en_US", "Dutch", ...).
pub(crate) fn hint_language(hint: &str) -> Option<&'static str> {
    let h = hint.trim();
    let code = h.split(['-', '_']).next().unwrap_or("");
    if code.eq_ignore_ascii_case("nl")
        || code.eq_ignore_ascii_case("nld")
        || code.eq_ignore_ascii_case("dut")
        || h.eq_ignore_ascii_case("dutch")
        || h.eq_ignore_ascii_case("nederlands")
    {
        Some("nl")
    } else if code.eq_ignore_ascii_case("en")
        || code.eq_ignore_ascii_case("eng")
        || h.eq_ignore_ascii_case("english")
    {
        Some("en")
    } else {
        None
    }
}

/// Count the words only the Dutch, or only the English, lexicon knows.
/// and those both know.
fn lexicon_votes(text: &str) -> (u32, u32, u32) {
    let (nl_lex, en_lex) = (&*crate::sentiment::NL, &*crate::sentiment::EN);
    let (mut nl, mut en, mut both) = (0, 0, 0);
    each_ascii_word(text, |w| match (nl_lex.knows(w), en_lex.knows(w)) {
        (true, false) => nl += 1,
        (false, true) => en += 1,
        (true, true) => both += 1,
        _ => {}
    });
    (nl, en, both)
}

/// Function-word counts of a text.
struct Votes {
    /// Words only Dutch, or only English, uses as function words.
    nl: u32,
    en: u32,
    /// All (short ASCII) words.
    words: u32,
    /// Unmistakably Dutch, or unmistakably English, function words.
    sure_nl: u32,
    sure_en: u32,
}

fn stop_word_votes(text: &str) -> Votes {
    let mut v = Votes {
        nl: 0,
        en: 0,
        words: 0,
        sure_nl: 0,
        sure_en: 0,
    };
    each_ascii_word(text, |w| {
        v.words += 1;
        if w.len() > 8 {
            return;
        }
        if ONLY_NL.contains(w) {
            v.nl += 1;
            v.sure_nl += DECISIVE_NL_SET.contains(w) as u32;
        } else if ONLY_EN.contains(w) {
            v.en += 1;
            v.sure_en += DECISIVE_EN_SET.contains(w) as u32;
        } else if DECISIVE_EN_SET.contains(w) {
            v.sure_en += 1;
        } else if DECISIVE_NL_SET.contains(w) {
            v.sure_nl += 1;
        }
    });
    v
}

/// Call `f` with each short ASCII word of `text`, lower-cased on the stack.
fn each_ascii_word(text: &str, mut f: impl FnMut(&str)) {
    let mut buf = [0u8; 24];
    for tok in Tokens::new(text) {
        let Token::Word { text: w, .. } = tok else {
            continue;
        };
        // Function words are short ASCII; lower-case them on the stack.
        if w.len() > buf.len() || !w.is_ascii() {
            continue;
        }
        let lw = &mut buf[..w.len()];
        lw.copy_from_slice(w.as_bytes());
        lw.make_ascii_lowercase();
        if let Ok(lw) = std::str::from_utf8(lw) {
            f(lw);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_english_and_german_are_told_apart() {
        assert_eq!(
            detect_language(
                "De klantenservice van mijn energieleverancier is echt waardeloos, ik wacht al drie weken op een antwoord."
            ),
            "nl"
        );
        assert_eq!(
            detect_language(
                "The customer service of my energy company is useless, I have been waiting three weeks for an answer."
            ),
            "en"
        );
        assert_eq!(
            detect_language(
                "Der Kundendienst meines Stromanbieters ist völlig nutzlos, ich warte seit drei Wochen auf eine Antwort."
            ),
            "other"
        );
    }

    #[test]
    fn short_texts_use_function_words() {
        assert_eq!(detect_language("Het werkt weer, dank je!"), "nl");
        assert_eq!(detect_language("It works again, thank you!"), "en");
    }

    #[test]
    fn hints_name_dutch_or_english() {
        assert_eq!(hint_language("nl-BE"), Some("nl"));
        assert_eq!(hint_language("en_US"), Some("en"));
        assert_eq!(hint_language("Dutch"), Some("nl"));
        assert_eq!(hint_language("de"), None);
        assert_eq!(hint_language(""), None);
    }
}
