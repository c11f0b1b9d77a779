//! The state never outranks the files: in CI the feeds come from git and
//! the state from a cache, and the two drift apart (a cache saved by a run
//! whose push was rejected is newer than the checkout; a restore-key
//! fallback is older). Whatever state a build starts from, its output
//! equals a clean build's, byte for byte, and `--check` says so first.

use std::fs;

use crate::harness::{copy_tree, output_tree, Run, Site};

fn post(site: &Site, name: &str, category: &str, title: &str) {
    let text = post_text(name, category, title);
    site.put(&format!("_posts/{name}"), text);
}

fn post_text(name: &str, category: &str, title: &str) -> String {
    let day = &name[..10];
    format!(
        "---\ntitle: \"{title}\"\ndate: {day} 10:00:00 +0800\ncategories: {category}\ntags: [{category}新闻, 市场]\n---\n\n{title}。正文。\n"
    )
}

fn site() -> Site {
    let site = Site::new();
    site.put(
        "_config.yml",
        "title: 测试\nurl: https://t.example.com\ntimezone: Asia/Shanghai\nfeedgen:\n  limit: 5\n",
    );
    for i in 0..12 {
        let category = ["alpha", "beta"][i % 2];
        post(
            &site,
            &format!("2022-01-{:02}-p{i}.md", i + 1),
            category,
            &format!("消息{i}"),
        );
    }
    site
}

/// A build into `out` with the state folder `state` (both in the site's
/// folder, so a test can swap them).
fn build(site: &Site, extra: &[&str]) -> Run {
    let mut args = vec!["--state", "state"];
    args.extend_from_slice(extra);
    site.build(&args)
}

/// `from` (a folder of the site) copied over `to`, which is emptied first.
fn restore(site: &Site, from: &str, to: &str) {
    let to = site.path(to);
    if to.exists() {
        fs::remove_dir_all(&to).expect("clear");
    }
    copy_tree(&site.path(from), &to);
}

/// `out` holds the bytes of a clean build (own output and state folder).
#[track_caller]
fn assert_clean(site: &Site, step: &str) {
    let (out, state) = (format!("clean-{step}"), format!("clean-{step}-state"));
    site.build_into(&out, &["--state", &state]).expect_code(0);
    let (got, want) = (output_tree(&site.out()), output_tree(&site.path(&out)));
    let names = |t: &std::collections::BTreeMap<String, Vec<u8>>| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&got), names(&want), "{step}: the same files");
    for (path, bytes) in &want {
        assert!(got[path] == *bytes, "{step}: {path} differs from a clean build");
    }
    fs::remove_dir_all(site.path(&out)).expect("rm clean");
    fs::remove_dir_all(site.path(&state)).expect("rm clean state");
}

/// Whether `--check` said the output folder's `file` is stale.
fn reports_stale(check: &Run, file: &str) -> bool {
    let head = format!("out/{file}: stale");
    check.stderr.lines().any(|l| l.starts_with(&head))
}

/// A run saved its state, its push was rejected: the next run starts from
/// the committed (older) feeds with the newer state, and fetches the same
/// post again. The post reaches its feeds.
#[test]
fn a_post_fetched_again_after_a_lost_push_reaches_its_feeds() {
    let site = site();
    build(&site, &[]).expect_code(0);
    restore(&site, "out", "committed");
    let name = "2022-02-01-again.md";
    post(&site, name, "alpha", "又来了");
    build(&site, &[]).expect_code(0);
    assert!(fs::read_to_string(site.out().join("category/alpha/rss.xml"))
        .expect("feed")
        .contains("又来了"));
    // The next job: a fresh checkout (the committed feeds, without the
    // post), the newer state from the cache, the same post fetched again.
    restore(&site, "committed", "out");
    fs::remove_file(site.content().join("_posts").join(name)).expect("rm");
    post(&site, name, "alpha", "又来了");
    let check = build(&site, &["--check"]).expect_code(1);
    assert!(reports_stale(&check, "category/alpha/rss.xml"), "{}", check.stderr);
    build(&site, &[]).expect_code(0);
    assert_clean(&site, "refetched");
    let rerun = build(&site, &["--check"]).expect_code(0);
    assert_eq!(rerun.json().stale, 0);
}

/// A state and output folder moved to another place (a cache restored on
/// another machine, with other absolute paths) are read as no state: the
/// build equals a clean one.
#[test]
fn a_state_from_other_paths_gives_a_clean_build() {
    let site = site();
    build(&site, &[]).expect_code(0);
    let other = Site::new();
    fs::remove_dir_all(other.content()).expect("rm");
    for dir in ["content", "out", "state"] {
        copy_tree(&site.path(dir), &other.path(dir));
    }
    post(&other, "2022-02-02-there.md", "beta", "别处");
    fs::remove_file(other.content().join("_posts/2022-01-01-p0.md")).expect("rm");
    build(&other, &[]).expect_code(0);
    assert_clean(&other, "moved");
}
