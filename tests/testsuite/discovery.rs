//! Finding and recognising feeds: JSON Feed 1.1, display names
//! (`feedgen.names`), attribution, images and icons, Folo claims, and the
//! discovery files (`feeds.opml`, `feeds.json`, `index.html`). Each is read
//! back with a parser written by someone else: roxmltree for OPML and the
//! directory's links, serde_json for JSON, feed-rs for every feed format.
//! The directory page in a real browser and the JSON Feed in an npm parser
//! are checked in `conformance/` (`60-jsonfeed`, `61-opml`, `70-directory`).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::harness::{feed_files, read_atom, read_feed_rs, read_rss, tree, well_formed, Site};

const ROOT: &str = "https://safe.example.com";

const CONFIG: &str = "\
feedgen:
  formats: [rss, atom, json]
  icon: /favicon-512.png
  logo: https://cdn.example.com/logo.png
  names:
    category: {emnews: 东财滚动新闻, ZhengQuanShiBao: 证券时报}
  claims:
    category/emnews: {feed_id: '41147805276726272', user_id: '56789'}
";

/// Three outlets: one with a front-matter image, one whose image is in its
/// text, one with neither and a name full of markup characters.
fn news_site(extra_config: &str) -> Site {
    let site = Site::new();
    site.config(&format!("{CONFIG}{extra_config}"));
    site.put(
        "_posts/2024-03-01-a.md",
        "---\ntitle: Alpha\ndate: 2024-03-01 09:00:00 +0800\ncategories: emnews\ntags: 快讯\nimage: /img/a.png\n\
         source_url: https://src.example.com/a\n---\nText <img src=\"https://img.example.com/not-this.png\">\n",
    );
    site.put(
        "_posts/2024-03-02-b.md",
        "---\ntitle: Beta\ndate: 2024-03-02 09:00:00 +0800\ncategories: zhengquanshibao\n---\n\
         First.\n\n![chart](//img.example.com/b.png?w=1&h=2)\n\n<http://stcn.example.com/b>\n",
    );
    site.put(
        "_posts/2024-03-03-c.md",
        "---\ntitle: Gamma\ndate: 2024-03-03 09:00:00 +0800\ncategories: \"<b>&co\"\n---\nNo picture.\n\n<https://host.example.net/c>\n",
    );
    site
}

