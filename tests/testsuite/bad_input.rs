//! What a user sees when posts are broken. The hostile collection
//! (`tests/fixtures/hostile`, plus the posts whose exact bytes git could
//! change, written by [`Hostile::build`]) holds one post per kind of bad
//! input. It is built once per test binary ([`hostile`]), and that build
//! is checked for what holds whatever the case: every other post is
//! published, nothing was written outside the output folder and every feed
//! is well-formed XML a feed reader accepts. Each test then checks its own
//! case: the exact diagnostic line, whether the post is published and with
//! which title and date.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use crate::harness::{
    assert_feeds_parse, assert_inside, copy_tree, items, put, repo, run, titles, tree, Item, Run, Site,
};

/// What should become of one post of the hostile collection.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    /// In the feeds with this title and Atom `<published>` date.
    Published(&'static str, &'static str),
    /// Reported as an error and left out; the rest is published.
    Rejected,
    /// `published: false`: left out, counted as "not published".
    Held,
    /// Not a post at all (no front matter, a page without a date, or a
    /// `_posts/` file name Jekyll skips: a warning at most).
    NotAPost,
}

use Fate::{Held, NotAPost, Published, Rejected};

/// Every post of the hostile collection, relative to `content/`, and its fate.
const CASES: &[(&str, Fate)] = &[
    ("about.md", NotAPost),
    (
        "_posts/2024-02-01-control-alpha.md",
        Published("Control alpha", "2024-02-01T09:00:00+08:00"),
    ),
    (
        "_posts/2024-02-02-control-beta.md",
        Published("Control beta", "2024-02-02T09:00:00+08:00"),
    ),
    (
        "_posts/2024-02-03-no-front-matter.md",
        Published("No Front Matter", "2024-02-03T00:00:00+08:00"),
    ),
    ("_posts/2024-02-04-unpublished.md", Held),
    (
        "_posts/2024-03-01-title-quotes.md",
        Published("Board says \"rates stay put\" for now", "2024-03-01T10:00:00+08:00"),
    ),
    (
        "_posts/2024-03-02-title-backslash.md",
        Published("Files moved to C:\\Users\\desk and \\d", "2024-03-02T10:00:00+08:00"),
    ),
    (
        "_posts/2024-03-03-date-offset-only.md",
        Published("Date with only an offset", "2024-03-03T00:00:00+08:00"),
    ),
    (
        "_posts/2024-03-04-date-empty.md",
        Published("Empty date", "2024-03-04T00:00:00+08:00"),
    ),
    (
        "_posts/2024-03-05-title-empty.md",
        Published("北向资金今日净流入12亿元。", "2024-03-05T10:00:00+08:00"),
    ),
    (
        "_posts/2024-03-06-title-missing.md",
        Published("Shares rallied in late trading!", "2024-03-06T10:00:00+08:00"),
    ),
    (
        "_posts/2024-03-07-blank-lines.md",
        Published("Blank lines first", "2024-03-07T10:00:00+08:00"),
    ),
    (
        "_posts/2024-03-08-bom.md",
        Published("Byte-order mark", "2024-03-08T10:00:00+08:00"),
    ),
    (
        "_posts/2024-03-09-crlf.md",
        Published("Windows line endings", "2024-03-09T10:00:00+08:00"),
    ),
    (
        "_posts/2024-03-10-crlf-body.md",
        Published("CRLF in the body", "2024-03-10T10:00:00+08:00"),
    ),
    (
        "_posts/2024-03-11-empty-source.md",
        Published("Empty source link", "2024-03-11T10:00:00+08:00"),
    ),
    (
        "_posts/2024-03-12-control-chars.md",
        Published("Bell and escape here", "2024-03-12T10:00:00+08:00"),
    ),
    (
        "_posts/2024-03-13-deep-html.md",
        Published("Deep HTML", "2024-03-13T10:00:00+08:00"),
    ),
    ("_posts/2024-04-01-latin1.md", Rejected),
    ("_posts/2024-04-02-utf16.md", Rejected),
    (
        "_posts/2024-04-03-unclosed.md",
        Published("Unclosed", "2024-04-03T00:00:00+08:00"),
    ),
    ("_posts/2024-04-04-yaml-list.md", Rejected),
    ("_posts/2024-04-05-yaml-scalar.md", Rejected),
    ("_posts/2024-04-06-yaml-broken.md", Rejected),
    ("_posts/2024-04-07-yaml-unrecoverable.md", Rejected),
    ("_posts/2024-04-08-oversized.md", Rejected),
    ("_posts/2024-04-09-alias-bomb.md", Rejected),
    ("_posts/2024-04-10-deep-yaml.md", Rejected),
    (
        "_posts/2024-05-01-hostile-html.md",
        Published("Hostile HTML", "2024-05-01T10:00:00+08:00"),
    ),
    (
        "_posts/2024-05-02-case-upper.md",
        Published("Case upper", "2024-05-02T10:00:00+08:00"),
    ),
    (
        "_posts/2024-05-03-case-lower.md",
        Published("Case lower", "2024-05-03T10:00:00+08:00"),
    ),
    (
        "_posts/2024-05-04-path-traversal.md",
        Published("Path traversal names", "2024-05-04T10:00:00+08:00"),
    ),
    (
        "_posts/2024-05-05-long-names.md",
        Published("Long names", "2024-05-05T10:00:00+08:00"),
    ),
    ("_posts/no-date-prefix.md", NotAPost),
    ("_posts/undated.md", NotAPost),
];

