//! Names and pages from the site itself: category and tag pages in the
//! real site's shape (`layout: category`, `title`, `category`, front matter
//! only, no trailing newline, some CRLF) title the feeds, give them their
//! channel link and label Atom categories; `feedgen.names_from_tags` and
//! its priority rules; and rebuilds that notice an edited page. Read back
//! with the rss and atom_syndication crates.

use crate::harness::{published_tree, read_atom, read_rss, Site};

const ROOT: &str = "https://safe.example.com";

fn post(site: &Site, slug: &str, day: u32, categories: &str, tags: &str) {
    site.put(
        &format!("_posts/2024-03-{day:02}-{slug}.md"),
        format!("---\ntitle: {slug}\ndate: 2024-03-{day:02} 09:00:00 +0800\ncategories: {categories}\ntags: {tags}\n---\nText of {slug}.\n"),
    );
}

/// A category page as the real site writes it: front matter only, ending
/// right after the closing `---`.
fn category_page(site: &Site, rel: &str, title: &str, name: &str, crlf: bool) {
    let text = format!("---\nlayout: category\ntitle: {title}\ncategory: {name}\n---");
    let text = if crlf { text.replace('\n', "\r\n") } else { text };
    site.put(rel, text);
}

/// The title and channel link of a feed folder's RSS and Atom files.
fn heads(site: &Site, folder: &str) -> [(String, String); 2] {
    let out = site.out().join(folder);
    let rss = read_rss(&out.join("rss.xml"));
    let atom = read_atom(&out.join("atom.xml"));
    let alternate = atom
        .links()
        .iter()
        .find(|l| l.rel() == "alternate")
        .map(|l| l.href().to_string())
        .unwrap_or_default();
    [
        (rss.title().to_string(), rss.link().to_string()),
        (atom.title().to_string(), alternate),
    ]
}

/// Every Atom category label of every entry, as (term, label).
fn atom_labels(site: &Site, folder: &str) -> Vec<(String, String)> {
    let atom = read_atom(&site.out().join(folder).join("atom.xml"));
    let mut labels: Vec<(String, String)> = atom
        .entries()
        .iter()
        .flat_map(|e| e.categories().iter())
        .map(|c| (c.term().to_string(), c.label().unwrap_or_default().to_string()))
        .collect();
    labels.sort();
    labels.dedup();
    labels
}

fn both(title: &str, link: &str) -> [(String, String); 2] {
    let pair = (title.to_string(), link.to_string());
    [pair.clone(), pair]
}

#[test]
fn category_and_tag_pages_title_the_feeds_and_are_their_links() {
    let site = Site::new();
    site.config("");
    post(&site, "a", 1, "zhengquanshibao", "快讯");
    post(&site, "b", 2, "emnews", "快讯");
    post(&site, "c", 3, "nopage", "其他");
    category_page(
        &site,
        "category/zhengquanshibao.html",
        "证券时报新闻",
        "zhengquanshibao",
        false,
    );
    category_page(&site, "category/emnews.html", "东财滚动新闻", "EMnews", true);
    site.put("tag/快讯.md", "---\nlayout: tag\ntitle: 快讯专栏\ntag: 快讯\n---\n");
    // Pages that are not category pages, or are broken: no page, no word.
    site.put(
        "about.md",
        "---\nlayout: page\ntitle: About\ncategory: nopage\n---\nAbout us.\n",
    );
    site.put(
        "category/broken.html",
        "---\nlayout: category\ntitle: \"a\" b\"\ncategory: [nopage\n---",
    );
    site.put("category/static.html", "layout: category\ncategory: nopage\n");
    let run = site.build(&[]).expect_code(0);
    assert!(
        run.diagnostics().is_empty(),
        "pages get no diagnostics:\n{}",
        run.stderr
    );

    assert_eq!(
        heads(&site, "category/zhengquanshibao"),
        both(
            "Safety · 证券时报新闻",
            &format!("{ROOT}/category/zhengquanshibao.html")
        )
    );
    // CRLF, no trailing newline, the name in another case.
    assert_eq!(
        heads(&site, "category/emnews"),
        both("Safety · 东财滚动新闻", &format!("{ROOT}/category/emnews.html"))
    );
    // A Markdown tag page with a Chinese name: `.html`, percent-encoded.
    assert_eq!(
        heads(&site, "tag/快讯"),
        both("Safety · 快讯专栏", &format!("{ROOT}/tag/%E5%BF%AB%E8%AE%AF.html"))
    );
    assert_eq!(
        heads(&site, "category/nopage"),
        both("Safety · nopage", &format!("{ROOT}/"))
    );
    // Atom category labels use the page titles, in every feed.
    let labels = atom_labels(&site, "");
    for pair in [
        ("zhengquanshibao", "证券时报新闻"),
        ("emnews", "东财滚动新闻"),
        ("快讯", "快讯专栏"),
        ("nopage", "nopage"),
    ] {
        let pair = (pair.0.to_string(), pair.1.to_string());
        assert!(labels.contains(&pair), "{pair:?} not in {labels:?}");
    }
    // The discovery files carry the page too.
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.out().join("feeds.json")).expect("feeds.json")).expect("json");
    let text = index.to_string();
    assert!(
        text.contains("https://safe.example.com/category/zhengquanshibao.html"),
        "{text}"
    );
}

