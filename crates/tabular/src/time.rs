//! Times as spreadsheets and other CRMs write them, to one instant.
//!
//! [`parse_time`] reads what a 跟进时间 / 创建时间 / Activity Date column holds:
//!
//! - `2023-05-01 14:30:00`, `2023-05-01 14:30`, `2023-5-1`, `2023/5/1`, `2023/05/01 9:05`,
//!   `2023.5.1`, `20230501`, `2023年5月1日`, `2023年5月1日 14:30`, `2023年5月1日14时30分`,
//!   `2023/5/1 下午2:30`, `2023-05-01 2:30 PM`;
//! - ISO 8601 / RFC 3339 with `T` and `Z` or an offset: `2023-05-01T14:30:00Z`,
//!   `2023-05-01T14:30:00.123+08:00`, `2023-05-01 06:30:00 +0000`, `… UTC`;
//! - Excel serial numbers, days since 1899-12-30 with the time as the fraction: `45047`,
//!   `45047.6041666667` (what a date cell holds when the sheet does not format it as a date),
//!   from 10000 (1927-05-18) on: a shorter number is a year or a typo, not a date;
//! - Unix time in seconds (10 digits) or milliseconds (13 digits), as some exports write it;
//! - day and month before the year (`1/5/2023`, `5/1/2023 14:30`) only when the order is
//!   clear: from the values themselves (a part over 12) or as told ([`TimeOptions::order`],
//!   which [`infer_date_order`] finds for a whole column).
//!
//! A time without an offset is local time of [`TimeOptions::offset`]: China time (UTC+8) for
//! [`parse_time`]. A date without a time is midnight. Full-width digits and punctuation
//! (２０２３／５／１) read as their ASCII forms. Results are whole microseconds (what
//! PostgreSQL stores), so a value read twice compares equal once stored.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc,
};

/// China Standard Time, UTC+8: the zone of times written without an offset.
pub fn china() -> FixedOffset {
    // 8 hours is within ±24 hours: never fails.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// Which of the two numbers before a year is the month (`5/1/2023`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOrder {
    /// 5/1/2023 is May 1 (United States, Salesforce and HubSpot in US locale).
    MonthFirst,
    /// 1/5/2023 is May 1 (most of the world).
    DayFirst,
}

/// How to read times that do not say everything themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOptions {
    /// Zone of times written without an offset.
    pub offset: FixedOffset,
    /// Order of day and month before a year; `None`: only unambiguous values are read.
    pub order: Option<DateOrder>,
}

impl Default for TimeOptions {
    fn default() -> Self {
        TimeOptions {
            offset: china(),
            order: None,
        }
    }
}

/// Why a value is not a time. The messages quote the value, for a result file that names the
/// row and the column before them: "row 4, column 3 (跟进时间): `2023-13-45` is not a date; …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("the date is empty")]
    Empty,
    #[error(
        "`{0}` is not a date; write it as 2023-05-01 or 2023-05-01 14:30 (年月日, ISO 8601 and Excel dates are read too)"
    )]
    NotATime(String),
    #[error("`{0}` could be day/month/year or month/day/year; write it as 2023-05-01 (year first)")]
    Ambiguous(String),
}

/// Reads a time; one without an offset is China time (UTC+8). See the [module](self) for the
/// forms read.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, TimeError> {
    parse_time_with(s, &TimeOptions::default())
}

