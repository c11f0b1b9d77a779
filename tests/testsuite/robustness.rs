//! Issue #9, the input side: what a file, a config or a changing folder can
//! do must never cost a post silently, hang a build, blow up its output, or
//! forge what the terminal shows. One test (or more) per numbered item,
//! each asserting what the user sees: the diagnostic line, the exit status,
//! the files on disk, the bytes of the feeds.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::harness::{assert_feeds_parse, feeds, items, read_atom, read_rss, run, well_formed, Site};

/// A post under `_posts/` with a title, a date and front matter `extra`.
fn post(site: &Site, name: &str, title: &str, extra: &str, body: &str) {
    site.put(
        &format!("_posts/{name}"),
        format!("---\ntitle: \"{title}\"\ndate: 2024-05-01 10:00:00 +0800\n{extra}---\n{body}\n"),
    );
}

fn site_with_posts(n: usize) -> Site {
    let site = Site::new();
    site.config("");
    for i in 0..n {
        post(
            &site,
            &format!("2024-05-01-p{i:03}.md"),
            &format!("Post {i}"),
            "categories: news\n",
            "Body.",
        );
    }
    site
}

// ---- 1. A post that fails its second read ----

/// A writer rewrites one post in place (truncate, then the same bytes or
/// other bytes of the same size) while builds run. Whatever a build saw,
/// it never exits 0 with the post missing and no word about it, and once
/// the writer stops, a build with the index gives exactly a clean build:
/// the index never vouches for a feed that lacks the post.
#[test]
fn a_post_rewritten_during_the_build_is_never_silently_lost() {
    let site = site_with_posts(150);
    let victim = site.content().join("_posts/2024-05-01-p075.md");
    let version = |title: &str| {
        format!("---\ntitle: {title}\ndate: 2024-05-02 10:00:00 +0800\ncategories: news\n---\nBody.\n").into_bytes()
    };
    let versions = [version("Victim A"), version("Victim B")];
    fs::write(&victim, &versions[0]).expect("write");
    site.build(&[]).expect_code(0);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, victim, versions) = (stop.clone(), victim.clone(), versions.clone());
        std::thread::spawn(move || {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                fs::write(&victim, &versions[n % 2]).expect("rewrite");
                n += 1;
                std::thread::sleep(Duration::from_micros(300));
            }
        })
    };
    let (mut complaints, mut vanished) = (0, 0);
    let mut builds = 0;
    // Until the second read has failed a few times (it does in about one
    // build in three here), at most 60 builds.
    while builds < 60 && vanished < 3 {
        builds += 1;
        let run = site.build(&[]);
        let about: Vec<&str> = run.about("content/_posts/2024-05-01-p075.md");
        let in_feed = feeds(&site.out())
            .get("rss.xml")
            .is_some_and(|b| String::from_utf8_lossy(b).contains("<title>Victim "));
        match run.code {
            Some(0) => assert!(in_feed || !about.is_empty(), "exit 0, post missing, nothing said"),
            Some(1) => {
                assert!(
                    !about.is_empty(),
                    "exit 1 without a word about the post:\n{}",
                    run.stderr
                );
                complaints += 1;
            }
            other => panic!("exit {other:?}\n{}", run.stderr),
        }
        if about
            .iter()
            .any(|l| l.contains("changed or vanished while feedgen ran"))
        {
            vanished += 1;
            assert_eq!(run.code, Some(1), "{}", run.stderr);
            assert!(run.json().rejected >= 1, "counted as rejected, not published");
        }
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    eprintln!("{complaints} of {builds} builds exited 1 for the post, {vanished} on its second read");
    assert!(vanished > 0, "the second read never failed: the test did not test it");
    site.build(&[]).expect_code(0);
    site.build_into("clean", &[]).expect_code(0);
    assert_eq!(feeds(&site.out()), feeds(&site.path("clean")));
}

// ---- 2. Same-size edits with the mtime put back ----