#[test]
fn page_urls_follow_the_permalink_style_and_the_page_permalink() {
    let site = Site::new();
    site.config("permalink: pretty\nbaseurl: /news\n");
    post(&site, "a", 1, "zhengquanshibao", "x");
    post(&site, "b", 2, "emnews", "x");
    post(&site, "c", 3, "yicai", "x");
    category_page(
        &site,
        "category/zhengquanshibao.html",
        "证券时报新闻",
        "zhengquanshibao",
        false,
    );
    site.put(
        "outlets/emnews.html",
        "---\r\nlayout: category\r\ntitle: 东财\r\ncategory: emnews\r\npermalink: /东财/:basename/\r\n---",
    );
    site.put("yicai/index.md", "---\nlayout: category\ncategory: yicai\n---\n");
    // Front matter longer than the first read (4 KiB) of a page.
    post(&site, "d", 4, "long", "x");
    let long = format!(
        "---\nlayout: category\ndescription: {}\ncategory: long\ntitle: 长页\n---",
        "说".repeat(3000)
    );
    site.put("category/long.html", long);
    site.build(&[]).expect_code(0);
    assert_eq!(
        heads(&site, "category/long"),
        both("Safety · 长页", &format!("{ROOT}/news/category/long/"))
    );
    let link = |folder: &str| heads(&site, folder)[0].1.clone();
    assert_eq!(
        link("category/zhengquanshibao"),
        format!("{ROOT}/news/category/zhengquanshibao/")
    );
    assert_eq!(
        link("category/emnews"),
        format!("{ROOT}/news/%E4%B8%9C%E8%B4%A2/emnews/")
    );
    // A page without a title links the feed but leaves its name.
    assert_eq!(
        heads(&site, "category/yicai"),
        both("Safety · yicai", &format!("{ROOT}/news/yicai/"))
    );
}

