//! The core feeds, end to end: the real `feedgen` binary builds fixture
//! sites in temp dirs, and what a subscriber would see is read back with
//! real feed readers (a strict XML parser, feed-rs, the rss and
//! atom_syndication crates), plus byte-for-byte snapshots of the bundled
//! sample. Python's feedparser reads the same feeds in `conformance/`.
//!
//! Fixture: `tests/fixtures/core/site/` is a made-up news site (url
//! `https://news.example.org`, baseurl `/wire/`, Asia/Shanghai, `zh_CN`);
//! `tests/fixtures/core/configs/` holds alternative site configurations
//! passed with `--config`.
//!
//! Snapshots: `UPDATE_SNAPSHOTS=1 cargo test --test testsuite` rewrites
//! `tests/snapshots/*` from the current build; read the diff before
//! committing it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::harness::{
    core_fixtures, feed_files, feedgen, is_published_file, manifest, output_tree, read_atom, read_feed_rs, read_rss,
    repo, run, well_formed, Site, NOW, NOW_EPOCH,
};

/// The fixture site's root: `url` joined with `baseurl: /wire/`.
const ROOT: &str = "https://news.example.org/wire";

/// The fixture's published posts, newest first (by when they appeared on the site; the two `tie`
/// posts share a second and go in path order).
/// (`2031-02-01-future-ok.md` says `future: true` in its own front matter,
/// which is not a Jekyll key: it stays hidden, as Jekyll hides it.)
const SITE_ORDER: [&str; 8] = [
    "站务公告：订阅源地址调整",
    "A&B <季报> 发布",
    "同秒稿件甲",
    "同秒稿件乙",
    "下周展望：新股申购密集，关注流动性",
    // Its unquoted `01:00` is 09:00 +0800 to Jekyll, which publishes it then,
    // after London's 02:30 +0800: feeds list posts as they appeared.
    "晨报要闻：三部门发文支持小微企业融资",
    "伦敦收盘：富时100指数小幅收涨",
    "澄湖电池：拟投资8亿元扩建储能电芯产线",
];

const CHENGHU: &str = "澄湖电池：拟投资8亿元扩建储能电芯产线";
const LONDON: &str = "伦敦收盘：富时100指数小幅收涨";
const DOTCAT: &str = "晨报要闻：三部门发文支持小微企业融资";
const WEEKLY: &str = "下周展望：新股申购密集，关注流动性";
const SANITIZE: &str = "A&B <季报> 发布";
const BULLETIN: &str = "站务公告：订阅源地址调整";

/// `晨报·要闻` percent-encoded (`·` is `%C2%B7`).
const DOTCAT_ENCODED: &str = "%E6%99%A8%E6%8A%A5%C2%B7%E8%A6%81%E9%97%BB";

/// Build the fixture site into `<tmp>/out`; the run must succeed.
fn built(extra: &[&str]) -> (Site, PathBuf) {
    let site = Site::fixture("site");
    site.build(extra).expect_code(0);
    let out = site.out();
    (site, out)
}

fn item<'a>(channel: &'a rss::Channel, title: &str) -> &'a rss::Item {
    channel
        .items()
        .iter()
        .find(|i| i.title() == Some(title))
        .unwrap_or_else(|| panic!("no RSS item titled {title:?} in {}", channel.title()))
}

fn entry<'a>(feed: &'a atom_syndication::Feed, title: &str) -> &'a atom_syndication::Entry {
    feed.entries()
        .iter()
        .find(|e| e.title().as_str() == title)
        .unwrap_or_else(|| panic!("no Atom entry titled {title:?} in {}", feed.title().as_str()))
}

fn rss_titles(channel: &rss::Channel) -> Vec<&str> {
    channel.items().iter().map(|i| i.title().unwrap_or_default()).collect()
}

fn atom_titles(feed: &atom_syndication::Feed) -> Vec<&str> {
    feed.entries().iter().map(|e| e.title().as_str()).collect()
}

fn rss_links(channel: &rss::Channel) -> Vec<String> {
    channel
        .items()
        .iter()
        .map(|i| i.link().unwrap_or_default().to_string())
        .collect()
}

fn link_with_rel<'a>(links: &'a [atom_syndication::Link], rel: &str) -> Option<&'a str> {
    links.iter().find(|l| l.rel() == rel).map(|l| l.href())
}

fn rss_self_link(channel: &rss::Channel) -> Option<&str> {
    link_with_rel(channel.atom_ext()?.links(), "self")
}

