//! Copies of one post under other ids, against a real data directory.

use chrono::{TimeZone, Utc};
use repmon_model::{CompanyMention, Document, Mention, Sentiment, SourceKind};
use repmon_store::{Identity, Store};

fn mention(id: &str) -> Mention {
    let t = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
    let url = format!("https://blog.example/{id}");
    Mention {
        doc: Document::new(
            id,
            "blog",
            SourceKind::Feed,
            url,
            "Golf Internet ligt eruit",
            t,
        ),
        lang: "nl".into(),
        companies: vec![CompanyMention::new("golf", Sentiment::Negative, -0.5)],
    }
}

const FP: u64 = 0x0123_4567_89ab_cdef;

#[test]
fn a_near_fingerprint_under_another_id_is_a_copy_of_the_stored_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.identify(&[("a", "blog", Some(FP))], 3).unwrap(),
        [Identity::New]
    );
    store.write_mentions(&[mention("a")]).unwrap();
    store.record_copies(&[("a", "blog", FP)], &[]).unwrap();

    // Three bits off, each in another band; and four bits off in one band.
    let near = FP ^ 1 ^ (1 << 20) ^ (1 << 63);
    let far = FP ^ 0b1111 ^ (1 << 20) ^ (1 << 40) ^ (1 << 63);
    let found = store
        .identify(
            &[
                ("a", "blog", Some(near)),
                ("b", "aggregator", Some(near)),
                ("c", "aggregator", Some(far)),
                ("d", "aggregator", None),
                ("e", "aggregator", Some(!FP)),
                // A reply quoting the post on the same source is no copy.
                ("f", "blog", Some(near)),
            ],
            3,
        )
        .unwrap();
    assert_eq!(
        found,
        [
            Identity::Stored {
                fingerprint: Some(FP)
            },
            Identity::CopyOf("a".into()),
            Identity::New,
            Identity::New,
            Identity::New,
            Identity::New,
        ]
    );
}

#[test]
fn an_alias_holds_across_a_restart_and_lapses_with_its_original() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store.write_mentions(&[mention("a")]).unwrap();
        store
            .record_copies(&[("a", "blog", FP)], &[("b", "a")])
            .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    // The copy's text changed since: it is still known as a copy.
    assert_eq!(
        store
            .identify(&[("b", "x", Some(!FP)), ("b", "x", None)], 3)
            .unwrap(),
        [Identity::CopyOf("a".into()), Identity::CopyOf("a".into())]
    );
    assert_eq!(store.delete_mentions(&["a".into()]).unwrap(), 1);
    assert_eq!(
        store
            .identify(&[("b", "x", Some(FP)), ("c", "x", Some(FP))], 3)
            .unwrap(),
        [Identity::New, Identity::New],
        "copies of a removed mention are new again"
    );
}

#[test]
fn an_edited_post_is_the_original_of_its_new_text_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.write_mentions(&[mention("a")]).unwrap();
    store.record_copies(&[("a", "blog", FP)], &[]).unwrap();
    // "a" was edited: its new text replaces the old one.
    let edited = FP ^ 0xffff_0000_ffff_0000;
    store.record_copies(&[("a", "blog", edited)], &[]).unwrap();
    assert_eq!(
        store
            .identify(&[("b", "news", Some(FP)), ("c", "news", Some(edited))], 3)
            .unwrap(),
        [Identity::New, Identity::CopyOf("a".into())],
        "the old text has no original any more; the new one has"
    );
}
