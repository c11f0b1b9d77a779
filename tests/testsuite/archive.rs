//! `feedgen.archive`: posts moved from `_posts/` to an archive folder
//! (`old_post/`) stay in their feeds under the id they had, link the page
//! Jekyll publishes for the moved file, and keep quiet outlets' feeds
//! alive; without the setting, one note says what to add.

use std::collections::BTreeMap;
use std::fs;

use serde_json::Value;

use crate::harness::{items, output_tree, read_atom, read_rss, Site};

const ARCHIVE: &str = "feedgen:\n  archive: [old_post]\n  formats: [rss, atom, json]\n";

fn post(title: &str, date: &str, categories: &str) -> String {
    format!("---\nlayout: post\ntitle: {title}\ndate: {date} 10:00:00 +0800\ncategories: {categories}\n---\n\n{title}: invented text.\n")
}

/// Move `name` from `_posts/` to `old_post/`, same name and bytes.
fn archive(site: &Site, name: &str) {
    fs::create_dir_all(site.content().join("old_post")).expect("old_post");
    fs::rename(
        site.content().join("_posts").join(name),
        site.content().join("old_post").join(name),
    )
    .expect("move the post");
}

/// Each item's (id, link) in one feed folder's RSS, Atom and JSON Feed,
/// by title: the three must agree.
fn ids_and_links(site: &Site, folder: &str) -> BTreeMap<String, (String, String)> {
    let dir = site.out().join(folder);
    let rss: BTreeMap<String, (String, String)> = read_rss(&dir.join("rss.xml"))
        .items()
        .iter()
        .map(|i| {
            let guid = i.guid().map(|g| g.value().to_string()).unwrap_or_default();
            let title = i.title().unwrap_or_default().to_string();
            (title, (guid, i.link().unwrap_or_default().to_string()))
        })
        .collect();
    let atom: BTreeMap<String, (String, String)> = read_atom(&dir.join("atom.xml"))
        .entries()
        .iter()
        .map(|e| {
            let link = e
                .links()
                .iter()
                .find(|l| l.rel() == "alternate")
                .map(|l| l.href().to_string())
                .unwrap_or_default();
            (e.title().to_string(), (e.id().to_string(), link))
        })
        .collect();
    let json: Value = serde_json::from_slice(&fs::read(dir.join("feed.json")).expect("feed.json")).expect("JSON");
    let json: BTreeMap<String, (String, String)> = json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let text = |key: &str| i[key].as_str().unwrap_or_default().to_string();
            (text("title"), (text("id"), text("url")))
        })
        .collect();
    assert_eq!(rss, atom, "RSS and Atom agree");
    assert_eq!(rss, json, "RSS and JSON Feed agree");
    rss
}

/// The RSS `isPermaLink` of the item titled `title` in the site feed.
fn is_permalink(site: &Site, title: &str) -> bool {
    let channel = read_rss(&site.out().join("rss.xml"));
    let item = channel
        .items()
        .iter()
        .find(|i| i.title() == Some(title))
        .unwrap_or_else(|| panic!("{title} in the site feed"));
    item.guid().is_some_and(|g| g.is_permalink())
}

#[test]
fn a_moved_post_keeps_its_id_in_every_format_and_links_its_page() {
    let site = Site::new();
    site.config(ARCHIVE);
    site.put("_posts/2022-05-10-moved.md", post("Moved", "2022-05-10", "[Markets]"));
    site.put("_posts/2022-05-11-stays.md", post("Stays", "2022-05-11", "[Markets]"));
    site.build(&[]).expect_code(0);
    let before = ids_and_links(&site, "");
    assert_eq!(
        before["Moved"],
        (
            "https://safe.example.com/markets/2022/05/10/moved.html".to_string(),
            "https://safe.example.com/markets/2022/05/10/moved.html".to_string()
        )
    );
    assert_eq!(ids_and_links(&site, "category/markets"), before);

    archive(&site, "2022-05-10-moved.md");
    let run = site.build(&[]).expect_code(0);
    assert!(run.diagnostics().is_empty(), "{}", run.stderr);
    let after = ids_and_links(&site, "");
    assert_eq!(after["Moved"].0, before["Moved"].0, "same id after the move");
    assert_eq!(
        after["Moved"].1,
        "https://safe.example.com/old_post/2022-05-10-moved.html"
    );
    assert_eq!(after["Stays"], before["Stays"], "a post that never moved is untouched");
    assert_eq!(ids_and_links(&site, "category/markets"), after);
    // The id is no longer the page: RSS says so.
    assert!(!is_permalink(&site, "Moved"));
    assert!(is_permalink(&site, "Stays"));

    // The build after the move (from the state of the build before it)
    // wrote the bytes of a clean build.
    let clean = site.build_into("clean", &["--state", "clean-state"]).expect_code(0);
    assert!(clean.diagnostics().is_empty(), "{}", clean.stderr);
    assert_eq!(output_tree(&site.out()), output_tree(&site.path("clean")));
}

