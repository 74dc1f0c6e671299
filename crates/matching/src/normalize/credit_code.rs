//! 统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters from a
//! 31-character alphabet (no I, O, S, V, Z). Characters 3–8 are the GB/T 2260 division of the
//! registering authority, the last is a check character over the first 17.
//!
//! A wrong check character is reported without the correct one: printing it would help
//! anyone make up a code that passes.

use std::fmt;
use std::str::FromStr;

use super::text;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Positions (0-based) of the administrative division code: digits only.
const DIVISION: std::ops::Range<usize> = 2..8;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error(
        "统一社会信用代码应为 18 位，实际 {0} 位 / a unified social credit code has 18 characters, not {0}"
    )]
    Length(usize),
    /// `position` counts from 1.
    #[error(
        "统一社会信用代码第 {position} 位 “{ch}” 不是有效字符 / character {position} (“{ch}”) is not allowed in a unified social credit code"
    )]
    Character { position: usize, ch: char },
    #[error(
        "统一社会信用代码校验位不正确，请核对 / the check character of the unified social credit code does not match; please check the code"
    )]
    Check,
}

/// A validated credit code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

impl CreditCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit administrative division of the registering authority (GB/T 2260),
    /// characters 3–8.
    pub fn division_code(&self) -> &str {
        &self.0[DIVISION]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        normalize_credit_code(s)
    }
}

fn value(c: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// The check character for the first 17 characters (upper case, from the alphabet); `None`
/// if there are fewer or one is not in the alphabet. For generating test data: validation
/// goes through [`normalize_credit_code`].
pub fn check_char(first17: &[u8]) -> Option<char> {
    if first17.len() < 17 {
        return None;
    }
    let mut sum = 0;
    for (&c, w) in first17.iter().zip(WEIGHTS) {
        sum += value(c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[check as usize]))
}

/// A code as typed, folded: any width and case, no spaces or hyphens. What an unverified
/// code (its check character wrong) is kept and compared as.
pub fn clean(raw: &str) -> String {
    text::nfkc(raw)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '—' | '–'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Validates a credit code as typed (any case or width, spaces and hyphens anywhere).
///
/// # Errors
///
/// [`CreditCodeError::Length`], [`CreditCodeError::Character`] (the first bad one, counted
/// from 1; the division code, characters 3–8, must be digits) or [`CreditCodeError::Check`].
pub fn normalize_credit_code(raw: &str) -> Result<CreditCode, CreditCodeError> {
    let code = clean(raw);
    let n = code.chars().count();
    if n != 18 {
        return Err(CreditCodeError::Length(n));
    }
    for (i, ch) in code.chars().enumerate() {
        let ok = if DIVISION.contains(&i) {
            ch.is_ascii_digit()
        } else {
            u8::try_from(ch).ok().and_then(value).is_some()
        };
        if !ok {
            return Err(CreditCodeError::Character {
                position: i + 1,
                ch,
            });
        }
    }
    // All 18 characters are ASCII now.
    let bytes = code.as_bytes();
    if check_char(&bytes[..17]) != Some(char::from(bytes[17])) {
        return Err(CreditCodeError::Check);
    }
    Ok(CreditCode(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The standard's algorithm written out independently: character values by arithmetic,
    /// weights as 3^i mod 31.
    fn reference_check(code: &str) -> char {
        let val = |c: char| -> u32 {
            match c {
                '0'..='9' => c as u32 - '0' as u32,
                _ => {
                    let skipped = "IOSVZ".chars().filter(|&s| s < c).count() as u32;
                    10 + (c as u32 - 'A' as u32) - skipped
                }
            }
        };
        let mut weight = 1;
        let mut sum = 0;
        for c in code.chars().take(17) {
            sum += val(c) * weight;
            weight = weight * 3 % 31;
        }
        let v = (31 - sum % 31) % 31;
        "0123456789ABCDEFGHJKLMNPQRTUWXY"
            .chars()
            .nth(v as usize)
            .unwrap()
    }

    /// Published codes (the GB 32100 sample, 华为技术, 深圳市腾讯计算机系统,
    /// 阿里巴巴(中国)), each also checked against the reference implementation.
    const KNOWN: &[&str] = &[
        "91350100M000100Y43",
        "914403001922038216",
        "91440300708461136T",
        "91330100799655058B",
        "91110000600037341L",
    ];

    #[test]
    fn known_codes_validate() {
        for code in KNOWN {
            assert_eq!(reference_check(code), code.chars().last().unwrap());
            let c = normalize_credit_code(code).unwrap();
            assert_eq!(c.as_str(), *code);
            assert_eq!(c.to_string(), *code);
        }
        let c = normalize_credit_code("91350100M000100Y43").unwrap();
        assert_eq!(c.division_code(), "350100");
        assert_eq!(normalize_credit_code(" 91350100-m000100y43 ").unwrap(), c);
        assert_eq!(normalize_credit_code("9135 0100 M000 100Y 43").unwrap(), c);
        assert_eq!(
            normalize_credit_code("９１３５０１００Ｍ０００１００Ｙ４３").unwrap(),
            c
        );
        assert_eq!("91350100M000100Y43".parse::<CreditCode>().unwrap(), c);
    }

    #[test]
    fn check_char_matches_the_reference() {
        // Every character of the alphabet in every position.
        let alphabet = std::str::from_utf8(ALPHABET).unwrap();
        for shift in 0..31 {
            let body: String = alphabet.chars().cycle().skip(shift).take(17).collect();
            assert_eq!(
                check_char(body.as_bytes()),
                Some(reference_check(&body)),
                "{body}"
            );
        }
        assert_eq!(check_char(b"9135"), None);
        assert_eq!(check_char(b"91350100I000100Y4"), None);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            normalize_credit_code("91350100M000100Y4"),
            Err(CreditCodeError::Length(17))
        );
        assert_eq!(normalize_credit_code(""), Err(CreditCodeError::Length(0)));
        assert_eq!(
            normalize_credit_code("91350100M000100Y44"),
            Err(CreditCodeError::Check)
        );
        assert_eq!(
            normalize_credit_code("9135010OM000100Y43"),
            Err(CreditCodeError::Character {
                position: 8,
                ch: 'O'
            })
        );
        assert_eq!(
            normalize_credit_code("91350100M00010SY43"),
            Err(CreditCodeError::Character {
                position: 15,
                ch: 'S'
            })
        );
        // The division code is digits.
        assert_eq!(
            normalize_credit_code("913A0100M000100Y43"),
            Err(CreditCodeError::Character {
                position: 4,
                ch: 'A'
            })
        );
        assert_eq!(
            normalize_credit_code("91350100M000100Y4中"),
            Err(CreditCodeError::Character {
                position: 18,
                ch: '中'
            })
        );
        // The message does not give the right check character away.
        let msg = normalize_credit_code("91350100M000100Y44")
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("统一社会信用代码校验位不正确"), "{msg}");
        assert!(!msg.contains('3'), "{msg}");
    }
}
