//! A small web on 127.0.0.1 about five fictional Dutch companies, serving
//! each source kind repmon reads: an RSS blog (Dutch), an Atom forum feed
//! (English), a JSON Feed, a forum page, a review page and a Mastodon API.
//!
//! It has two phases. In the first it serves two weeks of history (what a
//! cold start finds). In the second, "Golf Internet" gets a wave of angry
//! posts, which must push it down the ranking and raise one alert.
//! Feeds answer conditional requests like a real server would.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One post as the fixture web publishes it.
#[derive(Clone, Debug)]
pub struct Post {
    pub id: String,
    pub title: String,
    pub body: String,
    pub author: String,
    pub published: DateTime<Utc>,
}

impl Post {
    fn new(
        id: impl Into<String>,
        title: &str,
        body: &str,
        author: impl Into<String>,
        published: DateTime<Utc>,
    ) -> Post {
        Post {
            id: id.into(),
            title: title.into(),
            body: body.into(),
            author: author.into(),
            published,
        }
    }
}

pub struct Fixtures {
    pub now: DateTime<Utc>,
    phase: AtomicUsize,
    /// Requests that carried a validator and were answered 304.
    pub not_modified: AtomicUsize,
    pub requests: AtomicUsize,
}

/// Texts that name no tracked company although they contain a company's
/// word: the matcher must leave them alone.
pub const DECOYS: &[&str] = &[
    "De zon schijnt vandaag heerlijk in Utrecht, dus iedereen zit op het terras.",
    "Er kwam een golf van reacties op het nieuws over de verkiezingen.",
    "Golf spelen op zondag is ontspannend, zeker met goed weer.",
];

/// The document that names two companies with opposite sentiment.
pub const TWO_COMPANIES: &str = "Meeuw Air was weer vreselijk laat en het personeel was onbeschoft, maar SnelSpoor reed prima en op tijd.";

impl Fixtures {
    pub fn new() -> Arc<Fixtures> {
        Arc::new(Fixtures {
            now: Utc::now(),
            phase: AtomicUsize::new(0),
            not_modified: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
        })
    }

    /// Starts the negative wave about Golf Internet.
    pub fn start_wave(&self) {
        self.phase.store(1, Ordering::SeqCst);
    }

    fn wave(&self) -> bool {
        self.phase.load(Ordering::SeqCst) >= 1
    }

    fn at(&self, days: i64, hours: i64) -> DateTime<Utc> {
        self.now - Duration::days(days) - Duration::hours(hours)
    }

    /// Dutch blog posts (RSS 2.0).
    pub fn blog(&self) -> Vec<Post> {
        let mut posts = Vec::new();
        let mut add = |id: String, title: &str, body: &str, author: &str, t| {
            posts.push(Post::new(id, title, body, author, t))
        };
        let golf_good = [
            "Golf Internet is geweldig: supersnelle glasvezel en een heel vriendelijke helpdesk.",
            "Tevreden over Golf Internet, de wifi is snel en stabiel. Echt een aanrader!",
            "Overgestapt naar Golf Internet en erg blij met de snelle installatie.",
        ];
        let zon_good = [
            "Zon Energie levert groene stroom en de klantenservice is top. Heel tevreden met mijn contract.",
            "Mijn energierekening bij Zon Energie is lager dan verwacht, fijn en duidelijk contract.",
        ];
        let kaas_good = [
            "De nieuwe kaas van KaasKoning is heerlijk, prima kwaliteit en vriendelijke verkopers.",
        ];
        for i in 0..14 {
            // Two weeks of history, one of each kind a day; the previous window has data too.
            add(
                format!("blog-golf-{i}"),
                "Ervaring met internet",
                golf_good[i % 3],
                &format!("lezer{}", i % 5),
                self.at(i as i64, 3),
            );
            add(
                format!("blog-zon-{i}"),
                "Energie thuis",
                zon_good[i % 2],
                &format!("bewoner{}", i % 4),
                self.at(i as i64, 5),
            );
            if i % 2 == 0 {
                add(
                    format!("blog-kaas-{i}"),
                    "Kaasmarkt",
                    kaas_good[0],
                    &format!("proever{}", i % 3),
                    self.at(i as i64, 7),
                );
            }
        }
        for (i, d) in DECOYS.iter().enumerate() {
            add(
                format!("blog-decoy-{i}"),
                "Zomaar een dag",
                d,
                "buurman",
                self.at(1, i as i64),
            );
        }
        add(
            "blog-two".into(),
            "Op reis",
            TWO_COMPANIES,
            "reiziger",
            self.at(2, 1),
        );
        if self.wave() {
            let angry = [
                "Golf Internet storing: de wifi werkt weer niet en de app crasht bij inloggen. Slechte service!",
                "Alweer een storing bij Golf Internet. Wifi kapot, app crasht, helpdesk onbereikbaar. Waardeloos.",
                "Golf Internet is echt slecht: uren storing, de app crasht bij inloggen en niemand helpt.",
            ];
            for i in 0..45 {
                add(
                    format!("blog-golf-wave-{i}"),
                    "Storing!",
                    angry[i % 3],
                    &format!("boos{}", i % 6),
                    self.now - Duration::minutes(10 + i as i64),
                );
            }
        }
        posts
    }

