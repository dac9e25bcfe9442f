//! What a user of the monitor would check: which companies a text is
//! counted for, and which way its sentiment toward each goes.

use super::*;
use chrono::{TimeZone, Utc};
use repmon_model::SourceKind;

fn company(id: &str, name: &str, terms: &[&str]) -> Company {
    Company {
        id: id.into(),
        name: name.into(),
        terms: terms.iter().map(|t| t.to_string()).collect(),
        case_sensitive: false,
        context: Vec::new(),
        exclude: Vec::new(),
        accounts: Vec::new(),
        domains: Vec::new(),
        query: None,
    }
}

fn companies() -> Vec<Company> {
    let mut zon = company("zon", "Zon Energie", &["Zon Energie", "Zon"]);
    zon.case_sensitive = true;
    zon.context = vec!["energie".into(), "stroom".into(), "contract".into()];
    zon.exclude = vec!["de zon schijnt".into()];
    zon.accounts = vec!["@zonenergie".into(), "Zon Energie Klantenservice".into()];
    zon.domains = vec!["zonenergie.example".into()];
    let mut golf = company("golf", "Golf Internet", &["Golf Internet", "Golf"]);
    golf.context = vec![
        "internet".into(),
        "wifi".into(),
        "storing".into(),
        "modem".into(),
        "glasvezel".into(),
    ];
    let mut telly = company("telly", "Telly Mobile", &["Telly Mobile", "Telly"]);
    telly.accounts = vec!["telly@social.example".into()];
    vec![
        zon,
        golf,
        telly,
        company("meeuw", "Meeuw Air", &["Meeuw Air"]),
        company(
            "rail",
            "Nederlandse Spoorwegen",
            &["Nederlandse Spoorwegen", "trein"],
        ),
        company("bol", "bol.com", &["bol.com"]),
        company("bleue", "Énergie Bleue", &["Énergie Bleue"]),
    ]
}

fn analyzer() -> Analyzer {
    Analyzer::new(&companies())
}

fn doc(title: &str, body: &str) -> Document {
    let t = Utc.with_ymd_and_hms(2026, 11, 20, 14, 3, 0).unwrap();
    let url = "https://forum.example/t/1";
    Document {
        title: title.into(),
        ..Document::new("d1", "test", SourceKind::Feed, url, body, t)
    }
}

/// The companies found in a text, in configuration order.
fn found(a: &Analyzer, text: &str) -> Vec<String> {
    a.analyze(doc("", text))
        .map(|m| m.companies.into_iter().map(|c| c.company).collect())
        .unwrap_or_default()
}

/// The label toward `company` in `text`, panicking with the mention when the
/// company is not found.
fn label_of(a: &Analyzer, text: &str, company: &str) -> Sentiment {
    let m = a
        .analyze(doc("", text))
        .unwrap_or_else(|| panic!("no mention in {text:?}"));
    m.about(company)
        .unwrap_or_else(|| panic!("{company} not found in {text:?}: {m:?}"))
        .sentiment
}

fn score_of(a: &Analyzer, text: &str, company: &str) -> f32 {
    a.analyze(doc("", text))
        .and_then(|m| m.about(company).map(|c| c.score))
        .expect("company found")
}

use Sentiment::{Negative, Neutral, Positive};

#[test]
fn whole_words_only() {
    let a = analyzer();
    assert!(found(&a, "Zondag viel de stroom uit in heel Utrecht.").is_empty());
    assert!(found(&a, "Golfinternetten in de Golfstaten, storing of niet.").is_empty());
    assert_eq!(
        found(&a, "Zon heeft mijn stroom contract verlengd."),
        ["zon"]
    );
    assert_eq!(found(&a, "Besteld bij bol.com."), ["bol"]);
    assert!(found(&a, "Lees bol.communicatie over stroom.").is_empty());
}

