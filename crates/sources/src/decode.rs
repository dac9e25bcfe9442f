//! Bytes from the web to UTF-8 text.
//!
//! Servers and documents disagree about encodings all the time, so the
//! evidence is weighed in this order: a byte order mark; the bytes being
//! valid UTF-8 (legacy text almost never is, so a wrong "ISO-8859-1" label
//! on a UTF-8 file loses); the HTTP charset; the XML declaration or HTML
//! `<meta>`; finally windows-1252, the usual encoding of unlabelled legacy
//! Western text.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use std::borrow::Cow;

/// What kind of document the bytes are, which decides where an in-document
/// encoding label can be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Markup {
    Xml,
    Html,
}

/// Decodes to UTF-8. For XML, a declaration naming another encoding is
/// rewritten to say UTF-8, because the feed parser would otherwise decode
/// the already-decoded text a second time.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
    markup: Markup,
) -> Cow<'a, str> {
    let (encoding, skip) = detect(bytes, content_type, markup);
    let text = if encoding == UTF_8 {
        match std::str::from_utf8(&bytes[skip..]) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(&bytes[skip..]),
        }
    } else {
        encoding.decode_without_bom_handling(&bytes[skip..]).0
    };
    if markup == Markup::Xml
        && let Some(fixed) = declare_utf8(&text)
    {
        return Cow::Owned(fixed);
    }
    text
}

/// The encoding and the length of the byte order mark to skip.
fn detect(bytes: &[u8], content_type: Option<&str>, markup: Markup) -> (&'static Encoding, usize) {
    if let Some((enc, len)) = Encoding::for_bom(bytes) {
        return (enc, len);
    }
    // UTF-16 without a mark still starts with "<?" as 16-bit units.
    if bytes.starts_with(b"<\0?\0") {
        return (UTF_16LE, 0);
    }
    if bytes.starts_with(b"\0<\0?") {
        return (UTF_16BE, 0);
    }
    if std::str::from_utf8(bytes).is_ok() {
        return (UTF_8, 0);
    }
    let labelled = content_type
        .and_then(charset_param)
        .or_else(|| match markup {
            Markup::Xml => xml_declared_encoding(bytes),
            Markup::Html => html_meta_charset(bytes),
        })
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        // The bytes are not UTF-8, so a UTF-8 (or UTF-16, which ASCII-looking
        // bytes cannot be) label is wrong; fall through to the legacy guess.
        .filter(|e| *e != UTF_8 && *e != UTF_16LE && *e != UTF_16BE);
    (labelled.unwrap_or(WINDOWS_1252), 0)
}

/// `charset=...` of a Content-Type header.
pub(crate) fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// The `encoding="..."` of an XML declaration at the start of the bytes.
fn xml_declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = String::from_utf8_lossy(&head[..end]);
    attr_value(&decl, "encoding")
}

/// `<meta charset=...>` or `<meta http-equiv content="...; charset=...">`
/// in the first few KiB of an HTML page.
fn html_meta_charset(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    let mut rest = head.as_str();
    while let Some(i) = rest.find("<meta") {
        rest = &rest[i + 5..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        if let Some(v) = attr_value(tag, "charset") {
            return Some(v);
        }
        if let Some(content) = attr_value(tag, "content")
            && let Some(v) = charset_param(&format!("x;{content}"))
        {
            return Some(v);
        }
    }
    None
}

/// The value of `name="v"` / `name='v'` / `name=v` inside a tag's text.
fn attr_value(tag: &str, name: &str) -> Option<String> {
    let mut search = tag;
    loop {
        let i = search.find(name)?;
        let after = search[i + name.len()..].trim_start();
        // Only a whole attribute name counts ("charset", not "xcharset").
        let whole = i == 0 || !search.as_bytes()[i - 1].is_ascii_alphanumeric();
        if let (true, Some(v)) = (whole, after.strip_prefix('=')) {
            let v = v.trim_start();
            let value = match v.chars().next() {
                Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or(""),
                _ => v
                    .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                    .next()
                    .unwrap_or(""),
            };
            return (!value.is_empty()).then(|| value.to_string());
        }
        search = &search[i + name.len()..];
    }
}

/// The text with its XML declaration's encoding replaced by UTF-8, when
/// it names another one.
fn declare_utf8(text: &str) -> Option<String> {
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    if !rest.starts_with("<?xml") {
        return None;
    }
    let end = rest.find("?>")?;
    let decl = &rest[..end];
    let label = attr_value(decl, "encoding")?;
    if label.eq_ignore_ascii_case("utf-8") || label.eq_ignore_ascii_case("utf8") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"");
    out.push_str(&rest[end..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_feed_by_declaration() {
        let bytes =
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><title>caf\xe9</title></rss>";
        let text = decode(bytes, None, Markup::Xml);
        assert_eq!(
            text,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><title>caf\u{e9}</title></rss>"
        );
    }

    #[test]
    fn http_charset_wins_over_guessing() {
        let bytes = b"<rss><title>\xc1\xd2\xc2</title></rss>"; // "арб" in KOI8-R
        let text = decode(
            bytes,
            Some("application/rss+xml; charset=\"koi8-r\""),
            Markup::Xml,
        );
        assert_eq!(text, "<rss><title>арб</title></rss>");
    }

    #[test]
    fn valid_utf8_beats_a_wrong_label() {
        let bytes = "<?xml version='1.0' encoding='iso-8859-1'?><a>café</a>".as_bytes();
        assert_eq!(
            decode(bytes, None, Markup::Xml),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>café</a>"
        );
    }

    #[test]
    fn unlabelled_legacy_bytes_fall_back_to_windows_1252() {
        assert_eq!(
            decode(b"<p>\x93quote\x94</p>", None, Markup::Html),
            "<p>\u{201c}quote\u{201d}</p>"
        );
    }

    #[test]
    fn boms_and_utf16() {
        assert_eq!(decode(b"\xef\xbb\xbf<a/>", None, Markup::Xml), "<a/>");
        let utf16: Vec<u8> = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(
            decode(&utf16, None, Markup::Xml),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/>"
        );
    }

    #[test]
    fn html_meta_charset_is_found() {
        let page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"></head><body>\xe9</body></html>";
        assert!(decode(page, None, Markup::Html).contains("<body>\u{e9}</body>"));
    }
}
