//! Plain text out of HTML: what the matcher, the index and people read.
//!
//! Fragments (feed entries, statuses) are read with html5ever's tokenizer
//! alone: linear in the input, no tree to build. Whole pages need a tree for
//! CSS selectors; html5ever's tree builder is quadratic in nesting depth, so
//! [`check_nesting`] refuses absurdly deep pages before they are parsed.

use ego_tree::iter::Edge;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use scraper::{ElementRef, Node};
use std::cell::{Cell, RefCell};

/// Elements whose content is never text a person reads.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object",
    "textarea",
];

/// Elements that start a new line of text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "td",
    "th",
    "tr",
    "ul",
];

/// Elements that never have content, or whose end tag pages commonly leave
/// out: they do not deepen the nesting of a page.
const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody", "thead",
    "tfoot", "colgroup", "rb", "rt", "rp", "html", "head", "body",
];

/// Deeper than this a page is refused (browsers stop nesting at 512 too).
pub const MAX_NESTING: usize = 512;

/// Reduces an HTML fragment (a feed entry's content, a status) to plain
/// text: entities decoded, tags and scripts dropped, blocks on their own
/// lines, runs of whitespace collapsed.
pub fn html_to_text(html: &str) -> String {
    // Most titles and many bodies hold no markup at all; skip the tokenizer then.
    if !html.contains(['<', '&']) {
        return collapse_whitespace(html);
    }
    let sink = TextSink {
        out: RefCell::new(TextOut::default()),
        skipping: Cell::new(0),
    };
    let sink = tokenize(html, sink);
    sink.out.into_inner().text
}

/// Ok when the page nests elements at most [`MAX_NESTING`] deep; else the
/// depth reached, so the caller can refuse the page instead of spending
/// minutes building its tree.
pub fn check_nesting(html: &str) -> Result<(), usize> {
    let sink = tokenize(
        html,
        DepthSink {
            depth: Cell::new(0),
            max: Cell::new(0),
        },
    );
    let max = sink.max.get();
    if max > MAX_NESTING { Err(max) } else { Ok(()) }
}

fn tokenize<S: TokenSink>(html: &str, sink: S) -> S {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tok = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tok.feed(&input);
    tok.end();
    tok.sink
}

/// Which raw-text mode the tokenizer must switch to after a start tag, as
/// a tree builder would tell it.
fn raw_mode<H>(name: &str) -> Option<TokenSinkResult<H>> {
    Some(match name {
        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
        "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => {
            TokenSinkResult::RawData(RawKind::Rawtext)
        }
        "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
        "plaintext" => TokenSinkResult::Plaintext,
        _ => return None,
    })
}

struct TextSink {
    out: RefCell<TextOut>,
    skipping: Cell<usize>,
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => {
                let name: &str = &tag.name;
                let skipped = SKIPPED.contains(&name);
                match tag.kind {
                    TagKind::StartTag => {
                        if skipped {
                            if !tag.self_closing {
                                self.skipping.set(self.skipping.get() + 1);
                            }
                        } else if self.skipping.get() == 0 && BLOCKS.contains(&name) {
                            self.out.borrow_mut().break_line();
                        }
                        if let Some(mode) = raw_mode(name) {
                            return mode;
                        }
                    }
                    TagKind::EndTag => {
                        if skipped {
                            self.skipping.set(self.skipping.get().saturating_sub(1));
                        } else if self.skipping.get() == 0 && BLOCKS.contains(&name) {
                            self.out.borrow_mut().break_line();
                        }
                    }
                }
            }
            Token::CharacterTokens(t) if self.skipping.get() == 0 => self.out.borrow_mut().push(&t),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

struct DepthSink {
    depth: Cell<usize>,
    max: Cell<usize>,
}

impl TokenSink for DepthSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token {
            let name: &str = &tag.name;
            if !FLAT.contains(&name) {
                match tag.kind {
                    TagKind::StartTag if !tag.self_closing => {
                        let d = self.depth.get() + 1;
                        self.depth.set(d);
                        self.max.set(self.max.get().max(d));
                    }
                    TagKind::EndTag => self.depth.set(self.depth.get().saturating_sub(1)),
                    TagKind::StartTag => {}
                }
            }
            if tag.kind == TagKind::StartTag
                && let Some(mode) = raw_mode(name)
            {
                return mode;
            }
        }
        TokenSinkResult::Continue
    }
}

