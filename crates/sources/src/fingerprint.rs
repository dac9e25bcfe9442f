//! Content fingerprints: the same post reached under another URL.
//!
//! Ids come from permalinks and guids, so a syndicated copy, or the same
//! post in a second feed under another address, gets another id. What such
//! copies share is their text. A [`fingerprint`] is a 64-bit SimHash of the
//! body's word shingles: copies of one text land within a few bits of each
//! other ([`MAX_COPY_DISTANCE`]) while different texts lie about 32 apart.
//! The store keeps the fingerprints and finds near ones with four exact
//! 16-bit band lookups (two fingerprints at most three bits apart share at
//! least one band whole).

use repmon_model::Document;
use repmon_model::hash::Fnv1a;

/// Bodies with fewer words get no fingerprint: short posts ("Thanks!",
/// "Same here", "Storing weer?") are alike by nature, and two people saying
/// the same short thing are two mentions.
pub const MIN_FINGERPRINT_WORDS: usize = 24;

/// Two fingerprints at most this many bits apart are one text. Three keeps
/// copies with changed whitespace, markup, punctuation, case or a word
/// changed in a long text together, and keeps apart texts that differ in
/// more than a sliver (SimHash over 3-word shingles moves about a third of
/// the bits per tenth of the text changed).
pub const MAX_COPY_DISTANCE: u32 = 3;

/// Words per shingle: a shingle keeps some word order, so the same words
/// in another order are another text.
const SHINGLE: usize = 3;

/// The fingerprint of a document's text (its body; titles are left out
/// because copies retitle: "Comment on ...", "[Blog] ..."), or `None` when
/// the body has fewer than [`MIN_FINGERPRINT_WORDS`] words.
///
/// Case, punctuation, markup remains and spacing do not count: only the
/// sequence of words. Allocates nothing.
pub fn fingerprint(doc: &Document) -> Option<u64> {
    text_fingerprint(&doc.body)
}

/// [`fingerprint`] of a plain text.
pub fn text_fingerprint(text: &str) -> Option<u64> {
    // Per bit, how many shingles set it; a bit of the result is set when
    // more than half of the shingles set it.
    let mut counts = [0u32; 64];
    let mut shingles = 0u32;
    let mut window = [0u64; SHINGLE];
    let mut words = 0usize;
    let mut word = Fnv1a::new();
    let mut in_word = false;
    let mut feature = |window: &mut [u64; SHINGLE], w: u64, words: usize| {
        window.rotate_left(1);
        window[SHINGLE - 1] = w;
        if words >= SHINGLE {
            let h = mix(window[0] ^ window[1].rotate_left(21) ^ window[2].rotate_left(42));
            shingles += 1;
            for (bit, c) in counts.iter_mut().enumerate() {
                *c += ((h >> bit) & 1) as u32; // branch-free, so it vectorises
            }
        }
    };
    for ch in text.chars() {
        if ch.is_ascii() {
            // Most text is ASCII: lower-case it without the Unicode tables.
            if ch.is_ascii_alphanumeric() {
                in_word = true;
                word.write(&[ch.to_ascii_lowercase() as u8]);
                continue;
            }
        } else if ch.is_alphanumeric() {
            in_word = true;
            for lower in ch.to_lowercase() {
                let mut buf = [0u8; 4];
                word.write(lower.encode_utf8(&mut buf).as_bytes());
            }
            continue;
        }
        if in_word {
            words += 1;
            feature(&mut window, word.finish(), words);
            word = Fnv1a::new();
            in_word = false;
        }
    }
    if in_word {
        words += 1;
        feature(&mut window, word.finish(), words);
    }
    if words < MIN_FINGERPRINT_WORDS {
        return None;
    }
    let mut out = 0u64;
    for (bit, c) in counts.iter().enumerate() {
        if 2 * *c > shingles {
            out |= 1 << bit;
        }
    }
    Some(out)
}

/// How many bits two fingerprints differ in.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The splitmix64 finaliser: spreads a shingle's hash over all 64 bits, so
/// each bit of the SimHash is a fair vote.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POST: &str = "Sinds gisteren avond ligt het internet van Golf Internet er in \
        heel Utrecht uit. De klantenservice neemt niet op en op de storingspagina staat \
        nog steeds dat alles werkt. Wij werken thuis en verliezen zo een hele dag. \
        Wanneer komt er eindelijk een oplossing en krijgen we compensatie?";

    fn fp(s: &str) -> u64 {
        text_fingerprint(s).expect("long enough")
    }

    #[test]
    fn copies_with_other_markup_case_and_spacing_are_identical() {
        let copy = POST
            .to_uppercase()
            .replace(". ", ".\n\n  ")
            .replace('?', " ?!");
        assert_eq!(fp(POST), fp(&copy));
    }

    #[test]
    fn a_copy_with_a_line_added_is_near_and_another_text_is_far() {
        let long = format!("{POST} {POST} {POST} {POST}");
        let footer = format!("{long} Dit bericht verscheen eerder op ons blog.");
        assert!(distance(fp(&long), fp(&footer)) <= MAX_COPY_DISTANCE);

        let other = "Golf Internet heeft in Utrecht de storing van gisteren opgelost. \
            Volgens de woordvoerder lag een kabelbreuk bij graafwerkzaamheden aan de \
            basis. Klanten die langer dan twaalf uur zonder internet zaten krijgen \
            automatisch een vergoeding op hun volgende rekening.";
        assert!(
            distance(fp(POST), fp(other)) > 12,
            "unrelated texts lie far apart"
        );

        // The same words in another order are another text.
        let words: Vec<&str> = POST.split_whitespace().collect();
        let reversed: Vec<&str> = words.iter().rev().copied().collect();
        assert!(distance(fp(POST), fp(&reversed.join(" "))) > MAX_COPY_DISTANCE);
    }

    #[test]
    fn a_changed_sentence_in_a_short_post_makes_another_text() {
        let edited = POST.replace(
            "Wij werken thuis en verliezen zo een hele dag.",
            "Mijn zoon kan zijn huiswerk niet inleveren.",
        );
        assert!(distance(fp(POST), fp(&edited)) > MAX_COPY_DISTANCE);
    }

    #[test]
    fn short_texts_get_no_fingerprint() {
        assert_eq!(text_fingerprint("Thanks!"), None);
        assert_eq!(text_fingerprint(""), None);
        let short =
            "Bedankt voor de snelle reactie, het werkt weer helemaal. Top service van jullie!";
        assert_eq!(text_fingerprint(short), None);
        let words = "een twee drie vier vijf zes zeven acht negen tien ".repeat(3);
        assert!(text_fingerprint(&words).is_some());
    }
}
