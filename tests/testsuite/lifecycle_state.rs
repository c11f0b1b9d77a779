//! The state never outranks the files: in CI the feeds come from git and
//! the state from a cache, and the two drift apart (a cache saved by a run
//! whose push was rejected is newer than the checkout; a restore-key
//! fallback is older). Whatever state a build starts from, its output
//! equals a clean build's, byte for byte, and `--check` says so first.

use std::fs;

use crate::harness::{copy_tree, copy_tree_keeping_times, output_tree, Run, Site};

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
    restore_by(copy_tree, site, from, to);
}

/// [`restore`] with the copy `copy` makes.
fn restore_by(copy: fn(&std::path::Path, &std::path::Path), site: &Site, from: &str, to: &str) {
    let to = site.path(to);
    if to.exists() {
        fs::remove_dir_all(&to).expect("clear");
    }
    copy(&site.path(from), &to);
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

/// The state is older than the checkout: an outlet that arrived and left
/// since, and a post that moved, are unknown to it. Its feeds (which its
/// manifest does not list) are reported by `--check`, then removed, and
/// the discovery files no longer list it.
#[test]
fn an_outlet_that_left_while_the_state_was_old_is_retired() {
    let site = site();
    build(&site, &[]).expect_code(0);
    restore(&site, "state", "state-old");
    for i in 0..3 {
        post(&site, &format!("2022-01-2{i}-x{i}.md"), "gamma", &format!("伽马{i}"));
    }
    let moved = site.content().join("_posts/2022-01-05-p4.md");
    fs::rename(&moved, site.content().join("_posts/2022-01-05-p4-moved.md")).expect("move");
    build(&site, &[]).expect_code(0);
    assert!(site.out().join("category/gamma/rss.xml").is_file());
    // The outlet leaves; the cache gives back the state from before it came.
    for i in 0..3 {
        fs::remove_file(site.content().join(format!("_posts/2022-01-2{i}-x{i}.md"))).expect("rm");
    }
    restore(&site, "state-old", "state");
    let check = build(&site, &["--check"]).expect_code(1);
    for file in ["category/gamma/rss.xml", "tag/gamma新闻/atom.xml", "feeds.json"] {
        assert!(reports_stale(&check, file), "{file}\n{}", check.stderr);
    }
    build(&site, &[]).expect_code(0);
    assert!(
        !site.out().join("category/gamma").exists(),
        "the orphan feeds are removed"
    );
    assert_clean(&site, "old-state");
    build(&site, &["--check"]).expect_code(0);
}

/// Only files with feedgen's mark at feed paths are retired: a file of the
/// user's at such a path, and any other file in the output folder, stay.
#[test]
fn files_without_the_mark_are_never_retired() {
    let site = site();
    build(&site, &[]).expect_code(0);
    let theirs = [
        ("category/mine/rss.xml", "<rss>by hand</rss>"),
        ("category/mine/notes.txt", "notes"),
        ("category/alpha/extra.xml", "<generator>feedgen 0.1</generator>"),
        ("elsewhere/rss.xml", "<generator>feedgen 0.1</generator>"),
    ];
    for (rel, text) in theirs {
        crate::harness::put(&site.out(), rel, text);
    }
    build(&site, &["--check"]).expect_code(0);
    build(&site, &[]).expect_code(0);
    for (rel, text) in theirs {
        assert_eq!(fs::read_to_string(site.out().join(rel)).expect(rel), text);
    }
}

/// A tiny deterministic generator, so a failing step can be replayed.
struct Steps(u64);

impl Steps {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// One edit of the content: a post added, deleted, moved or edited, or an
/// outlet's posts all deleted.
fn edit(site: &Site, steps: &mut Steps, step: usize) {
    let posts = site.content().join("_posts");
    let mut names: Vec<String> = fs::read_dir(&posts)
        .expect("ls")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort();
    let outlets = ["alpha", "beta", "gamma", "delta"];
    let pick = steps.below(names.len().max(1));
    match steps.below(5) {
        0 | 1 => {
            let outlet = outlets[steps.below(outlets.len())];
            let day = 1 + steps.below(27);
            post(
                site,
                &format!("2022-02-{day:02}-s{step}.md"),
                outlet,
                &format!("第{step}步"),
            );
        }
        2 if names.len() > 3 => fs::remove_file(posts.join(&names[pick])).expect("rm"),
        3 if !names.is_empty() => {
            let to = format!("{}-moved{step}.md", names[pick].trim_end_matches(".md"));
            fs::rename(posts.join(&names[pick]), posts.join(to)).expect("move");
        }
        4 => {
            let outlet = outlets[steps.below(outlets.len())];
            let tag = format!("categories: {outlet}\n");
            for name in &names {
                let path = posts.join(name);
                if fs::read_to_string(&path).is_ok_and(|t| t.contains(&tag)) {
                    fs::remove_file(&path).expect("rm outlet");
                }
            }
        }
        _ => {
            if let Some(name) = names.get(pick) {
                let text = fs::read_to_string(posts.join(name)).expect("read");
                fs::write(posts.join(name), text.replace("正文", "改过的正文")).expect("edit");
            }
        }
    }
}

/// Step after step of edits, each built from a state and an output folder
/// of earlier steps, in turn the state newer and older than the output,
/// equals a clean build.
#[test]
fn any_state_with_any_earlier_output_gives_a_clean_build() {
    any_state_with_any_earlier_output(copy_tree);
}

/// The same, each folder restored with its files' modification times, as
/// `actions/cache` restores them (`tar`): the state then vouches for a
/// file by its length and time alone, and must still see every feed that
/// is not the one it recorded.
#[test]
fn any_state_with_any_earlier_output_restored_with_times_gives_a_clean_build() {
    any_state_with_any_earlier_output(copy_tree_keeping_times);
}

fn any_state_with_any_earlier_output(copy: fn(&std::path::Path, &std::path::Path)) {
    let restore = |site: &Site, from: &str, to: &str| restore_by(copy, site, from, to);
    let site = site();
    let mut steps = Steps(21);
    build(&site, &[]).expect_code(0);
    restore(&site, "out", "snap-0-out");
    restore(&site, "state", "snap-0-state");
    for step in 1..=8 {
        edit(&site, &mut steps, step);
        // Odd steps: the newest state over an older output (a lost push);
        // even steps: the newest output under an older state (a fallback).
        let older = steps.below((step - 1).max(1));
        let (state, out) = match step % 2 {
            1 => (step - 1, older),
            _ => (older, step - 1),
        };
        restore(&site, &format!("snap-{state}-state"), "state");
        restore(&site, &format!("snap-{out}-out"), "out");
        build(&site, &[]).expect_code(0);
        assert_clean(&site, &format!("step {step} (state {state}, output {out})"));
        restore(&site, "out", &format!("snap-{step}-out"));
        restore(&site, "state", &format!("snap-{step}-state"));
    }
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

/// The state vouches for a restored feed by its length and modification
/// time: a cache restore (`tar`) keeps both. An older feed of the same
/// length, restored with its own time, is not the one the state recorded,
/// and is written again.
#[test]
fn an_older_feed_of_the_same_length_restored_with_its_time_is_written_again() {
    let site = site();
    build(&site, &[]).expect_code(0);
    restore_by(copy_tree_keeping_times, &site, "out", "cached");
    // The same number of bytes, other bytes: 消息3 becomes 消息9.
    let name = "_posts/2022-01-04-p3.md";
    let text = fs::read_to_string(site.content().join(name)).expect("read");
    site.put(name, text.replace("消息3", "消息9"));
    build(&site, &[]).expect_code(0);
    // A run that finds every feed as written, and stamps each.
    build(&site, &[]).expect_code(0);
    let feed = "category/beta/rss.xml";
    let (new, old) = (site.out().join(feed), site.path("cached").join(feed));
    let (new_bytes, old_bytes) = (fs::read(&new).expect("new"), fs::read(&old).expect("old"));
    assert_eq!(new_bytes.len(), old_bytes.len(), "the same length");
    assert_ne!(new_bytes, old_bytes, "other bytes");
    restore_by(copy_tree_keeping_times, &site, "cached", "out");
    let check = build(&site, &["--check"]).expect_code(1);
    assert!(reports_stale(&check, feed), "{}", check.stderr);
    build(&site, &[]).expect_code(0);
    assert_clean(&site, "restored-with-times");
}

/// A feed overwritten the moment a build ends, with other bytes of the
/// same length: the stamp the build recorded for its own write must not
/// vouch for them (a write in the same clock tick keeps the time), so the
/// next build writes the feed again. Many times over, to meet the tick.
#[test]
fn a_feed_overwritten_right_after_its_build_is_written_again() {
    let site = site();
    let feed = site.out().join("category/alpha/rss.xml");
    for round in 0..20 {
        post(
            &site,
            &format!("2022-03-{:02}-r.md", round + 1),
            "alpha",
            &format!("轮{round:02}"),
        );
        build(&site, &[]).expect_code(0);
        let bytes = fs::read(&feed).expect("feed");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.contains("轮"), "round {round}: the newest post is in the feed");
        fs::write(&feed, text.replacen("轮", "转", 1)).expect("overwrite");
        let rerun = build(&site, &[]).expect_code(0);
        assert_eq!(rerun.json().written, 1, "round {round}: {}", rerun.stderr);
        assert!(
            !fs::read_to_string(&feed).expect("feed").contains("转"),
            "round {round}"
        );
    }
}

/// A cache from before the state was lost and `category_dir` changed,
/// restored under the newer state: its feeds of the old layout are none
/// the state knows of. Restored in place of the output folder (the files
/// the state lists are gone) or its old folder alone put back beside them
/// (they are all still right), they are retired either way, and `--check`
/// reports them first.
#[test]
fn an_old_layouts_feeds_restored_from_an_old_cache_are_retired() {
    let config = |dir: &str| {
        format!("title: 测试\nurl: https://t.example.com\ntimezone: Asia/Shanghai\nfeedgen:\n  limit: 5\n  category_dir: {dir}\n")
    };
    for over in [false, true] {
        let site = site();
        site.put("_config.yml", config("feeds/category"));
        build(&site, &[]).expect_code(0);
        restore_by(copy_tree_keeping_times, &site, "out", "cached");
        fs::remove_dir_all(site.path("state")).expect("lose the state");
        site.put("_config.yml", config("outlets"));
        build(&site, &[]).expect_code(0);
        assert!(
            !site.out().join("feeds").exists(),
            "retired by the walk without a manifest"
        );
        match over {
            false => restore_by(copy_tree_keeping_times, &site, "cached", "out"),
            true => copy_tree_keeping_times(&site.path("cached/feeds"), &site.out().join("feeds")),
        }
        let old = "feeds/category/alpha/rss.xml";
        assert!(site.out().join(old).is_file());
        let check = build(&site, &["--check"]).expect_code(1);
        assert!(reports_stale(&check, old), "over: {over}\n{}", check.stderr);
        build(&site, &[]).expect_code(0);
        assert!(
            !site.out().join("feeds").exists(),
            "over: {over}: the old layout's feeds are retired"
        );
        assert_clean(&site, &format!("old cache, over: {over}"));
    }
}
