//! Links follow GitHub Pages' Jekyll 3.10 on a site without a Gemfile:
//! every item link in the site feed names a file real 3.10 wrote for the
//! same site (`tests/fixtures/jekyll3/<site>/expected-jekyll3.10.txt`,
//! recorded by `tests/fixtures/jekyll3/record.sh`), and every post 3.10
//! published is in the feed; with `feedgen.archive: [old_post]`, so do the
//! posts moved to `old_post/`, under 3.10's and 4.3's page rules.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use crate::harness::{items, repo, Site};

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/jekyll3")
}

/// What real 3.10 wrote for a fixture site (`None`: its build failed).
fn written(name: &str) -> Option<BTreeSet<String>> {
    written_by(name, "expected-jekyll3.10.txt")
}

/// What the Jekyll of `list` (`expected-jekyll3.10.txt` or
/// `expected-jekyll4.3.txt`) wrote for a fixture site.
fn written_by(name: &str, list: &str) -> Option<BTreeSet<String>> {
    let path = fixtures().join(name).join(list);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if text.starts_with("# build failed") {
        return None;
    }
    Some(text.lines().map(str::to_string).collect())
}

/// The file Jekyll writes for a link under `root`: `…/` is `…/index.html`,
/// anything else not ending in `.html` gets `.html`.
fn file_of(root: &str, link: &str) -> String {
    let path = link
        .strip_prefix(root)
        .unwrap_or_else(|| panic!("{link} is not under {root}"));
    let path = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .unwrap_or_else(|e| panic!("{link}: {e}"))
        .into_owned();
    let rel = path.trim_start_matches('/');
    if path.ends_with('/') {
        format!("{rel}index.html")
    } else if rel.ends_with(".html") {
        rel.to_string()
    } else {
        format!("{rel}.html")
    }
}

/// Files 3.10 wrote that are no post in the feeds, on purpose: pages with
/// no date in their name (`index.html`, `old_post/index.html`); the moved
/// file without front matter (a page only through 3.10's
/// jekyll-optional-front-matter, a static file to 4.3; feedgen reads
/// archived files with front matter only) and its static copy; and the page
/// of a post whose front matter Jekyll cannot read, at a URL made from the
/// build date (feedgen links the URL the front matter means instead; README).
fn not_a_feed_post(file: &str) -> bool {
    file == "index.html"
        || file == "old_post/index.html"
        || file.starts_with("old_post/2022-05-14-no-front-matter")
        || file.starts_with("2030/")
}

/// The one link that names no file 3.10 wrote, on purpose: the post with
/// broken front matter (see [`not_a_feed_post`]).
fn deliberate_miss(file: &str) -> bool {
    file.ends_with("/2022/07/10/yaml-error.html") || file.ends_with("/2022/07/10/yaml-error/index.html")
}

/// Build `name` (no Gemfile: GitHub Pages' rules) with
/// `feedgen.archive: [old_post]` and return the files its site feed's
/// items link to.
fn linked_files(name: &str, root: &str) -> Vec<String> {
    linked_files_with(name, root, "")
}

/// [`linked_files`], with `settings` added under `feedgen:`.
fn linked_files_with(name: &str, root: &str, settings: &str) -> Vec<String> {
    let site = Site::copy_of(&fixtures().join(name));
    for recorded in ["expected-jekyll3.10.txt", "expected-jekyll4.3.txt"] {
        fs::remove_file(site.content().join(recorded)).expect("remove the recorded lists from the copy");
    }
    let config = site.content().join("_config.yml");
    let mut text = fs::read_to_string(&config).expect("_config.yml");
    text.push_str(&format!("feedgen:\n  archive: [old_post]\n{settings}"));
    fs::write(&config, text).expect("_config.yml");
    let run = site.build(&["--limit", "1000", "-v"]);
    // `_posts/-NW123.md` and `_posts/notes.md` (no date in the name) are
    // still errors: issue 21 item 2.
    assert!(matches!(run.code, Some(0 | 1)), "{name}: {}", run.stderr);
    let why = match settings {
        "" => "feedgen: links follow Jekyll 3.10 (GitHub Pages): no Gemfile",
        _ => "feedgen: links follow Jekyll 4.3: `feedgen.jekyll: 4`",
    };
    assert!(run.printed(why), "{name}: {}", run.stderr);
    items(&site.out().join("rss.xml"))
        .iter()
        .map(|item| file_of(root, &item.link))
        .collect()
}

fn check(name: &str, root: &str) {
    let written = written(name).unwrap_or_else(|| panic!("{name}: 3.10 was expected to build it"));
    let linked = linked_files(name, root);
    let missing: Vec<&String> = linked
        .iter()
        .filter(|f| !written.contains(*f) && !deliberate_miss(f))
        .collect();
    assert!(
        missing.is_empty(),
        "{name}: links to files 3.10 did not write: {missing:?}"
    );
    let unlinked: Vec<&String> = written
        .iter()
        .filter(|f| !not_a_feed_post(f) && !linked.contains(f))
        .collect();
    assert!(
        unlinked.is_empty(),
        "{name}: posts 3.10 published, not in the feed: {unlinked:?}"
    );
}

#[test]
fn default_permalink_links_name_the_files_pages_writes() {
    check("gh-default", "https://example.test");
}

#[test]
fn pretty_permalink_and_baseurl_links_name_the_files_pages_writes() {
    check("gh-pretty", "https://example.test/news");
}

