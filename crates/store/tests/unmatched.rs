//! Documents kept without a mention (for `repmon rematch`), against a real
//! data directory: kept once, walked oldest first with their full text,
//! never both kept and a mention, forgotten when old.

use chrono::{DateTime, Duration, TimeZone, Utc};
use repmon_model::{CompanyMention, Document, Mention, Sentiment, SourceKind};
use repmon_store::Store;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn doc(id: &str, hours: i64, body: &str) -> Document {
    Document {
        title: format!("Post {id}"),
        author: Some("Anna".into()),
        thread: Some("https://forum.example/t/9".into()),
        position: Some(3),
        ..Document::new(
            id,
            "forum",
            SourceKind::Html,
            format!("https://forum.example/{id}"),
            body,
            t0() + Duration::hours(hours),
        )
    }
}

fn mention(d: Document) -> Mention {
    Mention {
        doc: d,
        lang: "nl".into(),
        companies: vec![CompanyMention::new("reiger", Sentiment::Negative, -0.5)],
    }
}

fn walk(store: &Store, batch: usize) -> (Vec<Document>, Vec<usize>) {
    let (mut docs, mut sizes) = (Vec::new(), Vec::new());
    let handed = store
        .for_each_unmatched(batch, |b| {
            sizes.push(b.len());
            docs.extend(b);
            Ok(())
        })
        .unwrap();
    assert_eq!(handed as usize, docs.len());
    (docs, sizes)
}

fn ids(docs: &[Document]) -> Vec<&str> {
    docs.iter().map(|d| d.id.as_str()).collect()
}

#[test]
fn kept_documents_come_back_whole_oldest_first_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let long = "De trein reed niet en niemand wist waarom. ".repeat(200);
    let docs = vec![
        doc("b", 2, "Tweede bericht, zonder bedrijf."),
        doc("a", 1, &long),
        doc("c", 3, "Emoji en accenten: ideeën 🙂 café"),
    ];
    {
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.keep_unmatched(&docs, t0()).unwrap(), 3);
        // The same documents again (a feed serves its items every poll): nothing to write.
        assert_eq!(store.keep_unmatched(&docs, t0()).unwrap(), 0);
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.unmatched_count().unwrap(), 3);
    let (seen, sizes) = walk(&store, 2);
    assert_eq!(sizes, [2, 1]);
    assert_eq!(seen, [docs[1].clone(), docs[0].clone(), docs[2].clone()]);

    // An edit replaces the kept version, at its new time.
    let mut edited = docs[0].clone();
    edited.body = "Tweede bericht, aangepast.".into();
    edited.published = t0() + Duration::hours(5);
    assert_eq!(
        store
            .keep_unmatched(std::slice::from_ref(&edited), t0())
            .unwrap(),
        1
    );
    let (seen, _) = walk(&store, 10);
    assert_eq!(ids(&seen), ["a", "c", "b"]);
    assert_eq!(seen[2], edited);
    assert_eq!(store.unmatched_count().unwrap(), 3);
}

#[test]
fn a_document_is_a_mention_or_kept_never_both() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let a = doc("a", 1, "Reiger Rail rijdt weer.");
    let b = doc("b", 2, "Geen bedrijf hier.");
    store.write_mentions(&[mention(a.clone())]).unwrap();
    // A stored mention is not kept again as a document without one.
    assert_eq!(
        store.keep_unmatched(&[a.clone(), b.clone()], t0()).unwrap(),
        1
    );
    assert_eq!(ids(&walk(&store, 10).0), ["b"]);

    // A kept document whose mention is stored (a rematch found a company
    // in it) is no longer kept.
    store.write_mentions(&[mention(b.clone())]).unwrap();
    assert_eq!(store.unmatched_count().unwrap(), 0);
    assert!(walk(&store, 10).0.is_empty());

    // A mention that names no company any more is demoted: kept, with its
    // full text, and gone from the mentions.
    assert_eq!(
        store
            .demote_mentions(std::slice::from_ref(&a), t0())
            .unwrap(),
        1
    );
    assert!(store.mention("a").unwrap().is_none());
    assert_eq!(store.mention_count().unwrap(), 1);
    assert_eq!(walk(&store, 10).0, [a]);
}

#[test]
fn old_documents_are_not_kept_and_pruning_forgets_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let docs = [
        doc("old", -48, "Van eergisteren."),
        doc("mid", 0, "Van vandaag."),
        doc("new", 24, "Van morgen."),
    ];
    // Published before `since`: not kept at all.
    assert_eq!(
        store
            .keep_unmatched(&docs, t0() - Duration::hours(24))
            .unwrap(),
        2
    );
    assert_eq!(ids(&walk(&store, 10).0), ["mid", "new"]);
    assert_eq!(store.prune_unmatched(t0()).unwrap(), 0);
    assert_eq!(store.prune_unmatched(t0() + Duration::hours(1)).unwrap(), 1);
    assert_eq!(ids(&walk(&store, 10).0), ["new"]);
    assert_eq!(store.unmatched_count().unwrap(), 1);
    // Keeping none (`keep_unmatched = "0s"`) forgets every one.
    assert_eq!(store.prune_unmatched(DateTime::<Utc>::MAX_UTC).unwrap(), 1);
    assert_eq!(store.unmatched_count().unwrap(), 0);
    // A forgotten document can be kept again.
    assert_eq!(store.keep_unmatched(&docs[2..], t0()).unwrap(), 1);
}

#[test]
fn a_kept_document_without_a_stated_time_keeps_its_first_time() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // Dated when first seen: published and first seen are one instant.
    let first = doc("undated", 0, "Zonder datum.");
    assert_eq!(first.published, first.first_seen);
    assert_eq!(
        store
            .keep_unmatched(std::slice::from_ref(&first), t0())
            .unwrap(),
        1
    );
    let mut again = first.clone();
    again.published += Duration::hours(3);
    again.first_seen = again.published;
    // Seen again by a later poll: nothing to write, the first time stays.
    assert_eq!(
        store
            .keep_unmatched(std::slice::from_ref(&again), t0())
            .unwrap(),
        0
    );
    assert_eq!(walk(&store, 10).0, [first]);
}
