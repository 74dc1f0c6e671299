//! Phone numbers as reps type them — "138 0013 8000", "+86 (10) 6234-5678 转 801",
//! "0086-138…", "13800138000 / 010-88886666" — to E.164 with the extension split off.
//!
//! Validity comes from libphonenumber's metadata (the `phonenumber` crate). Chinese numbers, by
//! far the most common, are checked against the CN patterns compiled once here: the crate's
//! own parser takes a global lock and recompiles from a 100-entry regex cache, which costs
//! microseconds a number and serializes parallel imports. Foreign numbers (written with + or
//! 00 and a country code) go through the crate's parser.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, PhoneNumber, Type};
use regex::{Regex, RegexBuilder};

use super::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// Chinese mobile (1[3-9]…, 11 digits).
    Mobile,
    /// Chinese fixed line with area code.
    Landline,
    /// 400 numbers: shared-cost, used by many companies' call centres.
    SharedCost,
    /// 800 numbers: toll-free.
    TollFree,
    /// Anything else that libphonenumber accepts (foreign numbers, Chinese VoIP, …).
    Other,
    /// Seven or eight digits with no area code: a local number of some city, nobody can
    /// tell which.
    Local,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// E.164, e.g. `+8613800138000`.
    pub e164: String,
    /// Digits only, e.g. `801`.
    pub extension: Option<String>,
    pub kind: PhoneKind,
    /// City of a Chinese landline's area code, e.g. `北京市`.
    pub area_city: Option<String>,
    /// libphonenumber calls the number valid. An unverified number is one it calls only
    /// *possible* (its length fits, its digits match no current range: an old seven-digit
    /// number from before a city went to eight, a digit missing, a local number without its
    /// area code). It is kept and matched on its digits; `e164` is then `+86` and the
    /// national digits, or the bare digits of a local number.
    pub verified: bool,
}

impl Phone {
    /// 400/800 numbers are shared by many, and a local number without its area code may be
    /// any city's: weak evidence that two records are one customer.
    pub fn weak(&self) -> bool {
        matches!(
            self.kind,
            PhoneKind::SharedCost | PhoneKind::TollFree | PhoneKind::Local
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("无法识别的电话号码 “{0}” / not a valid phone number: {0}")]
    Invalid(String),
}

impl PhoneError {
    /// The piece of the input that is not a number.
    pub fn input(&self) -> &str {
        match self {
            PhoneError::Invalid(s) => s,
        }
    }
}

/// Longest digit string worth trying: 00 + country code + 15-digit E.164 maximum.
const MAX_DIGITS: usize = 17;
/// Longest extension accepted.
const MAX_EXTENSION: usize = 6;

static AREA_CODES: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    include_str!("../../data/area_codes.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .fold(HashMap::new(), |mut m, (code, city)| {
            m.entry(code.trim()).or_insert(city.trim());
            m
        })
});

/// One libphonenumber number pattern, anchored at both ends.
struct Pattern {
    re: Regex,
    lengths: Vec<u16>,
}

impl Pattern {
    fn matches(&self, nsn: &str) -> bool {
        let n = u16::try_from(nsn.len()).unwrap_or(u16::MAX);
        (self.lengths.is_empty() || self.lengths.contains(&n)) && self.re.is_match(nsn)
    }
}

/// libphonenumber's CN metadata: the general pattern and the patterns of each kind, in the
/// order libphonenumber classifies (special services before fixed lines and mobiles).
struct CnPlan {
    general: Pattern,
    kinds: Vec<(PhoneKind, Pattern)>,
    /// Lengths of a possible national number: those of every kind (7–12 digits).
    possible: Vec<u16>,
}

