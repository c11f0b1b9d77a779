//! Item images in Atom: each entry carries its image as Media RSS
//! (`media:content`, `media:thumbnail`), as RSS items do, so that readers
//! which show RSS images (feedparser, Folo, feed-rs) show them for Atom too.

use crate::harness::{assert_feeds_parse, read_feed_rs, Site};

/// Alpha names its image in front matter, Beta has one in its text, Gamma
/// has none.
fn site_with_images() -> Site {
    let site = Site::new();
    site.config("");
    site.put(
        "_posts/2024-03-01-a.md",
        "---\ntitle: Alpha\ndate: 2024-03-01 09:00:00 +0800\ncategories: news\nimage: /img/a.png\n---\n\
         Text <img src=\"https://img.example.com/not-this.png\">\n",
    );
    site.put(
        "_posts/2024-03-02-b.md",
        "---\ntitle: Beta\ndate: 2024-03-02 09:00:00 +0800\ncategories: news\n---\n\
         Text <img src=\"//img.example.com/b.png?w=1&amp;h=2\">\n",
    );
    site.put(
        "_posts/2024-03-03-c.md",
        "---\ntitle: Gamma\ndate: 2024-03-03 09:00:00 +0800\ncategories: news\n---\nNo image.\n",
    );
    site
}

/// Each entry's title with the URLs of its `media:content` and of its
/// `media:thumbnail`, as feed-rs reads them.
fn media(path: &std::path::Path) -> Vec<(String, Vec<String>, Vec<String>)> {
    let feed = read_feed_rs(path);
    feed.entries
        .iter()
        .map(|e| {
            let title = e.title.as_ref().map(|t| t.content.clone()).unwrap_or_default();
            let content = e
                .media
                .iter()
                .flat_map(|m| &m.content)
                .filter_map(|c| c.url.as_ref().map(|u| u.to_string()))
                .collect();
            let thumbnails = e
                .media
                .iter()
                .flat_map(|m| &m.thumbnails)
                .map(|t| t.image.uri.clone())
                .collect();
            (title, content, thumbnails)
        })
        .collect()
}

/// Beta's image, whose `&` the writer must escape.
const BETA: &str = "https://img.example.com/b.png?w=1&h=2";

#[test]
fn atom_entries_carry_the_same_image_as_rss_items() {
    let site = site_with_images();
    site.build(&[]).expect_code(0);
    let out = site.out();
    assert_feeds_parse(&out);
    let one = |url: &str| vec![url.to_string()];
    let want = vec![
        ("Gamma".to_string(), vec![], vec![]),
        ("Beta".to_string(), one(BETA), one(BETA)),
        (
            "Alpha".to_string(),
            one("https://safe.example.com/img/a.png"),
            one("https://safe.example.com/img/a.png"),
        ),
    ];
    for feed in ["atom.xml", "category/news/atom.xml"] {
        assert_eq!(media(&out.join(feed)), want, "{feed}");
    }
    // The same images as the RSS items.
    assert_eq!(media(&out.join("rss.xml")), want, "rss.xml");
}