#[test]
fn a_quiet_outlets_feed_keeps_its_posts_once_all_are_archived() {
    let site = Site::new();
    site.config(ARCHIVE);
    site.put("_posts/2022-05-01-q1.md", post("Quiet one", "2022-05-01", "[quiet]"));
    site.put("_posts/2022-05-02-q2.md", post("Quiet two", "2022-05-02", "[quiet]"));
    for day in 1..=25 {
        let name = format!("2022-06-{day:02}-busy.md");
        site.put(
            &format!("_posts/{name}"),
            post(&format!("Busy {day}"), &format!("2022-06-{day:02}"), "[busy]"),
        );
    }
    site.build(&[]).expect_code(0);
    archive(&site, "2022-05-01-q1.md");
    archive(&site, "2022-05-02-q2.md");
    for day in 1..=20 {
        archive(&site, &format!("2022-06-{day:02}-busy.md"));
    }
    site.build(&[]).expect_code(0);
    let quiet = items(&site.out().join("category/quiet/rss.xml"));
    let titles: Vec<&str> = quiet.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["Quiet two", "Quiet one"]);
    assert!(quiet.iter().all(|i| i.link.contains("/old_post/")), "{quiet:?}");
    // `limit` (20) counts archived posts as any other.
    let busy = items(&site.out().join("category/busy/rss.xml"));
    assert_eq!(busy.len(), 20);
    assert_eq!(busy.iter().filter(|i| i.link.contains("/old_post/")).count(), 15);
}

#[test]
fn without_the_setting_one_note_names_the_folder_the_count_and_the_setting() {
    let site = Site::new();
    site.config("");
    site.put("_posts/2022-05-11-new.md", post("New", "2022-05-11", "[a]"));
    for day in 1..=3 {
        site.put(
            &format!("old_post/2022-05-0{day}-old.md"),
            post("Old", &format!("2022-05-0{day}"), "[a]"),
        );
    }
    site.put("old_post/index.md", "---\nlayout: default\ntitle: Archive\n---\n");
    site.put("about/2022-05-01-cv.md", "---\nlayout: post\ntitle: CV\n---\n");
    let run = site.build(&[]).expect_code(0);
    let notes: Vec<&str> = run
        .diagnostics()
        .into_iter()
        .filter(|d| d.contains("moved out of _posts/"))
        .collect();
    assert_eq!(
        notes,
        ["content/old_post: note: 3 pages look like posts moved out of _posts/ (layout: post, a date, categories); Jekyll publishes them as pages, so they are in no feed; add `feedgen.archive: [old_post]` to keep them in their feeds"],
        "{}",
        run.stderr
    );
    assert_eq!(items(&site.out().join("category/a/rss.xml")).len(), 1);

    site.config("feedgen:\n  archive: [old_post]\n");
    let run = site.build(&[]).expect_code(0);
    assert!(run.diagnostics().is_empty(), "{}", run.stderr);
    assert_eq!(items(&site.out().join("category/a/rss.xml")).len(), 4);
}

#[test]
fn pretty_permalinks_and_baseurl_link_the_pretty_page() {
    let site = Site::new();
    site.config(&format!("baseurl: /news\npermalink: pretty\n{ARCHIVE}"));
    site.put("_posts/2022-05-10-moved.md", post("Moved", "2022-05-10", "[Markets]"));
    site.put(
        "_posts/2022-05-11-own.md",
        "---\ntitle: Own\ndate: 2022-05-11 10:00:00 +0800\npermalink: /archive/own/\n---\nx\n",
    );
    site.build(&[]).expect_code(0);
    let before = ids_and_links(&site, "");
    archive(&site, "2022-05-10-moved.md");
    archive(&site, "2022-05-11-own.md");
    site.build(&[]).expect_code(0);
    let after = ids_and_links(&site, "");
    assert_eq!(
        before["Moved"].0,
        "https://safe.example.com/news/markets/2022/05/10/moved/"
    );
    assert_eq!(after["Moved"].0, before["Moved"].0);
    assert_eq!(
        after["Moved"].1,
        "https://safe.example.com/news/old_post/2022-05-10-moved/"
    );
    // Its own permalink wins for the page as it did for the post.
    assert_eq!(after["Own"], before["Own"]);
    assert_eq!(after["Own"].1, "https://safe.example.com/news/archive/own/");
    assert!(is_permalink(&site, "Own"));
}

