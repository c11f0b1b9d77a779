//! Partial builds (`--category`, `--tag`) keep feedgen's state as bounded
//! as full builds do; and the smaller guarantees issue 23 asked for: of
//! two pages naming one feed, one gives both its title and its link; the
//! window's boundary is where README puts it; an integer too large for 64
//! bits names its setting (and keeps its post).

use std::fs;

use crate::harness::{read_rss, titles, Site};

/// The size of the state's item cache.
fn pack_size(site: &Site) -> u64 {
    fs::metadata(site.state().join("items.pack")).expect("items.pack").len()
}

#[test]
fn partial_builds_drop_dead_cached_items_and_compact_like_full_builds() {
    let site = Site::new();
    site.config("");
    let body = "A paragraph of news, long enough to weigh in the cache.\n\n".repeat(300);
    for (i, (category, tag)) in [("alpha", "one"), ("alpha", "two"), ("beta", "one"), ("beta", "two")]
        .into_iter()
        .enumerate()
    {
        site.put(
            &format!("_posts/2024-05-0{}-p{i}.md", i + 1),
            format!("---\ntitle: \"p{i} v0\"\ndate: 2024-05-0{} 10:00:00 +0800\ncategories: {category}\ntags: {tag}\n---\n{body}", i + 1),
        );
    }
    site.build(&[]).expect_code(0);
    let full = pack_size(&site);

    // 40 edits of one post, each followed by a partial build of a feed
    // that carries it: by category, then by tag.
    for n in 1..=40 {
        site.edit(
            "_posts/2024-05-01-p0.md",
            &format!("p0 v{}\"", n - 1),
            &format!("p0 v{n}\""),
        );
        let only = if n % 2 == 0 {
            ["--category", "alpha"]
        } else {
            ["--tag", "one"]
        };
        site.build(&only).expect_code(0);
    }
    assert!(
        titles(&site.out().join("category/alpha/rss.xml")).contains(&"p0 v40".to_string()),
        "the last partial build published the last edit"
    );
    let after = pack_size(&site);
    eprintln!("items.pack: {full} bytes after the full build, {after} after 40 partial builds");
    // At most about twice the live records plus one run's appends, as
    // after full builds; each edit appended a record of the post.
    assert!(
        after <= 3 * full,
        "items.pack grew from {full} to {after} bytes over 40 partial builds"
    );
}

// ---- Two pages naming one feed (issue 23, item 15) ----

/// The RSS title and channel link of the `alpha` category feed.
fn alpha_head(site: &Site) -> (String, String) {
    let rss = read_rss(&site.out().join("category/alpha/rss.xml"));
    (rss.title().to_string(), rss.link().to_string())
}

#[test]
fn of_two_pages_naming_one_feed_the_first_in_path_order_gives_both_title_and_link() {
    let titled = "---\nlayout: category\ntitle: Alpha News\ncategory: alpha\n---";
    let untitled = "---\nlayout: category\ncategory: Alpha\n---";
    // (first page in path order, second), each written in both orders.
    for (first, second) in [(titled, untitled), (untitled, titled)] {
        let mut heads = Vec::new();
        for created_first in [true, false] {
            let site = Site::new();
            site.config("");
            site.put(
                "_posts/2024-05-01-p.md",
                "---\ntitle: p\ndate: 2024-05-01 10:00:00 +0800\ncategories: alpha\n---\nText.\n",
            );
            let pages = [("category/a.html", first), ("category/b.html", second)];
            let order = if created_first { [0, 1] } else { [1, 0] };
            for i in order {
                site.put(pages[i].0, pages[i].1);
            }
            site.build(&[]).expect_code(0);
            heads.push(alpha_head(&site));
        }
        let title = if first == titled {
            "Safety · Alpha News"
        } else {
            "Safety · alpha"
        };
        let expected = (
            title.to_string(),
            "https://safe.example.com/category/a.html".to_string(),
        );
        assert_eq!(
            heads,
            vec![expected.clone(), expected],
            "the page first in path order counts"
        );
    }
}

// ---- The window's boundary (issue 23, smaller items) ----

#[test]
fn a_post_exactly_window_older_than_the_newest_is_in_the_window_and_one_second_more_is_not() {
    let site = Site::new();
    site.config("feedgen:\n  window: 2h\n  limit: 1\n");
    for (slug, time) in [
        ("newest", "12:00:00"),
        ("boundary", "10:00:00"),
        ("outside", "09:59:59"),
        ("old", "09:00:00"),
    ] {
        site.put(
            &format!("_posts/2024-05-01-{slug}.md"),
            format!("---\ntitle: {slug}\ndate: 2024-05-01 {time} +0800\ncategories: w\n---\nText.\n"),
        );
    }
    site.build(&[]).expect_code(0);
    for feed in ["rss.xml", "category/w/rss.xml", "category/w/atom.xml"] {
        assert_eq!(titles(&site.out().join(feed)), ["newest", "boundary"], "{feed}");
    }
}

// ---- Numbers too large for 64 bits (issue 23: `ttl` overflow names the right problem) ----

#[test]
fn an_integer_too_large_for_64_bits_names_its_setting_and_keeps_its_post() {
    let site = Site::new();
    site.put(
        "_posts/2024-05-01-big.md",
        "---\ntitle: 99999999999999999999\ndate: 2024-05-01 10:00:00 +0800\ntags: [-99999999999999999999]\n---\nText.\n",
    );
    // Unquoted, each setting names itself and its limit, not the YAML.
    for (setting, expected) in [
        (
            "ttl: 99999999999999999999",
            "`feedgen.ttl` must be at most 52704000 minutes (100 years)",
        ),
        (
            "update_period: daily\n  update_frequency: 99999999999999999999",
            "`feedgen.update_frequency` must be a whole number of updates per period, from 1 to 1000000",
        ),
        ("limit: 99999999999999999999", "`feedgen.limit`"),
        ("window: 99999999999999999999", "`feedgen.window`"),
    ] {
        site.config(&format!("feedgen:\n  {setting}\n"));
        let run = site.build(&[]).expect_code(2);
        assert!(
            run.stderr.contains(&format!("content/_config.yml: {expected}")) && !run.stderr.contains("YAML"),
            "{setting}: want {expected:?}\n{}",
            run.stderr
        );
    }
    // In front matter, Jekyll (Ruby's YAML) reads it; so does feedgen, as
    // the digits written.
    site.config("");
    let run = site.build(&[]).expect_code(0);
    assert_eq!(run.json().rejected, 0, "{}", run.stderr);
    let items = crate::harness::items(&site.out().join("rss.xml"));
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].title, "99999999999999999999");
    assert!(site.out().join("tag/-99999999999999999999/rss.xml").exists());
}