/// The `feedgen.max_file_size` of the hostile site.
const MAX_FILE_SIZE: usize = 65536;

/// Write the posts whose bytes must be exact (git or an editor could
/// change them) into `posts`.
fn write_exact_posts(posts: &Path) {
    let front = |title: &str, day: &str| {
        format!("---\nlayout: post\ntitle: {title}\ndate: 2024-03-{day} 10:00:00 +0800\ncategories: recover\n---\n")
    };
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(front("Byte-order mark", "08").as_bytes());
    bom.extend(b"The file starts with U+FEFF.\n");
    put(posts, "2024-03-08-bom.md", bom);
    put(
        posts,
        "2024-03-09-crlf.md",
        front("Windows line endings", "09").replace('\n', "\r\n")
            + "Every line ends in CR LF.\r\n\r\nSecond paragraph.\r\n",
    );
    put(
        posts,
        "2024-03-10-crlf-body.md",
        front("CRLF in the body", "10") + "The front matter ends in LF,\r\nthe body in CR LF.\r\n",
    );
    put(
        posts,
        "2024-03-12-control-chars.md",
        front("\"Bell\u{7} and escape\u{1b} here\"", "12") + "Form feed \u{c} and NUL \u{0} in the body.\n",
    );
    put(
        posts,
        "2024-03-13-deep-html.md",
        front("Deep HTML", "13") + &"<div>".repeat(600) + "Deep <b>text</b> &amp; more" + &"</div>".repeat(600) + "\n",
    );
    put(
        posts,
        "2024-04-01-latin1.md",
        b"---\nlayout: post\ntitle: Caf\xE9 cr\xE8me\ndate: 2024-04-01 10:00:00 +0800\n---\nLatin-1 bytes.\n",
    );
    let utf16: Vec<u8> = "\u{feff}---\ntitle: UTF-16\ndate: 2024-04-02\n---\nx\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    put(posts, "2024-04-02-utf16.md", utf16);
    let head = "---\ntitle: Oversized\ndate: 2024-04-08 10:00:00 +0800\n---\n";
    put(
        posts,
        "2024-04-08-oversized.md",
        head.to_string() + &"x".repeat(MAX_FILE_SIZE + 1 - head.len()),
    );
    put(
        posts,
        "2024-04-10-deep-yaml.md",
        format!(
            "---\ntitle: Deep YAML\ndate: 2024-04-10 10:00:00 +0800\nnest: {}{}\n---\nTen thousand levels of flow lists.\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    put(
        posts,
        "2024-05-05-long-names.md",
        format!(
            "---\ntitle: Long names\ndate: 2024-05-05 10:00:00 +0800\ncategories: [\"{}\"]\ntags: [\"{}\"]\n---\nVery long names.\n",
            "x".repeat(1000),
            "长".repeat(300)
        ),
    );
}

/// The hostile collection, built once per test binary.
fn hostile() -> &'static Hostile {
    static HOSTILE: OnceLock<Hostile> = OnceLock::new();
    HOSTILE.get_or_init(Hostile::build)
}

/// The hostile collection's content, with the posts git could change.
fn hostile_content(site: &Site) {
    copy_tree(&repo().join("tests/fixtures/hostile"), &site.content());
    write_exact_posts(&site.content().join("_posts"));
}

/// The hostile collection and what building it gave.
struct Hostile {
    site: Site,
    run: Run,
    /// Entries of the site-wide Atom and RSS feeds.
    atom: Vec<Item>,
    rss: Vec<Item>,
    atom_text: String,
}

