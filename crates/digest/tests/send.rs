//! `send` against a real SMTP server on 127.0.0.1 (the `testing` sink).

use base64::Engine as _;
use repmon_config::Digest;
use repmon_digest::Email;
use repmon_digest::testing::{ReceivedMail, SmtpSink};
use std::time::Duration;

fn digest(smtp_url: String) -> Digest {
    Digest {
        schedule: "0 8 * * MON".into(),
        timezone: "Europe/Amsterdam".into(),
        smtp_url,
        from: "repmon@example.org".into(),
        to: vec![
            "analyst@example.org".into(),
            "Boss <boss@example.org>".into(),
        ],
    }
}

fn email() -> Email {
    Email {
        subject: "repmon weekly digest — week 48, 2026".into(),
        text: "TEXTPART: Zon Energie rose to #1\n".into(),
        html: "<p>HTMLPART: <b>Zon Energie</b> rose to #1</p>\n".into(),
    }
}

/// The body of the MIME part with this content type, transfer-decoded.
fn part(mail: &ReceivedMail, content_type: &str) -> String {
    let boundary = mail
        .header("content-type")
        .unwrap()
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"')
        .to_string();
    let part = mail
        .data
        .split(&format!("--{boundary}"))
        .find(|p| {
            p.to_ascii_lowercase()
                .contains(&format!("content-type: {content_type}"))
        })
        .unwrap_or_else(|| panic!("no {content_type} part in {}", mail.data));
    let (head, body) = part.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    if head.contains("content-transfer-encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .unwrap(),
        )
        .unwrap()
    } else if head.contains("quoted-printable") {
        body.replace("=\r\n", "").replace("=3D", "=")
    } else {
        body.to_string()
    }
}

/// Decodes RFC 2047 `=?utf-8?b?...?=` words, as a mail client would.
fn decode_words(header: &str) -> String {
    let mut out = String::new();
    let mut rest = header;
    while let Some(start) = rest.find("=?") {
        out.push_str(&rest[..start]);
        let word = &rest[start + 2..];
        let end = word.find("?=").expect("a closed encoded word");
        let fields: Vec<&str> = word[..end].splitn(3, '?').collect();
        assert!(
            fields[0].eq_ignore_ascii_case("utf-8") && fields[1].eq_ignore_ascii_case("b"),
            "{header}"
        );
        out.push_str(
            &String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(fields[2])
                    .unwrap(),
            )
            .unwrap(),
        );
        rest = &word[end + 2..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn sends_multipart_alternative_to_every_recipient() {
    let sink = SmtpSink::start().await.unwrap();
    repmon_digest::send(&digest(sink.url()), &email())
        .await
        .unwrap();
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.from, "repmon@example.org");
    assert_eq!(mail.to, ["analyst@example.org", "boss@example.org"]);
    assert_eq!(mail.auth, None);
    let to = mail.header("to").unwrap();
    assert!(
        to.contains("analyst@example.org") && to.contains("Boss <boss@example.org>"),
        "{to}"
    );
    // The em dash travels as an RFC 2047 encoded word.
    let subject = mail.header("subject").unwrap();
    assert!(subject.is_ascii(), "{subject}");
    assert_eq!(
        decode_words(&subject),
        "repmon weekly digest — week 48, 2026"
    );
    assert!(mail.header("date").is_some());
    assert!(
        mail.header("content-type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    assert!(part(mail, "text/plain").contains("TEXTPART: Zon Energie rose to #1"));
    assert!(part(mail, "text/html").contains("<p>HTMLPART: <b>Zon Energie</b> rose to #1</p>"));
    // Plain text first: clients show the last part they understand.
    assert!(mail.data.find("text/plain").unwrap() < mail.data.find("text/html").unwrap());
}

#[tokio::test]
async fn logs_in_with_the_credentials_in_the_url() {
    let sink = SmtpSink::start().await.unwrap();
    let url = format!("smtp://digest%40example.org:p%40ss%3Aword@{}", sink.addr());
    repmon_digest::send(&digest(url), &email()).await.unwrap();
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(
        mails[0].auth,
        Some(("digest@example.org".into(), "p@ss:word".into()))
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_clear_error() {
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = repmon_digest::send(
        &digest(format!("smtp://user:secret@127.0.0.1:{port}")),
        &email(),
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("sending the digest by SMTP failed"),
        "{message}"
    );
    assert!(
        !message.contains("secret"),
        "the password stays out of messages: {message}"
    );
}

#[tokio::test]
async fn a_bad_address_is_a_clear_error() {
    let sink = SmtpSink::start().await.unwrap();
    let mut d = digest(sink.url());
    d.to.push("not an address".into());
    let err = repmon_digest::send(&d, &email()).await.unwrap_err();
    assert!(
        err.to_string().contains("digest.to \"not an address\""),
        "{err}"
    );
    assert!(sink.received().is_empty());
}
