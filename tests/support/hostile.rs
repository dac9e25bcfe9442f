//! A hostile web on 127.0.0.1: two good feeds among sources that fail in
//! every way the real web does (malformed and truncated XML, a 50 MB body, a
//! gzip bomb, a server that trickles bytes, a redirect loop, a 500, a 429
//! with Retry-After, an HTML page where a feed should be, robots.txt
//! forbidding a page) and two odd ones that must still be read (an
//! ISO-8859-1 feed, an item with a date nobody can parse).
//!
//! It speaks HTTP/1.1 by hand over TCP, one request per connection, so
//! each answer can misbehave exactly (trickle, stream without end) without
//! a framework smoothing it over. Every request is logged with its arrival
//! time and whether it was conditional.

use chrono::{DateTime, Duration as Days, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The companies the good feeds talk about, as config TOML.
pub const COMPANIES: &str = r#"
[[companies]]
id = "kaaskoning"
name = "KaasKoning"
terms = ["KaasKoning"]

[[companies]]
id = "meeuw"
name = "Meeuw Air"
terms = ["Meeuw Air"]
"#;

/// Items in the good RSS feed, each naming KaasKoning.
pub const NEWS_ITEMS: usize = 4;
/// Entries in the good Atom feed, each naming Meeuw Air.
pub const FORUM_ENTRIES: usize = 3;
/// The title of the ISO-8859-1 feed's item: its é and ë must survive.
pub const LATIN1_TITLE: &str = "Café Noël bij KaasKoning";
/// The words of the item whose date cannot be parsed.
pub const UNDATED_WORDS: &str = "KaasKoning proeverij zonder datum";
/// The size of the body `/huge.xml` would send if nobody stopped reading.
pub const HUGE_BYTES: usize = 50 * 1024 * 1024;
/// What the gzip bomb inflates to; on the wire it is a few hundred KiB.
pub const BOMB_INFLATED: usize = 32 * 1024 * 1024;
/// What `/busy.xml` asks for in `Retry-After`.
pub const RETRY_AFTER_SECS: u64 = 120;

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Hit {
    pub path: String,
    pub at: Instant,
    /// It carried `If-None-Match` or `If-Modified-Since`.
    pub conditional: bool,
    /// It was answered 304 Not Modified.
    pub not_modified: bool,
}

/// The server's log of what was asked.
#[derive(Default)]
pub struct HostileWeb {
    hits: Mutex<Vec<Hit>>,
    pub connections: AtomicUsize,
}

impl HostileWeb {
    /// Every request so far, in order of arrival.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// The requests for one path.
    pub fn hits_of(&self, path: &str) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| h.path == path).collect()
    }
}

/// Serves the hostile web; returns its base URL (`http://127.0.0.1:PORT`).
pub async fn serve() -> (String, Arc<HostileWeb>) {
    // Built before any clock runs: the bomb's checksum takes a moment.
    tokio::task::spawn_blocking(|| {
        gzip_bomb();
    })
    .await
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let web = Arc::new(HostileWeb::default());
    let (w, b) = (web.clone(), base.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            w.connections.fetch_add(1, Ordering::SeqCst);
            let (w, b) = (w.clone(), b.clone());
            tokio::spawn(async move {
                // A client that hangs up mid-answer is the point of some routes.
                let _ = answer(stream, &w, &b).await;
            });
        }
    });
    (base, web)
}

/// The request line's path and the headers (names lower-cased).
async fn read_request(
    stream: &mut TcpStream,
) -> std::io::Result<Option<(String, HashMap<String, String>)>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || buf.len() > 16 * 1024 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Some((path, headers)))
}