impl Hostile {
    /// Build the collection and check what holds whatever the case: the
    /// exit status, every post's fate, the summary, the order of the
    /// diagnostics, the output tree and every feed.
    fn build() -> Hostile {
        // A static is never dropped, so the site lives under Cargo's
        // per-target temp folder, emptied at the start of each run.
        let site = Site::kept_at(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile"));
        hostile_content(&site);
        let run = site.build(&[]);
        let out = site.out();
        let h = Hostile {
            atom: items(&out.join("atom.xml")),
            rss: items(&out.join("rss.xml")),
            atom_text: fs::read_to_string(out.join("atom.xml")).expect("site Atom feed"),
            run,
            site,
        };
        h.check_everything();
        h
    }

    fn check_everything(&self) {
        let run = &self.run;
        assert_eq!(
            run.code,
            Some(1),
            "rejected posts must give exit status 1\n{}",
            run.stderr
        );
        let on_disk = tree(&self.site.content().join("_posts")).len() + 1;
        assert_eq!(on_disk, CASES.len(), "every post file of the collection has a case");
        for (rel, fate) in CASES {
            let entry = self.entry(rel);
            match fate {
                Published(..) => assert!(entry.is_some(), "{rel} must be published\n{}", run.stderr),
                _ => assert!(entry.is_none(), "{rel} must not be published"),
            }
        }
        assert_eq!(self.atom.len(), self.rss.len(), "RSS and Atom list the same posts");
        let count = |pred: fn(&Fate) -> bool| CASES.iter().filter(|(_, f)| pred(f)).count() as u64;
        let published = count(|f| matches!(f, Published(..)));
        let rejected = count(|f| *f == Rejected);
        let held = count(|f| *f == Held);
        let recovered = CASES
            .iter()
            .filter(|(rel, f)| {
                matches!(f, Published(..))
                    && self
                        .diagnostics(rel)
                        .iter()
                        .any(|d| d.contains(": warning: ") || d.contains(": error: "))
            })
            .count() as u64;
        let json = run.json();
        assert_eq!(json.read, published + rejected + held, "posts read");
        assert_eq!(json.published, published, "posts published");
        assert_eq!(json.rejected, rejected, "posts rejected");
        assert_eq!(json.recovered, recovered, "posts recovered");
        assert_eq!(json.not_published, held, "posts not published");
        let summary = run.summary_line();
        for part in [
            format!("{} posts read", published + rejected + held),
            format!("{published} published"),
            format!("{recovered} recovered"),
            format!("{rejected} rejected"),
            format!("{} feeds written", json.written),
            "0 unchanged".to_string(),
        ] {
            assert!(summary.contains(&part), "summary `{summary}` lacks `{part}`");
        }
        let shown: Vec<&str> = run.diagnostics();
        let paths: Vec<&str> = shown.iter().map(|d| d.split(':').next().unwrap_or("")).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted, "diagnostics are printed in path order");
        assert_inside(self.site.root(), &self.site.out());
        assert_feeds_parse(&self.site.out());
    }

    /// The site feed's entry for a post, found by its slug in the link.
    fn entry(&self, rel: &str) -> Option<&Item> {
        let suffix = format!("/{}.html", slug(rel));
        self.atom.iter().find(|i| i.link.ends_with(&suffix))
    }

    /// The diagnostics printed about one post (path relative to `content/`).
    fn diagnostics(&self, rel: &str) -> Vec<&str> {
        self.run.about(&format!("content/{rel}"))
    }

    /// Assert exactly these diagnostics (without the `content/<rel>` prefix)
    /// were printed about `rel`, and its fate in the feeds.
    fn expect(&self, rel: &str, lines: &[&str]) {
        let want: Vec<String> = lines.iter().map(|l| format!("content/{rel}{l}")).collect();
        assert_eq!(self.diagnostics(rel), want, "diagnostics for {rel}");
        let fate = CASES
            .iter()
            .find(|(r, _)| *r == rel)
            .map(|(_, f)| *f)
            .unwrap_or_else(|| panic!("{rel} is not a case"));
        if let Published(title, date) = fate {
            let entry = self.entry(rel).unwrap_or_else(|| panic!("{rel} is not in atom.xml"));
            assert_eq!(entry.title, title, "Atom title of {rel}");
            let rss = self.rss.iter().find(|i| i.link == entry.link);
            assert_eq!(rss.map(|i| i.title.as_str()), Some(title), "RSS title of {rel}");
            assert!(
                self.atom_block(rel).contains(&format!("<published>{date}</published>")),
                "{rel} must be published at {date}"
            );
        }
    }

