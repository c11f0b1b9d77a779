//! RSS 2.0 with the content and atom namespaces, built with the `rss` crate.

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::syndication::{self, SyndicationExtension};
use rss::extension::{Extension, ExtensionMap};
use rss::{CategoryBuilder, GuidBuilder, ImageBuilder, SourceBuilder};

use super::entry::{media_elements, outlet_name, Entry, MEDIA_NS};
use super::head::{generator, FeedHead};
use super::html::escape_markup;
use crate::config::{Claim, Config, ContentMode};
use crate::content::date::rfc822;
use crate::names::DisplayNames;

pub fn render(
    config: &Config,
    head: &FeedHead,
    names: &DisplayNames,
    content: ContentMode,
    entries: &[&Entry],
) -> Vec<u8> {
    let items = entries.iter().map(|e| item(e, names, content)).collect::<Vec<_>>();
    let mut links = vec![Link {
        href: head.self_link.clone(),
        rel: "self".into(),
        mime_type: Some("application/rss+xml".into()),
        ..Link::default()
    }];
    if let Some(hub) = &config.site.hub {
        links.push(Link {
            href: hub.clone(),
            rel: "hub".into(),
            ..Link::default()
        });
    }
    let mut namespaces = BTreeMap::new();
    namespaces.insert("atom".to_string(), "http://www.w3.org/2005/Atom".to_string());
    if entries.iter().any(|e| e.image.is_some()) {
        namespaces.insert("media".to_string(), MEDIA_NS.to_string());
    }
    // RSS has one channel image; readers show it as the feed's icon.
    let image = config.site.icon.as_ref().or(config.site.logo.as_ref()).map(|url| {
        ImageBuilder::default()
            .url(url.clone())
            .title(head.title.clone())
            .link(head.site_link.clone())
            .build()
    });
    let poll = &config.poll;
    let syndication = poll
        .update_period
        .as_deref()
        .and_then(|p| p.parse().ok())
        .map(|period| {
            if !namespaces.values().any(|n| n == syndication::NAMESPACE) {
                namespaces.insert("sy".to_string(), syndication::NAMESPACE.to_string());
            }
            SyndicationExtension {
                period,
                // The module's default when only the period is set.
                frequency: poll.update_frequency.unwrap_or(1),
                // The module's own default base; the writer always writes one.
                base: "1970-01-01T00:00+00:00".to_string(),
            }
        });
    // Built in place, not with `ChannelBuilder`/`ItemBuilder`, whose `build`
    // clones every field: each item's whole text, twice per feed.
    let channel = rss::Channel {
        title: head.title.clone(),
        link: head.site_link.clone(),
        description: head.description.clone(),
        language: config.site.lang.clone(),
        last_build_date: Some(rfc822(&head.updated)),
        generator: Some(generator()),
        ttl: poll.ttl.map(|minutes| minutes.to_string()),
        syndication_ext: syndication,
        namespaces,
        atom_ext: Some(AtomExtension { links }),
        image,
        extensions: head.claim.as_ref().map(follow_challenge).unwrap_or_default(),
        items,
        ..rss::Channel::default()
    };
    let mut out = channel.pretty_write_to(Vec::new(), b' ', 2).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Folo's feed claim, `<follow_challenge><feedId/><userId/></follow_challenge>`.
fn follow_challenge(claim: &Claim) -> ExtensionMap {
    let text = |name: &str, value: &str| Extension {
        name: name.to_string(),
        value: Some(value.to_string()),
        ..Extension::default()
    };
    let mut children = BTreeMap::new();
    children.insert("feedId".to_string(), vec![text("feedId", &claim.feed_id)]);
    children.insert("userId".to_string(), vec![text("userId", &claim.user_id)]);
    let challenge = Extension {
        name: "follow_challenge".to_string(),
        children,
        ..Extension::default()
    };
    let mut inner = BTreeMap::new();
    inner.insert("follow_challenge".to_string(), vec![challenge]);
    let mut map = ExtensionMap::new();
    map.insert(String::new(), inner);
    map
}

/// An item's image as Media RSS extensions.
fn media(url: &str) -> ExtensionMap {
    let mut inner = BTreeMap::new();
    for element in media_elements(url) {
        let extension = Extension {
            name: element.qualified.to_string(),
            attrs: element.attrs,
            ..Extension::default()
        };
        inner.insert(element.local.to_string(), vec![extension]);
    }
    let mut map = ExtensionMap::new();
    map.insert("media".to_string(), inner);
    map
}

fn item(e: &Entry, names: &DisplayNames, content: ContentMode) -> rss::Item {
    let categories = e
        .categories
        .iter()
        .chain(&e.tags)
        .map(|name| CategoryBuilder::default().name(name.clone()).build())
        .collect::<Vec<_>>();
    let source = e.source.as_ref().map(|url| {
        // The outlet by its display name, as Google News names a publisher;
        // else the source's host.
        let name = outlet_name(names, e).map(str::to_string).unwrap_or_else(|| {
            url::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| url.clone())
        });
        SourceBuilder::default().url(url.clone()).title(Some(name)).build()
    });
    rss::Item {
        title: Some(e.title.clone()),
        link: Some(e.link.clone()),
        guid: Some(
            GuidBuilder::default()
                .value(e.id.clone())
                .permalink(e.id_is_link)
                .build(),
        ),
        pub_date: Some(rfc822(&e.date)),
        author: e.author.email.as_ref().map(|m| format!("{m} ({})", e.author.name)),
        // Readers show `author` only with an email; `dc:creator` names anyone.
        dublin_core_ext: Some(DublinCoreExtension {
            creators: vec![e.author.name.clone()],
            ..DublinCoreExtension::default()
        }),
        // Readers take an RSS description as HTML: escape the plain-text
        // summary once more so `a<b && c>d` shows as written.
        description: Some(escape_markup(&e.summary)),
        content: e.full_text(content).then(|| e.content.clone()),
        categories,
        source,
        extensions: e.image.as_deref().map(media).unwrap_or_default(),
        ..rss::Item::default()
    }
}

#[cfg(test)]
mod tests {
    use super::escape_markup;

    #[test]
    fn summaries_survive_being_read_as_html() {
        assert_eq!(escape_markup("a<b && c>d"), "a&lt;b &amp;&amp; c&gt;d");
        assert_eq!(escape_markup("东财 · 滚动"), "东财 · 滚动");
    }
}
