//! Dates in the forms real exports use, as Unix seconds (UTC).
//!
//! `YYYY-MM-DD HH:MM:SS UTC` (LinkedIn since 2021), ISO `YYYY-MM-DDTHH:MM:SS[Z|±hh:mm]`,
//! `M/D/YY, h:mm AM` (LinkedIn 2018 and Invitations), `DD Mon YYYY` (Connections),
//! `d-Mon-yy` (a spreadsheet re-save), `YYYY-MM-DD`, and RFC 2822 mail dates. Times without
//! a zone are taken as UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

const DATETIME_FORMATS: [&str; 7] = [
    "%Y-%m-%d %H:%M:%S UTC",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%m/%d/%y, %I:%M %p",
    "%m/%d/%Y, %I:%M %p",
    "%Y/%m/%d %H:%M:%S UTC",
];

const DATE_FORMATS: [&str; 4] = ["%d %b %Y", "%d-%b-%y", "%Y-%m-%d", "%m/%d/%y"];

/// Parses `value` as a date or date-time; `None` when no known form fits.
pub fn parse(value: &str) -> Option<i64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if let Some(ts) = parse_linkedin(v) {
        return Some(ts);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Some(dt.timestamp());
    }
    for f in DATETIME_FORMATS {
        if let Ok(dt) = NaiveDateTime::parse_from_str(v, f) {
            return Some(dt.and_utc().timestamp());
        }
    }
    for f in DATE_FORMATS {
        if let Ok(d) = NaiveDate::parse_from_str(v, f) {
            return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp());
        }
    }
    DateTime::parse_from_rfc2822(v)
        .ok()
        .map(|dt| dt.timestamp())
}

/// `YYYY-MM-DD HH:MM:SS UTC` (every messages.csv since 2021) read digit by digit; `None` for
/// anything else, which then goes through the general parsers.
fn parse_linkedin(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    if b.len() != 23 || &b[19..] != b" UTC" || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = date.and_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    Some(time.and_utc().timestamp())
}

/// Parses an optional date cell: `Ok(None)` when blank, else the date, or the message
/// `column 'NAME': unrecognised date 'VALUE'` for the caller to prefix with `path:line`.
pub fn parse_cell(value: &str, column: &str) -> Result<Option<i64>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    parse(v)
        .map(Some)
        .ok_or_else(|| format!("column '{column}': unrecognised date '{v}'"))
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_export_era() {
        let day = parse("2022-09-08 00:00:00 UTC").unwrap();
        assert_eq!(
            parse("2022-09-08 18:08:14 UTC"),
            Some(day + 18 * 3600 + 8 * 60 + 14)
        );
        assert_eq!(
            parse("2022-09-08T18:08:14"),
            Some(day + 18 * 3600 + 8 * 60 + 14)
        );
        assert_eq!(parse("9/8/22, 6:08 PM"), Some(day + 18 * 3600 + 8 * 60));
        assert_eq!(parse("08 Sep 2022"), Some(day));
        assert_eq!(parse("8-Sep-22"), Some(day));
        assert_eq!(parse("2022-09-08"), Some(day));
        assert_eq!(
            parse("Thu, 08 Sep 2022 18:08:14 +0000"),
            Some(day + 18 * 3600 + 8 * 60 + 14)
        );
        assert_eq!(parse("yesterday"), None);
    }

    #[test]
    fn the_fast_linkedin_form_agrees_with_chrono_and_refuses_what_chrono_refuses() {
        for v in [
            "2022-09-08 18:08:14 UTC",
            "1999-12-31 23:59:59 UTC",
            "2024-02-29 00:00:00 UTC",
        ] {
            let chrono = NaiveDateTime::parse_from_str(v, DATETIME_FORMATS[0])
                .unwrap()
                .and_utc()
                .timestamp();
            assert_eq!(parse_linkedin(v), Some(chrono), "{v}");
        }
        for v in [
            "2023-02-29 00:00:00 UTC",
            "2022-13-08 18:08:14 UTC",
            "2022-09-08 24:08:14 UTC",
            "2022-09-08 18:08:14 GMT",
            "2022-09-x8 18:08:14 UTC",
        ] {
            assert_eq!(parse_linkedin(v), None, "{v}");
        }
    }
}
