//! The site's category and tag pages (`category/zhengquanshibao.html` with
//! `layout: category`, `title: 证券时报新闻`, `category: zhengquanshibao`):
//! read for their front matter only, so a feed can carry the page's title
//! and link to it. Pages get no diagnostics: a page that cannot be read, or
//! that is not a category or tag page, is simply not one. The same reading
//! counts pages that look like posts moved out of `_posts/`, by folder, for
//! the one note that suggests `feedgen.archive`.

use std::collections::{BTreeMap, HashSet};

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::front_matter::{self, scalar};
use crate::taxonomy::{feed_key, Taxonomy};
use crate::xml_chars::is_xml_char;

/// Bytes of a page read to find its front matter: category pages are a few
/// lines; a page whose front matter does not close within this is not one.
const MAX_PAGE_HEAD: u64 = 64 * 1024;

/// A category or tag page of the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePage {
    /// Relative to the content root, `/`-separated.
    pub rel: String,
    /// Which feed kind the page is the page of.
    pub taxonomy: Taxonomy,
    /// The category or tag, as the page writes it.
    pub name: String,
    /// The page's `title`, trimmed, without characters XML forbids.
    pub title: Option<String>,
    /// The page's own `permalink`, if any.
    pub permalink: Option<String>,
}

/// What the site's pages hold for the feeds.
#[derive(Debug, Default)]
pub struct Pages {
    /// The category and tag pages, in path order: of two pages naming one
    /// feed (compared as folder names are), only the first, so that a
    /// feed's title and link come from the same page.
    pub feed_pages: Vec<SitePage>,
    /// Pages that look like posts moved out of `_posts/` (`layout: post`,
    /// a date, categories), counted by the folder they are in.
    pub moved_posts: BTreeMap<String, usize>,
}

/// What one page is to the feeds.
#[derive(Debug, PartialEq)]
pub enum PageKind {
    /// A category or tag page.
    Feed(SitePage),
    /// A post moved out of `_posts/`, by its look.
    MovedPost,
}

/// Read the front matter of each page file (`rels`) in parallel: the
/// category and tag pages, and the pages that look like moved posts.
pub fn read_pages(root: &Path, rels: &[String]) -> Pages {
    let mut kinds: Vec<(&String, PageKind)> = rels
        .par_iter()
        .filter_map(|rel| Some((rel, read_page(root, rel)?)))
        .collect();
    // Path order, whatever order the file system listed them in.
    kinds.sort_by(|a, b| a.0.cmp(b.0));
    let mut named = HashSet::new();
    let mut pages = Pages::default();
    for (rel, kind) in kinds {
        match kind {
            PageKind::Feed(page) => {
                if named.insert((page.taxonomy, feed_key(&page.name))) {
                    pages.feed_pages.push(page);
                }
            }
            PageKind::MovedPost => {
                let folder = rel.rsplit_once('/').map_or("", |(folder, _)| folder);
                *pages.moved_posts.entry(folder.to_string()).or_default() += 1;
            }
        }
    }
    pages
}

fn read_page(root: &Path, rel: &str) -> Option<PageKind> {
    let mut file = std::fs::File::open(root.join(rel)).ok()?;
    // One small read settles most files (a page without front matter, a
    // large static HTML file); only front matter that goes on reads more.
    let mut head = Vec::with_capacity(4096);
    (&mut file).take(4096).read_to_end(&mut head).ok()?;
    if !head.starts_with(b"---") {
        return None;
    }
    if head.len() == 4096 {
        file.take(MAX_PAGE_HEAD - 4096).read_to_end(&mut head).ok()?;
    }
    // The cut may split a character; the front matter ends well before it.
    let text = match std::str::from_utf8(&head) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
    };
    parse_page(rel, text)
}

/// A category or tag page, or a moved post, from the start of its text:
/// Jekyll's rules (`---` on the first line, else a static file;
/// `published: false` writes nothing), then `layout: category` with
/// `category: <name>`, or `layout: tag` with `tag: <name>`, the convention
/// jekyll-archives uses; or `layout: post` with a date (in the file name
/// or the front matter) and categories, in a folder.
pub fn parse_page(rel: &str, text: &str) -> Option<PageKind> {
    let first = text.split('\n').next()?;
    if first.trim_end() != "---" {
        return None;
    }
    let text = text.replace("\r\n", "\n");
    let split = front_matter::split(&text).ok()?;
    let map = front_matter::parse(split.yaml).ok()?.map;
    if matches!(map.get("published"), Some(front_matter::Value::Bool(false))) {
        return None;
    }
    let (taxonomy, key) = match scalar(map.get("layout"))?.trim() {
        "category" => (Taxonomy::Category, "category"),
        "tag" => (Taxonomy::Tag, "tag"),
        "post" => return looks_moved(rel, &map).then_some(PageKind::MovedPost),
        _ => return None,
    };
    let name = scalar(map.get(key))?.trim().to_string();
    if name.is_empty() {
        return None;
    }
    let title = scalar(map.get("title"))
        .map(|t| {
            t.chars()
                .filter(|c| is_xml_char(*c))
                .collect::<String>()
                .trim()
                .to_string()
        })
        .filter(|t| !t.is_empty());
    let permalink = scalar(map.get("permalink")).filter(|p| !p.trim().is_empty());
    Some(PageKind::Feed(SitePage {
        rel: rel.to_string(),
        taxonomy,
        name,
        title,
        permalink,
    }))
}