async fn answer(mut stream: TcpStream, web: &HostileWeb, base: &str) -> std::io::Result<()> {
    let Some((path, headers)) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let etag_sent = headers.get("if-none-match").cloned();
    let mut hit = Hit {
        path: path.clone(),
        at: Instant::now(),
        conditional: etag_sent.is_some() || headers.contains_key("if-modified-since"),
        not_modified: false,
    };
    // A good feed answers a request that echoes its validator with a 304.
    let good = |body: String, ctype: &str, hit: &mut Hit| {
        let etag = format!("\"{:x}\"", repmon_model::hash::fnv1a(body.as_bytes()));
        if etag_sent.as_deref() == Some(etag.as_str()) {
            hit.not_modified = true;
            head("304 Not Modified", &[("ETag", &etag)], 0)
        } else {
            let mut out = head(
                "200 OK",
                &[("Content-Type", ctype), ("ETag", &etag)],
                body.len(),
            );
            out.extend_from_slice(body.as_bytes());
            out
        }
    };
    let reply: Vec<u8> = match path.as_str() {
        "/good/news.xml" => good(news_rss(base), "application/rss+xml", &mut hit),
        "/good/forum.xml" => good(forum_atom(base), "application/atom+xml", &mut hit),
        "/latin1.xml" => {
            // No charset in the header: the XML declaration must be read.
            let body = latin1_rss(base);
            let mut out = head(
                "200 OK",
                &[("Content-Type", "application/rss+xml")],
                body.len(),
            );
            out.extend_from_slice(&body);
            out
        }
        "/undated.xml" => full("200 OK", "application/rss+xml", &undated_rss(base)),
        "/malformed.xml" => full("200 OK", "application/rss+xml", MALFORMED),
        "/truncated.xml" => {
            let whole = news_rss(base);
            // Cut inside the third item: no closing tags for item, channel, rss.
            let cut = whole
                .match_indices("<item>")
                .nth(2)
                .map_or(whole.len() / 2, |(i, _)| i + 20);
            full("200 OK", "application/rss+xml", &whole[..cut])
        }
        "/error.xml" => full(
            "500 Internal Server Error",
            "text/plain",
            "database is down",
        ),
        "/busy.xml" => {
            let wait = RETRY_AFTER_SECS.to_string();
            let body = "slow down";
            let mut out = head(
                "429 Too Many Requests",
                &[("Content-Type", "text/plain"), ("Retry-After", &wait)],
                body.len(),
            );
            out.extend_from_slice(body.as_bytes());
            out
        }
        "/page.html" => full(
            "200 OK",
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><head><title>Welkom</title></head><body><h1>KaasKoning</h1><p>Onze winkels.</p></body></html>",
        ),
        "/loop/a" => head("302 Found", &[("Location", "/loop/b")], 0),
        "/loop/b" => head("302 Found", &[("Location", "/loop/a")], 0),
        "/robots.txt" => full(
            "200 OK",
            "text/plain",
            "User-agent: *\nDisallow: /private/\nAllow: /\n",
        ),
        "/private/board" => full("200 OK", "text/html", BOARD),
        "/bomb.xml" => {
            let bomb = gzip_bomb();
            let mut out = head(
                "200 OK",
                &[
                    ("Content-Type", "application/rss+xml"),
                    ("Content-Encoding", "gzip"),
                ],
                bomb.len(),
            );
            out.extend_from_slice(bomb);
            out
        }
        "/huge.xml" => {
            web.hits.lock().unwrap().push(hit);
            return stream_huge(stream).await;
        }
        "/slow.xml" => {
            web.hits.lock().unwrap().push(hit);
            return trickle(stream).await;
        }
        _ => full("404 Not Found", "text/plain", "no such page"),
    };
    web.hits.lock().unwrap().push(hit);
    stream.write_all(&reply).await?;
    stream.shutdown().await
}

/// A response head; `length` is the Content-Length that follows.
fn head(status: &str, headers: &[(&str, &str)], length: usize) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {length}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn full(status: &str, ctype: &str, body: &str) -> Vec<u8> {
    let mut out = head(status, &[("Content-Type", ctype)], body.len());
    out.extend_from_slice(body.as_bytes());
    out
}

