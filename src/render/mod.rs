//! The render step: posts into [`Entry`] values, and a plan's artifacts
//! into bytes, one file per format (`rss.rs`, `atom.rs`). Everything here
//! is pure: configuration and post data in, bytes out. The writers
//! (`rss.rs`, `opml.rs`, …) share only what `entry.rs`, `head.rs` and
//! `html.rs` hold, which import no writer and not this module.

pub mod atom;
pub mod directory;
pub mod entry;
pub mod feeds_index;
pub mod fit;
pub mod head;
pub mod html;
pub mod jekyll_data;
pub mod json_feed;
pub mod opml;
pub mod rss;

use chrono::{DateTime, FixedOffset};
use entry::Entry;
use head::FeedHead;
use rayon::prelude::*;

use crate::author::Author;
use crate::config::{Config, ContentMode, Format, Site};
use crate::content::post::{Post, PostMeta, SourceLink};
use crate::markup::markdown_to_html;
use crate::model;
use crate::permalink::{self, encode_segment, encode_url};
use crate::plan::{Artifact, ArtifactKind, Plan};
use crate::taxonomy::FeedKind;
use crate::xml_chars::{has_invalid_xml, strip_invalid_xml};

/// Entries a feed asks for at once (read and rendered in parallel).
const PREFETCH: usize = 32;

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
    model::reading_path(site, meta, &post.jekyll)
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
        summary_only: false,
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

/// An artifact's bytes, and what became of the items offered it.
#[derive(Debug, Default)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    /// Items written (short forms included).
    pub items: usize,
    /// Posts written whole: their entries are worth keeping in the cache.
    pub whole: Vec<usize>,
    /// Posts written with their summary and link only (too large for the cap).
    pub shortened: Vec<usize>,
    /// Posts too large for the cap even so: left out.
    pub left_out: Vec<usize>,
    /// Posts asked for that could not be read again.
    pub unread: Vec<usize>,
}

/// A feed whose head alone (title, description, links) is over its
/// `max_bytes`: it cannot be written at all.
#[derive(Debug)]
pub struct HeadTooBig {
    pub bytes: usize,
    pub max: u64,
    /// What makes it so large, in words.
    pub cause: String,
}

/// A post's entry, rendered at most once a run and asked for only when a
/// feed reaches it: `None` when it could not be read again.
pub type Entries<'e> = dyn Fn(usize) -> Option<&'e Entry> + Sync + 'e;

/// Render one artifact of `plan`, taking the entries of its items (newest
/// first) from `get` only as far as its cap reaches. `updated` is the
/// newest date of all its items.
pub fn artifact<'e>(
    config: &Config,
    plan: &Plan,
    artifact: &Artifact,
    get: &Entries<'e>,
    updated: Option<DateTime<FixedOffset>>,
) -> Result<Rendered, HeadTooBig> {
    let mut rendered = match artifact.kind {
        ArtifactKind::Feed { feed: i, format } => feed(config, plan, (i, format), get, updated)?,
        ArtifactKind::Opml => listing(opml::render(config, &plan.listing)),
        ArtifactKind::FeedsJson => listing(feeds_index::render(config, &plan.listing)),
        ArtifactKind::Directory => listing(directory::render(config, &plan.listing)),
    };
    // Only ever shorter: a `max_bytes` cut still holds.
    rendered.bytes = without_invalid_xml(rendered.bytes);
    Ok(rendered)
}

/// The last line of defence for "characters XML forbids never reach a
/// feed": whatever field one came through (a file or folder name, a
/// setting), it is left out of the written bytes. The writers put such
/// characters out raw, never inside markup, so dropping them keeps the
/// document well-formed. One fast scan when there are none.
/// The bytes are scanned in place (every written byte passes here), and
/// validated as UTF-8 (SIMD: bench/README.md has what std's cost) and
/// copied only when something is to be dropped.
fn without_invalid_xml(bytes: Vec<u8>) -> Vec<u8> {
    if !has_invalid_xml(&bytes) {
        return bytes;
    }
    match simdutf8::basic::from_utf8(&bytes) {
        Ok(text) => strip_invalid_xml(text).into_bytes(),
        Err(_) => bytes,
    }
}

