//! Size caps and windows (issue #23, items 7–9): a feed's work, memory and
//! item cache follow its `max_bytes`, not its window; a post too large for
//! the cap is written short, never emptying the feed; no file is ever over
//! its cap, and a feed whose head alone is over it is an error.

use std::fs;
use std::path::Path;

use crate::harness::{published_tree, read_atom, read_rss, run, Run, Site, Summary, NOW};

/// A post of `category` at 12:00 minus `i` minutes on 2022-03-01, titled
/// `post-<i>`, whose first paragraph is `First paragraph <i>.`, then `body`.
fn post(site: &Site, i: usize, category: &str, body: &str, extra: &str) {
    let minutes = 12 * 60 - i;
    let text = format!(
        "---\ntitle: post-{i}\ndate: 2022-03-01 {:02}:{:02}:00 +0800\ncategories: {category}\n{extra}---\n\nFirst paragraph {i}.\n\n{body}\n",
        minutes / 60,
        minutes % 60
    );
    site.put(&format!("_posts/2022-03-01-p{i:03}.md"), text);
}

/// Every feed file under `out` is at most `max` bytes (the discovery
/// files, which list feeds, have no cap).
#[track_caller]
fn assert_within(out: &Path, max: usize) {
    let feeds = published_tree(out).into_iter().filter(|(rel, _)| {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        ["rss.xml", "atom.xml", "feed.json"].contains(&name)
    });
    for (rel, bytes) in feeds {
        assert!(bytes.len() <= max, "{rel} is {} bytes, over {max}", bytes.len());
    }
}

/// The same content built from scratch, into `clean/` with its own state.
#[track_caller]
fn assert_clean_build_agrees(site: &Site, code: i32) {
    let _ = fs::remove_dir_all(site.path("clean"));
    let _ = fs::remove_dir_all(site.path("clean-state"));
    site.build_into("clean", &["--state", "clean-state"]).expect_code(code);
    assert!(
        published_tree(&site.out()) == published_tree(&site.path("clean")),
        "the incremental build's files differ from a clean build's"
    );
}

#[test]
fn a_long_window_of_large_posts_caches_only_what_the_cap_holds() {
    let site = Site::new();
    // 60 posts of ~40 KB, all inside the window; 100 KiB holds two of them.
    site.config("feedgen:\n  window: 1000d\n  max_bytes: 100KiB\n");
    let body = "word ".repeat(8000);
    for i in 20..80 {
        post(&site, i, "news", &body, "");
    }
    site.build(&[]).expect_code(0);
    let out = site.out();
    assert_within(&out, 100 * 1024);
    for file in ["rss.xml", "category/news/rss.xml"] {
        assert_eq!(read_rss(&out.join(file)).items().len(), 2, "{file}");
    }
    // Two feeds (site, category): the cache holds what they write, not
    // the 2.4 MB the window spans (every post was cached before).
    let pack = || fs::metadata(site.state().join("items.pack")).expect("items.pack").len();
    assert!(
        pack() <= 2 * 2 * 100 * 1024,
        "items.pack is {} bytes for two 100 KiB feeds",
        pack()
    );

    // Twelve runs, each with a newer post: the posts the cap no longer
    // reaches leave the cache though they stay in the window (they stayed
    // while any feed carried them: 14 × 40 KB after these runs).
    for i in (8..20).rev() {
        post(&site, i, "news", &body, "");
        site.build(&[]).expect_code(0);
        let newest = read_rss(&out.join("rss.xml")).items()[0].title().map(str::to_string);
        assert_eq!(newest, Some(format!("post-{i}")));
    }
    assert!(
        pack() <= 2 * 2 * 100 * 1024,
        "items.pack is {} bytes for two 100 KiB feeds",
        pack()
    );

    // An edited post: the same files a clean build writes.
    site.edit(
        "_posts/2022-03-01-p008.md",
        "First paragraph 8.",
        "First paragraph eight.",
    );
    site.build(&[]).expect_code(0);
    assert_clean_build_agrees(&site, 0);
}

