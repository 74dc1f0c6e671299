//! Phone numbers as reps type them — "138 0013 8000", "+86 (10) 6234-5678 转 801",
//! "0086-138…", "13800138000 / 010-88886666" — to E.164 with the extension split off.
//! Validation and formatting come from libphonenumber's metadata (the `phonenumber` crate);
//! this module only cleans, splits and classifies.

use std::collections::HashMap;
use std::sync::LazyLock;

use phonenumber::country::Id as Country;
use phonenumber::{Mode, PhoneNumber};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    /// Chinese mobile (1[3-9]…, 11 digits).
    Mobile,
    /// Fixed line with area code.
    Landline,
    /// 400 numbers: shared-cost, used by many companies' call centres.
    SharedCost,
    /// 800 numbers: toll-free.
    TollFree,
    /// Anything else that libphonenumber accepts (foreign numbers, VoIP, …).
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// E.164, e.g. `+8613800138000`.
    pub e164: String,
    pub extension: Option<String>,
    pub kind: PhoneKind,
    /// City of a Chinese landline's area code, e.g. `北京市`.
    pub area_city: Option<String>,
}

impl Phone {
    /// 400/800 numbers are shared by many: weak evidence that two records are one customer.
    pub fn weak(&self) -> bool {
        matches!(self.kind, PhoneKind::SharedCost | PhoneKind::TollFree)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error(
        "固定电话 “{0}” 缺少区号，请写成 010-88886666 这样 / landline {0} needs its area code, e.g. 010-88886666"
    )]
    MissingAreaCode(String),
    #[error("无法识别的电话号码 “{0}” / not a valid phone number: {0}")]
    Invalid(String),
}

static AREA_CODES: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    include_str!("../../data/area_codes.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .fold(HashMap::new(), |mut m, (code, city)| {
            m.entry(code).or_insert(city);
            m
        })
});

/// Words that introduce an extension, longest first.
const EXTENSION_MARKERS: &[&str] = &[
    "转分机",
    "分机号",
    "分机",
    "转",
    "ext.",
    "ext",
    "x",
    "#",
    "-ext",
];

/// Parses every phone number in a field. An empty field is no number, not an error.
pub fn parse_phones(raw: &str) -> Result<Vec<Phone>, PhoneError> {
    let text: String = raw.nfkc().collect::<String>().to_lowercase();
    if !text.trim().is_empty() && !text.chars().any(|c| c.is_ascii_digit()) {
        return Err(PhoneError::Invalid(raw.trim().to_string()));
    }
    let mut out: Vec<Phone> = Vec::new();
    for segment in split_numbers(&text) {
        for p in parse_segment(segment)? {
            if !out.iter().any(|q| q.e164 == p.e164) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// Splits on the separators people put between numbers (never inside one).
fn split_numbers(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ';', '、', '|', '/', '\n', '\r', '\t', '，', '；'])
        .flat_map(|s| s.split("或"))
        .flat_map(|s| s.split(" or "))
        .map(str::trim)
        .filter(|s| s.chars().any(|c| c.is_ascii_digit()))
}

/// Splits an explicit extension marker off: ("010-88886666", Some("801")).
fn split_extension(segment: &str) -> (&str, Option<String>) {
    for m in EXTENSION_MARKERS {
        if let Some(pos) = segment.find(m) {
            let (main, rest) = (&segment[..pos], &segment[pos + m.len()..]);
            // "x" only counts between digits ("6234x12"), not in words.
            if main.chars().any(|c| c.is_ascii_digit()) {
                let ext: String = rest.chars().filter(char::is_ascii_digit).collect();
                if !ext.is_empty() && ext.len() <= 6 {
                    return (main, Some(ext));
                }
            }
        }
    }
    (segment, None)
}

/// Digit groups of a segment; a `+` sticks to the group after it.
fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || (c == '+' && cur.is_empty()) {
            cur.push(c);
        } else if !cur.is_empty() && cur != "+" {
            out.push(std::mem::take(&mut cur));
        } else if c != '+' {
            cur.clear();
        }
    }
    if !cur.is_empty() && cur != "+" {
        out.push(cur);
    }
    out
}