    /// The raw `<entry>` of the site Atom feed for the post `rel`.
    fn atom_block(&self, rel: &str) -> &str {
        let suffix = format!("/{}.html\"", slug(rel));
        self.atom_text
            .split("<entry>")
            .find(|b| b.contains(&suffix))
            .unwrap_or_else(|| panic!("no entry for {rel}"))
    }
}

/// The slug of a post: its file name without the date prefix and extension.
fn slug(rel: &str) -> &str {
    let stem = rel.rsplit('/').next().unwrap_or(rel).trim_end_matches(".md");
    if stem.len() > 11 && stem.as_bytes()[4] == b'-' {
        &stem[11..]
    } else {
        stem
    }
}

// ---- Recovered with a warning ----

#[test]
fn title_with_unescaped_quotes_is_kept_verbatim() {
    hostile().expect(
        "_posts/2024-03-01-title-quotes.md",
        &[":3: warning: value has unescaped `\"` or `\\` inside double quotes; kept the text between the first and last quote. Jekyll cannot read this front matter: it publishes the post at a URL made from the build date, which changes with every build; the feed links to the page this front matter describes, which Jekyll builds once the quotes are escaped (`\\\"`) or the value is single-quoted"],
    );
}

#[test]
fn title_with_stray_backslashes_is_kept_verbatim() {
    hostile().expect(
        "_posts/2024-03-02-title-backslash.md",
        &[":3: warning: value has unescaped `\"` or `\\` inside double quotes; kept the text between the first and last quote. Jekyll cannot read this front matter: it publishes the post at a URL made from the build date, which changes with every build; the feed links to the page this front matter describes, which Jekyll builds once the quotes are escaped (`\\\"`) or the value is single-quoted"],
    );
}

#[test]
fn date_with_only_an_offset_falls_back_to_the_file_name() {
    hostile().expect(
        "_posts/2024-03-03-date-offset-only.md",
        &[":4: error: date `+0800` is not a usable date; using 2024-03-03 from the file name; Jekyll will not build the site while this file is there (\"Invalid date\"): fix or remove the `date` line"],
    );
}

#[test]
fn empty_date_falls_back_to_the_file_name() {
    hostile().expect(
        "_posts/2024-03-04-date-empty.md",
        &[":4: error: the date is empty; using 2024-03-04 from the file name; Jekyll will not build the site while this file is there (\"Invalid date\"): fix or remove the `date` line"],
    );
}

#[test]
fn empty_title_is_the_first_sentence() {
    hostile().expect(
        "_posts/2024-03-05-title-empty.md",
        &[":3: warning: empty title; using the first sentence of the text"],
    );
}

#[test]
fn missing_title_is_the_first_sentence() {
    hostile().expect(
        "_posts/2024-03-06-title-missing.md",
        &[":2: warning: empty title; using the first sentence of the text"],
    );
}

#[test]
fn blank_lines_before_the_fence_are_skipped() {
    hostile().expect(
        "_posts/2024-03-07-blank-lines.md",
        &[":1: warning: blank line before the opening `---`: Jekyll reads no front matter in this file, so the site's page for this post is broken (it shows the front matter as text, titled `Blank Lines`, dated 2024-03-07, without categories); the feed keeps the front matter and links to that page; fix the file by deleting the blank line(s) before `---`"],
    );
}

#[test]
fn byte_order_mark_is_skipped() {
    let h = hostile();
    h.expect(
        "_posts/2024-03-08-bom.md",
        &[":1: warning: file starts with a byte-order mark; ignored"],
    );
    assert!(!h.atom_text.contains('\u{feff}'), "no BOM reaches a feed");
}

#[test]
fn crlf_everywhere_reads_as_lf() {
    let h = hostile();
    let rel = "_posts/2024-03-09-crlf.md";
    h.expect(rel, &[":1: warning: Windows line endings (CRLF); read as LF"]);
    let entry = h.entry(rel).expect("published");
    assert!(
        entry.content.contains("<p>Every line ends in CR LF.</p>")
            && entry.content.contains("<p>Second paragraph.</p>"),
        "two clean paragraphs: {:?}",
        entry.content
    );
    assert!(!h.atom_block(rel).contains("&#13;") && !entry.content.contains('\r'));
}

#[test]
fn crlf_in_the_body_only_is_reported_at_its_line() {
    let h = hostile();
    let rel = "_posts/2024-03-10-crlf-body.md";
    h.expect(rel, &[":7: warning: Windows line endings (CRLF); read as LF"]);
    assert!(!h.entry(rel).expect("published").content.contains('\r'));
}

