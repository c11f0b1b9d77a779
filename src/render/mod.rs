//! The render step: posts into [`Entry`] values, and a plan's artifacts
//! into bytes, one file per format (`rss.rs`, `atom.rs`). Everything here
//! is pure: configuration and post data in, bytes out. The writers
//! (`rss.rs`, `opml.rs`, …) share only what `entry.rs`, `head.rs` and
//! `html.rs` hold, which import no writer and not this module.

pub mod atom;
pub mod directory;
pub mod entry;
pub mod feeds_index;
pub mod head;
pub mod html;
pub mod jekyll_data;
pub mod json_feed;
pub mod opml;
pub mod rss;

use entry::Entry;

use crate::author::Author;
use crate::config::{Config, ContentMode, Format, Site};
use crate::content::post::{LinkDate, Post, PostMeta, SourceLink};
use crate::markup::markdown_to_html;
use crate::model;
use crate::permalink::{self, encode_segment, encode_url, PermalinkParts};
use crate::plan::{Artifact, ArtifactKind, Plan};
use crate::xml_chars::{first_invalid_xml_char, strip_invalid_xml};

/// Longest summary, in characters.
const SUMMARY_CHARS: usize = 280;

/// The post's absolute URL on the site: the item's id unless front
/// matter gives one, and its link unless the post is archived.
pub fn post_link(site: &Site, meta: &PostMeta, post: &Post) -> String {
    permalink::link(&site.root, &page_path(site, meta, post))
}

/// An archived post's link: the page Jekyll publishes for the file in its
/// archive folder (`/old_post/<file name>.html` under the site's page
/// rules, or the post's own `permalink`). `None` for a post in `_posts/`.
pub fn archived_link(site: &Site, meta: &PostMeta, post: &Post) -> Option<String> {
    site.archive.folder_len(&meta.path)?;
    let own = post.jekyll.permalink.as_deref();
    let path = permalink::page_path(&meta.path, own, &site.permalink, site.jekyll);
    Some(permalink::link(&site.root, &path))
}

/// The post's URL path as Jekyll builds it (decoded): Jekyll's reading of
/// the file, which may differ from the feed's (see [`Post::jekyll`]).
pub fn page_path(site: &Site, meta: &PostMeta, post: &Post) -> String {
    let jekyll = &post.jekyll;
    let parts = PermalinkParts {
        categories: jekyll.categories.as_deref().unwrap_or(&meta.categories),
        date: match jekyll.date {
            LinkDate::AsFeed => site.zone.at(meta.date),
            LinkDate::Instant(d) => site.zone.at(d),
            LinkDate::LocalMidnight(day) => site.zone.localize(day.and_time(chrono::NaiveTime::MIN)),
        },
        slug: &jekyll.slug,
        name: permalink::file_stem(&meta.path),
        jekyll: site.jekyll,
    };
    permalink::expand(jekyll.permalink.as_deref().unwrap_or(&site.permalink), &parts)
}

/// Render one post into an [`Entry`].
pub fn entry(site: &Site, meta: &PostMeta, post: &Post) -> Entry {
    // A post moved to an archive folder keeps the id it had in `_posts/`
    // (the move never makes a duplicate in a reader) and links its page.
    let post_url = post_link(site, meta, post);
    let link = archived_link(site, meta, post).unwrap_or_else(|| post_url.clone());
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
        html::sanitize(&raw_html, base.as_ref().ok(), Some(&link))
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
        // Through the HTML parser, as the content goes: every entity
        // (`&mdash;`) is decoded once, the same for RSS and Atom.
        Some(e) => html::truncate(
            &clean(&html::text_of(&html::sanitize(e, base.as_ref().ok(), None))),
            SUMMARY_CHARS,
        ),
        None => html::truncate(&html::first_paragraph(&content), SUMMARY_CHARS),
    };
    let (id, id_is_link) = match &post.guid {
        Some(g) => (guid(site, meta, g), false),
        None => {
            let is_link = post_url == link;
            (post_url, is_link)
        }
    };
    let author = match &post.author {
        Some(a) => Author {
            name: clean(&a.name),
            email: a.email.as_deref().map(clean),
            uri: a.uri.as_deref().map(clean),
        },
        None => site.author.clone(),
    };
    let image = post
        .image
        .as_deref()
        .and_then(|i| absolute_url(site, &clean(i)))
        .or_else(|| html::first_image(&content));
    Entry {
        image,
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
            // Written as the URL parser serialises it: a non-ASCII host in
            // punycode (IDNA), as every browser sends it.
            SourceLink::Url(u) => url::Url::parse(&encode_url(&clean(u)))
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(String::from),
            _ => None,
        },
    }
}