#[test]
fn long_display_names_cost_what_the_cap_holds_not_the_window() {
    let site = Site::new();
    // 200 posts, each carrying 20 tags whose pages name them with 20 KB:
    // 400 KB of Atom category labels an entry. Rendering the whole window
    // at once took over 256 MiB; a 512 KiB feed holds one entry.
    site.config("feedgen:\n  formats: [atom]\n  window: 1000d\n  max_bytes: 512KiB\n");
    let tags: Vec<String> = (0..20).map(|j| format!("t{j:02}")).collect();
    for t in &tags {
        let page = format!("---\nlayout: tag\ntitle: {t}{}\ntag: {t}\n---\n", "L".repeat(20_000));
        site.put(&format!("tag/{t}.html"), page);
    }
    let extra = format!("tags: [{}]\n", tags.join(", "));
    for i in 0..200 {
        post(&site, i, "news", "short", &extra);
    }
    // Under a 256 MiB address-space limit (the debug binary itself maps
    // over 100 MiB), with few malloc arenas so threads do not reserve more.
    let mut sh = std::process::Command::new("sh");
    sh.current_dir(site.root())
        .env_remove("SOURCE_DATE_EPOCH")
        .env("NO_COLOR", "1")
        .env("MALLOC_ARENA_MAX", "2")
        .args([
            "-c",
            "ulimit -v 262144 && exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_feedgen"),
        ])
        .args(["--content", "content", "--output", "out", "--now", NOW]);
    run(&mut sh).expect_code(0);
    let out = site.out();
    assert_within(&out, 512 * 1024);
    let entries = read_atom(&out.join("atom.xml")).entries().len();
    assert_eq!(entries, 1, "one 400 KB entry fits in 512 KiB");
    let label = read_atom(&out.join("atom.xml")).entries()[0].categories()[1]
        .label()
        .map(str::len);
    assert_eq!(label, Some(20_003), "the label is the tag page's title");
}

#[test]
fn a_post_larger_than_the_cap_is_written_with_its_summary_and_a_warning() {
    let site = Site::new();
    site.config("feedgen:\n  max_bytes: 64KiB\n  formats: [rss, atom, json]\n");
    // The newest of six posts is 110 KB: alone it is over the cap.
    post(&site, 0, "news", &"word ".repeat(22_000), "");
    for i in 1..6 {
        post(&site, i, "news", "short text", "");
    }
    let run = site.build(&[]).expect_code(0);
    let out = site.out();
    assert_within(&out, 64 * 1024);
    for dir in ["", "category/news/"] {
        let rss = read_rss(&out.join(format!("{dir}rss.xml")));
        assert_eq!(rss.items().len(), 6, "{dir}rss.xml");
        let big = &rss.items()[0];
        assert_eq!(big.title(), Some("post-0"));
        assert_eq!(big.description(), Some("First paragraph 0."));
        assert!(big.content().is_none(), "no full text");
        assert!(
            big.link().is_some_and(|l| l.ends_with("/p000.html")),
            "{:?}",
            big.link()
        );
        assert!(rss.items()[1].content().is_some(), "the others keep their full text");

        let atom = read_atom(&out.join(format!("{dir}atom.xml")));
        assert_eq!(atom.entries().len(), 6, "{dir}atom.xml");
        assert!(atom.entries()[0].content().is_none());
        assert_eq!(
            atom.entries()[0].summary().map(|s| s.as_str()),
            Some("First paragraph 0.")
        );

        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join(format!("{dir}feed.json"))).expect("feed.json")).expect("JSON");
        let items = json["items"].as_array().expect("items");
        assert_eq!(items.len(), 6, "{dir}feed.json");
        assert!(items[0].get("content_html").is_none());
        assert_eq!(items[0]["summary"], "First paragraph 0.");
    }
    let warned = run.about("content/_posts/2022-03-01-p000.md");
    assert_eq!(warned.len(), 1, "{:?}", run.diagnostics());
    assert!(
        warned[0].contains(": warning: larger on its own than the `max_bytes` of atom.xml, ")
            && warned[0].contains("written there with its title, summary and link only"),
        "{}",
        warned[0]
    );
    assert_clean_build_agrees(&site, 0);
}

