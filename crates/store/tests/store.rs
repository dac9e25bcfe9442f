//! The store against a real data directory: upserts, restarts, search, state tables.

use chrono::{DateTime, Duration, TimeZone, Utc};
use repmon_model::{CompanyMention, Document, Mention, Sentiment, SourceKind};
use repmon_store::{Identity, SearchQuery, Store, StoreError, Table, WriteStats, time_key};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn company(id: &str, sentiment: Sentiment) -> CompanyMention {
    let score = match sentiment {
        Sentiment::Positive => 0.6,
        Sentiment::Negative => -0.6,
        Sentiment::Neutral => 0.0,
    };
    CompanyMention::new(id, sentiment, score)
}

fn mention(
    id: &str,
    minutes: i64,
    title: &str,
    body: &str,
    companies: Vec<CompanyMention>,
) -> Mention {
    Mention {
        doc: Document {
            title: title.into(),
            author: Some("Jan de Vries".into()),
            ..Document::new(
                id,
                "tweakers-forum",
                SourceKind::Html,
                format!("https://forum.example/{id}"),
                body,
                t0() + Duration::minutes(minutes),
            )
        },
        lang: "nl".into(),
        companies,
    }
}

/// A small corpus with known contents, one minute apart (d0 oldest).
fn corpus() -> Vec<Mention> {
    use Sentiment::*;
    vec![
        mention(
            "d0",
            0,
            "Storing",
            "Zon Energie heeft een storing in de app",
            vec![company("zon", Negative)],
        ),
        mention(
            "d1",
            1,
            "Blij",
            "Golf Internet wifi werkt prima sinds gisteren",
            vec![company("golf", Positive)],
        ),
        mention(
            "d2",
            2,
            "Overstappen",
            "Van Golf Internet naar Zon Energie: Zon is top, Golf was slecht",
            vec![company("zon", Positive), company("golf", Negative)],
        ),
        mention(
            "d3",
            3,
            "Wifi",
            "De wifi van Golf Internet valt steeds weg, storing",
            vec![company("golf", Negative)],
        ),
        mention(
            "d4",
            4,
            "Contract",
            "Nieuw contract bij Zon Energie afgesloten",
            vec![company("zon", Neutral)],
        ),
    ]
}

fn ids(page: &repmon_store::SearchPage) -> Vec<&str> {
    page.hits
        .iter()
        .map(|h| h.mention.doc.id.as_str())
        .collect()
}

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        q: text.into(),
        limit: 50,
        ..Default::default()
    }
}

#[test]
fn same_batch_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let batch = corpus();
    assert_eq!(
        store.write_mentions(&batch).unwrap(),
        WriteStats {
            added: 5,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(
        store.write_mentions(&batch).unwrap(),
        WriteStats {
            added: 0,
            updated: 0,
            unchanged: 5
        }
    );
    assert_eq!(store.mention_count().unwrap(), 5);
    // Seen again through another source (different first_seen, URL): still the same mention.
    let mut again = batch[0].clone();
    again.doc.first_seen += Duration::hours(3);
    again.doc.source = "other-feed".into();
    assert_eq!(store.write_mentions(&[again]).unwrap().unchanged, 1);
}

#[test]
fn identify_tells_stored_ids_from_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let batch = corpus();
    let first = batch[0].doc.id.clone();
    let asked = [
        (first.as_str(), "tweakers-forum", None),
        ("never-seen", "x", None),
    ];
    let stored = |i: &Identity| matches!(i, Identity::Stored { .. });
    let flags = |store: &Store| -> Vec<bool> {
        store
            .identify(&asked, 3)
            .unwrap()
            .iter()
            .map(stored)
            .collect()
    };
    assert_eq!(flags(&store), [false, false]);
    store.write_mentions(&batch).unwrap();
    assert_eq!(flags(&store), [true, false]);
    assert!(store.identify(&[], 3).unwrap().is_empty());
}