/// Every feed in `out` is well-formed XML 1.0, and feed-rs and the rss or
/// atom_syndication crate both read it without complaint and see the same
/// items; an RSS feed and its Atom twin list the same posts at the same
/// instants. Returns the number of feeds checked. (`conformance/` has
/// Python's feedparser read the same feeds.)
fn assert_every_reader_agrees(out: &Path) -> usize {
    let rels = feed_files(out);
    assert!(!rels.is_empty(), "no feeds in {}", out.display());
    let paths: Vec<PathBuf> = rels.iter().map(|r| out.join(r)).collect();

    let mut links_by_file = BTreeMap::new();
    for (rel, path) in rels.iter().zip(&paths) {
        let bytes = fs::read(path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        if let Err(e) = well_formed(&bytes) {
            panic!("{rel} is not well-formed XML: {e}");
        }
        let parsed = read_feed_rs(path);
        let feed_rs_links: Vec<String> = parsed
            .entries
            .iter()
            .map(|e| {
                e.links
                    .iter()
                    .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                    .map(|l| l.href.clone())
                    .unwrap_or_default()
            })
            .collect();
        let links = if rel.ends_with("rss.xml") {
            assert_eq!(parsed.feed_type, feed_rs::model::FeedType::RSS2, "{rel}");
            let channel = read_rss(path);
            let guids: Vec<&str> = channel
                .items()
                .iter()
                .filter_map(|i| i.guid())
                .map(|g| g.value())
                .collect();
            let ids: Vec<&str> = parsed.entries.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(ids, guids, "{rel}: feed-rs and the rss crate disagree on guids");
            rss_links(&channel)
        } else {
            assert_eq!(parsed.feed_type, feed_rs::model::FeedType::Atom, "{rel}");
            let feed = read_atom(path);
            let ids: Vec<&str> = parsed.entries.iter().map(|e| e.id.as_str()).collect();
            let atom_ids: Vec<&str> = feed.entries().iter().map(|e| e.id()).collect();
            assert_eq!(ids, atom_ids, "{rel}: feed-rs and atom_syndication disagree on ids");
            for e in feed.entries() {
                assert!(!e.authors().is_empty(), "{rel}: entry {} has no author", e.id());
            }
            feed.entries()
                .iter()
                .map(|e| link_with_rel(e.links(), "alternate").unwrap_or_default().to_string())
                .collect()
        };
        assert_eq!(feed_rs_links, links, "{rel}: feed-rs sees other item links");
        let published: Vec<_> = parsed.entries.iter().map(|e| e.published).collect();
        assert!(published.iter().all(Option::is_some), "{rel}: an item has no date");
        links_by_file.insert(rel.clone(), (links, published));
    }

    for (rel, (links, published)) in &links_by_file {
        if let Some(dir) = rel.strip_suffix("rss.xml") {
            let (atom_links, atom_published) = &links_by_file[&format!("{dir}atom.xml")];
            assert_eq!(links, atom_links, "{rel} and its atom.xml list different posts");
            assert_eq!(published, atom_published, "{rel} and its atom.xml give different dates");
        }
    }

    rels.len()
}

#[test]
fn fixture_feeds_read_back_cleanly_in_every_reader() {
    let (_site, out) = built(&["--drafts"]);
    assert_eq!(assert_every_reader_agrees(&out), 20);
}

#[test]
fn sample_feeds_read_back_cleanly_in_every_reader() {
    // The bundled sample holds messy cases (blank lines before `---`, CRLF,
    // `<>` source lines, hidden paragraphs, protocol-relative images).
    let site = Site::copy_of(&repo().join("content"));
    site.build(&[]).expect_code(0);
    assert!(assert_every_reader_agrees(&site.out()) > 20);
}

#[test]
fn one_feed_pair_per_category_and_tag_and_a_manifest_of_them() {
    let (site, out) = built(&[]);
    let want = [
        "atom.xml",
        "category/asia/atom.xml",
        "category/asia/rss.xml",
        // `categories: Markets Asia` is two categories, folders lower-cased.
        "category/markets/atom.xml",
        "category/markets/rss.xml",
        "category/ops/atom.xml",
        "category/ops/rss.xml",
        "category/ties/atom.xml",
        "category/ties/rss.xml",
        // `category: Weekly Outlook` (singular) is one category, not split.
        "category/weekly outlook/atom.xml",
        "category/weekly outlook/rss.xml",
        "category/晨报·要闻/atom.xml",
        "category/晨报·要闻/rss.xml",
        "rss.xml",
        "tag/公告/atom.xml",
        "tag/公告/rss.xml",
        "tag/新能源/atom.xml",
        "tag/新能源/rss.xml",
        "tag/电池/atom.xml",
        "tag/电池/rss.xml",
    ];
    assert_eq!(feed_files(&out), want);
    assert!(
        !output_tree(&out).keys().any(|k| k.starts_with(".feedgen")),
        "no state is served with the feeds"
    );
    let mut listed: Vec<&str> = want
        .iter()
        .copied()
        .chain(["feeds.json", "feeds.opml", "index.html"])
        .collect();
    listed.sort_unstable();
    assert_eq!(
        manifest(&site.state()),
        listed,
        "the manifest lists what was written: the feeds and the discovery files"
    );

    let counts: Vec<(&str, usize)> = want
        .iter()
        .filter(|f| f.ends_with("rss.xml"))
        .map(|f| (*f, read_rss(&out.join(f)).items().len()))
        .collect();
    assert_eq!(
        counts,
        [
            ("category/asia/rss.xml", 1),
            ("category/markets/rss.xml", 2),
            ("category/ops/rss.xml", 1),
            ("category/ties/rss.xml", 2),
            ("category/weekly outlook/rss.xml", 1),
            ("category/晨报·要闻/rss.xml", 1),
            ("rss.xml", 8),
            ("tag/公告/rss.xml", 1),
            ("tag/新能源/rss.xml", 1),
            ("tag/电池/rss.xml", 1),
        ]
    );
}

#[test]
fn channel_metadata_language_titles_and_authors() {
    let (_site, out) = built(&[]);
    let rss = read_rss(&out.join("rss.xml"));
    assert_eq!(rss.title(), "晨讯测试站");
    assert_eq!(rss.description(), "虚构的快讯站点，仅供 feedgen 集成测试使用");
    assert_eq!(rss.link(), format!("{ROOT}/"));
    assert_eq!(rss.language(), Some("zh-CN"), "`lang: zh_CN` is written as a valid tag");
    assert_eq!(rss_self_link(&rss), Some(format!("{ROOT}/rss.xml").as_str()));
    // lastBuildDate is the newest item's date, not the clock.
    assert_eq!(rss.last_build_date(), Some("Wed, 15 Dec 2021 12:00:00 +0800"));

    let atom = read_atom(&out.join("atom.xml"));
    assert_eq!(atom.title().as_str(), "晨讯测试站");
    assert_eq!(atom.lang(), Some("zh-CN"));
    assert_eq!(atom.id(), format!("{ROOT}/atom.xml"));
    assert_eq!(
        link_with_rel(atom.links(), "self"),
        Some(format!("{ROOT}/atom.xml").as_str())
    );
    assert_eq!(
        link_with_rel(atom.links(), "alternate"),
        Some(format!("{ROOT}/").as_str())
    );
    assert_eq!(atom.updated().to_rfc3339(), "2021-12-15T12:00:00+08:00");
    assert_eq!(atom.authors()[0].name(), "晨讯编辑部");
    // A post's own author wins over the site's.
    assert_eq!(entry(&atom, BULLETIN).authors()[0].name(), "李四");
    assert_eq!(entry(&atom, CHENGHU).authors()[0].name(), "晨讯编辑部");

    let markets = read_rss(&out.join("category/markets/rss.xml"));
    assert_eq!(markets.title(), "晨讯测试站 · Markets");
    assert_eq!(markets.language(), Some("zh-CN"));
    assert_eq!(markets.last_build_date(), Some("Thu, 09 Dec 2021 18:30:00 +0000"));
}

#[test]
fn dates_keep_the_offset_they_were_written_in() {
    let (_site, out) = built(&[]);
    let rss = read_rss(&out.join("rss.xml"));
    let atom = read_atom(&out.join("atom.xml"));
    let atom_text = fs::read_to_string(out.join("atom.xml")).expect("atom");
    for (title, rfc822, rfc3339) in [
        // Naive date: wall-clock time in the site zone (Asia/Shanghai).
        (CHENGHU, "Wed, 08 Dec 2021 10:46:18 +0800", "2021-12-08T10:46:18+08:00"),
        // Explicit +0000: kept, not converted to the site zone or UTC `Z`.
        (LONDON, "Thu, 09 Dec 2021 18:30:00 +0000", "2021-12-09T18:30:00+00:00"),
        (
            "同秒稿件甲",
            "Sun, 12 Dec 2021 01:00:00 +0000",
            "2021-12-12T01:00:00+00:00",
        ),
        (
            "同秒稿件乙",
            "Sun, 12 Dec 2021 09:00:00 +0800",
            "2021-12-12T09:00:00+08:00",
        ),
    ] {
        assert_eq!(item(&rss, title).pub_date(), Some(rfc822), "{title}");
        let e = entry(&atom, title);
        assert_eq!(
            e.published().map(|d| d.to_rfc3339()).as_deref(),
            Some(rfc3339),
            "{title}"
        );
        assert_eq!(e.updated().to_rfc3339(), rfc3339, "{title}");
        assert!(
            atom_text.contains(&format!("<published>{rfc3339}</published>")),
            "{title}: {rfc3339} written as is"
        );
    }
}

#[test]
fn links_follow_jekyll_date_permalinks_and_guids_are_the_links() {
    let (_site, out) = built(&[]);
    let rss = read_rss(&out.join("rss.xml"));
    let atom = read_atom(&out.join("atom.xml"));
    for (title, link) in [
        // Categories lower-cased and joined; `url` + `baseurl: /wire/` joined once.
        (CHENGHU, format!("{ROOT}/markets/asia/2021/12/08/chenghu-battery.html")),
        // 18:30 +0000 on the 9th is the 10th in the site zone, as in Jekyll URLs.
        (LONDON, format!("{ROOT}/markets/2021/12/10/london-close.html")),
        (DOTCAT, format!("{ROOT}/{DOTCAT_ENCODED}/2021/12/10/dotcat.html")),
        (
            WEEKLY,
            // Unquoted `2021-12-11 20:00:00`: UTC to Jekyll, so 04:00 the next day in Shanghai.
            format!("{ROOT}/weekly%20outlook/2021/12/12/weekly-outlook.html"),
        ),
        // No category: no empty path segment.
        (BULLETIN, format!("{ROOT}/2021/12/15/bulletin.html")),
    ] {
        let i = item(&rss, title);
        assert_eq!(i.link(), Some(link.as_str()), "{title}");
        let e = entry(&atom, title);
        assert_eq!(link_with_rel(e.links(), "alternate"), Some(link.as_str()), "{title}");
        assert_eq!(e.id(), link, "{title}: Atom id is the permalink");
    }
    for i in rss.items() {
        let guid = i.guid().expect("every item has a guid");
        assert_eq!(Some(guid.value()), i.link(), "guid == link");
        assert!(guid.is_permalink());
        assert!(guid.value().is_ascii(), "{} is ASCII", guid.value());
    }
}

#[test]
fn pretty_permalinks_from_the_site_config() {
    let site = Site::fixture("site");
    let config = core_fixtures().join("configs/pretty.yml");
    site.build(&["--config", config.to_str().expect("UTF-8")])
        .expect_code(0);
    let rss = read_rss(&site.out().join("rss.xml"));
    let link = format!("{ROOT}/markets/asia/2021/12/08/chenghu-battery/");
    assert_eq!(item(&rss, CHENGHU).link(), Some(link.as_str()));
    assert_eq!(item(&rss, CHENGHU).guid().map(|g| g.value()), Some(link.as_str()));
    let atom = read_atom(&site.out().join("atom.xml"));
    assert_eq!(entry(&atom, CHENGHU).id(), link);
}

#[test]
fn categories_and_tags_become_category_elements() {
    let (_site, out) = built(&[]);
    let rss = read_rss(&out.join("rss.xml"));
    let names: Vec<&str> = item(&rss, CHENGHU).categories().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["Markets", "Asia", "电池", "新能源"]);
    let names: Vec<&str> = item(&rss, WEEKLY).categories().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["Weekly Outlook"]);

    let atom = read_atom(&out.join("atom.xml"));
    let terms: Vec<(&str, Option<&str>, Option<&str>)> = entry(&atom, CHENGHU)
        .categories()
        .iter()
        .map(|c| (c.term(), c.scheme(), c.label()))
        .collect();
    let category = format!("{ROOT}/category/");
    let tag = format!("{ROOT}/tag/");
    assert_eq!(
        terms,
        [
            ("Markets", Some(category.as_str()), Some("Markets")),
            ("Asia", Some(category.as_str()), Some("Asia")),
            ("电池", Some(tag.as_str()), Some("电池")),
            ("新能源", Some(tag.as_str()), Some("新能源")),
        ]
    );
}