/// The real site's outlets: what the page, the posts' tags and the config
/// map say, and what each category feed is called.
fn outlets(site: &Site) {
    // Page titled only by its slug; every post carries one Chinese tag.
    category_page(site, "category/cailianshe.html", "Cailianshe", "cailianshe", true);
    post(site, "cls-1", 1, "cailianshe", "财联社新闻");
    post(site, "cls-2", 2, "cailianshe", "财联社新闻");
    // Real page titles that differ from the tag.
    category_page(site, "category/stcn.html", "证券时报网", "stcn", false);
    post(site, "stcn-1", 3, "stcn", "证券时报");
    category_page(site, "category/yicai.html", "第一财经", "yicai", false);
    post(site, "yicai-1", 4, "yicai", "一财");
    // The config map wins over page and tag.
    category_page(site, "category/emnews.html", "Emnews Page", "emnews", false);
    post(site, "em-1", 5, "emnews", "东方财富");
    // Every post carries 甲, one a topic tag too: named after 甲.
    category_page(site, "category/mixed.html", "Mixed", "mixed", false);
    post(site, "mixed-1", 6, "mixed", "甲");
    post(site, "mixed-2", 7, "mixed", "[甲, 乙]");
    // No page: the one tag, or the raw name.
    post(site, "tagonly-1", 8, "tagonly", "标签");
    post(site, "raw-1", 9, "raw", "甲");
    post(site, "raw-2", 10, "raw", "乙");
}

fn titles(site: &Site) -> Vec<(String, String)> {
    ["cailianshe", "stcn", "yicai", "emnews", "mixed", "tagonly", "raw"]
        .iter()
        .map(|c| (c.to_string(), heads(site, &format!("category/{c}"))[0].0.clone()))
        .collect()
}