/// A URL written by a user (`/img/a.png`, `//cdn/a.png`, `https://…`) as an
/// absolute http(s) URL on the site, or `None` when it is not a web URL.
pub fn absolute_url(site: &Site, raw: &str) -> Option<String> {
    let raw = raw.trim();
    let url = if let Some(rest) = raw.strip_prefix("//") {
        let scheme = site.root.split(':').next().unwrap_or("https");
        format!("{scheme}://{rest}")
    } else if url::Url::parse(raw).is_ok() {
        raw.to_string()
    } else {
        format!("{}/{}", site.root, raw.trim_start_matches('/'))
    };
    let url = encode_url(&url);
    url::Url::parse(&url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        .then_some(url)
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

/// An artifact's bytes, and how many of the items offered it holds.
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub items: usize,
}

/// Render one artifact of `plan` from the entries of its items, in order.
pub fn artifact(config: &Config, plan: &Plan, artifact: &Artifact, entries: &[&Entry]) -> Rendered {
    let mut rendered = match artifact.kind {
        ArtifactKind::Feed { feed: i, format } => feed(config, plan, i, format, entries),
        ArtifactKind::Opml => listing(opml::render(config, &plan.listing)),
        ArtifactKind::FeedsJson => listing(feeds_index::render(config, &plan.listing)),
        ArtifactKind::Directory => listing(directory::render(config, &plan.listing)),
    };
    // Only ever shorter: a `max_bytes` cut still holds.
    rendered.bytes = without_invalid_xml(rendered.bytes);
    rendered
}

/// The last line of defence for "characters XML forbids never reach a
/// feed": whatever field one came through (a file or folder name, a
/// setting), it is left out of the written bytes. The writers put such
/// characters out raw, never inside markup, so dropping them keeps the
/// document well-formed. One fast scan when there are none.
/// The bytes are checked in place, with SIMD UTF-8 validation (every
/// written byte passes here; bench/README.md has what std's cost), and
/// copied only when something is dropped.
fn without_invalid_xml(bytes: Vec<u8>) -> Vec<u8> {
    match simdutf8::basic::from_utf8(&bytes) {
        Ok(text) if first_invalid_xml_char(text).is_some() => strip_invalid_xml(text).into_bytes(),
        _ => bytes,
    }
}

/// A discovery file's bytes: it lists feeds, not items.
fn listing(bytes: Vec<u8>) -> Rendered {
    Rendered { bytes, items: 0 }
}

/// Render one feed in one format, with as many of `entries` (newest
/// first) as fit in the kind's `max_bytes`: the cap holds for the bytes
/// written, in each format.
fn feed(config: &Config, plan: &Plan, i: usize, format: Format, entries: &[&Entry]) -> Rendered {
    let spec = &plan.feeds[i];
    let settings = model::settings(spec.kind, &config.feeds);
    // The newest date of all items (the first item is the one that appeared
    // last, which a post Jekyll published late can be).
    let head = head::head(
        config,
        spec,
        &plan.pages[i],
        format,
        entries.iter().map(|e| e.date).max(),
    );
    let render = |items: &[&Entry]| match format {
        Format::Rss => rss::render(config, &head, &plan.names, settings.content, items),
        Format::Atom => atom::render(config, &head, &plan.names, settings.content, items),
        Format::JsonFeed => json_feed::render(config, &head, settings.content, items),
    };
    let max = usize::try_from(settings.max_bytes).unwrap_or(usize::MAX);
    // The text alone (escaping only adds to it) tells a feed that cannot
    // fit without rendering it whole.
    let text: usize = entries
        .iter()
        .map(|e| {
            let content = if settings.content == ContentMode::Full {
                e.content.len()
            } else {
                0
            };
            e.title.len() + e.summary.len() + content
        })
        .sum();
    if text <= max {
        let bytes = render(entries);
        if bytes.len() <= max {
            return Rendered {
                bytes,
                items: entries.len(),
            };
        }
    }
    // Over the cap: an item adds the same bytes alone as among others, so
    // measure each once and keep the newest that fit; re-check the result.
    let empty = render(&[]).len();
    let mut room = max.saturating_sub(empty);
    let mut n = 0;
    for e in entries {
        let size = render(std::slice::from_ref(e)).len().saturating_sub(empty);
        if size > room {
            break;
        }
        room -= size;
        n += 1;
    }
    loop {
        let bytes = render(&entries[..n]);
        if bytes.len() <= max || n == 0 {
            return Rendered { bytes, items: n };
        }
        n -= 1;
    }
}