#[test]
fn a_same_size_edit_with_its_mtime_restored_is_read_again() {
    // A few posts are looked up by path; a folder of many, by name in the
    // opened folder (`content::scan_all`): both ways see the edit, and a
    // symlinked post in a big folder is followed as it is in a small one.
    for n in [5, 40] {
        let site = site_with_posts(n);
        let outside_posts = site.content().join("linked.md");
        fs::write(
            &outside_posts,
            "---\ntitle: Linked\ndate: 2024-05-02\n---\nLinked body\n",
        )
        .expect("write");
        std::os::unix::fs::symlink("../linked.md", site.content().join("_posts/2024-05-02-linked.md"))
            .expect("symlink");
        site.build(&[]).expect_code(0);
        let path = site.content().join("_posts/2024-05-01-p002.md");
        let mtime = fs::metadata(&path).and_then(|m| m.modified()).expect("mtime");
        let before = fs::read(&path).expect("read");
        site.edit("_posts/2024-05-01-p002.md", "Post 2", "Edit 2");
        assert_eq!(fs::read(&path).expect("read").len(), before.len(), "same size");
        // What `touch -r`, `cp -p` and `tar x` do.
        fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(mtime))
            .expect("restore mtime");
        site.edit("linked.md", "Linked body", "Linked edit");
        site.build(&[]).expect_code(0);
        site.build_into("clean", &[]).expect_code(0);
        let (with_index, clean) = (feeds(&site.out()), feeds(&site.path("clean")));
        assert_eq!(
            with_index, clean,
            "{n} posts: byte-identical with and without the index"
        );
        let rss = String::from_utf8_lossy(&with_index["rss.xml"]).into_owned();
        assert!(
            rss.contains("Edit 2") && rss.contains("Linked edit"),
            "{n} posts: {rss}"
        );
    }
}

// ---- 3. Posts the walk skips ----

#[test]
fn strict_fails_when_the_walk_skips_post_files() {
    let site = site_with_posts(1);
    let posts = site.content().join("_posts");
    let bad_name = posts.join(std::ffi::OsStr::from_bytes(b"2024-05-02-caf\xe9.md"));
    fs::write(&bad_name, "---\ntitle: Latin-1 name\ndate: 2024-05-02\n---\nx\n").expect("write");
    let outside = site.path("outside.md");
    fs::write(&outside, "---\ntitle: Outside\ndate: 2024-05-02\n---\nx\n").expect("write");
    std::os::unix::fs::symlink(&outside, posts.join("2024-05-03-link.md")).expect("symlink");

    let lenient = site.build(&[]).expect_code(0);
    assert!(
        lenient.printed("content/_posts/2024-05-02-caf\u{fffd}.md: warning: file name is not UTF-8; skipped"),
        "{}",
        lenient.stderr
    );
    let strict = site.build(&["--strict"]).expect_code(1);
    assert!(
        strict.printed(
            "content/_posts/2024-05-02-caf\u{fffd}.md: error: file name is not UTF-8; skipped (rejected: --strict)"
        ),
        "{}",
        strict.stderr
    );
    assert!(
        strict.printed("content/_posts/2024-05-03-link.md: error: symlink points outside the content folder (or nowhere); not followed (rejected: --strict)"),
        "{}",
        strict.stderr
    );
    // The post that could be read is still published.
    assert_eq!(strict.json().published, 1);
}

