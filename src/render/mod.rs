//! The render step: posts into [`Entry`] values, and a plan's artifacts
//! into bytes, one file per format (`rss.rs`, `atom.rs`). Everything here
//! is pure: configuration and post data in, bytes out.

pub mod atom;
pub mod html;
pub mod rss;

use chrono::{DateTime, FixedOffset};

use crate::config::{Config, Format, Site};
use crate::content::front_matter::Author;
use crate::content::post::{Post, PostMeta, SourceLink};
use crate::markup::markdown_to_html;
use crate::model::{FeedKind, FeedSpec};
use crate::permalink::{self, encode_segment, encode_url, PermalinkParts};
use crate::plan::{feed_path, Artifact, ArtifactKind, Plan};
use crate::xml_chars::{first_invalid_xml_char, strip_invalid_xml};

/// A post ready to be an item in any feed: rendered once, shared by all
/// the feeds it appears in.
#[derive(Debug, Clone)]
pub struct Entry {
    pub title: String,
    /// The post's page on the site.
    pub link: String,
    /// Stable id: the permalink, or the front-matter `guid`/`id`.
    pub id: String,
    pub id_is_link: bool,
    pub date: DateTime<FixedOffset>,
    pub author: Author,
    pub summary: String,
    pub content: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub source: Option<String>,
}

/// Longest summary, in characters.
const SUMMARY_CHARS: usize = 280;

/// The post's absolute URL on the site.
pub fn post_link(site: &Site, meta: &PostMeta, post: &Post) -> String {
    let path = match &post.permalink {
        Some(p) => permalink::expand(p, &parts(site, meta, post)),
        None => permalink::expand(&site.permalink, &parts(site, meta, post)),
    };
    format!("{}{}", site.root, permalink::encode_path(&path))
}

fn parts<'a>(site: &Site, meta: &'a PostMeta, post: &'a Post) -> PermalinkParts<'a> {
    PermalinkParts {
        categories: &meta.categories,
        date: site.zone.at(meta.date),
        slug: &post.slug,
    }
}

/// Render one post into an [`Entry`].
pub fn entry(site: &Site, meta: &PostMeta, post: &Post) -> Entry {
    let link = post_link(site, meta, post);
    // Relative links are taken against the site root, as the spec says: the
    // real footers' `../category/x.html` mean the site's category pages.
    let base = url::Url::parse(&format!("{}/", site.root));
    let raw_html = if post.markdown {
        markdown_to_html(&post.body)
    } else {
        post.body.clone()
    };
    let content = if meta.plain_text {
        html::as_plain_text(&raw_html)
    } else {
        html::sanitize(&raw_html, base.as_ref().ok())
    };
    let clean = |s: &str| strip_invalid_xml(s.trim());
    let title = match clean(&post.title) {
        t if !t.is_empty() => t,
        _ => match html::derive_title(&html::text_of(&content)) {
            t if !t.is_empty() => t,
            // File names may hold any character but `/` and NUL.
            _ => clean(&post.slug),
        },
    };
    let summary = match &post.excerpt {
        Some(e) => html::truncate(&clean(&html::text_of(e)), SUMMARY_CHARS),
        None => html::truncate(&html::first_paragraph(&content), SUMMARY_CHARS),
    };
    let (id, id_is_link) = match &post.guid {
        Some(g) => (guid(site, meta, g), false),
        None => (link.clone(), true),
    };
    let author = match &post.author {
        Some(a) => Author {
            name: clean(&a.name),
            email: a.email.as_deref().map(clean),
            uri: a.uri.as_deref().map(clean),
        },
        None => site.author.clone(),
    };
    Entry {
        title,
        link,
        id,
        id_is_link,
        date: meta.date,
        author,
        summary,
        content,
        categories: meta.categories.iter().map(|c| clean(c)).collect(),
        tags: meta.tags.iter().map(|t| clean(t)).collect(),
        source: match &post.source {
            // Only web links: a front-matter `javascript:` URL must not become a link.
            SourceLink::Url(u) => Some(encode_url(&clean(u)))
                .filter(|u| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))),
            _ => None,
        },
    }
}

