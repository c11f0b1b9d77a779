//! Feeds served from where they really are (`feedgen.feeds_url`), site URLs
//! that would leak or break links, and what RSS readers show of an item's
//! author and summary.

use crate::harness::{read_atom, read_rss, Site};

const POST: &str = "---\ntitle: Rates\ndate: 2024-03-01 09:00:00 +0800\ncategories: Markets\ntags: [利率]\n\
excerpt: \"5 > 3 & 2 < 4\"\n---\nBody text.\n";

/// A one-post site with `extra` appended to its `_config.yml`.
fn site(extra: &str) -> Site {
    let site = Site::new();
    site.config(extra);
    site.put("_posts/2024-03-01-rates.md", POST);
    site
}

fn atom_self(feed: &atom_syndication::Feed) -> String {
    feed.links()
        .iter()
        .find(|l| l.rel() == "self")
        .map(|l| l.href().to_string())
        .expect("self link")
}

fn rss_self(channel: &rss::Channel) -> String {
    channel
        .atom_ext()
        .and_then(|a| a.links().iter().find(|l| l.rel() == "self"))
        .map(|l| l.href().to_string())
        .expect("atom:link rel=self")
}

#[test]
fn feeds_url_path_moves_self_links_and_ids_under_the_site() {
    let site = site("baseurl: /blog\nfeedgen:\n  feeds_url: /feeds\n");
    site.build(&[]).expect_code(0);
    let out = site.out();
    let root = "https://safe.example.com/blog/feeds";
    let atom = read_atom(&out.join("category/markets/atom.xml"));
    assert_eq!(atom_self(&atom), format!("{root}/category/markets/atom.xml"));
    assert_eq!(atom.id(), format!("{root}/category/markets/atom.xml"));
    let rss = read_rss(&out.join("tag/利率/rss.xml"));
    assert_eq!(rss_self(&rss), format!("{root}/tag/%E5%88%A9%E7%8E%87/rss.xml"));
    // The pages the feeds describe stay on the site.
    assert_eq!(rss.link(), "https://safe.example.com/blog/");
    assert_eq!(
        rss.items()[0].link(),
        Some("https://safe.example.com/blog/markets/2024/03/01/rates.html")
    );
    let site_atom = read_atom(&out.join("atom.xml"));
    assert_eq!(site_atom.id(), format!("{root}/atom.xml"));
    let schemes: Vec<_> = site_atom.entries()[0]
        .categories()
        .iter()
        .map(|c| c.scheme().unwrap_or_default().to_string())
        .collect();
    assert_eq!(schemes, [format!("{root}/category/"), format!("{root}/tag/")]);
}

#[test]
fn feeds_url_can_be_another_host() {
    let site = site("feedgen:\n  feeds_url: https://cdn.example.net/f/\n");
    site.build(&[]).expect_code(0);
    let atom = read_atom(&site.out().join("rss.xml").with_file_name("atom.xml"));
    assert_eq!(atom_self(&atom), "https://cdn.example.net/f/atom.xml");
    let rss = read_rss(&site.out().join("rss.xml"));
    assert_eq!(rss_self(&rss), "https://cdn.example.net/f/rss.xml");
    assert_eq!(rss.link(), "https://safe.example.com/");
}

#[test]
fn without_feeds_url_feeds_live_at_the_site_root() {
    let site = site("");
    site.build(&[]).expect_code(0);
    let atom = read_atom(&site.out().join("atom.xml"));
    assert_eq!(atom_self(&atom), "https://safe.example.com/atom.xml");
}

#[test]
fn urls_that_would_leak_or_break_links_are_refused() {
    for (key, value, says) in [
        (
            "url",
            "https://user:secret@safe.example.com",
            "holds a user name or password",
        ),
        ("url", "https://token@safe.example.com", "holds a user name or password"),
        ("url", "https://safe.example.com/?utm=x", "has a query"),
        ("url", "https://safe.example.com/#top", "has a fragment"),
        (
            "feeds_url",
            "https://u:p@cdn.example.net/",
            "holds a user name or password",
        ),
        ("feeds_url", "/feeds?x=1", "must be an absolute http(s) URL or a path"),
        (
            "feeds_url",
            "/../elsewhere",
            "must be an absolute http(s) URL or a path",
        ),
        ("feeds_url", "ftp://cdn.example.net/", "must be an http or https URL"),
    ] {
        let s = Site::new();
        let config = if key == "url" {
            format!("title: T\nurl: {value}\n")
        } else {
            format!("title: T\nurl: https://safe.example.com\nfeedgen:\n  feeds_url: \"{value}\"\n")
        };
        s.put("_config.yml", config);
        s.put("_posts/2024-03-01-rates.md", POST);
        let run = s.build(&[]).expect_code(2);
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(says))
            .unwrap_or_else(|| panic!("{key}: {value}: no {says:?} in {}", run.stderr));
        assert!(line.contains("_config.yml"), "names the file: {line}");
        assert!(
            !line.contains("secret") || key != "url" || line.contains("user name"),
            "{line}"
        );
        assert!(!s.out().join("rss.xml").exists(), "{key}: {value}: nothing is written");
    }
}

#[test]
fn rss_items_name_their_author() {
    let site = site("author: 站点编辑部\n");
    site.put(
        "_posts/2024-03-02-signed.md",
        "---\ntitle: Signed\ndate: 2024-03-02 09:00:00 +0800\nauthor: 林知远\n---\nBody.\n",
    );
    site.build(&[]).expect_code(0);
    let rss = read_rss(&site.out().join("rss.xml"));
    let creators: Vec<(String, Vec<String>)> = rss
        .items()
        .iter()
        .map(|i| {
            let dc = i.dublin_core_ext().expect("dc extension");
            (i.title().unwrap_or_default().to_string(), dc.creators().to_vec())
        })
        .collect();
    assert_eq!(
        creators,
        [
            ("Signed".to_string(), vec!["林知远".to_string()]),
            ("Rates".to_string(), vec!["站点编辑部".to_string()]),
        ]
    );
}

#[test]
fn rss_summary_reads_the_same_when_taken_as_html() {
    let site = site("");
    // No excerpt: the summary is the first paragraph's text.
    site.put(
        "_posts/2024-03-02-compare.md",
        "---\ntitle: Compare\ndate: 2024-03-02 09:00:00 +0800\n---\nIf a<b && c>d then buy.\n",
    );
    site.build(&[]).expect_code(0);
    let rss = read_rss(&site.out().join("rss.xml"));
    let descriptions: Vec<_> = rss
        .items()
        .iter()
        .map(|i| i.description().unwrap_or_default())
        .collect();
    // Readers treat an RSS description as HTML: after one round of entity
    // decoding it must be the text as written.
    assert_eq!(
        descriptions,
        ["If a&lt;b &amp;&amp; c&gt;d then buy.", "5 &gt; 3 &amp; 2 &lt; 4"]
    );
    // Atom says `type="text"`, so its summary is the plain text itself.
    let atom = read_atom(&site.out().join("atom.xml"));
    let summaries: Vec<_> = atom
        .entries()
        .iter()
        .map(|e| e.summary().expect("summary").as_str())
        .collect();
    assert_eq!(summaries, ["If a<b && c>d then buy.", "5 > 3 & 2 < 4"]);
}