#[test]
fn case_sensitive_and_insensitive_companies() {
    let a = analyzer();
    // Zon is case-sensitive: the common word "zon" is not the company.
    assert!(found(&a, "de zon gaf vandaag veel energie").is_empty());
    assert!(found(&a, "ZON ENERGIE stroom").is_empty());
    assert_eq!(found(&a, "Zon gaf vandaag veel energie"), ["zon"]);
    // Golf is not: any case counts, as do non-ASCII letters.
    assert_eq!(found(&a, "GOLF INTERNET heeft weer een storing"), ["golf"]);
    assert_eq!(found(&a, "ÉNERGIE BLEUE is geweldig"), ["bleue"]);
    assert_eq!(found(&a, "énergie bleue is geweldig"), ["bleue"]);
}

#[test]
fn context_words_are_required_for_companies_that_have_them() {
    let a = analyzer();
    assert!(found(&a, "Golf is een mooie sport, ik speel elke zondag.").is_empty());
    assert_eq!(found(&a, "Golf heeft weer een storing."), ["golf"]);
    // Context words are whole words too, and may stand anywhere in the document.
    assert!(found(&a, "Golf en wifibereik").is_empty());
    assert_eq!(
        found(&a, "Golf. Lang verhaal.\n\nMaar de wifi doet het weer."),
        ["golf"]
    );
}

#[test]
fn exclude_phrases_veto_the_match_they_cover() {
    let a = analyzer();
    assert!(found(&a, "De Zon schijnt weer, dus ik lever stroom terug.").is_empty());
    assert!(
        found(
            &a,
            "de zon schijnt en Zon schijnt niet te snappen hoe stroom werkt"
        )
        .contains(&"zon".to_string())
    );
    assert_eq!(
        found(
            &a,
            "De zon schijnt, maar Zon Energie rekent te veel voor stroom."
        ),
        ["zon"]
    );
}

#[test]
fn hashtags_handles_possessives_and_hyphens() {
    let a = analyzer();
    assert_eq!(
        found(&a, "@zonenergie waarom is mijn stroom weer uitgevallen?"),
        ["zon"]
    );
    assert_eq!(
        label_of(
            &a,
            "@zonenergie waarom is mijn stroom weer uitgevallen? Slecht!",
            "zon"
        ),
        Negative
    );
    assert_eq!(found(&a, "Weer geen stroom #ZonEnergie"), ["zon"]);
    assert_eq!(found(&a, "Weer geen stroom #zonenergie"), ["zon"]);
    assert_eq!(
        found(&a, "Zon's klantenservice belde over mijn contract."),
        ["zon"]
    );
    assert_eq!(found(&a, "Zon-contract opgezegd."), ["zon"]);
    assert_eq!(found(&a, "Mijn Zon-Energie contract"), ["zon"]);
    assert_eq!(found(&a, "Alles besteld via #bolcom"), ["bol"]);
    // A handle of the company's own is a mention even without context words.
    assert_eq!(found(&a, "hoi @telly@social.example"), ["telly"]);
}

#[test]
fn multi_word_names_across_a_line_break() {
    let a = analyzer();
    assert_eq!(
        found(&a, "Ik vlieg altijd met Meeuw\nAir naar Malaga."),
        ["meeuw"]
    );
    assert_eq!(
        found(&a, "Ik vlieg altijd met Meeuw \r\n   Air naar Malaga."),
        ["meeuw"]
    );
    // A blank line separates paragraphs; a name does not run across it.
    assert!(found(&a, "Wat een meeuw\n\nAir is ook leuk").is_empty());
}

#[test]
fn sentiment_is_per_company_in_one_document() {
    let a = analyzer();
    let text = "Meeuw Air was weer te laat, maar de trein reed prima.";
    assert_eq!(label_of(&a, text, "meeuw"), Negative);
    assert_eq!(label_of(&a, text, "rail"), Positive);
    let text = "Telly Mobile has a terrible network. Golf Internet on the other hand is fast and reliable, no storing at all.";
    assert_eq!(label_of(&a, text, "telly"), Negative);
    assert_eq!(label_of(&a, text, "golf"), Positive);
}

