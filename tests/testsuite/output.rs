//! The output folder as feedgen's alone to write, and only its feeds:
//! the state kept out of what is served, folders feedgen refuses to write
//! into, a manifest that cannot make it delete anything else, files it did
//! not write left as they are, colliding layouts refused, and the
//! durability setting.

use std::fs;

use crate::harness::{
    assert_feeds_parse, feeds, is_published_file, manifest, output_tree, put, titles, well_formed, Site,
};

/// A site with posts in categories `stays` and `goes`, tag `t`.
fn site() -> Site {
    let site = Site::new();
    site.config("");
    for (slug, category) in [("stays", "stays"), ("goes", "goes")] {
        site.put(
            &format!("_posts/2024-01-01-{slug}.md"),
            format!("---\ntitle: {slug}\ndate: 2024-01-01\ncategories: {category}\ntags: t\n---\nText.\n"),
        );
    }
    site
}

// ---- State ----

#[test]
fn state_lives_in_a_dot_folder_of_the_content_and_is_never_served() {
    let site = site();
    site.build(&[]).expect_code(0);
    let served = output_tree(&site.out());
    assert!(served.keys().all(|k| is_published_file(k)), "{:?}", served.keys());
    let state = site.state();
    for name in ["index", "manifest", "lock"] {
        assert!(state.join(name).is_file(), "state/{name}");
    }
    assert_eq!(
        fs::read_to_string(state.join(".gitignore")).expect("gitignore"),
        "# feedgen's state folder: a cache, safe to delete\n*\n"
    );
    assert_eq!(
        manifest(&state),
        output_tree(&site.out()).into_keys().collect::<Vec<_>>()
    );
}

#[test]
fn deleting_the_state_gives_the_same_feeds_and_keeps_them_feedgens() {
    let site = site();
    site.build(&[]).expect_code(0);
    let first = output_tree(&site.out());
    fs::remove_dir_all(site.state()).expect("lose the state");
    let again = site.build(&[]).expect_code(0);
    assert!(again.diagnostics().is_empty(), "{}", again.stderr);
    assert_eq!(output_tree(&site.out()), first);

    // Without a manifest, feeds that carry feedgen's mark are still its
    // own: a vanished category's feeds go.
    fs::remove_dir_all(site.state()).expect("lose the state");
    fs::remove_file(site.content().join("_posts/2024-01-01-goes.md")).expect("rm post");
    let run = site.build(&[]).expect_code(0);
    assert_eq!(run.json().removed, 2, "{}", run.stderr);
    assert!(!site.out().join("category/goes").exists());
}

#[test]
fn state_folder_can_be_named_by_flag_or_setting() {
    let site = site();
    // `--state` is relative to the working folder.
    site.build(&["--state", "cache/feedgen"]).expect_code(0);
    assert!(site.path("cache/feedgen/index").is_file());
    assert!(!site.state().exists());
    // `feedgen.state_dir` is relative to the content folder.
    site.config("feedgen:\n  state_dir: ../ci-cache\n");
    site.build(&[]).expect_code(0);
    assert!(site.path("ci-cache/manifest").is_file());
    assert!(output_tree(&site.out()).keys().all(|k| is_published_file(k)));
}

#[test]
fn a_state_folder_that_cannot_be_written_costs_speed_not_feeds() {
    // Root ignores permission bits: a state folder under a plain file
    // cannot be created by anyone (as in a read-only content checkout).
    let site = site();
    site.build_into("reference", &[]).expect_code(0);
    put(site.root(), "not-a-folder", "");
    for _ in 0..2 {
        let run = site.build(&["--state", "not-a-folder/state"]).expect_code(0);
        let warning = run
            .about("not-a-folder/state")
            .into_iter()
            .find(|l| l.contains(": warning: cannot write the state folder ("))
            .map(str::to_string);
        assert!(
            warning.is_some_and(|w| w
                .ends_with("); built without the rebuild index and manifest (name a writable folder with --state)")),
            "{}",
            run.stderr
        );
        assert_eq!(output_tree(&site.out()), output_tree(&site.path("reference")));
    }
}

