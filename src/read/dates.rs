//! Dates in the forms real exports use, as Unix seconds (UTC).
//!
//! `YYYY-MM-DD HH:MM:SS UTC` (LinkedIn since 2021), ISO `YYYY-MM-DDTHH:MM:SS[Z|±hh:mm]`,
//! `M/D/YY, h:mm AM` (LinkedIn 2018 and Invitations), `DD Mon YYYY` (Connections),
//! `d-Mon-yy` and `M/D/YYYY h:mm AM` (spreadsheet re-saves), `YYYY-MM-DD`, and RFC 2822 mail
//! dates. Times without a zone are taken as UTC.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};

const DATETIME_FORMATS: [&str; 10] = [
    "%Y-%m-%d %H:%M:%S UTC",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%m/%d/%y, %I:%M %p",
    "%m/%d/%Y, %I:%M %p",
    "%Y/%m/%d %H:%M:%S UTC",
    // Invitations.csv saved again by a spreadsheet in a US locale, which keeps LinkedIn's
    // month-first dates with AM/PM (a two-digit year first: `%Y` would read "22" as the year
    // 22). A 24-hour `D/M/YYYY H:MM` is not read: day-first locales write it too, and
    // 01/03/2024 would silently become 3 January.
    "%m/%d/%y %I:%M %p",
    "%m/%d/%Y %I:%M %p",
    "%Y-%m-%d %H:%M",
];

const DATE_FORMATS: [&str; 4] = ["%d %b %Y", "%d-%b-%y", "%Y-%m-%d", "%m/%d/%y"];

/// The first instant taken as a real date: 1970-01-01 (no e-mail or export is older).
const EARLIEST: i64 = 0;
/// The first instant past the dates taken as real: 2100-01-01.
const END: i64 = 4_102_444_800;

/// Whether Unix seconds `ts` fall in the years 1970–2099: a date outside is a typo or a
/// placeholder (year 0000, 9999), whose gaps would read as decades of silence.
pub fn plausible(ts: i64) -> bool {
    (EARLIEST..END).contains(&ts)
}

/// Parses `value` as a date or date-time; `None` when no known form fits, or the date lies
/// outside the years 1970–2099 ([`plausible`]).
pub fn parse(value: &str) -> Option<i64> {
    parse_any(value).filter(|&ts| plausible(ts))
}

