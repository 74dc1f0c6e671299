//! Masked hints (138****8000) for people who may learn that a value exists, not what it is.

/// Masks a phone number given in any format: keeps the first three and the last four digits of
/// the national number, so a rep can recognise "their" number without learning someone else's.
pub fn mask_phone(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.strip_prefix("86") {
        // +86 10 6234 5678 is written 010-6234 5678 at home: put the trunk 0 back on landlines.
        Some(rest) if raw.trim_start().starts_with('+') || digits.len() == 13 => {
            let mobile = rest.len() == 11 && rest.starts_with('1');
            let service = rest.starts_with("400") || rest.starts_with("800");
            if mobile || service {
                rest.to_string()
            } else {
                format!("0{rest}")
            }
        }
        _ => digits,
    };
    let n = national.len();
    if n >= 9 {
        format!("{}****{}", &national[..3], &national[n - 4..])
    } else if n >= 3 {
        format!("{}{}", "*".repeat(n - 2), &national[n - 2..])
    } else {
        "*".repeat(n.max(1))
    }
}

/// Masks an e-mail address: `z***@example.com`.
pub fn mask_email(raw: &str) -> String {
    match raw.trim().rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_keep_prefix_and_suffix() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("+86 138-0013-8000"), "138****8000");
        assert_eq!(mask_phone("+8613800138000"), "138****8000");
        assert_eq!(mask_phone("010-88886666"), "010****6666");
        assert_eq!(mask_phone("+861062345678"), "010****5678");
        assert_eq!(mask_phone("+864008001234"), "400****1234");
        assert_eq!(mask_phone("12345"), "***45");
        assert_eq!(mask_phone(""), "*");
    }

    #[test]
    fn emails_keep_first_letter_and_domain() {
        assert_eq!(mask_email("zhang.san@xinghe.com"), "z***@xinghe.com");
        assert_eq!(mask_email("王@例子.cn"), "王***@例子.cn");
        assert_eq!(mask_email("nonsense"), "***");
    }
}
