//! The collection as feeds see it: published posts' metadata, their
//! categories and tags folded into feed names, and each feed's newest items
//! chosen with a bounded selection.

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap};
use std::num::NonZeroU64;

use chrono::{DateTime, FixedOffset};

use crate::config::{FeedSettings, PerKind, Site, DEFAULT_MAX_ITEMS};
use crate::content::post::{JekyllReading, LinkDate, PostMeta};
use crate::diagnostics::{Diagnostic, Severity};
use crate::permalink::{self, PermalinkParts};
use crate::taxonomy::{feed_key, FeedKind};
use crate::word_hash::WordMap;

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
    /// Items the window and the minimum asked for, before `max_items`.
    pub wanted: usize,
}

/// The item rules of the feeds of `kind`.
pub fn settings(kind: FeedKind, per: &PerKind) -> &FeedSettings {
    match kind {
        FeedKind::Site => &per.site,
        FeedKind::Category => &per.category,
        FeedKind::Tag => &per.tag,
    }
}

impl FeedSpec {
    pub fn newest(&self, posts: &[&PostMeta]) -> Option<DateTime<FixedOffset>> {
        self.items.iter().map(|&i| posts[i].date).max()
    }
}

/// Sort key: newer first, then path order (posts are kept sorted by path).
type Rank = (Reverse<i64>, usize);

/// The item rules of one feed, as selection applies them.
#[derive(Debug, Clone, Copy)]
struct Rules {
    /// At least this many items (fewer only when `cap` is smaller).
    limit: usize,
    window: Option<i64>,
    /// At most this many items.
    cap: usize,
}

impl Rules {
    fn of(settings: &FeedSettings) -> Rules {
        Rules {
            limit: settings.limit,
            window: settings.window,
            cap: settings.max_items.unwrap_or(DEFAULT_MAX_ITEMS.max(settings.limit)),
        }
    }
}

/// One feed's items, chosen with bounded heaps: the newest `cap` posts
/// inside the window, and the newest `limit` outside it to fill up to the
/// minimum. No feed ever sorts all its posts.
struct Newest {
    /// The feed's newest post (first pass), which the window is measured from.
    newest: Option<i64>,
    in_window: BinaryHeap<Rank>,
    older: BinaryHeap<Rank>,
    total: usize,
    /// Posts inside the window, counted before any cap.
    window_total: usize,
}

fn push_bounded(heap: &mut BinaryHeap<Rank>, rank: Rank, bound: usize) {
    if heap.len() < bound {
        heap.push(rank);
    } else if heap.peek().is_some_and(|worst| rank < *worst) {
        heap.pop();
        heap.push(rank);
    }
}

impl Newest {
    fn new() -> Self {
        Newest {
            newest: None,
            in_window: BinaryHeap::new(),
            older: BinaryHeap::new(),
            total: 0,
            window_total: 0,
        }
    }

    /// First pass: see a post's date.
    fn see(&mut self, timestamp: i64) {
        self.newest = Some(self.newest.map_or(timestamp, |n| n.max(timestamp)));
    }

    /// Second pass: offer a post.
    fn offer(&mut self, rank: Rank, rules: Rules) {
        self.total += 1;
        let cutoff = rules
            .window
            .zip(self.newest)
            .map(|(w, newest)| newest.saturating_sub(w));
        if cutoff.is_some_and(|c| rank.0 .0 >= c) {
            self.window_total += 1;
            push_bounded(&mut self.in_window, rank, rules.cap);
        } else {
            push_bounded(&mut self.older, rank, rules.limit.min(rules.cap));
        }
    }

