//! Output you can trust, whatever happens: a build killed with SIGKILL at
//! any moment leaves every feed old-and-complete or new-and-complete; two
//! builds at once give what one gives; arbitrary text in any field gives
//! well-formed feeds inside the output folder; no symlink, name or
//! configured path leads feedgen out of its folders; and feedgen deletes
//! only what it wrote.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use proptest::prelude::*;

use crate::harness::{
    assert_feeds_parse, assert_inside, copy_tree, feeds, finish, manifest, published_tree, put, titles, tree,
    well_formed, Site, HANG_GUARD,
};

// ---- A large generated collection ----

/// Write `posts` posts in `categories` categories and 30 tags, with
/// `paragraphs` × 80 bytes of body; `edition` goes into every title so two
/// editions differ in every feed.
fn generate(site: &Site, posts: usize, categories: usize, paragraphs: usize, edition: &str) {
    site.config("feedgen:\n  limit: 20\n");
    for i in 0..posts {
        let (month, day) = (1 + i % 12, 1 + i % 28);
        let body: String = (0..paragraphs)
            .map(|p| format!("Paragraph {p} of post {i}: the market moved and traders reacted to the news.\n\n"))
            .collect();
        site.put(
            &format!("_posts/2024-{month:02}-{day:02}-post{i:05}.md"),
            format!(
                "---\ntitle: \"Post {i}, {edition} edition\"\ndate: 2024-{month:02}-{day:02} {:02}:{:02}:00 +0800\ncategories: cat{:03}\ntags: tag{:02}\n---\n{body}",
                i % 24,
                i % 60,
                i % categories,
                i % 30
            ),
        );
    }
}

/// Temp files feedgen's atomic writes leave behind (`.<name>.….tmp`).
fn temp_files(out: &Path) -> Vec<String> {
    tree(out)
        .into_keys()
        .filter(|rel| {
            let name = rel.rsplit('/').next().unwrap_or(rel);
            name.starts_with('.') && name.ends_with(".tmp")
        })
        .collect()
}

/// When to SIGKILL a build.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// After this long, whatever it is doing.
    After(Duration),
    /// As soon as this many of `feeds` have been replaced: points in the
    /// write phase that do not depend on how loaded the machine is.
    Replaced(usize),
}