static CN: LazyLock<CnPlan> = LazyLock::new(|| {
    let meta = DATABASE
        .by_id("CN")
        .expect("libphonenumber metadata has CN");
    let pattern = |t: Type| {
        meta.descriptors().get(t).map(|d| Pattern {
            // The metadata patterns are written to be compiled ignoring whitespace.
            re: RegexBuilder::new(&format!("^(?:{})$", d.national_number().as_str()))
                .ignore_whitespace(true)
                .build()
                .expect("libphonenumber CN pattern compiles"),
            lengths: d.possible_length().to_vec(),
        })
    };
    let kinds = [
        (Type::PremiumRate, PhoneKind::Other),
        (Type::TollFree, PhoneKind::TollFree),
        (Type::SharedCost, PhoneKind::SharedCost),
        (Type::Voip, PhoneKind::Other),
        (Type::PersonalNumber, PhoneKind::Other),
        (Type::Pager, PhoneKind::Other),
        (Type::Uan, PhoneKind::Other),
        (Type::Voicemail, PhoneKind::Other),
        (Type::FixedLine, PhoneKind::Landline),
        (Type::Mobile, PhoneKind::Mobile),
    ];
    let kinds: Vec<(PhoneKind, Pattern)> = kinds
        .into_iter()
        .filter_map(|(t, k)| pattern(t).map(|p| (k, p)))
        .collect();
    let mut possible: Vec<u16> = kinds
        .iter()
        .flat_map(|(_, p)| p.lengths.iter().copied())
        .collect();
    possible.sort_unstable();
    possible.dedup();
    CnPlan {
        general: pattern(Type::Unknown).expect("CN metadata has a general pattern"),
        kinds,
        possible,
    }
});

/// Kind of a Chinese national significant number (no trunk 0), or `None` if it is not valid.
fn cn_kind(nsn: &str) -> Option<PhoneKind> {
    if is_cn_mobile(nsn) {
        return Some(PhoneKind::Mobile);
    }
    let plan = &*CN;
    if !plan.general.matches(nsn) {
        return None;
    }
    plan.kinds
        .iter()
        .find(|(_, p)| p.matches(nsn))
        .map(|(k, _)| *k)
}