#[test]
fn source_links_as_rss_source_and_atom_via() {
    let (_site, out) = built(&[]);
    let rss = read_rss(&out.join("rss.xml"));
    let atom = read_atom(&out.join("atom.xml"));
    for (title, source) in [
        // The last `<http…>` line of the body, not an earlier one.
        (CHENGHU, Some("http://wire.example.net/a/1001.html")),
        // Front-matter `source_url` wins over the body's autolink.
        (LONDON, Some("https://ft.example.com/london/close?id=7&lang=en")),
        // The last autolink line is `<>`: no source.
        (SANITIZE, None),
        // No autolink at all.
        (BULLETIN, None),
    ] {
        assert_eq!(item(&rss, title).source().map(|s| s.url()), source, "{title}");
        assert_eq!(link_with_rel(entry(&atom, title).links(), "via"), source, "{title}");
    }
    assert_eq!(
        item(&rss, LONDON).source().and_then(|s| s.title()),
        Some("ft.example.com")
    );
}

#[test]
fn newest_first_with_ties_on_the_same_second_in_path_order() {
    let (_site, out) = built(&[]);
    assert_eq!(rss_titles(&read_rss(&out.join("rss.xml"))), SITE_ORDER);
    assert_eq!(atom_titles(&read_atom(&out.join("atom.xml"))), SITE_ORDER);
    // `tie-a` (01:00 +0000) and `tie-b` (09:00 +0800) are the same instant:
    // path order decides, whatever the wall-clock times say.
    let ties = ["同秒稿件甲", "同秒稿件乙"];
    assert_eq!(rss_titles(&read_rss(&out.join("category/ties/rss.xml"))), ties);
    assert_eq!(atom_titles(&read_atom(&out.join("category/ties/atom.xml"))), ties);
    // 18:30 +0000 on the 9th is later than 01:00 +0800 on the 10th.
    assert_eq!(
        rss_titles(&read_rss(&out.join("category/markets/rss.xml"))),
        [LONDON, CHENGHU]
    );
}

