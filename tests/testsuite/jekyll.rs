//! Jekyll parity inside `cargo test`: links and published posts follow
//! Jekyll 4.3.1's reading of each file (the expected URLs are the ones real
//! Jekyll wrote for the same inputs; `conformance/checks/30-jekyll` builds
//! them with Jekyll itself), and the diagnostics say what Jekyll does. The
//! sites say `feedgen.jekyll: 4` (without it, GitHub Pages' 3.10 rules
//! apply: `jekyll3.rs`).

/// The setting that makes a site's links follow Jekyll 4.3.
const JEKYLL_4: &str = "feedgen:\n  jekyll: 4\n";

use crate::harness::{items, Item, Site};

fn site(extra: &str) -> Site {
    let site = Site::new();
    // `config()` gives url https://safe.example.com and Asia/Shanghai.
    site.config(&format!("{extra}{JEKYLL_4}"));
    site
}

fn link_of<'a>(items: &'a [Item], title: &str) -> &'a str {
    &items
        .iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| panic!("no item {title:?} in {items:?}"))
        .link
}

#[test]
fn links_are_the_pages_jekyll_writes() {
    let s = site("baseurl: /blog/\n");
    s.put(
        "_posts/2022-02-12-hello world & more!.md",
        "---\ntitle: Slugified\ndate: 2022-02-12 10:00:00 +0800\n---\nx\n",
    );
    s.put(
        "_posts/2022-01-22-UpperCase-Name.md",
        "---\ntitle: Upper\ndate: 2022-01-22 10:00:00 +0800\ncategories: Notes\n---\nx\n",
    );
    s.put(
        "_posts/2022-04-01-both-keys.md",
        "---\ntitle: Both keys\ndate: 2022-04-01 10:00:00 +0800\ncategory: Single\ncategories: Plural\n---\nx\n",
    );
    s.put(
        "_posts/2022-04-13-question.md",
        "---\ntitle: Question\ndate: 2022-04-13 10:00:00 +0800\ncategories: [\"Q?\", \"C#\", \"100%\"]\n---\nx\n",
    );
    s.put(
        "_posts/2022-06-07-ＡＢＣ１２３.md",
        "---\ntitle: Full width\ndate: 2022-06-07 10:00:00 +0800\n---\nx\n",
    );
    s.put(
        "news/world/_posts/2022-02-05-in-subfolder.md",
        "---\ntitle: Subfolder\ndate: 2022-02-05 10:00:00 +0800\ncategories: extra\n---\nx\n",
    );
    s.put(
        "_posts/2022-01-02-dots...md",
        "---\ntitle: Dots\ndate: 2022-01-02 10:00:00 +0800\n---\nx\n",
    );
    s.put(
        "_posts/2022-2-4-unpadded.html",
        "---\ntitle: Unpadded\ndate: 2022-2-24 9:05:06 +0800\n---\n<p>x</p>\n",
    );
    let run = s.build(&[]).expect_code(0);
    assert!(run.diagnostics().is_empty(), "{}", run.stderr);
    let items = items(&s.out().join("atom.xml"));
    let root = "https://safe.example.com/blog";
    for (title, path) in [
        ("Slugified", "/2022/02/12/hello-world-&-more!.html"),
        ("Upper", "/notes/2022/01/22/UpperCase-Name.html"),
        ("Both keys", "/plural/single/2022/04/01/both-keys.html"),
        // `?` and `#` encoded so the link reaches the folder Jekyll wrote.
        ("Question", "/q%3F/c%23/100%25/2022/04/13/question.html"),
        // No NFKC: the file Jekyll wrote is ＡＢＣ１２３.html.
        (
            "Full width",
            "/2022/06/07/%EF%BC%A1%EF%BC%A2%EF%BC%A3%EF%BC%91%EF%BC%92%EF%BC%93.html",
        ),
        ("Subfolder", "/news/world/extra/2022/02/05/in-subfolder.html"),
        ("Dots", "/2022/01/02/dots.html"),
        ("Unpadded", "/2022/02/24/unpadded.html"),
    ] {
        assert_eq!(link_of(&items, title), format!("{root}{path}"), "{title}");
    }
}

