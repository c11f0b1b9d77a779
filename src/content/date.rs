//! Post dates: the forms Jekyll accepts, naive ones placed in the site's
//! time zone, always keeping the offset the post was written in.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;
use regex::Regex;
use std::sync::LazyLock;

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

    /// Place a wall-clock time in this zone as Ruby's `Time.parse` does for
    /// Jekyll: in a DST gap the time moves forward by the gap (an hour in
    /// New York, 30 minutes on Lord Howe Island); in an overlap the later
    /// (standard-time) instant wins.
    pub fn localize(&self, naive: NaiveDateTime) -> DateTime<FixedOffset> {
        match self {
            SiteZone::Fixed(offset) => match offset.from_local_datetime(&naive) {
                LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => d,
                LocalResult::None => offset.from_utc_datetime(&naive),
            },
            SiteZone::Iana(tz) => {
                let fixed = |d: DateTime<Tz>| d.fixed_offset();
                match tz.from_local_datetime(&naive) {
                    LocalResult::Single(d) | LocalResult::Ambiguous(_, d) => fixed(d),
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

/// `+0800`, `+08:00`, `-05`, `Z`, `UTC`, and the zone abbreviations of
/// Ruby's table that Jekyll's `Time.parse` knows (`CST` is US Central, -06:00).
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let hours = match text.to_ascii_uppercase().as_str() {
        "Z" | "UTC" | "GMT" | "UT" => Some(0),
        "EST" => Some(-5),
        "EDT" | "AST" => Some(-4),
        "CST" => Some(-6),
        "CDT" => Some(-5),
        "MST" => Some(-7),
        "MDT" => Some(-6),
        "PST" => Some(-8),
        "PDT" => Some(-7),
        "CET" | "BST" => Some(1),
        "CEST" | "EET" => Some(2),
        "EEST" => Some(3),
        "JST" => Some(9),
        _ => None,
    };
    if let Some(h) = hours {
        return FixedOffset::east_opt(h * 3600);
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
/// (`date:  +0800`, `soon`, `2021-13-45`). Numbers need no zero padding
/// (`2022-2-24 9:05:06 +0800`), and `/` may separate the date's parts, as
/// Ruby's `Time.parse` allows.
pub fn parse_date(text: &str, zone: SiteZone) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if text.starts_with(|c: char| c.is_ascii_alphabetic()) {
        // `Mon, 28 Mar 2022 10:00:00 +0200` (RFC 2822, as Ruby reads it).
        return DateTime::parse_from_rfc2822(text).ok();
    }
    let date_end = text
        .find(|c: char| c.is_whitespace() || c == 'T' || c == 't')
        .unwrap_or(text.len());
    let date = parse_day(&text[..date_end])?;
    let rest = text[date_end..].trim_start();
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

/// `2021-12-15`, `2022-2-4`, `2022/03/27`: four-digit year, month and day
/// of one or two digits.
fn parse_day(text: &str) -> Option<NaiveDate> {
    let sep = if text.contains('/') { '/' } else { '-' };
    let mut parts = text.split(sep);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = |p: &str, max: usize| (1..=max).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || y.len() != 4 || !ok(y, 4) || !ok(m, 2) || !ok(d, 2) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `18:58:11`, `9:05:06`, `18:58`, `18:58:11.123` (fractions are dropped:
/// feeds show whole seconds).
fn parse_time(text: &str) -> Option<NaiveTime> {
    let whole = text.split(['.', ',']).next().unwrap_or(text);
    let mut parts = whole.split(':');
    let h = parts.next()?;
    let m = parts.next()?;
    let s = parts.next().unwrap_or("0");
    let ok = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some() || !ok(h) || m.len() != 2 || !ok(m) || !ok(s) {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, s.parse().ok()?)
}

/// Whether a front-matter `date` value, as written in the file, is what
/// Ruby's YAML reader (Psych) turns into a timestamp without a zone: an
/// unquoted `2021-12-01 13:33:50` (padding optional, fraction allowed).
/// Jekyll then takes the wall time as UTC, not as the site's zone.
pub fn is_zoneless_yaml_timestamp(raw: &str) -> bool {
    static TIME: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?$").ok());
    let raw = raw.trim();
    let raw = raw.split_once(" #").map_or(raw, |(value, _)| value.trim_end());
    TIME.as_ref().is_some_and(|re| re.is_match(raw))
}

/// What the `YYYY-MM-DD-` part of a post's file name means to Jekyll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileDate {
    /// A day; out-of-range days roll over as in Ruby (`2022-02-30` is March 2).
    Day(NaiveDate),
    /// A month or day Ruby refuses: Jekyll stops the whole build.
    Invalid,
}

/// A post's file name as Jekyll's `DATE_FILENAME_MATCHER` reads it:
/// `(\d{2,4}-\d{1,2}-\d{1,2})-(slug)(.ext)`. `None`: not a post to Jekyll.
/// `name` is what `JekyllRules::dated_name` gives: a file name, or under
/// 3.10 a dated folder and the path below it (the slug then holds `/`).
pub fn post_file_name(name: &str) -> Option<(FileDate, &str)> {
    let [year_text, month, day, slug] = match split_post_file_name(name) {
        Ok(parts) => parts?,
        Err(NeedsRegex) => split_post_file_name_by_regex(name)?,
    };
    let number = |text: &str| text.parse::<i32>().ok();
    let (Some(mut year), Some(month), Some(day)) = (number(year_text), number(month), number(day)) else {
        return Some((FileDate::Invalid, slug));
    };
    if year_text.len() == 2 {
        year += if year < 69 { 2000 } else { 1900 };
    }
    let date = u32::try_from(month)
        .ok()
        .filter(|m| (1..=12).contains(m) && (1..=31).contains(&day))
        .and_then(|m| NaiveDate::from_ymd_opt(year, m, 1))
        .and_then(|first| first.checked_add_days(chrono::Days::new(u64::try_from(day - 1).ok()?)));
    Some((date.map_or(FileDate::Invalid, FileDate::Day), slug))
}

/// A non-ASCII character stands where the matcher's `\d` could take it (the
/// regex's `\d` is Unicode's): only the regex itself can decide.
#[derive(Debug, PartialEq, Eq)]
pub struct NeedsRegex;

/// Year, month, day and slug of `name` as `post_file_name`'s matcher splits
/// it, read byte by byte: the regex, with captures, cost a post more than
/// reading its front matter.
fn split_post_file_name(name: &str) -> Result<Option<[&str; 4]>, NeedsRegex> {
    let Some([year, month, day]) = dated_prefix(name)? else {
        return Ok(None);
    };
    let rest = &name[year.len() + month.len() + day.len() + 3..];
    Ok(extension_start(rest).map(|dot| [year, month, day, &rest[..dot]]))
}

fn split_post_file_name_by_regex(name: &str) -> Option<[&str; 4]> {
    static MATCHER: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"^(\d{2,4})-(\d{1,2})-(\d{1,2})-((?s:.*))(\.[^.]+)$").ok());
    let caps = MATCHER.as_ref()?.captures(name)?;
    let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    Some([group(1), group(2), group(3), group(4)])
}

/// The three numbers of `\d{2,4}-\d{1,2}-\d{1,2}-` at the start of `text`
/// (ASCII digits; [`NeedsRegex`] where another character could be a digit).
pub fn dated_prefix(text: &str) -> Result<Option<[&str; 3]>, NeedsRegex> {
    let mut parts = [""; 3];
    let mut at = 0;
    for (part, (min, max)) in parts.iter_mut().zip([(2, 4), (1, 2), (1, 2)]) {
        let digits = text.as_bytes()[at..].iter().take_while(|b| b.is_ascii_digit()).count();
        match text.as_bytes().get(at + digits) {
            Some(&b) if !b.is_ascii() => return Err(NeedsRegex),
            Some(b'-') if (min..=max).contains(&digits) => {
                *part = &text[at..at + digits];
                at += digits + 1;
            }
            _ => return Ok(None),
        }
    }
    Ok(Some(parts))
}

/// Where `(\.[^.]+)$` starts in `text`: its last dot, if anything follows it.
pub fn extension_start(text: &str) -> Option<usize> {
    text.rfind('.').filter(|dot| dot + 1 < text.len())
}

/// The `YYYY-MM-DD` prefix of a post's file name (without extension), if
/// it has one Jekyll accepts.
pub fn file_name_date(stem: &str) -> Option<NaiveDate> {
    match post_file_name(&format!("{stem}.x")) {
        Some((FileDate::Day(d), _)) => Some(d),
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

/// Names built from the pieces a dated-name matcher cares about (dates it
/// takes and dates it refuses, a newline, a Unicode digit, other non-ASCII
/// text) and `extra` ones: what the byte readers are checked on against
/// the regexes they stand in for.
#[cfg(test)]
pub(crate) fn dated_names(extra: &'static [&'static str]) -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::strategy::Strategy;
    const PIECES: &[&str] = &[
        "2022-01-01-",
        "22-1-1-",
        "2022-12-40-",
        "20221-1-1-",
        "2022-0\u{662}-",
        "2022",
        "22",
        "-",
        "0",
        "7",
        ".",
        "md",
        "a",
        "\n",
        "\u{662}",
        "é",
    ];
    let pieces: Vec<&'static str> = PIECES.iter().chain(extra).copied().collect();
    proptest::collection::vec(proptest::sample::select(pieces), 0..14).prop_map(|p| p.concat())
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
        assert_eq!(file_name_date("2021-12-08"), None);
        assert_eq!(file_name_date("-202205262391921712"), None);
        assert_eq!(file_name_date("2021-12-0812"), None);
        // Jekyll 4.3.1: unpadded, two-digit years, days that roll over.
        assert_eq!(file_name_date("2022-1-5-x"), NaiveDate::from_ymd_opt(2022, 1, 5));
        assert_eq!(file_name_date("22-01-31-x"), NaiveDate::from_ymd_opt(2022, 1, 31));
        assert_eq!(file_name_date("2022-02-30-x"), NaiveDate::from_ymd_opt(2022, 3, 2));
        assert_eq!(
            post_file_name("2022-13-02-bad-month.md"),
            Some((FileDate::Invalid, "bad-month"))
        );
        assert_eq!(post_file_name("2022-02-01-noext"), None);
        assert_eq!(post_file_name("no-date-prefix.md"), None);
        assert_eq!(post_file_name("2022-01-02-dots...md").map(|(_, s)| s), Some("dots.."));
    }

    #[test]
    fn unpadded_and_slashed_dates() {
        assert_eq!(
            atom("2022-2-24 9:05:06 +0800").as_deref(),
            Some("2022-02-24T09:05:06+08:00")
        );
        assert_eq!(atom("2022/03/27 10:00").as_deref(), Some("2022-03-27T10:00:00+08:00"));
        assert_eq!(
            atom("Mon, 28 Mar 2022 10:00:00 +0200").as_deref(),
            Some("2022-03-28T10:00:00+02:00")
        );
        // Ruby's zone table: CST is US Central.
        assert_eq!(
            atom("2021-12-01 13:33:50 CST").as_deref(),
            Some("2021-12-01T13:33:50-06:00")
        );
    }

    #[test]
    fn zoneless_yaml_timestamps() {
        for yes in [
            "2021-12-01 13:33:50",
            "2022-2-24 9:05:06",
            "2021-12-01T13:33:50.75",
            "2021-12-01 13:33:50 # c",
        ] {
            assert!(is_zoneless_yaml_timestamp(yes), "{yes}");
        }
        for no in [
            "\"2021-12-01 13:33:50\"",
            "2021-12-01 13:33",
            "2021-12-01",
            "2021-12-01 13:33:50 +0800",
            "2021-12-01T13:33:50Z",
        ] {
            assert!(!is_zoneless_yaml_timestamp(no), "{no}");
        }
    }

    #[test]
    fn dst_follows_ruby() {
        let ny = SiteZone::parse("America/New_York").expect("zone");
        let ambiguous = parse_date("2022-11-06 01:30:00", ny).expect("date");
        assert_eq!(rfc3339(&ambiguous), "2022-11-06T01:30:00-05:00");
    }

    #[test]
    fn zone_names() {
        assert!(SiteZone::parse("Asia/Shanghai").is_some());
        assert!(SiteZone::parse("+0800").is_some());
        assert!(SiteZone::parse("Mars/Olympus").is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 4000, failure_persistence: None, ..Default::default() })]
        #[test]
        fn the_byte_reader_splits_a_file_name_as_the_regex_does(name in dated_names(&[])) {
            match split_post_file_name(&name) {
                Ok(parts) => proptest::prop_assert_eq!(parts, split_post_file_name_by_regex(&name)),
                Err(NeedsRegex) => proptest::prop_assert!(!name.is_ascii()),
            }
        }
    }

    #[test]
    fn a_unicode_digit_in_a_file_names_date_is_still_the_regexs_call() {
        // U+0662 is a digit to the regex's `\d`, and not to `parse`.
        assert_eq!(split_post_file_name("2022-0\u{662}-01-x.md"), Err(NeedsRegex));
        assert_eq!(post_file_name("2022-0\u{662}-01-x.md"), Some((FileDate::Invalid, "x")));
        assert_eq!(
            split_post_file_name("2022-01-01-\u{662}.md"),
            Ok(Some(["2022", "01", "01", "\u{662}"]))
        );
        assert_eq!(split_post_file_name("2022-01-01-x."), Ok(None));
        assert_eq!(
            split_post_file_name("2022-01-01-.m"),
            Ok(Some(["2022", "01", "01", ""]))
        );
    }
}
