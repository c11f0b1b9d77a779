//! `feedgen ping`: tell the WebSub hub (`feedgen.hub`) which feeds the
//! builds since the last ping changed, so subscribers get them pushed. The
//! list comes from feedgen's state ([`pings`]), taken under the build lock
//! and settled under it again; the requests go out without it, so a build
//! never waits for the hub. What the hub accepted leaves the list, what
//! failed stays for the next ping. The feeds are never touched.

use std::collections::BTreeSet;
use std::io::Write;
use std::thread::sleep;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::config::{Config, Verbosity};
use crate::output::Output;
use crate::report::ExitStatus;
use crate::state::pings;

/// Requests in a row without an answer (a timeout, a failed connection)
/// after which the run stops: a hub that never answers costs at most this
/// many timeouts, however long the list. README states the bound.
const UNANSWERED_LIMIT: usize = 3;

pub fn run(config: &Config) -> Result<ExitStatus> {
    let Some(hub) = config.site.hub.as_deref() else {
        bail!("`feedgen.hub` is not set: there is no WebSub hub to ping (set `feedgen.hub: https://hub.example/` in the site configuration)");
    };
    match url::Url::parse(hub) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => bail!("`feedgen.hub: {hub}` must be an http or https URL"),
    }
    let say = |line: String| {
        if config.verbosity > Verbosity::Quiet {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    };
    // The lock is held only while the list is read and written, never
    // while the hub is waited for.
    let taken = pings::take(&lock(config)?)?;
    if taken.is_empty() {
        say("feedgen: no changed feeds waiting for a ping".to_string());
        return Ok(ExitStatus::Success);
    }
    let sent = send(config, hub, &taken);
    pings::settle(&lock(config)?, &taken, &sent.accepted)?;
    let untried = match sent.untried {
        0 => String::new(),
        n => format!(", {n} not tried"),
    };
    say(format!(
        "feedgen: pinged {hub}: {} feeds accepted, {} failed{untried} ({} requests)",
        sent.accepted.len(),
        sent.failed,
        sent.requests
    ));
    Ok(if sent.failed + sent.untried > 0 {
        ExitStatus::PingFailed
    } else {
        ExitStatus::Success
    })
}

/// The state and output folders, locked until the value is dropped. A
/// state folder that cannot be written holds no list to take or settle.
fn lock(config: &Config) -> Result<Output> {
    let output = Output::open(&config.output_dir, &config.state_dir, config.fsync, || {})?;
    if output.state_dir().is_none() {
        bail!(
            "cannot write the state folder {}: the list of feeds to ping lives there (name a writable folder with --state or `feedgen.state_dir`)",
            config.state_dir.display()
        );
    }
    Ok(output)
}

/// What one `feedgen ping` got done.
#[derive(Default)]
struct Sent {
    accepted: BTreeSet<String>,
    failed: usize,
    /// Left for the next ping after the hub stopped answering.
    untried: usize,
    requests: usize,
}

/// Publish `urls` to `hub` in batches, until done or until the hub has not
/// answered [`UNANSWERED_LIMIT`] requests in a row. Every failure is
/// printed with its cause.
fn send(config: &Config, hub: &str, urls: &BTreeSet<String>) -> Sent {
    let settings = &config.ping;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(settings.timeout))
        .http_status_as_error(false)
        // Only the hub's own 2xx counts: a redirect is an answer, returned
        // as is (with 0, ureq follows none and never errs on one).
        .max_redirects(0)
        .user_agent(format!("feedgen/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let urls: Vec<String> = urls.iter().cloned().collect();
    let mut sent = Sent::default();
    let mut unanswered = 0;
    let mut done = 0;
    for batch in urls.chunks(settings.batch) {
        let (result, attempts) = publish(&agent, hub, batch, settings.retries, &mut unanswered);
        sent.requests += attempts;
        done += batch.len();
        match result {
            Ok(()) => sent.accepted.extend(batch.iter().cloned()),
            Err(why) => {
                sent.failed += batch.len();
                let _ = writeln!(
                    std::io::stderr(),
                    "{hub}: error: publish of {} feed URLs failed after {attempts} attempts: {why}; kept for the next `feedgen ping`",
                    batch.len()
                );
            }
        }
        if unanswered >= UNANSWERED_LIMIT && done < urls.len() {
            sent.untried = urls.len() - done;
            let _ = writeln!(
                std::io::stderr(),
                "{hub}: error: no answer to {UNANSWERED_LIMIT} requests in a row; stopped, {} feed URLs not tried are kept for the next `feedgen ping`",
                sent.untried
            );
            break;
        }
    }
    sent
}

/// One `hub.mode=publish` POST for `urls` (`hub.url` repeated), retried
/// after a 5xx answer or a network error, with a short growing pause, as
/// long as `unanswered` (requests in a row without an answer, counted
/// across batches) stays under [`UNANSWERED_LIMIT`]. A 3xx or 4xx answer
/// is final. Returns the result and the number of requests made.
fn publish(
    agent: &ureq::Agent,
    hub: &str,
    urls: &[String],
    retries: u32,
    unanswered: &mut usize,
) -> (Result<(), String>, usize) {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("hub.mode", "publish");
    for u in urls {
        form.append_pair("hub.url", u);
    }
    let body = form.finish();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let answer = agent
            .post(hub)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(body.as_str());
        let retry = match answer {
            Ok(response) => {
                *unanswered = 0;
                let status = response.status().as_u16();
                match status {
                    200..=299 => return (Ok(()), attempt),
                    300..=399 => {
                        return (
                            Err(format!("the hub answered {status} (a redirect, not followed)")),
                            attempt,
                        )
                    }
                    500.. => format!("the hub answered HTTP {status}"),
                    _ => return (Err(format!("the hub answered HTTP {status}")), attempt),
                }
            }
            Err(e) => {
                *unanswered += 1;
                e.to_string()
            }
        };
        if attempt > retries as usize || *unanswered >= UNANSWERED_LIMIT {
            return (Err(retry), attempt);
        }
        sleep(Duration::from_millis(200 << attempt.min(5)));
    }
}