#[test]
fn unpublished_future_drafts_and_pages_stay_out() {
    let site = Site::fixture("site");
    let run = site.build(&[]).expect_code(0);
    let summary = run.json();
    assert_eq!(summary.read, 11, "{}", run.stdout);
    assert_eq!(summary.published, 8);
    assert_eq!(summary.not_published, 3, "published: false and the two 2031 posts");
    // about.md (front matter, no date) and notes/ (no front matter) are not
    // posts and draw no diagnostics; the only one is the `<>` warning.
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stderr);
    // One note for the run, however many posts have unquoted offset-less dates.
    assert_eq!(
        lines[0],
        "content/_posts/2021-12-08-chenghu-battery.md:4: note: 8 posts have an unquoted `date` with a time and no offset, like this one (and 7 more posts). Jekyll reads such a date as UTC, so the site shows it 8 h later and builds the post's URL (and the feed's link) from that reading, while the feeds keep the written time in the site's `timezone`; quote the dates (`date: \"2021-12-01 13:33:50\"`) or add the offset (`+0800`) so both agree"
    );
    assert_eq!(
        lines[1],
        "content/_posts/2021-12-14-sanitize.md:22: warning: empty source link `<>`; the post has no source link"
    );
    assert!(
        lines[2].starts_with("feedgen: 11 posts read, 8 published (1 recovered), 0 rejected, 3 not published; "),
        "{}",
        lines[2]
    );

    let all: String = feed_files(&site.out())
        .iter()
        .map(|f| fs::read_to_string(site.out().join(f)).expect("feed"))
        .collect();
    for gone in [
        "已撤回的稿件",
        "尚未到发布时间的稿件",
        "草稿：尚在编辑",
        "关于本站",
        "编辑手记",
    ] {
        assert!(!all.contains(gone), "{gone} leaked into a feed");
    }
    assert!(
        !all.contains("提前发布的年度展望"),
        "a post's own `future: true` is not a Jekyll key: hidden"
    );

    site.build_into("drafts", &["--drafts"]).expect_code(0);
    let rss = read_rss(&site.path("drafts/rss.xml"));
    assert_eq!(rss_titles(&rss)[..1], ["草稿：尚在编辑"]);
    let markets = read_rss(&site.path("drafts/category/markets/rss.xml"));
    assert_eq!(rss_titles(&markets), ["草稿：尚在编辑", LONDON, CHENGHU]);
}