    /// English forum posts (Atom).
    pub fn forum(&self) -> Vec<Post> {
        let mut posts = Vec::new();
        for i in 0..12 {
            let t = self.at(i, 9);
            posts.push(Post::new(
                format!("urn:forum:meeuw:{i}"),
                "Flight report",
                "Meeuw Air lost my luggage again. Terrible service, never flying with them again.",
                format!("flyer{}", i % 4),
                t,
            ));
            posts.push(Post::new(
                format!("urn:forum:spoor:{i}"),
                "Commute",
                "SnelSpoor trains were on time and the staff were really helpful. Great experience.",
                format!("commuter{}", i % 5),
                t + Duration::hours(1),
            ));
        }
        for i in 0..14 {
            // Golf Internet is the big name here: a second positive post a day.
            posts.push(Post::new(
                format!("urn:forum:golf:{i}"),
                "Broadband",
                "Golf Internet has fast and reliable wifi, and their router is great.",
                format!("user{}", i % 6),
                self.at(i, 11),
            ));
        }
        if self.wave() {
            for i in 0..20 {
                posts.push(Post::new(
                    format!("urn:forum:golf-wave:{i}"),
                    "Outage",
                    "Golf Internet outage again, the wifi is down and support is terrible. Awful.",
                    format!("angry{}", i % 4),
                    self.now - Duration::minutes(5 + i),
                ));
            }
        }
        posts
    }

    /// Neutral news (JSON Feed).
    pub fn news(&self) -> Vec<Post> {
        (0..6)
            .map(|i| {
                Post::new(
                    format!("news-kaas-{i}"),
                    "Bedrijfsnieuws",
                    "KaasKoning opent maandag een winkel in Gouda.",
                    "redactie",
                    self.at(i * 2, 2),
                )
            })
            .collect()
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn rss(f: &Fixtures, base: &str) -> String {
    let mut items = String::new();
    for p in f.blog() {
        items.push_str(&format!(
            "<item><title>{}</title><link>{base}/blog/{}</link><guid>{base}/blog/{}</guid><dc:creator>{}</dc:creator><pubDate>{}</pubDate><description>&lt;p&gt;{}&lt;/p&gt;</description></item>\n",
            escape(&p.title), p.id, p.id, escape(&p.author), p.published.to_rfc2822(), escape(&escape(&p.body))
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>Consumentenblog</title><link>{base}/blog/</link><language>nl</language>\n{items}</channel></rss>\n"
    )
}

fn atom(f: &Fixtures, base: &str) -> String {
    let mut entries = String::new();
    for p in f.forum() {
        let slug = p.id.replace(':', "-");
        entries.push_str(&format!(
            "<entry><id>{}</id><title>{}</title><link href=\"/forum/{slug}\"/><author><name>{}</name></author><published>{}</published><updated>{}</updated><content type=\"html\">{}</content></entry>\n",
            p.id, escape(&p.title), escape(&p.author), p.published.to_rfc3339(), p.published.to_rfc3339(), escape(&p.body)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"{base}/\"><title>Travellers forum</title><id>urn:forum</id><updated>{}</updated>\n{entries}</feed>\n",
        f.now.to_rfc3339()
    )
}

fn json_feed(f: &Fixtures, base: &str) -> String {
    let items: Vec<serde_json::Value> = f
        .news()
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.id, "url": format!("{base}/news/{}", p.id), "title": p.title,
                "content_text": p.body, "date_published": p.published.to_rfc3339(),
                "authors": [{"name": p.author}]
            })
        })
        .collect();
    serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "Nieuws", "items": items}).to_string()
}

fn forum_page(f: &Fixtures) -> String {
    let t = |d, h| f.at(d, h).to_rfc3339();
    format!(
        r#"<!doctype html><html><body><div class="thread">
<article class="post"><span class="author">klant1</span><time datetime="{}">gisteren</time><a class="permalink" href="/board/t1#p1">#1</a>
<div class="body"><p>Meeuw Air heeft mijn vlucht geannuleerd zonder bericht. Slecht geregeld.</p></div></article>
<article class="post"><span class="author">klant2</span><time datetime="{}">vandaag</time><a class="permalink" href="/board/t1#p2">#2</a>
<div class="body"><p>Bij SnelSpoor kreeg ik juist snel mijn geld terug, top service!</p></div></article>
</div></body></html>"#,
        t(1, 4),
        t(0, 6)
    )
}