/// [`parse_time`] with another zone for times without an offset, or a day/month order.
pub fn parse_time_with(s: &str, opts: &TimeOptions) -> Result<DateTime<Utc>, TimeError> {
    let chars = ascii_forms(s);
    if chars.is_empty() {
        return Err(TimeError::Empty);
    }
    let not = || TimeError::NotATime(s.trim().to_string());
    if chars.iter().all(|c| c.is_ascii_digit() || *c == '.')
        && chars.iter().filter(|c| **c == '.').count() <= 1
    {
        return numeric(&chars, opts.offset).ok_or_else(not);
    }
    let mut c = Cursor { s: &chars, i: 0 };
    let date = c.date(opts.order).map_err(|e| match e {
        Fail::Ambiguous => TimeError::Ambiguous(s.trim().to_string()),
        Fail::No => not(),
    })?;
    // Between date and time: a space, `T` or a comma; or nothing (2023年5月1日14:30).
    c.skip_while(|ch| ch == ' ' || ch == ',');
    if c.peek().is_some_and(|ch| ch == 'T' || ch == 't') && c.ahead(1).is_some_and(is_digit) {
        c.i += 1;
    }
    let mut time = NaiveTime::MIN;
    if c.i < chars.len() && !c.at_zone() {
        time = c.time_of_day().ok_or_else(not)?;
    }
    c.skip_while(|ch| ch == ' ');
    let offset = c.zone().ok_or_else(not)?.unwrap_or(opts.offset);
    c.skip_while(|ch| ch == ' ');
    if c.i != chars.len() {
        return Err(not());
    }
    local(date.and_time(time), offset).ok_or_else(not)
}

/// The order of day and month that the values of a column show: one with a first number over
/// 12 (25/12/2023) is day first, one with a second number over 12 (12/25/2023) is month
/// first. `None` when no value tells, or values disagree.
pub fn infer_date_order<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<DateOrder> {
    let (mut day_first, mut month_first) = (false, false);
    for v in values {
        let chars = ascii_forms(v);
        let mut c = Cursor { s: &chars, i: 0 };
        let Some(a) = c.number(1, 2) else { continue };
        let Some(sep) = c.peek().filter(|ch| matches!(ch, '/' | '-' | '.')) else {
            continue;
        };
        c.i += 1;
        let Some(b) = c.number(1, 2) else { continue };
        if c.peek() != Some(sep) {
            continue;
        }
        c.i += 1;
        if c.number(4, 4).is_none() {
            continue;
        }
        day_first |= a > 12 && (1..=12).contains(&b);
        month_first |= b > 12 && (1..=12).contains(&a);
    }
    match (day_first, month_first) {
        (true, false) => Some(DateOrder::DayFirst),
        (false, true) => Some(DateOrder::MonthFirst),
        _ => None,
    }
}

/// Excel's day 0 for serial numbers after the fictitious 1900-02-29 (serial 60).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default()
}

/// Years a date may have: wide enough for any CRM's history and plans, narrow enough that a
/// typo (0203, 20223) is caught.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

fn local(t: NaiveDateTime, offset: FixedOffset) -> Option<DateTime<Utc>> {
    if !YEARS.contains(&t.year()) {
        return None;
    }
    let t = offset.from_local_datetime(&t).single()?.with_timezone(&Utc);
    // Whole microseconds.
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1000)
}

/// Digits only, perhaps with a decimal point: a compact date, Unix time or Excel serial.
fn numeric(chars: &[char], offset: FixedOffset) -> Option<DateTime<Utc>> {
    let s: String = chars.iter().collect();
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    if int.is_empty() || frac.is_some_and(|f| f.is_empty() || f.contains('.')) {
        return None;
    }
    let n = |a: usize, b: usize| int.get(a..b)?.parse::<u32>().ok();
    match (int.len(), frac) {
        (8, None) => {
            let d = NaiveDate::from_ymd_opt(i32::try_from(n(0, 4)?).ok()?, n(4, 6)?, n(6, 8)?)?;
            local(d.and_time(NaiveTime::MIN), offset)
        }
        (14, None) => {
            let d = NaiveDate::from_ymd_opt(i32::try_from(n(0, 4)?).ok()?, n(4, 6)?, n(6, 8)?)?;
            let t = NaiveTime::from_hms_opt(n(8, 10)?, n(10, 12)?, n(12, 14)?)?;
            local(d.and_time(t), offset)
        }
        (10, None) => {
            let t = DateTime::from_timestamp(int.parse().ok()?, 0)?;
            YEARS.contains(&t.year()).then_some(t)
        }
        (13, None) => {
            let t = DateTime::from_timestamp_millis(int.parse().ok()?)?;
            YEARS.contains(&t.year()).then_some(t)
        }
        (5..=7, _) => {
            let days: i64 = int.parse().ok()?;
            let frac: f64 = match frac {
                Some(f) => format!("0.{f}").parse().ok()?,
                None => 0.0,
            };
            // Rounded to the second: Excel stores 14:30 as 0.604166666…
            let mut secs = (frac * 86_400.0).round() as i64;
            let mut days = days;
            if secs >= 86_400 {
                days += 1;
                secs -= 86_400;
            }
            let date = excel_epoch().checked_add_signed(Duration::days(days))?;
            local(
                date.and_time(NaiveTime::MIN) + Duration::seconds(secs),
                offset,
            )
        }
        _ => None,
    }
}

