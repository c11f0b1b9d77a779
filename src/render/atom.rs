//! Atom 1.0 (RFC 4287), built with the `atom_syndication` crate.

use std::collections::BTreeMap;

use atom_syndication::extension::{Extension, ExtensionMap};
use atom_syndication::{CategoryBuilder, GeneratorBuilder, LinkBuilder, PersonBuilder, Text, WriteConfig};

use super::entry::{media_elements, outlet_name, Entry, MEDIA_NS};
use super::head::FeedHead;
use super::html::escape_markup;
use crate::author::Author;
use crate::config::{Config, ContentMode};
use crate::names::DisplayNames;
use crate::taxonomy::FeedKind;

pub fn render(
    config: &Config,
    head: &FeedHead,
    names: &DisplayNames,
    content: ContentMode,
    entries: &[&Entry],
) -> Vec<u8> {
    let mut links = vec![
        LinkBuilder::default()
            .href(head.self_link.clone())
            .rel("self")
            .mime_type(Some("application/atom+xml".into()))
            .build(),
        LinkBuilder::default()
            .href(head.site_link.clone())
            .rel("alternate")
            .mime_type(Some("text/html".into()))
            .build(),
    ];
    if let Some(hub) = &config.site.hub {
        links.push(LinkBuilder::default().href(hub.clone()).rel("hub").build());
    }
    let mut namespaces = BTreeMap::new();
    if entries.iter().any(|e| e.image.is_some()) {
        namespaces.insert("media".to_string(), MEDIA_NS.to_string());
    }
    // Built in place, not with `FeedBuilder`/`EntryBuilder`, whose `build`
    // clones every field: each entry's whole text, twice per feed.
    let feed = atom_syndication::Feed {
        id: head.self_link.clone(),
        title: Text::plain(head.title.clone()),
        subtitle: Some(Text::plain(head.description.clone())),
        updated: head.updated,
        links,
        authors: vec![person(&config.site.author)],
        generator: Some(
            GeneratorBuilder::default()
                .value("feedgen")
                .version(Some(env!("CARGO_PKG_VERSION").to_string()))
                .build(),
        ),
        lang: config.site.lang.clone(),
        icon: config.site.icon.clone(),
        logo: config.site.logo.clone(),
        entries: entries.iter().map(|e| entry(config, names, e, content)).collect(),
        namespaces,
        ..atom_syndication::Feed::default()
    };
    let write = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    let mut out = feed.write_with_config(Vec::new(), write).unwrap_or_default();
    out.push(b'\n');
    out
}

fn person(author: &Author) -> atom_syndication::Person {
    PersonBuilder::default()
        .name(author.name.clone())
        .email(author.email.clone())
        .uri(author.uri.clone())
        .build()
}

/// An entry's image as Media RSS, as RSS items carry it.
fn media(url: &str) -> ExtensionMap {
    let mut inner = BTreeMap::new();
    for element in media_elements(url) {
        // atom_syndication writes extension attributes as given, unescaped
        // (RSS's writer escapes them): a `&` in the URL must arrive escaped.
        let attrs = element.attrs.into_iter().map(|(k, v)| (k, escape_markup(&v))).collect();
        let extension = Extension {
            name: element.qualified.to_string(),
            attrs,
            ..Extension::default()
        };
        inner.insert(element.local.to_string(), vec![extension]);
    }
    let mut map = ExtensionMap::new();
    map.insert("media".to_string(), inner);
    map
}

fn entry(config: &Config, names: &DisplayNames, e: &Entry, content: ContentMode) -> atom_syndication::Entry {
    let root = &config.site.feeds_root;
    let mut links = vec![LinkBuilder::default()
        .href(e.link.clone())
        .rel("alternate")
        .mime_type(Some("text/html".into()))
        .build()];
    if let Some(source) = &e.source {
        // The outlet's display name, else the source's host.
        let title = outlet_name(names, e)
            .map(str::to_string)
            .or_else(|| url::Url::parse(source).ok()?.host_str().map(str::to_string));
        links.push(
            LinkBuilder::default()
                .href(source.clone())
                .rel("via")
                .title(title)
                .build(),
        );
    }
    let category = |kind: FeedKind, dir: &str, name: &String| {
        let label = names.display(kind, name).unwrap_or(name);
        CategoryBuilder::default()
            .term(name.clone())
            .scheme(Some(format!("{root}/{dir}/")))
            .label(Some(label.to_string()))
            .build()
    };
    let categories = e
        .categories
        .iter()
        .map(|c| category(FeedKind::Category, &config.layout.category_dir, c))
        .chain(
            e.tags
                .iter()
                .map(|t| category(FeedKind::Tag, &config.layout.tag_dir, t)),
        )
        .collect::<Vec<_>>();
    atom_syndication::Entry {
        id: e.id.clone(),
        title: Text::plain(e.title.clone()),
        published: Some(e.date),
        updated: e.date,
        authors: vec![person(&e.author)],
        links,
        categories,
        summary: Some(Text::plain(e.summary.clone())),
        // Summary mode: the entry's alternate link says where the whole post is.
        content: e.full_text(content).then(|| atom_syndication::Content {
            value: Some(e.content.clone()),
            content_type: Some("html".into()),
            ..atom_syndication::Content::default()
        }),
        extensions: e.image.as_deref().map(media).unwrap_or_default(),
        ..atom_syndication::Entry::default()
    }
}