#[test]
fn a_state_folder_inside_the_output_folder_is_refused() {
    let site = site();
    let run = site.build(&["--state", "out/.state"]).expect_code(2);
    assert!(
        run.stderr.contains("--state out/.state") && run.stderr.contains("inside the output folder"),
        "{}",
        run.stderr
    );
    assert!(!site.out().exists(), "nothing written");
    // `feedgen.state_dir` is relative to the content folder: `.` is it.
    site.config("feedgen:\n  state_dir: .\n");
    let run = site.build(&[]).expect_code(2);
    assert!(
        run.stderr.contains("`feedgen.state_dir: .`") && run.stderr.contains("not the content folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn state_files_of_earlier_versions_are_removed_from_the_output_once() {
    let site = site();
    site.build(&[]).expect_code(0);
    let feeds = output_tree(&site.out());
    fs::remove_dir_all(site.state()).expect("as an earlier version had it");
    let out = site.out();
    put(&out, ".feedgen-index", "FGINDEX2 old");
    put(&out, ".feedgen.lock", "");
    put(&out, ".feedgen-manifest", "rss.xml\natom.xml\ncategory/gone/rss.xml\n");
    put(
        &out,
        "category/gone/rss.xml",
        "<rss><channel><generator>feedgen 0.1.0</generator></channel></rss>",
    );
    let run = site.build(&["-v"]).expect_code(0);
    assert!(
        run.printed("out/.feedgen-index: note: feedgen's state from an earlier version, served with the feeds; removed (the state now lives in the state folder)"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.json().removed,
        1,
        "the old manifest's vanished feed: {}",
        run.stderr
    );
    assert_eq!(output_tree(&out), feeds);
    let again = site.build(&["-v"]).expect_code(0);
    assert!(!again.stderr.contains("earlier version"), "{}", again.stderr);
}

// ---- Item 11: folders feedgen refuses to write into ----

#[test]
fn the_root_home_and_content_folders_are_refused_as_output() {
    let site = site();
    let home = site.path("home");
    fs::create_dir_all(&home).expect("home");
    let root_path = site.root().display().to_string();
    let cases = [
        ("/", "is the file-system root"),
        ("home", "is your home folder"),
        ("content", "is the content folder"),
        (".", "holds the content folder"),
        (root_path.as_str(), "holds the content folder"),
        ("content/..", "holds the content folder"),
    ];
    for (out, why) in cases {
        let run = site
            .command(&["--content", "content", "--output", out])
            .env("HOME", &home)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "--output {out}: {stderr}");
        assert!(
            stderr.contains(&format!("--output {out} (")) && stderr.contains(why),
            "--output {out}: {stderr}"
        );
    }
    assert!(!std::path::Path::new("/rss.xml").exists());
    assert!(!home.join("rss.xml").exists() && !site.content().join("rss.xml").exists());
    assert!(!site.path("rss.xml").exists());
    // A folder inside the content folder (Jekyll's `_site/feeds`) is fine.
    site.build_into("content/_site/feeds", &[]).expect_code(0);
}

// ---- Item 12: a hand-edited manifest deletes nothing else ----

#[cfg(unix)]
#[test]
fn a_hand_edited_manifest_deletes_only_feeds_feedgen_could_have_written() {
    let site = site();
    let out = site.out();
    site.build(&[]).expect_code(0);
    let elsewhere = tempfile::tempdir().expect("tmp");
    put(elsewhere.path(), "secret.txt", "secret");
    put(
        elsewhere.path(),
        "x/rss.xml",
        "<rss><channel><generator>feedgen 0.1.0</generator></channel></rss>",
    );
    std::os::unix::fs::symlink(elsewhere.path(), out.join("lnk")).expect("symlink");
    // A category folder that is a symlink out of the output folder.
    std::os::unix::fs::symlink(elsewhere.path(), out.join("category/linked")).expect("symlink");
    put(&out, "user.txt", "mine");
    put(&out, "category/goes/notes.txt", "mine");
    let listed = site.state().join("manifest");
    let tampered = "user.txt\nlnk/secret.txt\ncategory/goes/notes.txt\ncategory/linked/x/rss.xml\ncategory/linked/rss.xml\n../outside.xml\n";
    crate::harness::tamper_manifest(&listed, tampered);
    fs::remove_file(site.content().join("_posts/2024-01-01-goes.md")).expect("rm post");

    let run = site.build(&[]).expect_code(0);
    assert_eq!(run.json().removed, 2, "only category/goes's two feeds: {}", run.stderr);
    for entry in [
        "user.txt",
        "lnk/secret.txt",
        "category/goes/notes.txt",
        "category/linked/x/rss.xml",
    ] {
        assert!(
            run.printed(&format!(
                "content/.feedgen/manifest: warning: the manifest lists `{entry}`, which is no feed path feedgen writes; ignored (nothing is removed)"
            )),
            "{entry}: {}",
            run.stderr
        );
    }
    assert!(
        run.printed(
            "out/category/linked/rss.xml: warning: no longer a feed, but reached through a symlink; left as is"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(fs::read_to_string(out.join("user.txt")).ok().as_deref(), Some("mine"));
    assert_eq!(
        fs::read_to_string(out.join("category/goes/notes.txt")).ok().as_deref(),
        Some("mine")
    );
    assert!(elsewhere.path().join("secret.txt").is_file() && elsewhere.path().join("x/rss.xml").is_file());
    assert!(!out.join("category/goes/rss.xml").exists());
    // The ignored entries are gone from the manifest.
    assert!(manifest(&site.state())
        .iter()
        .all(|l| is_published_file(l) && !l.contains("linked")));
}

// ---- Item 13: a file feedgen did not write at a feed path ----

#[test]
fn a_hand_made_file_at_a_feed_path_is_left_as_is_and_never_deleted() {
    let site = site();
    let out = site.out();
    let hand = "<rss><channel><title>made by hand</title></channel></rss>\n";
    put(&out, "category/goes/rss.xml", hand);
    let run = site.build(&[]).expect_code(1);
    assert!(
        run.printed("out/category/goes/rss.xml: error: not written by feedgen; left as is (delete it to let feedgen write this feed)"),
        "{}",
        run.stderr
    );
    assert_eq!(
        fs::read_to_string(out.join("category/goes/rss.xml")).ok().as_deref(),
        Some(hand)
    );
    assert!(out.join("category/goes/atom.xml").is_file(), "the rest is published");
    assert!(!manifest(&site.state()).contains(&"category/goes/rss.xml".to_string()));

    // Said again on the next run; never deleted when the category goes.
    site.build(&[]).expect_code(1);
    fs::remove_file(site.content().join("_posts/2024-01-01-goes.md")).expect("rm post");
    let gone = site.build(&[]).expect_code(0);
    assert_eq!(gone.json().removed, 1, "only feedgen's atom.xml: {}", gone.stderr);
    assert_eq!(
        fs::read_to_string(out.join("category/goes/rss.xml")).ok().as_deref(),
        Some(hand)
    );

    // A feed feedgen wrote and the user replaced is not overwritten either.
    let stays = out.join("category/stays/atom.xml");
    fs::write(&stays, "mine now").expect("replace");
    site.put(
        "_posts/2024-01-02-more.md",
        "---\ntitle: more\ndate: 2024-01-02\ncategories: stays\n---\nText.\n",
    );
    let run = site.build(&[]).expect_code(1);
    assert!(run.printed("out/category/stays/atom.xml: error: not written by feedgen; left as is (delete it to let feedgen write this feed)"), "{}", run.stderr);
    assert_eq!(fs::read_to_string(&stays).ok().as_deref(), Some("mine now"));
    // Deleting it lets feedgen write the feed.
    fs::remove_file(&stays).expect("rm");
    site.build(&[]).expect_code(0);
    assert!(fs::read_to_string(&stays).expect("feed").contains("<generator"));
}

// ---- Item 14: colliding folder settings ----

#[test]
fn colliding_or_reserved_feed_folders_are_refused() {
    let site = site();
    for (settings, named) in [
        (
            "category_dir: x\n  tag_dir: x",
            "`feedgen.category_dir: x` and `feedgen.tag_dir: x` overlap",
        ),
        (
            "category_dir: feeds\n  tag_dir: feeds/tag",
            "`feedgen.category_dir: feeds` and `feedgen.tag_dir: feeds/tag` overlap",
        ),
        (
            "category_dir: rss.xml",
            "`feedgen.category_dir: rss.xml` uses the name `rss.xml`",
        ),
        (
            "tag_dir: .feedgen-index",
            "`feedgen.tag_dir: .feedgen-index` uses the name `.feedgen-index`",
        ),
        (
            "tag_dir: t/atom.xml",
            "`feedgen.tag_dir: t/atom.xml` uses the name `atom.xml`",
        ),
        // The discovery files sit at the top of the output folder too.
        (
            "category_dir: index.html",
            "`feedgen.category_dir: index.html` uses the name `index.html`",
        ),
        (
            "tag_dir: feeds.json",
            "`feedgen.tag_dir: feeds.json` uses the name `feeds.json`",
        ),
        (
            "tag_dir: feed.json",
            "`feedgen.tag_dir: feed.json` uses the name `feed.json`",
        ),
    ] {
        site.config(&format!("feedgen:\n  {settings}\n"));
        let run = site.build(&[]).expect_code(2);
        assert!(
            run.stderr.contains(named) && run.stderr.contains("content/_config.yml: "),
            "{settings}: {}",
            run.stderr
        );
        assert!(!site.out().exists(), "nothing written");
    }
}

/// Every kind of file feedgen writes carries its mark near the start, so
/// a JSON Feed larger than the part of a file read for the mark (1 MiB)
/// stays feedgen's: rebuilt after an edit, and after the state is lost.
#[test]
fn big_json_feeds_and_discovery_files_stay_feedgens() {
    let site = Site::new();
    site.config("feedgen:\n  formats: [rss, atom, json]\n");
    let body = "行情数据更新。".repeat(4_000); // 84 KB
    for i in 0..20 {
        site.put(
            &format!("_posts/2024-01-{:02}-post{i}.md", i + 1),
            format!(
                "---\ntitle: Post {i}\ndate: 2024-01-{:02} 10:00:00 +0800\ncategories: news\n---\n{body}\n",
                i + 1
            ),
        );
    }
    site.build(&[]).expect_code(0);
    let size = fs::metadata(site.out().join("category/news/feed.json"))
        .expect("feed.json")
        .len();
    assert!(size > 1 << 20, "the JSON Feed is {size} bytes");
    site.put(
        "_posts/2024-01-20-post19.md",
        format!("---\ntitle: Post 19, edited\ndate: 2024-01-20 10:00:00 +0800\ncategories: news\n---\n{body}\n"),
    );
    let run = site.build(&[]).expect_code(0);
    assert!(!run.stderr.contains("not written by feedgen"), "{}", run.stderr);
    fs::remove_dir_all(site.state()).expect("lose the state");
    let run = site.build(&[]).expect_code(0);
    assert!(!run.stderr.contains("feedgen did not write"), "{}", run.stderr);
    assert!(!run.stderr.contains("not written by feedgen"), "{}", run.stderr);
    // Dropping JSON Feed removes its files: they are feedgen's.
    site.config("");
    site.build(&[]).expect_code(0);
    assert!(!site.out().join("category/news/feed.json").exists());
    assert!(!site.out().join("feed.json").exists());
}

/// A site that puts its own `index.html` where feedgen's directory was
/// gets one warning, and its file is neither overwritten nor removed.
#[test]
fn a_discovery_file_replaced_by_the_site_is_left_with_one_warning() {
    let site = site();
    site.build(&[]).expect_code(0);
    fs::write(site.out().join("index.html"), "<html>mine</html>").expect("replace");
    for _ in 0..2 {
        let run = site.build(&[]).expect_code(0);
        let about: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("out/index.html")).collect();
        assert_eq!(
            about,
            ["out/index.html: warning: exists and feedgen did not write it; left as it is, and this discovery file is not written"],
            "{}",
            run.stderr
        );
        assert_eq!(
            fs::read_to_string(site.out().join("index.html")).expect("index"),
            "<html>mine</html>"
        );
    }
}

// ---- Item 19: durability ----

#[test]
fn fsync_is_a_setting_that_never_changes_the_bytes() {
    let site = site();
    site.build_into("synced", &[]).expect_code(0);
    site.config("feedgen:\n  fsync: false\n");
    site.build_into("unsynced", &[]).expect_code(0);
    assert_eq!(output_tree(&site.path("synced")), output_tree(&site.path("unsynced")));
    site.config("feedgen:\n  fsync: sometimes\n");
    let run = site.build(&[]).expect_code(2);
    assert!(
        run.stderr.contains("`feedgen.fsync` must be true or false"),
        "{}",
        run.stderr
    );
}

// ---- Found by the fuzz target ----

/// A file or folder name may hold any character but `/` and NUL; one XML
/// forbids (BEL) once made the title of an untitled post, and every feed
/// that listed it was malformed, with exit 0.
#[test]
fn control_characters_in_file_and_folder_names_never_reach_a_feed() {
    let site = Site::new();
    site.config("");
    site.put("_posts/2022-06-21-a\u{7}b.md", "---\ndate: 2022-06-21\n---\n");
    site.put(
        "cat\u{7}x/_posts/2022-06-22-c.md",
        "---\ntitle: c\ndate: 2022-06-22\n---\nText.\n",
    );
    site.build(&[]).expect_code(0);
    let out = site.out();
    assert_feeds_parse(&out);
    for (rel, bytes) in feeds(&out) {
        assert!(well_formed(&bytes).is_ok(), "{rel}");
        assert!(!bytes.contains(&7), "{rel} holds a BEL");
    }
    assert_eq!(titles(&out.join("rss.xml")), ["c", "ab"]);
    assert!(out.join("category/cat_x/rss.xml").is_file());
}