/// The readable text inside one element of a parsed page.
pub fn element_text(element: ElementRef<'_>) -> String {
    let mut out = TextOut::default();
    let mut skipping = 0usize;
    for edge in element.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => {
                    let name = e.name();
                    if SKIPPED.contains(&name) {
                        skipping += 1;
                    } else if skipping == 0 && BLOCKS.contains(&name) {
                        out.break_line();
                    }
                }
                Node::Text(t) if skipping == 0 => out.push(t),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    let name = e.name();
                    if SKIPPED.contains(&name) {
                        skipping = skipping.saturating_sub(1);
                    } else if skipping == 0 && BLOCKS.contains(&name) {
                        out.break_line();
                    }
                }
            }
        }
    }
    out.text
}

/// Whitespace runs to one space, ends trimmed.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = TextOut::default();
    out.push(s);
    out.text
}

/// Builds text with whitespace decided lazily, so nothing leads or trails
/// and a line break wins over a space.
#[derive(Default)]
struct TextOut {
    text: String,
    pending: Gap,
}

#[derive(Default, PartialEq, PartialOrd, Clone, Copy)]
enum Gap {
    #[default]
    None,
    Space,
    Line,
}

impl TextOut {
    fn break_line(&mut self) {
        self.pending = Gap::Line;
    }

    fn push(&mut self, s: &str) {
        self.text.reserve(s.len());
        for c in s.chars() {
            if c.is_whitespace() {
                if self.pending < Gap::Space {
                    self.pending = Gap::Space;
                }
                continue;
            }
            if !self.text.is_empty() {
                match self.pending {
                    Gap::Line => self.text.push('\n'),
                    Gap::Space => self.text.push(' '),
                    Gap::None => {}
                }
            }
            self.pending = Gap::None;
            self.text.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_decodes_entities_and_drops_scripts() {
        let html = "<p>Zon&nbsp;Energie &amp; <b>Golf</b></p><script>alert('x')</script><style>p{}</style><p>tweede&#x21;</p>";
        assert_eq!(html_to_text(html), "Zon Energie & Golf\ntweede!");
    }

    #[test]
    fn plain_text_only_collapses_whitespace() {
        assert_eq!(html_to_text("  a \n\t b  "), "a b");
        assert_eq!(html_to_text("a < b"), "a < b");
        assert_eq!(html_to_text("AT&T rocks"), "AT&T rocks");
        assert_eq!(html_to_text(""), "");
    }

    #[test]
    fn breaks_and_lists_become_lines() {
        assert_eq!(
            html_to_text("een<br>twee<ul><li>drie</li><li>vier</li></ul>"),
            "een\ntwee\ndrie\nvier"
        );
    }

    #[test]
    fn deep_nesting_is_read_quickly_or_refused() {
        let deep = "<div>".repeat(50_000) + "diep" + &"</div>".repeat(50_000);
        let started = std::time::Instant::now();
        assert_eq!(html_to_text(&deep), "diep");
        assert_eq!(check_nesting(&deep), Err(50_000));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let forum =
            "<html><body>".to_string() + &"<div class=post><p>tekst<br>meer</div>".repeat(2000);
        assert_eq!(check_nesting(&forum), Ok(()));
    }

    #[test]
    fn script_content_with_markup_is_dropped_whole() {
        let html = "voor<script>if (a<b && c) { document.write('</p>x'); }</script>na";
        assert_eq!(html_to_text(html), "voorna");
    }

    #[test]
    fn element_text_of_a_parsed_page() {
        let page = scraper::Html::parse_document(
            "<div id=a><b>Zon</b> is <i>top</i><script>x()</script></div>",
        );
        let sel = scraper::Selector::parse("#a").unwrap();
        assert_eq!(
            element_text(page.select(&sel).next().unwrap()),
            "Zon is top"
        );
    }
}
