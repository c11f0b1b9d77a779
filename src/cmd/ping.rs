//! `feedgen ping`: tell the WebSub hub (`feedgen.hub`) which feeds the
//! builds since the last ping changed, so subscribers get them pushed. The
//! list comes from feedgen's state ([`pings`]); what the hub accepted leaves
//! it, what failed stays for the next ping. The feeds are never touched.

use std::io::Write;
use std::thread::sleep;
use std::time::Duration;

use anyhow::{bail, Result};

use crate::config::{Config, Verbosity};
use crate::output::Output;
use crate::report::ExitStatus;
use crate::state::pings;

pub fn run(config: &Config) -> Result<ExitStatus> {
    let Some(hub) = config.site.hub.as_deref() else {
        bail!("`feedgen.hub` is not set: there is no WebSub hub to ping (set `feedgen.hub: https://hub.example/` in the site configuration)");
    };
    match url::Url::parse(hub) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => bail!("`feedgen.hub: {hub}` must be an http or https URL"),
    }
    let output = Output::open(&config.output_dir, &config.state_dir, config.fsync, || {})?;
    let mut pending = pings::pending(&output);
    let say = |line: String| {
        if config.verbosity > Verbosity::Quiet {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    };
    if pending.is_empty() {
        say("feedgen: no changed feeds waiting for a ping".to_string());
        return Ok(ExitStatus::Success);
    }
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
    let urls: Vec<String> = pending.iter().cloned().collect();
    let (mut pinged, mut failed, mut requests) = (0, 0, 0);
    for batch in urls.chunks(settings.batch) {
        let (result, attempts) = publish(&agent, hub, batch, settings.retries);
        requests += attempts;
        match result {
            Ok(()) => {
                pinged += batch.len();
                batch.iter().for_each(|u| {
                    pending.remove(u);
                });
            }
            Err(why) => {
                failed += batch.len();
                let _ = writeln!(
                    std::io::stderr(),
                    "{hub}: error: publish of {} feed URLs failed after {attempts} attempts: {why}; kept for the next `feedgen ping`",
                    batch.len()
                );
            }
        }
    }
    pings::save(&output, &pending)?;
    say(format!(
        "feedgen: pinged {hub}: {pinged} feeds accepted, {failed} failed ({requests} requests)"
    ));
    Ok(if failed > 0 {
        ExitStatus::PingFailed
    } else {
        ExitStatus::Success
    })
}

/// One `hub.mode=publish` POST for `urls` (`hub.url` repeated), retried
/// after a 5xx answer or a network error, with a short growing pause; a
/// 3xx or 4xx answer is final. Returns the result and the number of requests made.
fn publish(agent: &ureq::Agent, hub: &str, urls: &[String], retries: u32) -> (Result<(), String>, usize) {
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
                let status = response.status().as_u16();
                if (200..300).contains(&status) {
                    return (Ok(()), attempt);
                }
                if (300..400).contains(&status) {
                    return (
                        Err(format!("the hub answered {status} (a redirect, not followed)")),
                        attempt,
                    );
                }
                let why = format!("the hub answered HTTP {status}");
                if status < 500 {
                    return (Err(why), attempt);
                }
                why
            }
            Err(e) => e.to_string(),
        };
        if attempt > retries as usize {
            return (Err(retry), attempt);
        }
        sleep(Duration::from_millis(200 << attempt.min(5)));
    }
}