#[test]
fn limit_keeps_each_feeds_newest_items() {
    let site = Site::fixture("site");
    site.build_into("full", &[]).expect_code(0);
    site.build_into("two", &["--limit", "2"]).expect_code(0);
    let (full, two) = (site.path("full"), site.path("two"));
    assert_eq!(feed_files(&full), feed_files(&two));
    for rel in feed_files(&full).iter().filter(|f| f.ends_with("rss.xml")) {
        let all = rss_links(&read_rss(&full.join(rel)));
        let limited = rss_links(&read_rss(&two.join(rel)));
        assert_eq!(limited, all[..all.len().min(2)], "{rel}");
    }
    for rel in feed_files(&full).iter().filter(|f| f.ends_with("atom.xml")) {
        let n = read_atom(&two.join(rel)).entries().len();
        assert_eq!(n, read_atom(&full.join(rel)).entries().len().min(2), "{rel}");
    }
    assert_eq!(rss_titles(&read_rss(&two.join("rss.xml"))), SITE_ORDER[..2]);
}

#[test]
fn content_is_sanitized_and_its_urls_made_absolute() {
    let (_site, out) = built(&[]);
    let rss = read_rss(&out.join("rss.xml"));
    let atom = read_atom(&out.join("atom.xml"));
    let i = item(&rss, SANITIZE);
    let rss_html = i.content().expect("content:encoded");
    let atom_html = entry(&atom, SANITIZE)
        .content()
        .and_then(|c| c.value())
        .expect("atom content");
    // (The rss crate trims the final newline of CDATA text when reading.)
    assert_eq!(
        rss_html.trim_end(),
        atom_html.trim_end(),
        "both formats carry the same HTML"
    );
    for bad in ["<script", "alert", "onclick", "steal", "style="] {
        assert!(!rss_html.contains(bad), "{bad} reaches readers:\n{rss_html}");
    }
    for good in [
        "<p>季报正文第一段。</p>",
        // Root-relative: against the site's host.
        "src=\"https://news.example.org/img/chart.png\"",
        // Relative: against the site root `url` + `baseurl` (SPEC §2); `..` stops at the host.
        "href=\"https://news.example.org/13/older.html\"",
        // Protocol-relative: the site's scheme.
        "src=\"https://cdn.example.net/p/1.jpg\"",
    ] {
        assert!(rss_html.contains(good), "missing {good}:\n{rss_html}");
    }
    // The summary is the first paragraph's text; readers take an RSS
    // description as HTML, so its `<` and `&` are escaped once more.
    assert!(
        rss_html.contains("<p>要点：若 a&lt;b &amp;&amp; c&gt;d 则买入。</p>"),
        "{rss_html}"
    );
    assert_eq!(i.description(), Some("要点：若 a&lt;b &amp;&amp; c&gt;d 则买入。"));
    let summary = entry(&atom, SANITIZE).summary().expect("atom summary");
    assert_eq!(summary.as_str(), "要点：若 a<b && c>d 则买入。");
    // The title's `&` and `<>` survive escaping in every reader.
    assert_eq!(entry(&atom, SANITIZE).title().as_str(), SANITIZE);
    let parsed = read_feed_rs(&out.join("rss.xml"));
    let titles: Vec<String> = parsed
        .entries
        .iter()
        .map(|e| e.title.as_ref().map(|t| t.content.clone()).unwrap_or_default())
        .collect();
    assert!(titles.iter().any(|t| t == SANITIZE), "feed-rs titles: {titles:?}");
}

