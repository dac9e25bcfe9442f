//! The tantivy side: schema, tokenizers, and turning a mention into a document.

use repmon_model::Mention;
use tantivy::schema::{
    BytesOptions, DateOptions, DateTimePrecision, Field, IndexRecordOption, STORED, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{Index, TantivyDocument};

/// Tokenizer of `title` and `body`: words, lower-cased, accents folded
/// ("ideeën" finds "ideeen"), no stemming: analysts search the words they see,
/// in Dutch and English alike, and a stemmer fits only one language.
pub(crate) const TEXT_TOKENIZER: &str = "repmon_text";
/// Tokenizer of the keyword fields: the whole value as one token, lower-cased,
/// so `author:Jan` and `author:jan` both find "Jan".
pub(crate) const KEYWORD_TOKENIZER: &str = "repmon_keyword";

/// The fields of a mention document.
#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub title: Field,
    pub body: Field,
    pub company: Field,
    pub company_sentiment: Field,
    pub sentiment: Field,
    pub source: Field,
    pub kind: Field,
    pub lang: Field,
    pub author: Field,
    pub url: Field,
    pub published: Field,
    /// The whole mention as a stored record (see `record`), so a hit comes
    /// back as a `Mention`.
    pub mention: Field,
}

pub(crate) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Document ids are case sensitive (URLs): raw, not lower-cased.
    let id = b.add_text_field(
        "id",
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::Basic),
            )
            .set_stored(),
    );
    // Title and body are not stored on their own: the mention record holds
    // them already, and stored text is most of the index's size.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TEXT_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let title = b.add_text_field("title", text.clone());
    let body = b.add_text_field("body", text);
    let keyword = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(KEYWORD_TOKENIZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    // FAST so per-company counts can run as a terms aggregation.
    let company = b.add_text_field("company", keyword.clone().set_fast("raw"));
    let company_sentiment = b.add_text_field("company_sentiment", keyword.clone());
    let sentiment = b.add_text_field("sentiment", keyword.clone());
    let source = b.add_text_field("source", keyword.clone());
    let kind = b.add_text_field("kind", keyword.clone());
    let lang = b.add_text_field("lang", keyword.clone());
    let author = b.add_text_field("author", keyword);
    let url = b.add_text_field("url", STORED);
    // Microseconds, so `since`/`until` and the newest-first order are exact.
    let published = b.add_date_field(
        "published",
        DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_stored()
            .set_precision(DateTimePrecision::Microseconds),
    );
    let mention = b.add_bytes_field("mention", BytesOptions::default().set_stored());
    let fields = Fields {
        id,
        title,
        body,
        company,
        company_sentiment,
        sentiment,
        source,
        kind,
        lang,
        author,
        url,
        published,
        mention,
    };
    (b.build(), fields)
}

/// Tokenizers are not persisted with the index: register them on every open.
pub(crate) fn register_tokenizers(index: &Index) {
    let text = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(TEXT_TOKENIZER, text);
    let keyword = TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .build();
    index.tokenizers().register(KEYWORD_TOKENIZER, keyword);
}

pub(crate) fn to_date(t: chrono::DateTime<chrono::Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_micros(t.timestamp_micros())
}

/// The index document of a mention; `record` is the mention encoded.
pub(crate) fn document(f: &Fields, m: &Mention, record: &[u8]) -> TantivyDocument {
    let d = &m.doc;
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, &d.id);
    doc.add_text(f.title, &d.title);
    doc.add_text(f.body, &d.body);
    let mut labels = [false; 3];
    for c in &m.companies {
        doc.add_text(f.company, &c.company);
        let mut token = String::with_capacity(c.company.len() + 9);
        token.push_str(&c.company);
        token.push(':');
        token.push_str(c.sentiment.as_str());
        doc.add_text(f.company_sentiment, token);
        labels[c.sentiment as usize] = true;
    }
    for (present, s) in labels.iter().zip(repmon_model::Sentiment::ALL) {
        if *present {
            doc.add_text(f.sentiment, s.as_str());
        }
    }
    doc.add_text(f.source, &d.source);
    doc.add_text(f.kind, d.kind.as_str());
    doc.add_text(f.lang, &m.lang);
    if let Some(a) = &d.author {
        doc.add_text(f.author, a);
    }
    doc.add_text(f.url, &d.url);
    doc.add_date(f.published, to_date(d.published));
    doc.add_bytes(f.mention, record);
    doc
}
