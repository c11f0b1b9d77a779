//! Files feedgen writes or removes outside its feeds: the Jekyll data file
//! (`feedgen.jekyll_data`) goes only where the setting names, never
//! through a symlink, into the output or state folder, or over a file
//! feedgen did not write, and goes away with its setting; a state folder
//! named with `--state` keeps the user's own files; the feeds of an old
//! layout (`category_dir`, `tag_dir`) are retired in the run after the
//! change, and `--check` reports them until then.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::harness::{put, Run, Site};

const DATA: &str = "_data/feedgen.json";

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

/// Every error or warning line of `run` that mentions `needle`.
fn said<'a>(run: &'a Run, needle: &str) -> Vec<&'a str> {
    run.diagnostics().into_iter().filter(|l| l.contains(needle)).collect()
}

// ---- The Jekyll data file ----

#[test]
fn a_symlink_at_the_jekyll_data_file_is_neither_followed_nor_replaced() {
    let site = site(&format!("  jekyll_data: {DATA}\n"));
    site.put("_data/theirs.json", "{\"theirs\": true}\n");
    symlink("theirs.json", site.content().join(DATA)).expect("symlink");
    let run = site.build(&[]).expect_code(1);
    assert_eq!(
        said(
            &run,
            "content/_data/feedgen.json: error: reached through a symlink; left as is"
        )
        .len(),
        1,
        "{}",
        run.stderr
    );
    assert!(fs::symlink_metadata(site.content().join(DATA))
        .expect("link")
        .is_symlink());
    assert_eq!(read(&site.content().join("_data/theirs.json")), b"{\"theirs\": true}\n");
    // The feeds are written all the same.
    assert!(site.out().join("category/alpha/rss.xml").is_file());
}

#[test]
fn a_symlinked_folder_on_the_jekyll_data_path_is_never_written_through() {
    // A folder of the site linked to another folder of the site.
    let site = site(&format!("  jekyll_data: {DATA}\n"));
    fs::create_dir_all(site.content().join("data_real")).expect("mkdir");
    symlink("data_real", site.content().join("_data")).expect("symlink");
    let run = site.build(&[]).expect_code(1);
    assert_eq!(
        said(&run, "error: reached through a symlink").len(),
        1,
        "{}",
        run.stderr
    );
    assert_eq!(fs::read_dir(site.content().join("data_real")).expect("ls").count(), 0);
}

#[test]
fn a_jekyll_data_path_leading_outside_the_content_folder_is_a_settings_error() {
    let site = site(&format!("  jekyll_data: {DATA}\n"));
    let elsewhere = tempfile::tempdir().expect("tmp");
    symlink(elsewhere.path(), site.content().join("_data")).expect("symlink");
    let run = site.build(&[]).expect_code(2);
    assert!(
        run.stderr.contains("`feedgen.jekyll_data: _data/feedgen.json`")
            && run.stderr.contains("leads outside the content folder"),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read_dir(elsewhere.path()).expect("ls").count(), 0);
    site.build(&["--check"]).expect_code(2);
}

#[test]
fn a_jekyll_data_path_inside_the_output_folder_is_a_settings_error() {
    let site = site("  jekyll_data: _site/feeds/data.json\n");
    let run = site.build_into("content/_site/feeds", &[]).expect_code(2);
    assert!(run.stderr.contains("is inside the output folder"), "{}", run.stderr);
    assert!(!site.content().join("_site/feeds/data.json").exists());
}

/// Today's damage: the site's JSON Feed overwritten by the data file on
/// every build.
#[test]
fn a_jekyll_data_path_equal_to_a_feeds_path_is_a_settings_error() {
    for feed in ["feed.json", "feeds.json", "category/alpha/feed.json"] {
        let site = site(&format!("  jekyll_data: _site/feeds/{feed}\n"));
        let run = site.build_into("content/_site/feeds", &[]).expect_code(2);
        assert!(
            run.stderr.contains("is inside the output folder"),
            "{feed}: {}",
            run.stderr
        );
        site.config("feedgen:\n  formats: [rss, atom, json]\n");
        site.build_into("content/_site/feeds", &[]).expect_code(0);
        let bytes = read(&site.content().join("_site/feeds").join(feed));
        site.config(&format!(
            "feedgen:\n  formats: [rss, atom, json]\n  jekyll_data: _site/feeds/{feed}\n"
        ));
        site.build_into("content/_site/feeds", &[]).expect_code(2);
        assert_eq!(read(&site.content().join("_site/feeds").join(feed)), bytes, "{feed}");
    }
}

