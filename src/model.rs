//! The collection as feeds see it: published posts' metadata, their
//! categories and tags folded into feed names, and each feed's newest items
//! chosen with a bounded selection.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use chrono::{DateTime, FixedOffset};

use crate::content::post::PostMeta;
use crate::diagnostics::{Diagnostic, Severity};
use crate::xml_chars::is_xml_char;

/// Which collection of posts a feed covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeedKind {
    Site,
    Category,
    Tag,
}

/// One feed to publish (in every configured format).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedSpec {
    pub kind: FeedKind,
    /// The folder name: lower-cased and path-safe; empty for the site feed.
    pub key: String,
    /// The name as written in the posts (the first spelling met).
    pub name: String,
    /// Indices into [`Collection::posts`], newest first.
    pub items: Vec<usize>,
    /// Every published post in this feed, not only the newest ones.
    pub total: usize,
}

impl FeedSpec {
    pub fn newest(&self, posts: &[&PostMeta]) -> Option<DateTime<FixedOffset>> {
        self.items.first().map(|&i| posts[i].date)
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

/// Sort key: newer first, then path order (posts are kept sorted by path).
type Rank = (Reverse<i64>, usize);

/// Keeps the `limit` best-ranked posts seen so far.
struct Newest {
    heap: BinaryHeap<Rank>,
    total: usize,
}

impl Newest {
    fn new() -> Self {
        Newest {
            heap: BinaryHeap::new(),
            total: 0,
        }
    }

    fn offer(&mut self, rank: Rank, limit: usize) {
        self.total += 1;
        if self.heap.len() < limit {
            self.heap.push(rank);
        } else if self.heap.peek().is_some_and(|worst| rank < *worst) {
            self.heap.pop();
            self.heap.push(rank);
        }
    }

    fn into_items(self) -> Vec<usize> {
        let mut ranks = self.heap.into_vec();
        ranks.sort_unstable();
        ranks.into_iter().map(|(_, i)| i).collect()
    }
}

struct Term {
    key: String,
    name: String,
    newest: Newest,
}

/// Categories (or tags) met so far, each name mapped once to its feed.
#[derive(Default)]
struct Terms<'p> {
    by_name: HashMap<&'p str, usize>,
    by_key: HashMap<String, usize>,
    terms: Vec<Term>,
}

impl<'p> Terms<'p> {
    /// The feed of `name`; a new spelling of an existing feed gets a notice.
    fn id(
        &mut self,
        name: &'p str,
        kind: &str,
        path: &str,
        notices: &mut Vec<Diagnostic>,
        shown: &impl Fn(&str) -> String,
    ) -> usize {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        let key = feed_key(name);
        let id = match self.by_key.get(&key) {
            Some(&id) => {
                let message = format!(
                    "{kind} `{name}` shares the feed of `{}` (same folder name once lower-cased and made path-safe)",
                    self.terms[id].name
                );
                notices.push(Diagnostic::new(&shown(path), None, Severity::Note, message));
                id
            }
            None => {
                self.terms.push(Term {
                    key: key.clone(),
                    name: name.to_string(),
                    newest: Newest::new(),
                });
                self.by_key.insert(key, self.terms.len() - 1);
                self.terms.len() - 1
            }
        };
        self.by_name.insert(name, id);
        id
    }

    /// Offer a post to the feeds of `names`, once per feed.
    fn offer(
        &mut self,
        names: &'p [Box<str>],
        rank: Rank,
        limit: usize,
        ctx: (&str, &str, &mut Vec<Diagnostic>),
        shown: &impl Fn(&str) -> String,
    ) {
        let (kind, path, notices) = ctx;
        let mut offered: Vec<usize> = Vec::with_capacity(names.len());
        for name in names {
            let id = self.id(name, kind, path, notices, shown);
            if !offered.contains(&id) {
                offered.push(id);
                self.terms[id].newest.offer(rank, limit);
            }
        }
    }

