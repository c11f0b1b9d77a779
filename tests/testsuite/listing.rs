//! A rerun takes the last walk's list of files while none of the content
//! folders changed (`<state>/folders`), and walks again when one did: the
//! output always equals a clean build's, whatever changed.

use std::fs;
use std::time::Duration;

use crate::harness::{feeds, Run, Site};

const NOT_WALKED: &str = "folders unchanged: not walked";

fn post(site: &Site, rel: &str, category: &str, title: &str) {
    let day = &rel[rel.rfind('/').map_or(0, |i| i + 1)..][..10];
    let text = format!(
        "---\ntitle: \"{title}\"\ndate: {day} 10:00:00 +0800\ncategories: {category}\n---\n\n{title}。正文。\n"
    );
    site.put(rel, text);
}

fn site() -> Site {
    let site = Site::new();
    site.put(
        "_config.yml",
        "title: 测试\nurl: https://t.example.com\ntimezone: Asia/Shanghai\n",
    );
    for i in 0..12 {
        let category = ["alpha", "beta"][i % 2];
        post(
            &site,
            &format!("_posts/2022-01-{:02}-p{i}.md", i + 1),
            category,
            &format!("消息{i}"),
        );
    }
    site.put("category/alpha.md", "---\ntitle: 阿尔法\ncategory: alpha\n---\n");
    site.put(
        "_drafts/2022-02-01-draft.md",
        "---\ntitle: 草稿\ncategories: alpha\n---\n\n草稿。\n",
    );
    site
}

/// Wait until every content folder changed more than 2 s ago: a folder
/// changed closer to a walk (by mtime or ctime) is never vouched for.
fn settle() {
    std::thread::sleep(Duration::from_millis(2_100));
}

fn build(site: &Site, extra: &[&str]) -> Run {
    let mut args = vec!["-v"];
    args.extend_from_slice(extra);
    site.build(&args).expect_code(0)
}

/// The feeds of `out` equal those of a clean build (own output and state).
fn assert_clean(site: &Site, step: &str, extra: &[&str]) {
    let (out, state) = (format!("clean-{step}"), format!("clean-{step}-state"));
    let mut args = vec!["--state", &state];
    args.extend_from_slice(extra);
    site.build_into(&out, &args).expect_code(0);
    assert_eq!(feeds(&site.out()), feeds(&site.path(&out)), "{step}");
}

#[test]
fn unchanged_folders_are_not_walked_and_every_change_is_seen() {
    let site = site();
    // Folders written just now are never vouched for.
    assert!(!build(&site, &[]).stderr.contains(NOT_WALKED));
    assert!(!site.state().join("folders").exists());
    settle();
    assert!(!build(&site, &[]).stderr.contains(NOT_WALKED));
    assert!(site.state().join("folders").is_file());
    let rerun = build(&site, &[]);
    assert!(rerun.stderr.contains(NOT_WALKED), "{}", rerun.stderr);
    assert_eq!(rerun.json().written, 0);

    // Edits in place leave the folder as it was: still no walk, and every
    // post is still looked at, so the edit is published.
    post(&site, "_posts/2022-01-03-p2.md", "alpha", "改过的消息2");
    site.put("category/alpha.md", "---\ntitle: 阿尔法新闻\ncategory: alpha\n---\n");
    let edited = build(&site, &[]);
    assert!(edited.stderr.contains(NOT_WALKED), "{}", edited.stderr);
    assert!(edited.json().written > 0);
    assert_clean(&site, "edit", &[]);

    // Each change to a folder's list of files is a walk.
    let posts = site.content().join("_posts");
    let changes: [(&str, &dyn Fn()); 5] = [
        ("add", &|| post(&site, "_posts/2022-01-20-new.md", "gamma", "新消息")),
        ("delete", &|| {
            fs::remove_file(posts.join("2022-01-05-p4.md")).expect("delete")
        }),
        ("rename", &|| {
            fs::rename(posts.join("2022-01-06-p5.md"), posts.join("2022-01-06-moved.md")).expect("rename")
        }),
        ("subfolder", &|| {
            post(&site, "news/_posts/2022-01-21-deep.md", "delta", "深处")
        }),
        ("page", &|| {
            site.put("tag/beta.md", "---\ntitle: 贝塔\ntag: beta\n---\n")
        }),
    ];
    for (step, change) in changes {
        change();
        settle();
        let run = build(&site, &[]);
        assert!(!run.stderr.contains(NOT_WALKED), "{step}: {}", run.stderr);
        assert_clean(&site, step, &[]);
        assert!(
            build(&site, &[]).stderr.contains(NOT_WALKED),
            "{step}: vouched for again"
        );
    }

    // Drafts are another walk.
    let drafts = build(&site, &["--drafts"]);
    assert!(!drafts.stderr.contains(NOT_WALKED), "{}", drafts.stderr);
    assert_clean(&site, "drafts", &["--drafts"]);
}

/// A symlinked post is never vouched for: what it reaches can change with
/// no listed folder changing.
#[test]
fn a_symlinked_post_means_a_walk_every_time() {
    let site = site();
    site.put(
        "_shared/2022-01-30-linked.md",
        "---\ntitle: 链接\ndate: 2022-01-30 10:00:00 +0800\ncategories: alpha\n---\n\n链接。\n",
    );
    std::os::unix::fs::symlink(
        "../_shared/2022-01-30-linked.md",
        site.content().join("_posts/2022-01-30-linked.md"),
    )
    .expect("symlink");
    build(&site, &[]);
    settle();
    assert!(!build(&site, &[]).stderr.contains(NOT_WALKED));
    assert!(!site.state().join("folders").exists());
    assert!(!build(&site, &[]).stderr.contains(NOT_WALKED));
}

/// A damaged listing, or one of another index, is never used.
#[test]
fn a_damaged_or_foreign_listing_means_a_walk() {
    let site = site();
    // The first build makes the state folder in the content folder.
    build(&site, &[]);
    settle();
    build(&site, &[]);
    let listing = site.state().join("folders");
    let mut bytes = fs::read(&listing).expect("listing");
    let last = bytes.len() - 9;
    bytes[last] ^= 1;
    fs::write(&listing, &bytes).expect("damage");
    assert!(!build(&site, &[]).stderr.contains(NOT_WALKED));
    assert!(build(&site, &[]).stderr.contains(NOT_WALKED));
    // A new index (another post read) that the listing does not name.
    let good = fs::read(&listing).expect("listing");
    post(&site, "_posts/2022-01-02-p1.md", "beta", "改过的消息1");
    build(&site, &[]);
    fs::write(&listing, good).expect("an older listing");
    assert!(!build(&site, &[]).stderr.contains(NOT_WALKED));
}