/// 50 MB of feed-looking XML, chunked (no Content-Length to give it away),
/// written until the client stops reading.
async fn stream_huge(mut stream: TcpStream) -> std::io::Result<()> {
    stream
        .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/rss+xml\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await?;
    let item = "<item><title>KaasKoning</title><description>vulling</description></item>\n";
    let block: String = item.repeat(64 * 1024 / item.len());
    let mut sent = 0;
    let opening = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Groot</title>\n";
    stream
        .write_all(format!("{:x}\r\n{opening}\r\n", opening.len()).as_bytes())
        .await?;
    while sent < HUGE_BYTES {
        stream
            .write_all(format!("{:x}\r\n{block}\r\n", block.len()).as_bytes())
            .await?;
        sent += block.len();
    }
    stream.write_all(b"0\r\n\r\n").await?;
    stream.shutdown().await
}

/// A valid feed sent one byte every 100 ms: it would take minutes.
async fn trickle(mut stream: TcpStream) -> std::io::Result<()> {
    let body = undated_rss("http://slow.invalid");
    stream
        .write_all(&head(
            "200 OK",
            &[("Content-Type", "application/rss+xml")],
            body.len(),
        ))
        .await?;
    for b in body.as_bytes() {
        stream.write_all(&[*b]).await?;
        stream.flush().await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stream.shutdown().await
}

/// The moment the fixture web's dates count back from, fixed at first use so
/// that an unchanged feed is byte for byte the same (and keeps its ETag).
fn epoch() -> DateTime<Utc> {
    static EPOCH: OnceLock<DateTime<Utc>> = OnceLock::new();
    *EPOCH.get_or_init(Utc::now)
}

fn rss(base: &str, items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Kaasnieuws</title><link>{base}/</link><language>nl</language>\n{items}</channel></rss>\n"
    )
}

/// The good RSS feed: [`NEWS_ITEMS`] items about KaasKoning.
pub fn news_rss(base: &str) -> String {
    let now = epoch();
    let texts = [
        "KaasKoning opent een nieuwe winkel in Gouda, de klanten zijn blij.",
        "De oude kaas van KaasKoning is heerlijk en de verkopers zijn vriendelijk.",
        "KaasKoning verlaagt de prijzen van jonge kaas.",
        "Een proeverij bij KaasKoning trok veel bezoekers.",
    ];
    let items: String = texts
        .iter()
        .enumerate()
        .take(NEWS_ITEMS)
        .map(|(i, t)| {
            format!(
                "<item><title>Kaasnieuws {i}</title><link>{base}/news/{i}</link><guid>{base}/news/{i}</guid><pubDate>{}</pubDate><description>{t}</description></item>\n",
                (now - Days::hours(i as i64 + 1)).to_rfc2822()
            )
        })
        .collect();
    rss(base, &items)
}