    /// The chosen posts, newest first, and how many the window and the
    /// minimum asked for before `max_items` cut them.
    fn into_items(self, rules: Rules) -> (Vec<usize>, usize) {
        let mut ranks = self.in_window.into_vec();
        ranks.sort_unstable();
        if ranks.len() < rules.limit {
            let mut older = self.older.into_vec();
            older.sort_unstable();
            let room = rules.limit - ranks.len();
            ranks.extend(older.into_iter().take(room));
        }
        ranks.truncate(rules.cap);
        let wanted = self.window_total.max(rules.limit.min(self.total));
        (ranks.into_iter().map(|(_, i)| i).collect(), wanted)
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
    /// By the address of an interned name: posts share one `Arc` per
    /// name (per reading thread), so most lookups hash a pointer, not text.
    by_ptr: WordMap<usize, usize>,
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

    /// First pass: see a post's names and date, and push the ids of its
    /// feeds (each once) to `ids`.
    fn see(
        &mut self,
        names: &'p [crate::taxonomy::Term],
        timestamp: i64,
        ctx: (&str, &str, &mut Vec<Diagnostic>),
        shown: &impl Fn(&str) -> String,
        ids: &mut Vec<u32>,
    ) {
        let (kind, path, notices) = ctx;
        let start = ids.len();
        for name in names {
            let ptr = name.as_ptr() as usize;
            let id = match self.by_ptr.get(&ptr) {
                Some(&id) => id,
                None => {
                    let id = self.id(name, kind, path, notices, shown);
                    self.by_ptr.insert(ptr, id);
                    id
                }
            };
            self.terms[id].newest.see(timestamp);
            let id = id as u32;
            if !ids[start..].contains(&id) {
                ids.push(id);
            }
        }
    }

    fn into_specs(self, kind: FeedKind, rules: Rules) -> Vec<FeedSpec> {
        let mut specs: Vec<FeedSpec> = self
            .terms
            .into_iter()
            .map(|t| {
                let total = t.newest.total;
                let (items, wanted) = t.newest.into_items(rules);
                FeedSpec {
                    kind,
                    key: t.key,
                    name: t.name,
                    total,
                    wanted,
                    items,
                }
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

/// Choose every feed's items by the rules of its kind: every post in the
/// window (measured from the feed's newest post), at least `limit` posts,
/// at most `max_items`. `posts` must be sorted by path; `shown` gives a
/// post's path as diagnostics show it.
pub fn select(posts: &[&PostMeta], settings: &PerKind, shown: impl Fn(&str) -> String + Sync) -> Feeds {
    // The three kinds share nothing: categories on one core, the site and
    // the tags on another. Notices are sorted with the rest of the report.
    let ((categories, mut notices), (site, (tags, tag_notices))) = rayon::join(
        || {
            select_terms(
                posts,
                |p| &p.categories,
                (FeedKind::Category, &settings.category),
                &shown,
            )
        },
        || {
            rayon::join(
                || select_site(posts, &settings.site),
                || select_terms(posts, |p| &p.tags, (FeedKind::Tag, &settings.tag), &shown),
            )
        },
    );
    notices.extend(tag_notices);
    Feeds {
        site,
        categories,
        tags,
        notices,
    }
}

/// The site feed: every post offered.
fn select_site(posts: &[&PostMeta], settings: &FeedSettings) -> FeedSpec {
    let rules = Rules::of(settings);
    let mut site = Newest::new();
    posts.iter().for_each(|post| site.see(appeared(post)));
    for (i, post) in posts.iter().enumerate() {
        site.offer((Reverse(appeared(post)), i), rules);
    }
    let total = site.total;
    let (items, wanted) = site.into_items(rules);
    FeedSpec {
        kind: FeedKind::Site,
        key: String::new(),
        name: String::new(),
        total,
        wanted,
        items,
    }
}

/// The feeds of one kind of term (`names` gives a post's), and the
/// notices about names that share a feed.
fn select_terms<'p>(
    posts: &[&'p PostMeta],
    names: impl Fn(&'p PostMeta) -> &'p [crate::taxonomy::Term],
    (kind, settings): (FeedKind, &FeedSettings),
    shown: &impl Fn(&str) -> String,
) -> (Vec<FeedSpec>, Vec<Diagnostic>) {
    let mut terms = Terms::default();
    let mut notices = Vec::new();
    // Each post's feeds, found once in the first pass: the second looks
    // nothing up. `ends[i]` is where post i's ids end.
    let mut ids: Vec<u32> = Vec::with_capacity(posts.len() * 2);
    let mut ends: Vec<usize> = Vec::with_capacity(posts.len());
    for post in posts {
        let ctx = (kind.name(), &*post.path, &mut notices);
        terms.see(names(post), appeared(post), ctx, shown, &mut ids);
        ends.push(ids.len());
    }
    let rules = Rules::of(settings);
    let mut start = 0;
    for (i, (post, &end)) in posts.iter().zip(&ends).enumerate() {
        let rank = (Reverse(appeared(post)), i);
        for &id in &ids[start..end] {
            terms.terms[id as usize].newest.offer(rank, rules);
        }
        start = end;
    }
    (terms.into_specs(kind, rules), notices)
}

/// When a post appeared on the site: its date, or later when Jekyll reads
/// that date as later (an unquoted offset-less date is UTC to Jekyll, so a
/// +0800 site publishes it 8 hours late). Windows, the newest-N choice and
/// the order of items (the `max_bytes` cut drops the last) go by this, so
/// a post Jekyll publishes late still reaches the top of busy feeds, with
/// its own date, instead of arriving already older than the window.
fn appeared(post: &PostMeta) -> i64 {
    post.date.timestamp().max(post.jekyll_time)
}

/// A post's URL path as Jekyll builds it (decoded), from what reading
/// the post for selection kept: the path `render::page_path` gives the
/// rendered post (the item's id), which the tests hold it to.
pub fn page_path(site: &Site, meta: &PostMeta) -> String {
    let read_at = site.archive.reading_path(&meta.path);
    let reading = meta.jekyll_reading(read_at.as_deref().unwrap_or(&meta.path), site.jekyll);
    reading_path(site, meta, &reading)
}

/// The URL path (decoded) Jekyll builds for the post `meta` from its
/// `reading` of the file: selection's [`page_path`] and the rendered item's
/// id both come from here.
pub fn reading_path(site: &Site, meta: &PostMeta, reading: &JekyllReading) -> String {
    let parts = PermalinkParts {
        categories: reading.categories.as_deref().unwrap_or(&meta.categories),
        date: match reading.date {
            LinkDate::AsFeed => site.zone.at(meta.date),
            LinkDate::Instant(d) => site.zone.at(d),
            LinkDate::LocalMidnight(day) => site.zone.localize(day.and_time(chrono::NaiveTime::MIN)),
        },
        slug: &reading.slug,
        name: permalink::file_stem(&meta.path),
        jekyll: site.jekyll,
    };
    permalink::expand(reading.permalink.as_deref().unwrap_or(&site.permalink), &parts)
}

/// The file Jekyll writes for a post's URL (`permalink::destination` of
/// [`page_path`]), as a 64-bit hash: what [`same_page`] groups posts by.
/// Computed once, when a post is read, and kept in the rebuild index,
/// which is valid only for the [`page_settings`] it was built with. Two
/// posts of one file always have one hash; posts of one hash are told
/// apart by their real files before anything is decided.
pub fn page_file(site: &Site, meta: &PostMeta) -> NonZeroU64 {
    let path = page_path(site, meta);
    let mut hash = xxhash_rust::xxh3::Xxh3::new();
    permalink::destination_parts(&path, |part| hash.update(part.as_bytes()));
    // 0 is read as 1: one more hash two files may share, told apart as any.
    NonZeroU64::new(hash.digest()).unwrap_or(NonZeroU64::MIN)
}

/// Every site setting [`page_path`] reads (besides the post): the rebuild
/// index, which keeps each post's [`page_file`], is valid only for these.
pub fn page_settings(site: &Site) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}",
        site.permalink,
        site.zone,
        site.jekyll,
        site.archive.folders()
    )
}

/// Posts Jekyll writes to one page: the page shows one of them, and the
/// feeds carry that one alone.
#[derive(Debug, Default)]
pub struct SamePage {
    /// Per post, in `posts` order: the page shows another post instead.
    pub hidden: Vec<bool>,
    /// One warning per post involved (by its index in `posts`), naming
    /// the others.
    pub warnings: Vec<(usize, Diagnostic)>,
}

/// Group `posts` (the published ones) by the file Jekyll writes for their
/// URL and keep, of each group, the post whose content lands there:
/// Jekyll writes pages before posts, and posts in its order (their date,
/// then their path: `Document#<=>`), so the last write wins. A post in an
/// archive folder is a page to Jekyll, and keeps its `_posts/` URL as its
/// item id: it loses to a post in `_posts/`. Recorded with Jekyll 3.10
/// and 4.3.1 (docs/jekyll-parity.md): same date and slug in `a.md`,
/// `a.html` and `sub/a.md`, one `permalink` in two posts, a `slug` or
/// categories that make another post's URL. `shown` gives a post's path
/// as diagnostics show it.
///
/// Posts are grouped by their [`page_file`] hash (kept since they were
/// read, so a rerun builds no URL); only the posts of a hash two or more
/// share have their URLs built, to confirm the file and name the page.
pub fn same_page(site: &Site, posts: &[&PostMeta], shown: impl Fn(&str) -> String) -> SamePage {
    // The first post of each hash; the posts of a hash met again, in
    // order. No allocation per post, as a map of lists would make.
    let mut first: WordMap<NonZeroU64, usize> = WordMap::with_capacity_and_hasher(posts.len(), Default::default());
    let mut shared: WordMap<NonZeroU64, Vec<usize>> = WordMap::default();
    for (i, meta) in posts.iter().enumerate() {
        let hash = meta.page_file.unwrap_or_else(|| page_file(site, meta));
        match first.entry(hash) {
            Entry::Vacant(slot) => _ = slot.insert(i),
            Entry::Occupied(slot) => shared.entry(hash).or_insert_with(|| vec![*slot.get()]).push(i),
        }
    }
    let mut out = SamePage {
        hidden: vec![false; posts.len()],
        warnings: Vec::new(),
    };
    for candidates in shared.into_values() {
        // One hash, maybe more than one file: group by the file itself.
        let mut by_file: HashMap<String, Vec<(usize, String)>> = HashMap::new();
        for i in candidates {
            let path = page_path(site, posts[i]);
            by_file
                .entry(permalink::destination(&path))
                .or_default()
                .push((i, path));
        }
        for group in by_file.into_values().filter(|g| g.len() > 1) {
            one_page(site, posts, &shown, group, &mut out);
        }
    }
    out.warnings.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// The posts of `group` (with their URL paths) share one page: hide all
/// but the one the page shows and warn on each.
fn one_page(
    site: &Site,
    posts: &[&PostMeta],
    shown: &impl Fn(&str) -> String,
    mut group: Vec<(usize, String)>,
    out: &mut SamePage,
) {
    let archived = |i: usize| site.archive.folder_len(&posts[i].path).is_some();
    group.sort_by(|(a, _), (b, _)| {
        let key = |i: usize| (!archived(i), posts[i].jekyll_time, &posts[i].path);
        key(*a).cmp(&key(*b))
    });
    let Some((winner, winner_path)) = group.last() else {
        return;
    };
    let (winner, url) = (*winner, permalink::link(&site.root, winner_path));
    let group: Vec<usize> = group.iter().map(|(i, _)| *i).collect();
    let moved = match group.iter().any(|&i| archived(i)) {
        true => " (a post in an archive folder keeps the URL it had in `_posts/` as its id)",
        false => "",
    };
    let shown_paths: Vec<String> = group.iter().map(|&i| shown(&posts[i].path)).collect();
    for (k, &i) in group.iter().enumerate() {
        out.hidden[i] = i != winner;
        let others: Vec<&str> = (shown_paths.iter().enumerate())
            .filter(|&(j, _)| j != k)
            .map(|(_, p)| p.as_str())
            .collect();
        let verdict = match i == winner {
            true => "which shows this one: the feeds carry it alone".to_string(),
            false => format!(
                "which shows {}: the feeds carry that one, not this one",
                shown_paths[group.len() - 1]
            ),
        };
        let message = format!(
            "Jekyll writes this post and {} to one page, {url}{moved}, {verdict}; give each post its own `slug` or `permalink`",
            others.join(", ")
        );
        let warning = Diagnostic::new(&shown_paths[k], Some(1), Severity::Warning, message);
        out.warnings.push((i, warning));
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
            categories: cats.iter().map(|c| crate::taxonomy::Term::from(*c)).collect(),
            tags: Vec::new().into(),
            unpublished: false,
            plain_text: false,
            jekyll: None,
            page_file: None,
            unquoted_date: None,
        }
    }

    fn count(limit: usize) -> PerKind {
        PerKind::count(limit)
    }

    /// Feeds choose what choosing from all their posts sorted would: with
    /// windows, minimums and caps that all cut.
    #[test]
    fn bounded_heaps_choose_what_sorting_everything_chooses() {
        let mut all: Vec<PostMeta> = (0..600u32)
            .map(|i| {
                let mut p = post(&format!("p{i:04}"), 0, &[&format!("c{}", i % 7)]);
                p.date += chrono::Duration::minutes(i64::from((i * 7919) % 1440));
                p.jekyll_time = p.date.timestamp() + i64::from(i % 3) * 3600;
                p.tags = vec![crate::taxonomy::Term::from(format!("t{}", i % 5).as_str())].into();
                p
            })
            .collect();
        all.sort_by(|a, b| a.path.cmp(&b.path));
        let posts: Vec<&PostMeta> = all.iter().collect();
        let mut rules = count(30);
        rules.category.window = Some(12 * 3600);
        rules.category.max_items = Some(40);
        rules.tag.window = Some(3600);
        rules.site.max_items = Some(50);
        let feeds = select(&posts, &rules, str::to_string);
        // Newest first (by when Jekyll shows a post), then path order.
        let expect = |members: Vec<usize>, r: &FeedSettings| -> Vec<usize> {
            let r = Rules::of(r);
            let mut ranked: Vec<(Reverse<i64>, usize)> =
                members.iter().map(|&i| (Reverse(appeared(posts[i])), i)).collect();
            ranked.sort_unstable();
            let newest = ranked.first().map_or(0, |r| r.0 .0);
            let inside = |t: i64| r.window.is_some_and(|w| t >= newest - w);
            let mut chosen: Vec<usize> = ranked.iter().filter(|x| inside(x.0 .0)).map(|x| x.1).collect();
            let older = ranked.iter().filter(|x| !inside(x.0 .0)).map(|x| x.1);
            let room = r.limit.saturating_sub(chosen.len());
            chosen.extend(older.take(room));
            chosen.truncate(r.cap);
            chosen
        };
        assert_eq!(feeds.site.items, expect((0..posts.len()).collect(), &rules.site));
        for (k, feed) in feeds.categories.iter().enumerate() {
            let members = (0..posts.len()).filter(|&i| i % 7 == k).collect();
            assert_eq!(feed.items, expect(members, &rules.category), "c{k}");
            assert!(feed.items.len() > 30, "c{k}: the window should reach past the minimum");
        }
        for (k, feed) in feeds.tags.iter().enumerate() {
            let members = (0..posts.len()).filter(|&i| i % 5 == k).collect();
            assert_eq!(feed.items, expect(members, &rules.tag), "t{k}");
        }
    }

    #[test]
    fn a_window_holds_every_post_near_the_newest_and_limit_is_a_minimum() {
        // Category x: hours 1..=10; y: hours 1 and 2 (quiet).
        let mut all: Vec<PostMeta> = (1..=10).map(|h| post(&format!("x{h:02}"), h, &["x"])).collect();
        all.push(post("y1", 1, &["y"]));
        all.push(post("y2", 2, &["y"]));
        all.sort_by(|a, b| a.path.cmp(&b.path));
        let posts: Vec<&PostMeta> = all.iter().collect();
        let hours = |feed: &FeedSpec| -> Vec<u32> {
            use chrono::Timelike;
            feed.items.iter().map(|&i| posts[i].date.hour()).collect()
        };
        let mut rules = count(2);
        rules.category.window = Some(3 * 3600);
        let feeds = select(&posts, &rules, str::to_string);
        // x: 10, 9, 8, 7 are within 3 h of its newest post (10:00).
        assert_eq!(hours(&feeds.categories[0]), vec![10, 9, 8, 7]);
        assert_eq!(feeds.categories[0].wanted, 4);
        // y: its own newest post (02:00) starts its window, not x's.
        assert_eq!(hours(&feeds.categories[1]), vec![2, 1]);
        // The site feed has no window here: two items.
        assert_eq!(hours(&feeds.site), vec![10, 9]);
        rules.category.window = Some(1);
        rules.category.limit = 3;
        let feeds = select(&posts, &rules, str::to_string);
        assert_eq!(hours(&feeds.categories[0]), vec![10, 9, 8], "the minimum fills up");
        rules.category.window = Some(5 * 3600);
        rules.category.max_items = Some(2);
        let feeds = select(&posts, &rules, str::to_string);
        assert_eq!(hours(&feeds.categories[0]), vec![10, 9], "max_items caps the window");
        assert_eq!(feeds.categories[0].wanted, 6);
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
        let feeds = select(&posts, &count(2), str::to_string);
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
        let feeds = select(&posts, &count(20), str::to_string);
        assert_eq!(feeds.categories[0].items, vec![1, 0]);
        assert_eq!(feeds.categories[0].total, 2);
    }

    #[test]
    fn case_variants_share_a_feed_with_a_notice() {
        let posts = [post("a", 9, &["TechWeb"]), post("b", 10, &["Techweb"])];
        let posts: Vec<&PostMeta> = posts.iter().collect();
        let feeds = select(&posts, &count(20), str::to_string);
        assert_eq!(feeds.categories.len(), 1);
        assert_eq!(feeds.categories[0].name, "TechWeb");
        assert_eq!(feeds.categories[0].items, vec![1, 0]);
        assert_eq!(feeds.notices.len(), 1);
        assert_eq!(feeds.notices[0].to_string(), "b: note: category `Techweb` shares the feed of `TechWeb` (same folder name once lower-cased and made path-safe)");
    }

    #[test]
    fn a_post_jekyll_publishes_late_is_chosen_and_listed_by_when_it_appeared() {
        // `late` is dated 09:00 but Jekyll reads its unquoted date as UTC and
        // publishes it at 17:00: it is the newest post on the site.
        let mut late = post("late", 9, &["m"]);
        late.jekyll_time += 8 * 3600;
        let posts = [post("a", 10, &["m"]), post("b", 11, &["m"]), late];
        let posts: Vec<&PostMeta> = posts.iter().collect();
        let feeds = select(&posts, &count(1), str::to_string);
        assert_eq!(
            feeds.site.items,
            vec![2],
            "the newest to appear, though its date is the oldest"
        );
        let feeds = select(&posts, &count(20), str::to_string);
        assert_eq!(feeds.categories[0].items, vec![2, 1, 0]);
        // The feed is still dated by its newest date, not the late post's.
        assert_eq!(feeds.site.newest(&posts), Some(posts[1].date));
    }

    /// A site at `https://e.x`, with `extra` in its `_config.yml`.
    fn site(extra: &str) -> (tempfile::TempDir, crate::config::Config) {
        let tmp = tempfile::tempdir().expect("tmp");
        let config = tmp.path().join("_config.yml");
        std::fs::write(&config, format!("url: https://e.x\n{extra}")).expect("config");
        let flags = crate::config::Overrides {
            content_dir: Some(tmp.path().to_path_buf()),
            output_dir: Some(tmp.path().join("out")),
            config_file: Some(config),
            now: Some("2030-01-01T00:00:00+08:00".into()),
            ..crate::config::Overrides::default()
        };
        let config = crate::config::Config::load(flags, None).expect("config");
        (tmp, config)
    }

    /// Jekyll 3.10 and 4.3.1 both show the last post in their order (date,
    /// then path) when posts share a page, a post in `_posts/` over an
    /// archived one; every file gets a warning naming the others.
    #[test]
    fn posts_on_one_page_leave_the_one_jekyll_shows() {
        let (_tmp, config) = site("timezone: UTC\nfeedgen: {archive: [old_post]}\n");
        let md = post("_posts/2021-12-08-a.md", 9, &[]);
        let html = post("_posts/2021-12-08-a.html", 9, &[]);
        let sub = post("_posts/sub/2021-12-08-a.md", 9, &[]);
        let mut early = post("_posts/2021-12-08-p.md", 9, &[]);
        let mut late = post("_posts/2021-12-08-q.md", 9, &[]);
        let other = post("_posts/2021-12-08-z.md", 9, &[]);
        let moved = post("old_post/2021-12-08-z.md", 10, &[]);
        for (p, hour) in [(&mut early, 10), (&mut late, 9)] {
            p.jekyll_time += hour * 3600;
            p.jekyll = Some(Box::new(crate::content::post::JekyllReading {
                permalink: Some("/same".into()),
                ..crate::content::post::JekyllReading::of_file(&p.path, config.site.jekyll)
            }));
        }
        let posts = [&md, &html, &sub, &early, &late, &other, &moved];
        let found = same_page(&config.site, &posts, |p| format!("content/{p}"));
        assert_eq!(found.hidden, [true, true, false, false, true, false, true]);
        let warnings: Vec<String> = found.warnings.iter().map(|(_, d)| d.to_string()).collect();
        let a = "https://e.x/2021/12/08/a.html";
        assert_eq!(
            warnings[0],
            format!(
                "content/_posts/2021-12-08-a.html:1: warning: Jekyll writes this post and content/_posts/2021-12-08-a.md, \
                 content/_posts/sub/2021-12-08-a.md to one page, {a}, which shows \
                 content/_posts/sub/2021-12-08-a.md: the feeds carry that one, not this one; \
                 give each post its own `slug` or `permalink`"
            )
        );
        assert_eq!(warnings.len(), 7, "{warnings:#?}");
        // `/same` and `/same.html` are one file; the later date wins.
        assert!(warnings[2].starts_with("content/_posts/2021-12-08-p.md:1: warning: Jekyll writes this post and content/_posts/2021-12-08-q.md to one page, https://e.x/same, which shows this one"), "{}", warnings[2]);
        assert!(warnings[6].contains("archive folder"), "{}", warnings[6]);
        assert_eq!(found.warnings[6].0, 6, "the archived post's own warning");
        // No shared page: nothing hidden, nothing said.
        let alone = same_page(&config.site, &posts[..1], |p| p.to_string());
        assert_eq!((alone.hidden, alone.warnings.len()), (vec![false], 0));
    }

    /// Posts grouped by one hash but written to two files share no page:
    /// the files themselves decide. Posts of one file with hashes stored
    /// under other settings (which the index never keeps) would be missed,
    /// so the hash is the file's and nothing else.
    #[test]
    fn one_hash_is_not_one_page_until_the_files_agree() {
        let (_tmp, config) = site(
            "timezone: UTC
",
        );
        let mut a = post("_posts/2021-12-08-a.md", 9, &[]);
        let mut b = post("_posts/2021-12-08-b.md", 9, &[]);
        let c = post("_posts/2021-12-08-b.html", 9, &[]);
        a.page_file = NonZeroU64::new(7);
        b.page_file = NonZeroU64::new(7);
        let found = same_page(&config.site, &[&a, &b], |p| p.to_string());
        assert_eq!((found.hidden, found.warnings.len()), (vec![false, false], 0));
        // With `c` (no stored hash: computed), `b` and `c` are one page,
        // which shows `b.md` (after `b.html` in path order).
        b.page_file = Some(page_file(&config.site, &b));
        let found = same_page(&config.site, &[&a, &b, &c], |p| p.to_string());
        assert_eq!((found.hidden, found.warnings.len()), (vec![false, false, true], 2));
        let destination = permalink::destination(&page_path(&config.site, &c));
        assert_eq!(destination, "2021/12/08/b.html");
        assert_eq!(
            page_file(&config.site, &c).get(),
            xxhash_rust::xxh3::xxh3_64(destination.as_bytes())
        );
    }

    /// The URL selection computes from a post's metadata is the item id
    /// rendering computes from the post, for every way Jekyll reads a file
    /// its own way, under both Jekylls, fresh or through the index.
    #[test]
    fn page_paths_of_metadata_are_the_rendered_ids() {
        let files = [
            (
                "_posts/2022-01-01-plain.md",
                "---\ntitle: P\ndate: 2022-01-01 10:00:00 +0800\n---\nx\n",
            ),
            (
                "_posts/2022-01-02-s.md",
                "---\ntitle: S\nslug: Other Slug!\ncategories: [A B, c]\n---\nx\n",
            ),
            (
                "_posts/2022-01-03-p.md",
                "---\ntitle: P\npermalink: /x/:title/\n---\nx\n",
            ),
            (
                "_posts/2022-01-04-u.md",
                "---\ntitle: U\ndate: 2022-01-04 03:00:00\n---\nx\n",
            ),
            ("_posts/2022-01-05-h.md", "\n---\ntitle: H\ncategories: z\n---\nx\n"),
            (
                "_posts/2022-01-06-n.md",
                "---\ntitle: N\ncategories: [[a, b], c]\n---\nx\n",
            ),
            ("news/_posts/2022-01-07-w.md", "whole file\n"),
            ("_posts/2022-01-08-dir/inner.md", "---\ntitle: I\n---\nx\n"),
            ("old_post/2022-01-09-dir/inner.md", "---\ntitle: O\n---\nx\n"),
            ("old_post/2022-01-10-dots...md", "---\ntitle: D\nslug: own\n---\nx\n"),
        ];
        for jekyll in ["", "  jekyll: 4\n"] {
            let (tmp, config) = site(&format!(
                "timezone: Asia/Shanghai\nfeedgen:\n  archive: [old_post]\n{jekyll}"
            ));
            for (rel, text) in files {
                let path = tmp.path().join(rel);
                std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
                std::fs::write(path, text).expect("post");
            }
            let fresh = crate::collection::read_posts(&config, Vec::new());
            let fresh_metas: Vec<Option<NonZeroU64>> = (fresh.records.iter())
                .map(|r| match &r.scanned.outcome {
                    crate::content::post::Outcome::Post(meta) => meta.page_file,
                    _ => None,
                })
                .collect();
            let records: Vec<crate::state::StoredPost> = fresh.records.into_iter().map(Into::into).collect();
            let indexed = crate::collection::read_posts(
                &config,
                records.into_iter().map(crate::state::FromStored::from_stored).collect(),
            );
            assert_eq!(indexed.kept, indexed.records.len(), "every record from the index");
            // Each post's page file hash, set when read, comes back from the index.
            for (fresh, indexed) in fresh_metas.iter().zip(&indexed.records) {
                let crate::content::post::Outcome::Post(meta) = &indexed.scanned.outcome else {
                    continue;
                };
                assert_eq!(meta.page_file, Some(page_file(&config.site, meta)), "{}", meta.path);
                assert_eq!(meta.page_file, *fresh, "{}", meta.path);
            }
            let (posts, hashes) = indexed.published(&config);
            // `dir/inner.md` is a post to one Jekyll only.
            assert!(posts.len() >= files.len() - 2, "{:#?}", indexed.report.diagnostics);
            for (meta, hash) in posts.iter().zip(hashes) {
                let post = crate::content::load_post(
                    &config.content_dir,
                    (meta, hash),
                    config.max_file_size,
                    config.site.jekyll,
                    &config.site.archive,
                )
                .expect("loads");
                let rendered = crate::render::page_path(&config.site, meta, &post);
                assert_eq!(page_path(&config.site, meta), rendered, "{} {jekyll}", meta.path);
            }
        }
    }
}
