//! Time-window feeds (issue #10): `window`, `limit` as a minimum,
//! `max_items` and `max_bytes` as caps, `content: summary`, per-kind
//! settings, poll hints, and the validation of every new number.

use std::fs;

use crate::harness::{assert_feeds_parse, feeds, read_atom, read_rss, titles, Site};

/// `n` posts of `category`, one every `step` minutes back from 2022-03-01
/// 12:00 (+08:00), titled `<category>-<i>` (0 is the newest), with a body
/// of about `body` bytes.
fn stream(site: &Site, category: &str, n: usize, step: u32, body: usize) {
    for i in 0..n {
        let minutes = 12 * 60 - (i as u32) * step;
        let (h, m) = (minutes / 60, minutes % 60);
        let text = format!(
            "---\ntitle: {category}-{i}\ndate: 2022-03-01 {h:02}:{m:02}:00 +0800\ncategories: {category}\n---\n\n第一段 {i}。\n\n{}\n",
            "正文".repeat(body / 6)
        );
        site.put(&format!("_posts/2022-03-01-{category}-{i:03}.md"), text);
    }
}

fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}-{i}")).collect()
}

#[test]
fn a_window_holds_every_recent_post_and_limit_stays_a_minimum() {
    let site = Site::new();
    site.config("feedgen:\n  limit: 5\n  window: 1h\n");
    // busy: one post every 4 minutes for 2 hours (30 posts).
    stream(&site, "busy", 30, 4, 100);
    // quiet: 3 posts, all from the morning, far outside any window.
    for i in 0..3 {
        site.put(
            &format!("_posts/2022-03-01-quiet-{i}.md"),
            format!(
                "---\ntitle: quiet-{i}\ndate: 2022-03-01 0{}:00:00 +0800\ncategories: quiet\n---\n\nx\n",
                3 - i
            ),
        );
    }
    site.build(&[]).expect_code(0);
    let out = site.out();
    assert_feeds_parse(&out);
    // Within 60 minutes of busy's newest post (12:00): 12:00 … 11:00, 16 posts.
    for file in ["rss.xml", "atom.xml"] {
        assert_eq!(
            titles(&out.join("category/busy").join(file)),
            names("busy", 0..16),
            "{file}"
        );
        // quiet's window starts at its own newest post, and `limit: 5` keeps all 3.
        assert_eq!(titles(&out.join("category/quiet").join(file)), names("quiet", 0..3));
        assert_eq!(titles(&out.join(file)).len(), 16, "site: busy's hour");
    }

    // `limit` still fills a feed whose window is short.
    site.config("feedgen:\n  limit: 20\n  window: 10m\n");
    site.build(&[]).expect_code(0);
    assert_eq!(titles(&out.join("category/busy/rss.xml")), names("busy", 0..20));
}

#[test]
fn per_kind_settings_override_the_common_ones() {
    let site = Site::new();
    site.config(
        "feedgen:\n  limit: 2\n  window: 1h\n  site:\n    content: summary\n    max_items: 4\n  category:\n    window: 20m\n",
    );
    stream(&site, "busy", 30, 4, 300);
    site.build(&[]).expect_code(0);
    let out = site.out();
    assert_feeds_parse(&out);
    // site: 1 h window capped at 4 items, summaries only.
    let rss = read_rss(&out.join("rss.xml"));
    assert_eq!(rss.items().len(), 4);
    assert!(
        rss.items().iter().all(|i| i.content().is_none()),
        "summary mode: no content:encoded"
    );
    assert!(rss
        .items()
        .iter()
        .all(|i| i.description().is_some_and(|d| d.contains("第一段"))));
    let atom = read_atom(&out.join("atom.xml"));
    assert_eq!(atom.entries().len(), 4);
    assert!(atom
        .entries()
        .iter()
        .all(|e| e.content().is_none() && e.summary().is_some()));
    // category: its own 20 min window (6 posts), full text.
    let rss = read_rss(&out.join("category/busy/rss.xml"));
    assert_eq!(rss.items().len(), 6);
    assert!(rss
        .items()
        .iter()
        .all(|i| i.content().is_some_and(|c| c.contains("正文"))));
    // tag feeds: none here; the common window applies to them.
}

#[test]
fn max_bytes_holds_for_every_file_written_with_one_note_for_the_run() {
    let site = Site::new();
    site.config("feedgen:\n  window: 1d\n  max_bytes: 16KiB\n");
    // Three categories whose 1-day windows need far more than 16 KiB.
    for category in ["alpha", "beta", "gamma"] {
        stream(&site, category, 25, 10, 2000);
    }
    let run = site.build(&[]).expect_code(0);
    let out = site.out();
    assert_feeds_parse(&out);
    for (rel, bytes) in feeds(&out) {
        assert!(bytes.len() <= 16 * 1024, "{rel}: {} bytes", bytes.len());
        // What fits is the newest part of the window, in order; RSS and
        // Atom differ in size, so each is cut on its own bytes.
        let got = titles(&out.join(&rel));
        assert!(!got.is_empty(), "{rel}");
        if let Some(category) = rel.strip_prefix("category/").and_then(|r| r.split('/').next()) {
            assert_eq!(got, names(category, 0..got.len()), "{rel}");
        }
    }
    let notes: Vec<&str> = run
        .diagnostics()
        .into_iter()
        .filter(|l| l.contains("max_bytes"))
        .collect();
    assert_eq!(notes.len(), 1, "one note for the run:\n{}", run.stderr);
    assert!(
        notes[0].contains(": note: `max_items`/`max_bytes` cut 8 feed files short of their window")
            && notes[0].contains("category: 6 files")
            && notes[0].contains("site: 2 files"),
        "{}",
        notes[0]
    );

    // A larger cap that fits everything: no note, every item of the window.
    site.config("feedgen:\n  window: 1d\n  max_bytes: 1MiB\n");
    let run = site.build(&[]).expect_code(0);
    assert!(!run.stderr.contains("max_bytes"), "{}", run.stderr);
    assert_eq!(titles(&out.join("category/alpha/atom.xml")).len(), 25);
}