/// Full-width digits and punctuation as ASCII, other white space as one space, trimmed.
fn ascii_forms(s: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    for ch in s.trim().chars() {
        let ch = match ch {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(ch as u32 - 0xFEE0).unwrap_or(ch),
            '\u{3000}' | '\u{00A0}' | '\t' => ' ',
            '\u{FEFF}' => continue,
            c => c,
        };
        if ch == ' ' && out.last() == Some(&' ') {
            continue;
        }
        out.push(ch);
    }
    while out.last() == Some(&' ') {
        out.pop();
    }
    while out.first() == Some(&' ') {
        out.remove(0);
    }
    out
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

enum Fail {
    No,
    Ambiguous,
}

struct Cursor<'a> {
    s: &'a [char],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn ahead(&self, n: usize) -> Option<char> {
        self.s.get(self.i + n).copied()
    }

    fn skip_while(&mut self, f: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Eats `word` if the text goes on with it (ASCII case ignored).
    fn eat_word(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        let Some(slice) = self.s.get(self.i..self.i + n) else {
            return false;
        };
        if slice
            .iter()
            .zip(word.chars())
            .all(|(a, b)| a.eq_ignore_ascii_case(&b))
        {
            self.i += n;
            true
        } else {
            false
        }
    }

    /// A number of `min..=max` digits (no more digits may follow).
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut v: u32 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            if self.i - start == max {
                self.i = start;
                return None;
            }
            v = v * 10 + d;
            self.i += 1;
        }
        if self.i - start < min {
            self.i = start;
            return None;
        }
        Some(v)
    }

    fn date(&mut self, order: Option<DateOrder>) -> Result<NaiveDate, Fail> {
        let start = self.i;
        if let Some(y) = self.number(4, 4) {
            let y = i32::try_from(y).map_err(|_| Fail::No)?;
            let (m, d) = if self.eat('年') {
                self.skip_while(|c| c == ' ');
                let m = self.number(1, 2).ok_or(Fail::No)?;
                self.skip_while(|c| c == ' ');
                if !self.eat('月') {
                    return Err(Fail::No);
                }
                self.skip_while(|c| c == ' ');
                let d = self.number(1, 2).ok_or(Fail::No)?;
                self.skip_while(|c| c == ' ');
                let _ = self.eat('日') || self.eat('号');
                (m, d)
            } else {
                let sep = self
                    .peek()
                    .filter(|c| matches!(c, '-' | '/' | '.'))
                    .ok_or(Fail::No)?;
                self.i += 1;
                let m = self.number(1, 2).ok_or(Fail::No)?;
                if !self.eat(sep) {
                    return Err(Fail::No);
                }
                let d = self.number(1, 2).ok_or(Fail::No)?;
                (m, d)
            };
            return NaiveDate::from_ymd_opt(y, m, d).ok_or(Fail::No);
        }
        self.i = start;
        // Day and month before the year.
        let a = self.number(1, 2).ok_or(Fail::No)?;
        let sep = self
            .peek()
            .filter(|c| matches!(c, '-' | '/' | '.'))
            .ok_or(Fail::No)?;
        self.i += 1;
        let b = self.number(1, 2).ok_or(Fail::No)?;
        if !self.eat(sep) {
            return Err(Fail::No);
        }
        let y = i32::try_from(self.number(4, 4).ok_or(Fail::No)?).map_err(|_| Fail::No)?;
        let as_month_first = NaiveDate::from_ymd_opt(y, a, b);
        let as_day_first = NaiveDate::from_ymd_opt(y, b, a);
        match (order, as_month_first, as_day_first) {
            (Some(DateOrder::MonthFirst), Some(d), _) | (Some(DateOrder::DayFirst), _, Some(d)) => {
                Ok(d)
            }
            (Some(_), _, _) => Err(Fail::No),
            (None, Some(d), None) | (None, None, Some(d)) => Ok(d),
            // The same either way: 5/5/2023.
            (None, Some(d), Some(e)) if d == e => Ok(d),
            (None, Some(_), Some(_)) => Err(Fail::Ambiguous),
            (None, None, None) => Err(Fail::No),
        }
    }

    /// 12-hour clock words before the time: 上午 (morning), 下午/晚上 (afternoon, evening).
    fn meridiem_before(&mut self) -> Option<bool> {
        for (w, pm) in [
            ("上午", false),
            ("早上", false),
            ("凌晨", false),
            ("中午", true),
            ("下午", true),
            ("晚上", true),
        ] {
            if self.eat_word(w) {
                self.skip_while(|c| c == ' ');
                return Some(pm);
            }
        }
        None
    }

    fn meridiem_after(&mut self) -> Option<bool> {
        let start = self.i;
        self.skip_while(|c| c == ' ');
        for (w, pm) in [("a.m.", false), ("p.m.", true), ("am", false), ("pm", true)] {
            if self.eat_word(w) {
                return Some(pm);
            }
        }
        self.i = start;
        None
    }

    fn time_of_day(&mut self) -> Option<NaiveTime> {
        let before = self.meridiem_before();
        let mut h = self.number(1, 2)?;
        let (mut m, mut s, mut nanos) = (0, 0, 0);
        if self.eat(':') {
            m = self.number(1, 2)?;
            if self.eat(':') {
                s = self.number(1, 2)?;
                if self.peek() == Some('.') || self.peek() == Some(',') {
                    self.i += 1;
                    let start = self.i;
                    self.skip_while(is_digit);
                    let digits: String = self.s[start..self.i].iter().take(9).collect();
                    if digits.is_empty() {
                        return None;
                    }
                    nanos = format!("{digits:0<9}").parse().ok()?;
                }
            }
        } else if self.eat('时') || self.eat('点') {
            if self.eat('半') {
                m = 30;
            } else if let Some(v) = self.number(1, 2) {
                m = v;
                let _ = self.eat('分');
                if let Some(v) = self.number(1, 2) {
                    s = v;
                    let _ = self.eat('秒');
                }
            }
        } else {
            return None;
        }
        if let Some(pm) = before.or_else(|| self.meridiem_after()) {
            if !(1..=12).contains(&h) {
                // 下午14:30 says the same twice: take the 24-hour reading.
                if !(pm && (13..=23).contains(&h)) {
                    return None;
                }
            } else if pm && h != 12 {
                h += 12;
            } else if !pm && h == 12 {
                h = 0;
            }
        }
        NaiveTime::from_hms_nano_opt(h, m, s, nanos)
    }

    fn at_zone(&self) -> bool {
        let mut c = Cursor {
            s: self.s,
            i: self.i,
        };
        c.skip_while(|ch| ch == ' ');
        matches!(c.peek(), Some('Z' | 'z' | '+'))
            || c.eat_word("utc")
            || c.eat_word("gmt")
            || (c.peek() == Some('-')
                && c.ahead(1).is_some_and(is_digit)
                && c.ahead(2).is_some_and(is_digit))
    }

    /// `Z`, `UTC`, `GMT`, `+08:00`, `+0800`, `+08`, `UTC+8`; `Ok(None)` when there is none,
    /// `None` for something that is not a zone.
    fn zone(&mut self) -> Option<Option<FixedOffset>> {
        if self.peek().is_none() {
            return Some(None);
        }
        let mut named = false;
        if self.eat('Z') || self.eat('z') {
            return Some(Some(Utc.fix()));
        }
        if self.eat_word("utc") || self.eat_word("gmt") {
            named = true;
        }
        let sign = match self.peek() {
            Some('+') => 1,
            Some('-') => -1,
            _ if named => return Some(Some(Utc.fix())),
            _ => return None,
        };
        self.i += 1;
        let start = self.i;
        self.skip_while(is_digit);
        let digits: String = self.s[start..self.i].iter().collect();
        let (h, m): (i32, i32) = match digits.len() {
            1 | 2 => {
                let h = digits.parse().ok()?;
                let m = if self.eat(':') {
                    i32::try_from(self.number(2, 2)?).ok()?
                } else {
                    0
                };
                (h, m)
            }
            4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
            _ => return None,
        };
        if h > 14 || m > 59 {
            return None;
        }
        FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The instant of a China-time wall clock reading.
    fn cst(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        china()
            .with_ymd_and_hms(y, mo, d, h, mi, s)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_forms_people_write() {
        let may1 = cst(2023, 5, 1, 0, 0, 0);
        let at1430 = cst(2023, 5, 1, 14, 30, 0);
        for (raw, want) in [
            ("2023-05-01 14:30:00", at1430),
            ("2023-05-01 14:30", at1430),
            ("2023-5-1", may1),
            ("2023/5/1", may1),
            ("2023/05/01 9:05", cst(2023, 5, 1, 9, 5, 0)),
            ("2023.5.1", may1),
            ("20230501", may1),
            ("20230501143000", at1430),
            ("2023年5月1日", may1),
            ("2023年5月1号", may1),
            ("2023年05月01日 14:30", at1430),
            ("2023年5月1日14:30", at1430),
            ("2023年5月1日 14时30分", at1430),
            ("2023年5月1日 下午2点半", at1430),
            ("2023/5/1 下午2:30", at1430),
            ("2023/5/1 上午12:10", cst(2023, 5, 1, 0, 10, 0)),
            ("2023-05-01 2:30 PM", at1430),
            ("2023-05-01 2:30pm", at1430),
            ("2023-05-01 12:00 p.m.", cst(2023, 5, 1, 12, 0, 0)),
            ("2023-05-01 下午14:30", at1430),
            ("  2023-05-01   14:30  ", at1430),
            ("２０２３／５／１　１４：３０", at1430),
            ("2023-05-01T14:30:00", at1430),
            ("2023-05-01T06:30:00Z", at1430),
            ("2023-05-01T06:30Z", at1430),
            ("2023-05-01T14:30:00+08:00", at1430),
            ("2023-05-01T08:30:00+02:00", at1430),
            ("2023-05-01T01:30:00-05:00", at1430),
            ("2023-05-01 06:30:00 +0000", at1430),
            ("2023-05-01 06:30:00 UTC", at1430),
            ("2023-05-01 14:30 GMT+8", at1430),
            ("2023-05-01T14:30:00+08", at1430),
            ("45047", may1),
            ("45047.6041666667", at1430),
            ("45047.604166666664", at1430),
            ("1682922600", at1430),
            ("1682922600000", at1430),
            ("25/12/2023", cst(2023, 12, 25, 0, 0, 0)),
            ("12/25/2023 14:30", cst(2023, 12, 25, 14, 30, 0)),
            ("5/5/2023", cst(2023, 5, 5, 0, 0, 0)),
        ] {
            assert_eq!(parse_time(raw), Ok(want), "{raw}");
        }
        let t = parse_time("2023-05-01T06:30:00.123456789Z").unwrap();
        assert_eq!(t.nanosecond(), 123_456_000, "whole microseconds");
    }

    #[test]
    fn what_is_not_a_time() {
        for raw in [
            "2023-13-45",
            "2023-02-30",
            "2023-02-29",
            "2023-05-01 25:00",
            "2023-05-01 14:60",
            "2023-05-01 14",
            "2023-05-01 14:30 下周",
            "2023-05/01",
            "2023年5月",
            "2023",
            "202",
            "0",
            "1.5",
            "hello",
            "昨天",
            "2023-05-01T",
            "2023-05-01 14:30 +99:00",
            "0023-05-01",
            "1800-01-01",
            "45047..5",
            "123456789",
            "13/13/2023",
            "9999999",
        ] {
            assert!(
                matches!(parse_time(raw), Err(TimeError::NotATime(_))),
                "{raw}: {:?}",
                parse_time(raw)
            );
        }
        assert_eq!(parse_time("   "), Err(TimeError::Empty));
        assert_eq!(
            parse_time("1/5/2023"),
            Err(TimeError::Ambiguous("1/5/2023".into()))
        );
        let msg = parse_time("2023-13-45").unwrap_err().to_string();
        assert!(msg.starts_with("`2023-13-45` is not a date"), "{msg}");
    }

    #[test]
    fn day_and_month_order() {
        let month_first = TimeOptions {
            order: Some(DateOrder::MonthFirst),
            ..Default::default()
        };
        let day_first = TimeOptions {
            order: Some(DateOrder::DayFirst),
            ..Default::default()
        };
        assert_eq!(
            parse_time_with("1/5/2023", &month_first),
            Ok(cst(2023, 1, 5, 0, 0, 0))
        );
        assert_eq!(
            parse_time_with("1/5/2023", &day_first),
            Ok(cst(2023, 5, 1, 0, 0, 0))
        );
        assert!(parse_time_with("25/12/2023", &month_first).is_err());
        assert_eq!(
            infer_date_order(["1/5/2023", "12/25/2023 9:00", "2023-01-01"]),
            Some(DateOrder::MonthFirst)
        );
        assert_eq!(
            infer_date_order(["1/5/2023", "25.12.2023"]),
            Some(DateOrder::DayFirst)
        );
        assert_eq!(infer_date_order(["1/5/2023", "2023-01-01"]), None);
        assert_eq!(infer_date_order(["25/12/2023", "12/25/2023"]), None);
    }

    #[test]
    fn other_zones_for_times_without_one() {
        let utc = TimeOptions {
            offset: Utc.fix(),
            ..Default::default()
        };
        assert_eq!(
            parse_time_with("2023-05-01 14:30", &utc),
            Ok(Utc.with_ymd_and_hms(2023, 5, 1, 14, 30, 0).unwrap())
        );
        // An offset written in the value wins.
        assert_eq!(
            parse_time_with("2023-05-01 14:30+08:00", &utc),
            Ok(cst(2023, 5, 1, 14, 30, 0))
        );
    }

    /// What `read_path` makes of XLSX cells: date cells as text, unformatted ones as numbers.
    #[test]
    fn xlsx_dates_and_serials() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let when = rust_xlsxwriter::ExcelDateTime::from_ymd(2023, 5, 1)
            .unwrap()
            .and_hms(14, 30, 0)
            .unwrap();
        let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2023, 5, 1).unwrap();
        let datetime = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm");
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
        ws.write_string(0, 0, "跟进时间").unwrap();
        ws.write_datetime_with_format(1, 0, &when, &datetime)
            .unwrap();
        ws.write_datetime_with_format(2, 0, &day, &date).unwrap();
        ws.write_number(3, 0, 45_047.604_166_666_7).unwrap();
        ws.write_number(4, 0, 45047.0).unwrap();
        ws.write_string(5, 0, "2023年5月1日 14:30").unwrap();
        wb.save(&path).unwrap();
        let t = crate::read_path(&path).unwrap();
        let got: Vec<_> = t.rows.iter().map(|r| parse_time(&r[0])).collect();
        let at1430 = Ok(cst(2023, 5, 1, 14, 30, 0));
        let may1 = Ok(cst(2023, 5, 1, 0, 0, 0));
        assert_eq!(
            got,
            vec![at1430.clone(), may1.clone(), at1430.clone(), may1, at1430]
        );
    }

    fn wall_clock() -> impl Strategy<Value = NaiveDateTime> {
        (
            1950i32..2150,
            1u32..=12,
            1u32..=31,
            0u32..24,
            0u32..60,
            0u32..60,
        )
            .prop_filter_map("a real date", |(y, mo, d, h, mi, s)| {
                NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h, mi, s)
            })
    }

    proptest! {
        #[test]
        fn written_forms_read_back(t in wall_clock(), form in 0usize..9) {
            let want = china().from_local_datetime(&t).unwrap().with_timezone(&Utc);
            let (y, mo, d) = (t.year(), t.month(), t.day());
            let (h, mi, s) = (t.hour(), t.minute(), t.second());
            let (h12, pm) = match h { 0 => (12, false), 1..=11 => (h, false), 12 => (12, true), _ => (h - 12, true) };
            let raw = match form {
                0 => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
                1 => format!("{y}/{mo}/{d} {h}:{mi:02}:{s:02}"),
                2 => format!("{y}.{mo}.{d} {h}:{mi:02}:{s:02}"),
                3 => format!("{y}年{mo}月{d}日 {h}:{mi:02}:{s:02}"),
                4 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+08:00"),
                5 => want.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                6 => want.to_rfc3339(),
                7 => format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}"),
                _ => format!("{y}-{mo}-{d} {h12}:{mi:02}:{s:02} {}", if pm { "PM" } else { "AM" }),
            };
            prop_assert_eq!(parse_time(&raw), Ok(want), "{}", raw);
        }

        #[test]
        fn excel_serials_read_back(t in wall_clock()) {
            let since = t - excel_epoch().and_time(NaiveTime::MIN);
            let serial = since.num_seconds() as f64 / 86_400.0;
            let want = china().from_local_datetime(&t).unwrap().with_timezone(&Utc);
            // As calamine gives an unformatted number cell: Rust's shortest float text.
            prop_assert_eq!(parse_time(&serial.to_string()), Ok(want));
        }

        #[test]
        fn offsets_are_honoured(t in wall_clock(), minutes in -14 * 60i32..=14 * 60) {
            let offset = FixedOffset::east_opt(minutes * 60).unwrap();
            let written = offset.from_local_datetime(&t).unwrap();
            prop_assert_eq!(parse_time(&written.to_rfc3339()), Ok(written.with_timezone(&Utc)));
        }

        #[test]
        fn day_month_year_with_the_order_given(t in wall_clock()) {
            let (y, mo, d) = (t.year(), t.month(), t.day());
            let want = china().from_local_datetime(&t.date().and_time(NaiveTime::MIN)).unwrap().with_timezone(&Utc);
            let us = TimeOptions { order: Some(DateOrder::MonthFirst), ..Default::default() };
            let eu = TimeOptions { order: Some(DateOrder::DayFirst), ..Default::default() };
            prop_assert_eq!(parse_time_with(&format!("{mo}/{d}/{y}"), &us), Ok(want));
            prop_assert_eq!(parse_time_with(&format!("{d}/{mo}/{y}"), &eu), Ok(want));
            // Without an order: read only when it cannot be the other one.
            let r = parse_time(&format!("{d}/{mo}/{y}"));
            if d > 12 || d == mo {
                prop_assert_eq!(r, Ok(want));
            } else {
                prop_assert!(r.is_err());
            }
        }

        #[test]
        fn anything_else_is_an_error_not_a_panic(s in "\\PC{0,40}") {
            let _ = parse_time(&s);
        }

        #[test]
        fn digits_and_separators_never_panic(s in "[0-9年月日时分秒点半:/. T+Zz-]{0,30}") {
            let _ = parse_time(&s);
        }
    }
}