#[test]
fn empty_source_link_means_no_source_link() {
    let h = hostile();
    let rel = "_posts/2024-03-11-empty-source.md";
    h.expect(
        rel,
        &[":9: warning: empty source link `<>`; the post has no source link"],
    );
    let entry = h.entry(rel).expect("published");
    assert!(entry.via.is_empty(), "no rel=via link: {:?}", entry.via);
    assert!(
        !entry.content.contains("&lt;&gt;") && !entry.content.contains("<>"),
        "{}",
        entry.content
    );
    let rss = fs::read_to_string(h.site.out().join("rss.xml")).expect("rss");
    let item = rss
        .split("<item>")
        .find(|i| i.contains("empty-source.html"))
        .expect("rss item");
    assert!(!item.contains("<source"), "no RSS <source>: {item}");
    // The contrast: a real autolink is the source link.
    let beta = h.entry("_posts/2024-02-02-control-beta.md").expect("published");
    assert_eq!(beta.via, vec!["https://source.example.org/beta".to_string()]);
}

#[test]
fn control_characters_are_left_out() {
    let h = hostile();
    let rel = "_posts/2024-03-12-control-chars.md";
    h.expect(
        rel,
        &[":3: warning: character U+0007 is not allowed in XML; it is left out of the feeds"],
    );
    let content = &h.entry(rel).expect("published").content;
    assert!(content.contains("Form feed  and NUL  in the body."), "{content:?}");
}

#[test]
fn html_nested_too_deep_is_published_as_text() {
    let h = hostile();
    let rel = "_posts/2024-03-13-deep-html.md";
    h.expect(
        rel,
        &[":7: warning: the text nests more than 512 levels deep; published as plain text"],
    );
    assert_eq!(h.entry(rel).expect("published").content, "<p>Deep text &amp; more</p>");
}

// ---- Rejected with an error; the rest is published ----

#[test]
fn latin1_file_is_rejected_at_its_first_bad_byte() {
    hostile().expect(
        "_posts/2024-04-01-latin1.md",
        &[":3: error: not valid UTF-8 (first bad byte at offset 27); convert the file to UTF-8"],
    );
}

#[test]
fn utf16_file_is_rejected_at_byte_zero() {
    hostile().expect(
        "_posts/2024-04-02-utf16.md",
        &[":1: error: not valid UTF-8 (first bad byte at offset 0); convert the file to UTF-8"],
    );
}

#[test]
fn unclosed_front_matter_is_published_as_jekyll_publishes_it() {
    hostile().expect(
        "_posts/2024-04-03-unclosed.md",
        &[":1: warning: front matter is never closed (no second `---` line): Jekyll reads no front matter and publishes the whole file as the text of a post titled `Unclosed`, dated 2024-04-03 from the file name; published the same way; close the front matter with a `---` line"],
    );
}

#[test]
fn front_matter_list_is_rejected() {
    hostile().expect(
        "_posts/2024-04-04-yaml-list.md",
        &[":2: error: front matter is a YAML list, not a mapping of keys to values; Jekyll cannot read it either and publishes the post at a URL made from the build date, which changes with every build, so there is no stable page to link to"],
    );
}

#[test]
fn front_matter_string_is_rejected() {
    hostile().expect(
        "_posts/2024-04-05-yaml-scalar.md",
        &[":2: error: front matter is a YAML string, not a mapping of keys to values; Jekyll cannot read it either and publishes the post at a URL made from the build date, which changes with every build, so there is no stable page to link to"],
    );
}

#[test]
fn broken_yaml_is_rejected_with_the_parser_message() {
    hostile().expect(
        "_posts/2024-04-06-yaml-broken.md",
        &[":6: error: front matter is not valid YAML: did not find expected ',' or ']'; Jekyll cannot read it either and publishes the post at a URL made from the build date, which changes with every build, so there is no stable page to link to"],
    );
}

#[test]
fn yaml_still_broken_after_requoting_is_rejected_at_the_real_problem() {
    hostile().expect(
        "_posts/2024-04-07-yaml-unrecoverable.md",
        &[":6: error: front matter is not valid YAML: did not find expected ',' or '}'; Jekyll cannot read it either and publishes the post at a URL made from the build date, which changes with every build, so there is no stable page to link to"],
    );
}

#[test]
fn undated_file_names_under_posts_are_not_jekyll_posts() {
    hostile().expect(
        "_posts/no-date-prefix.md",
        &[": warning: the file name does not start with a `YYYY-MM-DD-` date (or has no extension), so Jekyll does not read it as a post; not published"],
    );
}