#[test]
fn a_jekyll_data_path_inside_the_state_folder_is_a_settings_error() {
    let site = site("  jekyll_data: .feedgen/data.json\n");
    let run = site.build(&[]).expect_code(2);
    assert!(run.stderr.contains("is inside the state folder"), "{}", run.stderr);
}

#[test]
fn a_users_file_at_the_jekyll_data_path_is_never_written_over() {
    let site = site(&format!("  jekyll_data: {DATA}\n"));
    let mine = "{\"outlets\": [\"mine\"]}\n";
    site.put(DATA, mine);
    let run = site.build(&[]).expect_code(1);
    assert_eq!(
        said(
            &run,
            "content/_data/feedgen.json: error: not written by feedgen; left as is"
        )
        .len(),
        1,
        "{}",
        run.stderr
    );
    assert_eq!(read(&site.content().join(DATA)), mine.as_bytes());
    let check = site.build(&["--check"]).expect_code(1);
    assert_eq!(said(&check, "not written by feedgen").len(), 1, "{}", check.stderr);
    // Taken over after feedgen wrote it: the same single error.
    fs::remove_file(site.content().join(DATA)).expect("rm");
    site.build(&[]).expect_code(0);
    site.put(DATA, mine);
    let run = site.build(&[]).expect_code(1);
    assert_eq!(said(&run, "feedgen.json").len(), 1, "{}", run.stderr);
    assert_eq!(read(&site.content().join(DATA)), mine.as_bytes());
    // Deleted, it is feedgen's to write: with its mark.
    fs::remove_file(site.content().join(DATA)).expect("rm");
    site.build(&[]).expect_code(0);
    let data: serde_json::Value = serde_json::from_slice(&read(&site.content().join(DATA))).expect("json");
    assert!(
        data["generator"].as_str().is_some_and(|g| g.starts_with("feedgen ")),
        "{data}"
    );
    site.build(&[]).expect_code(0);
}

#[test]
fn the_jekyll_data_file_goes_when_its_setting_is_removed() {
    let site = site(&format!("  jekyll_data: {DATA}\n"));
    site.build(&[]).expect_code(0);
    assert!(site.content().join(DATA).is_file());
    site.config("feedgen:\n  formats: [rss, atom, json]\n");
    let check = site.build(&["--check"]).expect_code(1);
    assert!(
        check.stderr.contains("/content/_data/feedgen.json: stale") && !check.stderr.contains("out/content"),
        "{}",
        check.stderr
    );
    let run = site.build(&[]).expect_code(0);
    assert_eq!(run.json().removed, 1, "{}", run.stderr);
    assert!(!site.content().join(DATA).exists());
    site.build(&["--check"]).expect_code(0);
}

#[test]
fn a_renamed_jekyll_data_file_replaces_the_old_one_unless_the_user_took_it_over() {
    let site = site(&format!("  jekyll_data: {DATA}\n"));
    site.build(&[]).expect_code(0);
    let bytes = read(&site.content().join(DATA));
    site.config("feedgen:\n  formats: [rss, atom, json]\n  jekyll_data: _data/feeds.json\n");
    site.build(&["--check"]).expect_code(1);
    let run = site.build(&[]).expect_code(0);
    assert_eq!(run.json().removed, 1, "{}", run.stderr);
    assert!(!site.content().join(DATA).exists());
    assert_eq!(read(&site.content().join("_data/feeds.json")), bytes);
    site.build(&["--check"]).expect_code(0);
    // Renamed again after the user made the file theirs: it stays.
    let mine = "{\"mine\": 1}\n";
    site.put("_data/feeds.json", mine);
    site.config(&format!(
        "feedgen:\n  formats: [rss, atom, json]\n  jekyll_data: {DATA}\n"
    ));
    let run = site.build(&[]).expect_code(0);
    assert_eq!(
        said(
            &run,
            "content/_data/feeds.json: warning: no longer the `feedgen.jekyll_data` file, but not written by feedgen; left as is"
        )
        .len(),
        1,
        "{}",
        run.stderr
    );
    assert_eq!(read(&site.content().join("_data/feeds.json")), mine.as_bytes());
    assert_eq!(read(&site.content().join(DATA)), bytes);
}

// ---- A state folder that holds other files ----

