//! The Jekyll data file (`feedgen.jekyll_data`, e.g. `_data/feedgen.json`):
//! what a site's layouts need to emit discovery tags. Per feed, keyed by
//! kind and folder name, its title, page, URLs and the ready
//! `<link rel="alternate">` tags, so the Liquid snippet in README.md is a
//! hash lookup per page (a `case` over 2,000 outlets would cost every page).

use std::collections::BTreeMap;

use serde::Serialize;

use super::head::{listed_page, listed_title, listed_urls};
use crate::config::{Config, Format};
use crate::plan::Listed;
use crate::taxonomy::FeedKind;

#[derive(Serialize)]
struct Data<'a> {
    /// feedgen's mark: a file with it is feedgen's to rewrite or remove
    /// (first, so it is found in the file's head).
    generator: String,
    /// The site feed.
    site: Option<Feed<'a>>,
    /// Category feeds by folder name (the name lower-cased, as Liquid's
    /// `downcase` gives it).
    category: BTreeMap<&'a str, Feed<'a>>,
    tag: BTreeMap<&'a str, Feed<'a>>,
}

#[derive(Serialize)]
struct Feed<'a> {
    /// As written in the posts.
    name: &'a str,
    title: String,
    page: String,
    /// Feed URL by format: `rss`, `atom`, `json`.
    urls: BTreeMap<&'static str, String>,
    /// One `<link rel="alternate">` per format, one a line.
    links: String,
}

/// The MIME type discovery tags announce for each format.
fn mime(format: Format) -> &'static str {
    match format {
        Format::Rss => "application/rss+xml",
        Format::Atom => "application/atom+xml",
        Format::JsonFeed => "application/feed+json",
    }
}

fn key(format: Format) -> &'static str {
    match format {
        Format::Rss => "rss",
        Format::Atom => "atom",
        Format::JsonFeed => "json",
    }
}

/// Text as an HTML attribute value in double quotes.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn render(config: &Config, listing: &[Listed]) -> Vec<u8> {
    let mut data = Data {
        generator: super::head::generator(),
        site: None,
        category: BTreeMap::new(),
        tag: BTreeMap::new(),
    };
    for listed in listing {
        let title = listed_title(config, listed);
        let urls = listed_urls(config, listed);
        let links: Vec<String> = urls
            .iter()
            .map(|(format, url)| {
                format!(
                    "<link rel=\"alternate\" type=\"{}\" title=\"{}\" href=\"{}\">",
                    mime(*format),
                    attribute(&title),
                    attribute(url)
                )
            })
            .collect();
        let feed = Feed {
            name: &listed.spec.name,
            page: listed_page(config, listed),
            urls: urls.into_iter().map(|(f, url)| (key(f), url)).collect(),
            links: links.join("\n"),
            title,
        };
        match listed.spec.kind {
            FeedKind::Site => data.site = Some(feed),
            FeedKind::Category => {
                data.category.insert(&listed.spec.key, feed);
            }
            FeedKind::Tag => {
                data.tag.insert(&listed.spec.key, feed);
            }
        }
    }
    let mut out = serde_json::to_vec_pretty(&data).unwrap_or_default();
    out.push(b'\n');
    out
}