#[test]
fn an_update_replaces_the_earlier_version() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.write_mentions(&corpus()).unwrap();
    let mut edited = corpus()[0].clone();
    edited.doc.body = "Zon Energie heeft de omvormer vervangen".into();
    edited.doc.published += Duration::days(1); // the record moves in time too
    assert_eq!(
        store.write_mentions(&[edited]).unwrap(),
        WriteStats {
            added: 0,
            updated: 1,
            unchanged: 0
        }
    );
    assert_eq!(store.mention_count().unwrap(), 5);
    assert_eq!(ids(&store.search(&q("omvormer")).unwrap()), ["d0"]);
    assert_eq!(ids(&store.search(&q("app")).unwrap()), Vec::<&str>::new());
    assert!(
        store
            .mention("d0")
            .unwrap()
            .unwrap()
            .doc
            .body
            .contains("omvormer")
    );
    // The old time record is gone, the new one is there.
    let day0 = store
        .mentions_between(t0(), t0() + Duration::hours(1))
        .unwrap();
    assert!(day0.iter().all(|m| m.doc.id != "d0"));
    let day1 = store
        .mentions_between(t0() + Duration::days(1), t0() + Duration::days(2))
        .unwrap();
    assert_eq!(day1.len(), 1);
    assert_eq!(day1[0].doc.id, "d0");
}

#[test]
fn everything_is_there_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store.write_mentions(&corpus()).unwrap();
        store
            .put(Table::Meta, "last_digest", &"2026-11-16")
            .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.mention_count().unwrap(), 5);
    assert_eq!(
        store
            .get::<String>(Table::Meta, "last_digest")
            .unwrap()
            .as_deref(),
        Some("2026-11-16")
    );
    assert_eq!(
        store
            .mentions_between(t0(), t0() + Duration::hours(1))
            .unwrap()
            .len(),
        5
    );
    assert_eq!(store.mention("d2").unwrap().unwrap(), corpus()[2]);
    assert_eq!(store.write_mentions(&corpus()).unwrap().unchanged, 5);
}

#[test]
fn a_second_open_of_the_same_directory_is_a_clear_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Store::open(dir.path()).unwrap();
    match Store::open(dir.path()) {
        Err(StoreError::Io(msg)) => {
            assert!(msg.contains("in use by another repmon process"), "{msg}")
        }
        Err(e) => panic!("expected an Io error, got {e:?}"),
        Ok(_) => panic!("a second open succeeded"),
    }
}

#[test]
fn words_phrases_and_boolean_operators() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.write_mentions(&corpus()).unwrap();
    // Newest first; words AND-ed by default; case and title/body both count.
    assert_eq!(ids(&store.search(&q("storing")).unwrap()), ["d3", "d0"]);
    assert_eq!(ids(&store.search(&q("WIFI storing")).unwrap()), ["d3"]);
    assert_eq!(
        ids(&store.search(&q("wifi OR app")).unwrap()),
        ["d3", "d1", "d0"]
    );
    assert_eq!(
        ids(&store.search(&q("wifi AND NOT storing")).unwrap()),
        ["d1"]
    );
    assert_eq!(ids(&store.search(&q("wifi -storing")).unwrap()), ["d1"]);
    assert_eq!(ids(&store.search(&q("-golf")).unwrap()), ["d4", "d0"]);
    assert_eq!(ids(&store.search(&q("NOT golf")).unwrap()), ["d4", "d0"]);
    assert_eq!(
        ids(&store.search(&q("storing OR NOT golf")).unwrap()),
        ["d4", "d3", "d0"]
    );
    // Phrases keep word order.
    assert_eq!(
        ids(&store.search(&q("\"golf internet\"")).unwrap()),
        ["d3", "d2", "d1"]
    );
    assert_eq!(
        ids(&store.search(&q("\"internet golf\"")).unwrap()),
        Vec::<&str>::new()
    );
}

#[test]
fn field_value_queries_on_the_analysts_fields() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut docs = corpus();
    docs[4].doc.kind = SourceKind::Feed;
    docs[4].doc.source = "nu-nl".into();
    docs[4].lang = "en".into();
    docs[4].doc.author = Some("Piet".into());
    store.write_mentions(&docs).unwrap();
    assert_eq!(
        ids(&store.search(&q("company:zon")).unwrap()),
        ["d4", "d2", "d0"]
    );
    assert_eq!(ids(&store.search(&q("kind:feed")).unwrap()), ["d4"]);
    assert_eq!(ids(&store.search(&q("source:nu-nl")).unwrap()), ["d4"]);
    assert_eq!(ids(&store.search(&q("lang:en")).unwrap()), ["d4"]);
    assert_eq!(ids(&store.search(&q("author:piet")).unwrap()), ["d4"]);
    assert_eq!(
        ids(&store
            .search(&q("author:\"Jan de Vries\" AND contract"))
            .unwrap()),
        Vec::<&str>::new()
    );
    assert_eq!(
        ids(&store.search(&q("sentiment:negative company:zon")).unwrap()),
        ["d2", "d0"]
    );
    assert_eq!(
        ids(&store
            .search(&q("company_sentiment:\"zon:negative\""))
            .unwrap()),
        ["d0"]
    );
}