/// The posts moved to `old_post/` link the pages both Jekylls wrote for
/// them: 3.10 keeps a name's trailing dots (`…-old-trailing/html.html`),
/// 4.3 drops them; an own `permalink` wins; `.html` and decomposed names.
fn check_archived(name: &str, root: &str) {
    let archived = |file: &&String| file.starts_with("old_post/") || file.starts_with("archive/");
    for (list, settings) in [
        ("expected-jekyll3.10.txt", ""),
        ("expected-jekyll4.3.txt", "  jekyll: 4\n"),
    ] {
        let written = written_by(name, list).unwrap_or_else(|| panic!("{name}: {list} is a build"));
        let linked: BTreeSet<String> = linked_files_with(name, root, settings).into_iter().collect();
        let linked_archived: Vec<&String> = linked.iter().filter(archived).collect();
        let pages: Vec<&String> = written
            .iter()
            .filter(archived)
            .filter(|f| !not_a_feed_post(f))
            .collect();
        assert_eq!(linked_archived, pages, "{name}, {list}");
        assert_eq!(pages.len(), 5, "{name}, {list}: {pages:?}");
    }
}

#[test]
fn archived_posts_link_the_pages_both_jekylls_write() {
    check_archived("gh-default", "https://example.test");
    check_archived("gh-pretty", "https://example.test/news");
}

/// `permalink: weekdate` is no style in 3.10: every post is written to
/// `/weekdate.html`, which shows the last one written (`Second`, the later
/// date: 3.10 built it so), the feeds' one item.
#[test]
fn weekdate_is_a_literal_permalink_on_pages() {
    check("style-weekdate", "https://example.test");
    let linked = linked_files("style-weekdate", "https://example.test");
    assert_eq!(linked, ["weekdate.html"]);
}

/// The recorded sites whose 3.10 build fails are the ones README lists
/// (an empty `date:` time; 4.x-only permalink placeholders), so a
/// re-recording that changes this is noticed.
#[test]
fn the_recorded_failed_builds_are_the_known_ones() {
    let mut failed: Vec<String> = fs::read_dir(fixtures())
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| written(name).is_none())
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        ["bad-date", "placeholder-slugified-categories", "placeholder-week"]
    );
}

/// A site built with Jekyll 4 (its Gemfile says so) keeps 4.3's links for
/// the same posts: decomposed accents stay, trailing dots go.
#[test]
fn a_jekyll_4_gemfile_keeps_4_3_links() {
    let site = Site::copy_of(&fixtures().join("gh-default"));
    site.put(
        "Gemfile",
        "source \"https://rubygems.org\"\ngem \"jekyll\", \"~> 4.3\"\n",
    );
    let run = site.build(&["--limit", "1000", "-v"]);
    assert!(
        run.printed("feedgen: links follow Jekyll 4.3: Gemfile has `gem \"jekyll\", \"~> 4.3\"`"),
        "{}",
        run.stderr
    );
    let linked: BTreeSet<String> = items(&site.out().join("rss.xml"))
        .iter()
        .map(|item| file_of("https://example.test", &item.link))
        .collect();
    let recorded = fs::read_to_string(fixtures().join("gh-default/expected-jekyll4.3.txt")).expect("4.3 list");
    for file in [
        "2022/02/13/trailing-dot.html",
        "2022/03/01/de\u{301}cor-news.html",
        "2022/03/04/chapter.html",
    ] {
        assert!(recorded.lines().any(|l| l == file), "4.3 wrote {file}");
        assert!(linked.contains(file), "{file} not linked: {linked:?}");
    }
    assert!(!linked.contains("2022/04/04/dir-inner.html"), "{linked:?}");
}

/// `feedgen.jekyll` wins over the Gemfile; a value other than 3 or 4 stops
/// the run, naming the file and the key.
#[test]
fn the_setting_overrides_the_gemfile_and_is_checked() {
    let site = Site::new();
    site.put("Gemfile", "gem \"github-pages\", group: :jekyll_plugins\n");
    site.put(
        "_posts/2022-03-04-chapter-Ⅻ.md",
        "---\ntitle: Twelve\ndate: 2022-03-04 10:00:00 +0800\n---\nx\n",
    );
    site.config("");
    let run = site.build(&["-v"]).expect_code(0);
    assert!(
        run.printed("feedgen: links follow Jekyll 3.10 (GitHub Pages): Gemfile names github-pages"),
        "{}",
        run.stderr
    );
    let link = |site: &Site| items(&site.out().join("rss.xml"))[0].link.clone();
    assert_eq!(
        link(&site),
        "https://safe.example.com/2022/03/04/chapter-%E2%85%AB.html"
    );
    site.config("feedgen:\n  jekyll: 4\n");
    let run = site.build(&["-v"]).expect_code(0);
    assert!(
        run.printed("feedgen: links follow Jekyll 4.3: `feedgen.jekyll: 4`"),
        "{}",
        run.stderr
    );
    assert_eq!(link(&site), "https://safe.example.com/2022/03/04/chapter.html");
    site.config("feedgen:\n  jekyll: 5\n");
    let run = site.build(&[]).expect_code(2);
    assert!(
        run.stderr.contains("_config.yml: `feedgen.jekyll: 5` must be 3"),
        "{}",
        run.stderr
    );
}
