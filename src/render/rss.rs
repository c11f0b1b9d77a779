//! RSS 2.0 with the content and atom namespaces, built with the `rss` crate.

use std::collections::BTreeMap;

use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{CategoryBuilder, ChannelBuilder, GuidBuilder, ItemBuilder, SourceBuilder};

use super::{Entry, FeedHead};
use crate::config::Config;
use crate::content::date::rfc822;

pub fn render(config: &Config, head: &FeedHead, entries: &[&Entry]) -> Vec<u8> {
    let items = entries.iter().map(|e| item(e)).collect::<Vec<_>>();
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
    let channel = ChannelBuilder::default()
        .title(head.title.clone())
        .link(head.site_link.clone())
        .description(head.description.clone())
        .language(config.site.lang.clone())
        .last_build_date(Some(rfc822(&head.updated)))
        .generator(Some(generator()))
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

fn item(e: &Entry) -> rss::Item {
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
        // Readers show `author` only with an email; `dc:creator` names anyone.
        .dublin_core_ext(Some(DublinCoreExtension {
            creators: vec![e.author.name.clone()],
            ..DublinCoreExtension::default()
        }))
        // Readers take an RSS description as HTML: escape the plain-text
        // summary once more so `a<b && c>d` shows as written.
        .description(Some(escape_html(&e.summary)))
        .content(Some(e.content.clone()))
        .categories(categories)
        .source(source)
        .build()
}

/// Plain text as HTML that displays it: `&`, `<` and `>` as entities.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_html;

    #[test]
    fn summaries_survive_being_read_as_html() {
        assert_eq!(escape_html("a<b && c>d"), "a&lt;b &amp;&amp; c&gt;d");
        assert_eq!(escape_html("东财 · 滚动"), "东财 · 滚动");
    }
}
