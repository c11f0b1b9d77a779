//! Files feedgen writes or removes outside its feeds: the feeds of an old
//! layout (`category_dir`, `tag_dir`) are retired in the run after the
//! change, and `--check` reports them until then.

use std::fs;
use std::path::Path;

use crate::harness::{put, Site};

/// Two posts in two categories and two tags.
fn site(extra_config: &str) -> Site {
    let site = Site::new();
    site.config(&format!("feedgen:\n  formats: [rss, atom, json]\n{extra_config}"));
    for (name, category, tag) in [("2024-03-01-a", "alpha", "t1"), ("2024-03-02-b", "beta", "t2")] {
        site.put(
            &format!("_posts/{name}.md"),
            format!("---\ntitle: {name}\ndate: 2024-03-01 09:00:00 +0800\ncategories: {category}\ntags: {tag}\n---\nText.\n"),
        );
    }
    site
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---- A layout change ----

#[test]
fn after_category_dir_changes_the_old_layouts_feeds_are_retired_and_checked() {
    let site = site("");
    site.build(&[]).expect_code(0);
    let out = site.out();
    put(&out, "category/notes.txt", "mine");
    // A file of the old layout the user made theirs (no mark): left.
    put(&out, "category/beta/rss.xml", "<rss>by hand</rss>");
    site.config("feedgen:\n  formats: [rss, atom, json]\n  category_dir: feeds/category\n");
    let check = site.build(&["--check"]).expect_code(1);
    for old in [
        "category/alpha/rss.xml",
        "category/alpha/feed.json",
        "category/beta/atom.xml",
    ] {
        assert!(
            check.printed(&format!("out/{old}: stale: differs from what a build would write")),
            "{old}: {}",
            check.stderr
        );
    }
    let run = site.build(&[]).expect_code(0);
    assert_eq!(run.json().removed, 5, "{}", run.stderr);
    assert!(
        run.printed("out/category/beta/rss.xml: warning: no longer a feed, but not written by feedgen; left as is"),
        "{}",
        run.stderr
    );
    assert!(!out.join("category/alpha").exists());
    assert_eq!(read(&out.join("category/notes.txt")), b"mine");
    assert!(out.join("feeds/category/alpha/rss.xml").is_file());
    site.build(&["--check"]).expect_code(0);
    let again = site.build(&[]).expect_code(0);
    assert!(again.diagnostics().is_empty(), "{}", again.stderr);
}

#[test]
fn after_tag_dir_changes_a_category_run_retires_the_old_tag_feeds() {
    let site = site("");
    site.build(&[]).expect_code(0);
    site.config("feedgen:\n  formats: [rss, atom, json]\n  tag_dir: topics\n");
    let check = site.build(&["--check", "--category", "alpha"]).expect_code(1);
    assert!(
        check.printed("out/tag/t1/rss.xml: stale: differs from what a build would write"),
        "{}",
        check.stderr
    );
    let run = site.build(&["--category", "alpha"]).expect_code(0);
    assert_eq!(run.json().removed, 6, "{}", run.stderr);
    assert!(!site.out().join("tag").exists());
    site.build(&["--check", "--category", "alpha"]).expect_code(0);
    site.build(&[]).expect_code(0);
    assert!(site.out().join("topics/t1/rss.xml").is_file());
    site.build(&["--check"]).expect_code(0);
}
