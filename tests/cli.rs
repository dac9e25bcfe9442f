//! The one-shot commands against the fixture web on 127.0.0.1: `poll` with a
//! broken source among good ones, `check`, `sources import`, `rank`, `company`.

mod support;

use std::collections::HashMap;
use support::fixtures::{self, Fixtures};
use support::{receivers, repmon};

/// The poll summary's rows by source: (fetched, new documents, new mentions, result).
fn summary(stdout: &str) -> HashMap<String, (u64, u64, u64, String)> {
    stdout
        .lines()
        .skip(2)
        .take_while(|l| !l.starts_with("stored:"))
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let n = |i: usize| cols[i].parse::<u64>().unwrap();
            (cols[0].to_string(), (n(1), n(2), n(3), cols[4..].join(" ")))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let web = fixtures::serve(Fixtures::new()).await;
    let (hook_url, _hooks) = receivers::webhook_receiver().await;
    let config = support::write_config(
        tmp.path(),
        &web,
        support::port::free_port(),
        &hook_url,
        "smtp://127.0.0.1:9",
    );
    // A source that answers 404 sits among the good ones.
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[[sources]]\nid = \"gone\"\nkind = \"feed\"\nurl = \"{web}/no/such/feed.xml\"\n"
    ));
    std::fs::write(&config, text).unwrap();

    let run = |args: &[&str]| {
        let out = repmon(&config, args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // First round: everything is new; the broken source is named, the rest ingested.
    let (code, stdout, stderr) = run(&["poll"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let rows = summary(&stdout);
    assert_eq!(rows["blog"], (39, 39, 36, "ok".into()), "{stdout}");
    assert_eq!(rows["forum"].2, 38, "{stdout}");
    assert_eq!(rows["board"].2, 2, "{stdout}");
    let gone = &rows["gone"];
    assert_eq!((gone.0, gone.1, gone.2), (0, 0, 0));
    assert!(
        gone.3.contains("/no/such/feed.xml") && gone.3.contains("404"),
        "a clear error: {}",
        gone.3
    );
    assert!(stdout.contains("stored: "), "{stdout}");

    // Second round: conditional requests, nothing new.
    let (code, stdout, _) = run(&["poll"]);
    assert_eq!(code, Some(0));
    let rows = summary(&stdout);
    for source in ["blog", "forum", "news", "board", "reviews", "social"] {
        assert_eq!(rows[source].1, 0, "{source} has nothing new: {stdout}");
    }
    assert!(stdout.contains("stored: 0 new"), "{stdout}");

    let (code, _, stderr) = run(&["poll", "--source", "nope"]);
    assert_eq!(code, Some(2), "an unknown source is bad usage: {stderr}");

    // The table, as CSV: a header and one line per company.
    let (code, stdout, _) = run(&["rank", "--format", "csv"]);
    assert_eq!(code, Some(0));
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("rank,move,company,score"), "{stdout}");
    assert_eq!(lines.len(), 6, "{stdout}");
    assert!(
        lines[1].starts_with("1,") && lines.iter().any(|l| l.contains("Golf Internet")),
        "{stdout}"
    );

    let (code, stdout, _) = run(&["company", "golf"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.starts_with("Golf Internet (golf)") && stdout.contains("trend:"),
        "{stdout}"
    );
    let (code, _, _) = run(&["company", "nobody"]);
    assert_eq!(code, Some(2));

    // check reaches every source once and says what each returned; one is broken, so exit 1.
    let (code, stdout, _) = run(&["check"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("ok    blog (feed): 39 documents, 36 mentioning a tracked company"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAIL  gone (feed)") && l.contains("404")),
        "{stdout}"
    );
    // ... and, under each source, the health the polls above stored.
    let after = |head: &str| -> Vec<String> {
        stdout
            .lines()
            .skip_while(|l| !l.starts_with(head))
            .skip(1)
            .take_while(|l| l.starts_with("      "))
            .map(|l| l.trim().to_string())
            .collect()
    };
    let blog = after("ok    blog (feed)");
    assert!(
        blog.iter()
            .any(|l| l.starts_with("stored health: ok; last success 20")
                && l.contains("; 0 failures in a row; 39 documents seen;")),
        "{stdout}"
    );
    let gone = after("FAIL  gone (feed)");
    assert!(
        gone.iter()
            .any(|l| l
                .starts_with("stored health: failing; last success never; 2 failures in a row;")),
        "{stdout}"
    );
    assert!(
        gone.iter().any(|l| l.starts_with("last error (20")
            && l.ends_with("/no/such/feed.xml: answered 404 Not Found")),
        "{stdout}"
    );

    // OPML import: nested outlines, one feed already configured, one new.
    let opml = tmp.path().join("feeds.opml");
    std::fs::write(
        &opml,
        format!(
            r#"<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="Nieuws"><outline type="rss" text="Het Nieuws &amp; Meer" xmlUrl="{web}/news/feed.json?copy=1"/>
<outline type="rss" text="Blog" xmlUrl="{web}/blog/feed.xml"/></outline></body></opml>"#
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = run(&["sources", "import", opml.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("imported 1 feeds") && stdout.contains("1 skipped"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("id = \"het-nieuws-meer\"") && text.contains("name = \"Het Nieuws & Meer\""),
        "{text}"
    );
    assert!(
        text.starts_with("\ndata_dir"),
        "the existing file is kept as it was"
    );
    let (code, stdout, _) = run(&["poll", "--source", "het-nieuws-meer"]);
    assert_eq!(code, Some(0), "{stdout}");
    // Same documents as the news feed: known ids, so no new mentions.
    assert_eq!(
        summary(&stdout)["het-nieuws-meer"],
        (6, 6, 0, "ok".into()),
        "{stdout}"
    );

    // A site's address instead of a file: its page names the feed to add.
    let (code, stdout, stderr) = run(&["sources", "import", &format!("{web}/site")]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("imported 1 feed into"), "{stdout}");
    assert!(
        stdout.contains(&format!("also advertised: {web}/blog/feed.xml")),
        "{stdout}"
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains(&format!(
            "id = \"forum-reacties\"\nname = \"Forum & Reacties\"\nkind = \"feed\"\nurl = \"{web}/forum/atom.xml?via=site\""
        )),
        "{text}"
    );
    // A page that names no feed adds nothing and says why.
    let (code, _, stderr) = run(&["sources", "import", &format!("{web}/board/t1")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("names no feed"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);

    // Export: the feed sources as OPML, which import reads back.
    let (code, opml_out, stderr) = run(&["sources", "export"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(opml_out.starts_with("<?xml"), "{opml_out}");
    for url in [
        format!("{web}/blog/feed.xml"),
        format!("{web}/forum/atom.xml?via=site"),
    ] {
        let escaped = url.replace('&', "&amp;");
        assert!(
            opml_out.contains(&format!("xmlUrl=\"{escaped}\"")),
            "{opml_out}"
        );
    }
    assert!(
        stderr.contains("not exported (OPML lists feeds only): ") && stderr.contains("board"),
        "{stderr}"
    );
    let exported = tmp.path().join("exported.opml");
    std::fs::write(&exported, &opml_out).unwrap();
    let (code, stdout, _) = run(&["sources", "import", exported.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("imported 0 feeds"),
        "all already present: {stdout}"
    );
}
