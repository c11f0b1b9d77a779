//! Display names and pages of category and tag feeds: what a subscriber
//! sees instead of the raw name (`证券时报` for `zhengquanshibao`), and the
//! site page the feed links to. Today they come from the config map
//! `feedgen.names`; names and pages read from the site's own category pages
//! join through [`DisplayNames::add_page`], where the config map still wins.

use std::collections::{BTreeMap, HashMap};

use crate::content::front_matter::{scalar, Value};
use crate::taxonomy::{feed_key, FeedKind, Term};

/// What the site says about one feed: its display name and its page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FeedPage {
    /// The name readers show (`证券时报新闻`); `None`: the raw name stays.
    pub title: Option<String>,
    /// The feed's page on the site (absolute URL), if it has one.
    pub url: Option<String>,
}

/// Display names and pages by feed kind and folder name (the key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisplayNames {
    pages: BTreeMap<(FeedKind, String), FeedPage>,
}

impl DisplayNames {
    /// `feedgen.names: {category: {emnews: 东财滚动新闻}, tag: {…}}`.
    pub fn from_config(value: Option<&Value>) -> Result<DisplayNames, String> {
        let mut names = DisplayNames::default();
        let Some(value) = value else { return Ok(names) };
        let shape = "`feedgen.names` must be `{category: {name: display name}, tag: {…}}`";
        for (kind, map) in value.as_mapping().ok_or(shape)? {
            let kind = match scalar(Some(kind)).as_deref() {
                Some("category" | "categories") => FeedKind::Category,
                Some("tag" | "tags") => FeedKind::Tag,
                other => {
                    return Err(format!(
                        "`feedgen.names.{}`: only `category` and `tag` have names ({shape})",
                        other.unwrap_or("?")
                    ))
                }
            };
            for (name, display) in map.as_mapping().ok_or(shape)? {
                let (Some(name), Some(display)) = (scalar(Some(name)), scalar(Some(display))) else {
                    return Err(shape.to_string());
                };
                let display = display.trim();
                if !display.is_empty() {
                    let page = names.pages.entry((kind, feed_key(&name))).or_default();
                    page.title = Some(display.to_string());
                }
            }
        }
        Ok(names)
    }

    /// Add what a page of the site says about a feed (its title and URL).
    /// What is already known (the config map) wins; the page fills the rest.
    /// The site's category and tag pages come in here (see `cmd/build.rs`).
    pub fn add_page(&mut self, kind: FeedKind, name: &str, page: FeedPage) {
        let known = self.pages.entry((kind, feed_key(name))).or_default();
        if known.title.is_none() {
            known.title = page.title;
        }
        if known.url.is_none() {
            known.url = page.url;
        }
    }

    /// What is known about the feed of `kind` with folder name `key`.
    pub fn page(&self, kind: FeedKind, key: &str) -> FeedPage {
        self.pages.get(&(kind, key.to_string())).cloned().unwrap_or_default()
    }

    /// The display name of the category or tag `name`, if one is known.
    pub fn display(&self, kind: FeedKind, name: &str) -> Option<&str> {
        self.pages.get(&(kind, feed_key(name)))?.title.as_deref()
    }
}

/// A page title that only spells its slug (`Cailianshe` for `cailianshe`,
/// `Zheng Quan` for `zheng-quan`): the same letters, ignoring case and
/// separators. Such a title names nothing a reader would recognise.
pub fn is_titleised_slug(title: &str, slug: &str) -> bool {
    let letters = |s: &str| -> String {
        s.chars()
            .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '_' | '.')))
            .flat_map(char::to_lowercase)
            .collect()
    };
    letters(title) == letters(slug)
}

/// The display name a category (or tag) gets from its page and, with
/// `feedgen.names_from_tags`, from the one tag all its posts carry.
/// After the config map (which [`DisplayNames::add_page`] keeps): a real
/// page title, then the tag, then a title that only spells the slug.
/// Returns the name, and whether a real page title and the tag disagree.
pub fn choose_title(slug: &str, page_title: Option<&str>, tag: Option<&str>) -> (Option<String>, bool) {
    match (page_title, tag) {
        (Some(title), Some(tag)) if is_titleised_slug(title, slug) => (Some(tag.to_string()), false),
        (Some(title), Some(tag)) => (Some(title.to_string()), title != tag),
        (Some(title), None) => (Some(title.to_string()), false),
        (None, tag) => (tag.map(str::to_string), false),
    }
}

