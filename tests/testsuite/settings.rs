//! Settings that catch typos: a key under `feedgen:` that feedgen does not
//! have stops every command with exit status 2, naming the file, the dotted
//! key and the nearest valid key, at every depth and in both configuration
//! files; Jekyll's own keys and plugins' keys stay free.

use crate::harness::{repo, run, Site};

const POST: &str = "---\ntitle: One\ndate: 2022-03-01 12:00:00 +0800\ncategories: news\n---\n\nText.\n";

fn site_with(feedgen: &str) -> Site {
    let site = Site::new();
    site.put("_posts/2022-03-01-one.md", POST);
    site.config(&format!("feedgen:\n{feedgen}"));
    site
}

/// The build exits 2 with exactly `message` after `feedgen: error: `, and
/// writes nothing.
#[track_caller]
fn refused(site: &Site, message: &str) {
    let run = site.build(&[]).expect_code(2);
    assert!(
        run.printed(&format!("feedgen: error: {message}")),
        "want {message:?}\n--- stderr\n{}",
        run.stderr
    );
    assert!(!site.out().join("rss.xml").exists(), "nothing written");
}

#[test]
fn a_misspelled_key_at_the_top_of_feedgen_is_an_error_naming_the_nearest_key() {
    let site = site_with("  limit: 5\n  windw: 2h\n");
    refused(
        &site,
        "content/_config.yml: feedgen.windw: unknown setting; did you mean window?",
    );
}

#[test]
fn a_misspelled_key_inside_a_feed_kind_table_is_an_error() {
    let site = site_with("  site:\n    content: summary\n    max_byte: 1MiB\n");
    refused(
        &site,
        "content/_config.yml: feedgen.site.max_byte: unknown setting; did you mean max_bytes?",
    );
}

#[test]
fn a_misspelled_key_inside_ping_is_an_error() {
    let site = site_with("  ping: {batch: 10, timout: 5s}\n");
    refused(
        &site,
        "content/_config.yml: feedgen.ping.timout: unknown setting; did you mean timeout?",
    );
}

#[test]
fn a_key_like_no_setting_lists_the_valid_keys() {
    let site = site_with("  ping: {colour: red}\n");
    refused(
        &site,
        "content/_config.yml: feedgen.ping.colour: unknown setting; valid keys: batch, timeout, retries",
    );
    // A key that belongs elsewhere is unknown where it stands.
    let site = site_with("  tag: {ttl: 5}\n");
    refused(
        &site,
        "content/_config.yml: feedgen.tag.ttl: unknown setting; valid keys: limit, window, max_items, max_bytes, content",
    );
}

#[test]
fn feedgen_yaml_is_checked_the_same_way() {
    for (section, message) in [
        ("  windw: 2h\n", "feedgen.windw: unknown setting; did you mean window?"),
        (
            "  site: {max_byte: 1MiB}\n",
            "feedgen.site.max_byte: unknown setting; did you mean max_bytes?",
        ),
        (
            "  ping: {retires: 3}\n",
            "feedgen.ping.retires: unknown setting; did you mean retries?",
        ),
    ] {
        let site = Site::new();
        site.put("_posts/2022-03-01-one.md", POST);
        site.put(
            "feedgen.yaml",
            format!("title: T\nurl: https://safe.example.com\nfeedgen:\n{section}"),
        );
        refused(&site, &format!("content/feedgen.yaml: {message}"));
    }
}

#[test]
fn every_command_refuses_an_unknown_setting() {
    let site = site_with("  max_file_sise: 1024\n");
    let message =
        "feedgen: error: content/_config.yml: feedgen.max_file_sise: unknown setting; did you mean max_file_size?";
    for args in [
        &["check", "--content", "content"][..],
        &["list", "categories", "--content", "content"],
        &["ping", "--content", "content"],
    ] {
        let run = run(&mut site.command(args)).expect_code(2);
        assert!(run.printed(message), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn jekyll_and_plugin_keys_outside_feedgen_stay_accepted() {
    let site = Site::new();
    site.put("_posts/2022-03-01-one.md", POST);
    site.config(
        "plugins: [jekyll-feed, jekyll-seo-tag]\nfeed:\n  path: atom.xml\n  posts_limit: 50\nsass: {style: compressed}\nmade_up_by_a_theme: true\nfeedgen:\n  window: 2h\n",
    );
    let run = site.build(&[]).expect_code(0);
    assert!(!run.stderr.contains("unknown setting"), "{}", run.stderr);
    assert!(site.out().join("rss.xml").is_file());
}

#[test]
fn the_settings_shipped_with_feedgen_are_all_known() {
    for config in [
        "bench/coverage-window.yml",
        "conformance/windowed.yml",
        "tests/fixtures/core/configs/discovery.yml",
        "tests/fixtures/discovery-site/_config.yml",
        "tests/fixtures/hostile/_config.yml",
    ] {
        let site = Site::new();
        site.put("_posts/2022-03-01-one.md", POST);
        let path = repo().join(config);
        let path = path.to_str().expect("UTF-8 repo path");
        let run = run(&mut site.command(&["check", "--content", "content", "--config", path]));
        assert!(!run.stderr.contains("unknown setting"), "{config}: {}", run.stderr);
        assert_eq!(run.code, Some(0), "{config}: {}", run.stderr);
    }
}

/// Issue 23, items 2 and 6: every URL setting gets the check `url` gets. A
/// user name or password is refused with exit 2 and never printed; a hub
/// that passes is stored trimmed, as the feeds advertise it.
#[test]
fn a_url_setting_with_a_password_is_refused_without_printing_it() {
    for (key, value) in [
        ("hub", "https://user:s3cret@hub.example/"),
        ("icon", "https://user:s3cret@cdn.example/icon.png"),
        ("logo", "https://user:s3cret@cdn.example/logo.png"),
        ("feeds_url", "https://user:s3cret@feeds.example/"),
        ("feeds_url", "ftp://user:s3cret@feeds.example/"),
    ] {
        let site = Site::new();
        site.config(&format!("feedgen:\n  {key}: \"{value}\"\n"));
        site.put("_posts/2024-01-01-a.md", "---\ntitle: A\n---\nx\n");
        let run = site.build(&[]).expect_code(2);
        assert!(run.stderr.contains(&format!("feedgen.{key}")), "{key}: {}", run.stderr);
        assert!(
            !run.stderr.contains("s3cret"),
            "{key} printed its password: {}",
            run.stderr
        );
        assert!(!site.out().join("rss.xml").exists(), "{key}: nothing is written");
    }
    let site = Site::new();
    site.config("feedgen:\n  hub: \"  https://hub.example/  \"\n");
    site.put("_posts/2024-01-01-a.md", "---\ntitle: A\n---\nx\n");
    site.build(&[]).expect_code(0);
    let rss = std::fs::read_to_string(site.out().join("rss.xml")).expect("rss");
    assert!(rss.contains("href=\"https://hub.example/\""), "{rss}");
}