#[test]
fn a_file_name_without_a_date_is_skipped_whatever_the_front_matter_says() {
    hostile().expect(
        "_posts/undated.md",
        &[": warning: the file name does not start with a `YYYY-MM-DD-` date (or has no extension), so Jekyll does not read it as a post; not published"],
    );
}

#[test]
fn file_over_the_configured_size_limit_is_rejected() {
    hostile().expect(
        "_posts/2024-04-08-oversized.md",
        &[": error: file is 65537 bytes, over the 65536-byte limit (`feedgen.max_file_size`)"],
    );
}

#[test]
fn yaml_alias_bomb_is_rejected() {
    let h = hostile();
    h.expect(
        "_posts/2024-04-09-alias-bomb.md",
        &[":2: error: front matter is not valid YAML: repetition limit exceeded; Jekyll cannot read it either and publishes the post at a URL made from the build date, which changes with every build, so there is no stable page to link to"],
    );
    // Bounded work: the parser stops at its repetition limit (the message
    // above) instead of expanding the aliases; the harness's hang guard
    // fails the build if it ever runs away.
}

#[test]
fn yaml_nested_ten_thousand_deep_is_rejected() {
    hostile().expect(
        "_posts/2024-04-10-deep-yaml.md",
        &[":4: error: front matter nests `[`/`{` more than 128 levels deep"],
    );
}

// ---- Not posts, not published ----

#[test]
fn post_without_front_matter_under_posts_is_published_as_jekyll_publishes_it() {
    hostile().expect(
        "_posts/2024-02-03-no-front-matter.md",
        &[":1: warning: no front matter: Jekyll publishes the file as a post titled `No Front Matter`, dated 2024-02-03 from the file name; published the same way"],
    );
}

#[test]
fn page_outside_posts_is_silently_not_a_post() {
    hostile().expect("about.md", &[]);
}

#[test]
fn unpublished_post_is_left_out_silently() {
    hostile().expect("_posts/2024-02-04-unpublished.md", &[]);
}

#[test]
fn well_formed_posts_have_no_diagnostics() {
    let h = hostile();
    h.expect("_posts/2024-02-01-control-alpha.md", &[]);
    h.expect("_posts/2024-02-02-control-beta.md", &[]);
}

// ---- Safety ----

#[test]
fn scripts_frames_plugins_handlers_and_styles_never_reach_a_feed() {
    let h = hostile();
    let rel = "_posts/2024-05-01-hostile-html.md";
    h.expect(rel, &[]);
    let content = h.entry(rel).expect("published").content.to_lowercase();
    for bad in [
        "<script",
        "alert(",
        "<iframe",
        "<object",
        "<embed",
        "<style",
        "display: none",
        "style=",
        "onclick",
        "onerror",
        "onload",
        "onmouseover",
        "javascript:",
        "<svg",
        "<form",
        "<input",
    ] {
        assert!(!content.contains(bad), "`{bad}` reached the feed: {content}");
    }
    assert!(content.contains("<p>visible text survives.</p>"), "{content}");
    assert!(
        content.contains("<img src=\"https://hostile.example.com/img/ok.png\">"),
        "{content}"
    );
    for path in [
        "rss.xml",
        "atom.xml",
        "category/safety/rss.xml",
        "category/safety/atom.xml",
    ] {
        let text = fs::read_to_string(h.site.out().join(path))
            .expect("feed")
            .to_lowercase();
        for bad in [
            "<script",
            "&lt;script",
            "<iframe",
            "&lt;iframe",
            "onclick=",
            "onerror=",
            "javascript:",
        ] {
            assert!(!text.contains(bad), "`{bad}` in {path}");
        }
    }
}

#[test]
fn names_differing_only_in_case_share_one_feed_with_a_notice() {
    let h = hostile();
    h.expect("_posts/2024-05-02-case-upper.md", &[]);
    h.expect(
        "_posts/2024-05-03-case-lower.md",
        &[": note: category `techweb` shares the feed of `TechWeb` (same folder name once lower-cased and made path-safe)"],
    );
    let category = h.site.out().join("category");
    let names: Vec<String> = fs::read_dir(&category)
        .expect("category folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.eq_ignore_ascii_case("techweb"))
        .collect();
    assert_eq!(names, ["techweb"], "one folder for both spellings");
    let titles: Vec<String> = items(&category.join("techweb/atom.xml"))
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["Case lower", "Case upper"]);
}

