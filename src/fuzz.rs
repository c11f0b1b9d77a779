//! A door for the `fuzz/` crate (not part of feedgen's interface): one post
//! file, given as its name and bytes, read and rendered through the steps a
//! build takes (scan, load, select, plan, render), without touching disk.

use std::sync::OnceLock;

use crate::config::{Config, Overrides};
use crate::content::post::{self, Outcome, ReadRules};
use crate::plan::Plan;
use crate::{model, render};

/// The site every fuzzed post is read into: a fixed `_config.yml` with a
/// non-UTC zone, an author and a hub, in a folder of its own.
fn site() -> &'static Config {
    static SITE: OnceLock<Config> = OnceLock::new();
    SITE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("feedgen-fuzz-{}", std::process::id()));
        let config = dir.join("_config.yml");
        std::fs::create_dir_all(&dir).expect("fuzz site folder");
        std::fs::write(
            &config,
            "url: https://fuzz.example.com\nbaseurl: /新闻\ntitle: Fuzz\ntimezone: Asia/Shanghai\n\
             author: {name: A, email: a@example.com, uri: https://a.example.com}\n\
             feedgen: {hub: https://hub.example.com/}\n",
        )
        .expect("fuzz site config");
        let flags = Overrides {
            content_dir: Some(dir.clone()),
            output_dir: Some(dir.join("out")),
            config_file: Some(config),
            now: Some("2030-01-01".to_string()),
            ..Overrides::default()
        };
        Config::load(flags, None).expect("fuzz site config loads")
    })
}

/// Read `bytes` as the post file `_posts/<name>` and render every feed it
/// reaches (site, its categories and tags, each format). Returns the
/// feeds' bytes; nothing when the file is not a published post.
#[doc(hidden)]
pub fn render_post(name: &str, bytes: &[u8]) -> Vec<Vec<u8>> {
    let config = site();
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Vec::new();
    };
    let rel = format!("_posts/{name}");
    let rules = ReadRules {
        zone: config.site.zone,
        in_posts_dir: true,
        archived: false,
        jekyll: config.site.jekyll,
    };
    let mut diagnostics = Vec::new();
    let Outcome::Post(meta) = post::scan(text, &rel, &|| rel.clone(), rules, &mut diagnostics) else {
        return Vec::new();
    };
    let Some(loaded) = post::load(text, &rel, config.site.jekyll) else {
        panic!("{rel}: scanned as a post, but loading it again failed");
    };
    let entry = render::entry(&config.site, &meta, &loaded);
    let posts = [&meta];
    let feeds = model::select(&posts, &config.feeds, str::to_string);
    let plan = Plan::new(config, feeds, config.site.names.clone(), &posts, &[0]);
    plan.artifacts
        .iter()
        .map(|a| {
            let get = |_| Some(&entry);
            let updated = Some(meta.date);
            render::artifact(config, &plan, a, &get, updated).map_or_else(|_| Vec::new(), |r| r.bytes)
        })
        .collect()
}