/// A post whose path is over the system's 4,096-byte limit cannot be
/// opened by its path: it is an error with exit 1, never a lost post.
#[test]
fn a_post_beyond_the_path_length_limit_is_an_error() {
    let site = site_with_posts(1);
    let name = "n".repeat(200);
    // Folders made one `cd` at a time: no single path passed to the system
    // is over the limit.
    let script = format!(
        "set -e; cd content/_posts; for i in $(seq 25); do mkdir {name}; cd -P {name}; done; \
         printf -- '---\\ntitle: Deep\\ndate: 2024-05-02\\n---\\nx\\n' > 2024-05-02-deep.md"
    );
    let made = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(site.root())
        .status()
        .expect("sh");
    assert!(made.success());
    let run = site.build(&[]).expect_code(1);
    let errors: Vec<&str> = run
        .diagnostics()
        .into_iter()
        .filter(|l| l.contains(": error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].ends_with("error: cannot read: File name too long (os error 36); any posts in it are not published"),
        "{}",
        errors[0]
    );
    assert_eq!(run.json().published, 1, "the other post is published");
}

// ---- 4. and 18f. Numbers in the config; errors name the file ----

#[test]
fn config_numbers_are_validated_and_errors_name_the_file() {
    for (setting, message) in [
        (
            "feedgen:\n  max_file_size: 18446744073709551615\n",
            "feedgen: error: content/_config.yml: `feedgen.max_file_size` must be a number of bytes from 1 to 1073741824",
        ),
        (
            "feedgen:\n  max_file_size: 0\n",
            "feedgen: error: content/_config.yml: `feedgen.max_file_size` must be a number of bytes from 1 to 1073741824",
        ),
        ("feedgen:\n  limit: 0\n", "feedgen: error: content/_config.yml: `feedgen.limit` must be at least 1"),
        (
            "feedgen:\n  hub: javascript:alert(1)\n",
            "feedgen: error: content/_config.yml: `feedgen.hub: javascript:alert(1)` must be an http or https URL",
        ),
    ] {
        let site = site_with_posts(1);
        site.config(setting);
        let run = site.build(&[]).expect_code(2);
        assert!(run.printed(message), "{setting}\n{}", run.stderr);
        assert!(!site.out().join("rss.xml").exists());
    }
}

// ---- 5. The nesting guard ----

/// `<b></i>` × 150,000: every `</i>` closes nothing, so the HTML parser
/// nests 150,000 `<b>`; the guard counts what the parser builds and the
/// post is published as text, at once.
#[test]
fn end_tags_that_close_nothing_do_not_bypass_the_nesting_guard() {
    let site = site_with_posts(1);
    site.put(
        "_posts/2024-05-02-bypass.html",
        format!(
            "---\ntitle: Bypass\ndate: 2024-05-02\n---\n{}tail\n",
            // 252 KB: under the cut for one item, so all of it is published.
            "<b></i>".repeat(36_000)
        ),
    );
    let run = site.build(&[]).expect_code(0);
    assert!(
        run.printed("content/_posts/2024-05-02-bypass.html:5: warning: the text nests more than 512 levels deep; published as plain text"),
        "{}",
        run.stderr
    );
    assert!(run.elapsed < Duration::from_secs(60), "took {:?}", run.elapsed);
    let bypass = items(&site.out().join("atom.xml"))
        .into_iter()
        .find(|i| i.title == "Bypass")
        .expect("published");
    assert_eq!(bypass.content, "<p>tail</p>");
}

// ---- 6. Term counts ----

#[test]
fn ten_thousand_tags_are_capped_and_output_stays_small() {
    let site = site_with_posts(1);
    let tags: Vec<String> = (0..10_000).map(|i| format!("t{i}")).collect();
    let cats: Vec<String> = (0..30_000).map(|i| format!("c{i}")).collect();
    post(
        &site,
        "2024-05-02-tags.md",
        "Tags",
        &format!("tags: [{}]\n", tags.join(", ")),
        "x",
    );
    post(
        &site,
        "2024-05-03-cats.md",
        "Cats",
        &format!("categories: {}\n", cats.join(" ")),
        "x",
    );
    let run = site.build(&[]).expect_code(0);
    assert!(
        run.printed("content/_posts/2024-05-02-tags.md:4: warning: the post has 10000 tags; only the first 100 are used (feedgen's limit per post)"),
        "{}",
        run.stderr
    );
    assert!(
        run.printed("content/_posts/2024-05-03-cats.md:4: warning: the post has 30000 categories; only the first 100 are used (feedgen's limit per post)"),
        "{}",
        run.stderr
    );
    let all = feeds(&site.out());
    let tag_feeds = all.keys().filter(|k| k.starts_with("tag/")).count();
    assert_eq!(tag_feeds, 200, "100 tags × 2 formats");
    assert!(all.contains_key("tag/t99/rss.xml") && !all.contains_key("tag/t100/rss.xml"));
    let bytes: usize = all.values().map(Vec::len).sum();
    assert!(bytes < 40 << 20, "{bytes} bytes of feeds");
    let rss = read_rss(&site.out().join("tag/t0/rss.xml"));
    assert_eq!(rss.items()[0].categories().len(), 100, "the item lists the capped tags");
}

// ---- 7. Config limits ----

#[test]
fn a_config_that_is_not_a_small_regular_file_is_refused_at_once() {
    let site = site_with_posts(1);
    let fifo = site.path("fifo.yml");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    site.put("brackets.yml", "[".repeat(200_000));
    site.put(
        "huge.yml",
        format!("title: x\n#{}\nurl: https://x.example\n", "y".repeat(300_000)),
    );
    for (config, message) in [
        ("/dev/zero", "feedgen: error: /dev/zero is not a regular file"),
        ("fifo.yml", "feedgen: error: fifo.yml is not a regular file"),
        (
            "content/brackets.yml",
            "feedgen: error: content/brackets.yml is not valid YAML: line 1: nests `[`/`{` more than 128 levels deep",
        ),
        (
            "content/huge.yml",
            "feedgen: error: content/huge.yml is over feedgen's 262144-byte limit for a configuration file",
        ),
    ] {
        let run = site.build(&["--config", config]).expect_code(2);
        assert!(run.printed(message), "{config}\n{}", run.stderr);
        assert!(run.elapsed < Duration::from_secs(30), "{config}: {:?}", run.elapsed);
    }
}

// ---- 8. Deep folders ----

#[test]
fn a_folder_1500_levels_deep_is_walked_in_linear_time() {
    let site = site_with_posts(1);
    let deep: String = "d/".repeat(1_500);
    site.put(
        &format!("{deep}_posts/2024-05-02-deep.md"),
        "---\ntitle: Deep\ndate: 2024-05-02\n---\nx\n",
    );
    let run = site.build(&[]).expect_code(0);
    assert_eq!(run.json().published, 2, "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(20), "took {:?}", run.elapsed);
}

// ---- 9. A crafted index ----

#[test]
fn a_crafted_index_record_count_is_ignored() {
    let site = site_with_posts(20);
    site.build(&[]).expect_code(0);
    let index = site.state().join("index");
    let mut bytes = fs::read(&index).expect("index");
    bytes.truncate(bytes.len() - 8);
    // The record count (after magic and settings stamp): as many as the
    // bytes left, the most the old one-byte-per-record bound let through.
    let left = (bytes.len() - 24) as u64;
    bytes[16..24].copy_from_slice(&left.to_le_bytes());
    let check = xxhash_rust::xxh3::xxh3_64(&bytes);
    bytes.extend_from_slice(&check.to_le_bytes());
    fs::write(&index, &bytes).expect("craft");
    post(&site, "2024-05-02-new.md", "New", "", "x");
    site.build(&[]).expect_code(0);
    site.build_into("clean", &[]).expect_code(0);
    assert_eq!(feeds(&site.out()), feeds(&site.path("clean")));
}

// ---- 10. Big posts ----

#[test]
fn big_posts_are_cut_with_a_warning_and_feeds_stay_bounded() {
    let site = site_with_posts(1);
    let paragraph = "Rates moved as traders read the statement. ".repeat(20) + "\n\n";
    for i in 0..3 {
        let body = paragraph.repeat(1_400_000 / paragraph.len());
        post(&site, &format!("2024-05-02-big{i}.md"), &format!("Big {i}"), "", &body);
    }
    let run = site.build(&[]).expect_code(0);
    let cut: Vec<&str> = run
        .diagnostics()
        .into_iter()
        .filter(|l| l.contains("over feedgen's 262144-byte limit for one feed item; the feeds carry its first"))
        .collect();
    assert_eq!(cut.len(), 3, "{}", run.stderr);
    assert!(
        cut[0].starts_with("content/_posts/2024-05-02-big0.md:5: warning: the text is "),
        "{}",
        cut[0]
    );
    let rss = fs::metadata(site.out().join("rss.xml")).expect("rss").len();
    assert!(rss < 2 * 1024 * 1024, "rss.xml is {rss} bytes");
    for item in items(&site.out().join("atom.xml")) {
        assert!(
            item.content.len() < 400 * 1024,
            "{}: {} bytes",
            item.title,
            item.content.len()
        );
    }
    assert_feeds_parse(&site.out());
}

// ---- 15. and 16. Config strings and author URIs ----

#[test]
fn config_strings_are_cleaned_and_only_web_or_mail_uris_name_people() {
    let site = Site::new();
    site.put(
        "_config.yml",
        "title: \"Bell\\a Site\"\ndescription: \"Desc\\x01\"\nurl: https://safe.example.com\n\
         author: {name: \"Ann\\a\", email: \"ann\\a@example.com\", uri: \"javascript:alert(1)\"}\n\
         feedgen:\n  hub: \"https://hub.example.com/\\a\"\n",
    );
    post(
        &site,
        "2024-05-01-a.md",
        "A",
        "author: {name: Bob, uri: \"javascript:alert(2)\"}\n",
        "x",
    );
    post(
        &site,
        "2024-05-01-b.md",
        "B",
        "author: {name: Cy, uri: \"https://cy.example.com/\"}\n",
        "x",
    );
    post(&site, "2024-05-01-c.md", "C", "", "x");
    site.build(&[]).expect_code(0);
    assert_feeds_parse(&site.out());
    for bytes in feeds(&site.out()).values() {
        well_formed(bytes).expect("well-formed");
        assert!(!String::from_utf8_lossy(bytes).contains("javascript:"));
    }
    let atom = read_atom(&site.out().join("atom.xml"));
    assert_eq!(atom.title().as_str(), "Bell Site");
    assert_eq!(atom.authors()[0].name(), "Ann");
    let uri = |title: &str| {
        let e = atom
            .entries()
            .iter()
            .find(|e| e.title().as_str() == title)
            .expect("entry");
        e.authors()[0].uri().map(str::to_string)
    };
    assert_eq!(uri("A"), None);
    assert_eq!(uri("B").as_deref(), Some("https://cy.example.com/"));

    site.config("feedgen:\n  category_dir: \"cat\\ttab\"\n");
    let run = site.build(&[]).expect_code(2);
    assert!(
        run.stderr
            .contains("`feedgen.category_dir: cat\\ttab` must be a relative folder"),
        "{}",
        run.stderr
    );
}

// ---- 17. Names printed to the terminal ----

#[test]
fn control_characters_in_names_cannot_forge_lines_or_rows() {
    let site = site_with_posts(1);
    // No `/` in it: the file stays a dated post in `_posts/`.
    let forged = "2024-05-02-a\nforged.md:1: error: forged.md";
    post(
        &site,
        forged,
        "",
        "tags: [\"tab\\there\", \"line\\nbreak\", plain]\n",
        "Body.",
    );
    let run = site.build(&[]).expect_code(0);
    assert!(
        !run.stderr.lines().any(|l| l.starts_with("forged.md")),
        "{}",
        run.stderr
    );
    assert!(
        run.printed("content/_posts/2024-05-02-a\\nforged.md:1: error: forged.md:2: warning: empty title; using the first sentence of the text"),
        "{}",
        run.stderr
    );
    let list = run_list(&site, "tags");
    let rows: Vec<&str> = list.lines().collect();
    assert_eq!(rows.len(), 4, "a header and three tags: {list:?}");
    assert!(rows.iter().all(|r| r.split('\t').count() == 4), "{list:?}");
    assert!(rows.iter().any(|r| r.starts_with("tab\\there\t")), "{list:?}");
    assert!(rows.iter().any(|r| r.starts_with("line\\nbreak\t")), "{list:?}");
}

fn run_list(site: &Site, what: &str) -> String {
    let out = run(site
        .command(&["list", what, "--content", "content"])
        .env("NO_COLOR", "1"))
    .expect_code(0);
    out.stdout
}

// ---- 18. Smaller faults ----

#[test]
fn excerpt_entities_read_the_same_in_rss_and_atom() {
    let site = site_with_posts(0);
    post(
        &site,
        "2024-05-01-e.md",
        "E",
        "excerpt: \"Rates &mdash; up &amp; away\"\n",
        "x",
    );
    site.build(&[]).expect_code(0);
    let atom = read_atom(&site.out().join("atom.xml"));
    let summary = atom.entries()[0].summary().expect("summary").as_str().to_string();
    assert_eq!(summary, "Rates — up & away");
    // Readers take an RSS description as HTML, so feedgen writes its `&`
    // as an entity: the same text, "Rates — up & away", with the dash
    // decoded once (never `&amp;mdash;`).
    let rss = read_rss(&site.out().join("rss.xml"));
    assert_eq!(rss.items()[0].description(), Some("Rates — up &amp; away"));
}

#[test]
fn footnote_and_anchor_links_point_into_the_post() {
    let site = site_with_posts(0);
    post(
        &site,
        "2024-05-01-notes.md",
        "Notes",
        "",
        "Text[^1] and [top](#top).\n\n[^1]: The note.",
    );
    site.build(&[]).expect_code(0);
    let item = &items(&site.out().join("atom.xml"))[0];
    let page = "https://safe.example.com/2024/05/01/notes.html";
    assert_eq!(item.link, page);
    assert!(item.content.contains(&format!("href=\"{page}#1\"")), "{}", item.content);
    assert!(
        item.content.contains(&format!("href=\"{page}#top\"")),
        "{}",
        item.content
    );
    assert!(!item.content.contains("https://safe.example.com/#"), "{}", item.content);
}

#[test]
fn a_date_written_as_a_list_is_named_as_one() {
    let site = site_with_posts(0);
    site.put(
        "_posts/2024-01-02-list.md",
        "---\ntitle: L\ndate: [2024-01-02]\n---\nx\n",
    );
    // Published, dated from its name; Jekyll refuses the date: exit 1.
    let run = site.build(&[]).expect_code(1);
    assert!(
        run.printed("content/_posts/2024-01-02-list.md:3: error: the date is a YAML list, not a date (write it without `[` `]`); using 2024-01-02 from the file name; Jekyll will not build the site while this file is there (\"Invalid date\"): fix or remove the `date` line"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_non_ascii_source_host_is_written_in_punycode() {
    let site = site_with_posts(0);
    post(
        &site,
        "2024-05-01-src.md",
        "S",
        "source_url: \"http://例子.测试/新闻?id=1\"\n",
        "x",
    );
    site.build(&[]).expect_code(0);
    let item = &items(&site.out().join("atom.xml"))[0];
    assert_eq!(
        item.via,
        vec!["http://xn--fsqu00a.xn--0zwm56d/%E6%96%B0%E9%97%BB?id=1".to_string()]
    );
    // The bytes as written (feed-rs normalises the URL it reads).
    let url = "http://xn--fsqu00a.xn--0zwm56d/%E6%96%B0%E9%97%BB?id=1";
    let atom = fs::read_to_string(site.out().join("atom.xml")).expect("atom");
    let via = format!("<link href=\"{url}\" rel=\"via\" title=\"xn--fsqu00a.xn--0zwm56d\"/>");
    assert!(atom.contains(&via), "{atom}");
    let rss = read_rss(&site.out().join("rss.xml"));
    let source = rss.items()[0].source().expect("source");
    assert_eq!(source.url(), url);
    assert_eq!(source.title(), Some("xn--fsqu00a.xn--0zwm56d"));
}

#[test]
fn a_time_in_a_thirty_minute_dst_gap_moves_by_the_gap() {
    let site = Site::new();
    site.put(
        "_config.yml",
        "title: LH\nurl: https://lh.example.com\ntimezone: Australia/Lord_Howe\n",
    );
    site.put(
        "_posts/2023-10-01-gap.md",
        "---\ntitle: Gap\ndate: 2023-10-01 02:15:00\n---\nx\n",
    );
    site.build(&[]).expect_code(0);
    let atom = read_atom(&site.out().join("atom.xml"));
    assert_eq!(atom.entries()[0].updated().to_rfc3339(), "2023-10-01T02:45:00+11:00");
}