/// 1[3-9] and nine digits. Mobiles skip the metadata: the shape is the whole rule, and a
/// newly opened prefix must not be refused because the metadata is older than the number.
fn is_cn_mobile(nsn: &str) -> bool {
    let b = nsn.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// A number found: E.164 and kind.
struct Number {
    e164: String,
    kind: PhoneKind,
    verified: bool,
}

/// A Chinese number. `international`: it came after +86/0086/86, where the area code has no
/// trunk 0 (but people often write one anyway: +86 010 …). Domestically, a landline must be
/// dialled with its trunk 0 ("2162345678" is not Shanghai), and without one only mobiles and
/// the ten-digit 400/800 numbers are complete: seven or eight digits are a local number whose
/// area code is missing, even where the metadata knows a city-wide service of that shape.
fn cn_number(digits: &str, international: bool) -> Option<Number> {
    let (nsn, trunk) = match digits.strip_prefix('0') {
        Some(rest) => (rest, true),
        None => (digits, false),
    };
    let kind = cn_kind(nsn)?;
    let complete = match kind {
        PhoneKind::Mobile => true,
        PhoneKind::Landline => trunk,
        _ => trunk || nsn.len() >= 10,
    };
    (international || complete).then(|| Number {
        e164: format!("+86{nsn}"),
        kind,
        verified: true,
    })
}

/// A number in international form, country code first.
fn international(digits: &str) -> Option<Number> {
    if let Some(national) = digits.strip_prefix("86") {
        return cn_number(national, true);
    }
    if !(7..=15).contains(&digits.len()) {
        return None;
    }
    phonenumber::parse(None, format!("+{digits}"))
        .ok()
        .filter(PhoneNumber::is_valid)
        .map(|n| Number {
            e164: n.format().mode(Mode::E164).to_string(),
            kind: PhoneKind::Other,
            verified: true,
        })
}

/// Reads a digit string as one number, trying the prefixes people use.
fn candidate(digits: &str, plus: bool) -> Option<Number> {
    if plus {
        return international(digits);
    }
    if let Some(intl) = digits.strip_prefix("00") {
        return international(intl);
    }
    // No Chinese number starts with 86: that is the country code without its "+".
    if let Some(national) = digits.strip_prefix("86")
        && national.len() >= 9
        && let Some(n) = cn_number(national, true)
    {
        return Some(n);
    }
    if digits.len() < 7 {
        return None;
    }
    cn_number(digits, false)
}

/// A Chinese national number (no trunk 0) whose length fits, though no range holds it.
fn cn_possible(nsn: &str) -> Option<Number> {
    let len = u16::try_from(nsn.len()).ok()?;
    CN.possible.contains(&len).then(|| Number {
        e164: format!("+86{nsn}"),
        // With its area code it is a fixed line, as far as anyone can tell.
        kind: if nsn.starts_with("10") || nsn.starts_with(['2', '3', '4', '5', '6', '7', '8', '9'])
        {
            PhoneKind::Landline
        } else {
            PhoneKind::Other
        },
        verified: false,
    })
}

/// A digit string that [`candidate`] refused but libphonenumber calls *possible*: its length
/// fits the numbers of its country (CN: 7–12 national digits). Seven or eight digits with no
/// trunk 0 are a local number whose area code is missing.
fn possible(digits: &str, plus: bool) -> Option<Number> {
    let intl = if plus {
        Some(digits)
    } else {
        digits.strip_prefix("00")
    };
    if let Some(intl) = intl {
        if let Some(national) = intl.strip_prefix("86") {
            return cn_possible(national.strip_prefix('0').unwrap_or(national));
        }
        if !(7..=15).contains(&intl.len()) {
            return None;
        }
        let n = phonenumber::parse(None, format!("+{intl}")).ok()?;
        let meta = n.metadata(&DATABASE)?;
        let len = u16::try_from(n.national().to_string().len()).ok()?;
        return meta
            .descriptors()
            .general()
            .possible_length()
            .contains(&len)
            .then(|| Number {
                e164: n.format().mode(Mode::E164).to_string(),
                kind: PhoneKind::Other,
                verified: false,
            });
    }
    if let Some(national) = digits.strip_prefix("86")
        && national.len() >= 9
    {
        return cn_possible(national.strip_prefix('0').unwrap_or(national));
    }
    match digits.strip_prefix('0') {
        Some(nsn) => cn_possible(nsn),
        None if (7..=8).contains(&digits.len()) && !digits.starts_with('1') => Some(Number {
            e164: digits.to_string(),
            kind: PhoneKind::Local,
            verified: false,
        }),
        None => cn_possible(digits),
    }
}

fn phone(n: Number) -> Phone {
    let area_city = (n.kind == PhoneKind::Landline)
        .then(|| n.e164.strip_prefix("+86"))
        .flatten()
        .and_then(|nsn| {
            // 010 and 02x have two-digit area codes, all others three.
            let len = if nsn.starts_with(['1', '2']) { 2 } else { 3 };
            let code = format!("0{}", nsn.get(..len)?);
            AREA_CODES.get(code.as_str()).map(|c| (*c).to_string())
        });
    Phone {
        e164: n.e164,
        extension: None,
        kind: n.kind,
        area_city,
        verified: n.verified,
    }
}

/// Parses every phone number in a field ("13800138000 / 010-88886666转801"), each to E.164 with
/// its extension, kind and (for a Chinese landline) the area code's city; duplicates once.
/// Numbers libphonenumber calls possible but not valid come back unverified
/// ([`Phone::verified`]).
///
/// # Errors
///
/// An empty field is no number, not an error. A piece that cannot be a phone at all
/// (letters, three digits, twenty digits) is [`PhoneError::Invalid`], naming that piece.
pub fn parse_phones(raw: &str) -> Result<Vec<Phone>, PhoneError> {
    let (phones, errors) = scan_phones(raw);
    match errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(phones),
    }
}