#[test]
fn a_feed_whose_head_alone_is_over_its_cap_is_an_error_and_not_written() {
    let site = Site::new();
    site.config("feedgen:\n  formats: [rss, atom, json]\n  category:\n    max_bytes: 8KiB\n");
    // The category's page names it with 6,000 bytes: in its feeds' title
    // and description both, over 8 KiB before any item.
    let name = "N".repeat(6000);
    site.put(
        "category/news.html",
        format!("---\nlayout: category\ntitle: {name}\ncategory: news\n---\n"),
    );
    for i in 0..3 {
        post(&site, i, "news", "short", "");
    }
    for _ in 0..2 {
        // The second run says it again: nothing vouches for the feed.
        let run = site.build(&[]).expect_code(1);
        for file in ["rss.xml", "atom.xml", "feed.json"] {
            let about = run.about(&format!("out/category/news/{file}"));
            assert_eq!(about.len(), 1, "{:?}", run.diagnostics());
            assert!(
                about[0].contains(": error: this feed's head alone")
                    && about[0].contains("over its `max_bytes` of 8192")
                    && about[0].contains("the name of the category `NNNN"),
                "{}",
                about[0]
            );
            assert!(!site.out().join("category/news").join(file).exists());
        }
        assert_within(&site.out().join("category"), 8 * 1024);
        assert_eq!(read_rss(&site.out().join("rss.xml")).items().len(), 3);
    }
    // A name that fits: the feeds are written.
    site.put(
        "category/news.html",
        "---\nlayout: category\ntitle: News\ncategory: news\n---\n",
    );
    site.build(&[]).expect_code(0);
    assert_within(&site.out().join("category"), 8 * 1024);
    assert_eq!(read_rss(&site.out().join("category/news/rss.xml")).items().len(), 3);
    assert_clean_build_agrees(&site, 0);
}

#[test]
fn a_summary_feed_holds_and_caches_summaries_not_texts() {
    let site = Site::new();
    // The site feed (summaries) holds all 60 posts of ~40 KB; the category
    // feed (full text) two of them.
    site.config("feedgen:\n  window: 1000d\n  max_bytes: 100KiB\n  site:\n    content: summary\n");
    let body = "word ".repeat(8000);
    for i in 20..80 {
        post(&site, i, "news", &body, "");
    }
    site.build(&[]).expect_code(0);
    let out = site.out();
    assert_within(&out, 100 * 1024);
    let rss = read_rss(&out.join("rss.xml"));
    assert_eq!(rss.items().len(), 60);
    assert!(rss.items().iter().all(|i| i.content().is_none()));
    assert_eq!(read_rss(&out.join("category/news/rss.xml")).items().len(), 2);
    // Two whole posts and 60 summaries, not 60 texts (2.4 MB).
    let pack = fs::metadata(site.state().join("items.pack")).expect("items.pack").len();
    assert!(pack <= 2 * 100 * 1024, "items.pack is {pack} bytes");

    site.edit(
        "_posts/2022-03-01-p050.md",
        "First paragraph 50.",
        "First paragraph fifty.",
    );
    site.build(&[]).expect_code(0);
    assert_clean_build_agrees(&site, 0);
}

/// The diagnostic lines of a run, sorted, with its output folder `out`
/// shown as `OUT`.
fn said(run: &Run, out: &str) -> Vec<String> {
    let mut lines: Vec<String> = run
        .diagnostics()
        .into_iter()
        .map(|l| {
            l.replace(&format!("{out}/"), "OUT/")
                .replace(&format!("{out}: "), "OUT: ")
        })
        .collect();
    lines.sort();
    lines
}

/// The exit status and diagnostics of a clean build of the same content,
/// into `clean/` with its own state.
fn clean_build_says(site: &Site, extra: &[&str]) -> (Option<i32>, Vec<String>) {
    let _ = fs::remove_dir_all(site.path("clean"));
    let _ = fs::remove_dir_all(site.path("clean-state"));
    let mut args = vec!["--state", "clean-state"];
    args.extend_from_slice(extra);
    let run = site.build_into("clean", &args);
    (run.code, said(&run, "clean"))
}

/// An incremental build (`extra` flags) exits and says exactly as a clean
/// build does; returns what it said, and its counts.
#[track_caller]
fn assert_says_what_a_clean_build_says(site: &Site, extra: &[&str]) -> (Vec<String>, Summary) {
    let run = site.build(extra);
    let (code, clean) = clean_build_says(site, extra);
    assert_eq!(run.code, code, "exit status\n{}", run.stderr);
    assert_eq!(said(&run, "out"), clean, "the incremental build's diagnostics");
    (clean, run.json())
}

/// The big post's warning among `lines`.
#[track_caller]
fn big_post_warning(lines: &[String]) -> &str {
    let warned: Vec<&String> = lines
        .iter()
        .filter(|l| {
            l.starts_with("content/_posts/2022-03-01-p000.md: warning: larger on its own than the `max_bytes` of ")
        })
        .collect();
    assert_eq!(warned.len(), 1, "{lines:#?}");
    warned[0]
}