#[test]
fn poll_hints_go_into_rss() {
    let site = Site::new();
    site.config("feedgen:\n  ttl: 15m\n  update_period: hourly\n  update_frequency: 4\n");
    stream(&site, "busy", 3, 4, 100);
    site.build(&[]).expect_code(0);
    let out = site.out();
    assert_feeds_parse(&out);
    for rel in ["rss.xml", "category/busy/rss.xml"] {
        let channel = read_rss(&out.join(rel));
        assert_eq!(channel.ttl(), Some("15"), "{rel}");
        let sy = channel.syndication_ext().expect("sy: elements");
        assert_eq!(sy.period().to_string(), "hourly");
        assert_eq!(sy.frequency(), 4);
    }
    // A bare number is minutes, as RSS counts ttl.
    site.config("feedgen:\n  ttl: 30\n");
    site.build(&[]).expect_code(0);
    let channel = read_rss(&out.join("rss.xml"));
    assert_eq!(channel.ttl(), Some("30"));
    assert!(channel.syndication_ext().is_none());
    assert!(!String::from_utf8_lossy(&fs::read(out.join("rss.xml")).expect("read")).contains("xmlns:sy"));
}

#[test]
fn bad_window_settings_stop_the_run_naming_the_file_and_key() {
    let site = Site::new();
    stream(&site, "busy", 2, 4, 100);
    for (setting, expected) in [
        ("window: 0m", "`feedgen.window` `0m` must be longer than zero"),
        ("window: 2 hours", "`feedgen.window` `2 hours` is not a duration"),
        ("window: 99999999999999999999d", "`feedgen.window`"),
        ("max_bytes: 0", "`feedgen.max_bytes` `0` must be larger than zero"),
        ("max_bytes: 2XB", "`feedgen.max_bytes` `2XB` is not a size"),
        ("max_bytes: 18446744073709551615GiB", "`feedgen.max_bytes`"),
        (
            "site: {max_items: 0}",
            "`feedgen.site.max_items` must be a whole number",
        ),
        (
            "category: {content: teaser}",
            "`feedgen.category.content` must be `full` or `summary`",
        ),
        ("tag: {limit: -1}", "`feedgen.tag.limit`"),
        ("ttl: 0", "`feedgen.ttl` must be at least 1 minute"),
        ("ttl: 90s", "`feedgen.ttl` must be whole minutes"),
        ("update_period: often", "`feedgen.update_period: often`"),
        (
            "update_frequency: 4",
            "`feedgen.update_frequency` needs `feedgen.update_period`",
        ),
        ("ping: {batch: 0}", "`feedgen.ping.batch`"),
        ("ping: {timeout: 0s}", "`feedgen.ping.timeout`"),
    ] {
        site.config(&format!("feedgen:\n  {setting}\n"));
        let run = site.build(&[]).expect_code(2);
        assert!(
            run.stderr.contains("_config.yml: ") && run.stderr.contains(expected),
            "{setting}: {}",
            run.stderr
        );
        assert!(!site.out().join("rss.xml").exists(), "{setting}: nothing written");
    }
}

/// The build exits 2 with `expected` in its message and writes nothing.
#[track_caller]
fn refused_with(site: &Site, setting: &str, expected: &str) {
    site.config(&format!("feedgen:\n  {setting}\n"));
    let run = site.build(&[]).expect_code(2);
    assert!(
        run.printed(&format!("feedgen: error: content/_config.yml: {expected}")),
        "{setting}: want {expected:?}\n--- stderr\n{}",
        run.stderr
    );
    assert!(!site.out().join("rss.xml").exists(), "{setting}: nothing written");
}

#[test]
fn a_ttl_too_long_says_it_is_too_long_however_it_is_written() {
    let site = Site::new();
    stream(&site, "busy", 2, 4, 100);
    let minutes = "`feedgen.ttl` must be at most 52704000 minutes (100 years)";
    for (setting, expected) in [
        ("ttl: 52704001", minutes),
        ("ttl: \"99999999999999999999\"", minutes),
        (
            "ttl: 99999999999999999999m",
            "`feedgen.ttl` `99999999999999999999m` is longer than 100 years",
        ),
        (
            "window: 99999999999999999999d",
            "`feedgen.window` `99999999999999999999d` is longer than 100 years",
        ),
    ] {
        refused_with(&site, setting, expected);
    }
    // The longest ttl is still accepted.
    site.config("feedgen:\n  ttl: 52704000\n");
    site.build(&[]).expect_code(0);
    assert_eq!(read_rss(&site.out().join("rss.xml")).ttl(), Some("52704000"));
}

#[test]
fn an_update_frequency_too_large_is_an_error_never_a_silent_one() {
    let site = Site::new();
    stream(&site, "busy", 2, 4, 100);
    let range = "`feedgen.update_frequency` must be a whole number of updates per period, from 1 to 1000000";
    for value in ["1000001", "4294967297", "\"99999999999999999999\""] {
        refused_with(
            &site,
            &format!("update_period: daily\n  update_frequency: {value}"),
            range,
        );
    }
    // The largest accepted value reaches the feed as written.
    site.config("feedgen:\n  update_period: daily\n  update_frequency: 1000000\n");
    site.build(&[]).expect_code(0);
    let channel = read_rss(&site.out().join("rss.xml"));
    assert_eq!(channel.syndication_ext().expect("sy: elements").frequency(), 1_000_000);
}
