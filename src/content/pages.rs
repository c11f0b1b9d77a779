//! The site's category and tag pages (`category/zhengquanshibao.html` with
//! `layout: category`, `title: 证券时报新闻`, `category: zhengquanshibao`):
//! read for their front matter only, so a feed can carry the page's title
//! and link to it. Pages get no diagnostics: a page that cannot be read, or
//! that is not a category or tag page, is simply not one.

use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::front_matter::{self, scalar};
use crate::taxonomy::Taxonomy;
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

/// Read the front matter of each page file (`rels`, sorted) in parallel and
/// keep the category and tag pages, in path order.
pub fn read_pages(root: &Path, rels: &[String]) -> Vec<SitePage> {
    rels.par_iter().filter_map(|rel| read_page(root, rel)).collect()
}

fn read_page(root: &Path, rel: &str) -> Option<SitePage> {
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

/// A category or tag page, from the start of its text: Jekyll's rules
/// (`---` on the first line, else a static file; `published: false`
/// writes nothing), then `layout: category` with `category: <name>`, or
/// `layout: tag` with `tag: <name>`, the convention jekyll-archives uses.
pub fn parse_page(rel: &str, text: &str) -> Option<SitePage> {
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
    Some(SitePage {
        rel: rel.to_string(),
        taxonomy,
        name,
        title,
        permalink,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_shape_pages_crlf_and_no_trailing_newline() {
        let lf = "---\nlayout: category\ntitle: 证券时报新闻\ncategory: zhengquanshibao\n---";
        let crlf = lf.replace('\n', "\r\n");
        for text in [lf.to_string(), crlf, format!("{lf}\n")] {
            let page = parse_page("category/zhengquanshibao.html", &text).expect("a page");
            assert_eq!(page.taxonomy, Taxonomy::Category);
            assert_eq!(page.name, "zhengquanshibao");
            assert_eq!(page.title.as_deref(), Some("证券时报新闻"));
        }
        let tag = parse_page("tag/x.md", "---\nlayout: tag\ntag: 财联社\n---\nbody").expect("a tag page");
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
            "---\nlayout: category\n---\n",
            "---\nlayout: category\ncategory: [a, b]\n---\n",
            "---\nlayout: tag\ncategory: a\n---\n",
            "---\nlayout: category\ncategory: a\npublished: false\n---\n",
            "---\n- a\n---\n",
            "---\ntitle: \"a\n---\n",
        ] {
            assert_eq!(parse_page("p.html", text), None, "{text:?}");
        }
    }
}
