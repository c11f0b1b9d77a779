//! The rebuild index only saves work: a build that reuses it writes exactly
//! the bytes of a clean build, after posts are added, changed and deleted.

use std::fs;

use crate::harness::{feedgen, feeds, run, Site};

fn post(site: &Site, name: &str, date: &str, category: &str, title: &str) {
    let text = format!(
        "---\nlayout: post\ntitle: \"{title}\"\ndate: {date} +0800\ncategories: {category}\ntags: {category}新闻\n---\n\n> {title}。正文。\n\n<http://src.example.com/{name}.html>\n"
    );
    site.put(&format!("_posts/{name}"), text);
}

/// Sixty posts in three categories.
fn collection() -> Site {
    let site = Site::new();
    site.put(
        "_config.yml",
        "title: 测试\nurl: https://t.example.com\ntimezone: Asia/Shanghai\nlang: zh-CN\n",
    );
    for i in 0..60 {
        let category = ["alpha", "beta", "gamma"][i % 3];
        let name = format!("2022-01-{:02}-{i:04}.md", 1 + i % 28);
        post(
            &site,
            &name,
            &format!("2022-01-{:02} 10:{:02}:00", 1 + i % 28, i % 60),
            category,
            &format!("消息{i}"),
        );
    }
    site
}

#[test]
fn index_assisted_rebuilds_match_clean_builds() {
    let site = collection();
    let kept = site.path("kept");
    site.build_into("kept", &[]).expect_code(0);
    assert!(site.state().join("index").is_file(), "the build leaves an index");
    assert!(!kept.join(".feedgen-index").exists(), "and does not serve it");

    // A rerun with nothing changed renders and writes nothing.
    let rerun = site.build_into("kept", &[]).expect_code(0);
    assert_eq!(rerun.json().written, 0, "{}", rerun.stdout);

    // Add, change (same size and a different one) and delete posts.
    post(&site, "2022-02-01-new.md", "2022-02-01 09:00:00", "delta", "新消息");
    post(
        &site,
        "2022-01-05-0004.md",
        "2022-01-05 10:04:00",
        "beta",
        "改过的消息4",
    );
    post(&site, "2022-01-06-0005.md", "2022-01-06 10:05:00", "gamma", "消息X");
    let posts = site.content().join("_posts");
    fs::remove_file(posts.join("2022-01-03-0002.md")).expect("delete");
    // Every post of `alpha` but one disappears from the category.
    for i in (0..60).step_by(3).skip(1) {
        let name = format!("2022-01-{:02}-{i:04}.md", 1 + i % 28);
        fs::remove_file(posts.join(name)).expect("delete alpha");
    }

    let rebuilt = site.build_into("kept", &[]).expect_code(0);
    assert!(rebuilt.json().written > 0, "{}", rebuilt.stdout);

    site.build_into("clean", &[]).expect_code(0);
    let (with_index, without) = (feeds(&kept), feeds(&site.path("clean")));
    assert_eq!(
        with_index.keys().collect::<Vec<_>>(),
        without.keys().collect::<Vec<_>>()
    );
    for (rel, bytes) in &without {
        assert!(
            with_index[rel] == *bytes,
            "{rel} differs between the index-assisted and the clean build"
        );
    }
    assert!(without.contains_key("category/delta/rss.xml"));
}

#[test]
fn a_damaged_or_foreign_index_is_ignored() {
    let site = collection();
    let out = site.out();
    site.build(&[]).expect_code(0);
    let reference = feeds(&out);

    // Garbage in the index: the build reads every post again.
    fs::write(site.state().join("index"), b"FGINDEX1 not really").expect("damage");
    post(
        &site,
        "2022-01-02-0001.md",
        "2022-01-02 10:01:00",
        "beta",
        "消息1 changed",
    );
    site.build(&[]).expect_code(0);
    site.build_into("clean", &[]).expect_code(0);
    let clean = site.path("clean");
    assert_eq!(feeds(&out), feeds(&clean));
    assert_ne!(feeds(&out), reference, "the changed post shows");

    // A deleted feed file is written again even though its inputs did not change.
    fs::remove_file(out.join("category/beta/atom.xml")).expect("rm");
    let rerun = site.build(&[]).expect_code(0);
    assert_eq!(rerun.json().written, 1, "{}", rerun.stdout);
    assert_eq!(feeds(&out), feeds(&clean));
}

#[test]
fn future_posts_appear_once_their_time_comes_even_with_an_index() {
    let site = collection();
    post(&site, "2029-06-01-later.md", "2029-06-01 08:00:00", "alpha", "未来消息");
    // "Now" moves, so these runs set it themselves.
    let build_at = |now: &str| {
        let mut cmd = feedgen();
        cmd.current_dir(site.root())
            .args(["--content", "content", "--output", "out", "--now", now, "-q"]);
        run(&mut cmd).expect_code(0);
    };
    build_at("2029-01-01");
    let before = fs::read_to_string(site.out().join("rss.xml")).expect("rss");
    assert!(!before.contains("未来消息"));
    build_at("2029-07-01");
    let after = fs::read_to_string(site.out().join("rss.xml")).expect("rss");
    assert!(
        after.contains("未来消息"),
        "the post is published once now passes its date"
    );
}