#[test]
fn company_and_sentiment_filter_means_toward_that_company() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.write_mentions(&corpus()).unwrap();
    let toward = |c: &str, s| SearchQuery {
        company: Some(c.into()),
        sentiment: Some(s),
        limit: 50,
        ..Default::default()
    };
    // d2 is positive about zon and negative about golf.
    assert_eq!(
        ids(&store.search(&toward("zon", Sentiment::Positive)).unwrap()),
        ["d2"]
    );
    assert_eq!(
        ids(&store.search(&toward("zon", Sentiment::Negative)).unwrap()),
        ["d0"]
    );
    assert_eq!(
        ids(&store.search(&toward("golf", Sentiment::Negative)).unwrap()),
        ["d3", "d2"]
    );
    assert_eq!(
        ids(&store.search(&toward("golf", Sentiment::Positive)).unwrap()),
        ["d1"]
    );
    let any_negative = SearchQuery {
        sentiment: Some(Sentiment::Negative),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(
        ids(&store.search(&any_negative).unwrap()),
        ["d3", "d2", "d0"]
    );
    let kind = SearchQuery {
        kind: Some(SourceKind::Feed),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(store.search(&kind).unwrap().total, 0);
    let source = SearchQuery {
        source: Some("tweakers-forum".into()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(store.search(&source).unwrap().total, 5);
}

#[test]
fn since_until_and_paging() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.write_mentions(&corpus()).unwrap();
    let window = SearchQuery {
        since: Some(t0() + Duration::minutes(1)),
        until: Some(t0() + Duration::minutes(3)),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(ids(&store.search(&window).unwrap()), ["d3", "d2", "d1"]);
    let since = SearchQuery {
        since: Some(t0() + Duration::seconds(61)),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(ids(&store.search(&since).unwrap()), ["d4", "d3", "d2"]);

    let page = |offset, limit| SearchQuery {
        offset,
        limit,
        ..Default::default()
    };
    let first = store.search(&page(0, 2)).unwrap();
    assert_eq!((first.total, ids(&first)), (5, vec!["d4", "d3"]));
    let second = store.search(&page(2, 2)).unwrap();
    assert_eq!((second.total, ids(&second)), (5, vec!["d2", "d1"]));
    let past_end = store.search(&page(10, 2)).unwrap();
    assert_eq!((past_end.total, past_end.hits.len()), (5, 0));
    // limit 0 is clamped to 1, a huge limit to 500.
    assert_eq!(store.search(&page(0, 0)).unwrap().hits.len(), 1);
    assert_eq!(store.search(&page(0, 1_000_000)).unwrap().hits.len(), 5);
}

#[test]
fn malformed_queries_are_query_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.write_mentions(&corpus()).unwrap();
    for bad in [
        "\"unclosed phrase",
        "nosuchfield:x",
        "(wifi",
        "published:[nonsense TO 3]",
        "url:x",
    ] {
        match store.search(&q(bad)) {
            Err(StoreError::Query(msg)) => assert!(!msg.is_empty()),
            other => panic!("{bad:?}: expected a Query error, got {other:?}"),
        }
    }
}

#[test]
fn snippets_are_escaped_html_with_highlights() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let evil = mention(
        "x",
        0,
        "<img src=x onerror=alert(1)>",
        "Zon Energie <script>alert('storing')</script> & de storing duurt voort",
        vec![company("zon", Sentiment::Negative)],
    );
    store.write_mentions(&[evil]).unwrap();
    let hit = &store.search(&q("storing")).unwrap().hits[0];
    assert!(!hit.snippet.contains("<script"), "{}", hit.snippet);
    assert!(hit.snippet.contains("&lt;script&gt;"), "{}", hit.snippet);
    assert!(hit.snippet.contains("<b>storing</b>"), "{}", hit.snippet);
    assert!(hit.snippet.contains("&amp;"), "{}", hit.snippet);

    // Without words: the start of the body, escaped, the company's names in bold.
    let all = SearchQuery {
        company: Some("zon".into()),
        limit: 10,
        ..Default::default()
    };
    let plain = &store.search(&all).unwrap().hits[0].snippet;
    assert!(
        plain.starts_with("<b>Zon</b> Energie &lt;script&gt;"),
        "{plain}"
    );
    store.set_company_terms([("zon".to_string(), vec!["Zon Energie".to_string()])].into());
    let named = &store.search(&all).unwrap().hits[0].snippet;
    assert!(
        named.starts_with("<b>Zon Energie</b> &lt;script&gt;"),
        "{named}"
    );
}

#[test]
fn mentions_between_is_half_open_and_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut docs = corpus();
    docs[0].doc.body = "lang ".repeat(300); // bodies are cut in the compact records
    store.write_mentions(&docs).unwrap();
    let got = store
        .mentions_between(t0() + Duration::minutes(1), t0() + Duration::minutes(3))
        .unwrap();
    assert_eq!(
        got.iter().map(|m| m.doc.id.as_str()).collect::<Vec<_>>(),
        ["d1", "d2"]
    );
    let all = store
        .mentions_between(t0(), t0() + Duration::minutes(5))
        .unwrap();
    assert_eq!(
        all.iter().map(|m| m.doc.id.as_str()).collect::<Vec<_>>(),
        ["d0", "d1", "d2", "d3", "d4"]
    );
    assert!(all[0].doc.body.chars().count() <= 400);
    assert_eq!(all[2], docs[2]);
    // The full body stays in the index.
    assert_eq!(store.mention("d0").unwrap().unwrap().doc.body.len(), 1500);
    assert!(
        store
            .mentions_between(t0() + Duration::minutes(5), t0() + Duration::minutes(9))
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .mentions_between(t0() + Duration::minutes(3), t0())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn state_tables_round_trip_in_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Cursor {
        etag: String,
        seen: u32,
    }
    let c = Cursor {
        etag: "\"abc\"".into(),
        seen: 3,
    };
    store.put(Table::Sources, "feed-a", &c).unwrap();
    assert_eq!(
        store.get::<Cursor>(Table::Sources, "feed-a").unwrap(),
        Some(c)
    );
    assert_eq!(store.get::<Cursor>(Table::Outbox, "feed-a").unwrap(), None); // tables are separate
    store.delete(Table::Sources, "feed-a").unwrap();
    assert_eq!(store.get::<Cursor>(Table::Sources, "feed-a").unwrap(), None);

    let times: Vec<DateTime<Utc>> = [5, 1, 3, 2, 4]
        .iter()
        .map(|h| t0() + Duration::hours(*h))
        .collect();
    for t in &times {
        store
            .put(Table::Snapshots, &time_key(*t), &t.timestamp())
            .unwrap();
    }
    let all: Vec<(String, i64)> = store.range(Table::Snapshots, None, None).unwrap();
    let hours: Vec<i64> = all
        .iter()
        .map(|(_, v)| (v - t0().timestamp()) / 3600)
        .collect();
    assert_eq!(hours, [1, 2, 3, 4, 5]);
    let k = |h| time_key(t0() + Duration::hours(h));
    let mid: Vec<(String, i64)> = store
        .range(Table::Snapshots, Some(&k(2)), Some(&k(4)))
        .unwrap();
    assert_eq!(
        mid.iter().map(|(key, _)| key.clone()).collect::<Vec<_>>(),
        [k(2), k(3)]
    );
    let at: Option<(String, i64)> = store
        .last_at_or_before(Table::Snapshots, &time_key(t0() + Duration::minutes(150)))
        .unwrap();
    assert_eq!(at.unwrap().0, k(2));
    assert_eq!(
        store
            .last_at_or_before::<i64>(Table::Snapshots, &k(3))
            .unwrap()
            .unwrap()
            .0,
        k(3)
    );
    assert!(
        store
            .last_at_or_before::<i64>(Table::Snapshots, &k(0))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .delete_range(Table::Snapshots, Some(&k(2)), Some(&k(4)))
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .range::<i64>(Table::Snapshots, None, None)
            .unwrap()
            .len(),
        3
    );
    // A value of the wrong shape is an error, not a panic.
    assert!(matches!(
        store.get::<Cursor>(Table::Snapshots, &k(1)),
        Err(StoreError::State(_))
    ));
}

#[test]
fn a_data_dir_that_cannot_be_created_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    match Store::open(&file) {
        Err(StoreError::Io(msg)) => assert!(msg.contains("not-a-dir"), "{msg}"),
        Err(e) => panic!("expected an Io error, got {e:?}"),
        Ok(_) => panic!("opened a file as a data directory"),
    }
}

#[test]
fn duplicate_ids_in_one_batch_count_once_and_the_last_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut second = corpus()[0].clone();
    second.doc.body = "tweede versie".into();
    let stats = store
        .write_mentions(&[corpus()[0].clone(), second])
        .unwrap();
    assert_eq!(
        stats,
        WriteStats {
            added: 1,
            updated: 0,
            unchanged: 0
        }
    );
    assert_eq!(store.mention_count().unwrap(), 1);
    assert_eq!(
        store.mention("d0").unwrap().unwrap().doc.body,
        "tweede versie"
    );
    assert!(store.mention("nope").unwrap().is_none());
}