#[test]
fn a_state_folder_keeps_the_users_items_folder_and_other_files() {
    let site = site("");
    let cache = site.path("cache");
    let users: [(&str, &[u8]); 4] = [
        ("items/photo.jpg", b"\xff\xd8 a photo"),
        // Named as the old per-post cache named its files, not marked.
        ("items/0123456789abcdef", b"mine"),
        ("items/deep/notes.txt", b"notes"),
        ("notes.txt", b"keep me"),
    ];
    for (rel, bytes) in users {
        put(&cache, rel, bytes);
    }
    for edit in ["Text,", "Text, again,"] {
        site.build(&["--state", "cache"]).expect_code(0);
        site.edit("_posts/2024-03-01-a.md", "Text", edit);
    }
    let run = site.build(&["--state", "cache"]).expect_code(0);
    assert!(run.diagnostics().is_empty(), "{}", run.stderr);
    for (rel, bytes) in users {
        assert_eq!(read(&cache.join(rel)), bytes, "{rel}");
    }
    // Its own files are there beside them.
    assert!(cache.join("manifest").is_file() && cache.join("items.pack").is_file());
}

#[test]
fn a_users_item_pack_in_the_state_folder_is_left_as_is() {
    let site = site("");
    let cache = site.path("cache");
    let users: [(&str, &[u8]); 2] = [
        ("items.pack", b"my own pack of cards"),
        ("items.idx", b"my index of cards"),
    ];
    for (rel, bytes) in users {
        put(&cache, rel, bytes);
    }
    for edit in ["Text,", "Text, again,"] {
        let run = site.build(&["--state", "cache"]).expect_code(0);
        assert_eq!(
            said(
                &run,
                "cache: warning: holds `items.pack`, `items.idx` that feedgen did not write; left as is"
            )
            .len(),
            1,
            "{}",
            run.stderr
        );
        site.edit("_posts/2024-03-01-a.md", "Text", edit);
    }
    for (rel, bytes) in users {
        assert_eq!(read(&cache.join(rel)), bytes, "{rel}");
    }
}

#[test]
fn a_users_file_named_like_a_state_file_is_left_and_the_build_runs_without_state() {
    let site = site("");
    let cache = site.path("cache");
    let users: [(&str, &[u8]); 3] = [
        ("index", b"my index"),
        ("manifest", b"packing list\n"),
        ("folders", b"a, b, c\n"),
    ];
    for (rel, bytes) in users {
        put(&cache, rel, bytes);
    }
    let run = site.build(&["--state", "cache"]).expect_code(0);
    assert_eq!(
        said(
            &run,
            "cache: warning: holds `index`, `folders`, `manifest` that feedgen did not write; left as is"
        )
        .len(),
        1,
        "{}",
        run.stderr
    );
    assert!(site.out().join("category/alpha/rss.xml").is_file());
    site.build(&["--state", "cache"]).expect_code(0);
    for (rel, bytes) in users {
        assert_eq!(read(&cache.join(rel)), bytes, "{rel}");
    }
}