#[test]
fn traversal_names_get_folders_inside_the_output() {
    let h = hostile();
    let rel = "_posts/2024-05-04-path-traversal.md";
    h.expect(rel, &[]);
    let out = h.site.out();
    for (dir, name) in [
        ("category", "_._.._escape"),
        ("category", "_etc_passwd"),
        ("category", "_."),
        ("category", "a_b_c"),
        ("tag", "_"),
        ("tag", "_.hidden"),
        ("tag", "x_y"),
        ("tag", "c:_windows"),
    ] {
        let feed = out.join(dir).join(name).join("atom.xml");
        let titles: Vec<String> = items(&feed).into_iter().map(|i| i.title).collect();
        assert_eq!(titles, ["Path traversal names"], "{}", feed.display());
    }
    let parent = h.site.root().parent().expect("temp parent");
    assert!(!parent.join("escape").exists() && !h.site.root().join("escape").exists());
}

#[test]
fn very_long_names_are_capped() {
    let h = hostile();
    h.expect("_posts/2024-05-05-long-names.md", &[]);
    let out = h.site.out();
    let long_category = "x".repeat(120);
    let long_tag = "长".repeat(40);
    assert!(out.join("category").join(&long_category).join("rss.xml").is_file());
    assert!(out.join("tag").join(&long_tag).join("atom.xml").is_file());
}

// ---- Exit status, --strict and `feedgen check` ----

/// A small site: two good posts and one with a recoverable title.
fn small_site() -> Site {
    let site = Site::new();
    site.config("");
    let hostile = repo().join("tests/fixtures/hostile/_posts");
    for name in [
        "2024-02-01-control-alpha.md",
        "2024-02-02-control-beta.md",
        "2024-03-01-title-quotes.md",
    ] {
        site.put(
            &format!("_posts/{name}"),
            fs::read(hostile.join(name)).expect("fixture"),
        );
    }
    site
}

fn site_titles(site: &Site) -> Vec<String> {
    titles(&site.out().join("atom.xml"))
}

#[test]
fn warnings_alone_exit_zero() {
    let site = small_site();
    let run = site.build(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.diagnostics(),
        ["content/_posts/2024-03-01-title-quotes.md:3: warning: value has unescaped `\"` or `\\` inside double quotes; kept the text between the first and last quote. Jekyll cannot read this front matter: it publishes the post at a URL made from the build date, which changes with every build; the feed links to the page this front matter describes, which Jekyll builds once the quotes are escaped (`\\\"`) or the value is single-quoted"]
    );
    assert_eq!(run.json().recovered, 1);
    assert_eq!(site_titles(&site).len(), 3);
}