/// Start a build of the site into `<out>` and SIGKILL it at `when`;
/// `feeds` are the feed files already in `<out>`. Returns whether it was
/// still running when killed.
fn build_and_kill(site: &Site, out: &str, when: Kill, feeds: &[&String]) -> bool {
    let root = site.root();
    let started = SystemTime::now();
    let begun = Instant::now();
    let mut child = site
        .command(&["--content", "content", "--output", out, "-q"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start feedgen");
    let replaced = || {
        feeds
            .iter()
            .filter(|f| {
                fs::metadata(root.join(out).join(f))
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t >= started)
            })
            .count()
    };
    loop {
        if child.try_wait().expect("poll feedgen").is_some() || begun.elapsed() > HANG_GUARD {
            break;
        }
        let due = match when {
            Kill::After(delay) => begun.elapsed() >= delay,
            Kill::Replaced(n) => replaced() >= n,
        };
        if due {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let running = child.try_wait().expect("poll feedgen").is_none();
    // `Child::kill` sends SIGKILL on Unix: no handler, no cleanup.
    let _ = child.kill();
    let status = child.wait().expect("reap feedgen");
    if running {
        assert_eq!(status.code(), None, "killed by a signal");
    }
    running
}

/// Every feed in `out` is well-formed and byte-identical to the same feed
/// in `old` or in `new`; the manifest is one of theirs too.
fn assert_old_or_new(out: &Path, old: &BTreeMap<String, Vec<u8>>, new: &BTreeMap<String, Vec<u8>>) -> (usize, usize) {
    let on_disk = feeds(out);
    for (rel, bytes) in &on_disk {
        if let Err(e) = well_formed(bytes) {
            panic!("{rel} is malformed after a kill: {e}");
        }
    }
    let (mut olds, mut news) = (0, 0);
    for (rel, bytes) in &on_disk {
        if new.get(rel) == Some(bytes) {
            news += 1;
        } else if old.get(rel) == Some(bytes) {
            olds += 1;
        } else {
            panic!("{rel} is neither the old nor the new feed ({} bytes)", bytes.len());
        }
    }
    let expected: Vec<&String> = new.keys().filter(|k| k.ends_with(".xml")).collect();
    assert_eq!(on_disk.keys().collect::<Vec<_>>(), expected, "a feed went missing");
    let state = out.parent().expect("site").join("content/.feedgen");
    let listed = manifest(&state);
    for rel in on_disk.keys() {
        assert!(listed.contains(rel), "the manifest does not list {rel}");
    }
    (olds, news)
}

#[test]
fn sigkill_at_any_moment_leaves_every_feed_old_or_new_and_complete() {
    let site = Site::new();
    let root = site.root();
    generate(&site, 1200, 300, 40, "first");
    let first = site.build_into("old", &[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    generate(&site, 1200, 300, 40, "second");
    let second = site.build_into("new", &[]);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    let old = published_tree(&root.join("old"));
    let new = published_tree(&root.join("new"));
    let feed_files: Vec<&String> = old.keys().filter(|k| k.ends_with(".xml")).collect();
    assert!(feed_files.len() > 600, "{} feeds", feed_files.len());

    // Kill rebuilds of the first edition's output: once while it reads
    // posts, then at points through the write phase.
    let points = [
        Kill::After(second.elapsed / 5),
        Kill::Replaced(1),
        Kill::Replaced(feed_files.len() / 3),
        Kill::Replaced(feed_files.len() / 2),
        Kill::Replaced(feed_files.len() * 4 / 5),
    ];
    let (mut killed, mut mixed) = (0, 0);
    let mut leftovers = Vec::new();
    for (n, when) in points.into_iter().enumerate() {
        let out = format!("kill{n}");
        copy_tree(&root.join("old"), &root.join(&out));
        let running = build_and_kill(&site, &out, when, &feed_files);
        let (olds, news) = assert_old_or_new(&root.join(&out), &old, &new);
        killed += usize::from(running);
        mixed += usize::from(olds > 0 && news > 0);
        let temps = temp_files(&root.join(&out));
        eprintln!(
            "killed at {when:?} (running: {running}): {olds} old feeds, {news} new, {} temp files",
            temps.len()
        );
        for t in &temps {
            assert!(!t.ends_with(".xml"), "a temp file looks like a feed: {t}");
        }
        leftovers.push((out, temps.len()));
    }
    assert!(killed >= 4, "only {killed} of 5 kills hit a running build");
    assert!(mixed >= 2, "only {mixed} kills left a mix of old and new feeds");

    // A later run completes a killed output and leaves no temp files. A
    // kill rarely lands between a temp file's write and its rename, so
    // also plant one as such a kill leaves it, beside a feed still old.
    let (out, _) = leftovers.iter().find(|(_, t)| *t > 0).unwrap_or(&leftovers[3]);
    let out = root.join(out);
    let stale = feeds(&out)
        .into_iter()
        .find(|(rel, bytes)| old.get(rel) == Some(bytes))
        .map(|(rel, _)| rel)
        .expect("a feed still old");
    let leftover = match stale.rsplit_once('/') {
        Some((folder, name)) => format!("{folder}/.{name}.tmp"),
        None => format!(".{stale}.tmp"),
    };
    put(&out, &leftover, "<?xml version=\"1.0\"?><rss><chan");
    let run = site.build_into(&out.to_string_lossy(), &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(published_tree(&out), new, "a run after a kill equals a clean build");
    assert_eq!(
        temp_files(&out),
        Vec::<String>::new(),
        "temp files left after a clean run"
    );
}

/// A killed run leaves the rebuild index of the run before it, which
/// vouches for feeds the killed run has since replaced: when the posts then
/// go back to what that index saw, those feeds are skipped as up to date
/// and keep the killed run's bytes.
#[test]
fn a_run_after_a_killed_run_equals_a_clean_build_even_when_the_posts_go_back() {
    let site = Site::new();
    let root = site.root();
    generate(&site, 800, 200, 20, "first");
    let first = site.build_into("old", &[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let old = published_tree(&root.join("old"));
    generate(&site, 800, 200, 20, "second");
    let second = site.build_into("new", &[]);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    let new = published_tree(&root.join("new"));
    let feed_files: Vec<&String> = old.keys().filter(|k| k.ends_with(".xml")).collect();
    copy_tree(&root.join("old"), &site.out());
    build_and_kill(&site, "out", Kill::Replaced(feed_files.len() / 2), &feed_files);
    let (olds, news) = assert_old_or_new(&site.out(), &old, &new);
    assert!(olds > 0 && news > 0, "the kill left {olds} old and {news} new feeds");
    // The posts go back to the first edition: the feeds must too.
    generate(&site, 800, 200, 20, "first");
    let run = site.build(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let now = published_tree(&site.out());
    let differing: Vec<&String> = old.keys().filter(|k| now.get(*k) != old.get(*k)).collect();
    assert!(
        differing.is_empty(),
        "{} files differ from a clean build of the same posts, e.g. {:?}",
        differing.len(),
        differing.first()
    );
}

#[test]
fn two_builds_at_once_equal_one_clean_build() {
    let site = Site::new();
    let root = site.root();
    generate(&site, 600, 100, 20, "first");
    let first = site.build(&[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    generate(&site, 600, 100, 20, "second");
    let clean = site.build_into("clean", &[]);
    assert_eq!(clean.code, Some(0), "{}", clean.stderr);

    let start = |n: usize| {
        let mut cmd = site.command(&["--content", "content", "--output", "out"]);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start build {n}: {e}"));
        (child, Instant::now())
    };
    let (a, b) = (start(1), start(2));
    let a = finish(a.0, a.1);
    let b = finish(b.0, b.1);
    assert_eq!((a.code, b.code), (Some(0), Some(0)), "{}\n{}", a.stderr, b.stderr);
    let waited = [&a, &b]
        .iter()
        .filter(|r| r.stderr.contains("waiting for another feedgen run"))
        .count();
    assert_eq!(
        waited, 1,
        "the second build waits for the first:\n{}\n{}",
        a.stderr, b.stderr
    );
    assert_eq!(
        published_tree(&site.out()),
        published_tree(&root.join("clean")),
        "two concurrent builds differ from one clean build"
    );
    assert_eq!(temp_files(&site.out()), Vec::<String>::new());
    assert_feeds_parse(&site.out());
}

// ---- Arbitrary text in every field ----

/// Pieces that break naive XML, YAML, path and URL handling.
const NASTY: &[&str] = &[
    "]]>",
    "<![CDATA[",
    "&",
    "&amp;",
    "&#0;",
    "&#xFFFE;",
    "<",
    ">",
    "<script>alert(1)</script>",
    "<>",
    "\"",
    "'",
    "\\",
    "\u{200F}",
    "\u{202E}",
    "\u{FEFF}",
    "\u{FFFE}",
    "\u{FFFF}",
    "\u{0}",
    "\u{7}",
    "\u{1B}",
    "\u{85}",
    "\u{2028}",
    "\r",
    "\n",
    "\r\n",
    "---",
    "..",
    "/",
    "../",
    ":",
    "# ",
    "- ",
    "[",
    "{",
    "*a",
    "&a",
    "%00",
    "%2e%2e",
    "http://",
    "javascript:",
    " ",
    "\t",
    "长",
    "😀",
];

fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => any::<char>().prop_map(String::from),
        2 => proptest::sample::select(NASTY).prop_map(str::to_string),
        1 => "[a-zA-Z0-9 ]{1,8}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// `s` as a YAML double-quoted scalar.
fn yaml_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20
                || ('\u{7f}'..='\u{9f}').contains(&c)
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}') =>
            {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A post whose fields are `title`, `category`, `tag`, `source` and `body`:
/// properly escaped YAML, or (as the real data's script does) pasted
/// between double quotes with no escaping at all.
fn hostile_post(fields: &[String; 5], escaped: bool) -> String {
    let [title, category, tag, source, body] = fields;
    let value = |s: &str| {
        if escaped {
            yaml_quoted(s)
        } else {
            format!("\"{}\"", s.replace(['\n', '\r'], " "))
        }
    };
    format!(
        "---\nlayout: post\ntitle: {}\ndate: 2024-06-01 10:00:00 +0800\ncategories: [{}]\ntags: [{}]\nsource_url: {}\n---\n{body}\n\n<{source}>\n",
        value(title),
        value(category),
        value(tag),
        value(source),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_gives_well_formed_feeds_inside_the_output_folder(
        fields in [text(), text(), text(), text(), text()],
        escaped in any::<bool>(),
    ) {
        let site = Site::new();
        site.config("");
        site.put(
            "_posts/2024-05-01-control.md",
            "---\ntitle: Control\ndate: 2024-05-01 10:00:00 +0800\ncategories: control\n---\nFine.\n",
        );
        site.put("_posts/2024-06-01-hostile.md", hostile_post(&fields, escaped));
        let run = site.build(&[]);
        prop_assert!(matches!(run.code, Some(0 | 1)), "exit {:?}\n{}", run.code, run.stderr);
        let titles = titles(&site.out().join("atom.xml"));
        prop_assert!(titles.iter().any(|t| t == "Control"), "the control post was lost: {titles:?}");
        for (rel, bytes) in feeds(&site.out()) {
            if let Err(e) = well_formed(&bytes) {
                return Err(TestCaseError::fail(format!("{rel} is not well-formed:\n{e}")));
            }
            prop_assert!(feed_rs::parser::parse(&bytes[..]).is_ok(), "feed-rs cannot read {}", rel);
        }
        assert_inside(site.root(), &site.out());
        let mut listed = manifest(&site.state());
        listed.sort_unstable();
        let written: Vec<String> = tree(&site.out())
            .into_keys()
            .filter(|k| !k.starts_with(".feedgen"))
            .collect();
        prop_assert_eq!(listed, written, "the manifest lists exactly what feedgen wrote");
    }
}

// ---- Symlinks ----

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_out_of_the_content_root() {
    use std::os::unix::fs::symlink;
    let site = Site::new();
    site.config("");
    let post = |title: &str| format!("---\ntitle: {title}\ndate: 2024-01-01 10:00:00 +0800\n---\nText.\n");
    site.put("_posts/2024-01-01-inside.md", post("Inside"));
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let outside = elsewhere.path().to_path_buf();
    put(&outside, "2024-01-02-secret.md", post("Secret file"));
    put(&outside, "folder/2024-01-03-secret.md", post("Secret folder"));
    let posts = site.content().join("_posts");
    symlink(outside.join("2024-01-02-secret.md"), posts.join("2024-01-02-link.md")).expect("file link");
    symlink(outside.join("folder"), posts.join("linked-folder")).expect("folder link");
    symlink("..", posts.join("loop")).expect("loop link");
    symlink("missing.md", posts.join("2024-01-04-dangling.md")).expect("dangling link");

    let run = site.build(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // Bounded work, not a speed claim: the loop is not entered, so one post
    // is read and each link is reported once (the harness's hang guard
    // fails the build if the walk ever runs away).
    assert_eq!(run.json().read, 1, "{}", run.stdout);
    assert_eq!(run.diagnostics().len(), 4, "{}", run.stderr);
    let titles = titles(&site.out().join("atom.xml"));
    assert_eq!(
        titles,
        ["Inside"],
        "nothing from outside the content folder is published"
    );
    for line in [
        "content/_posts/2024-01-02-link.md: warning: symlink points outside the content folder (or nowhere); not followed",
        "content/_posts/2024-01-04-dangling.md: warning: symlink points outside the content folder (or nowhere); not followed",
        "content/_posts/linked-folder: note: symlinked folder; not followed",
        "content/_posts/loop: note: symlinked folder; not followed",
    ] {
        assert!(run.printed(line), "missing `{line}` in\n{}", run.stderr);
    }
    assert_inside(site.root(), &site.out());
}

// ---- Names and configured paths ----

#[test]
fn configured_paths_outside_the_output_folder_are_refused() {
    for (key, value) in [
        ("category_dir", "../escape"),
        ("category_dir", "/tmp/feedgen-escape"),
        ("tag_dir", "tags/../../escape"),
        ("tag_dir", "\"a\\0b\""),
        ("category_dir", "\"\""),
    ] {
        let site = Site::new();
        site.config(&format!("feedgen:\n  {key}: {value}\n"));
        site.put(
            "_posts/2024-01-01-a.md",
            "---\ntitle: A\ndate: 2024-01-01\ncategories: a\ntags: t\n---\nA.\n",
        );
        let run = site.build(&[]);
        assert_eq!(run.code, Some(2), "{key}: {value}\n{}", run.stderr);
        assert!(
            run.stderr.contains(&format!("`feedgen.{key}:")) && run.stderr.contains("inside the output folder"),
            "{key}: {value}: {}",
            run.stderr
        );
        assert!(!site.out().exists(), "nothing is written on a configuration error");
        assert!(!site.root().join("escape").exists() && !Path::new("/tmp/feedgen-escape").exists());
    }
}

#[test]
fn category_and_tag_names_never_leave_the_output_folder() {
    let site = Site::new();
    site.config("");
    let names = [
        "..",
        "../..",
        "../../../../../../tmp/escape",
        "/etc/passwd",
        "/",
        ".",
        "a/../../b",
        "\\..\\..\\windows",
        "a\u{0}b",
        "con",
        "~",
        "-rf",
    ];
    let list = names.iter().map(|n| yaml_quoted(n)).collect::<Vec<_>>().join(", ");
    site.put(
        "_posts/2024-01-01-a.md",
        format!(
            "---\ntitle: A\ndate: 2024-01-01\ncategories: [{list}, \"{}\"]\ntags: [{list}, \"{}\"]\n---\nA.\n",
            "x".repeat(5000),
            "长".repeat(2000)
        ),
    );
    let run = site.build(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_inside(site.root(), &site.out());
    assert_feeds_parse(&site.out());
    assert!(!Path::new("/tmp/escape").exists());
    for dir in ["category", "tag"] {
        for entry in fs::read_dir(site.out().join(dir)).expect("feed folder").flatten() {
            let name = entry.file_name();
            assert!(name.len() <= 120, "{dir} folder name of {} bytes", name.len());
            assert!(entry.path().join("atom.xml").is_file(), "{:?} has its feed", name);
        }
    }
}

// ---- feedgen deletes only what it wrote ----

#[test]
fn only_files_feedgen_wrote_are_ever_changed_or_removed() {
    let site = Site::new();
    site.config("");
    let post = |slug: &str, category: &str| {
        site.put(
            &format!("_posts/2024-01-01-{slug}.md"),
            format!("---\ntitle: {slug}\ndate: 2024-01-01\ncategories: {category}\n---\nText.\n"),
        );
    };
    post("stays", "stays");
    post("goes", "goes");
    let out = site.out();
    let mine = [
        ("index.html", "<p>the site</p>"),
        ("category/notes.txt", "notes"),
        ("category/goes/keep.txt", "a file of mine among its feeds"),
        ("tag/handmade/rss.xml", "<rss>written by hand</rss>"),
    ];
    for (rel, text) in mine {
        put(&out, rel, text);
    }
    put(site.root(), "victim.txt", "outside");
    let first = site.build(&[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert!(out.join("category/goes/rss.xml").is_file());
    // The site's own index.html is where the feed directory would go: it
    // stays, with a warning, and the other discovery files are written.
    assert!(
        first.printed("out/index.html: warning: exists and feedgen did not write it; left as it is, and this discovery file is not written"),
        "{}",
        first.stderr
    );

    // A tampered manifest cannot point feedgen outside its folder.
    let listed = site.state().join("manifest");
    crate::harness::tamper_manifest(&listed, "../victim.txt\n/etc/hostname\n");
    fs::remove_file(site.content().join("_posts/2024-01-01-goes.md")).expect("remove post");
    let second = site.build(&[]);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(
        second.json().removed,
        2,
        "both feeds of the vanished category: {}",
        second.stdout
    );
    assert!(!out.join("category/goes/rss.xml").exists() && !out.join("category/goes/atom.xml").exists());
    for (rel, text) in mine {
        assert_eq!(
            fs::read_to_string(out.join(rel)).ok().as_deref(),
            Some(text),
            "{rel} was touched"
        );
    }
    assert_eq!(
        fs::read_to_string(site.root().join("victim.txt")).ok().as_deref(),
        Some("outside")
    );
    assert_eq!(
        manifest(&site.state()),
        [
            "atom.xml",
            "category/stays/atom.xml",
            "category/stays/rss.xml",
            "feeds.json",
            "feeds.opml",
            "rss.xml"
        ]
    );
}
