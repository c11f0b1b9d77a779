//! Partial builds (`--category`, `--tag`): they keep feedgen's state as
//! bounded as full builds do.

use std::fs;

use crate::harness::{titles, Site};

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