/// The good Atom feed: [`FORUM_ENTRIES`] entries about Meeuw Air.
pub fn forum_atom(base: &str) -> String {
    let now = epoch();
    let entries: String = (0..FORUM_ENTRIES)
        .map(|i| {
            let t = (now - Days::hours(i as i64 + 2)).to_rfc3339();
            format!(
                "<entry><id>urn:reizen:{i}</id><title>Vlucht {i}</title><link href=\"{base}/forum/{i}\"/><author><name>reiziger{i}</name></author><published>{t}</published><updated>{t}</updated><content type=\"text\">Meeuw Air was op tijd en het personeel was vriendelijk, vlucht {i}.</content></entry>\n"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Reisforum</title><id>urn:reizen</id><updated>{}</updated>\n{entries}</feed>\n",
        now.to_rfc3339()
    )
}

/// An RSS feed in ISO-8859-1, declared only in its XML declaration.
fn latin1_rss(base: &str) -> Vec<u8> {
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss version=\"2.0\"><channel><title>Gezellig</title><link>{base}/</link>\n<item><title>{LATIN1_TITLE}</title><link>{base}/latin1/1</link><guid>{base}/latin1/1</guid><pubDate>{}</pubDate><description>Een gezellige avond met kaas en crème brûlée van KaasKoning.</description></item>\n</channel></rss>\n",
        (epoch() - Days::hours(3)).to_rfc2822()
    );
    // Every character here is below U+0100, so one byte each in Latin-1.
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

/// A feed whose only item carries a date no parser can read.
fn undated_rss(base: &str) -> String {
    rss(
        base,
        &format!(
            "<item><title>{UNDATED_WORDS}</title><link>{base}/undated/1</link><guid>{base}/undated/1</guid><pubDate>ergens vorige week, rond theetijd</pubDate><description>{UNDATED_WORDS}.</description></item>\n"
        ),
    )
}

/// Tags that do not nest: no XML parser can accept this.
const MALFORMED: &str = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Kapot</title>\n<item><title>KaasKoning <b>sluit</title></b><description>Mismatched</item></description>\n</channel></rss>\n";

/// A forum page robots.txt forbids: it must never be fetched.
const BOARD: &str = "<!DOCTYPE html><html><body><article class=\"post\"><span class=\"author\">klant</span><div class=\"body\">KaasKoning is top</div></article></body></html>";

/// A gzip body that inflates to [`BOMB_INFLATED`] bytes: an RSS opening
/// followed by spaces. Written by hand with deflate's fixed Huffman codes,
/// where each 258-byte repeat costs 13 bits (a ratio of about 160 to 1).
pub fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let prefix = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Bom";
        // A literal space to start from, then whole repeats of it; the rest as literals.
        let repeats = (BOMB_INFLATED - prefix.len() - 1) / 258;
        let tail = BOMB_INFLATED - prefix.len() - 1 - repeats * 258;
        let mut bits = Bits::default();
        bits.put(1, 1); // BFINAL: the only block
        bits.put(1, 2); // BTYPE 01: fixed Huffman codes
        // Literals 0..=143 are the 8-bit codes 0x30 + value.
        for &b in prefix.iter().chain(b" ") {
            bits.code(0x30 + u32::from(b), 8);
        }
        for _ in 0..repeats {
            bits.code(0xC5, 8); // length symbol 285: 258 bytes
            bits.code(0, 5); // distance symbol 0: one byte back
        }
        for _ in 0..tail {
            bits.code(0x30 + u32::from(b' '), 8);
        }
        bits.code(0, 7); // end of block (symbol 256)
        let deflated = bits.finish();

        let mut crc = Crc32::new();
        crc.update(prefix);
        crc.update(b" ");
        let spaces = [b' '; 258];
        for _ in 0..repeats {
            crc.update(&spaces);
        }
        crc.update(&spaces[..tail]);
        let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        out.extend_from_slice(&deflated);
        out.extend_from_slice(&crc.value().to_le_bytes());
        out.extend_from_slice(&(BOMB_INFLATED as u32).to_le_bytes());
        out
    })
}

/// Deflate's bit order: values least significant bit first, Huffman codes
/// most significant bit first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    count: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.count;
        self.count += count;
        while self.count >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.count -= 8;
        }
    }

    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.put(reversed, len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// The CRC-32 gzip's trailer carries (IEEE, reflected).
struct Crc32 {
    table: [u32; 256],
    crc: u32,
}

impl Crc32 {
    fn new() -> Crc32 {
        let mut table = [0u32; 256];
        for (i, slot) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB88320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        Crc32 {
            table,
            crc: 0xFFFF_FFFF,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.crc = self.table[((self.crc ^ u32::from(b)) & 0xff) as usize] ^ (self.crc >> 8);
        }
    }

    fn value(&self) -> u32 {
        !self.crc
    }
}