/// The rendered-item cache: with windows and summaries, a rebuild that
/// takes entries from the cache writes the bytes of a clean build (one with
/// a state folder of its own), after posts are added, changed and deleted,
/// after the cache is damaged and after a setting entries depend on
/// changes; entries of posts in no feed leave the cache, and the folder of
/// one file per post that earlier versions kept goes.
#[test]
fn cached_items_give_the_bytes_of_a_clean_build() {
    let site = collection();
    let config = "title: 测试\nurl: https://t.example.com\ntimezone: Asia/Shanghai\nlang: zh-CN\n\
                  feedgen:\n  limit: 3\n  window: 3d\n  site: {content: summary}\n";
    site.put("_config.yml", config);
    let kept = site.path("kept");
    let legacy = site.state().join("items");
    site.put(
        ".feedgen/items/00000000000000ff",
        "FGITEM02 an entry of an earlier version",
    );
    site.build_into("kept", &[]).expect_code(0);
    assert!(!legacy.exists(), "the old cache folder is removed");
    let (pack, table) = (site.state().join("items.pack"), site.state().join("items.idx"));
    let pack_len = || fs::metadata(&pack).expect("pack").len();
    let first_fill = pack_len();
    assert!(first_fill > 1000 && table.is_file(), "the build fills the cache");

    let compare = |label: &str| {
        let (clean, state) = (site.path("clean"), site.path("clean-state"));
        let _ = fs::remove_dir_all(&clean);
        let _ = fs::remove_dir_all(&state);
        site.build_into("clean", &["--state", "clean-state"]).expect_code(0);
        let (with_cache, without) = (feeds(&kept), feeds(&clean));
        assert_eq!(
            with_cache.keys().collect::<Vec<_>>(),
            without.keys().collect::<Vec<_>>(),
            "{label}"
        );
        for (rel, bytes) in &without {
            assert!(with_cache[rel] == *bytes, "{label}: {rel} differs from a clean build");
        }
    };

    // New posts: the older items of the windowed feeds come from the cache.
    post(&site, "2022-01-28-new1.md", "2022-01-28 11:00:00", "alpha", "新消息1");
    post(&site, "2022-01-28-new2.md", "2022-01-28 12:00:00", "beta", "新消息2");
    site.build_into("kept", &[]).expect_code(0);
    compare("after adding posts");
    let grown = pack_len();
    assert!(
        grown > first_fill && grown < first_fill * 2,
        "only the new posts are appended: {first_fill} -> {grown} bytes"
    );

    // A changed post (same name) is rendered again, not taken from the cache.
    post(
        &site,
        "2022-01-28-new1.md",
        "2022-01-28 11:00:00",
        "alpha",
        "改过的新消息1",
    );
    site.build_into("kept", &[]).expect_code(0);
    compare("after changing a post");
    assert!(fs::read_to_string(kept.join("rss.xml"))
        .expect("site")
        .contains("改过的新消息1"));

    // A damaged cache is a miss: every record's bytes flipped once.
    let mut bytes = fs::read(&pack).expect("read");
    for i in (40..bytes.len()).step_by(97) {
        bytes[i] ^= 0x20;
    }
    fs::write(&pack, bytes).expect("damage");
    post(&site, "2022-01-28-new3.md", "2022-01-28 13:00:00", "gamma", "新消息3");
    site.build_into("kept", &[]).expect_code(0);
    compare("after damaging the cache");

    // A setting every entry depends on (the site author) changes.
    site.put("_config.yml", format!("{config}author: 编辑部\n"));
    site.build_into("kept", &[]).expect_code(0);
    compare("after changing the site author");

    // Posts leave every feed: their entries leave the cache.
    let posts = site.content().join("_posts");
    for name in ["2022-01-28-new1.md", "2022-01-28-new2.md", "2022-01-28-new3.md"] {
        fs::remove_file(posts.join(name)).expect("delete");
    }
    site.build_into("kept", &[]).expect_code(0);
    compare("after deleting posts");
    let live: std::collections::BTreeSet<String> = feeds(&kept)
        .keys()
        .flat_map(|rel| crate::harness::items(&kept.join(rel)).into_iter().map(|i| i.link))
        .collect();
    // The table: magic, pack id, then the count of entries (postcard's
    // variable-length number: 7 bits a byte, low first).
    let table_bytes = fs::read(&table).expect("table");
    let mut count = 0usize;
    for (i, &b) in table_bytes[16..].iter().enumerate() {
        count |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            break;
        }
    }
    assert_eq!(
        count,
        live.len(),
        "one cached entry per post in some feed, none for deleted or old versions"
    );
    // The settings change made every entry dead once: the pack was
    // compacted, to about one build's worth.
    assert!(
        pack_len() < first_fill * 3 / 2,
        "compacted: {first_fill} bytes at first, {} now",
        pack_len()
    );
    // A deleted or garbled table is an empty cache, and a new pack.
    for damage in ["garble", "delete"] {
        match damage {
            "garble" => fs::write(&table, b"FGPIDX01 garbled").expect("garble"),
            _ => fs::remove_file(&table).expect("delete"),
        }
        post(&site, "2022-01-28-new4.md", "2022-01-28 14:00:00", "alpha", damage);
        site.build_into("kept", &[]).expect_code(0);
        compare(damage);
    }
}