/// A file of the user's named `ping` is never taken for the list of feeds
/// to ping: nothing is sent, and it stays as it is.
#[test]
fn a_users_file_named_ping_is_never_sent_to_the_hub() {
    // Nothing listens on the discard port: a request fails at once.
    let site = site("  hub: http://127.0.0.1:9/\n");
    put(&site.state(), "ping", "call the plumber\n");
    let run = site.build(&[]).expect_code(0);
    assert_eq!(
        said(&run, "holds `ping` that feedgen did not write").len(),
        1,
        "{}",
        run.stderr
    );
    let mut ping = site.command(&["ping", "--content", "content", "--output", "out"]);
    let ping = crate::harness::run(&mut ping);
    assert_eq!(ping.code, Some(0), "{}", ping.stderr);
    assert!(
        ping.stderr.contains("no changed feeds waiting for a ping"),
        "{}",
        ping.stderr
    );
    assert_eq!(read(&site.state().join("ping")), b"call the plumber\n");
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

// ---- Lost or damaged state ----

/// A state file feedgen wrote in a state folder it created is feedgen's,
/// however damaged: a cut-short head is a broken cache, rebuilt, never a
/// user's file that stops the state (and the ping list) for good.
#[test]
fn a_damaged_state_file_in_feedgens_own_folder_is_a_broken_cache() {
    let site = site("  hub: http://127.0.0.1:9/hub\n");
    site.build(&[]).expect_code(0);
    let state = site.content().join(".feedgen");
    assert!(fs::read_to_string(state.join(".gitignore"))
        .expect("gitignore")
        .starts_with("# feedgen"));
    fs::remove_file(state.join("ping")).expect("ping list");
    for name in ["items.pack", "index", "layouts"] {
        if state.join(name).exists() {
            fs::write(state.join(name), b"\x01\x02\x03").expect("damage");
        }
    }
    site.put(
        "_posts/2024-03-01-a.md",
        "---\ntitle: edited\ndate: 2024-03-01 09:00:00 +0800\ncategories: alpha\ntags: t1\n---\nText.\n",
    );
    let run = site.build(&[]).expect_code(0);
    assert!(said(&run, "did not write").is_empty(), "{}", run.stderr);
    let pings = fs::read_to_string(state.join("ping")).expect("the changed feeds wait for a ping");
    assert!(pings.contains("/category/alpha/"), "{pings}");
}

/// With the state lost, the feeds of a layout the settings no longer
/// have (`category_dir` changed meanwhile) are still found by their mark
/// and retired: the output equals a clean build's.
#[test]
fn with_the_state_lost_an_old_layouts_feeds_are_found_by_their_mark_and_retired() {
    let site = site("");
    site.build(&[]).expect_code(0);
    let out = site.out();
    put(&out, "category/beta/rss.xml", "<rss>by hand</rss>");
    fs::remove_dir_all(site.content().join(".feedgen")).expect("lose the state");
    site.config("feedgen:\n  formats: [rss, atom, json]\n  category_dir: cats\n");
    let run = site.build(&[]).expect_code(0);
    assert_eq!(run.json().removed, 5, "{}", run.stderr);
    assert!(!out.join("category/alpha").exists());
    assert_eq!(read(&out.join("category/beta/rss.xml")), b"<rss>by hand</rss>");
    assert!(out.join("cats/alpha/rss.xml").is_file());
    site.build(&["--check"]).expect_code(0);
}

/// A manifest with a damaged line (a flipped bit turns one path into
/// another) fails its seal and is not read: the feeds of the old layout are
/// found by their mark and retired all the same.
#[test]
fn a_damaged_manifest_is_not_read_and_the_old_layouts_feeds_still_go() {
    let site = site("");
    site.build(&[]).expect_code(0);
    let listed = site.state().join("manifest");
    let text = fs::read_to_string(&listed).expect("manifest");
    fs::write(&listed, text.replacen("category/alpha/", "category/alphb/", 1)).expect("damage");
    site.config("feedgen:\n  formats: [rss, atom, json]\n  category_dir: cats\n");
    let run = site.build(&[]).expect_code(0);
    assert!(said(&run, "no feed path").is_empty(), "{}", run.stderr);
    assert!(!site.out().join("category").exists(), "{}", run.stderr);
    assert!(site.out().join("cats/alpha/rss.xml").is_file());
}

// ---- A feed that cannot be written ----

/// A user's file where a feed's folder must go (the same holds for any
/// failed write: a full disk, a folder that cannot be made): the feeds
/// in it are errors, exit status 1, the file is left as it is, every
/// other feed is written, and once the file is gone a rerun gives what a
/// clean build gives.
#[test]
fn a_feed_that_cannot_be_written_is_an_error_and_the_rest_are_written() {
    let site = site("");
    let out = site.out();
    put(&out, "category/beta", "mine");
    let run = site.build(&[]).expect_code(1);
    let failed = said(&run, "not written (a file an earlier run wrote stays as it was)");
    assert_eq!(failed.len(), 3, "{}", run.stderr);
    for feed in ["atom.xml", "feed.json", "rss.xml"] {
        let line = format!("out/category/beta/{feed}: error: cannot create");
        assert!(failed.iter().any(|l| l.contains(&line)), "{line}: {}", run.stderr);
    }
    assert_eq!(read(&out.join("category/beta")), b"mine");
    for feed in ["category/alpha/rss.xml", "tag/t2/atom.xml", "rss.xml", "feeds.json"] {
        assert!(out.join(feed).is_file(), "{feed}: {}", run.stderr);
    }
    site.build(&[]).expect_code(1);
    fs::remove_file(out.join("category/beta")).expect("rm");
    site.build(&[]).expect_code(0);
    let clean = site.build_into("clean", &[]).expect_code(0);
    assert_eq!(clean.json().written, run.json().written + 3, "{}", clean.stderr);
    assert_eq!(
        crate::harness::output_tree(&out),
        crate::harness::output_tree(&site.root().join("clean"))
    );
}