/// What `feedgen.names_from_tags` names each category after: the tag more
/// than half of its published posts carry (compared as folder names are,
/// word by word: Jekyll reads `tags: a b` as two tags but the same outlet's
/// `[a b, c]` as one and another), so posts with topic tags besides it, or
/// the odd post of another outlet, come and go without renaming its feed. Where several tags qualify, the
/// one carried by the most posts, then written first on the most, then the
/// smallest key; its spelling is the smallest the posts write. So a name
/// never depends on path order, and a clean build gives the same one.
/// `posts` gives each post's categories and tags.
pub fn category_tags<'a>(posts: impl Iterator<Item = (&'a [Term], &'a [Term])>) -> BTreeMap<String, String> {
    /// One tag of a category: how many posts carry it, how many list it
    /// first, and the smallest spelling seen.
    struct Seen {
        posts: usize,
        firsts: usize,
        spelling: Term,
    }
    let mut categories: HashMap<String, (usize, HashMap<String, Seen>)> = HashMap::new();
    for (in_categories, tags) in posts {
        // Its words: `tags: 广东医药 快讯` is two tags to Jekyll, and the
        // same outlet's `[广东医药 快讯, 保险]` one and a topic.
        let words: Vec<&str> = tags.iter().flat_map(|t| t.split_whitespace()).collect();
        let mut keys: Vec<(String, &str)> = Vec::with_capacity(words.len());
        for word in words {
            let key = feed_key(word);
            if !keys.iter().any(|(k, _)| *k == key) {
                keys.push((key, word));
            }
        }
        for category in in_categories {
            let (count, seen) = categories.entry(feed_key(category)).or_default();
            *count += 1;
            for (at, (key, word)) in keys.iter().enumerate() {
                let entry = seen.entry(key.clone()).or_insert_with(|| Seen {
                    posts: 0,
                    firsts: 0,
                    spelling: Term::from(*word),
                });
                entry.posts += 1;
                entry.firsts += usize::from(at == 0);
                if **word < *entry.spelling {
                    entry.spelling = Term::from(*word);
                }
            }
        }
    }
    categories
        .into_iter()
        .filter_map(|(category, (count, seen))| {
            let (_, best) = seen
                .into_iter()
                .filter(|(_, s)| s.posts * 2 > count)
                .min_by(|(ka, a), (kb, b)| {
                    b.posts
                        .cmp(&a.posts)
                        .then(b.firsts.cmp(&a.firsts))
                        .then_with(|| ka.cmp(kb))
                })?;
            Some((category, best.spelling.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_category_is_named_after_the_tag_on_every_post_whatever_else_they_carry() {
        let terms = |names: &[&str]| -> Vec<Term> { names.iter().map(|n| Term::from(*n)).collect() };
        let posts = [
            (terms(&["bond"]), terms(&["债券视点新闻"])),
            (terms(&["bond"]), terms(&["债券视点新闻", "利率"])),
            (terms(&["bond", "mixed"]), terms(&["利率", "债券视点新闻"])),
            (terms(&["mixed"]), terms(&["甲"])),
            (terms(&["two"]), terms(&["乙", "甲"])),
            (terms(&["two"]), terms(&["甲", "乙"])),
            (terms(&["two"]), terms(&["甲", "乙"])),
            (terms(&["case"]), terms(&["Abc"])),
            (terms(&["case"]), terms(&["abc"])),
        ];
        let names =
            |posts: &[(Vec<Term>, Vec<Term>)]| super::category_tags(posts.iter().map(|(c, t)| (&c[..], &t[..])));
        let named = names(&posts);
        assert_eq!(named.get("bond").map(String::as_str), Some("债券视点新闻"));
        assert_eq!(named.get("mixed"), None, "no tag on more than half the posts");
        assert_eq!(named.get("two").map(String::as_str), Some("甲"), "first on most posts");
        assert_eq!(
            named.get("case").map(String::as_str),
            Some("Abc"),
            "the smallest spelling"
        );
        // Any order of the same posts names them the same.
        let mut reversed = posts.to_vec();
        reversed.reverse();
        assert_eq!(names(&reversed), named);
        // An outlet whose name holds a space: `tags: 广州财富传媒 客户端新闻` is two
        // tags to Jekyll, `[广州财富传媒 客户端新闻, 基金]` one and a topic; and a
        // post of another outlet in its category. Its first word names it,
        // whatever the share of each form.
        let outlet = [
            (terms(&["gz"]), terms(&["广州财富传媒", "客户端新闻"])),
            (terms(&["gz"]), terms(&["广州财富传媒", "客户端新闻"])),
            (terms(&["gz"]), terms(&["广州财富传媒 客户端新闻", "基金"])),
            (terms(&["gz"]), terms(&["广州财富传媒 客户端新闻", "银行"])),
            (terms(&["gz"]), terms(&["广州财富传媒 客户端新闻", "保险"])),
            (terms(&["gz"]), terms(&["别的新闻"])),
        ];
        for n in 1..=outlet.len() {
            assert_eq!(
                names(&outlet[..n]).get("gz").map(String::as_str),
                Some("广州财富传媒"),
                "{n} posts"
            );
        }
        // Posts with topic tags coming and going do not rename the outlet.
        for n in 1..=3 {
            assert_eq!(names(&posts[..n]).get("bond").map(String::as_str), Some("债券视点新闻"));
        }
    }

    #[test]
    fn page_titles_tags_and_titleised_slugs_in_priority_order() {
        assert!(is_titleised_slug("Cailianshe", "cailianshe"));
        assert!(is_titleised_slug("Zheng Quan_Shi-bao", "zhengquanshibao"));
        assert!(!is_titleised_slug("证券时报新闻", "zhengquanshibao"));
        let t = |slug, page, tag| choose_title(slug, page, tag);
        assert_eq!(
            t("cailianshe", Some("Cailianshe"), Some("财联社新闻")),
            (Some("财联社新闻".into()), false)
        );
        assert_eq!(
            t("cls", Some("财联社"), Some("财联社新闻")),
            (Some("财联社".into()), true)
        );
        assert_eq!(t("cls", Some("财联社"), Some("财联社")), (Some("财联社".into()), false));
        assert_eq!(t("cls", Some("Cls"), None), (Some("Cls".into()), false));
        assert_eq!(t("cls", None, Some("财联社")), (Some("财联社".into()), false));
        assert_eq!(t("cls", None, None), (None, false));
    }

    use super::*;
    use crate::content::front_matter::parse_document;

    #[test]
    fn config_names_are_matched_like_folder_names_and_win_over_pages() {
        let map = parse_document("names: {category: {EMnews: 东财滚动新闻}, tag: {x: Y}}").expect("yaml");
        let mut names = DisplayNames::from_config(map.get("names")).expect("names");
        assert_eq!(names.display(FeedKind::Category, "emnews"), Some("东财滚动新闻"));
        assert_eq!(names.display(FeedKind::Tag, "X"), Some("Y"));
        assert_eq!(names.display(FeedKind::Tag, "emnews"), None);
        names.add_page(
            FeedKind::Category,
            "emnews",
            FeedPage {
                title: Some("Emnews".into()),
                url: Some("https://s.example/category/emnews.html".into()),
            },
        );
        let page = names.page(FeedKind::Category, "emnews");
        assert_eq!(page.title.as_deref(), Some("东财滚动新闻"));
        assert_eq!(page.url.as_deref(), Some("https://s.example/category/emnews.html"));
        for bad in ["names: [a]", "names: {site: {a: b}}", "names: {category: [a]}"] {
            let map = parse_document(bad).expect("yaml");
            assert!(DisplayNames::from_config(map.get("names")).is_err(), "{bad}");
        }
    }
}