fn json(path: &Path) -> Value {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Where a file of the output folder is served, as written (not encoded).
fn public_url(rel: &str) -> String {
    format!("{ROOT}/{}", rel.trim_start_matches('/'))
}

/// A URL as written in a feed, percent-decoded; panics unless it is ASCII.
fn decoded(url: &str) -> String {
    assert!(url.is_ascii(), "{url} is not percent-encoded");
    percent_encoding::percent_decode_str(url)
        .decode_utf8_lossy()
        .into_owned()
}

fn text(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn json_feed_has_what_the_1_1_spec_requires_and_feed_rs_reads_it() {
    let site = news_site("");
    site.build(&[]).expect_code(0);
    let out = site.out();
    let files = tree(&out);
    let json_feeds: Vec<&String> = files.keys().filter(|f| f.ends_with("feed.json")).collect();
    assert_eq!(json_feeds.len(), 5, "site, 3 categories, 1 tag: {json_feeds:?}");
    for rel in json_feeds {
        let feed = json(&out.join(rel));
        assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1", "{rel}");
        assert!(feed["title"].as_str().is_some_and(|t| !t.is_empty()), "{rel}");
        assert_eq!(decoded(feed["feed_url"].as_str().unwrap_or_default()), public_url(rel));
        let items = feed["items"].as_array().unwrap_or_else(|| panic!("{rel}: no items"));
        assert!(!items.is_empty(), "{rel}");
        for item in items {
            assert!(item["id"].as_str().is_some_and(|i| !i.is_empty()), "{rel}: {item}");
            assert!(item["content_html"].is_string() || item["content_text"].is_string());
            let date = item["date_published"].as_str().expect("date_published");
            assert!(
                chrono::DateTime::parse_from_rfc3339(date).is_ok(),
                "{rel}: `{date}` is not RFC 3339"
            );
        }
        let parsed = read_feed_rs(&out.join(rel));
        assert_eq!(parsed.entries.len(), items.len(), "{rel}");
    }
    let site_feed = json(&out.join("feed.json"));
    let titles: Vec<&str> = site_feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    assert_eq!(titles, ["Gamma", "Beta", "Alpha"], "newest first");
    assert_eq!(site_feed["items"][2]["date_published"], "2024-03-01T09:00:00+08:00");
    assert_eq!(site_feed["items"][2]["external_url"], "https://src.example.com/a");
    assert_eq!(site_feed["language"], "en");

    // Off by default: a site without `json` in `formats` gets no feed.json.
    let plain = Site::new();
    plain.config("");
    plain.put("_posts/2024-03-01-a.md", "---\ntitle: A\ndate: 2024-03-01\n---\nx\n");
    plain.build(&[]).expect_code(0);
    assert!(tree(&plain.out())
        .keys()
        .all(|f| !f.ends_with(".json") || f == "feeds.json"));
}

#[test]
fn display_names_title_feeds_and_name_outlets_in_attribution() {
    let site = news_site("");
    site.build(&[]).expect_code(0);
    let out = site.out();
    let rss = read_rss(&out.join("category/emnews/rss.xml"));
    assert_eq!(rss.title(), "Safety · 东财滚动新闻");
    let source = rss.items()[0].source().expect("source");
    assert_eq!(source.title(), Some("东财滚动新闻"), "the outlet by its display name");
    assert_eq!(source.url(), "https://src.example.com/a");
    // Config names match as folder names do: `ZhengQuanShiBao` is `zhengquanshibao`.
    assert_eq!(
        read_rss(&out.join("category/zhengquanshibao/rss.xml")).title(),
        "Safety · 证券时报"
    );
    // No display name: the raw name, and the source's host.
    let other = read_rss(&out.join("category/<b>&co/rss.xml"));
    assert_eq!(other.title(), "Safety · <b>&co");
    assert_eq!(
        other.items()[0].source().and_then(|s| s.title()),
        Some("host.example.net")
    );

    let atom = read_atom(&out.join("atom.xml"));
    let alpha = atom
        .entries()
        .iter()
        .find(|e| e.title().as_str() == "Alpha")
        .expect("Alpha");
    let via = alpha.links().iter().find(|l| l.rel() == "via").expect("via");
    assert_eq!(via.title(), Some("东财滚动新闻"));
    let labels: Vec<(&str, Option<&str>)> = alpha.categories().iter().map(|c| (c.term(), c.label())).collect();
    assert_eq!(labels, [("emnews", Some("东财滚动新闻")), ("快讯", Some("快讯"))]);
    let json_feed = json(&out.join("category/zhengquanshibao/feed.json"));
    assert_eq!(json_feed["title"], "Safety · 证券时报");
}

#[test]
fn images_go_out_as_media_rss_and_json_feed_image_and_icons_as_feed_images() {
    let site = news_site("");
    site.build(&[]).expect_code(0);
    let out = site.out();
    let rss_text = text(&out.join("rss.xml"));
    well_formed(rss_text.as_bytes()).expect("well-formed RSS");
    let doc = roxmltree::Document::parse(&rss_text).expect("xml");
    const MEDIA: &str = "http://search.yahoo.com/mrss/";
    let media_of = |title: &str, name: &str| -> Option<String> {
        let item = doc
            .descendants()
            .find(|n| {
                n.has_tag_name("item") && n.children().any(|c| c.has_tag_name("title") && c.text() == Some(title))
            })
            .expect("item");
        item.children()
            .find(|c| c.has_tag_name((MEDIA, name)))
            .and_then(|c| c.attribute("url").map(str::to_string))
    };
    // Front-matter image wins over the one in the text, made absolute.
    assert_eq!(
        media_of("Alpha", "content").as_deref(),
        Some("https://safe.example.com/img/a.png")
    );
    assert_eq!(
        media_of("Alpha", "thumbnail").as_deref(),
        Some("https://safe.example.com/img/a.png")
    );
    // Else the first image of the post, protocol-relative made absolute.
    let inline = "https://img.example.com/b.png?w=1&h=2";
    assert_eq!(media_of("Beta", "content").as_deref(), Some(inline));
    assert_eq!(media_of("Gamma", "content"), None);
    let parsed = read_feed_rs(&out.join("rss.xml"));
    let beta = parsed
        .entries
        .iter()
        .find(|e| e.title.as_ref().is_some_and(|t| t.content == "Beta"))
        .expect("Beta");
    assert!(
        beta.media
            .iter()
            .flat_map(|m| &m.content)
            .any(|c| c.url.as_ref().is_some_and(|u| u.as_str() == inline)),
        "feed-rs sees media:content: {:?}",
        beta.media
    );
    let feed = json(&out.join("feed.json"));
    let images: Vec<Option<&str>> = feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["image"].as_str())
        .collect();
    assert_eq!(images, [None, Some(inline), Some("https://safe.example.com/img/a.png")]);

    // Icons: RSS <image> (the square icon), Atom icon/logo, JSON Feed icon/favicon.
    let icon = "https://safe.example.com/favicon-512.png";
    let rss = read_rss(&out.join("category/emnews/rss.xml"));
    let image = rss.image().expect("RSS image");
    assert_eq!(
        (image.url(), image.title(), image.link()),
        (icon, rss.title(), rss.link())
    );
    let atom = read_atom(&out.join("category/emnews/atom.xml"));
    assert_eq!(atom.icon(), Some(icon));
    assert_eq!(atom.logo(), Some("https://cdn.example.com/logo.png"));
    let feed = json(&out.join("category/emnews/feed.json"));
    assert_eq!(
        (feed["icon"].as_str(), feed["favicon"].as_str()),
        (Some(icon), Some(icon))
    );
}

#[test]
fn a_folo_claim_goes_into_its_own_feed_only_and_an_unknown_one_is_reported() {
    let site = news_site("    tag/nope: {feed_id: '1', user_id: '2'}\n");
    let run = site.build(&[]).expect_code(0);
    assert!(
        run.printed("content: warning: `feedgen.claims` names the feed `tag/nope`, which does not exist; the claim is not published"),
        "{}",
        run.stderr
    );
    let out = site.out();
    let doc_text = text(&out.join("category/emnews/rss.xml"));
    let doc = roxmltree::Document::parse(&doc_text).expect("xml");
    let challenge = doc
        .descendants()
        .find(|n| n.has_tag_name("follow_challenge"))
        .expect("follow_challenge");
    assert_eq!(challenge.parent().map(|p| p.tag_name().name()), Some("channel"));
    let child = |name: &str| {
        challenge
            .children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
    };
    assert_eq!(
        (child("feedId"), child("userId")),
        (Some("41147805276726272"), Some("56789"))
    );
    for rel in feed_files(&out) {
        if rel != "category/emnews/rss.xml" {
            assert!(
                !text(&out.join(&rel)).contains("follow_challenge"),
                "{rel} has the claim"
            );
        }
    }
}

/// An OPML feed outline: title, `xmlUrl`, `htmlUrl`.
type Outline<'a> = (&'a str, &'a str, &'a str);

