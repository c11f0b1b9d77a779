//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>), written with serde.

use serde::Serialize;

use super::entry::Entry;
use super::head::{generator, FeedHead};
use crate::author::Author;
use crate::config::{Config, ContentMode};

pub const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct Feed<'a> {
    version: &'static str,
    /// A JSON Feed extension (`_`-prefixed keys are the spec's extension
    /// point): which program wrote the file, feedgen's ownership mark. It
    /// comes first, where a reader of the file's start finds it.
    _feedgen: Extension,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    favicon: Option<&'a str>,
    authors: Vec<Person<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Extension {
    about: &'static str,
    generator: String,
}

#[derive(Serialize)]
struct Person<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_url: Option<&'a str>,
    title: &'a str,
    /// Full text; left out with `content: summary`, where `content_text`
    /// (the summary) is the item's required content.
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    authors: Vec<Person<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
}

fn person(author: &Author) -> Person<'_> {
    Person {
        name: &author.name,
        url: author.uri.as_deref(),
    }
}

pub fn render(config: &Config, head: &FeedHead, content: ContentMode, entries: &[&Entry]) -> Vec<u8> {
    let site = &config.site;
    let feed = Feed {
        _feedgen: Extension {
            about: env!("CARGO_PKG_DESCRIPTION"),
            generator: generator(),
        },
        version: VERSION,
        title: &head.title,
        home_page_url: &head.site_link,
        feed_url: &head.self_link,
        description: &head.description,
        // `icon` is for feed lists (square, 512×512), `favicon` for small
        // spaces: both the square `feedgen.icon`.
        icon: site.icon.as_deref(),
        favicon: site.icon.as_deref(),
        authors: vec![person(&site.author)],
        language: site.lang.as_deref(),
        hubs: site.hub.iter().map(|url| Hub { kind: "WebSub", url }).collect(),
        items: entries
            .iter()
            .map(|e| (e, e.full_text(content)))
            .map(|(e, full)| Item {
                id: &e.id,
                url: &e.link,
                external_url: e.source.as_deref(),
                title: &e.title,
                content_html: full.then_some(e.content.as_str()),
                content_text: (!full).then_some(e.summary.as_str()),
                summary: &e.summary,
                image: e.image.as_deref(),
                date_published: e.date.to_rfc3339(),
                authors: vec![person(&e.author)],
                tags: e.categories.iter().chain(&e.tags).map(String::as_str).collect(),
            })
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&feed).unwrap_or_default();
    out.push(b'\n');
    out
}
