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
}