/// The feeds a build wrote, by folder (`` for the site feed).
fn folders(out: &Path) -> BTreeSet<String> {
    tree(out)
        .keys()
        .filter(|f| f.ends_with("rss.xml"))
        .map(|f| f.trim_end_matches("rss.xml").trim_end_matches('/').to_string())
        .collect()
}

#[test]
fn opml_feeds_json_and_the_directory_list_every_feed() {
    let site = news_site("");
    site.build(&[]).expect_code(0);
    let out = site.out();
    let folders = folders(&out);
    assert_eq!(folders.len(), 5);
    let url_of = |folder: &str, file: &str| public_url(&format!("{folder}/{file}"));

    // OPML 2.0: one rss outline per feed, grouped by kind.
    let opml = text(&out.join("feeds.opml"));
    let doc = roxmltree::Document::parse(&opml).expect("OPML is XML");
    assert_eq!(doc.root_element().attribute("version"), Some("2.0"));
    let groups: Vec<(&str, Vec<Outline>)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("body"))
        .flat_map(|b| b.children().filter(|c| c.is_element()))
        .map(|g| {
            let feeds = g
                .children()
                .filter(|c| c.is_element())
                .map(|o| {
                    assert_eq!(o.attribute("type"), Some("rss"));
                    assert_eq!(o.attribute("text"), o.attribute("title"));
                    (
                        o.attribute("title").unwrap_or_default(),
                        o.attribute("xmlUrl").unwrap_or_default(),
                        o.attribute("htmlUrl").unwrap_or_default(),
                    )
                })
                .collect();
            (g.attribute("text").unwrap_or_default(), feeds)
        })
        .collect();
    let names: Vec<&str> = groups.iter().map(|g| g.0).collect();
    assert_eq!(names, ["Site", "Categories", "Tags"]);
    let listed: BTreeSet<String> = groups.iter().flat_map(|g| g.1.iter().map(|f| decoded(f.1))).collect();
    let want: BTreeSet<String> = folders.iter().map(|f| url_of(f, "rss.xml")).collect();
    assert_eq!(listed, want);
    assert!(groups[1].1.contains(&(
        "Safety · 东财滚动新闻",
        "https://safe.example.com/category/emnews/rss.xml",
        "https://safe.example.com/"
    )));

    // feeds.json: name, folder, title, page, URL per format, posts, newest.
    let index = json(&out.join("feeds.json"));
    let feeds = index["feeds"].as_array().expect("feeds");
    let listed: BTreeSet<String> = feeds
        .iter()
        .map(|f| f["folder"].as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(listed, folders);
    let emnews = feeds.iter().find(|f| f["folder"] == "category/emnews").expect("emnews");
    assert_eq!(emnews["kind"], "category");
    assert_eq!(emnews["name"], "emnews");
    assert_eq!(emnews["display_name"], "东财滚动新闻");
    assert_eq!(emnews["title"], "Safety · 东财滚动新闻");
    assert_eq!(emnews["page"], "https://safe.example.com/");
    assert_eq!(emnews["posts"], 1);
    assert_eq!(emnews["newest"], "2024-03-01T09:00:00+08:00");
    for (format, file) in [("rss", "rss.xml"), ("atom", "atom.xml"), ("json", "feed.json")] {
        assert_eq!(
            emnews["urls"][format],
            "https://safe.example.com/category/emnews/".to_string() + file
        );
    }
    let all = feeds.iter().find(|f| f["kind"] == "site").expect("site");
    assert_eq!(
        (all["posts"].as_u64(), all["newest"].as_str()),
        (Some(3), Some("2024-03-03T09:00:00+08:00"))
    );

    // index.html: every feed's three links, relative to the page, resolve
    // to files on disk; names are escaped (the page is well-formed XML too).
    let html = text(&out.join("index.html"));
    let doc = roxmltree::Document::parse(html.trim_start_matches("<!DOCTYPE html>\n"))
        .unwrap_or_else(|e| panic!("index.html does not parse: {e}\n{html}"));
    let hrefs: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("a"))
        .filter_map(|a| a.attribute("href"))
        .collect();
    for folder in &folders {
        for file in ["rss.xml", "atom.xml", "feed.json"] {
            let rel = if folder.is_empty() {
                file.to_string()
            } else {
                format!("{folder}/{file}")
            };
            let href = rel.replace('<', "%3C").replace('>', "%3E").replace('&', "%26");
            assert!(hrefs.contains(&href.as_str()), "no link {href} in the directory");
            assert!(out.join(&rel).is_file(), "{rel}");
        }
    }
    let rows = doc.descendants().filter(|n| n.has_tag_name("tr")).count();
    assert_eq!(rows, 5 + 3, "one row per feed, one header per group");
    assert!(html.contains("<td>东财滚动新闻 <small>emnews</small></td>"), "{html}");
    assert!(
        html.contains("&lt;b&gt;&amp;co") && !html.contains("<b>&co"),
        "names are escaped"
    );
    assert!(html.contains("<html lang=\"en\">") && html.contains("Filter by name"));
    assert!(
        !html.contains("http://") && !html.contains("src="),
        "no external resources"
    );
}

