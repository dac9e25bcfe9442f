//! Small text helpers: the content hash, cutting text, and the snippet shown
//! when a search has no words to highlight.

use repmon_model::hash::Fnv1a;
use repmon_model::{Document, Mention};

/// The hash of what makes a stored mention different: its text, companies
/// (with sentiment and terms), author, published time and rating. Not the
/// source, URL or first-seen time, which differ when the same post is seen
/// again through another source.
pub(crate) fn content_hash(m: &Mention) -> u64 {
    let mut h = Fnv1a::new();
    write_document(&mut h, &m.doc);
    h.write_field(m.lang.as_bytes());
    for c in &m.companies {
        h.write_field(c.company.as_bytes());
        h.write(&[c.sentiment as u8, u8::from(c.owned)]);
        h.write(&c.score.to_bits().to_le_bytes());
        h.write(&(c.terms.len() as u64).to_le_bytes());
        for t in &c.terms {
            h.write_field(t.as_bytes());
        }
    }
    h.finish()
}

/// The hash of what makes a kept document (one with no mention) different:
/// the document's part of [`content_hash`].
pub(crate) fn document_hash(d: &Document) -> u64 {
    let mut h = Fnv1a::new();
    write_document(&mut h, d);
    h.finish()
}

fn write_document(h: &mut Fnv1a, d: &Document) {
    h.write_field(d.title.as_bytes());
    h.write_field(d.body.as_bytes());
    h.write_field(d.author.as_deref().unwrap_or("").as_bytes());
    h.write(&d.published.timestamp_micros().to_le_bytes());
    h.write(&d.rating.map_or(u32::MAX, f32::to_bits).to_le_bytes());
}

/// The longest prefix of `s` with at most `max` chars, cut before a word
/// where one ends near the limit.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    let Some((end, _)) = s.char_indices().nth(max) else {
        return s;
    };
    let head = &s[..end];
    match head.rfind(char::is_whitespace) {
        Some(space) if space > end * 3 / 4 => head[..space].trim_end(),
        _ => head,
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Where `term` occurs in `text` as a whole word, ASCII case-insensitively, from `from` on.
fn find_word(text: &str, term: &str, from: usize) -> Option<usize> {
    let (t, n) = (text.as_bytes(), term.len());
    if n == 0 || n > t.len() {
        return None;
    }
    // Only places starting with the term's first byte are worth the full
    // check: this skip was most of a company search's time (callgrind).
    let first = term.as_bytes()[0].to_ascii_lowercase();
    let mut i = from;
    while i + n <= t.len() {
        match t[i..=t.len() - n]
            .iter()
            .position(|b| b.to_ascii_lowercase() == first)
        {
            Some(skip) => i += skip,
            None => return None,
        }
        if text.is_char_boundary(i)
            && text.is_char_boundary(i + n)
            && t[i..i + n].eq_ignore_ascii_case(term.as_bytes())
            && !text[..i].chars().next_back().is_some_and(is_word_char)
            && !text[i + n..].chars().next().is_some_and(is_word_char)
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

pub(crate) fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// About `max` chars of `body` as escaped HTML, starting shortly before the
/// first of `terms` when that lies further in, with each term's whole-word
/// occurrences in `<b>`.
pub(crate) fn company_snippet(body: &str, terms: &[&str], max: usize) -> String {
    let first = terms.iter().filter_map(|t| find_word(body, t, 0)).min();
    let mut start = 0;
    if let Some(pos) = first
        && body[..pos].chars().count() > max * 3 / 4
    {
        // Back up a little so the reader sees what leads to the name.
        let back = body[..pos]
            .char_indices()
            .rev()
            .nth(60)
            .map_or(0, |(i, _)| i);
        start = body[back..pos]
            .find(char::is_whitespace)
            .map_or(back, |s| back + s + 1);
    }
    let piece = cut(&body[start..], max);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for t in terms {
        let mut from = 0;
        while let Some(i) = find_word(piece, t, from) {
            spans.push((i, i + t.len()));
            from = i + t.len();
        }
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(piece.len() + 32);
    if start > 0 {
        out.push('…');
    }
    let mut at = 0;
    for (s, e) in spans {
        if s < at {
            continue; // overlaps an earlier highlight
        }
        escape_into(&mut out, &piece[at..s]);
        out.push_str("<b>");
        escape_into(&mut out, &piece[s..e]);
        out.push_str("</b>");
        at = e;
    }
    escape_into(&mut out, &piece[at..]);
    if start + piece.len() < body.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_respects_chars_and_words() {
        assert_eq!(cut("héllo wörld", 20), "héllo wörld");
        assert_eq!(cut("ééééé", 3), "ééé");
        assert_eq!(cut("one two three four", 16), "one two three");
    }

    #[test]
    fn company_snippet_escapes_and_highlights_whole_words() {
        let s = company_snippet("<script>x</script> Zon & zonnig, ZON.", &["zon"], 200);
        assert_eq!(
            s,
            "&lt;script&gt;x&lt;/script&gt; <b>Zon</b> &amp; zonnig, <b>ZON</b>."
        );
    }

    #[test]
    fn find_word_finds_whole_words_only_in_any_ascii_case() {
        let text = "zonnig, Zon! ZONDAG éZon ZON";
        assert_eq!(find_word(text, "zon", 0), Some(8));
        assert_eq!(find_word(text, "zon", 9), Some(26));
        assert_eq!(find_word(text, "zon", 27), None);
        assert_eq!(find_word("ideeën ideeën", "ideeën", 1), Some(8));
        assert_eq!(find_word("ab", "abc", 0), None);
        assert_eq!(find_word("", "a", 0), None);
    }

    #[test]
    fn company_snippet_starts_near_a_late_name() {
        let body = format!("{} Golf Internet ligt eruit", "woord ".repeat(100));
        let s = company_snippet(&body, &["Golf Internet"], 100);
        assert!(s.starts_with('…'), "{s}");
        assert!(s.contains("<b>Golf Internet</b>"), "{s}");
    }
}