#[test]
fn every_mention_can_be_walked_in_batches_with_full_text_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut docs = corpus();
    docs[3].doc.body = "lang ".repeat(300);
    store.write_mentions(&docs).unwrap();

    let mut sizes = Vec::new();
    let mut seen: Vec<Mention> = Vec::new();
    let handed = store
        .for_each_mention(2, |batch| {
            sizes.push(batch.len());
            seen.extend(batch);
            Ok(())
        })
        .unwrap();
    assert_eq!(handed, 5);
    assert_eq!(sizes, [2, 2, 1]);
    seen.sort_by(|a, b| a.doc.id.cmp(&b.doc.id));
    // Full bodies, not the compact records' cut ones.
    assert_eq!(seen, docs);

    // Deleting inside the walk (as rematch does) neither disturbs the walk
    // nor leaves traces in the window queries.
    let handed = store
        .for_each_mention(3, |batch| {
            let ids: Vec<String> = batch
                .iter()
                .filter(|m| m.doc.id == "d1" || m.doc.id == "d4")
                .map(|m| m.doc.id.clone())
                .collect();
            store.delete_mentions(&ids)?;
            Ok(())
        })
        .unwrap();
    assert_eq!(handed, 5);
    assert_eq!(store.mention_count().unwrap(), 3);
    assert!(store.mention("d1").unwrap().is_none());
    let left = store
        .mentions_between(t0(), t0() + Duration::minutes(9))
        .unwrap();
    assert_eq!(
        left.iter().map(|m| m.doc.id.as_str()).collect::<Vec<_>>(),
        ["d0", "d2", "d3"]
    );
    assert!(
        store
            .search(&q("wifi"))
            .unwrap()
            .hits
            .iter()
            .all(|h| h.mention.doc.id != "d1")
    );
    // Unknown ids are ignored; a deleted document can be stored again.
    assert_eq!(
        store
            .delete_mentions(&["nope".into(), "d1".into()])
            .unwrap(),
        0
    );
    assert_eq!(store.write_mentions(&docs[1..2]).unwrap().added, 1);

    // An error from the callback stops the walk and comes back.
    let err = store
        .for_each_mention(1, |_| Err(StoreError::Index("stop".into())))
        .unwrap_err();
    assert!(err.to_string().contains("stop"), "{err}");
}

