//! What a feed is about: the whole site, a category or a tag, and the
//! category and tag names posts carry. A leaf: every layer names these, so
//! they import nothing above them.

use std::sync::Arc;

use crate::shared_list::SharedList;
use crate::xml_chars::is_xml_char;

/// A category or tag name. The ~2,000 names of a site are shared by its
/// posts (`content::post::intern`), not copied into each.
pub type Term = Arc<str>;

/// A post's categories, or its tags: one shared list per distinct list
/// (`content::post::intern_list`; a news site's posts carry a few thousand
/// distinct lists), not a vector per post.
pub type Terms = SharedList<Term>;

/// Category or tag: what a site page is the page of, and what
/// `feedgen list` lists (`categories` or `tags` on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Taxonomy {
    #[value(name = "categories")]
    Category,
    #[value(name = "tags")]
    Tag,
}

/// Which collection of posts a feed covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeedKind {
    Site,
    Category,
    Tag,
}

impl FeedKind {
    /// The word for it in messages and in `feeds.json`.
    pub fn name(self) -> &'static str {
        match self {
            FeedKind::Site => "site",
            FeedKind::Category => "category",
            FeedKind::Tag => "tag",
        }
    }
}

impl From<Taxonomy> for FeedKind {
    fn from(taxonomy: Taxonomy) -> FeedKind {
        match taxonomy {
            Taxonomy::Category => FeedKind::Category,
            Taxonomy::Tag => FeedKind::Tag,
        }
    }
}

/// Longest folder name a category or tag gets, in bytes (file systems allow 255).
pub const MAX_KEY_BYTES: usize = 120;

/// The folder name for a category or tag: lower-cased as Jekyll does in
/// URLs; `/`, `\`, control characters and a leading `.` replaced by `_`;
/// cut to [`MAX_KEY_BYTES`].
pub fn feed_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for c in name.trim().to_lowercase().chars() {
        let safe = if c == '/' || c == '\\' || c.is_control() || !is_xml_char(c) {
            '_'
        } else {
            c
        };
        if key.len() + safe.len_utf8() > MAX_KEY_BYTES {
            break;
        }
        key.push(safe);
    }
    if key.starts_with('.') {
        key.replace_range(..1, "_");
    }
    if key.is_empty() {
        key.push('_');
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_keys_are_lower_case_path_safe_and_bounded() {
        assert_eq!(feed_key("21caijingAPP"), "21caijingapp");
        assert_eq!(feed_key("上海证券报·中国证券网新闻"), "上海证券报·中国证券网新闻");
        assert_eq!(feed_key("../etc/passwd"), "_._etc_passwd");
        assert_eq!(feed_key(".hidden"), "_hidden");
        assert_eq!(feed_key("a\\b\0c\u{7}"), "a_b_c_");
        assert_eq!(feed_key(""), "_");
        assert_eq!(feed_key(&"长".repeat(100)).len(), 120);
    }

    #[test]
    fn a_taxonomy_is_the_feed_kind_of_the_same_name() {
        assert_eq!(FeedKind::from(Taxonomy::Category), FeedKind::Category);
        assert_eq!(FeedKind::from(Taxonomy::Tag), FeedKind::Tag);
    }
}
