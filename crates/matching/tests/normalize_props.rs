//! Properties of the normalizers: idempotent, invariant under the ways people format the same
//! value, and never panicking on arbitrary input.

use leadguard_matching::normalize::{company_name, credit_code, email, phone, text, website};
use proptest::prelude::*;

/// Separators people put inside a phone number.
fn sep() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "-", ".", "  ", " - "])
}

fn prefix() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "",
        "+86",
        "+86 ",
        "0086",
        "0086-",
        "86",
        "(+86)",
        "＋８６ ",
    ])
}

/// Full-width digits, as typed with a Chinese input method.
fn widen(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mobiles_normalize_the_same_however_typed(
        second in 3u8..=9, rest in 0u32..100_000_000, p in prefix(), s1 in sep(), s2 in sep(), wide in any::<bool>()
    ) {
        let national = format!("1{second}{}{rest:08}", 0);
        let national = &national[..11];
        let typed = format!("{p}{}{s1}{}{s2}{}", &national[..3], &national[3..7], &national[7..]);
        let typed = if wide { widen(&typed) } else { typed };
        let canonical = phone::parse_phones(national);
        // Some 1x prefixes are unassigned and invalid; then every spelling must be invalid too.
        match canonical {
            Ok(c) => {
                let got = phone::parse_phones(&typed)?;
                prop_assert_eq!(got.len(), 1, "{}", typed);
                prop_assert_eq!(&got[0].e164, &c[0].e164);
                // Idempotent: the E.164 form parses to itself.
                prop_assert_eq!(&phone::parse_phones(&c[0].e164)?[0].e164, &c[0].e164);
            }
            Err(_) => prop_assert!(phone::parse_phones(&typed).is_err(), "{}", typed),
        }
    }

    #[test]
    fn landlines_normalize_the_same_however_typed(
        area in prop::sample::select(vec!["10", "21", "20", "755", "571", "25", "28"]),
        sub in 20_000_000u32..89_999_999, s1 in sep(), paren in any::<bool>(), plus in any::<bool>()
    ) {
        let plain = format!("0{area}{sub}");
        let area_part = if plus { format!("+86 {area}") } else if paren { format!("(0{area})") } else { format!("0{area}") };
        let typed = format!("{area_part}{s1}{:04}{s1}{:04}", sub / 10_000, sub % 10_000);
        let a = phone::parse_phones(&plain)?;
        let b = phone::parse_phones(&typed)?;
        prop_assert_eq!(&a[0].e164, &b[0].e164, "{}", typed);
        prop_assert_eq!(&a[0].e164, &format!("+86{area}{sub}"));
    }

    #[test]
    fn normalizers_never_panic(s in ".{0,60}") {
        let _ = phone::parse_phones(&s);
        let _ = email::normalize_email(&s);
        let _ = website::normalize_website(&s);
        let _ = credit_code::normalize_credit_code(&s);
        let n = company_name::parse_company_name(&s);
        prop_assert!(n.key.is_empty() == text::fold(&s).is_empty());
    }

    #[test]
    fn normalizers_never_panic_on_chinese_and_digits(s in "[\\u4e00-\\u9fa5（）()0-9０-９+＋\\- 转#@.]{0,40}") {
        let _ = phone::parse_phones(&s);
        let _ = email::normalize_email(&s);
        let _ = website::normalize_website(&s);
        let _ = company_name::parse_company_name(&s);
    }

    #[test]
    fn fold_is_idempotent(s in ".{0,40}") {
        let once = text::fold(&s);
        prop_assert_eq!(text::fold(&once), once);
    }

    #[test]
    fn emails_are_idempotent_and_case_blind(local in "[a-z][a-z0-9._-]{0,10}[a-z0-9]", domain in "[a-z]{2,10}\\.(com|cn|com\\.cn|net)") {
        let raw = format!("{local}@{domain}");
        prop_assume!(!local.contains(".."));
        let e = email::normalize_email(&raw)?;
        let again = email::normalize_email(&e.address)?;
        prop_assert_eq!(&again.address, &e.address);
        let upper = email::normalize_email(&format!("  {}  ", raw.to_uppercase()))?;
        prop_assert_eq!(upper.address, e.address);
    }

    #[test]
    fn websites_reduce_to_one_registrable_domain(
        name in "[a-z]{3,12}", tld in prop::sample::select(vec!["com", "com.cn", "cn", "net", "org.cn"]),
        scheme in prop::sample::select(vec!["", "http://", "https://", "HTTPS://"]),
        www in any::<bool>(), path in prop::sample::select(vec!["", "/", "/about", "/a/b?x=1", ":8080/"])
    ) {
        let host = if www { format!("www.{name}.{tld}") } else { format!("{name}.{tld}") };
        let w = website::normalize_website(&format!("{scheme}{host}{path}"))?;
        prop_assert_eq!(&w.registrable_domain, &format!("{name}.{tld}"));
        let again = website::normalize_website(&w.registrable_domain)?;
        prop_assert_eq!(again.registrable_domain, w.registrable_domain);
    }

    #[test]
    fn credit_codes_check_every_character(body in "[0-9A-HJ-NP-RTUW-Y]{17}", pos in 0usize..17, lower in any::<bool>()) {
        let check = credit_code::check_char(body.as_bytes()).unwrap_or('0');
        let code = format!("{body}{check}");
        let c = credit_code::normalize_credit_code(&if lower { code.to_lowercase() } else { code.clone() })
            ?;
        prop_assert_eq!(c.as_str(), code.as_str());
        // Changing any one character breaks the check.
        let mut bytes = code.clone().into_bytes();
        bytes[pos] = if bytes[pos] == b'1' { b'2' } else { b'1' };
        let altered = String::from_utf8(bytes).unwrap_or_default();
        prop_assert!(credit_code::normalize_credit_code(&altered).is_err());
    }

    #[test]
    fn company_name_keys_ignore_region_legal_form_and_script(
        core in prop::sample::select(vec!["星河互联", "字节跳动", "青禾", "恒通", "博瑞精密", "天府"]),
        industry in prop::sample::select(vec!["科技", "贸易", "物流", "文化传媒", "软件"]),
        city in prop::sample::select(vec!["北京", "上海", "深圳", "杭州", "成都"]),
        form in prop::sample::select(vec!["有限公司", "有限责任公司", "股份有限公司"]),
        style in 0u8..4
    ) {
        let canonical = format!("{city}{core}{industry}有限公司");
        let typed = match style {
            0 => format!("{core}（{city}）{industry}{form}"),
            1 => format!("{city}市{core}{industry}{form}"),
            2 => format!("{core}{industry}{form}"),
            _ => format!("{city} {core} {industry}{form}"),
        };
        let a = company_name::parse_company_name(&canonical);
        let b = company_name::parse_company_name(&typed);
        prop_assert_eq!(&a.key, &b.key, "{} vs {}", canonical, typed);
        prop_assert_eq!(a.key, format!("{core}{industry}"));
        if style != 2 {
            prop_assert_eq!(a.region.map(|r| r.code), b.region.map(|r| r.code));
        }
    }
}
