//! `feeds.json`: every feed for machines (CI, site templates): its name,
//! folder, title, page, URL per format, post count and newest date.

use std::collections::BTreeMap;

use serde::Serialize;

use super::head::{generator, listed_page, listed_title, listed_urls};
use crate::config::{Config, Format};
use crate::plan::{feed_folder, Listed};

#[derive(Serialize)]
struct Index<'a> {
    /// feedgen's mark: a file with it is feedgen's to rewrite or remove.
    generator: String,
    title: &'a str,
    home_page_url: String,
    feeds: Vec<Feed<'a>>,
}

#[derive(Serialize)]
struct Feed<'a> {
    /// `site`, `category` or `tag`.
    kind: &'static str,
    /// The category or tag as written in the posts (empty for the site feed).
    name: &'a str,
    /// The display name (`feedgen.names`, the site's page), else `name`.
    display_name: &'a str,
    /// Folder under the output folder (empty for the site feed).
    folder: String,
    title: String,
    page: String,
    /// Feed URL by format: `rss`, `atom`, `json`.
    urls: BTreeMap<&'static str, String>,
    posts: usize,
    /// RFC 3339, with the post's own offset; `null` for an empty feed.
    newest: Option<String>,
}

fn format_key(format: Format) -> &'static str {
    match format {
        Format::Rss => "rss",
        Format::Atom => "atom",
        Format::JsonFeed => "json",
    }
}

pub fn render(config: &Config, listing: &[Listed]) -> Vec<u8> {
    let index = Index {
        generator: generator(),
        title: &config.site.title,
        home_page_url: format!("{}/", config.site.root),
        feeds: listing
            .iter()
            .map(|l| Feed {
                kind: l.spec.kind.name(),
                name: &l.spec.name,
                display_name: l.display_name(),
                folder: feed_folder(&config.layout, &l.spec),
                title: listed_title(config, l),
                page: listed_page(config, l),
                urls: listed_urls(config, l)
                    .into_iter()
                    .map(|(f, url)| (format_key(f), url))
                    .collect(),
                posts: l.spec.total,
                newest: l.newest.map(|d| d.to_rfc3339()),
            })
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&index).unwrap_or_default();
    out.push(b'\n');
    out
}