#[test]
fn negation_and_its_scope() {
    let a = analyzer();
    assert_eq!(
        label_of(
            &a,
            "De klantenservice van Telly was niet behulpzaam.",
            "telly"
        ),
        Negative
    );
    assert_eq!(
        label_of(&a, "Telly support was not helpful at all.", "telly"),
        Negative
    );
    assert_eq!(label_of(&a, "Telly isn't bad at all.", "telly"), Positive);
    assert_eq!(label_of(&a, "Golf internet werkt niet.", "golf"), Negative);
    assert_eq!(
        label_of(
            &a,
            "Golf internet: nooit meer een storing gehad, geen probleem.",
            "golf"
        ),
        Positive
    );
    // The negation reaches a few words, not the whole sentence.
    assert_eq!(
        label_of(
            &a,
            "Not what I expected from Telly, they were fast, friendly and helpful.",
            "telly"
        ),
        Positive
    );
}

/// From the end-to-end run: "zonder" must not turn "geannuleerd" around,
/// no negation reaches past a sentence end, and "slecht geregeld" is bad.
#[test]
fn negation_stops_at_the_sentence_end_and_zonder_only_looks_ahead() {
    let a = analyzer();
    assert_eq!(
        label_of(
            &a,
            "Meeuw Air heeft mijn vlucht geannuleerd zonder bericht. Slecht geregeld.",
            "meeuw"
        ),
        Negative
    );
    // Each half on its own is negative too.
    assert_eq!(
        label_of(
            &a,
            "Meeuw Air heeft mijn vlucht geannuleerd zonder bericht.",
            "meeuw"
        ),
        Negative
    );
    assert_eq!(
        label_of(&a, "Meeuw Air: slecht geregeld.", "meeuw"),
        Negative
    );
    assert_eq!(label_of(&a, "Meeuw Air: goed geregeld.", "meeuw"), Positive);
    // "zonder" still negates what follows it.
    assert_eq!(
        label_of(&a, "Meeuw Air landde zonder problemen.", "meeuw"),
        Positive
    );
    // A negation at a sentence end does not reach into the next sentence,
    // nor back from the next sentence into this one.
    assert_eq!(
        label_of(&a, "Telly support was not. Great, helpful staff.", "telly"),
        Positive
    );
    assert_eq!(
        label_of(&a, "Golf internet is prima. Niet te geloven.", "golf"),
        Positive
    );
    assert_eq!(
        label_of(&a, "The Telly app crashed. Never again.", "telly"),
        Negative
    );
    // A negated verb phrase: the verb's own praise goes with it.
    assert_eq!(
        label_of(&a, "De app van Telly werkt niet goed.", "telly"),
        Negative
    );
    assert_eq!(
        label_of(&a, "De app van Telly werkt niet.", "telly"),
        Negative
    );
    assert_eq!(label_of(&a, "Telly: goed en niet duur.", "telly"), Positive);
}

#[test]
fn intensifiers_and_diminishers() {
    let a = analyzer();
    let plain = score_of(&a, "Telly support was helpful.", "telly");
    let very = score_of(&a, "Telly support was very helpful.", "telly");
    let bit = score_of(&a, "Telly support was a bit helpful.", "telly");
    assert!(
        very > plain && plain > bit && bit > 0.0,
        "{very} {plain} {bit}"
    );
    let plain = score_of(&a, "Golf internet is traag.", "golf");
    let heel = score_of(&a, "Golf internet is heel erg traag.", "golf");
    assert!(heel < plain && plain < 0.0, "{heel} {plain}");
    assert!(
        score_of(&a, "Golf internet is slechttt!!!", "golf")
            < score_of(&a, "Golf internet is slecht", "golf")
    );
}

#[test]
fn contrast_moves_the_weight_to_what_follows() {
    let a = analyzer();
    assert_eq!(
        label_of(&a, "Telly is cheap, but the service is terrible.", "telly"),
        Negative
    );
    assert_eq!(
        label_of(
            &a,
            "Telly had een storing, maar het werd snel en vriendelijk opgelost.",
            "telly"
        ),
        Positive
    );
    assert_eq!(
        label_of(
            &a,
            "Hoewel Telly duur is, is de service uitstekend.",
            "telly"
        ),
        Positive
    );
}

