//! A small SMTP server on 127.0.0.1 that accepts every message and keeps it,
//! for tests that send real mail (enable the `testing` feature).
//!
//! It speaks EHLO/HELO, AUTH PLAIN and LOGIN (any credentials pass and are
//! recorded), MAIL, RCPT, DATA, RSET, NOOP and QUIT; it does not offer
//! STARTTLS, so a client doing opportunistic TLS stays on plain text.
//!
//! ```no_run
//! # async fn demo() {
//! let sink = repmon_digest::testing::SmtpSink::start().await.unwrap();
//! // point digest.smtp_url at sink.url(), send, then:
//! let mails = sink.wait_for(1, std::time::Duration::from_secs(5)).await;
//! assert!(mails[0].to.contains(&"analyst@example.org".to_string()));
//! # }
//! ```

use base64::Engine as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The name the client gave in EHLO/HELO.
    pub helo: String,
    /// The envelope sender (MAIL FROM), without angle brackets.
    pub from: String,
    /// The envelope recipients (RCPT TO), without angle brackets.
    pub to: Vec<String>,
    /// (user, password) when the client logged in.
    pub auth: Option<(String, String)>,
    /// The message as sent after DATA (headers and body, CRLF line ends,
    /// dot-stuffing undone).
    pub data: String,
}

impl ReceivedMail {
    /// The first header with this name (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(value) = found.as_mut() {
                if line.starts_with([' ', '\t']) {
                    value.push(' ');
                    value.push_str(line.trim());
                    continue;
                }
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case(name)
            {
                found = Some(v.trim().to_string());
            }
        }
        found
    }
}

/// The sink: a listener on 127.0.0.1 and what it received so far.
pub struct SmtpSink {
    addr: SocketAddr,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// Listens on a free port of 127.0.0.1.
    pub async fn start() -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = session(stream, kept).await;
                });
            }
        });
        Ok(SmtpSink { addr, mails, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `smtp://127.0.0.1:<port>`, for `digest.smtp_url`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The messages received so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.mails.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Waits until at least `n` messages arrived; returns what arrived by
    /// then even when fewer (the caller asserts).
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<ReceivedMail> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n || start.elapsed() >= limit {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn unbracket(arg: &str) -> String {
    let arg = arg.trim();
    let inner = arg.split_whitespace().next().unwrap_or_default();
    inner
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

fn b64(s: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

async fn session(stream: TcpStream, mails: Arc<Mutex<Vec<ReceivedMail>>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut line = String::new();
    let mut mail = ReceivedMail {
        helo: String::new(),
        from: String::new(),
        to: vec![],
        auth: None,
        data: String::new(),
    };
    write.write_all(b"220 repmon-sink ESMTP ready\r\n").await?;

    // Reads one line without its CRLF; None at end of stream.
    macro_rules! next_line {
        () => {{
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            line.trim_end_matches(['\r', '\n']).to_string()
        }};
    }

    loop {
        let command = next_line!();
        let (verb, arg) = command.split_once(' ').unwrap_or((&command, ""));
        let upper = arg.to_ascii_uppercase();
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                mail.helo = arg.trim().to_string();
                write.write_all(b"250-repmon-sink\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n").await?;
            }
            "HELO" => {
                mail.helo = arg.trim().to_string();
                write.write_all(b"250 repmon-sink\r\n").await?;
            }
            "AUTH" if upper.starts_with("PLAIN") => {
                let initial = arg.split_whitespace().nth(1).map(str::to_string);
                let encoded = match initial {
                    Some(i) => i,
                    None => {
                        write.write_all(b"334 \r\n").await?;
                        next_line!()
                    }
                };
                let decoded = b64(&encoded);
                let mut parts = decoded.split('\0').skip(1);
                let user = parts.next().unwrap_or_default().to_string();
                let pass = parts.next().unwrap_or_default().to_string();
                mail.auth = Some((user, pass));
                write
                    .write_all(b"235 2.7.0 Authentication successful\r\n")
                    .await?;
            }
            "AUTH" if upper.starts_with("LOGIN") => {
                write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
                let user = b64(&next_line!());
                write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
                let pass = b64(&next_line!());
                mail.auth = Some((user, pass));
                write
                    .write_all(b"235 2.7.0 Authentication successful\r\n")
                    .await?;
            }
            "MAIL" => {
                mail.from = unbracket(arg.split_once(':').map_or("", |(_, a)| a));
                mail.to.clear();
                write.write_all(b"250 2.1.0 OK\r\n").await?;
            }
            "RCPT" => {
                mail.to
                    .push(unbracket(arg.split_once(':').map_or("", |(_, a)| a)));
                write.write_all(b"250 2.1.5 OK\r\n").await?;
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    let l = next_line!();
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push_str("\r\n");
                }
                let mut kept = mail.clone();
                kept.data = data;
                if let Ok(mut m) = mails.lock() {
                    m.push(kept);
                }
                mail.from.clear();
                mail.to.clear();
                write.write_all(b"250 2.0.0 OK: queued\r\n").await?;
            }
            "RSET" => {
                mail.from.clear();
                mail.to.clear();
                write.write_all(b"250 2.0.0 OK\r\n").await?;
            }
            "NOOP" => write.write_all(b"250 2.0.0 OK\r\n").await?,
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => {
                write
                    .write_all(b"502 5.5.2 Command not recognized\r\n")
                    .await?
            }
        }
    }
}