#[test]
fn strict_turns_warnings_into_rejections() {
    let site = small_site();
    let run = site.build(&["--strict"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert_eq!(
        run.diagnostics(),
        ["content/_posts/2024-03-01-title-quotes.md:3: error: value has unescaped `\"` or `\\` inside double quotes; kept the text between the first and last quote. Jekyll cannot read this front matter: it publishes the post at a URL made from the build date, which changes with every build; the feed links to the page this front matter describes, which Jekyll builds once the quotes are escaped (`\\\"`) or the value is single-quoted (rejected: --strict)"]
    );
    assert_eq!((run.json().published, run.json().rejected), (2, 1));
    assert_eq!(site_titles(&site), ["Control beta", "Control alpha"]);
    assert_inside(site.root(), &site.out());
    assert_feeds_parse(&site.out());
}

#[test]
fn check_reports_the_same_problems_and_writes_nothing() {
    let site = Site::new();
    hostile_content(&site);
    let before = tree(site.root());
    let check = run(&mut site.command(&["check", "--content", "content"]));
    assert_eq!(tree(site.root()), before, "check wrote or changed files");
    assert_eq!(check.code, Some(1), "{}", check.stderr);
    // The shared build ran on the same files, also from its site's folder.
    assert_eq!(check.diagnostics(), hostile().run.diagnostics());
    let rejected = CASES.iter().filter(|(_, f)| *f == Rejected).count();
    assert!(
        check.summary_line().contains(&format!("{rejected} rejected")),
        "{}",
        check.summary_line()
    );
}

#[test]
fn file_over_the_default_eight_mib_limit_is_rejected() {
    let site = small_site();
    let head = "---\ntitle: Huge\ndate: 2024-06-01 10:00:00 +0800\n---\n";
    let size = 8 * 1024 * 1024 + 1;
    site.put(
        "_posts/2024-06-01-huge.md",
        head.to_string() + &"x".repeat(size - head.len()),
    );
    let run = site.build(&[]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.printed(&format!(
            "content/_posts/2024-06-01-huge.md: error: file is {size} bytes, over the 8388608-byte limit (`feedgen.max_file_size`)"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(site_titles(&site).len(), 3, "the other posts are published");
}

#[test]
fn yaml_and_html_bombs_within_the_default_limit_finish_quickly() {
    let site = small_site();
    let post =
        |yaml: &str, body: &str| format!("---\ntitle: Bomb\ndate: 2024-06-01 10:00:00 +0800\n{yaml}---\n{body}\n");
    // 4 MB of `[`: the YAML parser's time grows with the square of depth.
    site.put(
        "_posts/2024-06-01-flow.md",
        post(&format!("x: {}\n", "[".repeat(4_000_000)), "x"),
    );
    // 200 KB of `- - - …`: under the front-matter cap, 100,000 levels deep.
    site.put(
        "_posts/2024-06-02-block.md",
        post(&format!("x:\n  {}a\n", "- ".repeat(100_000)), "x"),
    );
    // 2 MB of `- - - …`: over the front-matter cap.
    site.put(
        "_posts/2024-06-03-block-big.md",
        post(&format!("x:\n  {}a\n", "- ".repeat(1_000_000)), "x"),
    );
    // 2 MB of nested <div> and 1 MB of nested block quotes in the body.
    site.put(
        "_posts/2024-06-04-divs.md",
        post("", &format!("{}deep divs", "<div>".repeat(400_000))),
    );
    site.put(
        "_posts/2024-06-05-quotes.md",
        post("", &format!("{} deep quotes", ">".repeat(1_000_000))),
    );
    // Bounded work, not a speed claim: each bomb is stopped by a cap (the
    // sizes and depths in the lines below), and every post is read once.
    // The harness's hang guard fails the build if it ever runs away.
    let run = site.build(&[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let json = run.json();
    assert_eq!((json.read, json.published, json.rejected), (8, 5, 3), "{}", run.stdout);
    for line in [
        "content/_posts/2024-06-01-flow.md:2: error: front matter is 4000048 bytes, over feedgen's 262144-byte limit for front matter",
        "content/_posts/2024-06-02-block.md:5: error: front matter is not valid YAML: recursion limit exceeded; Jekyll cannot read it either and publishes the post at a URL made from the build date, which changes with every build, so there is no stable page to link to",
        "content/_posts/2024-06-03-block-big.md:2: error: front matter is 2000051 bytes, over feedgen's 262144-byte limit for front matter",
        "content/_posts/2024-06-04-divs.md:5: warning: the text nests more than 512 levels deep; published as plain text",
        "content/_posts/2024-06-05-quotes.md:5: warning: the text nests more than 512 levels deep; published as plain text",
    ] {
        assert!(run.printed(line), "missing `{line}` in\n{}", run.stderr);
    }
    let titles = site_titles(&site);
    assert_eq!(titles.len(), 5, "{titles:?}");
    assert_feeds_parse(&site.out());
}

// ---- Source links and categories that must never become links ----

/// A post with `source_url: "javascript:alert(1)"`.
fn javascript_source_site() -> Site {
    let site = small_site();
    site.put(
        "_posts/2024-06-01-js-source.md",
        "---\ntitle: Script source\ndate: 2024-06-01 10:00:00 +0800\ncategories: [\"..\", \"a/../../b\"]\nsource_url: \"javascript:alert(1)\"\n---\nText.\n",
    );
    site
}

#[test]
fn javascript_source_url_never_becomes_a_link() {
    let site = javascript_source_site();
    let run = site.build(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for feed in ["rss.xml", "atom.xml"] {
        let text = fs::read_to_string(site.out().join(feed)).expect("feed");
        assert!(!text.contains("javascript:"), "{feed} links to javascript:");
    }
}

#[test]
fn dot_segment_categories_never_reach_item_links() {
    let site = javascript_source_site();
    let run = site.build(&[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let atom = fs::read_to_string(site.out().join("atom.xml")).expect("feed");
    // Category terms keep the name as written; links and ids must not climb.
    let links: Vec<&str> = atom
        .lines()
        .filter(|l| l.contains("href=") || l.contains("<id>"))
        .collect();
    assert!(links.iter().any(|l| l.contains("/a/b/2024/06/01/")), "{atom}");
    assert!(
        links.iter().all(|l| !l.contains("/../") && !l.contains("/./")),
        "dot-segments in links: {links:?}"
    );
}