/// Like [`parse_phones`], but goes on past a piece that is no phone: every number found,
/// and an error for every such piece.
pub fn scan_phones(raw: &str) -> (Vec<Phone>, Vec<PhoneError>) {
    let mut out: Vec<Phone> = Vec::new();
    let mut errors = Vec::new();
    let text = text::nfkc(raw).to_lowercase();
    if text.trim().is_empty() {
        return (out, errors);
    }
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        errors.push(PhoneError::Invalid(raw.trim().to_string()));
        return (out, errors);
    }
    for segment in split_numbers(&text) {
        // "010-88886666 转 801/802", "010-88886666/801": a lone short group after a fixed line
        // is its extension (the first one given is kept).
        if let Some(last) = out.last_mut()
            && matches!(
                last.kind,
                PhoneKind::Landline
                    | PhoneKind::SharedCost
                    | PhoneKind::TollFree
                    | PhoneKind::Local
            )
            && let Some(ext) = bare_extension(segment)
        {
            last.extension.get_or_insert(ext);
            continue;
        }
        let mut found = Vec::new();
        parse_segment(segment, &mut found, &mut errors);
        for p in found {
            match out.iter_mut().find(|q| q.e164 == p.e164) {
                Some(q) => {
                    if q.extension.is_none() {
                        q.extension = p.extension;
                    }
                }
                None => out.push(p),
            }
        }
    }
    (out, errors)
}

/// Splits on the separators people put between numbers (never inside one). Words between
/// numbers ("or", "手机") need no splitting: digit groups only join across separators.
fn split_numbers(text: &str) -> impl Iterator<Item = &str> {
    text.split([
        ',', ';', '、', '|', '/', '\\', '\n', '\r', '\t', '，', '；', '或', '及',
    ])
    .map(str::trim)
    .filter(|s| s.bytes().any(|b| b.is_ascii_digit()))
}

/// The digits of a segment that is one short group, possibly with a marker: "802", "转802".
fn bare_extension(segment: &str) -> Option<String> {
    let digits = segment
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .trim_end_matches(|c: char| !c.is_ascii_digit());
    (digits.len() <= MAX_EXTENSION && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.to_string())
}

/// Words that introduce an extension.
const EXTENSION_MARKERS: &[&str] = &[
    "转分机",
    "分机号",
    "分机",
    "转",
    "extension",
    "ext.",
    "ext",
    "x",
    "#",
];

/// An extension marker followed by its digits: (number part, extension, what follows).
fn split_extension(segment: &str) -> Option<(&str, String, &str)> {
    // Every marker holds one of these: most segments have none and skip the searches.
    if !segment.contains(['转', '分', 'x', '#']) {
        return None;
    }
    let (pos, marker) = EXTENSION_MARKERS
        .iter()
        .filter_map(|m| {
            segment.match_indices(m).find(|&(pos, _)| {
                // The marker must follow a number ("6234x12", not "fax").
                segment[..pos]
                    .trim_end()
                    .ends_with(|c: char| c.is_ascii_digit() || c == ')')
            })
        })
        .min_by_key(|&(pos, m)| (pos, usize::MAX - m.len()))?;
    let after = segment[pos + marker.len()..]
        .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '.' | '-' | '：'));
    let len = after.bytes().take_while(u8::is_ascii_digit).count();
    (1..=MAX_EXTENSION)
        .contains(&len)
        .then(|| (&segment[..pos], after[..len].to_string(), &after[len..]))
}

/// A run of digits in a segment.
struct Token<'a> {
    digits: &'a str,
    /// Byte offset of the token (its "+" included) in the segment.
    start: usize,
    /// Written with a leading "+".
    plus: bool,
    /// Only separators (space - . parentheses) since the previous token: it may continue
    /// the same number.
    joined: bool,
    /// Byte offset just past the token's last digit.
    end: usize,
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')' | '_' | '~' | '—' | '–')
}

fn tokens(s: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut joined = false;
    let mut plus_at = None;
    let mut i = 0;
    let bytes = s.as_bytes();
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            let end = bytes[i..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(bytes.len(), |n| i + n);
            out.push(Token {
                digits: &s[i..end],
                start: plus_at.unwrap_or(i),
                plus: plus_at.is_some(),
                joined: joined && plus_at.is_none(),
                end,
            });
            plus_at = None;
            joined = true;
            i = end;
            continue;
        }
        let c = s[i..].chars().next().unwrap_or(' ');
        if c == '+' {
            plus_at = Some(i);
        } else if !is_separator(c) {
            joined = false;
            plus_at = None;
        }
        i += c.len_utf8();
    }
    out
}

