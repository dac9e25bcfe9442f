use super::*;
use std::path::Path;

const MINIMAL: &str = r#"
[[companies]]
id = "zon"
name = "Zon Energie"
terms = ["Zon Energie", "Zon"]

[[sources]]
id = "blog"
kind = "feed"
url = "https://example.org/feed/"
"#;

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_with_env(Path::new("test.toml"), text, &[])
}

fn load_env(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_toml_with_env(Path::new("test.toml"), text, &env)
}

fn err(text: &str) -> String {
    load(text)
        .expect_err("config should be rejected")
        .to_string()
}

#[test]
fn defaults_fill_what_is_not_written() {
    let c = load(MINIMAL).unwrap();
    assert_eq!(c.data_dir, PathBuf::from("data"));
    assert_eq!(c.server.listen, "127.0.0.1:7070");
    assert_eq!(c.poll.interval.as_secs(), 15 * 60);
    assert_eq!(c.poll.max_body.bytes(), 8 * 1024 * 1024);
    assert_eq!(c.poll.host_concurrency, 2);
    assert_eq!(c.ranking.window.as_secs(), 7 * 86_400);
    assert_eq!(c.ranking.top, 20);
    assert!(!c.companies[0].case_sensitive);
    assert!(c.poll.user_agent().starts_with("repmon/0."));
    assert_eq!(c.server.base_url(), "http://127.0.0.1:7070");
}

#[test]
fn the_shipped_config_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/repmon.toml");
    let c = Config::load_with_env(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.companies.len() >= 5, "ships a useful set of companies");
    assert!(!c.sources.is_empty());
}

#[test]
fn unknown_key_names_file_key_line_and_column() {
    let text = format!("{MINIMAL}\n[poll]\nintervall = \"5m\"\n");
    let e = load(&text).unwrap_err();
    assert_eq!(e.file, PathBuf::from("test.toml"));
    assert!(e.message.contains("intervall"), "{e}");
    assert_eq!(e.line, Some(13), "{e}");
    assert!(
        e.to_string()
            .starts_with("test.toml:13:1: poll.intervall: unknown field"),
        "{e}"
    );
}

#[test]
fn unknown_key_in_an_array_entry_names_its_index() {
    let text = MINIMAL.replace("terms = [", "trems = [\"x\"]\nterms = [");
    let e = load(&text).unwrap_err();
    assert!(e.key.starts_with("companies[0]"), "{e}");
    assert!(e.message.contains("trems"), "{e}");
}

#[test]
fn bad_duration_is_explained() {
    let e = err(&format!("{MINIMAL}\n[poll]\ninterval = \"soon\"\n"));
    assert!(e.contains("poll.interval"), "{e}");
    assert!(e.contains("not a duration"), "{e}");
    let e = err(&format!("{MINIMAL}\n[poll]\ninterval = 90\n"));
    assert!(e.contains("has no unit"), "{e}");
}

#[test]
fn durations_and_sizes_read_as_written() {
    let c = load(&format!("{MINIMAL}\n[poll]\ninterval = \"90s\"\nmax_body = \"512KiB\"\n[ranking]\nwindow = \"30d\"\n"))
        .unwrap();
    assert_eq!(c.poll.interval.as_secs(), 90);
    assert_eq!(c.poll.max_body.bytes(), 512 * 1024);
    assert_eq!(c.ranking.window.to_string(), "30d");
}

#[test]
fn syntax_error_has_line_and_column() {
    let e = load("data_dir = \"x\"\n[server\nlisten = 1\n").unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.column.is_some());
}

#[test]
fn environment_overrides_keys() {
    let c = load_env(
        MINIMAL,
        &[
            ("REPMON_SERVER__LISTEN", "127.0.0.1:9999"),
            ("REPMON_DATA_DIR", "/tmp/elsewhere"),
            ("REPMON_POLL__HOST_CONCURRENCY", "5"),
            ("REPMON_SERVER__API_TOKENS", "a,b"),
            ("REPMON_CONFIG", "ignored.toml"),
            ("REPMON_LOG", "debug"),
            ("HOME", "/root"),
        ],
    )
    .unwrap();
    assert_eq!(c.server.listen, "127.0.0.1:9999");
    assert_eq!(c.data_dir, PathBuf::from("/tmp/elsewhere"));
    assert_eq!(c.poll.host_concurrency, 5);
    assert_eq!(c.server.api_tokens, vec!["a".to_string(), "b".to_string()]);
    // The file's own values survive the merge.
    assert_eq!(c.companies[0].terms, vec!["Zon Energie", "Zon"]);
}

