//! `feedgen list categories|tags`: each feed's name, post count, newest
//! date and feed paths, one line each on stdout.

use anyhow::{Context, Result};

use crate::collection::read_posts;
use crate::config::{Config, PerKind};
use crate::content::date::rfc3339;
use crate::diagnostics::escape_controls;
use crate::model::{self, FeedSpec};
use crate::plan::feed_path;
use crate::report::print_stdout;
use crate::taxonomy::Taxonomy;

pub fn run(config: &Config, what: Taxonomy) -> Result<()> {
    let collection = read_posts(config, Vec::new());
    let (posts, _) = collection.published(config);
    let feeds = model::select(&posts, &PerKind::count(1), |p| p.to_string());
    let specs: &[FeedSpec] = match what {
        Taxonomy::Category => &feeds.categories,
        Taxonomy::Tag => &feeds.tags,
    };
    print_stdout(|out| {
        writeln!(out, "name\tposts\tnewest\tfeeds")?;
        for spec in specs {
            let newest = spec.newest(&posts).map(|d| rfc3339(&d)).unwrap_or_default();
            let paths: Vec<String> = config
                .formats
                .iter()
                .map(|f| {
                    config
                        .output_dir
                        .join(feed_path(&config.layout, spec, *f))
                        .display()
                        .to_string()
                })
                .collect();
            // Tabs and newlines in a name would forge columns and rows.
            let name = escape_controls(&spec.name);
            let paths = escape_controls(&paths.join(" ")).into_owned();
            writeln!(out, "{name}\t{}\t{newest}\t{paths}", spec.total)?;
        }
        Ok(())
    })
    .context("cannot write the list to stdout")
}