#[test]
fn names_from_tags_follows_the_priority_rules_with_one_note() {
    let site = Site::new();
    site.config("feedgen:\n  names_from_tags: true\n  names: {category: {emnews: 东财滚动新闻}}\n");
    outlets(&site);
    let run = site.build(&[]).expect_code(0);
    let expected = [
        ("cailianshe", "财联社新闻"),
        ("stcn", "证券时报网"),
        ("yicai", "第一财经"),
        ("emnews", "东财滚动新闻"),
        ("mixed", "甲"),
        ("tagonly", "标签"),
        ("raw", "raw"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(c, t)| (c.to_string(), format!("Safety · {t}")))
        .collect();
    assert_eq!(titles(&site), expected);
    // The slug-titled page still gives the link.
    assert_eq!(
        heads(&site, "category/cailianshe")[1].1,
        format!("{ROOT}/category/cailianshe.html")
    );
    let notes: Vec<&str> = run.diagnostics().into_iter().filter(|d| d.contains("note:")).collect();
    assert_eq!(notes.len(), 1, "one note for all the pages:\n{}", run.stderr);
    assert!(
        notes[0].contains("category/stcn.html: note:")
            && notes[0].contains("`证券时报网`")
            && notes[0].contains("`证券时报`")
            && notes[0].contains("(and 1 more page)"),
        "{}",
        notes[0]
    );

    // Off (the default): pages and the config map only, and no note.
    site.config("feedgen:\n  names: {category: {emnews: 东财滚动新闻}}\n");
    let run = site.build(&[]).expect_code(0);
    assert!(run.diagnostics().is_empty(), "{}", run.stderr);
    let titles = titles(&site);
    assert_eq!(titles[0].1, "Safety · Cailianshe");
    assert_eq!(titles[5].1, "Safety · tagonly");
}

/// The real outlet of issue 21: every post carries the outlet's tag, some a
/// topic tag too. As such posts come and go, over many builds, the feed's
/// title never changes, and each build equals a clean one.
#[test]
fn a_feed_title_does_not_flip_as_posts_with_topic_tags_come_and_go() {
    let site = Site::new();
    site.config("feedgen:\n  names_from_tags: true\n");
    category_page(
        &site,
        "category/zhaiquanshidian.html",
        "Zhaiquanshidian",
        "zhaiquanshidian",
        false,
    );
    post(&site, "bond-1", 1, "zhaiquanshidian", "债券视点新闻");
    let title = "Safety · 债券视点新闻";
    type Step<'a> = (&'a str, &'a dyn Fn(&Site));
    let steps: [Step; 4] = [
        ("a post with a topic tag arrives", &|s| {
            post(s, "bond-2", 2, "zhaiquanshidian", "[债券视点新闻, 利率]")
        }),
        ("a post with the topic first arrives", &|s| {
            post(s, "bond-3", 3, "zhaiquanshidian", "[利率, 债券视点新闻]")
        }),
        ("the plain post goes", &|s| {
            std::fs::remove_file(s.content().join("_posts/2024-03-01-bond-1.md")).expect("delete")
        }),
        ("the topic posts go", &|s| {
            post(s, "bond-1", 1, "zhaiquanshidian", "债券视点新闻");
            std::fs::remove_file(s.content().join("_posts/2024-03-02-bond-2.md")).expect("delete");
            std::fs::remove_file(s.content().join("_posts/2024-03-03-bond-3.md")).expect("delete")
        }),
    ];
    site.build(&[]).expect_code(0);
    assert_eq!(heads(&site, "category/zhaiquanshidian")[0].0, title);
    for (step, change) in steps {
        change(&site);
        site.build(&[]).expect_code(0);
        assert_eq!(heads(&site, "category/zhaiquanshidian")[0].0, title, "after: {step}");
        assert_eq!(heads(&site, "category/zhaiquanshidian")[1].0, title, "after: {step}");
        site.build_into("clean", &[]).expect_code(0);
        assert_eq!(
            published_tree(&site.out()),
            published_tree(&site.path("clean")),
            "{step}: rebuild differs from a clean build"
        );
    }
}

#[test]
fn names_from_tags_must_be_a_boolean() {
    let site = Site::new();
    site.config("feedgen:\n  names_from_tags: yes please\n");
    post(&site, "a", 1, "x", "y");
    let run = site.build(&[]).expect_code(2);
    assert!(
        run.stderr.contains("`feedgen.names_from_tags` must be true or false"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_edited_page_rerenders_its_feeds_and_a_rebuild_equals_a_clean_build() {
    let site = Site::new();
    site.config("feedgen:\n  names_from_tags: true\n");
    outlets(&site);
    site.build(&[]).expect_code(0);
    type Step<'a> = (&'a str, &'a dyn Fn(&Site));
    let steps: [Step; 5] = [
        ("a post with another tag", &|s| {
            post(s, "cls-3", 11, "cailianshe", "电报")
        }),
        ("rename an outlet", &|s| {
            s.edit("category/stcn.html", "证券时报网", "证券时报官网")
        }),
        ("add a page", &|s| {
            category_page(s, "category/raw.html", "原始", "raw", false)
        }),
        ("move a page", &|s| {
            std::fs::rename(s.content().join("category/raw.html"), s.content().join("raw.html")).expect("move")
        }),
        ("delete a page", &|s| {
            std::fs::remove_file(s.content().join("category/yicai.html")).expect("delete")
        }),
    ];
    for (step, change) in steps {
        change(&site);
        let run = site.build(&[]).expect_code(0);
        assert!(run.json().written > 0, "{step}: nothing re-rendered\n{}", run.stderr);
        site.build_into("clean", &[]).expect_code(0);
        assert_eq!(
            published_tree(&site.out()),
            published_tree(&site.path("clean")),
            "{step}: rebuild differs from a clean build"
        );
        std::fs::remove_dir_all(site.path("clean")).expect("remove clean build");
    }
    assert_eq!(heads(&site, "category/stcn")[0].0, "Safety · 证券时报官网");
    // Two of its three posts carry 财联社新闻: the post with another tag does
    // not rename the outlet.
    assert_eq!(heads(&site, "category/cailianshe")[0].0, "Safety · 财联社新闻");
    assert_eq!(
        heads(&site, "category/raw"),
        both("Safety · 原始", &format!("{ROOT}/raw.html"))
    );
    assert_eq!(
        heads(&site, "category/yicai"),
        both("Safety · 一财", &format!("{ROOT}/"))
    );
}

#[test]
fn jekyll_data_file_holds_each_feeds_discovery_tags() {
    let site = Site::new();
    site.config("feedgen:\n  formats: [rss, atom, json]\n  jekyll_data: _data/feedgen.json\n");
    post(&site, "a", 1, "ZhengQuanShiBao", "快讯");
    category_page(
        &site,
        "category/zhengquanshibao.html",
        "证券 \"时报\" & 新闻",
        "zhengquanshibao",
        true,
    );
    let run = site.build(&[]).expect_code(0);
    assert!(run.diagnostics().is_empty(), "{}", run.stderr);
    let path = site.content().join("_data/feedgen.json");
    let data: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).expect("data file")).expect("json");
    let links = |v: &serde_json::Value| v["links"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        links(&data["site"]),
        format!(
            "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Safety\" href=\"{ROOT}/rss.xml\">\n\
             <link rel=\"alternate\" type=\"application/atom+xml\" title=\"Safety\" href=\"{ROOT}/atom.xml\">\n\
             <link rel=\"alternate\" type=\"application/feed+json\" title=\"Safety\" href=\"{ROOT}/feed.json\">"
        )
    );
    // Keyed by folder name, as Liquid's `downcase` of the page's `category` gives it.
    let feed = &data["category"]["zhengquanshibao"];
    assert_eq!(feed["name"], "ZhengQuanShiBao");
    assert_eq!(feed["page"], format!("{ROOT}/category/zhengquanshibao.html"));
    assert!(
        links(feed).starts_with(&format!(
            "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Safety · 证券 &quot;时报&quot; &amp; 新闻\" href=\"{ROOT}/category/zhengquanshibao/rss.xml\">"
        )),
        "{}",
        links(feed)
    );
    assert_eq!(
        data["tag"]["快讯"]["urls"]["json"],
        format!("{ROOT}/tag/%E5%BF%AB%E8%AE%AF/feed.json")
    );
    // The data file is not a post, nor in the output folder's manifest;
    // an unchanged rerun leaves it alone, and `--check` sees it go stale.
    let before = std::fs::metadata(&path).and_then(|m| m.modified()).expect("mtime");
    std::thread::sleep(std::time::Duration::from_millis(20));
    site.build(&[]).expect_code(0);
    assert_eq!(
        std::fs::metadata(&path).and_then(|m| m.modified()).expect("mtime"),
        before
    );
    site.build(&["--check"]).expect_code(0);
    std::fs::write(&path, "{}").expect("spoil");
    site.build(&["--check"]).expect_code(1);
    assert_eq!(std::fs::read(&path).expect("data"), b"{}", "--check writes nothing");
    let manifest = crate::harness::manifest(&site.state());
    assert!(!manifest.iter().any(|l| l.contains("feedgen.json")), "{manifest:?}");

    for bad in [
        "../feedgen.json",
        "/tmp/feedgen.json",
        "_data/feedgen.yml",
        "_data/../x.json",
    ] {
        site.config(&format!("feedgen:\n  jekyll_data: {bad}\n"));
        let run = site.build(&[]).expect_code(2);
        assert!(run.stderr.contains("`feedgen.jekyll_data"), "{bad}: {}", run.stderr);
    }
}

#[test]
fn a_category_run_names_and_links_its_feeds_as_a_full_build_does() {
    let site = Site::new();
    site.config("feedgen:\n  names_from_tags: true\n  jekyll_data: _data/feedgen.json\n");
    outlets(&site);
    site.build(&[]).expect_code(0);
    let full_data = std::fs::read(site.content().join("_data/feedgen.json")).expect("data file");
    std::fs::remove_file(site.content().join("_data/feedgen.json")).expect("remove data file");
    site.build_into("part", &["--category", "stcn", "--category", "cailianshe"])
        .expect_code(0);
    let full = published_tree(&site.out());
    let part = published_tree(&site.path("part"));
    let written: Vec<&String> = part.keys().filter(|k| !k.starts_with(".feedgen")).collect();
    assert!(written.len() >= 7, "{written:?}");
    for rel in written {
        assert_eq!(part.get(rel), full.get(rel), "{rel} differs from the full build's");
    }
    assert_eq!(
        std::fs::read(site.content().join("_data/feedgen.json")).expect("data file"),
        full_data
    );
}