#[test]
fn unknown_environment_key_is_an_error_naming_the_variable() {
    let e = load_env(MINIMAL, &[("REPMON_SERVER__LISTN", "127.0.0.1:1")]).unwrap_err();
    assert_eq!(e.key, "REPMON_SERVER__LISTN", "{e}");
    assert!(e.message.contains("listn"), "{e}");
}

#[test]
fn environment_value_is_validated_too() {
    let e = load_env(MINIMAL, &[("REPMON_SERVER__LISTEN", "not an address")]).unwrap_err();
    assert_eq!(e.key, "server.listen", "{e}");
}

#[test]
fn ids_must_be_simple_and_unique() {
    let e = err(&MINIMAL.replace("id = \"zon\"", "id = \"Zon Energie\""));
    assert!(
        e.contains("companies[0].id") && e.contains("a-z, 0-9"),
        "{e}"
    );
    let twice = format!("{MINIMAL}\n[[companies]]\nid = \"zon\"\nname = \"Z\"\nterms = [\"Z\"]\n");
    assert!(err(&twice).contains("used twice"));
}

#[test]
fn keys_of_another_kind_are_rejected() {
    let e = err(&MINIMAL.replace("kind = \"feed\"", "kind = \"feed\"\ntags = [\"x\"]"));
    assert!(
        e.contains("sources[0].tags") && e.contains("feed source"),
        "{e}"
    );
}

#[test]
fn html_source_needs_selectors() {
    let e = err(&MINIMAL.replace("kind = \"feed\"", "kind = \"html\"\nitem = \"article\""));
    assert!(e.contains("sources[0].body"), "{e}");
    let e = err(&MINIMAL.replace(
        "kind = \"feed\"",
        "kind = \"html\"\nitem = \"article[\"\nbody = \"p\"",
    ));
    assert!(
        e.contains("sources[0].item") && e.contains("not a CSS selector"),
        "{e}"
    );
}

#[test]
fn reviews_company_must_exist() {
    let e = err(&MINIMAL.replace("kind = \"feed\"", "kind = \"reviews\"\ncompany = \"maan\""));
    assert!(
        e.contains("sources[0].company") && e.contains("maan"),
        "{e}"
    );
    load(&MINIMAL.replace("kind = \"feed\"", "kind = \"reviews\"\ncompany = \"zon\"")).unwrap();
}

#[test]
fn a_source_timezone_must_be_a_known_zone_on_a_page_kind() {
    let html = "kind = \"html\"\nitem = \"article\"\nbody = \"p\"";
    let e = err(&MINIMAL.replace(
        "kind = \"feed\"",
        &format!("{html}\ntimezone = \"Europe/Amsterdm\""),
    ));
    assert!(
        e.contains("sources[0].timezone")
            && e.contains("\"Europe/Amsterdm\" is not an IANA time zone"),
        "{e}"
    );
    let e = err(&MINIMAL.replace("kind = \"feed\"", "kind = \"feed\"\ntimezone = \"UTC\""));
    assert!(
        e.contains("sources[0].timezone") && e.contains("not a key of a feed source"),
        "{e}"
    );
    let c = load(&MINIMAL.replace(
        "kind = \"feed\"",
        &format!("{html}\ntimezone = \"Europe/Amsterdam\""),
    ))
    .unwrap();
    assert_eq!(c.sources[0].zone(), chrono_tz::Europe::Amsterdam);
    let c = load(&MINIMAL.replace("kind = \"feed\"", html)).unwrap();
    assert_eq!(c.sources[0].zone(), chrono_tz::UTC, "UTC when not set");
}