#[test]
fn an_archived_html_post_is_a_post_and_other_archived_files_stay_pages() {
    let site = Site::new();
    site.config(ARCHIVE);
    site.put(
        "old_post/2022-05-12-page.html",
        "---\nlayout: post\ntitle: Html\ndate: 2022-05-12 10:00:00 +0800\ncategories: [x]\n---\n<p>Some <b>HTML</b>.</p>\n",
    );
    site.put(
        "old_post/sub/2022-05-13-nested.md",
        "---\ntitle: Nested\ndate: 2022-05-13 10:00:00 +0800\n---\nx\n",
    );
    // Not posts: no date in the name; no front matter (Jekyll 4.3 copies
    // it as a static file); unpublished.
    site.put("old_post/index.md", "---\nlayout: default\ntitle: Archive\n---\n");
    site.put(
        "old_post/2022-05-14-no-front-matter.md",
        "Moved file without front matter.\n",
    );
    site.put(
        "old_post/2022-05-15-hidden.md",
        "---\ntitle: Hidden\ndate: 2022-05-15 10:00:00 +0800\npublished: false\n---\nx\n",
    );
    let run = site.build(&[]).expect_code(0);
    assert!(run.diagnostics().is_empty(), "{}", run.stderr);
    let all = ids_and_links(&site, "");
    let titles: Vec<&str> = all.keys().map(String::as_str).collect();
    assert_eq!(titles, ["Html", "Nested"]);
    assert_eq!(
        all["Html"],
        (
            "https://safe.example.com/x/2022/05/12/page.html".to_string(),
            "https://safe.example.com/old_post/2022-05-12-page.html".to_string()
        )
    );
    // Below the folder, as `_posts/sub/` is below `_posts/`: no category.
    assert_eq!(
        all["Nested"],
        (
            "https://safe.example.com/2022/05/13/nested.html".to_string(),
            "https://safe.example.com/old_post/sub/2022-05-13-nested.html".to_string()
        )
    );
    let rss = fs::read_to_string(site.out().join("rss.xml")).expect("rss");
    assert!(rss.contains("<b>HTML</b>"), "the HTML body is kept as HTML");
}

#[test]
fn bad_archive_values_stop_the_run_naming_the_key() {
    let site = Site::new();
    site.put("_posts/2022-05-10-a.md", post("A", "2022-05-10", "[a]"));
    for (value, message) in [
        (
            "old_post",
            "`feedgen.archive` must be a list of folders, e.g. `[old_post]`",
        ),
        (
            "[../old]",
            "`feedgen.archive` `../old` must be a folder relative to the content folder",
        ),
        (
            "[/srv/old]",
            "`feedgen.archive` `/srv/old` must be a folder relative to the content folder",
        ),
        (
            "['']",
            "`feedgen.archive` `` must be a folder relative to the content folder",
        ),
        (
            "[_posts]",
            "`feedgen.archive` `_posts`: Jekyll does not publish a folder named `_posts`",
        ),
        (
            "[_old]",
            "`feedgen.archive` `_old`: Jekyll does not publish a folder named `_old`",
        ),
        (
            "[.old]",
            "`feedgen.archive` `.old`: Jekyll does not publish a folder named `.old`",
        ),
        ("[old, old/2022]", "`feedgen.archive` holds `old/2022` inside `old`"),
        ("[[old]]", "`feedgen.archive` must be a list of folder names"),
    ] {
        site.config(&format!("feedgen:\n  archive: {value}\n"));
        let run = site.build(&[]).expect_code(2);
        assert!(run.stderr.contains(message), "{value}: {}", run.stderr);
        assert!(run.stderr.contains("_config.yml"), "{value}: {}", run.stderr);
    }
}