/// A discovery file's bytes: it lists feeds, not items.
fn listing(bytes: Vec<u8>) -> Rendered {
    Rendered {
        bytes,
        ..Rendered::default()
    }
}

/// Render one feed in one format, with as many of its items (newest
/// first) as fit in the kind's `max_bytes`: the cap holds for the bytes
/// written, in each format, and an item too large for it alone is written
/// short ([`fit`]). Entries are asked for only while their text alone
/// leaves room, so a window of any length costs about the cap.
fn feed<'e>(
    config: &Config,
    plan: &Plan,
    (i, format): (usize, Format),
    get: &Entries<'e>,
    updated: Option<DateTime<FixedOffset>>,
) -> Result<Rendered, HeadTooBig> {
    let spec = &plan.feeds[i];
    let settings = model::settings(spec.kind, &config.feeds);
    let head = head::head(config, spec, &plan.pages[i], format, updated);
    let render = |head: &FeedHead, items: &[&Entry]| match format {
        Format::Rss => rss::render(config, head, &plan.names, settings.content, items),
        Format::Atom => atom::render(config, head, &plan.names, settings.content, items),
        Format::JsonFeed => json_feed::render(config, head, settings.content, items),
    };
    let max = usize::try_from(settings.max_bytes).unwrap_or(usize::MAX);
    let empty = render(&head, &[]).len();
    if empty > max {
        return Err(HeadTooBig {
            bytes: empty,
            max: settings.max_bytes,
            cause: head_cause(config, spec, &plan.pages[i]),
        });
    }
    let room = max - empty;
    let full = settings.content == ContentMode::Full;
    let least = |e: &Entry| least_bytes(format, &plan.names, full, e);
    if let Some(rendered) = whole_feed(&spec.items, get, &least, room, |items| {
        Some(render(&head, items)).filter(|b| b.len() <= max)
    }) {
        return Ok(rendered);
    }
    // Over the cap: measure the items against a bare head after a probe
    // item with an image, where each adds exactly what it adds to this
    // feed; the room leaves space for the one declaration (Media RSS)
    // the probe carries, which the feed may need once.
    let bare = FeedHead {
        title: String::new(),
        description: String::new(),
        site_link: String::new(),
        self_link: String::new(),
        updated: head.updated,
        claim: None,
    };
    let probe = probe(head.updated);
    let base = render(&bare, &[&probe]).len();
    let extra = |items: &[&Entry]| {
        let with: Vec<&Entry> = std::iter::once(&probe).chain(items.iter().copied()).collect();
        render(&bare, &with).len().saturating_sub(base)
    };
    let probe_bytes = base.saturating_sub(render(&bare, &[]).len());
    let declared = render(&head, &[&probe]).len().saturating_sub(probe_bytes);
    let room = max.saturating_sub(declared.max(empty));
    let measure = fit::Measure {
        extra: &extra,
        least: &least,
    };
    let mut fit = fit::fit(&spec.items, get, &measure, room);
    // The measures add up to the feed's size; should they not, the last
    // items go until the cap holds (with none it does).
    loop {
        let items: Vec<&Entry> = fit.items.iter().map(|(_, e)| e.as_ref()).collect();
        let bytes = render(&head, &items);
        if bytes.len() <= max || items.is_empty() {
            drop(items);
            return Ok(fitted(bytes, fit));
        }
        fit.items.pop();
    }
}

/// The smallest item with an image: what [`feed`] measures the others after.
fn probe(date: DateTime<FixedOffset>) -> Entry {
    Entry {
        title: String::new(),
        link: String::new(),
        id: String::new(),
        id_is_link: false,
        date,
        author: Author::default(),
        summary: String::new(),
        content: String::new(),
        categories: Vec::new(),
        tags: Vec::new(),
        source: None,
        image: Some("https://probe.invalid/".to_string()),
        summary_only: false,
    }
}