#[test]
fn mastodon_source_follows_something() {
    let e = err(&MINIMAL.replace("kind = \"feed\"", "kind = \"mastodon\""));
    assert!(e.contains("sources[0].tags"), "{e}");
}

#[test]
fn source_url_must_be_http() {
    let e = err(&MINIMAL.replace("https://example.org/feed/", "ftp://example.org/feed"));
    assert!(e.contains("sources[0].url"), "{e}");
    let e = err(&MINIMAL.replace("https://example.org/feed/", "example.org/feed"));
    assert!(e.contains("not a URL"), "{e}");
}

#[test]
fn webhook_secret_and_events_are_checked() {
    let hook = |secret: &str, events: &str| {
        format!(
            "{MINIMAL}\n[[webhooks]]\nurl = \"http://127.0.0.1:9/h\"\nsecret = \"{secret}\"\nevents = {events}\n"
        )
    };
    let good = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let c = load(&hook(good, "[\"rank.dropped\"]")).unwrap();
    assert_eq!(c.webhooks[0].key().len(), 24);
    assert_eq!(c.webhooks[0].min_places, 3);
    assert!(err(&hook("plain", "[\"rank.dropped\"]")).contains("whsec_"));
    assert!(err(&hook("whsec_!!!", "[\"rank.dropped\"]")).contains("base64"));
    let e = err(&hook(good, "[\"rank.exploded\"]"));
    assert!(e.contains("webhooks[0].events[0]"), "{e}");
}

#[test]
fn digest_schedule_timezone_and_addresses_are_checked() {
    let digest = |schedule: &str, tz: &str, to: &str| {
        format!(
            "{MINIMAL}\n[digest]\nschedule = \"{schedule}\"\ntimezone = \"{tz}\"\nsmtp_url = \"smtp://127.0.0.1:2525\"\nfrom = \"repmon@example.org\"\nto = [\"{to}\"]\n"
        )
    };
    let c = load(&digest("0 8 * * MON", "Europe/Amsterdam", "a@example.org")).unwrap();
    assert_eq!(c.digest.unwrap().tz(), chrono_tz::Europe::Amsterdam);
    assert!(
        err(&digest("every monday", "Europe/Amsterdam", "a@example.org"))
            .contains("digest.schedule")
    );
    assert!(
        err(&digest("0 8 * * MON", "Mars/Olympus", "a@example.org")).contains("digest.timezone")
    );
    assert!(err(&digest("0 8 * * MON", "Europe/Amsterdam", "nobody")).contains("digest.to[0]"));
}

#[test]
fn unreadable_file_is_reported_with_its_path() {
    let e = Config::load_with_env(Path::new("/nonexistent/repmon.toml"), &[]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/repmon.toml: cannot read"),
        "{e}"
    );
}

#[test]
fn path_resolution_prefers_flag_then_env() {
    assert_eq!(
        Config::resolve_path(Some(Path::new("x.toml"))),
        PathBuf::from("x.toml")
    );
}

#[test]
fn webhook_alert_tuning_has_defaults_and_is_checked() {
    let hook = |extra: &str| {
        format!(
            "{MINIMAL}\n[[webhooks]]\nurl = \"http://127.0.0.1:9/h\"\nsecret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\nevents = [\"rank.dropped\", \"rank.exited_top\", \"sentiment.dropped\", \"volume.spike\", \"source.failing\"]\n{extra}\n"
        )
    };
    let c = load(&hook("")).unwrap();
    let w = &c.webhooks[0];
    assert_eq!(w.events.len(), 5);
    assert!(w.wants("source.failing") && w.wants("volume.spike"));
    assert_eq!(w.min_mentions, 10);
    assert_eq!(w.min_score_drop, 3.0);
    assert_eq!(w.sentiment_drop, 0.3);
    assert_eq!(w.spike_factor, 4.0);
    assert_eq!(w.spike_min, 10);
    assert_eq!(w.failing_after.std().as_secs(), 6 * 3600);
    assert_eq!(w.cooldown.std().as_secs(), 12 * 3600);
    let c = load(&hook(
        "cooldown = \"30m\"\nsentiment_drop = 0.5\nfailing_after = \"2h\"",
    ))
    .unwrap();
    assert_eq!(c.webhooks[0].cooldown.std().as_secs(), 1800);
    assert_eq!(c.webhooks[0].sentiment_drop, 0.5);
    assert!(err(&hook("sentiment_drop = 0.0")).contains("webhooks[0].sentiment_drop"));
    assert!(err(&hook("sentiment_drop = 3.0")).contains("webhooks[0].sentiment_drop"));
    assert!(err(&hook("spike_factor = 1.0")).contains("webhooks[0].spike_factor"));
    assert!(err(&hook("spike_min = 0")).contains("webhooks[0].spike_min"));
    assert!(err(&hook("min_score_drop = -1.0")).contains("webhooks[0].min_score_drop"));
    assert!(err(&hook("failing_after = \"0s\"")).contains("webhooks[0].failing_after"));
}

