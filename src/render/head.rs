//! What a feed says about itself (title, description, links, generator)
//! and what the discovery files say about each feed they list.

use chrono::{DateTime, FixedOffset};

use crate::config::{Claim, Config, Format, Site};
use crate::model::FeedSpec;
use crate::names::FeedPage;
use crate::permalink::encode_segment;
use crate::plan::{feed_folder, feed_path, Listed};
use crate::taxonomy::FeedKind;
use crate::xml_chars::strip_invalid_xml;

/// What a feed says about itself.
#[derive(Debug, Clone)]
pub struct FeedHead {
    pub title: String,
    pub description: String,
    /// The feed's page on the site (or the site root): its alternate page.
    pub site_link: String,
    /// Where this feed is published, per format.
    pub self_link: String,
    pub updated: DateTime<FixedOffset>,
    /// `feedgen.claims` for this feed.
    pub claim: Option<Claim>,
}

/// A feed's title: the site's, then `· <display name>` for categories and tags.
pub fn feed_title(site: &Site, spec: &FeedSpec, page: &FeedPage) -> String {
    match spec.kind {
        FeedKind::Site => site.title.clone(),
        FeedKind::Category | FeedKind::Tag => {
            let name = page.title.as_deref().unwrap_or(&spec.name);
            format!("{} · {}", site.title, strip_invalid_xml(name))
        }
    }
}

/// A feed's public URL.
pub fn feed_url(config: &Config, spec: &FeedSpec, format: Format) -> String {
    let path = feed_path(&config.layout, spec, format);
    let encoded: Vec<String> = path.split('/').map(encode_segment).collect();
    format!("{}/{}", config.site.feeds_root, encoded.join("/"))
}

pub fn head(
    config: &Config,
    spec: &FeedSpec,
    page: &FeedPage,
    format: Format,
    updated: Option<DateTime<FixedOffset>>,
) -> FeedHead {
    let site = &config.site;
    let description = match spec.kind {
        FeedKind::Site => site.description.clone(),
        FeedKind::Category | FeedKind::Tag => {
            let name = page.title.as_deref().unwrap_or(&spec.name);
            format!("{} · {}", strip_invalid_xml(name), site.description)
        }
    };
    FeedHead {
        title: feed_title(site, spec, page),
        description,
        site_link: page.url.clone().unwrap_or_else(|| format!("{}/", site.root)),
        claim: site.claims.get(&feed_folder(&config.layout, spec)).cloned(),
        self_link: feed_url(config, spec, format),
        // An empty feed has no newest item; the epoch keeps output stable.
        updated: updated.unwrap_or_else(|| DateTime::UNIX_EPOCH.fixed_offset()),
    }
}

/// Who wrote a file, as every kind of file feedgen writes says it: also
/// feedgen's ownership mark (`output::GENERATOR_MARKS`).
pub fn generator() -> String {
    format!("feedgen {}", env!("CARGO_PKG_VERSION"))
}

/// A listed feed's public URL in each configured format.
pub fn listed_urls(config: &Config, listed: &Listed) -> Vec<(Format, String)> {
    config
        .formats
        .iter()
        .map(|&f| (f, feed_url(config, &listed.spec, f)))
        .collect()
}

/// A listed feed's title, as its feeds carry it.
pub fn listed_title(config: &Config, listed: &Listed) -> String {
    feed_title(&config.site, &listed.spec, &listed.page)
}

/// The page a listed feed links to: its own page, else the site root.
pub fn listed_page(config: &Config, listed: &Listed) -> String {
    listed
        .page
        .url
        .clone()
        .unwrap_or_else(|| format!("{}/", config.site.root))
}