#[test]
fn a_category_with_a_middle_dot_gets_its_own_folder_and_an_encoded_self_link() {
    let (_site, out) = built(&[]);
    let dir = out.join("category/晨报·要闻");
    let rss = read_rss(&dir.join("rss.xml"));
    assert_eq!(rss.title(), "晨讯测试站 · 晨报·要闻");
    let self_rss = format!("{ROOT}/category/{DOTCAT_ENCODED}/rss.xml");
    assert_eq!(rss_self_link(&rss), Some(self_rss.as_str()));
    assert_eq!(rss_titles(&rss), [DOTCAT]);
    let atom = read_atom(&dir.join("atom.xml"));
    let self_atom = format!("{ROOT}/category/{DOTCAT_ENCODED}/atom.xml");
    assert_eq!(link_with_rel(atom.links(), "self"), Some(self_atom.as_str()));
    assert_eq!(atom.id(), self_atom);
}

/// Snapshots of the bundled sample's `emnews` feeds. Set
/// `UPDATE_SNAPSHOTS=1` to rewrite them from the current build.
#[test]
fn sample_emnews_feeds_match_their_snapshots() {
    let site = Site::copy_of(&repo().join("content"));
    site.build(&["-q"]).expect_code(0);
    let snapshots = repo().join("tests/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1");
    for (built, snapshot) in [("rss.xml", "emnews.rss.xml"), ("atom.xml", "emnews.atom.xml")] {
        let got = fs::read(site.out().join("category/emnews").join(built)).expect("built feed");
        let path = snapshots.join(snapshot);
        if update {
            fs::create_dir_all(&snapshots).expect("snapshot dir");
            fs::write(&path, &got).expect("write snapshot");
            eprintln!("updated {}", path.display());
            continue;
        }
        let want = fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run UPDATE_SNAPSHOTS=1 cargo test --test testsuite",
                path.display()
            )
        });
        if got != want {
            let (got, want) = (String::from_utf8_lossy(&got), String::from_utf8_lossy(&want));
            let line = got.lines().zip(want.lines()).position(|(g, w)| g != w);
            let at = line.unwrap_or_else(|| got.lines().count().min(want.lines().count()));
            panic!(
                "category/emnews/{built} differs from {} at line {}:\n  built:    {:?}\n  snapshot: {:?}\n\
                 (if the change is intended: UPDATE_SNAPSHOTS=1 cargo test --test testsuite)",
                path.display(),
                at + 1,
                got.lines().nth(at).unwrap_or("<end>"),
                want.lines().nth(at).unwrap_or("<end>"),
            );
        }
    }
}