#[test]
fn ranking_weights_have_defaults_and_are_checked() {
    let c = load(MINIMAL).unwrap();
    assert_eq!(c.ranking.weights.vibe, 0.5);
    assert_eq!(c.ranking.weights.webcare, 0.15);
    assert_eq!(c.ranking.weights.reviews, 0.15);
    assert_eq!(c.ranking.weights.momentum, 0.2);
    let e = err(&format!("{MINIMAL}\n[ranking.weights]\nmomentum = -0.5\n"));
    assert!(e.contains("ranking.weights.momentum"), "{e}");
    assert_eq!(c.ranking.sentiment_prior, 10.0);
    let e = err(&format!("{MINIMAL}\n[ranking.weights]\nreviews = nan\n"));
    assert!(e.contains("ranking.weights.reviews"), "{e}");
    let c = load(&format!(
        "{MINIMAL}\n[ranking]\nsentiment_prior = 20\n[ranking.weights]\nvibe = 1.0\nbuzz = 0.0\n"
    ))
    .unwrap();
    assert_eq!(c.ranking.weights.vibe, 1.0);
    assert_eq!(c.ranking.weights.buzz, 0.0);
    assert_eq!(
        c.ranking.weights.reach, 0.2,
        "unnamed weights keep their default"
    );
    assert_eq!(c.ranking.sentiment_prior, 20.0);
    let e = err(&format!("{MINIMAL}\n[ranking.weights]\nvibe = -1.0\n"));
    assert!(e.contains("ranking.weights.vibe"), "{e}");
    let e = err(&format!(
        "{MINIMAL}\n[ranking.weights]\nvibe = 0.0\nbuzz = 0.0\nreach = 0.0\n"
    ));
    assert!(e.contains("ranking.weights"), "{e}");
    let e = err(&format!("{MINIMAL}\n[ranking.weights]\nhype = 1.0\n"));
    assert!(e.contains("hype"), "{e}");
}

#[test]
fn documents_without_a_mention_are_kept_ninety_days_unless_told() {
    let now = chrono::Utc::now();
    let c = load(MINIMAL).unwrap();
    assert_eq!(c.store.keep_unmatched.as_secs(), 90 * 86_400);
    assert_eq!(
        c.store.keep_unmatched_since(now),
        now - chrono::Duration::days(90)
    );
    let c = load(&format!("[store]\nkeep_unmatched = \"30d\"\n{MINIMAL}")).unwrap();
    assert_eq!(
        c.store.keep_unmatched_since(now),
        now - chrono::Duration::days(30)
    );
    // "0s" keeps none: no published time is late enough.
    let c = load(&format!("[store]\nkeep_unmatched = \"0s\"\n{MINIMAL}")).unwrap();
    assert_eq!(
        c.store.keep_unmatched_since(now),
        chrono::DateTime::<chrono::Utc>::MAX_UTC
    );
    let c = load_env(MINIMAL, &[("REPMON_STORE__KEEP_UNMATCHED", "7d")]).unwrap();
    assert_eq!(c.store.keep_unmatched.as_secs(), 7 * 86_400);
    assert!(err(&format!("[store]\nkeep = \"30d\"\n{MINIMAL}")).contains("store.keep"));
}
