//! RSS 2.0 with the content and atom namespaces, built with the `rss` crate.

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::syndication::{self, SyndicationExtension};
use rss::{CategoryBuilder, ChannelBuilder, GuidBuilder, ItemBuilder, SourceBuilder};

use super::{Entry, FeedHead};
use crate::config::{Config, ContentMode};
use crate::content::date::rfc822;

pub fn render(config: &Config, head: &FeedHead, content: ContentMode, entries: &[&Entry]) -> Vec<u8> {
    let items = entries.iter().map(|e| item(e, content)).collect::<Vec<_>>();
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
                frequency: poll.update_frequency.and_then(|f| u32::try_from(f).ok()).unwrap_or(1),
                // The module's own default base; the writer always writes one.
                base: "1970-01-01T00:00+00:00".to_string(),
            }
        });
    let channel = ChannelBuilder::default()
        .title(head.title.clone())
        .link(head.site_link.clone())
        .description(head.description.clone())
        .language(config.site.lang.clone())
        .last_build_date(Some(rfc822(&head.updated)))
        .generator(Some(generator()))
        .ttl(poll.ttl.map(|minutes| minutes.to_string()))
        .syndication_ext(syndication)
        .namespaces(namespaces)
        .atom_ext(Some(AtomExtension { links }))
        .items(items)
        .build();
    let mut out = channel.pretty_write_to(Vec::new(), b' ', 2).unwrap_or_default();
    out.push(b'\n');
    out
}

pub fn generator() -> String {
    format!("feedgen {}", env!("CARGO_PKG_VERSION"))
}

fn item(e: &Entry, content: ContentMode) -> rss::Item {
    let categories = e
        .categories
        .iter()
        .chain(&e.tags)
        .map(|name| CategoryBuilder::default().name(name.clone()).build())
        .collect::<Vec<_>>();
    let source = e.source.as_ref().map(|url| {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| url.clone());
        SourceBuilder::default().url(url.clone()).title(Some(host)).build()
    });
    ItemBuilder::default()
        .title(Some(e.title.clone()))
        .link(Some(e.link.clone()))
        .guid(Some(
            GuidBuilder::default()
                .value(e.id.clone())
                .permalink(e.id_is_link)
                .build(),
        ))
        .pub_date(Some(rfc822(&e.date)))
        .author(e.author.email.as_ref().map(|m| format!("{m} ({})", e.author.name)))
        .description(Some(e.summary.clone()))
        .content((content == ContentMode::Full).then(|| e.content.clone()))
        .categories(categories)
        .source(source)
        .build()
}
