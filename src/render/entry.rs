//! An item as every feed format writes it: a post rendered once
//! ([`super::entry`] builds it), shared by all the feeds it appears in.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use crate::author::Author;
use crate::names::DisplayNames;
use crate::taxonomy::FeedKind;

/// A post ready to be an item in any feed: rendered once, shared by all
/// the feeds it appears in.
#[derive(Debug, Clone)]
pub struct Entry {
    pub title: String,
    /// The post's page on the site.
    pub link: String,
    /// Stable id: the permalink, or the front-matter `guid`/`id`.
    pub id: String,
    pub id_is_link: bool,
    pub date: DateTime<FixedOffset>,
    pub author: Author,
    pub summary: String,
    pub content: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub source: Option<String>,
    /// The post's image (absolute URL): front-matter `image:`, else the
    /// first image in the content.
    pub image: Option<String>,
    /// Written with its summary and link only, whatever the feed's
    /// content mode ([`Entry::summary_only`]).
    pub summary_only: bool,
}

/// Longest title and author name an item in its short form keeps, in
/// characters (as long as a summary).
const SHORT_CHARS: usize = 280;

impl Entry {
    /// The item as a feed too small for it writes it: its title, summary,
    /// link, id, date and author's name only (no full text, terms, image or
    /// source link, each of which can outgrow any cap).
    pub fn summary_only(&self) -> Entry {
        Entry {
            title: super::html::truncate(&self.title, SHORT_CHARS),
            link: self.link.clone(),
            id: self.id.clone(),
            id_is_link: self.id_is_link,
            date: self.date,
            author: Author {
                name: super::html::truncate(&self.author.name, SHORT_CHARS),
                email: None,
                uri: None,
            },
            summary: self.summary.clone(),
            content: String::new(),
            categories: Vec::new(),
            tags: Vec::new(),
            source: None,
            image: None,
            summary_only: true,
        }
    }

    /// Whether the item's full text is written in a feed of `mode`.
    pub fn full_text(&self, mode: crate::config::ContentMode) -> bool {
        mode == crate::config::ContentMode::Full && !self.summary_only
    }

    /// Bytes every format writes for this item at least, escaping aside:
    /// its texts that all of them write.
    pub fn least_bytes(&self, full: bool) -> usize {
        let terms: usize = self.categories.iter().chain(&self.tags).map(String::len).sum();
        let content = if full { self.content.len() } else { 0 };
        let (image, source) = (self.image.as_ref(), self.source.as_ref());
        [&self.title, &self.link, &self.id, &self.summary, &self.author.name]
            .iter()
            .map(|s| s.len())
            .chain([
                terms,
                content,
                image.map_or(0, String::len),
                source.map_or(0, String::len),
            ])
            .sum()
    }
}

/// The display name of an item's outlet: the first of its categories that
/// has one.
pub fn outlet_name<'n>(names: &'n DisplayNames, entry: &Entry) -> Option<&'n str> {
    entry
        .categories
        .iter()
        .find_map(|c| names.display(FeedKind::Category, c))
}

/// Media RSS, for item images in RSS and Atom alike: readers (feedparser,
/// Folo) look for `media:content` and `media:thumbnail` in either format.
pub const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";

/// One Media RSS element: its local name, qualified name and attributes.
pub struct MediaElement {
    pub local: &'static str,
    pub qualified: &'static str,
    pub attrs: BTreeMap<String, String>,
}

/// `media:content` (Folo shows it) and `media:thumbnail` for an image.
pub fn media_elements(url: &str) -> [MediaElement; 2] {
    let attrs = |medium: bool| {
        let mut attrs = BTreeMap::new();
        attrs.insert("url".to_string(), url.to_string());
        if medium {
            attrs.insert("medium".to_string(), "image".to_string());
        }
        attrs
    };
    [
        MediaElement {
            local: "content",
            qualified: "media:content",
            attrs: attrs(true),
        },
        MediaElement {
            local: "thumbnail",
            qualified: "media:thumbnail",
            attrs: attrs(false),
        },
    ]
}