#[test]
fn emoji_and_emoticons() {
    let a = analyzer();
    assert_eq!(label_of(&a, "Telly 😡😡", "telly"), Negative);
    assert_eq!(label_of(&a, "Telly Mobile 👍", "telly"), Positive);
    assert_eq!(label_of(&a, "bol.com bezorging :(", "bol"), Negative);
    assert_eq!(label_of(&a, "bol.com bezorging :D", "bol"), Positive);
}

#[test]
fn news_without_sentiment_words_is_neutral() {
    let a = analyzer();
    let m = a
        .analyze(doc(
            "Kwartaalcijfers",
            "Zon Energie maakt op donderdag 12 november de cijfers over het derde kwartaal bekend. Het bedrijf levert stroom aan 300.000 huishoudens.",
        ))
        .unwrap();
    assert_eq!(m.lang, "nl");
    assert_eq!(m.about("zon").unwrap().sentiment, Neutral);
    assert_eq!(m.about("zon").unwrap().score, 0.0);
    assert_eq!(
        label_of(
            &a,
            "Telly Mobile will publish its third-quarter figures on Thursday.",
            "telly"
        ),
        Neutral
    );
}

#[test]
fn unclaimed_sentences_speak_for_the_only_company() {
    let a = analyzer();
    assert_eq!(
        label_of(
            &a,
            "Vandaag Telly gebeld over mijn abonnement. Wat een ramp, drie kwartier in de wacht!",
            "telly"
        ),
        Negative
    );
}

#[test]
fn owned_posts_by_account_or_domain() {
    let a = analyzer();
    let mut d = doc("", "Wij werken aan de storing, excuses. Zon Energie");
    d.author = Some("@ZonEnergie".into());
    assert!(a.analyze(d.clone()).unwrap().about("zon").unwrap().owned);
    d.author = Some("zon energie klantenservice".into());
    assert!(a.analyze(d.clone()).unwrap().about("zon").unwrap().owned);
    d.author = Some("boze_klant".into());
    assert!(!a.analyze(d.clone()).unwrap().about("zon").unwrap().owned);
    d.url = "https://blog.zonenergie.example/nieuws/storing".into();
    assert!(a.analyze(d.clone()).unwrap().about("zon").unwrap().owned);
    d.url = "https://zonenergie.example.evil.test/x".into();
    assert!(!a.analyze(d.clone()).unwrap().about("zon").unwrap().owned);
    let mut t = doc("", "Telly Mobile here: we fixed it!");
    t.author = Some("telly@social.example".into());
    assert!(a.analyze(t).unwrap().about("telly").unwrap().owned);
}

#[test]
fn a_companys_own_answer_counts_for_it_without_naming_it() {
    let a = analyzer();
    // A webcare answer names the customer, not the company.
    let mut d = doc(
        "",
        "@anna Wat vervelend! We sturen je een DM om mee te kijken.",
    );
    d.author = Some("zonenergie@mastodon.example".into());
    let m = a
        .analyze(d.clone())
        .expect("the company's own answer is kept");
    let zon = m.about("zon").unwrap();
    assert!(zon.owned);
    assert_eq!(m.companies.len(), 1, "{:?}", m.companies);
    // The same words by anyone else name no company.
    d.author = Some("anna".into());
    assert!(a.analyze(d.clone()).is_none());
    // Another instance's user of the same name is not the company.
    d.author = Some("telly@elders.example".into());
    assert!(a.analyze(d.clone()).is_none());
    d.author = Some("telly@social.example".into());
    assert!(a.analyze(d.clone()).unwrap().about("telly").unwrap().owned);
    // A post on the company's own site (or a subdomain) is its own too.
    d.author = None;
    d.url = "https://nieuws.zonenergie.example/2026/tarieven".into();
    assert!(a.analyze(d.clone()).unwrap().about("zon").unwrap().owned);
    d.url = "https://zonenergie.example.evil.test/x".into();
    assert!(a.analyze(d).is_none());
}