#[test]
fn the_authors_meaning_in_the_feed_jekylls_page_in_the_link() {
    let s = site("permalink: /:categories/:year/:month/:day/:hour:minute:second/:title:output_ext\n");
    s.put(
        "_posts/2021-12-01-unquoted.md",
        "---\ntitle: Unquoted\ndate: 2021-12-01 20:00:00\ncategories: dates\n---\nx\n",
    );
    s.put(
        "_posts/2021-12-01-unquoted-two.md",
        "---\ntitle: Unquoted two\ndate: 2021-12-01 13:33:50.75\ncategories: dates\n---\nx\n",
    );
    s.put(
        "_posts/2021-12-01-quoted.md",
        "---\ntitle: Quoted\ndate: \"2021-12-01 20:00:00\"\ncategories: dates\n---\nx\n",
    );
    s.put(
        "_posts/2021-12-08-blank.md",
        "\n---\ntitle: Blank line first\ndate: 2021-12-08 23:30:00 +0800\ncategories: notes\n---\nx\n",
    );
    let run = s.build(&[]).expect_code(0);
    let feed = std::fs::read_to_string(s.out().join("atom.xml")).expect("atom");
    let items = items(&s.out().join("atom.xml"));
    let root = "https://safe.example.com";
    // Unquoted and offset-less: UTC to Jekyll, so 04:00 the next day.
    assert_eq!(
        link_of(&items, "Unquoted"),
        format!("{root}/dates/2021/12/02/040000/unquoted.html")
    );
    assert_eq!(
        link_of(&items, "Unquoted two"),
        format!("{root}/dates/2021/12/01/213350/unquoted-two.html")
    );
    assert_eq!(
        link_of(&items, "Quoted"),
        format!("{root}/dates/2021/12/01/200000/quoted.html")
    );
    // ... while the feed keeps the written time in the site zone.
    assert!(
        feed.contains("<published>2021-12-01T20:00:00+08:00</published>"),
        "{feed}"
    );
    // Blank line before `---`: the feed keeps title and date, the link is
    // Jekyll's page (file name, no categories, midnight).
    assert_eq!(
        link_of(&items, "Blank line first"),
        format!("{root}/2021/12/08/000000/blank.html")
    );
    assert!(
        feed.contains("<published>2021-12-08T23:30:00+08:00</published>"),
        "{feed}"
    );
    assert_eq!(
        run.diagnostics(),
        [
            "content/_posts/2021-12-01-unquoted-two.md:3: note: 2 posts have an unquoted `date` with a time and no offset, like this one (and 1 more post). Jekyll reads such a date as UTC, so the site shows it 8 h later and builds the post's URL (and the feed's link) from that reading, while the feeds keep the written time in the site's `timezone`; quote the dates (`date: \"2021-12-01 13:33:50\"`) or add the offset (`+0800`) so both agree",
            "content/_posts/2021-12-08-blank.md:1: warning: blank line before the opening `---`: Jekyll reads no front matter in this file, so the site's page for this post is broken (it shows the front matter as text, titled `Blank`, dated 2021-12-08, without categories); the feed keeps the front matter and links to that page; fix the file by deleting the blank line(s) before `---`",
        ],
        "{}",
        run.stderr
    );
}

#[test]
fn dst_gaps_and_repeated_hours_follow_jekyll() {
    let s = Site::new();
    s.put(
        "_config.yml",
        format!("url: https://ny.example.com\ntimezone: America/New_York\npermalink: /:year/:month/:day/:hour:minute/:title:output_ext\n{JEKYLL_4}"),
    );
    s.put(
        "_posts/2022-03-13-gap.md",
        "---\ntitle: Gap\ndate: \"2022-03-13 02:30:00\"\n---\nx\n",
    );
    s.put(
        "_posts/2022-11-06-repeated.md",
        "---\ntitle: Repeated\ndate: \"2022-11-06 01:30:00\"\n---\nx\n",
    );
    s.build(&[]).expect_code(0);
    let feed = std::fs::read_to_string(s.out().join("atom.xml")).expect("atom");
    let items = items(&s.out().join("atom.xml"));
    assert_eq!(
        link_of(&items, "Gap"),
        "https://ny.example.com/2022/03/13/0330/gap.html"
    );
    assert_eq!(
        link_of(&items, "Repeated"),
        "https://ny.example.com/2022/11/06/0130/repeated.html"
    );
    assert!(
        feed.contains("<published>2022-11-06T01:30:00-05:00</published>"),
        "{feed}"
    );
    assert!(
        feed.contains("<published>2022-03-13T03:30:00-04:00</published>"),
        "{feed}"
    );
}

#[test]
fn jekylls_site_switches_decide_what_is_published() {
    let s = site("");
    s.put(
        "_posts/2030-01-02-future.md",
        "---\ntitle: Future\nfuture: true\n---\nx\n",
    );
    s.put(
        "_posts/2022-05-01-hidden.md",
        "---\ntitle: Hidden\npublished: false\n---\nx\n",
    );
    s.put(
        "_posts/2022-05-02-null.md",
        "---\ntitle: Published null\npublished:\n---\nx\n",
    );
    s.put(
        "_posts/2022-05-03-string.md",
        "---\ntitle: String false\npublished: \"false\"\n---\nx\n",
    );
    s.put("_drafts/a-draft.md", "---\ntitle: Draft\ndate: 2022-05-06\n---\nx\n");
    // Written 20:00 in Shanghai (before "now", 2030-01-01 00:00 +0800), but
    // unquoted without offset: 20:00 UTC to Jekyll, after "now". Jekyll has
    // no page for it yet, so the feeds do not link to it either.
    s.put(
        "_posts/2029-12-31-utc-future.md",
        "---\ntitle: UTC future\ndate: 2029-12-31 20:00:00\n---\nx\n",
    );
    let titles = |out: &str| -> Vec<String> {
        let mut t: Vec<String> = items(&s.path(out).join("atom.xml"))
            .into_iter()
            .map(|i| i.title)
            .collect();
        t.sort();
        t
    };
    // Harness "now" is 2030-01-01: the post's own `future: true` is not a Jekyll key.
    s.build_into("plain", &[]).expect_code(0);
    assert_eq!(titles("plain"), ["String false"]);
    s.config(&format!(
        "future: true\nunpublished: true\nshow_drafts: true\n{JEKYLL_4}"
    ));
    s.build_into("switched", &[]).expect_code(0);
    assert_eq!(
        titles("switched"),
        [
            "Draft",
            "Future",
            "Hidden",
            "Published null",
            "String false",
            "UTC future"
        ]
    );
}

