//! `index.html`: the feed directory for people. One static page listing
//! every feed with its subscribe links, post count and newest date, in
//! Chinese or English after the site's `lang`. Complete without
//! JavaScript; a small inline script adds a filter box. No external
//! resources; void elements are closed (`<meta/>`), so XML parsers read
//! it too. Links to the feeds are relative to the page (it sits at the
//! root of the feeds), which keeps 4,000 rows small.

use std::fmt::Write;

use super::head::{generator, listed_title};
use super::html::escape_markup;
use crate::config::{Config, Format};
use crate::plan::{feed_path, Listed, FEEDS_JSON_FILE, OPML_FILE};
use crate::taxonomy::FeedKind;

/// The page's words, in one language.
struct Words {
    lang: &'static str,
    heading: &'static str,
    intro: &'static str,
    filter: &'static str,
    shown: &'static str,
    name: &'static str,
    posts: &'static str,
    latest: &'static str,
    subscribe: &'static str,
    groups: [&'static str; 3],
}

const ZH: Words = Words {
    lang: "zh-CN",
    heading: "订阅源",
    intro: "在阅读器中订阅下列链接。一次导入全部：",
    filter: "按名称筛选",
    shown: "个订阅源",
    name: "名称",
    posts: "文章数",
    latest: "最新",
    subscribe: "订阅",
    groups: ["全站", "分类", "标签"],
};

const EN: Words = Words {
    lang: "en",
    heading: "Feeds",
    intro: "Subscribe to a link below in your feed reader. Import them all at once:",
    filter: "Filter by name",
    shown: "feeds",
    name: "Name",
    posts: "Posts",
    latest: "Latest",
    subscribe: "Subscribe",
    groups: ["Site", "Categories", "Tags"],
};

/// Whether the site's `lang` is Chinese (`zh`, `zh-CN`, `zh-Hant`, …).
pub fn is_chinese(config: &Config) -> bool {
    config
        .site
        .lang
        .as_deref()
        .is_some_and(|l| l == "zh" || l.starts_with("zh-"))
}

const STYLE: &str =
    "body{font:15px/1.5 system-ui,sans-serif;margin:1.5em auto;max-width:60em;padding:0 1em;color:#222}\
table{border-collapse:collapse;width:100%;table-layout:fixed}th:nth-child(2){width:5em}\
th:nth-child(3){width:9.5em}th:nth-child(4){width:10em}td{overflow-wrap:anywhere}th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid #ddd}\
td.n{text-align:right}small{color:#666}input{font:inherit;padding:.3em;width:20em;max-width:100%}";

/// Filter rows by the text of their name cell; show how many match, and
/// hide a group with no match.
const SCRIPT: &str = "(function(){var q=document.getElementById('q'),c=document.getElementById('shown'),\
r=[].slice.call(document.querySelectorAll('tbody tr')),k=r.map(function(t){return t.cells[0].textContent.toLowerCase()});\
q.closest('p').hidden=false;q.addEventListener('input',function(){var v=q.value.trim().toLowerCase(),n=0;\
r.forEach(function(t,i){var m=k[i].indexOf(v)>=0;t.hidden=!m;if(m)n++});c.textContent=n;\
[].forEach.call(document.querySelectorAll('section'),function(s){s.hidden=!s.querySelector('tbody tr:not([hidden])')})})})();";

pub fn render(config: &Config, listing: &[Listed]) -> Vec<u8> {
    let w = if is_chinese(config) { &ZH } else { &EN };
    let site = escape_markup(&config.site.title);
    let mut out = String::with_capacity(256 * listing.len() + 4096);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <meta name=\"generator\" content=\"{}\"/>\n\
         <title>{site} · {}</title>\n",
        w.lang,
        generator(),
        w.heading
    );
    if let Some(site_feed) = listing.iter().find(|l| l.spec.kind == FeedKind::Site) {
        for &format in &config.formats {
            let _ = writeln!(
                out,
                "<link rel=\"alternate\" type=\"{}\" title=\"{site}\" href=\"{}\"/>",
                format.media_type(),
                href(&feed_path(&config.layout, &site_feed.spec, format))
            );
        }
    }
    let _ = write!(
        out,
        "<style>{STYLE}</style>\n</head>\n<body>\n<h1>{site} · {}</h1>\n\
         <p>{} <a href=\"{OPML_FILE}\">{OPML_FILE}</a> (OPML) · <a href=\"{FEEDS_JSON_FILE}\">{FEEDS_JSON_FILE}</a></p>\n\
         <p hidden=\"hidden\"><label>{} <input id=\"q\" type=\"search\" autocomplete=\"off\"/></label> \
         <span id=\"shown\">{}</span> {}</p>\n",
        w.heading,
        w.intro,
        w.filter,
        listing.len(),
        w.shown
    );
    for (kind, group) in [FeedKind::Site, FeedKind::Category, FeedKind::Tag]
        .into_iter()
        .zip(w.groups)
    {
        let feeds: Vec<&Listed> = listing.iter().filter(|l| l.spec.kind == kind).collect();
        if feeds.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<section>\n<h2>{group}</h2>\n<table>\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            w.name, w.posts, w.latest, w.subscribe
        );
        for l in feeds {
            row(&mut out, config, l);
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body>\n</html>\n");
    out.into_bytes()
}

/// One feed: name (linked to its page), raw name when it differs, post
/// count, newest date, and one link per format.
fn row(out: &mut String, config: &Config, l: &Listed) {
    let name = match l.spec.kind {
        FeedKind::Site => listed_title(config, l),
        FeedKind::Category | FeedKind::Tag => l.display_name().to_string(),
    };
    out.push_str("<tr><td>");
    match &l.page.url {
        Some(url) => {
            let _ = write!(out, "<a href=\"{}\">{}</a>", escape_markup(url), escape_markup(&name));
        }
        None => out.push_str(&escape_markup(&name)),
    }
    if l.page.title.is_some() && l.spec.name != name {
        let _ = write!(out, " <small>{}</small>", escape_markup(&l.spec.name));
    }
    let latest = l
        .newest
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let _ = write!(out, "</td><td class=\"n\">{}</td><td>{latest}</td><td>", l.spec.total);
    for (i, &format) in config.formats.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(
            out,
            "<a href=\"{}\" type=\"{}\">{}</a>",
            href(&feed_path(&config.layout, &l.spec, format)),
            format.media_type(),
            label(format)
        );
    }
    out.push_str("</td></tr>\n");
}

fn label(format: Format) -> &'static str {
    match format {
        Format::Rss => "RSS",
        Format::Atom => "Atom",
        Format::JsonFeed => "JSON",
    }
}

/// A relative path as an `href`: characters a URL reserves or forbids are
/// percent-encoded; other non-ASCII stays UTF-8 (browsers encode it), three
/// bytes a Chinese character instead of nine.
fn href(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_alphanumeric()
            || "-._~/!$'()*+,;=@".contains(c)
            || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
        {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    escape_markup(&out)
}

#[cfg(test)]
mod tests {
    use super::href;

    #[test]
    fn hrefs_encode_what_urls_reserve_and_keep_chinese() {
        assert_eq!(href("category/证券时报/rss.xml"), "category/证券时报/rss.xml");
        assert_eq!(href("tag/a b&c?#%:\"/rss.xml"), "tag/a%20b%26c%3F%23%25%3A%22/rss.xml");
    }
}