/// The feed with every item, when their text alone leaves `room` and the
/// file (`render`) holds them; `None` otherwise, having read no more
/// entries than fit in `room`.
fn whole_feed<'e>(
    posts: &[usize],
    get: &Entries<'e>,
    least_bytes: &dyn Fn(&Entry) -> usize,
    room: usize,
    render: impl Fn(&[&Entry]) -> Option<Vec<u8>>,
) -> Option<Rendered> {
    let mut least = 0usize;
    let mut items: Vec<&Entry> = Vec::new();
    let mut whole = Vec::new();
    let mut unread = Vec::new();
    for chunk in posts.chunks(PREFETCH) {
        // Read and rendered on every core, a chunk at a time.
        chunk.par_iter().for_each(|&p| {
            get(p);
        });
        for &p in chunk {
            match get(p) {
                None => unread.push(p),
                Some(e) => {
                    least = least.saturating_add(least_bytes(e));
                    if least > room {
                        return None;
                    }
                    items.push(e);
                    whole.push(p);
                }
            }
        }
    }
    let bytes = render(&items)?;
    Some(Rendered {
        bytes,
        items: items.len(),
        whole,
        unread,
        ..Rendered::default()
    })
}

/// Bytes an item adds to a feed in `format` at least: every text of it
/// the writer puts out (escaping only adds), display names included (an
/// Atom category's label, the outlet named by a source link), which a
/// post can carry a hundred of.
fn least_bytes(format: Format, names: &crate::names::DisplayNames, full: bool, e: &Entry) -> usize {
    let len = |s: Option<&String>| s.map_or(0, String::len);
    let outlet = match &e.source {
        Some(_) => entry::outlet_name(names, e).map_or(0, str::len),
        None => 0,
    };
    let extra = match format {
        Format::Rss => len(e.author.email.as_ref()) + outlet,
        Format::Atom => {
            let labels: usize = (e.categories.iter().map(|c| (FeedKind::Category, c)))
                .chain(e.tags.iter().map(|t| (FeedKind::Tag, t)))
                .map(|(kind, term)| names.display(kind, term).map_or(term.len(), str::len))
                .sum();
            len(e.author.email.as_ref()) + len(e.author.uri.as_ref()) + labels + outlet
        }
        Format::JsonFeed => len(e.author.uri.as_ref()),
    };
    e.least_bytes(full) + extra
}

/// What a fit became, once written.
fn fitted(bytes: Vec<u8>, fit: fit::Fit) -> Rendered {
    let written: std::collections::HashSet<usize> = fit.items.iter().map(|(p, _)| *p).collect();
    let whole = fit
        .items
        .iter()
        .filter(|(_, e)| matches!(e, std::borrow::Cow::Borrowed(_)))
        .map(|(p, _)| *p)
        .collect();
    Rendered {
        bytes,
        items: fit.items.len(),
        whole,
        shortened: fit.shortened.into_iter().filter(|p| written.contains(p)).collect(),
        left_out: fit.left_out,
        unread: fit.unread,
    }
}

/// What makes a feed's head large: the longest of the texts it carries.
fn head_cause(config: &Config, spec: &model::FeedSpec, page: &crate::names::FeedPage) -> String {
    let site = &config.site;
    let name = page.title.as_deref().unwrap_or(&spec.name);
    let kind = spec.kind.name();
    let mut causes = vec![
        (site.title.len(), "the site's `title`".to_string()),
        (site.description.len(), "the site's `description`".to_string()),
        (
            page.url.as_deref().map_or(0, str::len),
            "the link to its page".to_string(),
        ),
    ];
    if spec.kind != FeedKind::Site {
        let mut shown: String = name.chars().take(40).collect();
        if shown.len() < name.len() {
            shown.push('…');
        }
        let what = format!("the name of the {kind} `{shown}` (its page's `title`, `feedgen.names` or the posts)");
        causes.push((name.len(), what));
    }
    let (bytes, what) = causes.into_iter().max_by_key(|(n, _)| *n).unwrap_or_default();
    format!("{what} is {bytes} bytes")
}
