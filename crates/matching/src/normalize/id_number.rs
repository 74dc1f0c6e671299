//! Personal identity numbers. Chinese resident identity numbers (居民身份证号码, GB 11643) are
//! checked (18 characters, ISO 7064 MOD 11-2 check character; the old 15-digit form is
//! upgraded); any other identifier (passport, social security number) is kept as its letters
//! and digits, upper-cased.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error(
        "身份证号校验位不正确，请核对 / the check character of the identity number does not match"
    )]
    Check,
    #[error("证件号 “{0}” 无效 / not a valid identity number: {0}")]
    Invalid(String),
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// Check character of the first 17 digits.
pub fn check_char(body: &[u8]) -> Option<char> {
    if body.len() != 17 || !body.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK[(sum % 11) as usize] as char)
}

/// Normalizes an identity number; Chinese 15- or 18-digit numbers must check.
pub fn normalize_id_number(raw: &str) -> Result<String, IdNumberError> {
    let s: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    if s.len() < 4 || s.len() > 32 || !s.is_ascii() {
        return Err(IdNumberError::Invalid(raw.trim().to_string()));
    }
    let digits17 = s.len() == 18 && s.as_bytes()[..17].iter().all(u8::is_ascii_digit);
    if digits17 {
        return if check_char(&s.as_bytes()[..17]) == Some(s.as_bytes()[17] as char) {
            Ok(s)
        } else {
            Err(IdNumberError::Check)
        };
    }
    if s.len() == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
        // First-generation number: 6-digit region, 2-digit year (19xx), no check character.
        let body = format!("{}19{}", &s[..6], &s[6..]);
        let check = check_char(body.as_bytes())
            .ok_or_else(|| IdNumberError::Invalid(raw.trim().to_string()))?;
        return Ok(format!("{body}{check}"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        assert_eq!(
            normalize_id_number("11010519491231002x").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            normalize_id_number("110105 1949 1231 002X").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(
            normalize_id_number("11010519491231003X"),
            Err(IdNumberError::Check)
        );
        assert_eq!(
            normalize_id_number("110105491231002").unwrap(),
            "11010519491231002X"
        );
        assert_eq!(normalize_id_number("123-45-6789").unwrap(), "123456789");
        assert!(normalize_id_number("x").is_err());
    }
}