#[test]
fn reviews_use_about_and_star_ratings() {
    let a = analyzer();
    let mut d = doc("", "Vlucht naar Malaga, stoel 14C.");
    d.kind = SourceKind::Reviews;
    d.about = Some("meeuw".into());
    d.rating = Some(1.0);
    let m = a.analyze(d.clone()).expect("about names the company");
    assert_eq!(m.companies.len(), 1);
    assert_eq!(m.about("meeuw").unwrap().sentiment, Negative);
    d.rating = Some(5.0);
    assert_eq!(
        a.analyze(d.clone())
            .unwrap()
            .about("meeuw")
            .unwrap()
            .sentiment,
        Positive
    );
    d.rating = Some(3.0);
    assert_eq!(
        a.analyze(d.clone())
            .unwrap()
            .about("meeuw")
            .unwrap()
            .sentiment,
        Neutral
    );
    // Stars outweigh mild words: two stars with "prima eten" is still negative.
    d.body = "Prima eten aan boord, maar de stoelen zaten krap.".into();
    d.rating = Some(2.0);
    assert_eq!(
        a.analyze(d.clone())
            .unwrap()
            .about("meeuw")
            .unwrap()
            .sentiment,
        Negative
    );
    // An unknown or absent `about` with no name in the text is no mention.
    d.about = Some("unknown".into());
    assert!(a.analyze(d).is_none());
}

#[test]
fn language_is_detected_or_taken_from_the_hint() {
    let a = analyzer();
    let m = a
        .analyze(doc(
            "",
            "Telly Mobile has the worst customer service I have ever dealt with.",
        ))
        .unwrap();
    assert_eq!(m.lang, "en");
    assert_eq!(m.about("telly").unwrap().sentiment, Negative);
    let m = a
        .analyze(doc(
            "",
            "De klantenservice van Telly Mobile is de slechtste die ik ooit heb meegemaakt.",
        ))
        .unwrap();
    assert_eq!(m.lang, "nl");
    assert_eq!(m.about("telly").unwrap().sentiment, Negative);
    let m = a
        .analyze(doc("", "Der Kundenservice von Telly Mobile ist der schlechteste, den ich je erlebt habe. Wirklich furchtbar."))
        .unwrap();
    assert_eq!(m.lang, "other");
    assert_eq!(m.about("telly").unwrap().sentiment, Neutral);
    let mut d = doc("", "Telly top");
    d.lang_hint = Some("nl-NL".into());
    assert_eq!(a.analyze(d).unwrap().lang, "nl");
}