#[test]
fn the_directory_speaks_chinese_for_a_chinese_site() {
    let site = Site::new();
    site.put(
        "_config.yml",
        "title: 金融消息\nurl: https://finews.example.com\nlang: zh_CN\n",
    );
    site.put(
        "_posts/2024-03-01-a.md",
        "---\ntitle: 甲\ndate: 2024-03-01\ncategories: emnews\n---\n正文\n",
    );
    site.build(&[]).expect_code(0);
    let html = text(&site.out().join("index.html"));
    for words in [
        "<html lang=\"zh-CN\">",
        "按名称筛选",
        "<h2>分类</h2>",
        "<th>文章数</th>",
    ] {
        assert!(html.contains(words), "{words} missing:\n{html}");
    }
    let opml = text(&site.out().join("feeds.opml"));
    assert!(opml.contains("<outline text=\"分类\""), "{opml}");
}

#[test]
fn category_runs_leave_discovery_files_as_a_full_build_writes_them() {
    let site = news_site("");
    site.build(&[]).expect_code(0);
    site.put(
        "_posts/2024-03-04-d.md",
        "---\ntitle: Delta\ndate: 2024-03-04 09:00:00 +0800\ncategories: emnews\n---\nMore.\n",
    );
    site.build(&["--category", "emnews"]).expect_code(0);
    site.build_into("full", &[]).expect_code(0);
    for file in ["feeds.opml", "feeds.json", "index.html"] {
        assert_eq!(
            text(&site.out().join(file)),
            text(&site.path("full").join(file)),
            "{file} after --category equals a full build's"
        );
    }
    let index = json(&site.out().join("feeds.json"));
    let emnews = index["feeds"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["folder"] == "category/emnews"))
        .expect("emnews");
    assert_eq!(emnews["posts"], 2);
    // A full run then writes only the site feed, which `--category` left
    // alone; the discovery files are already right.
    let again = site.build(&[]).expect_code(0);
    assert_eq!(again.json().written, 3, "{}", again.stderr);
    assert_eq!(site.build(&[]).expect_code(0).json().written, 0);
}

