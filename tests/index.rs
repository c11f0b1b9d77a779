//! The rebuild index only saves work: a build that reuses it writes exactly
//! the bytes of a clean build, after posts are added, changed and deleted.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

#[path = "common/summary.rs"]
mod summary;

const NOW: &str = "2030-01-01T00:00:00+08:00";

fn feedgen(content: &Path, output: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_feedgen"))
        .args(["--content"])
        .arg(content)
        .arg("--output")
        .arg(output)
        .args(["--now", NOW, "--summary", "json"])
        .args(extra)
        .output()
        .expect("run feedgen");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every feed file (not the index, manifest or lock) and its bytes.
fn feeds(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "xml") {
                let rel = path.strip_prefix(dir).expect("inside").to_string_lossy().into_owned();
                out.insert(rel, fs::read(&path).expect("read feed"));
            }
        }
    }
    out
}

fn post(dir: &Path, name: &str, date: &str, category: &str, title: &str) {
    let text = format!(
        "---\nlayout: post\ntitle: \"{title}\"\ndate: {date} +0800\ncategories: {category}\ntags: {category}新闻\n---\n\n> {title}。正文。\n\n<http://src.example.com/{name}.html>\n"
    );
    fs::write(dir.join("_posts").join(name), text).expect("write post");
}

fn collection(dir: &Path) {
    fs::create_dir_all(dir.join("_posts")).expect("mkdir");
    fs::write(
        dir.join("_config.yml"),
        "title: 测试\nurl: https://t.example.com\ntimezone: Asia/Shanghai\nlang: zh-CN\n",
    )
    .expect("config");
    for i in 0..60 {
        let category = ["alpha", "beta", "gamma"][i % 3];
        let name = format!("2022-01-{:02}-{i:04}.md", 1 + i % 28);
        post(
            dir,
            &name,
            &format!("2022-01-{:02} 10:{:02}:00", 1 + i % 28, i % 60),
            category,
            &format!("消息{i}"),
        );
    }
}

#[test]
fn index_assisted_rebuilds_match_clean_builds() {
    let tmp = tempfile::tempdir().expect("tmp");
    let content = tmp.path().join("content");
    let kept = tmp.path().join("kept");
    collection(&content);
    let (code, _, err) = feedgen(&content, &kept, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(kept.join(".feedgen-index").is_file(), "the build leaves an index");

    // A rerun with nothing changed renders and writes nothing.
    let (code, summary, _) = feedgen(&content, &kept, &[]);
    assert_eq!(code, 0);
    assert_eq!(summary::field(&summary, "written"), 0, "{summary}");

    // Add, change (same size and a different one) and delete posts.
    post(&content, "2022-02-01-new.md", "2022-02-01 09:00:00", "delta", "新消息");
    post(
        &content,
        "2022-01-05-0004.md",
        "2022-01-05 10:04:00",
        "beta",
        "改过的消息4",
    );
    post(&content, "2022-01-06-0005.md", "2022-01-06 10:05:00", "gamma", "消息X");
    fs::remove_file(content.join("_posts/2022-01-03-0002.md")).expect("delete");
    // Every post of `alpha` but one disappears from the category.
    for i in (0..60).step_by(3).skip(1) {
        let name = format!("2022-01-{:02}-{i:04}.md", 1 + i % 28);
        fs::remove_file(content.join("_posts").join(name)).expect("delete alpha");
    }

    let (code, summary, err) = feedgen(&content, &kept, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(summary::field(&summary, "written") > 0, "{summary}");

    let clean = tmp.path().join("clean");
    let (code, _, err) = feedgen(&content, &clean, &[]);
    assert_eq!(code, 0, "{err}");
    let (with_index, without) = (feeds(&kept), feeds(&clean));
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
    let tmp = tempfile::tempdir().expect("tmp");
    let content = tmp.path().join("content");
    let out = tmp.path().join("out");
    collection(&content);
    assert_eq!(feedgen(&content, &out, &[]).0, 0);
    let reference = feeds(&out);

    // Garbage in the index: the build reads every post again.
    fs::write(out.join(".feedgen-index"), b"FGINDEX1 not really").expect("damage");
    post(
        &content,
        "2022-01-02-0001.md",
        "2022-01-02 10:01:00",
        "beta",
        "消息1 changed",
    );
    let (code, _, err) = feedgen(&content, &out, &[]);
    assert_eq!(code, 0, "{err}");
    let clean = tmp.path().join("clean");
    assert_eq!(feedgen(&content, &clean, &[]).0, 0);
    assert_eq!(feeds(&out), feeds(&clean));
    assert_ne!(feeds(&out), reference, "the changed post shows");

    // A deleted feed file is written again even though its inputs did not change.
    fs::remove_file(out.join("category/beta/atom.xml")).expect("rm");
    let (code, summary, _) = feedgen(&content, &out, &[]);
    assert_eq!(code, 0);
    assert_eq!(summary::field(&summary, "written"), 1, "{summary}");
    assert_eq!(feeds(&out), feeds(&clean));
}

#[test]
fn future_posts_appear_once_their_time_comes_even_with_an_index() {
    let tmp = tempfile::tempdir().expect("tmp");
    let content = tmp.path().join("content");
    let out = tmp.path().join("out");
    collection(&content);
    post(
        &content,
        "2029-06-01-later.md",
        "2029-06-01 08:00:00",
        "alpha",
        "未来消息",
    );
    let run = |now: &str| {
        Command::new(env!("CARGO_BIN_EXE_feedgen"))
            .arg("--content")
            .arg(&content)
            .arg("--output")
            .arg(&out)
            .args(["--now", now, "-q"])
            .status()
            .expect("run")
    };
    assert!(run("2029-01-01").success());
    let before = fs::read_to_string(out.join("rss.xml")).expect("rss");
    assert!(!before.contains("未来消息"));
    assert!(run("2029-07-01").success());
    let after = fs::read_to_string(out.join("rss.xml")).expect("rss");
    assert!(
        after.contains("未来消息"),
        "the post is published once now passes its date"
    );
}