/// A move, then more posts and another move: each build from the last
/// one's state writes the bytes of a clean build.
#[test]
fn incremental_builds_across_moves_equal_clean_builds() {
    let site = Site::new();
    site.config(ARCHIVE);
    for day in 1..=9 {
        let category = ["a", "b", "c"][day % 3];
        site.put(
            &format!("_posts/2022-05-0{day}-p.md"),
            post(&format!("P{day}"), &format!("2022-05-0{day}"), &format!("[{category}]")),
        );
    }
    site.build(&[]).expect_code(0);
    for step in 0..3 {
        for day in (1 + 3 * step)..=(3 + 3 * step) {
            archive(&site, &format!("2022-05-0{day}-p.md"));
        }
        site.put(
            &format!("_posts/2022-06-0{}-new.md", step + 1),
            post(&format!("New {step}"), &format!("2022-06-0{}", step + 1), "[a]"),
        );
        site.build(&[]).expect_code(0);
        let clean = format!("clean{step}");
        let state = format!("--state=state{step}");
        site.build_into(&clean, &[&state]).expect_code(0);
        assert_eq!(output_tree(&site.out()), output_tree(&site.path(&clean)), "step {step}");
    }
    // Every post, in whichever folder, is in the site feed.
    assert_eq!(items(&site.out().join("rss.xml")).len(), 12);
}

/// Archived files are indexed as posts: a rerun with no folder changed
/// takes the last walk's list (no walk), reads nothing again, and a move
/// after that is seen.
#[test]
fn archived_files_go_through_the_index_and_the_listing() {
    let site = Site::new();
    site.config(ARCHIVE);
    for day in 1..=3 {
        site.put(
            &format!("old_post/2022-05-0{day}-old.md"),
            post(&format!("Old {day}"), &format!("2022-05-0{day}"), "[a]"),
        );
    }
    site.put("_posts/2022-05-09-new.md", post("New", "2022-05-09", "[a]"));
    // The first build makes the state folder in the content folder;
    // folders changed within 2 s of a walk are never vouched for.
    site.build(&[]).expect_code(0);
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    site.build(&["-v"]).expect_code(0);
    let rerun = site.build(&["-v"]).expect_code(0);
    assert!(
        rerun.stderr.contains("folders unchanged: not walked"),
        "{}",
        rerun.stderr
    );
    assert_eq!(
        (rerun.json().read, rerun.json().published, rerun.json().written),
        (4, 4, 0)
    );
    let links: Vec<String> = items(&site.out().join("category/a/rss.xml"))
        .into_iter()
        .map(|i| i.link)
        .collect();
    assert_eq!(
        links,
        [
            "https://safe.example.com/a/2022/05/09/new.html",
            "https://safe.example.com/old_post/2022-05-03-old.html",
            "https://safe.example.com/old_post/2022-05-02-old.html",
            "https://safe.example.com/old_post/2022-05-01-old.html",
        ]
    );
    archive(&site, "2022-05-09-new.md");
    let moved = site.build(&["-v"]).expect_code(0);
    assert!(!moved.stderr.contains("not walked"), "{}", moved.stderr);
    let first = &items(&site.out().join("category/a/rss.xml"))[0];
    assert_eq!(first.link, "https://safe.example.com/old_post/2022-05-09-new.html");
}

/// A post copied to the archive folder while still in `_posts/` (a move
/// half done) is in each feed once, as the `_posts/` one, with a note;
/// once the copy in `_posts/` is gone the archived one takes its place
/// under the same id.
#[test]
fn a_post_in_both_folders_is_in_each_feed_once() {
    let site = Site::new();
    site.config(ARCHIVE);
    let text = post("Twice", "2022-05-10", "[a]");
    site.put("_posts/2022-05-10-twice.md", &text);
    site.put("old_post/2022-05-10-twice.md", &text);
    let run = site.build(&[]).expect_code(0);
    assert_eq!(
        run.diagnostics(),
        ["content/old_post/2022-05-10-twice.md: note: read as `_posts/2022-05-10-twice.md`, which is still there: the feeds carry that one (the two would share an id), and this one once `_posts/2022-05-10-twice.md` is gone"],
        "{}",
        run.stderr
    );
    let both = ids_and_links(&site, "category/a");
    assert_eq!(both.len(), 1);
    assert_eq!(both["Twice"].1, "https://safe.example.com/a/2022/05/10/twice.html");
    assert_eq!(items(&site.out().join("rss.xml")).len(), 1);
    fs::remove_file(site.content().join("_posts/2022-05-10-twice.md")).expect("rm");
    let run = site.build(&[]).expect_code(0);
    assert!(run.diagnostics().is_empty(), "{}", run.stderr);
    let archived = ids_and_links(&site, "category/a");
    assert_eq!(archived["Twice"].0, both["Twice"].0);
    assert_eq!(
        archived["Twice"].1,
        "https://safe.example.com/old_post/2022-05-10-twice.html"
    );
}