fn parse_segment(segment: &str, out: &mut Vec<Phone>, errors: &mut Vec<PhoneError>) {
    let (main, extension, after) = match split_extension(segment) {
        Some((main, ext, after)) => (main, Some(ext), after),
        None => (segment, None, ""),
    };
    // "+44 (0)20 …": the optional trunk 0 of the international form.
    let main: Cow<'_, str> = if main.as_bytes().windows(3).any(|w| w == b"(0)") {
        Cow::Owned(main.replace("(0)", " "))
    } else {
        Cow::Borrowed(main)
    };
    let toks = tokens(&main);
    let first_new = out.len();
    let mut i = 0;
    while i < toks.len() {
        // The tokens that may continue the number starting at i.
        let mut run = String::new();
        let mut ends = Vec::new();
        for (k, t) in toks[i..].iter().enumerate() {
            if (k > 0 && (t.plus || !t.joined)) || run.len() + t.digits.len() > MAX_DIGITS {
                break;
            }
            run.push_str(t.digits);
            ends.push(run.len());
        }
        let plus = toks[i].plus;
        // The longest run of tokens that is one number…
        let mut found = ends
            .iter()
            .enumerate()
            .rev()
            .find_map(|(k, &len)| candidate(&run[..len], plus).map(|n| (k, n)));
        // …unless it ends in a short group that the landline before it is complete without:
        // "0571-8765432-1" is 0571-8765432 extension 1.
        if let Some((k, n)) = &found
            && *k > 0
            && n.kind == PhoneKind::Landline
            && ends[*k] - ends[*k - 1] <= 4
            && let Some(shorter) = candidate(&run[..ends[*k - 1]], plus)
            && shorter.kind == PhoneKind::Landline
        {
            found = Some((*k - 1, shorter));
        }
        match found {
            Some((k, n)) => {
                out.push(phone(n));
                i += k + 1;
            }
            None => {
                // A short group right after a fixed line is its extension: "0755-8888 6666-801".
                let rest = &toks[i..];
                let ext_len: usize = rest.iter().map(|t| t.digits.len()).sum();
                if out.len() > first_new
                    && let Some(last) = out.last_mut()
                    && last.kind != PhoneKind::Mobile
                    && last.extension.is_none()
                    && extension.is_none()
                    && rest.iter().all(|t| t.joined && !t.plus)
                    && ext_len <= MAX_EXTENSION
                {
                    last.extension = Some(rest.iter().map(|t| t.digits).collect());
                    break;
                }
                // A number libphonenumber calls possible, though not valid: kept, unverified.
                if let Some((k, n)) = ends
                    .iter()
                    .enumerate()
                    .rev()
                    .find_map(|(k, &len)| possible(&run[..len], plus).map(|n| (k, n)))
                {
                    out.push(phone(n));
                    i += k + 1;
                    continue;
                }
                // No phone at all: the digit groups that belong together are reported.
                let n = 1 + toks[i + 1..]
                    .iter()
                    .take_while(|t| t.joined && !t.plus)
                    .count();
                let piece = main[toks[i].start..toks[i + n - 1].end].trim();
                errors.push(PhoneError::Invalid(piece.to_string()));
                i += n;
            }
        }
    }
    if let Some(ext) = extension {
        match out.get_mut(first_new..).and_then(<[Phone]>::last_mut) {
            Some(last) => last.extension = Some(ext),
            None => errors.push(PhoneError::Invalid(segment.trim().to_string())),
        }
    }
    if after.bytes().any(|b| b.is_ascii_digit()) {
        parse_segment(after.trim(), out, errors);
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

    fn one(raw: &str) -> Phone {
        let mut v = parse_phones(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
        assert_eq!(v.len(), 1, "{raw}: {v:?}");
        v.remove(0)
    }

    #[test]
    fn mobiles_in_every_format() {
        for raw in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "+86-13800138000",
            "+8613800138000",
            "0086 13800138000",
            "86 13800138000",
            "8613800138000",
            "(+86) 138.0013.8000",
            "+86 (138) 0013 8000",
            "１３８００１３８０００",
            "＋８６ １３８００１３８０００",
            "013800138000",
            "手机：13800138000（微信同号）",
            "Tel: 13800138000",
        ] {
            assert_eq!(e164(raw), vec!["+8613800138000"], "{raw}");
        }
        assert_eq!(one("13800138000").kind, PhoneKind::Mobile);
        assert_eq!(one("19912345678").kind, PhoneKind::Mobile);
    }

    #[test]
    fn landlines_with_area_codes_and_extensions() {
        let p = one("010-6234 5678 转 801");
        assert_eq!(p.e164, "+861062345678");
        assert_eq!(p.extension.as_deref(), Some("801"));
        assert_eq!(p.kind, PhoneKind::Landline);
        assert_eq!(p.area_city.as_deref(), Some("北京市"));
        for raw in [
            "(010) 62345678",
            "010 6234 5678",
            "+86 10 6234-5678",
            "+86 010 6234 5678",
            "+86 (0)10 6234 5678",
            "86-10-62345678",
            "0086-10-62345678",
            "（０１０）６２３４５６７８",
        ] {
            assert_eq!(e164(raw), vec!["+861062345678"], "{raw}");
        }
        let p = one("0755-8888 6666-801");
        assert_eq!(
            (p.e164.as_str(), p.extension.as_deref()),
            ("+8675588886666", Some("801"))
        );
        assert_eq!(p.area_city.as_deref(), Some("深圳市"));
        for (raw, ext) in [
            ("021-62345678 ext. 12", "12"),
            ("021-62345678 EXT 12", "12"),
            ("021-62345678x12", "12"),
            ("021-62345678 #12", "12"),
            ("0571-87654321分机3001", "3001"),
            ("0571-87654321转分机 3001", "3001"),
            ("0571-87654321-3001", "3001"),
            ("(0571) 8765 4321 - 3001", "3001"),
            // Linxia has seven-digit numbers; the short group is not an eighth digit.
            ("0930-8234567-1", "1"),
        ] {
            assert_eq!(one(raw).extension.as_deref(), Some(ext), "{raw}");
        }
        assert_eq!(one("021-62345678").extension, None);
        assert_eq!(one("0571-87654321").area_city.as_deref(), Some("杭州市"));
    }

    #[test]
    fn several_numbers_in_one_field() {
        assert_eq!(
            e164("13800138000 / 010-88886666转801"),
            vec!["+8613800138000", "+861088886666"]
        );
        for raw in [
            "13800138000，13900139000",
            "13800138000, 13900139000",
            "13800138000 13900139000",
            "13800138000、13900139000",
            "13800138000或13900139000",
            "13800138000\n13900139000",
            "13800138000|13900139000",
            "手机 13800138000 备用 13900139000",
        ] {
            assert_eq!(e164(raw), vec!["+8613800138000", "+8613900139000"], "{raw}");
        }
        assert_eq!(
            e164("138 0013 8000; +86 (21) 6234-5678 ext. 12"),
            vec!["+8613800138000", "+862162345678"]
        );
        assert_eq!(
            e164("Tel: +86-21-6234-5678 Fax: +86-21-6234-5679"),
            vec!["+862162345678", "+862162345679"]
        );
        assert_eq!(e164("13800138000 或 13800138000"), vec!["+8613800138000"]);
        // The extension does not swallow what follows it.
        assert_eq!(
            e164("010-88886666转801 13800138000"),
            vec!["+861088886666", "+8613800138000"]
        );
        // Another extension of the same line.
        let v = parse_phones("010-88886666 转 801/802").unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].extension.as_deref(), Some("801"));
    }

    #[test]
    fn shared_numbers_are_weak() {
        let p = one("400-800-1234");
        assert_eq!(p.e164, "+864008001234");
        assert_eq!(p.kind, PhoneKind::SharedCost);
        assert!(p.weak());
        let p = one("800-820-8820");
        assert_eq!(p.kind, PhoneKind::TollFree);
        assert!(p.weak());
        assert_eq!(one("4008001234转2").extension.as_deref(), Some("2"));
        assert!(!one("13800138000").weak());
        assert!(!one("010-62345678").weak());
    }

    #[test]
    fn foreign_numbers() {
        assert_eq!(e164("+1 415 555 2671"), vec!["+14155552671"]);
        assert_eq!(e164("+1 (415) 555-2671"), vec!["+14155552671"]);
        assert_eq!(e164("+852 2345 6789"), vec!["+85223456789"]);
        assert_eq!(e164("0044 20 7946 0958"), vec!["+442079460958"]);
        assert_eq!(e164("+44 (0)20 7946 0958"), vec!["+442079460958"]);
        assert_eq!(one("+852 2345 6789").kind, PhoneKind::Other);
        assert_eq!(
            one("+1 415 555 2671 ext. 7").extension.as_deref(),
            Some("7")
        );
    }

    #[test]
    fn clear_errors() {
        assert_eq!(
            parse_phones("12345").unwrap_err().to_string(),
            "无法识别的电话号码 “12345” / not a valid phone number: 12345"
        );
        for raw in ["abc", "+1 555", "010", "123", "1234567890123456789"] {
            assert!(
                matches!(parse_phones(raw), Err(PhoneError::Invalid(_))),
                "{raw}"
            );
        }
        // The error names the piece that is wrong, not the whole field…
        assert_eq!(
            parse_phones("13800138000, 12345").unwrap_err().input(),
            "12345"
        );
        // …and the numbers around it are still found.
        let (found, errors) = scan_phones("13800138000, 12345, 010-62345678");
        assert_eq!(found.len(), 2);
        assert_eq!(errors, vec![PhoneError::Invalid("12345".into())]);
        assert_eq!(e164("13800138000 / 暂无"), vec!["+8613800138000"]);
        assert!(parse_phones("").unwrap().is_empty());
        assert!(parse_phones(" \u{3000}\n").unwrap().is_empty());
    }

    #[test]
    fn possible_numbers_are_kept_unverified() {
        // Old seven-digit numbers of cities that went to eight, a digit missing, a digit too
        // many: libphonenumber calls them possible, not valid.
        for (raw, e164) in [
            ("0531 8918272", "+865318918272"),
            ("(0755)2184810", "+867552184810"),
            ("0531-8918272", "+865318918272"),
            ("+86 531 8918272", "+865318918272"),
            ("86-0531-8918272", "+865318918272"),
            ("1380013800", "+861380013800"),
            ("138001380000", "+86138001380000"),
            ("2162345678", "+862162345678"),
        ] {
            let p = one(raw);
            assert!(!p.verified, "{raw}");
            assert_eq!(p.e164, e164, "{raw}");
        }
        // Its area code still places it.
        assert_eq!(one("0531 8918272").area_city.as_deref(), Some("济南市"));
        assert_eq!(one("0531-8918272-801").extension.as_deref(), Some("801"));
        // A local number without its area code: its digits, weak evidence.
        for raw in ["88886666", "8888-6666", "8918272"] {
            let p = one(raw);
            assert_eq!(p.kind, PhoneKind::Local, "{raw}");
            assert!(!p.verified && p.weak(), "{raw}");
        }
        assert_eq!(one("8888 6666 转 801").extension.as_deref(), Some("801"));
        assert_eq!(
            e164("13800138000 8888 6666"),
            vec!["+8613800138000", "88886666"]
        );
        assert!(one("13800138000").verified);
        assert!(one("010-62345678").verified);
    }

    #[test]
    fn text_between_groups_separates_numbers() {
        // "传真" is not a separator inside a number: the local number after it is not glued
        // to the area code before it.
        let (found, errors) = scan_phones("电话010 传真 88886666");
        assert_eq!(errors, vec![PhoneError::Invalid("010".into())]);
        assert_eq!(found[0].kind, PhoneKind::Local);
    }
}