fn parse_segment(segment: &str) -> Result<Vec<Phone>, PhoneError> {
    let (main, extension) = split_extension(segment);
    let toks = tokens(main);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        // The longest run of groups from here that is one valid number.
        let mut best: Option<(usize, PhoneNumber)> = None;
        let mut digits = String::new();
        let plus = toks[i].starts_with('+');
        for (j, t) in toks.iter().enumerate().skip(i) {
            if j > i && t.starts_with('+') {
                break;
            }
            digits.push_str(t.trim_start_matches('+'));
            if digits.len() > 17 {
                break;
            }
            if let Some(n) = candidate(&digits, plus) {
                best = Some((j + 1, n));
            }
        }
        match best {
            Some((end, number)) => {
                out.push(phone(&number, None));
                i = end;
            }
            None => {
                // Short groups right after a landline are its extension ("0755-8888 6666-801").
                let rest: String = toks[i..].concat();
                if let Some(last) = out.last_mut()
                    && last.kind == PhoneKind::Landline
                    && last.extension.is_none()
                    && (1..=6).contains(&rest.len())
                    && !rest.starts_with('+')
                {
                    last.extension = Some(rest);
                    break;
                }
                let all: String = toks[i..].concat();
                let d = all.trim_start_matches('+');
                return Err(
                    if (7..=8).contains(&d.len())
                        && !d.starts_with(['0', '1'])
                        && !all.starts_with('+')
                    {
                        PhoneError::MissingAreaCode(segment.trim().to_string())
                    } else {
                        PhoneError::Invalid(segment.trim().to_string())
                    },
                );
            }
        }
    }
    if let (Some(ext), Some(last)) = (extension, out.last_mut()) {
        last.extension = Some(ext);
    }
    Ok(out)
}

fn valid(country: Option<Country>, s: &str) -> Option<PhoneNumber> {
    phonenumber::parse(country, s)
        .ok()
        .filter(PhoneNumber::is_valid)
}

/// Reads a digit string as one number, trying the prefixes people use.
fn candidate(digits: &str, plus: bool) -> Option<PhoneNumber> {
    let n = digits.len();
    if !((7..=15).contains(&n) || plus || digits.starts_with("00")) {
        return None;
    }
    if plus {
        return valid(None, &format!("+{digits}"));
    }
    if let Some(intl) = digits.strip_prefix("00") {
        return valid(None, &format!("+{intl}"));
    }
    // A Chinese national number never starts with 86: that is the country code without "+".
    if let Some(national) = digits.strip_prefix("86")
        && (10..=12).contains(&national.len())
        && let Some(p) = national_cn(national)
    {
        return Some(p);
    }
    national_cn(digits)
}

fn national_cn(digits: &str) -> Option<PhoneNumber> {
    let n = digits.len();
    // Mobile with a stray trunk 0: 013800138000.
    if n == 12
        && digits.starts_with("01")
        && digits.as_bytes()[2] >= b'3'
        && let Some(p) = valid(Some(Country::CN), &digits[1..])
    {
        return Some(p);
    }
    // A local landline number needs its area code; 7–8 digits without one are not a number.
    if n <= 8 && !digits.starts_with(['0', '1', '4', '8', '9']) {
        return None;
    }
    valid(Some(Country::CN), digits)
}

