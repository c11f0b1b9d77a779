//! `feeds.opml` (OPML 2.0): every feed, grouped by kind, for a reader's
//! one-step import. One outline per feed, in the first configured format
//! (RSS, else Atom, else JSON Feed), so an import subscribes once.

use super::head::{generator, listed_page, listed_title, listed_urls};
use super::html::escape_markup;
use crate::config::Config;
use crate::content::date::rfc822;
use crate::plan::Listed;
use crate::taxonomy::FeedKind;

pub fn render(config: &Config, listing: &[Listed]) -> Vec<u8> {
    let zh = super::directory::is_chinese(config);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- generator: {} -->\n<opml version=\"2.0\">\n  <head>\n",
        generator()
    );
    out.push_str(&format!("    <title>{}</title>\n", escape_markup(&config.site.title)));
    if let Some(newest) = listing.iter().filter_map(|l| l.newest).max() {
        out.push_str(&format!("    <dateModified>{}</dateModified>\n", rfc822(&newest)));
    }
    out.push_str("  </head>\n  <body>\n");
    for (kind, group) in [
        (FeedKind::Site, if zh { "全站" } else { "Site" }),
        (FeedKind::Category, if zh { "分类" } else { "Categories" }),
        (FeedKind::Tag, if zh { "标签" } else { "Tags" }),
    ] {
        let feeds: Vec<&Listed> = listing.iter().filter(|l| l.spec.kind == kind).collect();
        if feeds.is_empty() {
            continue;
        }
        out.push_str(&format!("    <outline text=\"{group}\" title=\"{group}\">\n"));
        for l in feeds {
            let Some((_, url)) = listed_urls(config, l).into_iter().next() else {
                continue;
            };
            let title = escape_markup(&listed_title(config, l));
            out.push_str(&format!(
                "      <outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{}\" htmlUrl=\"{}\"/>\n",
                escape_markup(&url),
                escape_markup(&listed_page(config, l))
            ));
        }
        out.push_str("    </outline>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out.into_bytes()
}