#[test]
fn output_is_byte_identical_under_any_tz_locale_and_parallelism() {
    let site = Site::fixture("site");
    let build = |out: &str, env: &[(&str, &str)], now_flag: bool| {
        let mut cmd = feedgen();
        cmd.current_dir(site.root())
            .args(["--content", "content", "--output", out]);
        if now_flag {
            cmd.args(["--now", NOW]);
        }
        cmd.envs(env.iter().copied());
        run(&mut cmd).expect_code(0)
    };
    build(
        "a",
        &[
            ("TZ", "UTC"),
            ("LC_ALL", "C"),
            ("LANG", "C"),
            ("RAYON_NUM_THREADS", "1"),
        ],
        true,
    );
    build(
        "b",
        &[
            ("TZ", "America/New_York"),
            ("LC_ALL", "zh_CN.UTF-8"),
            ("LANG", "tr_TR.UTF-8"),
            ("RAYON_NUM_THREADS", "2"),
            // The same "now", given the other way.
            ("SOURCE_DATE_EPOCH", NOW_EPOCH),
        ],
        false,
    );
    let (a, b) = (output_tree(&site.path("a")), output_tree(&site.path("b")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(a.keys().all(|k| is_published_file(k)), "only feeds: {:?}", a.keys());
    for (rel, bytes) in &a {
        assert!(
            b[rel] == *bytes,
            "{rel} differs between TZ=UTC and TZ=America/New_York builds"
        );
    }
}

#[test]
fn a_second_build_rewrites_nothing() {
    let site = Site::fixture("site");
    let out = site.out();
    site.build(&[]).expect_code(0);
    let stamp = |dir: &Path| -> BTreeMap<String, (std::time::SystemTime, u64)> {
        output_tree(dir)
            .into_keys()
            .map(|rel| {
                let meta = fs::metadata(dir.join(&rel)).expect("stat");
                #[cfg(unix)]
                let inode = std::os::unix::fs::MetadataExt::ino(&meta);
                #[cfg(not(unix))]
                let inode = 0;
                (rel, (meta.modified().expect("mtime"), inode))
            })
            .collect()
    };
    let (before, bytes) = (stamp(&out), output_tree(&out));
    let run = site.build(&[]).expect_code(0);
    assert_eq!(run.json().written, 0, "{}", run.stdout);
    assert_eq!(run.json().unchanged, 23, "{}", run.stdout);
    assert!(
        run.stderr.contains("; 0 feeds written, 23 unchanged, 0 removed"),
        "{}",
        run.stderr
    );
    assert_eq!(stamp(&out), before, "no file was replaced (mtime and inode kept)");
    assert_eq!(output_tree(&out), bytes);
}

#[test]
fn category_flag_builds_only_that_category_and_check_finds_the_rest_stale() {
    let site = Site::fixture("site");
    let out = site.out();
    site.build(&[]).expect_code(0);
    let before = output_tree(&out);
    let manifest_before = manifest(&site.state());

    // Change a post of `Ties` and one of `Weekly Outlook`, build only `Ties`.
    site.edit("_posts/2021-12-12-tie-a.md", "同秒稿件甲", "同秒稿件甲（更正）");
    site.edit(
        "_posts/2021-12-11-weekly-outlook.md",
        "下周展望：",
        "下周展望（修订）：",
    );
    let run = site.build(&["--category", "Ties"]).expect_code(0);
    assert_eq!(run.json().written, 2, "{}", run.stdout);
    let after = output_tree(&out);
    let changed: Vec<&str> = before
        .iter()
        .filter(|(rel, bytes)| rel.ends_with(".xml") && after.get(*rel) != Some(*bytes))
        .map(|(rel, _)| rel.as_str())
        .collect();
    assert_eq!(changed, ["category/ties/atom.xml", "category/ties/rss.xml"]);
    assert_eq!(
        rss_titles(&read_rss(&out.join("category/ties/rss.xml")))[0],
        "同秒稿件甲（更正）"
    );
    assert_eq!(manifest_before, manifest(&site.state()));

    // The site feed and `Weekly Outlook` are now stale.
    let check = site.build(&["--check"]).expect_code(1);
    assert_eq!(check.json().stale, 4, "{}", check.stdout);
    for stale in [
        "atom.xml",
        "rss.xml",
        "category/weekly outlook/atom.xml",
        "category/weekly outlook/rss.xml",
    ] {
        let line = format!("out/{stale}: stale: differs from what a build would write");
        assert!(check.stderr.lines().any(|l| l == line), "{line}\n{}", check.stderr);
    }
    assert!(!check.stderr.contains("ties"), "{}", check.stderr);
    assert_eq!(output_tree(&out), after, "--check writes nothing");

    site.build(&[]).expect_code(0);
    let check = site.build(&["--check"]).expect_code(0);
    assert_eq!(check.json().stale, 0);
    let weekly = read_rss(&out.join("category/weekly outlook/rss.xml"));
    assert_eq!(rss_titles(&weekly), ["下周展望（修订）：新股申购密集，关注流动性"]);
}

#[test]
fn list_categories_prints_counts_newest_dates_and_feed_paths() {
    let site = Site::fixture("site");
    let run = run(&mut site.command(&["list", "categories", "--content", "content", "--output", "out"])).expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "name\tposts\tnewest\tfeeds");
    // Markets: the unpublished and the future post are not counted.
    assert!(
        lines.contains(
            &"Markets\t2\t2021-12-09T18:30:00+00:00\tout/category/markets/rss.xml out/category/markets/atom.xml"
        ),
        "{}",
        run.stdout
    );
    assert!(
        lines.contains(
            &"晨报·要闻\t1\t2021-12-10T01:00:00+08:00\tout/category/晨报·要闻/rss.xml out/category/晨报·要闻/atom.xml"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(lines.len(), 7, "header and six categories:\n{}", run.stdout);
    assert!(!site.out().exists(), "list writes nothing");
}

#[test]
fn exit_status_is_0_when_clean_and_2_on_configuration_errors() {
    let site = Site::fixture("site");
    site.build_into("ok", &[]).expect_code(0);
    for (config, message) in [
        ("no-url.yml", "the site has no `url`"),
        ("bad-timezone.yml", "unknown timezone `Mars/Olympus_Mons`"),
    ] {
        let path = core_fixtures().join("configs").join(config);
        let run = site
            .build_into("bad", &["--config", path.to_str().expect("UTF-8")])
            .expect_code(2);
        assert!(run.stderr.contains(message), "{config}: {}", run.stderr);
        assert!(
            run.stderr.contains(config),
            "the message names the file: {}",
            run.stderr
        );
        assert!(
            !site.path("bad").exists(),
            "{config}: nothing written on a configuration error"
        );
    }
    let run = site.build_into("bad", &["--no-such-flag"]).expect_code(2);
    assert!(run.stderr.contains("--no-such-flag"), "{}", run.stderr);
}

/// `categories: Markets markets`: Jekyll lower-cases categories and keeps
/// each once (a set) in the URL, and both spellings share one feed.
fn two_spellings() -> (Site, PathBuf) {
    let site = Site::fixture("case-variants");
    site.build(&[]).expect_code(0);
    let out = site.out();
    (site, out)
}

#[test]
fn a_post_naming_its_category_in_two_spellings_is_listed_once_in_that_feed() {
    let (_site, out) = two_spellings();
    let titles = ["同一分类写了两种大小写", "普通稿件"];
    assert_eq!(rss_titles(&read_rss(&out.join("category/markets/rss.xml"))), titles);
    assert_eq!(atom_titles(&read_atom(&out.join("category/markets/atom.xml"))), titles);
}

#[test]
fn a_post_naming_its_category_in_two_spellings_gets_jekylls_permalink() {
    let (_site, out) = two_spellings();
    let rss = read_rss(&out.join("rss.xml"));
    assert_eq!(
        item(&rss, "同一分类写了两种大小写").link(),
        Some("https://cases.example.org/markets/2021/12/08/two-spellings.html")
    );
}