#[test]
fn the_directory_of_4000_feeds_stays_small() {
    let site = Site::new();
    site.config("");
    for i in 0..2000 {
        site.put(
            &format!("_posts/2024-03-01-p{i}.md"),
            format!("---\ntitle: P{i}\ndate: 2024-03-01\ncategories: 证券时报频道{i}\ntags: 财联社新闻{i}\n---\nx\n"),
        );
    }
    site.build(&[]).expect_code(0);
    let size = fs::metadata(site.out().join("index.html")).expect("index.html").len();
    let rows = text(&site.out().join("index.html")).matches("<tr>").count();
    assert_eq!(rows, 4001 + 3);
    // About 250 bytes a feed: names, dates and relative links, nothing else.
    assert!(size < 1_100_000, "index.html is {size} bytes for 4,001 feeds");
}

#[test]
fn bad_names_icons_and_claims_are_configuration_errors() {
    for (config, message) in [
        (
            "feedgen:\n  names: {site: {a: b}}\n",
            "`feedgen.names.site`: only `category` and `tag` have names",
        ),
        (
            "feedgen:\n  icon: 'javascript:alert(1)'\n",
            "`feedgen.icon: javascript:alert(1)` must be an http(s) URL",
        ),
        (
            "feedgen:\n  claims: {category/a: {feed_id: '1'}}\n",
            "`feedgen.claims.category/a` needs both `feed_id` and `user_id`",
        ),
        (
            "feedgen:\n  formats: [rss, xml]\n",
            "`feedgen.formats` may hold `rss`, `atom` and `json`",
        ),
    ] {
        let site = Site::new();
        site.config(config);
        site.put("_posts/2024-03-01-a.md", "---\ntitle: A\ndate: 2024-03-01\n---\nx\n");
        let run = site.build(&[]).expect_code(2);
        assert!(run.stderr.contains(message), "{config}: {}", run.stderr);
        assert!(!site.out().join("rss.xml").exists(), "nothing is written");
    }
}

#[test]
fn a_changed_display_name_reaches_every_file_that_shows_it() {
    let site = news_site("");
    site.build(&[]).expect_code(0);
    site.edit("_config.yml", "emnews: 东财滚动新闻", "emnews: 东方财富");
    site.build(&[]).expect_code(0);
    let out = site.out();
    assert_eq!(
        read_rss(&out.join("category/emnews/rss.xml")).title(),
        "Safety · 东方财富"
    );
    let site_rss = read_rss(&out.join("rss.xml"));
    let alpha = site_rss
        .items()
        .iter()
        .find(|i| i.title() == Some("Alpha"))
        .expect("Alpha");
    assert_eq!(
        alpha.source().and_then(|s| s.title()),
        Some("东方财富"),
        "the site feed names the outlet anew"
    );
    for file in ["feeds.opml", "feeds.json", "index.html"] {
        let text = text(&out.join(file));
        assert!(text.contains("东方财富") && !text.contains("东财滚动新闻"), "{file}");
    }
}
