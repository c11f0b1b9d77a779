//! Posts Jekyll writes to one page (same date and slug in two files, a
//! `_posts/` subfolder, one `permalink`, a `slug`, categories, an archive
//! folder): one item, the post the page shows, and a warning on every file
//! involved. Which post the page shows was recorded with Jekyll 3.10
//! (GitHub Pages) and 4.3.1 on a site of every kind below: both show the
//! post written last (date, then path; posts after pages).

use std::collections::BTreeMap;
use std::fs;

use crate::harness::{items, output_tree, read_rss, Run, Site};

const ROOT: &str = "https://safe.example.com";

/// A post titled `title`, with `front` (more front matter lines).
fn post(title: &str, front: &str) -> String {
    format!("---\ntitle: {title}\n{front}\n---\n\n{title}: invented text.\n")
}

/// Each item of the RSS feed in `folder` as (title, guid, link), feed order.
fn rss_items(site: &Site, folder: &str) -> Vec<(String, String, String)> {
    read_rss(&site.out().join(folder).join("rss.xml"))
        .items()
        .iter()
        .map(|i| {
            (
                i.title().unwrap_or_default().to_string(),
                i.guid().map(|g| g.value().to_string()).unwrap_or_default(),
                i.link().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The titles of the site feed's items, sorted.
fn titles(site: &Site) -> Vec<String> {
    let mut titles: Vec<String> = items(&site.out().join("rss.xml"))
        .into_iter()
        .map(|i| i.title)
        .collect();
    titles.sort();
    titles
}

/// The one warning about `path`, which names every other file of its page.
#[track_caller]
fn warning_naming<'a>(run: &'a Run, path: &str, others: &[&str], url: &str) -> &'a str {
    let about: Vec<&str> = (run.about(&format!("content/{path}")).into_iter())
        .filter(|l| l.contains(": warning: "))
        .collect();
    assert_eq!(about.len(), 1, "{path}: {about:#?}\n{}", run.stderr);
    let line = about[0];
    assert!(line.starts_with(&format!("content/{path}:1: warning: ")), "{line}");
    assert!(line.contains(url), "{line}");
    for other in others {
        assert!(line.contains(&format!("content/{other}")), "{line} names {other}");
    }
    line
}

/// The warnings of a group: each file's names the others, and says which
/// one the page shows.
#[track_caller]
fn group_warned(run: &Run, files: &[&str], winner: &str, url: &str) {
    for file in files {
        let others: Vec<&str> = files.iter().copied().filter(|f| f != file).collect();
        let line = warning_naming(run, file, &others, url);
        match file == &winner {
            true => assert!(line.contains("which shows this one"), "{line}"),
            false => assert!(line.contains(&format!("which shows content/{winner}:")), "{line}"),
        }
    }
}

/// A clean build (fresh output and state folders) of the site as it is now.
fn clean_build(site: &Site, name: &str) -> (Run, BTreeMap<String, Vec<u8>>) {
    let state = format!("{name}-state");
    let run = site.build_into(name, &["--state", &state]);
    let tree = output_tree(&site.path(name));
    (run, tree)
}

/// `a.md`, `a.html` and `sub/a.md` of one date and slug: `sub/a.md` is
/// last in Jekyll's path order, so its content is the page's.
fn three_of_one_day(site: &Site) {
    let date = "date: 2022-05-10 10:00:00 +0800";
    site.put("_posts/2022-05-10-a.md", post("A md", date));
    site.put("_posts/2022-05-10-a.html", post("A html", date));
    site.put("_posts/sub/2022-05-10-a.md", post("A sub", date));
    site.put(
        "_posts/2022-05-11-other.md",
        post("Other", "date: 2022-05-11 10:00:00 +0800"),
    );
}

#[test]
fn same_date_and_slug_give_one_item_the_last_in_path_order() {
    let site = Site::new();
    site.config("");
    three_of_one_day(&site);
    let run = site.build(&[]).expect_code(0);
    let url = format!("{ROOT}/2022/05/10/a.html");
    let site_items = rss_items(&site, "");
    assert_eq!(
        site_items,
        [
            (
                "Other".to_string(),
                format!("{ROOT}/2022/05/11/other.html"),
                format!("{ROOT}/2022/05/11/other.html")
            ),
            ("A sub".to_string(), url.clone(), url.clone()),
        ]
    );
    assert!(items(&site.out().join("rss.xml"))[1]
        .content
        .contains("A sub: invented text."));
    let files = [
        "_posts/2022-05-10-a.html",
        "_posts/2022-05-10-a.md",
        "_posts/sub/2022-05-10-a.md",
    ];
    group_warned(&run, &files, "_posts/sub/2022-05-10-a.md", &url);
    let summary = run.json();
    assert_eq!((summary.published, summary.not_published), (2, 2), "{}", run.stderr);
}

#[test]
fn a_later_date_wins_over_path_order_and_permalinks_collide_too() {
    // Every winner below is the post Jekyll 3.10 and 4.3.1 showed.
    let site = Site::new();
    site.config("");
    // Same day and slug, `.html` later in the day: the later date wins.
    site.put(
        "_posts/2022-05-02-b.md",
        post("B md", "date: 2022-05-02 09:00:00 +0800"),
    );
    site.put(
        "_posts/2022-05-02-b.html",
        post("B html", "date: 2022-05-02 11:00:00 +0800"),
    );
    // One `permalink` in posts of two days: the later day's.
    site.put("_posts/2022-05-03-p.md", post("P early", "permalink: /same/"));
    site.put("_posts/2022-05-04-q.md", post("Q late", "permalink: /same/"));
    // One `permalink` on one day: the later path's.
    site.put("_posts/2022-05-05-z.md", post("Z same day", "permalink: /same2/"));
    site.put("_posts/2022-05-05-y.md", post("Y same day", "permalink: /same2/"));
    // `/same3` and `/same3.html` are one file, `same3.html`.
    site.put("_posts/2022-05-06-s.md", post("S bare", "permalink: /same3"));
    site.put("_posts/2022-05-07-t.md", post("T html", "permalink: /same3.html"));
    // An unquoted offset-less date is UTC to Jekyll: `u.md` (03:00 UTC,
    // 11:00 in Shanghai) is written after `v.md` (10:00 +0800), though
    // the feed dates it 03:00 +0800.
    site.put(
        "_posts/2022-01-04-u.md",
        post("U unquoted", "date: 2022-01-04 03:00:00"),
    );
    site.put(
        "_posts/2022-01-04-v.md",
        post("V quoted", "slug: u\ndate: \"2022-01-04 10:00:00 +0800\""),
    );
    let run = site.build(&[]).expect_code(0);
    assert_eq!(
        titles(&site),
        ["B html", "Q late", "T html", "U unquoted", "Z same day"]
    );
    let u = format!("{ROOT}/2022/01/04/u.html");
    group_warned(
        &run,
        &["_posts/2022-01-04-u.md", "_posts/2022-01-04-v.md"],
        "_posts/2022-01-04-u.md",
        &u,
    );
    let b = format!("{ROOT}/2022/05/02/b.html");
    group_warned(
        &run,
        &["_posts/2022-05-02-b.html", "_posts/2022-05-02-b.md"],
        "_posts/2022-05-02-b.html",
        &b,
    );
    let same = format!("{ROOT}/same/");
    group_warned(
        &run,
        &["_posts/2022-05-03-p.md", "_posts/2022-05-04-q.md"],
        "_posts/2022-05-04-q.md",
        &same,
    );
    let same2 = format!("{ROOT}/same2/");
    group_warned(
        &run,
        &["_posts/2022-05-05-y.md", "_posts/2022-05-05-z.md"],
        "_posts/2022-05-05-z.md",
        &same2,
    );
    let same3 = format!("{ROOT}/same3.html");
    group_warned(
        &run,
        &["_posts/2022-05-06-s.md", "_posts/2022-05-07-t.md"],
        "_posts/2022-05-07-t.md",
        &same3,
    );
}

#[test]
fn a_slug_or_categories_that_make_another_posts_url_collide() {
    let site = Site::new();
    site.config("");
    // `slug: c` makes `x.md` the page of `c.md`; `x` is later in path order.
    site.put("_posts/2022-05-06-x.md", post("X slug c", "slug: c"));
    site.put("_posts/2022-05-06-c.md", post("C file", ""));
    // A `categories: news` post and one in `news/_posts/`.
    site.put("_posts/2022-05-07-d.md", post("D front matter", "categories: news"));
    site.put("news/_posts/2022-05-07-d.md", post("D folder", ""));
    // `News` and `news` are one folder of the URL.
    site.put("_posts/2022-05-08-e.md", post("E upper", "categories: [News]"));
    site.put("_posts/2022-05-08-e.html", post("E lower", "categories: [news]"));
    let run = site.build(&[]).expect_code(0);
    assert_eq!(titles(&site), ["D folder", "E upper", "X slug c"]);
    let c = format!("{ROOT}/2022/05/06/c.html");
    group_warned(
        &run,
        &["_posts/2022-05-06-c.md", "_posts/2022-05-06-x.md"],
        "_posts/2022-05-06-x.md",
        &c,
    );
    let d = format!("{ROOT}/news/2022/05/07/d.html");
    group_warned(
        &run,
        &["_posts/2022-05-07-d.md", "news/_posts/2022-05-07-d.md"],
        "news/_posts/2022-05-07-d.md",
        &d,
    );
    let e = format!("{ROOT}/news/2022/05/08/e.html");
    group_warned(
        &run,
        &["_posts/2022-05-08-e.html", "_posts/2022-05-08-e.md"],
        "_posts/2022-05-08-e.md",
        &e,
    );
    let news: Vec<String> = rss_items(&site, "category/news").into_iter().map(|i| i.0).collect();
    assert_eq!(news, ["E upper", "D folder"]);
}

/// Jekyll shows one page: the loser leaves its own category's and tag's
/// feeds too, not only the site feed.
#[test]
fn the_post_not_shown_leaves_its_category_and_tag_feeds() {
    let site = Site::new();
    site.config("permalink: /:year/:title/\n");
    site.put(
        "_posts/2022-05-10-a.md",
        post("Markets A", "categories: markets\ntags: [m]"),
    );
    site.put(
        "_posts/2022-05-10-a.html",
        post("Sports A", "categories: sports\ntags: [s]"),
    );
    site.put(
        "_posts/2022-05-09-s.md",
        post("Sports S", "categories: sports\ntags: [s]"),
    );
    let run = site.build(&[]).expect_code(0);
    let url = format!("{ROOT}/2022/a/");
    group_warned(
        &run,
        &["_posts/2022-05-10-a.html", "_posts/2022-05-10-a.md"],
        "_posts/2022-05-10-a.md",
        &url,
    );
    let folder = |f: &str| -> Vec<String> { rss_items(&site, f).into_iter().map(|i| i.0).collect() };
    assert_eq!(folder(""), ["Markets A", "Sports S"]);
    assert_eq!(folder("category/markets"), ["Markets A"]);
    assert_eq!(folder("category/sports"), ["Sports S"]);
    assert_eq!(folder("tag/s"), ["Sports S"]);
}

/// A post in an archive folder is a page to Jekyll and keeps its `_posts/`
/// URL as its id: a post in `_posts/` with that URL is the page's (pages
/// are written before posts), and the feeds carry it alone.
#[test]
fn an_archived_post_gives_way_to_a_post_of_its_url() {
    let site = Site::new();
    site.config("feedgen:\n  archive: [old_post]\n");
    site.put("old_post/2022-05-10-g.md", post("G archived", ""));
    site.put("_posts/2022-05-10-g.html", post("G post", ""));
    site.put(
        "old_post/2022-05-08-k.md",
        post("K archived", "permalink: /2022/05/09/f.html"),
    );
    site.put("_posts/2022-05-09-f.md", post("F post", ""));
    let run = site.build(&[]).expect_code(0);
    let g = format!("{ROOT}/2022/05/10/g.html");
    let f = format!("{ROOT}/2022/05/09/f.html");
    assert_eq!(
        rss_items(&site, ""),
        [
            ("G post".to_string(), g.clone(), g.clone()),
            ("F post".to_string(), f.clone(), f.clone()),
        ]
    );
    group_warned(
        &run,
        &["_posts/2022-05-10-g.html", "old_post/2022-05-10-g.md"],
        "_posts/2022-05-10-g.html",
        &g,
    );
    group_warned(
        &run,
        &["_posts/2022-05-09-f.md", "old_post/2022-05-08-k.md"],
        "_posts/2022-05-09-f.md",
        &f,
    );
    assert!(warning_naming(&run, "old_post/2022-05-10-g.md", &[], &g).contains("archive folder"));
}

/// The files' order on disk decides nothing: the same posts created in
/// the opposite order give the same bytes and the same diagnostics.
#[test]
fn file_system_order_does_not_matter() {
    let files = [
        ("_posts/2022-05-10-a.md", "A md"),
        ("_posts/2022-05-10-a.html", "A html"),
        ("_posts/sub/2022-05-10-a.md", "A sub"),
        ("_posts/2022-05-03-p.md", "P"),
        ("_posts/2022-05-03-o.md", "O"),
    ];
    let build = |order: &mut dyn Iterator<Item = &(&str, &str)>| {
        let site = Site::new();
        site.config("");
        for (rel, title) in order {
            let front = match rel.contains("-p.md") || rel.contains("-o.md") {
                true => "permalink: /one/",
                false => "",
            };
            site.put(rel, post(title, front));
        }
        let run = site.build(&[]).expect_code(0);
        (run.diagnostics().join("\n"), output_tree(&site.out()))
    };
    let forward = build(&mut files.iter());
    let backward = build(&mut files.iter().rev());
    assert_eq!(forward.0, backward.0);
    assert_eq!(forward.1, backward.1);
    assert_eq!(forward.0.lines().count(), 5, "{}", forward.0);
}

/// A named change to a site.
type Step<'a> = (&'a str, &'a dyn Fn(&Site));

/// Each step's build, from the state of the steps before it, writes the
/// bytes of a clean build and says the same: the loser edited, the winner
/// deleted, a file renamed out of and into a collision.
#[test]
fn incremental_builds_equal_clean_builds() {
    let site = Site::new();
    site.config("feedgen:\n  archive: [old_post]\n");
    three_of_one_day(&site);
    site.put("_posts/2022-05-03-p.md", post("P early", "permalink: /same/"));
    site.put("_posts/2022-05-04-q.md", post("Q late", "permalink: /same/"));
    let steps: [Step; 7] = [
        ("first build", &|_| {}),
        ("the loser edited", &|s| {
            s.edit("_posts/2022-05-10-a.md", "A md", "A md edited")
        }),
        ("the winner deleted", &|s| {
            fs::remove_file(s.content().join("_posts/sub/2022-05-10-a.md")).expect("delete")
        }),
        ("a loser renamed away", &|s| {
            fs::rename(
                s.content().join("_posts/2022-05-10-a.html"),
                s.content().join("_posts/2022-05-10-b.html"),
            )
            .expect("rename")
        }),
        ("renamed into the collision", &|s| {
            fs::rename(
                s.content().join("_posts/2022-05-10-b.html"),
                s.content().join("_posts/2022-05-10-a.html"),
            )
            .expect("rename")
        }),
        ("the winner's permalink dropped", &|s| {
            s.edit("_posts/2022-05-04-q.md", "permalink: /same/", "")
        }),
        ("the winner archived", &|s| {
            fs::create_dir_all(s.content().join("old_post")).expect("old_post");
            fs::rename(
                s.content().join("_posts/2022-05-10-a.md"),
                s.content().join("old_post/2022-05-10-a.md"),
            )
            .expect("archive");
        }),
    ];
    for (n, (what, step)) in steps.iter().enumerate() {
        step(&site);
        let run = site.build(&[]).expect_code(0);
        let (clean, tree) = clean_build(&site, &format!("clean{n}"));
        assert_eq!(output_tree(&site.out()), tree, "{what}");
        assert_eq!(run.diagnostics(), clean.diagnostics(), "{what}");
        assert_eq!(run.json().published, clean.json().published, "{what}");
    }
    // After the last step: `a.html` against the archived `a.md`, which
    // gives way; P and Q each have a page again.
    assert_eq!(titles(&site), ["A html", "Other", "P early", "Q late"]);
}

/// `--strict` turns the warnings into errors and rejects every post involved.
#[test]
fn strict_rejects_every_post_of_a_shared_page() {
    let site = Site::new();
    site.config("");
    three_of_one_day(&site);
    let run = site.build(&["--strict"]).expect_code(1);
    assert_eq!(titles(&site), ["Other"]);
    let errors: Vec<&str> = run
        .diagnostics()
        .into_iter()
        .filter(|l| l.contains(": error: "))
        .collect();
    assert_eq!(errors.len(), 3, "{}", run.stderr);
    assert!(
        errors.iter().all(|l| l.ends_with("(rejected: --strict)")),
        "{errors:#?}"
    );
    assert_eq!(run.json().rejected, 3);
}

/// The warnings of a run that say two posts share a page.
fn page_warnings(run: &Run) -> Vec<&str> {
    (run.diagnostics().into_iter())
        .filter(|l| l.contains("to one page"))
        .collect()
}

/// A rerun takes each post's page (its file's hash) from the index: posts
/// of one page neither of which is read again are still one item, with
/// their warnings, whether another post changed or nothing did.
#[test]
fn a_rerun_finds_a_shared_page_from_the_index_alone() {
    let site = Site::new();
    site.config("");
    three_of_one_day(&site);
    let first = site.build(&[]).expect_code(0);
    assert_eq!(page_warnings(&first).len(), 3, "{}", first.stderr);
    // Nothing changed; then only the post outside the page changed.
    let unchanged = site.build(&[]).expect_code(0);
    site.edit("_posts/2022-05-11-other.md", "Other", "Other edited");
    let edited = site.build(&[]).expect_code(0);
    assert_eq!(edited.json().written, 2, "{}", edited.stderr);
    let (clean, tree) = clean_build(&site, "clean");
    for run in [&unchanged, &edited] {
        assert_eq!(page_warnings(run), page_warnings(&first));
        assert_eq!(run.diagnostics(), clean.diagnostics());
        assert_eq!(run.json().published, 2);
    }
    assert_eq!(output_tree(&site.out()), tree);
    assert_eq!(titles(&site), ["A sub", "Other edited"]);
    let url = format!("{ROOT}/2022/05/10/a.html");
    let files = [
        "_posts/2022-05-10-a.html",
        "_posts/2022-05-10-a.md",
        "_posts/sub/2022-05-10-a.md",
    ];
    group_warned(&edited, &files, "_posts/sub/2022-05-10-a.md", &url);
}

/// A new post whose page is a stored post's: the two share it from the
/// first run that sees the new one, and leaving again undoes it.
#[test]
fn a_new_post_joins_the_page_of_a_stored_one() {
    let site = Site::new();
    site.config("");
    site.put("_posts/2022-05-10-a.md", post("A md", ""));
    site.put("_posts/2022-05-11-b.md", post("B", ""));
    site.build(&[]).expect_code(0);
    let steps: [Step; 3] = [
        ("a new post on a's page", &|s| {
            s.put("_posts/2022-05-10-a.html", post("A html", ""))
        }),
        ("a new post with b's permalink", &|s| {
            s.put("_posts/2022-05-12-c.md", post("C", "permalink: /2022/05/11/b.html"))
        }),
        ("the new posts gone", &|s| {
            fs::remove_file(s.content().join("_posts/2022-05-10-a.html")).expect("delete");
            fs::remove_file(s.content().join("_posts/2022-05-12-c.md")).expect("delete");
        }),
    ];
    for (n, ((what, step), warned)) in steps.iter().zip([2, 4, 0]).enumerate() {
        step(&site);
        let run = site.build(&[]).expect_code(0);
        let (clean, tree) = clean_build(&site, &format!("clean{n}"));
        assert_eq!(page_warnings(&run).len(), warned, "{what}: {}", run.stderr);
        assert_eq!(output_tree(&site.out()), tree, "{what}");
        assert_eq!(run.diagnostics(), clean.diagnostics(), "{what}");
    }
    assert_eq!(titles(&site), ["A md", "B"]);
}

/// Every setting a post's URL is built from (the permalink, the Jekyll
/// version, the time zone, the archive folders) changes which posts share
/// a page: after each change, a build from the last one's state writes
/// what a clean build writes and says the same.
#[test]
fn a_change_of_url_settings_equals_a_clean_build() {
    let site = Site::new();
    // Under 4.3 only, `d..md` has the slug `d`; under `/:title/` only,
    // the two `t` posts share a page (and the `z` posts); in UTC only, the
    // two `z` posts are of one day; with `old_post` an archive folder
    // only, `k.md` is a post.
    site.put("_posts/2022-05-01-d.md", post("D plain", ""));
    site.put("_posts/2022-05-01-d..md", post("D dots", ""));
    site.put("_posts/2022-05-02-t.md", post("T one", ""));
    site.put("_posts/2022-05-03-t.md", post("T two", ""));
    site.put(
        "_posts/2022-05-04-z.md",
        post("Z late", "date: 2022-05-04 23:30:00 +0800"),
    );
    site.put(
        "_posts/2022-05-05-z.md",
        post("Z early", "date: 2022-05-05 00:30:00 +0800"),
    );
    site.put("old_post/2022-05-06-k.md", post("K archived", ""));
    site.put("_posts/2022-05-06-k.html", post("K post", ""));
    let config = |permalink: &str, jekyll: u8, zone: &str, archive: &str| {
        format!(
            "title: Safety\nurl: {ROOT}\ntimezone: {zone}\nlang: en\n{permalink}\
             feedgen:\n  jekyll: {jekyll}\n  archive: [{archive}]\n"
        )
    };
    let title = "permalink: /:title/\n";
    let settings = [
        ("the first build", config("", 3, "Asia/Shanghai", ""), 0),
        ("a permalink", config(title, 3, "Asia/Shanghai", ""), 4),
        ("Jekyll 4", config(title, 4, "Asia/Shanghai", ""), 6),
        ("another time zone", config("", 4, "UTC", ""), 4),
        ("an archive folder", config("", 4, "UTC", "old_post"), 6),
        ("all back", config("", 3, "Asia/Shanghai", ""), 0),
    ];
    for (n, (what, text, warned)) in settings.iter().enumerate() {
        site.put("_config.yml", text);
        let run = site.build(&[]).expect_code(0);
        let (clean, tree) = clean_build(&site, &format!("clean{n}"));
        assert_eq!(page_warnings(&run).len(), *warned, "{what}: {}", run.stderr);
        assert_eq!(output_tree(&site.out()), tree, "{what}");
        assert_eq!(run.diagnostics(), clean.diagnostics(), "{what}");
        assert_eq!(run.json().published, clean.json().published, "{what}");
    }
}