    fn into_specs(self, kind: FeedKind) -> Vec<FeedSpec> {
        let mut specs: Vec<FeedSpec> = self
            .terms
            .into_iter()
            .map(|t| FeedSpec {
                kind,
                key: t.key,
                name: t.name,
                total: t.newest.total,
                items: t.newest.into_items(),
            })
            .collect();
        specs.sort_by(|a, b| a.key.cmp(&b.key));
        specs
    }
}

/// All feeds of a collection, with their newest items chosen.
#[derive(Debug)]
pub struct Feeds {
    pub site: FeedSpec,
    pub categories: Vec<FeedSpec>,
    pub tags: Vec<FeedSpec>,
    /// Notices about names that share a feed.
    pub notices: Vec<Diagnostic>,
}

/// Choose every feed's newest `limit` posts. `posts` must be sorted by path;
/// `shown` gives a post's path as diagnostics show it.
pub fn select(posts: &[&PostMeta], limit: usize, shown: impl Fn(&str) -> String) -> Feeds {
    let mut site = Newest::new();
    let mut categories = Terms::default();
    let mut tags = Terms::default();
    let mut notices = Vec::new();
    for (i, post) in posts.iter().enumerate() {
        let rank = (Reverse(post.date.timestamp()), i);
        site.offer(rank, limit);
        categories.offer(
            &post.categories,
            rank,
            limit,
            ("category", &post.path, &mut notices),
            &shown,
        );
        tags.offer(&post.tags, rank, limit, ("tag", &post.path, &mut notices), &shown);
    }
    Feeds {
        site: FeedSpec {
            kind: FeedKind::Site,
            key: String::new(),
            name: String::new(),
            total: site.total,
            items: site.into_items(),
        },
        categories: categories.into_specs(FeedKind::Category),
        tags: tags.into_specs(FeedKind::Tag),
        notices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn post(path: &str, hour: u32, cats: &[&str]) -> PostMeta {
        let date = FixedOffset::east_opt(8 * 3600)
            .and_then(|z| z.with_ymd_and_hms(2021, 12, 8, hour, 0, 0).single())
            .expect("date");
        PostMeta {
            path: path.into(),
            date,
            jekyll_time: date.timestamp(),
            categories: cats.iter().map(|c| Box::from(*c)).collect(),
            tags: Vec::new(),
            unpublished: false,
            plain_text: false,
        }
    }

    #[test]
    fn keys_are_lower_case_and_path_safe() {
        assert_eq!(feed_key("21caijingAPP"), "21caijingapp");
        assert_eq!(feed_key("上海证券报·中国证券网新闻"), "上海证券报·中国证券网新闻");
        assert_eq!(feed_key("../etc/passwd"), "_._etc_passwd");
        assert_eq!(feed_key(".hidden"), "_hidden");
        assert_eq!(feed_key("a\\b\0c\u{7}"), "a_b_c_");
        assert_eq!(feed_key(""), "_");
        assert_eq!(feed_key(&"长".repeat(100)).len(), 120);
    }

    #[test]
    fn newest_first_ties_by_path_and_bounded() {
        let posts = [
            post("a", 9, &["x"]),
            post("b", 10, &["x"]),
            post("c", 10, &["x"]),
            post("d", 8, &["y"]),
        ];
        let posts: Vec<&PostMeta> = posts.iter().collect();
        let feeds = select(&posts, 2, str::to_string);
        assert_eq!(feeds.site.items, vec![1, 2]);
        assert_eq!(feeds.site.total, 4);
        assert_eq!(feeds.categories[0].items, vec![1, 2]);
        assert_eq!(feeds.categories[0].total, 3);
        assert_eq!(feeds.categories[1].items, vec![3]);
    }

    #[test]
    fn a_post_naming_one_feed_twice_is_listed_once() {
        let posts = [post("a", 9, &["Markets", "markets"]), post("b", 10, &["Markets"])];
        let posts: Vec<&PostMeta> = posts.iter().collect();
        let feeds = select(&posts, 20, str::to_string);
        assert_eq!(feeds.categories[0].items, vec![1, 0]);
        assert_eq!(feeds.categories[0].total, 2);
    }

    #[test]
    fn case_variants_share_a_feed_with_a_notice() {
        let posts = [post("a", 9, &["TechWeb"]), post("b", 10, &["Techweb"])];
        let posts: Vec<&PostMeta> = posts.iter().collect();
        let feeds = select(&posts, 20, str::to_string);
        assert_eq!(feeds.categories.len(), 1);
        assert_eq!(feeds.categories[0].name, "TechWeb");
        assert_eq!(feeds.categories[0].items, vec![1, 0]);
        assert_eq!(feeds.notices.len(), 1);
        assert_eq!(feeds.notices[0].to_string(), "b: note: category `Techweb` shares the feed of `TechWeb` (same folder name once lower-cased and made path-safe)");
    }
}