#[test]
fn a_post_without_a_stated_time_keeps_the_time_it_was_first_seen() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // A source that finds no time dates a post when it sees it: published
    // and first seen are the same instant.
    let mut first = mention(
        "undated",
        0,
        "Storing",
        "Zon Energie ligt eruit",
        vec![company("zon", Sentiment::Negative)],
    );
    first.doc.first_seen = first.doc.published;
    store.write_mentions(std::slice::from_ref(&first)).unwrap();

    // The next poll sees it again, an hour later, and dates it anew.
    let mut again = first.clone();
    again.doc.published += Duration::hours(1);
    again.doc.first_seen = again.doc.published;
    let stats = store.write_mentions(std::slice::from_ref(&again)).unwrap();
    assert_eq!(stats.unchanged, 1, "{stats:?}");
    assert_eq!(
        store.mention("undated").unwrap().unwrap().doc.published,
        first.doc.published
    );
    assert_eq!(
        store
            .mentions_between(t0() + Duration::minutes(30), t0() + Duration::hours(2))
            .unwrap()
            .len(),
        0,
        "the post does not move into a later window"
    );

    // An edit is stored, still at the first time.
    again.doc.body = "Zon Energie ligt er nog steeds uit".into();
    let stats = store.write_mentions(std::slice::from_ref(&again)).unwrap();
    assert_eq!(stats.updated, 1, "{stats:?}");
    let stored = store.mention("undated").unwrap().unwrap();
    assert_eq!(stored.doc.body, again.doc.body);
    assert_eq!(stored.doc.published, first.doc.published);

    // A post with a stated time moves when that time changes.
    let mut dated = mention("dated", 0, "Storing", "Zon Energie", vec![]);
    dated.doc.first_seen = dated.doc.published + Duration::minutes(5);
    store.write_mentions(std::slice::from_ref(&dated)).unwrap();
    dated.doc.published += Duration::hours(1);
    store.write_mentions(std::slice::from_ref(&dated)).unwrap();
    assert_eq!(
        store.mention("dated").unwrap().unwrap().doc.published,
        t0() + Duration::hours(1)
    );
}