/// [`parse`] whatever the year.
fn parse_any(value: &str) -> Option<i64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if let Some(ts) = parse_iso_shaped(v)
        .or_else(|| parse_us_short(v))
        .or_else(|| parse_day_month(v))
    {
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

/// The ISO-shaped forms read digit by digit: `YYYY-MM-DD HH:MM:SS UTC` (every messages.csv
/// since 2021), `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DDTHH:MM:SS[Z]` and `YYYY-MM-DD`, each with
/// every field at its full width. `None` for anything else, which then goes through the
/// general parsers (chrono with a format string, which reads the format again for every cell).
fn parse_iso_shaped(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    let time_at = match b.len() {
        10 => None,
        19 if b[10] == b' ' || b[10] == b'T' => Some(11),
        20 if b[10] == b'T' && b[19] == b'Z' => Some(11),
        23 if b[10] == b' ' && &b[19..] == b" UTC" => Some(11),
        _ => return None,
    };
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |at: usize, width: usize| -> Option<u32> {
        b[at..at + width].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?;
    let at = match time_at {
        None => date.and_hms_opt(0, 0, 0)?,
        Some(t) => {
            if b[t + 2] != b':' || b[t + 5] != b':' {
                return None;
            }
            date.and_hms_opt(num(t, 2)?, num(t + 3, 2)?, num(t + 6, 2)?)?
        }
    };
    Some(at.and_utc().timestamp())
}

/// `s` as a number when it is all ASCII digits and its length is in `widths`.
fn digits(s: &str, widths: std::ops::RangeInclusive<usize>) -> Option<u32> {
    if !widths.contains(&s.len()) || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `M/D/YY, h:mm AM` (Invitations.csv, the 2018 messages.csv) read by hand; two-digit years
/// as chrono reads them (70–99 → 19xx, else 20xx). `None` for anything else.
fn parse_us_short(v: &str) -> Option<i64> {
    let (date, time) = v.split_once(", ")?;
    let mut d = date.split('/');
    let (m, day, y) = (d.next()?, d.next()?, d.next()?);
    let (clock, half) = time.split_once(' ')?;
    let (h, min) = clock.split_once(':')?;
    let pm = match half {
        "AM" | "am" => false,
        "PM" | "pm" => true,
        _ => return None,
    };
    let y = digits(y, 2..=2)?;
    let year = if y >= 70 { 1900 + y } else { 2000 + y };
    let h = digits(h, 1..=2)?;
    if d.next().is_some() || !(1..=12).contains(&h) {
        return None;
    }
    let hour = h % 12 + if pm { 12 } else { 0 };
    let date = NaiveDate::from_ymd_opt(year as i32, digits(m, 1..=2)?, digits(day, 1..=2)?)?;
    let at = date.and_hms_opt(hour, digits(min, 2..=2)?, 0)?;
    Some(at.and_utc().timestamp())
}

/// `DD Mon YYYY` (Connections.csv) read by hand; `None` for anything else.
fn parse_day_month(v: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let mut parts = v.split(' ');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || month.len() != 3 {
        return None;
    }
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as u32 + 1;
    let date = NaiveDate::from_ymd_opt(digits(year, 4..=4)? as i32, month, digits(day, 1..=2)?)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

/// Parses an optional date cell: `Ok(None)` when blank, else the date, or the message
/// `column 'NAME': unrecognised date 'VALUE'` for the caller to prefix with `path:line`.
pub fn parse_cell(value: &str, column: &str) -> Result<Option<i64>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match parse_any(v) {
        Some(ts) if plausible(ts) => Ok(Some(ts)),
        Some(_) => Err(format!(
            "column '{column}': date '{v}' is outside the years 1970–2099"
        )),
        None => Err(format!(
            "column '{column}': unrecognised date {}",
            quoted(v)
        )),
    }
}

/// Characters of a bad cell quoted in an error; a longer cell is cut there and its length
/// said, so a runaway field (an unclosed quote, a 100,000-character value) does not flood
/// the terminal.
const QUOTED_CHARS: usize = 80;

/// `'v'`, or its first [`QUOTED_CHARS`] characters quoted and how many there are in all.
fn quoted(v: &str) -> String {
    match v.char_indices().nth(QUOTED_CHARS) {
        None => format!("'{v}'"),
        Some((cut, _)) => format!("'{}…' ({} characters)", &v[..cut], v.chars().count()),
    }
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format(ts: i64) -> String {
    let Some(d) = DateTime::from_timestamp(ts, 0) else {
        return String::new();
    };
    // What `%Y-%m-%d %H:%M:%S UTC` writes, without parsing the format each time; strftime
    // signs the years outside 0..=9999, so those take its path.
    if (0..=9999).contains(&d.year()) {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        )
    } else {
        d.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_bad_cell_is_quoted_by_its_start_and_length() {
        let long = "x,y;z\n".repeat(20_000);
        let e = super::parse_cell(&long, "timestamp").unwrap_err();
        assert!(
            e.starts_with("column 'timestamp': unrecognised date 'x,y;z\nx,y;z"),
            "{e}"
        );
        assert!(e.ends_with("…' (119999 characters)"), "{e}");
        assert!(e.chars().count() < 160, "{e}");
        assert_eq!(
            super::parse_cell("soon", "date").unwrap_err(),
            "column 'date': unrecognised date 'soon'"
        );
    }

    use super::*;

    #[test]
    fn formats_like_strftime_across_the_years() {
        for ts in [
            0,
            1_662_595_200,
            951_782_400,
            4_102_444_799,
            253_402_300_799,
            253_402_300_800,
            -62_167_219_200,
            -62_167_219_201,
        ] {
            let d = DateTime::from_timestamp(ts, 0).unwrap();
            assert_eq!(
                format(ts),
                d.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                "{ts}"
            );
        }
        assert_eq!(format(1_662_595_200), "2022-09-08 00:00:00 UTC");
    }

    #[test]
    fn dates_outside_1970_to_2099_are_refused_by_name() {
        assert_eq!(parse("0000-01-01 00:00:00 UTC"), None);
        assert_eq!(parse("9999-12-31 23:59:59 UTC"), None);
        assert!(parse("1970-01-01 00:00:00 UTC").is_some());
        assert!(parse("2099-12-31 23:59:59 UTC").is_some());
        let err = parse_cell("1900-01-01 00:00:00 UTC", "DATE").unwrap_err();
        assert_eq!(
            err,
            "column 'DATE': date '1900-01-01 00:00:00 UTC' is outside the years 1970–2099"
        );
        assert!(parse_cell("soon", "DATE")
            .unwrap_err()
            .contains("unrecognised date"));
    }

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
        // Invitations.csv's "9/8/22, 6:08 PM" as a spreadsheet saves it again.
        let at = Some(day + 18 * 3600 + 8 * 60);
        for resaved in ["9/8/2022 6:08 PM", "9/8/22 6:08 PM", "2022-09-08 18:08"] {
            assert_eq!(parse(resaved), at, "{resaved}");
        }
        // Day first or month first? Not guessed: refused, so a row is reported, not misdated.
        assert_eq!(parse("01/03/2024 10:00"), None);
    }

    #[test]
    fn the_fast_iso_forms_agree_with_chrono_and_refuse_what_chrono_refuses() {
        for v in [
            "2022-09-08 18:08:14 UTC",
            "1999-12-31 23:59:59 UTC",
            "2024-02-29 00:00:00 UTC",
            "2022-09-08 18:08:14",
            "2022-09-08T18:08:14",
            "2026-08-17",
            "2024-02-29",
        ] {
            assert!(parse_iso_shaped(v).is_some(), "{v}");
            assert_eq!(parse_iso_shaped(v), by_chrono(v), "{v}");
        }
        let z = "2022-09-08T18:08:14Z";
        let rfc3339 = DateTime::parse_from_rfc3339(z).unwrap().timestamp();
        assert_eq!(parse_iso_shaped(z), Some(rfc3339));
        for v in [
            "2023-02-29 00:00:00 UTC",
            "2022-13-08 18:08:14 UTC",
            "2022-09-08 24:08:14 UTC",
            "2022-09-08 18:08:14 GMT",
            "2022-09-x8 18:08:14 UTC",
            "2022-09-08T18:08:14 UTC",
            "2022-09-08 18:08:14Z",
            "2022-09-08 18-08-14",
            "2023-02-29",
            "2022/09/08",
        ] {
            assert_eq!(parse_iso_shaped(v), None, "{v}");
        }
        // What the fast path leaves (a leap second, short fields) still reads as before.
        for v in ["2022-09-08 23:59:60", "2022-9-8", "2022-09-08 1:02:03"] {
            assert_eq!(parse(v), by_chrono(v), "{v}");
        }
    }

    /// What the general parsers (chrono with the listed formats) make of `v`.
    fn by_chrono(v: &str) -> Option<i64> {
        DATETIME_FORMATS
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
            .map(|dt| dt.and_utc().timestamp())
            .or_else(|| {
                DATE_FORMATS
                    .iter()
                    .find_map(|f| NaiveDate::parse_from_str(v, f).ok())
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp())
            })
    }

    #[test]
    fn the_fast_short_forms_agree_with_chrono() {
        let mut n = 0;
        for y in ["00", "26", "68", "69", "70", "99"] {
            for (m, d) in [
                ("1", "2"),
                ("12", "31"),
                ("02", "29"),
                ("2", "30"),
                ("13", "1"),
            ] {
                for t in [
                    "12:00 AM", "12:59 PM", "1:05 PM", "11:59 pm", "0:30 AM", "13:00 PM",
                ] {
                    let v = format!("{m}/{d}/{y}, {t}");
                    if parse_us_short(&v).is_some() {
                        n += 1;
                        assert_eq!(parse_us_short(&v), by_chrono(&v), "{v}");
                    } else {
                        assert_eq!(parse(&v), by_chrono(&v), "{v}");
                    }
                }
            }
        }
        assert!(n > 50, "{n}");
        for v in [
            "19 Aug 2026",
            "1 jan 1999",
            "29 Feb 2024",
            "29 Feb 2023",
            "31 Sep 2020",
            "7 Sept 2020",
        ] {
            assert_eq!(parse(v), by_chrono(v), "{v}");
        }
        assert!(parse_day_month("19 Aug 2026").is_some());
    }
}