#[test]
fn files_jekyll_publishes_without_front_matter_and_pages_without_warnings() {
    let s = site("");
    s.put("_posts/2022-01-13-no-front-matter.md", "Just text.\n");
    s.put("_posts/2022-01-14-unclosed.md", "---\ntitle: Never closed\nbody\n");
    s.put(
        "_posts/2022-01-15-dup-key.md",
        "---\ntitle: First title\ntitle: Second title\ndate: 2022-01-15\n---\nx\n",
    );
    s.put("_posts/#2022-01-16-skipped.md", "---\ntitle: Skipped\n---\n");
    // Pages: no title, CRLF, a date: none is a post, none draws a diagnostic.
    s.put("category/emnews.html", "---\r\nlayout: category\r\n---");
    s.put("notes/2022-01-01-dated-page.md", "---\ntitle:\ndate: soon\n---\n");
    let run = s.build(&[]).expect_code(0);
    let mut titles: Vec<String> = items(&s.out().join("atom.xml")).into_iter().map(|i| i.title).collect();
    titles.sort();
    assert_eq!(titles, ["No Front Matter", "Second title", "Unclosed"]);
    let diags = run.diagnostics();
    assert_eq!(diags.len(), 3, "{}", run.stderr);
    assert!(
        diags.iter().all(|d| d.starts_with("content/_posts/2022-01-1")),
        "{diags:?}"
    );
    assert!(run.printed("content/_posts/2022-01-15-dup-key.md:2: warning: this key is written again below; the last value wins, as in Jekyll"), "{}", run.stderr);
}

#[test]
fn what_jekyll_refuses_is_said_in_the_diagnostic() {
    let s = site("");
    s.put(
        "_posts/2022-07-02-empty-date.md",
        "---\ntitle: Empty date\ndate:  +0800\n---\nx\n",
    );
    s.put("_posts/2022-13-02-bad-month.md", "---\ntitle: Bad month\n---\nx\n");
    s.put(
        "_posts/no-date-prefix.md",
        "---\ntitle: Undated\ndate: 2022-01-01\n---\nx\n",
    );
    let run = s.build(&[]).expect_code(1);
    assert!(run.printed("content/_posts/2022-07-02-empty-date.md:3: error: date `+0800` is not a usable date; using 2022-07-02 from the file name; Jekyll will not build the site while this file is there (\"Invalid date\"): fix or remove the `date` line"), "{}", run.stderr);
    assert!(run.printed("content/_posts/2022-13-02-bad-month.md: error: the date in the file name is not a real date: Jekyll stops building the whole site at this file (\"Invalid date\"); not published; rename the file"), "{}", run.stderr);
    assert!(run.printed("content/_posts/no-date-prefix.md: warning: the file name does not start with a `YYYY-MM-DD-` date (or has no extension), so Jekyll does not read it as a post; not published"), "{}", run.stderr);
    let titles: Vec<String> = items(&s.out().join("atom.xml")).into_iter().map(|i| i.title).collect();
    assert_eq!(titles, ["Empty date"]);
}

/// The real site's job: a `_posts/` file Jekyll skips (no date in its
/// name), a draft and a page cost nothing the site shows, so the run says
/// so with a warning and exits 0, and CI goes on to publish the news.
#[test]
fn files_jekyll_does_not_publish_leave_the_exit_status_at_0() {
    let s = site("");
    s.put(
        "_posts/2022-07-01-news.md",
        "---\ntitle: News\ndate: 2022-07-01 09:00:00 +0800\ncategories: emnews\n---\nx\n",
    );
    s.put(
        "_posts/-NW202205262391921712.md",
        "---\ntitle: \"\"\ndate:  +0800\ncategories: emnews\n---\nx\n",
    );
    s.put("_drafts/a-draft.md", "---\ntitle: Draft\n---\nx\n");
    s.put("about.md", "---\ntitle: About\n---\nx\n");
    let run = s.build(&[]).expect_code(0);
    assert_eq!(
        run.diagnostics(),
        ["content/_posts/-NW202205262391921712.md: warning: the file name does not start with a `YYYY-MM-DD-` date (or has no extension), so Jekyll does not read it as a post; not published"],
        "{}",
        run.stderr
    );
    let titles: Vec<String> = items(&s.out().join("category/emnews/atom.xml"))
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(titles, ["News"]);
    // `--check` agrees: nothing stale, nothing lost.
    s.build(&["--check"]).expect_code(0);
}