/// A front-matter `guid`/`id` as an ASCII IRI: kept if it already is an
/// absolute URI, else made a `tag:` URI under the site's host.
fn guid(site: &Site, meta: &PostMeta, raw: &str) -> String {
    let raw = strip_invalid_xml(raw.trim());
    if url::Url::parse(&raw).is_ok_and(|u| !u.cannot_be_a_base() || u.scheme() == "urn" || u.scheme() == "tag") {
        return encode_url(&raw);
    }
    let host = url::Url::parse(&site.root)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    format!(
        "tag:{host},{}:{}",
        site.zone.at(meta.date).format("%Y"),
        encode_segment(&raw)
    )
}

/// What a feed says about itself.
#[derive(Debug, Clone)]
pub struct FeedHead {
    pub title: String,
    pub description: String,
    /// The site (or the site root) as the feed's alternate page.
    pub site_link: String,
    /// Where this feed is published, per format.
    pub self_link: String,
    pub updated: DateTime<FixedOffset>,
}

/// A feed's public URL.
pub fn feed_url(config: &Config, spec: &FeedSpec, format: Format) -> String {
    let path = feed_path(&config.layout, spec, format);
    let encoded: Vec<String> = path.split('/').map(encode_segment).collect();
    format!("{}/{}", config.site.root, encoded.join("/"))
}

pub fn head(config: &Config, spec: &FeedSpec, format: Format, updated: Option<DateTime<FixedOffset>>) -> FeedHead {
    let site = &config.site;
    let title = match spec.kind {
        FeedKind::Site => site.title.clone(),
        FeedKind::Category | FeedKind::Tag => {
            format!("{} · {}", site.title, strip_invalid_xml(&spec.name))
        }
    };
    let description = match spec.kind {
        FeedKind::Site => site.description.clone(),
        FeedKind::Category | FeedKind::Tag => {
            format!("{} · {}", strip_invalid_xml(&spec.name), site.description)
        }
    };
    FeedHead {
        title,
        description,
        site_link: format!("{}/", site.root),
        self_link: feed_url(config, spec, format),
        // An empty feed has no newest item; the epoch keeps output stable.
        updated: updated.unwrap_or_else(|| DateTime::UNIX_EPOCH.fixed_offset()),
    }
}

/// Render one artifact of `plan` from the entries of its items, in order.
pub fn artifact(config: &Config, plan: &Plan, artifact: &Artifact, entries: &[&Entry]) -> Vec<u8> {
    let bytes = match artifact.kind {
        ArtifactKind::Feed { feed: i, format } => feed(config, &plan.feeds[i], format, entries),
    };
    without_invalid_xml(bytes)
}

/// The last line of defence for "characters XML forbids never reach a
/// feed": whatever field one came through (a file or folder name, a
/// setting), it is left out of the written bytes. The writers put such
/// characters out raw, never inside markup, so dropping them keeps the
/// document well-formed. One fast scan when there are none.
fn without_invalid_xml(bytes: Vec<u8>) -> Vec<u8> {
    match String::from_utf8(bytes) {
        Ok(text) if first_invalid_xml_char(&text).is_none() => text.into_bytes(),
        Ok(text) => strip_invalid_xml(&text).into_bytes(),
        Err(e) => e.into_bytes(),
    }
}

/// Render one feed in one format.
fn feed(config: &Config, spec: &FeedSpec, format: Format, entries: &[&Entry]) -> Vec<u8> {
    let head = head(config, spec, format, entries.first().map(|e| e.date));
    match format {
        Format::Rss => rss::render(config, &head, entries),
        Format::Atom => atom::render(config, &head, entries),
    }
}
