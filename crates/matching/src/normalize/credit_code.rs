//! 统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters from a
//! 31-character alphabet, the last a check character over the first 17.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error(
        "统一社会信用代码应为 18 位，实际 {0} 位 / a unified social credit code has 18 characters, not {0}"
    )]
    Length(usize),
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
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit administrative division of the registering authority (GB/T 2260).
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters (which must be from the alphabet).
pub fn check_char(first17: &[u8]) -> Option<char> {
    let mut sum = 0;
    for (i, &c) in first17.iter().enumerate().take(17) {
        sum += value(c)? * WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

pub fn normalize_credit_code(raw: &str) -> Result<CreditCode, CreditCodeError> {
    let code: String = raw
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    let n = code.chars().count();
    if n != 18 {
        return Err(CreditCodeError::Length(n));
    }
    for (i, ch) in code.chars().enumerate() {
        if !ch.is_ascii() || value(ch as u8).is_none() {
            return Err(CreditCodeError::Character {
                position: i + 1,
                ch,
            });
        }
    }
    let bytes = code.as_bytes();
    if check_char(&bytes[..17]) != Some(bytes[17] as char) {
        return Err(CreditCodeError::Check);
    }
    Ok(CreditCode(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_validate() {
        let c = normalize_credit_code("91350100M000100Y43").unwrap();
        assert_eq!(c.division_code(), "350100");
        assert_eq!(normalize_credit_code(" 91350100-m000100y43 ").unwrap(), c);
        assert_eq!(
            normalize_credit_code("９１３５０１００Ｍ０００１００Ｙ４３").unwrap(),
            c
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            normalize_credit_code("91350100M000100Y4"),
            Err(CreditCodeError::Length(17))
        );
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
    }
}
