//! Post dates: the forms Jekyll accepts, naive ones placed in the site's
//! time zone, always keeping the offset the post was written in.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;

/// The site's zone for dates written without an offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SiteZone {
    Iana(Tz),
    Fixed(FixedOffset),
}

impl SiteZone {
    /// `Asia/Shanghai`, `UTC`, `+08:00`, `+0800`.
    pub fn parse(name: &str) -> Option<SiteZone> {
        let name = name.trim();
        if let Some(offset) = parse_offset(name) {
            return Some(SiteZone::Fixed(offset));
        }
        name.parse::<Tz>().ok().map(SiteZone::Iana)
    }

    /// Place a wall-clock time in this zone. In a DST gap the time is moved
    /// forward by the gap; in an overlap the earlier instant wins.
    pub fn localize(&self, naive: NaiveDateTime) -> DateTime<FixedOffset> {
        match self {
            SiteZone::Fixed(offset) => match offset.from_local_datetime(&naive) {
                LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => d,
                LocalResult::None => offset.from_utc_datetime(&naive),
            },
            SiteZone::Iana(tz) => {
                let fixed = |d: DateTime<Tz>| d.fixed_offset();
                match tz.from_local_datetime(&naive) {
                    LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => fixed(d),
                    // In a gap, read the time with the offset in force just
                    // before it: the instant lands as far past the gap's
                    // start as the time was, i.e. moved forward by the
                    // gap, whatever its length (30 minutes on Lord Howe
                    // Island, a whole day in Samoa in 2011).
                    LocalResult::None => (1..=4 * 48)
                        .map(|quarters| naive - chrono::Duration::minutes(15 * quarters))
                        .find_map(|earlier| match tz.from_local_datetime(&earlier) {
                            LocalResult::Single(d) | LocalResult::Ambiguous(_, d) => Some(d.offset().fix()),
                            LocalResult::None => None,
                        })
                        .and_then(|before| naive.checked_sub_offset(before))
                        .map_or_else(
                            || fixed(tz.from_utc_datetime(&naive)),
                            |utc| fixed(tz.from_utc_datetime(&utc)),
                        ),
                }
            }
        }
    }

    /// The wall-clock offset this zone has at `instant`.
    pub fn at(&self, instant: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        match self {
            SiteZone::Fixed(offset) => instant.with_timezone(offset),
            SiteZone::Iana(tz) => instant.with_timezone(tz).fixed_offset(),
        }
    }
}

#[cfg(test)]
mod gap_tests {
    use super::*;

    fn at(zone: &str, naive: &str) -> String {
        let zone = SiteZone::parse(zone).expect("zone");
        let naive = NaiveDateTime::parse_from_str(naive, "%Y-%m-%d %H:%M:%S").expect("naive");
        zone.localize(naive).to_rfc3339()
    }

    #[test]
    fn times_in_a_gap_move_forward_by_the_gap() {
        // Lord Howe Island: 02:00 +10:30 → 02:30 +11:00, a 30-minute gap.
        assert_eq!(
            at("Australia/Lord_Howe", "2023-10-01 02:15:00"),
            "2023-10-01T02:45:00+11:00"
        );
        assert_eq!(
            at("Australia/Lord_Howe", "2023-10-01 01:59:00"),
            "2023-10-01T01:59:00+10:30"
        );
        // An hour's gap, as before.
        assert_eq!(
            at("America/New_York", "2024-03-10 02:30:00"),
            "2024-03-10T03:30:00-04:00"
        );
        // Samoa skipped 30 December 2011: a 24-hour gap.
        assert_eq!(at("Pacific/Apia", "2011-12-30 12:00:00"), "2011-12-31T12:00:00+14:00");
    }
}