/// A site whose caps cut: the newest post is 110 KB, too large for any
/// feed on its own (in `news`, `world` and `abc`); four posts of 20 KB in
/// `long`, of which 64 KiB hold three; eight short ones in `news`, more
/// than `max_items`; and an old post of its own in `other`.
fn capped_site() -> Site {
    let site = Site::new();
    site.config("feedgen:\n  limit: 9\n  max_items: 6\n  max_bytes: 64KiB\n  formats: [rss, atom, json]\n");
    post(&site, 0, "[news, world, abc]", &"word ".repeat(22_000), "");
    for i in 1..5 {
        post(&site, i, "long", &"text ".repeat(4_000), "");
    }
    for i in 5..13 {
        post(&site, i, "news", "short text", "");
    }
    post(&site, 40, "other", "an unrelated post", "");
    site
}

/// A rerun renders only the feeds whose inputs changed, yet says of every
/// feed what a clean build says (issue 23): the cap note counts every file
/// a cap cut, the warning about a post too large for a cap names every
/// file, as the state remembers what each feed's last render cut. So does
/// a rerun after an edit of an unrelated post, one under `--strict` (the
/// warning is no rejection: the exit status is a clean build's), and one
/// after the state lost that memory (every feed is rendered again).
#[test]
fn a_rerun_says_the_cap_note_and_warnings_a_clean_build_says() {
    let site = capped_site();
    let (first, _) = assert_says_what_a_clean_build_says(&site, &[]);
    assert!(
        first
            .iter()
            .any(|l| l.starts_with("OUT: note: `max_items`/`max_bytes` cut ")),
        "{first:#?}"
    );
    assert!(
        big_post_warning(&first)
            .contains("of atom.xml, category/abc/atom.xml, category/abc/feed.json and 9 more feed files:"),
        "{first:#?}"
    );
    let cuts = site.state().join("cuts");
    let stamp = || fs::metadata(&cuts).and_then(|m| m.modified()).ok();
    let before = stamp();

    let (again, counts) = assert_says_what_a_clean_build_says(&site, &[]);
    assert_eq!(counts.written, 0, "a no-op rerun renders nothing");
    assert_eq!(again, first);
    assert!(before.is_some(), "the build records its cuts");
    assert_eq!(
        stamp(),
        before,
        "a run that rendered nothing leaves the records as they are"
    );
    let (strict, _) = assert_says_what_a_clean_build_says(&site, &["--strict"]);
    assert_eq!(strict, first);

    site.edit("_posts/2022-03-01-p040.md", "an unrelated post", "an edited post");
    let (edited, counts) = assert_says_what_a_clean_build_says(&site, &[]);
    assert_eq!(counts.written, 3, "only the feeds of `other`");
    assert_eq!(edited, first);

    fs::remove_file(&cuts).expect("lose the records");
    let (lost, counts) = assert_says_what_a_clean_build_says(&site, &[]);
    assert_eq!(lost, first);
    assert_eq!(counts.written, 0, "every feed rendered again, the same bytes");
    fs::write(&cuts, b"FGCUTS01 damaged").expect("damage the records");
    assert_says_what_a_clean_build_says(&site, &[]);
    assert_says_what_a_clean_build_says(&site, &[]);
    assert_clean_build_agrees(&site, 0);
}

/// A feed retired (its category emptied) is named no more, by the run
/// that retires it nor by the reruns after it.
#[test]
fn a_retired_feed_is_no_longer_named_by_the_too_large_post_warning() {
    let site = capped_site();
    assert_says_what_a_clean_build_says(&site, &[]);
    site.edit("_posts/2022-03-01-p000.md", "[news, world, abc]", "[news, world]");
    for run in 0..2 {
        let (lines, counts) = assert_says_what_a_clean_build_says(&site, &[]);
        assert_eq!(counts.removed, if run == 0 { 3 } else { 0 });
        assert!(!site.out().join("category/abc").exists());
        let warning = big_post_warning(&lines);
        assert!(
            warning.contains("of atom.xml, category/news/atom.xml, category/news/feed.json and 6 more feed files:"),
            "{warning}"
        );
        assert!(!warning.contains("abc"), "{warning}");
    }
}

/// Records of another index than the one read (a run killed between
/// writing the index and the records) are never taken: every feed is
/// rendered again and says what it cuts now.
#[test]
fn records_of_another_index_vouch_for_nothing() {
    let site = capped_site();
    assert_says_what_a_clean_build_says(&site, &[]);
    let cuts = site.state().join("cuts");
    let old = fs::read(&cuts).expect("the records");
    // The large post made short: no feed writes it short any more.
    post(&site, 0, "[news, world, abc]", "short now", "");
    for _ in 0..2 {
        let (lines, _) = assert_says_what_a_clean_build_says(&site, &[]);
        assert!(!lines.iter().any(|l| l.contains("larger on its own")), "{lines:#?}");
        fs::write(&cuts, &old).expect("the records of the first build");
    }
}
