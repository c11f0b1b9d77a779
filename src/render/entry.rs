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
