//! Feed lists exported by feed readers (OPML), for `repmon sources import`
//! and `repmon sources export`.

use crate::error::{SourceError, one_line};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// One feed listed in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// The outline's `title`, else its `text`.
    pub title: Option<String>,
    /// The feed's address (`xmlUrl`).
    pub url: String,
    /// The site the feed belongs to (`htmlUrl`).
    pub html_url: Option<String>,
}

/// Reads the feeds of an OPML file: every `<outline>` with an `xmlUrl`,
/// however deeply nested in folders, in document order, each URL once.
pub fn parse_opml(text: &str) -> Result<Vec<OpmlFeed>, SourceError> {
    let mut reader = Reader::from_str(text.trim_start_matches('\u{feff}'));
    reader.config_mut().check_end_names = false;
    let mut feeds: Vec<OpmlFeed> = Vec::new();
    let mut saw_opml = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            SourceError::Opml(format!(
                "broken XML near byte {}: {}",
                reader.buffer_position(),
                one_line(e)
            ))
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name();
                if name.as_ref().eq_ignore_ascii_case("opml") {
                    saw_opml = true;
                } else if name.as_ref().eq_ignore_ascii_case("outline") {
                    if !saw_opml {
                        return Err(SourceError::Opml(
                            "<outline> outside an <opml> document".into(),
                        ));
                    }
                    if let Some(feed) = outline(&e)?
                        && !feeds.iter().any(|f| f.url == feed.url)
                    {
                        feeds.push(feed);
                    }
                } else if !saw_opml {
                    return Err(SourceError::Opml(format!(
                        "the document is <{}>, not <opml>",
                        name.as_ref()
                    )));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_opml {
        return Err(SourceError::Opml("no <opml> element found".into()));
    }
    Ok(feeds)
}

fn outline(e: &BytesStart<'_>) -> Result<Option<OpmlFeed>, SourceError> {
    let (mut xml_url, mut html_url, mut title, mut text) = (None, None, None, None);
    for attr in e.attributes().with_checks(false).flatten() {
        let value = match attr.normalized_value(XmlVersion::Implicit1_0) {
            Ok(v) => v.trim().to_string(),
            // An entity XML does not know (&nbsp;): keep the raw text rather than fail.
            Err(_) => attr.value.trim().to_string(),
        };
        if value.is_empty() {
            continue;
        }
        let key = attr.key.local_name();
        let key = key.as_ref();
        if key.eq_ignore_ascii_case("xmlurl") {
            xml_url = Some(value);
        } else if key.eq_ignore_ascii_case("htmlurl") {
            html_url = Some(value);
        } else if key.eq_ignore_ascii_case("title") {
            title = Some(value);
        } else if key.eq_ignore_ascii_case("text") {
            text = Some(value);
        }
    }
    let Some(url) = xml_url else { return Ok(None) };
    let title = title.or(text);
    match url::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        _ => {
            return Err(SourceError::Opml(format!(
                "the outline {:?} has xmlUrl {:?}, which is not an http(s) URL",
                title.as_deref().unwrap_or(""),
                url
            )));
        }
    }
    Ok(Some(OpmlFeed {
        title,
        url,
        html_url,
    }))
}

/// Writes feeds as an OPML 2.0 document that feed readers (and
/// [`parse_opml`]) read back: one `<outline type="rss">` per feed.
pub fn write_opml(title: &str, feeds: &[OpmlFeed]) -> String {
    let esc = |s: &str| quick_xml::escape::escape(s).into_owned();
    let mut out = String::with_capacity(256 + feeds.len() * 160);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    out.push_str(&format!(
        "  <head><title>{}</title></head>\n  <body>\n",
        esc(title)
    ));
    for feed in feeds {
        let name = esc(feed.title.as_deref().unwrap_or(&feed.url));
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{name}\" title=\"{name}\" xmlUrl=\"{}\"",
            esc(&feed.url)
        ));
        if let Some(site) = &feed.html_url {
            out.push_str(&format!(" htmlUrl=\"{}\"", esc(site)));
        }
        out.push_str("/>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_opml_reads_back() {
        let feeds = vec![
            OpmlFeed {
                title: Some("Nieuws & \"Meer\" <nl>".into()),
                url: "https://nieuws.example/feed?a=1&b=2".into(),
                html_url: Some("https://nieuws.example/".into()),
            },
            OpmlFeed {
                title: None,
                url: "https://blog.example/rss".into(),
                html_url: None,
            },
        ];
        let text = write_opml("repmon <sources>", &feeds);
        let back = parse_opml(&text).unwrap();
        assert_eq!(back[0], feeds[0]);
        assert_eq!(back[1].url, feeds[1].url);
        assert_eq!(back[1].title.as_deref(), Some("https://blog.example/rss"));
    }

    #[test]
    fn reads_nested_outlines() {
        let opml = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Mijn feeds</title></head><body>
  <outline text="Energie">
    <outline type="rss" text="Zon &amp; Co" xmlUrl="https://zon.example/feed/" htmlUrl="https://zon.example/"/>
    <outline text="Dieper"><outline type="rss" title="Golf" text="g" xmlUrl="https://golf.example/atom.xml"/></outline>
  </outline>
  <outline type="rss" text="dubbel" xmlUrl="https://zon.example/feed/"/>
  <outline text="geen feed" htmlUrl="https://x.example/"/>
</body></opml>"#;
        let feeds = parse_opml(opml).unwrap();
        assert_eq!(
            feeds,
            vec![
                OpmlFeed {
                    title: Some("Zon & Co".into()),
                    url: "https://zon.example/feed/".into(),
                    html_url: Some("https://zon.example/".into())
                },
                OpmlFeed {
                    title: Some("Golf".into()),
                    url: "https://golf.example/atom.xml".into(),
                    html_url: None
                },
            ]
        );
    }

    #[test]
    fn rejects_what_is_not_opml() {
        let e = parse_opml("<rss><channel/></rss>").unwrap_err().to_string();
        assert!(e.contains("not <opml>"), "{e}");
        let e = parse_opml("<opml><body><outline xmlUrl=\"ftp://x\" text=\"a\"/></body></opml>")
            .unwrap_err();
        assert!(e.to_string().contains("not an http(s) URL"), "{e}");
        assert!(parse_opml("").is_err());
        assert!(parse_opml("<opml><body><outline xmlUrl=\"https://a.example/\" ").is_err());
    }
}