fn phone(number: &PhoneNumber, extension: Option<String>) -> Phone {
    let e164 = number.format().mode(Mode::E164).to_string();
    let (kind, area_city) = match e164.strip_prefix("+86") {
        Some(nat) if nat.starts_with('1') && nat.len() == 11 && nat.as_bytes()[1] >= b'3' => {
            (PhoneKind::Mobile, None)
        }
        Some(nat) if nat.starts_with("400") => (PhoneKind::SharedCost, None),
        Some(nat) if nat.starts_with("800") => (PhoneKind::TollFree, None),
        Some(nat) => {
            let area_len = if nat.starts_with(['1', '2']) { 2 } else { 3 };
            let code = format!("0{}", &nat[..area_len.min(nat.len())]);
            (
                PhoneKind::Landline,
                AREA_CODES.get(code.as_str()).map(|c| c.to_string()),
            )
        }
        None => (PhoneKind::Other, None),
    };
    Phone {
        e164,
        extension,
        kind,
        area_city,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(raw: &str) -> Vec<String> {
        parse_phones(raw)
            .unwrap_or_else(|e| panic!("{raw}: {e}"))
            .into_iter()
            .map(|p| p.e164)
            .collect()
    }

    #[test]
    fn mobiles_in_every_format() {
        for raw in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "+86-13800138000",
            "0086 13800138000",
            "86 13800138000",
            "8613800138000",
            "(+86) 138.0013.8000",
            "１３８００１３８０００",
            "＋８６ １３８００１３８０００",
            "013800138000",
        ] {
            assert_eq!(e164(raw), vec!["+8613800138000"], "{raw}");
        }
        assert_eq!(
            parse_phones("13800138000").unwrap()[0].kind,
            PhoneKind::Mobile
        );
    }

    #[test]
    fn landlines_with_area_codes_and_extensions() {
        let p = &parse_phones("010-6234 5678 转 801").unwrap()[0];
        assert_eq!(p.e164, "+861062345678");
        assert_eq!(p.extension.as_deref(), Some("801"));
        assert_eq!(p.kind, PhoneKind::Landline);
        assert_eq!(p.area_city.as_deref(), Some("北京市"));
        assert_eq!(e164("(010) 62345678"), vec!["+861062345678"]);
        assert_eq!(e164("+86 10 6234-5678"), vec!["+861062345678"]);
        assert_eq!(e164("86-10-62345678"), vec!["+861062345678"]);
        let p = &parse_phones("0755-8888 6666-801").unwrap()[0];
        assert_eq!(
            (p.e164.as_str(), p.extension.as_deref()),
            ("+8675588886666", Some("801"))
        );
        assert_eq!(p.area_city.as_deref(), Some("深圳市"));
        let p = &parse_phones("021-62345678 ext. 12").unwrap()[0];
        assert_eq!(p.extension.as_deref(), Some("12"));
        let p = &parse_phones("0571-87654321分机3001").unwrap()[0];
        assert_eq!(p.extension.as_deref(), Some("3001"));
    }

    #[test]
    fn several_numbers_in_one_field() {
        assert_eq!(
            e164("13800138000 / 010-88886666转801"),
            vec!["+8613800138000", "+861088886666"]
        );
        assert_eq!(
            e164("13800138000，13900139000"),
            vec!["+8613800138000", "+8613900139000"]
        );
        assert_eq!(
            e164("13800138000 13900139000"),
            vec!["+8613800138000", "+8613900139000"]
        );
        assert_eq!(
            e164("138 0013 8000; +86 (21) 6234-5678"),
            vec!["+8613800138000", "+862162345678"]
        );
        assert_eq!(e164("13800138000 或 13800138000"), vec!["+8613800138000"]);
    }

    #[test]
    fn shared_numbers_are_weak() {
        let p = &parse_phones("400-800-1234").unwrap()[0];
        assert_eq!(p.e164, "+864008001234");
        assert!(p.weak());
        assert!(parse_phones("800-820-8820").unwrap()[0].weak());
        assert!(!parse_phones("13800138000").unwrap()[0].weak());
    }

    #[test]
    fn foreign_numbers() {
        assert_eq!(e164("+1 415 555 2671"), vec!["+14155552671"]);
        assert_eq!(e164("+852 2345 6789"), vec!["+85223456789"]);
        assert_eq!(e164("0044 20 7946 0958"), vec!["+442079460958"]);
    }

    #[test]
    fn clear_errors() {
        assert!(matches!(
            parse_phones("88886666"),
            Err(PhoneError::MissingAreaCode(_))
        ));
        assert!(matches!(parse_phones("12345"), Err(PhoneError::Invalid(_))));
        assert!(matches!(parse_phones("abc"), Err(PhoneError::Invalid(_))));
        assert_eq!(e164("13800138000 / 暂无"), vec!["+8613800138000"]);
        assert!(matches!(
            parse_phones("1380013800"),
            Err(PhoneError::Invalid(_))
        ));
        assert!(parse_phones("").unwrap().is_empty());
        let msg = parse_phones("88886666").unwrap_err().to_string();
        assert!(msg.contains("区号") && msg.contains("area code"), "{msg}");
    }
}