#[test]
fn terms_are_content_words_from_the_company_clauses() {
    let a = analyzer();
    let m = a
        .analyze(doc(
            "Storing",
            "Golf Internet heeft weer een storing in Utrecht, de wifi valt steeds weg. Meeuw Air serveert lekkere koffie.",
        ))
        .unwrap();
    let golf = &m.about("golf").unwrap().terms;
    assert!(golf.contains(&"storing".to_string()), "{golf:?}");
    assert!(golf.contains(&"wifi".to_string()), "{golf:?}");
    assert!(golf.contains(&"utrecht".to_string()), "{golf:?}");
    assert!(
        !golf
            .iter()
            .any(|t| t == "golf" || t == "internet" || t == "de" || t == "een"),
        "{golf:?}"
    );
    assert!(!golf.iter().any(|t| t == "koffie"), "{golf:?}");
    assert!(
        m.about("meeuw")
            .unwrap()
            .terms
            .contains(&"koffie".to_string())
    );
    let long = format!(
        "Telly {}",
        (0..40)
            .map(|i| format!("woord{i}x"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert!(
        a.analyze(doc("", &long))
            .unwrap()
            .about("telly")
            .unwrap()
            .terms
            .len()
            <= 12
    );
}

#[test]
fn public_sentiment_function() {
    assert!(
        sentiment(
            "De bezorging was snel en de klantenservice heel vriendelijk.",
            "nl"
        ) > 0.3
    );
    assert!(
        sentiment(
            "Al drie dagen storing en niemand neemt op. Waardeloos!",
            "nl"
        ) < -0.3
    );
    assert!(sentiment("Refund took ages and support was rude.", "en") < -0.3);
    assert!(sentiment("Great app, quick delivery, very helpful staff :)", "en") > 0.3);
    assert_eq!(sentiment("Wirklich furchtbar schlecht", "de"), 0.0);
    assert_eq!(sentiment("", "en"), 0.0);
}

#[test]
fn untrusted_input_never_panics() {
    let a = analyzer();
    let nasty = [
        "",
        "   \n\n\n  ",
        "Zon",
        "@",
        "#",
        "@@@@zonenergie@@",
        "Zon\u{0}Energie stroom",
        "İstanbul ZON İ Zon energie stroom ẞ ǅ",
        "Zon Energie 👍🏽👍🏿‍🔥 :-) :( <3 </3 >:( :/ https://x:/",
        "niet niet niet niet geen nooit",
        "goeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeed Telly",
        "Telly!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        "maar maar maar but but hoewel, hoewel, Telly",
        "\u{feff}\u{200b}Te\u{ad}lly",
        "Telly Mobile\u{2028}\u{2029}bol.com.",
        // Capitalised runs, as the proper-name check reads them.
        "Telly Mobile sponsort İstanbul Good ĲSSEL Ǆemal 'Happy Valley' of",
        "'Telly' Good 'Wife' \u{307}Happy Of The Good",
    ];
    for body in nasty {
        for title in ["", "Telly", "\n", "  The Good Wife  "] {
            let mut d = doc(title, body);
            d.rating = Some(f32::NAN);
            d.author = Some("@".into());
            d.url = "::::".into();
            if let Some(m) = a.analyze(d) {
                for c in &m.companies {
                    assert!((-1.0..=1.0).contains(&c.score), "{c:?}");
                }
            }
            let _ = sentiment(body, "nl");
            let _ = detect_language(body);
        }
    }
    // No companies at all is a valid (if quiet) configuration.
    assert!(Analyzer::new(&[]).analyze(doc("Telly", "Telly")).is_none());
}

#[test]
fn analyzer_is_shareable_across_threads() {
    fn is_send_sync<T: Send + Sync>() {}
    is_send_sync::<Analyzer>();
    let a = std::sync::Arc::new(analyzer());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let a = a.clone();
            std::thread::spawn(move || {
                let text = if i % 2 == 0 {
                    "Telly is great"
                } else {
                    "Telly is awful"
                };
                (i, a.analyze(doc("", text)).unwrap().companies[0].sentiment)
            })
        })
        .collect();
    for h in handles {
        let (i, s) = h.join().unwrap();
        assert_eq!(s, if i % 2 == 0 { Positive } else { Negative });
    }
}

#[test]
fn a_company_query_filters_its_matches() {
    let mut golf = company("golf", "Golf Internet", &["Golf Internet", "Golf"]);
    golf.query = Some("(storing OR wifi OR \"golf internet\") NOT golfbaan".into());
    let mut meeuw = company("meeuw", "Meeuw Air", &["Meeuw Air", "Meeuw"]);
    meeuw.query = Some("meeuw NEAR/3 (vlucht)".into()); // groups are not allowed: ignored
    let mut rail = company("rail", "SnelSpoor", &["SnelSpoor"]);
    rail.query = Some("\"trein vertraging\"~2 OR snelspoor NEAR/2 storing".into());
    let a = Analyzer::new(&[golf, meeuw, rail]);
    assert_eq!(found(&a, "Golf heeft weer een storing."), ["golf"]);
    assert!(found(&a, "Golf op de golfbaan, geen storing.").is_empty());
    assert!(found(&a, "Golf is een mooie sport.").is_empty());
    assert_eq!(found(&a, "Overgestapt naar Golf Internet."), ["golf"]);
    // An unparsable query (config not validated) filters nothing.
    assert_eq!(found(&a, "Meeuw op het strand"), ["meeuw"]);
    // Proximity: near enough, or too far apart.
    assert_eq!(found(&a, "SnelSpoor: weer storing"), ["rail"]);
    assert!(
        found(
            &a,
            "SnelSpoor rijdt. Verder hoorde ik dat er ergens een storing was."
        )
        .is_empty()
    );
    assert_eq!(
        found(&a, "SnelSpoor: de trein had flinke vertraging"),
        ["rail"]
    );
    // The filter applies to the other companies of a document independently.
    assert_eq!(
        found(&a, "Golf wifi ligt eruit en SnelSpoor rijdt gewoon"),
        ["golf"]
    );
    assert_eq!(
        a.companies_in("", "SnelSpoor storing, Golf wifi"),
        ["golf", "rail"]
    );
}

#[test]
fn a_company_name_made_of_sentiment_words_is_not_a_judgement() {
    let a = Analyzer::new(&[
        company("goed", "Goed Wonen", &["Goed Wonen"]),
        company("perfect", "Perfect Parcels", &["Perfect Parcels"]),
    ]);
    let news = "Goed Wonen verhoogt per 1 januari de huur van de woningen.";
    assert_eq!(label_of(&a, news, "goed"), Neutral);
    assert_eq!(score_of(&a, news, "goed"), 0.0);
    assert_eq!(
        label_of(
            &a,
            "Goed Wonen reageert weer niet, slechte service.",
            "goed"
        ),
        Negative
    );
    assert_eq!(
        label_of(
            &a,
            "Perfect Parcels opens a new depot in Utrecht next month.",
            "perfect"
        ),
        Neutral
    );
    assert_eq!(
        label_of(
            &a,
            "Perfect Parcels lost my parcel again. Terrible.",
            "perfect"
        ),
        Negative
    );
    // The same words outside the name still count.
    assert_eq!(
        label_of(
            &a,
            "Perfect Parcels was perfect today, right on time",
            "perfect"
        ),
        Positive
    );
}

#[test]
fn praise_marked_as_irony_is_a_complaint() {
    let a = analyzer();
    // The eye roll sits in a clause of its own, after the company's.
    let text = "Alweer stilgestaan bij Amersfoort. Bedankt Meeuw Air, echt top geregeld. 🙄";
    assert_eq!(label_of(&a, text, "meeuw"), Negative);
    let text = "Golf Internet is fast and reliable, love it #sarcasm";
    assert_eq!(label_of(&a, text, "golf"), Negative);
    // Without the mark the same praise stands, and a mark turns no complaint.
    assert_eq!(
        label_of(&a, "Bedankt Meeuw Air, echt top geregeld.", "meeuw"),
        Positive
    );
    assert_eq!(
        label_of(&a, "Telly has a terrible network 🙃", "telly"),
        Negative
    );
    assert!(sentiment("Geweldig hoor, de kaartjes worden weer duurder. 🙃", "nl") < -0.05);
    assert!(sentiment("De treinen rijden weer op tijd, top!", "nl") > 0.05);
}

#[test]
fn words_inside_other_names_judge_nothing() {
    // A show, a restaurant and a soap named with words of judgement.
    assert_eq!(
        sentiment("The Good Wife returns Sunday at 9/8c on CBS", "en"),
        0.0
    );
    assert_eq!(
        sentiment(
            "Serena Williams will be on Good Morning America tomorrow",
            "en"
        ),
        0.0
    );
    assert_eq!(
        sentiment("Het restaurant heet 'Het Verloren Paradijs'.", "nl"),
        0.0
    );
    let a = analyzer();
    let text = "Golf Internet sponsort vanaf januari Goede Tijden, Slechte Tijden.";
    assert_eq!(label_of(&a, text, "golf"), Neutral);
    // A sentence's first word is capitalised anyway, greetings are no
    // names, and a headline in title case names nothing this way.
    assert_eq!(
        label_of(&a, "Bedankt Golf Internet, weer snel internet!", "golf"),
        Positive
    );
    assert!(sentiment("Love Taylor Swift's new album", "en") > 0.05);
    assert!(sentiment("Wishing you all a Happy New Year", "en") > 0.05);
    assert!(sentiment("Apple Announces Great New Phone Today", "en") > 0.05);
    // The same words in lower case judge as ever.
    assert!(sentiment("she is a good wife and a happy mother", "en") > 0.05);
    assert!(sentiment("what a good place to eat", "en") > 0.05);
}
