//! `feedgen check`: read every post and select the feeds, to report every
//! problem; nothing is rendered or written.

use crate::collection::read_posts;
use crate::config::Config;
use crate::content::shown_path;
use crate::model;
use crate::report::{Phases, Report};

pub fn run(config: &Config) -> Report {
    let mut phases = Phases::start();
    let collection = read_posts(config, Vec::new());
    phases.lap("read posts");
    let (posts, _) = collection.published(config);
    let feeds = model::select(&posts, &config.feeds, |p| shown_path(&config.content_dir, p));
    phases.lap("select");
    let mut report = collection.report.clone();
    report.diagnostics.extend(feeds.notices);
    report.finish(phases)
}