/// `+0800`, `+08:00`, `-05`, `Z`, `UTC`.
fn parse_offset(text: &str) -> Option<FixedOffset> {
    if text == "Z" || text.eq_ignore_ascii_case("UTC") || text.eq_ignore_ascii_case("GMT") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || rest.starts_with(':') {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Parse a front-matter date. Returns `None` for anything unusable
/// (`date:  +0800`, `soon`, `2021-13-45`).
pub fn parse_date(text: &str, zone: SiteZone) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if text.len() < 10 || !text.is_char_boundary(10) {
        return None;
    }
    let date = NaiveDate::parse_from_str(&text[..10], "%Y-%m-%d").ok()?;
    let rest = &text[10..];
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .unwrap_or(rest)
        .trim_start();
    if rest.is_empty() {
        return Some(zone.localize(date.and_time(NaiveTime::MIN)));
    }
    // Split the time from an offset that follows it, with or without a space.
    let time_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.' || c == ','))
        .unwrap_or(rest.len());
    let (time_text, offset_text) = (&rest[..time_end], rest[time_end..].trim());
    let time = parse_time(time_text)?;
    let naive = date.and_time(time);
    if offset_text.is_empty() {
        return Some(zone.localize(naive));
    }
    let offset = parse_offset(offset_text)?;
    offset.from_local_datetime(&naive).single()
}

/// `18:58:11`, `18:58`, `18:58:11.123` (fractions are dropped: feeds show
/// whole seconds).
fn parse_time(text: &str) -> Option<NaiveTime> {
    let whole = text.split(['.', ',']).next().unwrap_or(text);
    NaiveTime::parse_from_str(whole, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(whole, "%H:%M"))
        .ok()
}

/// The `YYYY-MM-DD` prefix of a post's file name, if it has one.
pub fn file_name_date(stem: &str) -> Option<NaiveDate> {
    let prefix = stem.get(..10)?;
    let date = NaiveDate::parse_from_str(prefix, "%Y-%m-%d").ok()?;
    match stem.as_bytes().get(10) {
        None | Some(b'-') => Some(date),
        _ => None,
    }
}

/// RSS 2.0 (RFC 822) form: `Wed, 15 Dec 2021 18:58:11 +0800`.
pub fn rfc822(date: &DateTime<FixedOffset>) -> String {
    date.format("%a, %d %b %Y %H:%M:%S %z").to_string()
}

/// Atom (RFC 3339) form: `2021-12-15T18:58:11+08:00`.
pub fn rfc3339(date: &DateTime<FixedOffset>) -> String {
    date.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> SiteZone {
        SiteZone::parse("Asia/Shanghai").expect("zone")
    }

    fn atom(text: &str) -> Option<String> {
        parse_date(text, shanghai()).map(|d| rfc3339(&d))
    }

    #[test]
    fn every_documented_form() {
        let want = Some("2021-12-15T18:58:11+08:00".to_string());
        assert_eq!(atom("2021-12-15 18:58:11 +0800"), want);
        assert_eq!(atom("2021-12-15 18:58:11"), want);
        assert_eq!(atom("2021-12-15T18:58:11+08:00"), want);
        assert_eq!(atom("2021-12-15 18:58:11.250 +08:00"), want);
        assert_eq!(atom("2021-12-15 18:58").as_deref(), Some("2021-12-15T18:58:00+08:00"));
        assert_eq!(atom("2021-12-15").as_deref(), Some("2021-12-15T00:00:00+08:00"));
    }

    #[test]
    fn keeps_the_written_offset() {
        assert_eq!(
            atom("2021-12-15 10:58:11 +0000").as_deref(),
            Some("2021-12-15T10:58:11+00:00")
        );
        assert_eq!(
            atom("2021-12-15T05:58:11Z").as_deref(),
            Some("2021-12-15T05:58:11+00:00")
        );
        assert_eq!(
            atom("2021-12-15 05:58:11 -0500").as_deref(),
            Some("2021-12-15T05:58:11-05:00")
        );
    }

    #[test]
    fn unusable_dates() {
        for bad in [
            "",
            " +0800",
            "+0800",
            "soon",
            "2021-13-45",
            "2021-12-15 25:00",
            "2021-12-15 10:00 +99",
        ] {
            assert_eq!(atom(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn naive_dates_follow_the_site_zone_including_dst() {
        let ny = SiteZone::parse("America/New_York").expect("zone");
        let summer = parse_date("2022-07-01 12:00:00", ny).expect("date");
        let winter = parse_date("2022-01-01 12:00:00", ny).expect("date");
        assert_eq!(rfc3339(&summer), "2022-07-01T12:00:00-04:00");
        assert_eq!(rfc3339(&winter), "2022-01-01T12:00:00-05:00");
        // 02:30 does not exist on 2022-03-13 in New York: moved past the gap.
        let gap = parse_date("2022-03-13 02:30:00", ny).expect("date");
        assert_eq!(rfc3339(&gap), "2022-03-13T03:30:00-04:00");
        let fixed = SiteZone::parse("+05:30").expect("zone");
        assert_eq!(
            parse_date("2022-01-01", fixed).map(|d| rfc3339(&d)).as_deref(),
            Some("2022-01-01T00:00:00+05:30")
        );
    }

    #[test]
    fn rss_form_is_zero_padded_with_the_offset() {
        let d = parse_date("2021-12-08 10:46:18", shanghai()).expect("date");
        assert_eq!(rfc822(&d), "Wed, 08 Dec 2021 10:46:18 +0800");
    }

    #[test]
    fn file_name_dates() {
        assert_eq!(
            file_name_date("2021-12-08-202112082206672930"),
            NaiveDate::from_ymd_opt(2021, 12, 8)
        );
        assert_eq!(file_name_date("2021-12-08"), NaiveDate::from_ymd_opt(2021, 12, 8));
        assert_eq!(file_name_date("-202205262391921712"), None);
        assert_eq!(file_name_date("2021-12-0812"), None);
        assert_eq!(file_name_date("2021-02-30-x"), None);
    }

    #[test]
    fn zone_names() {
        assert!(SiteZone::parse("Asia/Shanghai").is_some());
        assert!(SiteZone::parse("+0800").is_some());
        assert!(SiteZone::parse("Mars/Olympus").is_none());
    }
}