fn reviews_page(f: &Fixtures) -> String {
    let review = serde_json::json!({
        "@context": "https://schema.org", "@type": "Organization", "name": "Zon Energie",
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": 4.5, "reviewCount": 2},
        "review": [
            {"@type": "Review", "author": {"@type": "Person", "name": "Anna"}, "datePublished": f.at(3, 0).to_rfc3339(),
             "reviewBody": "Snelle overstap, duidelijke communicatie en een eerlijk tarief.",
             "reviewRating": {"@type": "Rating", "ratingValue": 5, "bestRating": 5}},
            {"@type": "Review", "author": {"@type": "Person", "name": "Bram"}, "datePublished": f.at(4, 0).to_rfc3339(),
             "reviewBody": "Prima leverancier, vriendelijke medewerkers.",
             "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5}}
        ]
    });
    format!(
        "<!doctype html><html><head><script type=\"application/ld+json\">{review}</script></head><body><h1>Reviews</h1></body></html>"
    )
}

fn statuses(f: &Fixtures, base: &str) -> String {
    let s = |id: &str, reply: Option<&str>, text: &str, acct: &str, days| {
        serde_json::json!({
            "id": id, "uri": format!("{base}/users/{acct}/statuses/{id}"), "url": format!("{base}/@{acct}/{id}"),
            "created_at": f.at(days, 2).to_rfc3339(), "in_reply_to_id": reply, "language": "nl",
            "content": format!("<p>{}</p>", escape(text)), "reblog": null,
            "account": {"id": format!("acc-{acct}"), "username": acct, "acct": acct, "display_name": acct, "url": format!("{base}/@{acct}")}
        })
    };
    serde_json::json!([
        s(
            "1002",
            Some("1001"),
            "@reiziger1 SnelSpoor: wat fijn dat alles goed ging! Dank voor je bericht.",
            "snelspoor",
            1
        ),
        s(
            "1001",
            None,
            "Vandaag met #snelspoor naar Groningen, heerlijk rustig en op tijd. Top!",
            "reiziger1",
            1
        ),
    ])
    .to_string()
}

type Shared = (Arc<Fixtures>, String);

/// Answers with a strong validator; a request that echoes it gets 304.
fn conditional(
    f: &Fixtures,
    headers: &HeaderMap,
    content_type: &'static str,
    body: String,
) -> Response {
    f.requests.fetch_add(1, Ordering::SeqCst);
    let etag = format!("\"{:x}\"", repmon_model::hash::fnv1a(body.as_bytes()));
    let echoed = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if echoed == Some(etag.as_str()) {
        f.not_modified.fetch_add(1, Ordering::SeqCst);
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, HeaderValue::from_str(&etag).unwrap())],
        )
            .into_response();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, HeaderValue::from_str(&etag).unwrap()),
        ],
        body,
    )
        .into_response()
}

/// A GET route that answers conditionally (see [`conditional`]) with what
/// `page` writes for the current phase, given the web's base URL.
fn conditional_page(
    content_type: &'static str,
    page: fn(&Fixtures, &str) -> String,
) -> axum::routing::MethodRouter<Shared> {
    get(
        move |State((f, b)): State<Shared>, h: HeaderMap| async move {
            conditional(&f, &h, content_type, page(&f, &b))
        },
    )
}

/// A site's home page that names its feeds, for `sources import URL`.
const SITE_PAGE: &str = "<!DOCTYPE html><html><head><title>Forum</title>\
    <link rel=\"alternate\" type=\"application/atom+xml\" title=\"Forum &amp; Reacties\" href=\"/forum/atom.xml?via=site\">\
    <link rel=\"alternate\" type=\"application/rss+xml\" href=\"/blog/feed.xml\">\
    </head><body>Welkom</body></html>";

/// Serves the fixture web on 127.0.0.1; returns its base URL.
pub async fn serve(f: Arc<Fixtures>) -> String {
    super::serve_web(|base| {
        let state: Shared = (f, base.to_string());
        Router::new()
            .route(
                "/blog/feed.xml",
                conditional_page("application/rss+xml; charset=utf-8", rss),
            )
            .route(
                "/forum/atom.xml",
                conditional_page("application/atom+xml", atom),
            )
            .route(
                "/news/feed.json",
                conditional_page("application/feed+json", json_feed),
            )
            .route(
                "/board/t1",
                conditional_page("text/html; charset=utf-8", |f, _| forum_page(f)),
            )
            .route(
                "/reviews/zon",
                conditional_page("text/html; charset=utf-8", |f, _| reviews_page(f)),
            )
            .route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }))
            .route("/site", get(|| async { axum::response::Html(SITE_PAGE) }))
            .route(
                "/api/v1/timelines/tag/{tag}",
                get(
                    |State((f, b)): State<Shared>, Path(tag): Path<String>| async move {
                        f.requests.fetch_add(1, Ordering::SeqCst);
                        let body = if tag == "snelspoor" {
                            statuses(&f, &b)
                        } else {
                            "[]".into()
                        };
                        ([(header::CONTENT_TYPE, "application/json")], body)
                    },
                ),
            )
            .with_state(state)
    })
    .await
}