/// A `layout: post` page in a folder with a date (a `YYYY-MM-DD-` file
/// name, or a front-matter `date`) and categories: a post moved out of
/// `_posts/`, to judge by its look.
fn looks_moved(rel: &str, map: &front_matter::Mapping) -> bool {
    let Some((_, name)) = rel.rsplit_once('/') else {
        return false;
    };
    let given = |key: &str| match map.get(key) {
        None | Some(front_matter::Value::Null) => false,
        Some(front_matter::Value::Sequence(items)) => !items.is_empty(),
        Some(value) => scalar(Some(value)).is_some_and(|text| !text.trim().is_empty()),
    };
    let dated_name = name.len() > 11
        && name.as_bytes()[..11].iter().enumerate().all(|(i, b)| {
            if matches!(i, 4 | 7 | 10) {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    (dated_name || given("date")) && (given("categories") || given("category"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_shape_pages_crlf_and_no_trailing_newline() {
        let lf = "---\nlayout: category\ntitle: 证券时报新闻\ncategory: zhengquanshibao\n---";
        let crlf = lf.replace('\n', "\r\n");
        for text in [lf.to_string(), crlf, format!("{lf}\n")] {
            let Some(PageKind::Feed(page)) = parse_page("category/zhengquanshibao.html", &text) else {
                panic!("a page: {text:?}")
            };
            assert_eq!(page.taxonomy, Taxonomy::Category);
            assert_eq!(page.name, "zhengquanshibao");
            assert_eq!(page.title.as_deref(), Some("证券时报新闻"));
        }
        let Some(PageKind::Feed(tag)) = parse_page("tag/x.md", "---\nlayout: tag\ntag: 财联社\n---\nbody") else {
            panic!("a tag page")
        };
        assert_eq!(
            (tag.taxonomy, tag.name.as_str(), tag.title),
            (Taxonomy::Tag, "财联社", None)
        );
    }

    #[test]
    fn other_pages_are_not_category_pages() {
        for text in [
            "",
            "no front matter",
            "\n---\nlayout: category\ncategory: a\n---\n",
            "---\nlayout: category\ncategory: a\n",
            "---\nlayout: post\ncategory: a\n---\n",
            "---\nlayout: post\ndate: 2022-05-10\n---\n",
            "---\nlayout: category\n---\n",
            "---\nlayout: category\ncategory: [a, b]\n---\n",
            "---\nlayout: tag\ncategory: a\n---\n",
            "---\nlayout: category\ncategory: a\npublished: false\n---\n",
            "---\n- a\n---\n",
            "---\ntitle: \"a\n---\n",
        ] {
            assert_eq!(parse_page("p.html", text), None, "{text:?}");
            assert_eq!(parse_page("old/p.html", text), None, "{text:?}");
        }
    }

    #[test]
    fn pages_that_look_like_moved_posts_are_told_apart() {
        let moved = [
            (
                "old_post/2022-05-10-a.md",
                "---\nlayout: post\ncategories: [Markets]\n---\n",
            ),
            (
                "old_post/a.md",
                "---\nlayout: post\ndate: 2022-05-10\ncategory: x\n---\n",
            ),
            ("old/sub/2022-05-10-a.html", "---\nlayout: post\ncategories: a b\n---\n"),
        ];
        for (rel, text) in moved {
            assert_eq!(parse_page(rel, text), Some(PageKind::MovedPost), "{rel}");
        }
        let not_moved = [
            ("2022-05-10-a.md", "---\nlayout: post\ncategories: [Markets]\n---\n"),
            ("old_post/a.md", "---\nlayout: post\ncategories: [Markets]\n---\n"),
            ("old_post/2022-05-10-a.md", "---\nlayout: post\ncategories: []\n---\n"),
            ("old_post/2022-05-10-a.md", "---\nlayout: page\ncategories: [a]\n---\n"),
            (
                "old_post/2022-05-10-a.md",
                "---\nlayout: post\ncategories: [a]\npublished: false\n---\n",
            ),
        ];
        for (rel, text) in not_moved {
            assert_eq!(parse_page(rel, text), None, "{rel}: {text:?}");
        }
    }
}
