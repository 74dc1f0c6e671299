//! Properties of the normalizers: idempotent, invariant under the ways people format the same
//! value, and never panicking on arbitrary input.

use leadguard_matching::normalize::{
    company_name, credit_code, email, phone, regions, text, website,
};
use proptest::prelude::*;

/// Separators people put inside a phone number.
fn sep() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "-", ".", "  ", " - ", "　"])
}

/// The ways people write China's country code (or leave it out).
fn prefix() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "",
        "+86",
        "+86 ",
        "+86-",
        "0086",
        "0086 ",
        "0086-",
        "86",
        "86 ",
        "(+86)",
        "(+86) ",
        "＋８６ ",
        "+(86) ",
    ])
}

/// Full-width digits and punctuation, as typed with a Chinese input method.
fn widen(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

fn e164s(raw: &str) -> Result<Vec<String>, phone::PhoneError> {
    phone::parse_phones(raw).map(|v| v.into_iter().map(|p| p.e164).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mobiles_normalize_the_same_however_typed(
        second in 3u8..=9, rest in 0u32..1_000_000_000, p in prefix(), s1 in sep(), s2 in sep(),
        wide in any::<bool>()
    ) {
        let national = format!("1{second}{rest:09}");
        let typed = format!("{p}{}{s1}{}{s2}{}", &national[..3], &national[3..7], &national[7..]);
        let typed = if wide { widen(&typed) } else { typed };
        let expected = format!("+86{national}");
        prop_assert_eq!(e164s(&typed)?, vec![expected.clone()], "{}", typed);
        // Idempotent: the E.164 form parses to itself.
        prop_assert_eq!(e164s(&expected)?, vec![expected]);
    }

    #[test]
    fn landlines_normalize_the_same_however_typed(
        area in prop::sample::select(vec!["10", "21", "20", "22", "755", "571", "25", "28", "930"]),
        sub in 20_000_000u32..89_999_999, style in 0u8..6, s1 in sep(), wide in any::<bool>(),
        ext in prop::option::of(1u32..10_000), ext_marker in prop::sample::select(vec!["转", " ext. ", "-", " x", "分机", "#"])
    ) {
        // Some areas have seven-digit numbers.
        let sub = if area.len() == 3 && sub % 3 == 0 { (sub / 10).to_string() } else { sub.to_string() };
        let (a, b) = sub.split_at(sub.len() - 4);
        let area_part = match style {
            0 => format!("0{area}"),
            1 => format!("(0{area})"),
            2 => format!("+86 {area}"),
            3 => format!("+86 (0){area}"),
            4 => format!("0086-{area}"),
            _ => format!("86-0{area}"),
        };
        let mut typed = format!("{area_part}{s1}{a}{s1}{b}");
        if let Some(e) = ext {
            typed.push_str(&format!("{ext_marker}{e}"));
        }
        let typed = if wide { widen(&typed) } else { typed };
        // Not every subscriber range is in service; a number in none is kept unverified,
        // the same however it is spelt.
        let plain = phone::parse_phones(&format!("0{area}{sub}")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let got = phone::parse_phones(&typed).map_err(|e| TestCaseError::fail(format!("{typed}: {e}")))?;
        prop_assert_eq!(got.len(), 1, "{}", typed);
        prop_assert_eq!(&got[0].e164, &format!("+86{area}{sub}"));
        prop_assert_eq!(&got[0].e164, &plain[0].e164);
        prop_assert_eq!(got[0].verified, plain[0].verified, "{}", typed);
        prop_assert_eq!(got[0].kind, phone::PhoneKind::Landline);
        prop_assert_eq!(got[0].extension.clone(), ext.map(|e| e.to_string()), "{}", typed);
        prop_assert!(got[0].area_city.is_some());
        prop_assert_eq!(e164s(&got[0].e164)?, vec![got[0].e164.clone()]);
    }

    #[test]
    fn several_numbers_split_on_any_separator(
        a in 0u32..100_000_000, b in 0u32..100_000_000,
        between in prop::sample::select(vec![",", "，", ";", "；", "、", "/", " / ", "|", "\n", " 或 ", " ", "  "])
    ) {
        let (m1, m2) = (format!("138{a:08}"), format!("139{b:08}"));
        let got = e164s(&format!("{m1}{between}{m2}"))?;
        prop_assert_eq!(got, vec![format!("+86{m1}"), format!("+86{m2}")]);
    }

    /// No number of a possible length is refused: whatever its digits, a national number of
    /// 7–12 digits after the trunk 0 is kept (verified or not) under +86 and its digits.
    #[test]
    fn possible_numbers_are_never_refused(nsn in "[1-9][0-9]{6,11}", s1 in sep(), wide in any::<bool>()) {
        let mid = nsn.len() / 2;
        let typed = format!("0{}{s1}{}", &nsn[..mid], &nsn[mid..]);
        let typed = if wide { widen(&typed) } else { typed };
        let got = phone::parse_phones(&typed).map_err(|e| TestCaseError::fail(format!("{typed}: {e}")))?;
        prop_assert_eq!(got.len(), 1, "{}", typed);
        prop_assert_eq!(&got[0].e164, &format!("+86{nsn}"), "{}", typed);
    }

    #[test]
    fn local_numbers_are_kept_by_their_digits(sub in 20_000_000u32..99_999_999, s1 in sep()) {
        let s = sub.to_string();
        let typed = format!("{}{s1}{}", &s[..4], &s[4..]);
        let got = phone::parse_phones(&typed).map_err(|e| TestCaseError::fail(format!("{typed}: {e}")))?;
        prop_assert_eq!(got.len(), 1, "{}", typed);
        prop_assert_eq!(got[0].kind, phone::PhoneKind::Local);
        prop_assert!(!got[0].verified && got[0].weak());
        prop_assert_eq!(&got[0].e164, &s);
    }

    #[test]
    fn normalizers_never_panic(s in ".{0,60}") {
        let _ = phone::parse_phones(&s);
        let _ = email::normalize_email(&s);
        let _ = website::normalize_website(&s);
        let _ = website::registrable_domain(&s);
        let _ = credit_code::normalize_credit_code(&s);
        let folded = text::fold(&s);
        let _ = regions::parse_address(&folded);
        let _ = regions::find_region(&folded);
        let n = company_name::parse_company_name(&s);
        prop_assert_eq!(n.key.is_empty(), folded.is_empty());
        prop_assert_eq!(n.folded, folded);
    }

    #[test]
    fn normalizers_never_panic_on_likely_input(
        s in "[\\u4e00-\\u9fa5（）()【】0-9０-９a-zA-Z+＋\\- 转#@.。,，/]{0,40}"
    ) {
        let _ = phone::parse_phones(&s);
        let _ = email::normalize_email(&s);
        let _ = website::normalize_website(&s);
        let folded = text::fold(&s);
        let (address, rest) = regions::split_address(&folded);
        prop_assert!(rest.len() <= folded.len());
        if let Some(r) = address.county {
            prop_assert!(address.city.is_some() && address.province.is_some(), "{}", r.name);
        }
        let n = company_name::parse_company_name(&s);
        prop_assert_eq!(n.key.is_empty(), folded.is_empty());
    }

    #[test]
    fn phone_results_are_canonical(s in "[0-9+ ()\\-转xX#,/]{0,40}") {
        if let Ok(phones) = phone::parse_phones(&s) {
            for p in phones {
                prop_assert!(p.e164.starts_with('+') && p.e164[1..].bytes().all(|b| b.is_ascii_digit()));
                prop_assert!(p.e164.len() <= 16);
                prop_assert!(p.extension.as_deref().is_none_or(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())));
                // Idempotent.
                prop_assert_eq!(e164s(&p.e164)?, vec![p.e164.clone()]);
            }
        }
    }

    #[test]
    fn fold_is_idempotent(s in ".{0,40}") {
        let once = text::fold(&s);
        prop_assert_eq!(text::fold(&once), once.clone());
        let simplified = text::simplify(&s);
        prop_assert_eq!(text::fold_simplified(&simplified), once);
    }

    #[test]
    fn fold_ignores_width_and_separators(s in "[a-zA-Z0-9\\u4e00-\\u9fa5]{0,20}", wide in any::<bool>()) {
        let spaced: String = s.chars().flat_map(|c| [c, ' ', '·']).collect();
        let typed = if wide { widen(&spaced) } else { spaced };
        prop_assert_eq!(text::fold(&typed), text::fold(&s));
    }

    #[test]
    fn region_prefixes_end_on_char_boundaries(s in "[\\u4e00-\\u9fa5]{0,12}") {
        if let Some((r, n)) = regions::match_region_prefix(&s) {
            prop_assert!(s.is_char_boundary(n) && n > 0);
            prop_assert!(s[..n] == *r.name || s[..n] == *r.short, "{} {}", &s[..n], r.name);
        }
    }

    #[test]
    fn emails_are_idempotent_and_case_blind(
        local in "[a-z][a-z0-9_-]{0,6}(\\.[a-z0-9][a-z0-9_-]{0,5})?",
        domain in "[a-z]{2,10}\\.(com|cn|com\\.cn|net)",
        wrap in prop::sample::select(vec!["{}", "<{}>", "mailto:{}", " 张三 <{}> "])
    ) {
        let raw = format!("{local}@{domain}");
        let e = email::normalize_email(&raw)?;
        prop_assert_eq!(&e.address, &raw);
        let again = email::normalize_email(&e.address)?;
        prop_assert_eq!(&again, &e);
        let wrapped = wrap.replace("{}", &raw.to_uppercase());
        prop_assert_eq!(email::normalize_email(&wrapped)?, e.clone());
        prop_assert_eq!(email::normalize_email(&widen(&raw))?, e);
    }

    #[test]
    fn websites_reduce_to_one_registrable_domain(
        name in "[a-z][a-z0-9-]{1,10}[a-z0-9]", tld in prop::sample::select(vec!["com", "com.cn", "cn", "net", "org.cn"]),
        scheme in prop::sample::select(vec!["", "http://", "https://", "HTTPS://", "//"]),
        www in any::<bool>(), path in prop::sample::select(vec!["", "/", "/about", "/a/b?x=1", ":8080/", "#top"]),
        wide in any::<bool>()
    ) {
        // Some random names are public suffixes themselves (de5.net is one): not company sites.
        prop_assume!(psl::suffix_str(&format!("{name}.{tld}")) == Some(tld));
        let host = if www { format!("www.{name}.{tld}") } else { format!("{name}.{tld}") };
        let typed = format!("{scheme}{host}{path}");
        let typed = if wide { widen(&typed) } else { typed };
        let w = website::normalize_website(&typed)?;
        prop_assert_eq!(&w.registrable_domain, &format!("{name}.{tld}"));
        prop_assert_eq!(&w.host, &host);
        let again = website::normalize_website(&w.host)?;
        prop_assert_eq!(again, w);
    }

    #[test]
    fn credit_codes_check_every_character(
        head in "[0-9A-HJ-NP-RTUW-Y]{2}", division in "[0-9]{6}", org in "[0-9A-HJ-NP-RTUW-Y]{9}",
        pos in 0usize..18, lower in any::<bool>(), spaced in any::<bool>()
    ) {
        let body = format!("{head}{division}{org}");
        let check = credit_code::check_char(body.as_bytes());
        prop_assert!(check.is_some());
        let code = format!("{body}{}", check.unwrap_or('0'));
        let mut typed = if lower { code.to_lowercase() } else { code.clone() };
        if spaced {
            typed.insert(8, ' ');
            typed.insert(4, '-');
        }
        let c = credit_code::normalize_credit_code(&typed)?;
        prop_assert_eq!(c.as_str(), code.as_str());
        prop_assert_eq!(c.division_code(), division.as_str());
        // Idempotent.
        prop_assert_eq!(credit_code::normalize_credit_code(c.as_str())?, c);
        // Changing any one character to another valid one breaks the check.
        let mut bytes = code.clone().into_bytes();
        bytes[pos] = if bytes[pos] == b'1' { b'2' } else { b'1' };
        let altered = String::from_utf8(bytes).unwrap_or_default();
        prop_assert_eq!(
            credit_code::normalize_credit_code(&altered),
            Err(credit_code::CreditCodeError::Check)
        );
    }

    #[test]
    fn company_name_keys_ignore_region_legal_form_and_script(
        core in prop::sample::select(vec!["星河互联", "字节跳动", "青禾", "恒通", "博瑞达", "天府", "乐享", "云帆", "同建", "垣燊"]),
        industry in prop::sample::select(vec!["科技", "贸易", "物流", "文化传媒", "软件", "网络科技", "餐饮管理", "医疗器械", "工程管理", "纺织品", "医疗用品", "管业", "精密工业", "液压机械", "卫生用品"]),
        city in prop::sample::select(vec!["北京", "上海", "深圳", "杭州", "成都", "沈阳", "广州", "苏州"]),
        form in prop::sample::select(vec!["有限公司", "有限责任公司", "股份有限公司", "集团有限公司"]),
        style in 0u8..7
    ) {
        let canonical = format!("{city}{core}{industry}有限公司");
        let typed = match style {
            0 => format!("{core}（{city}）{industry}{form}"),
            1 => format!("{city}市{core}{industry}{form}"),
            2 => format!("{core}{industry}{form}"),
            3 => format!("{city} {core} {industry}{form}"),
            4 => format!("{core}{industry}{form}（{city}）"),
            5 => format!("{core}{industry}{form}{city}分公司"),
            _ => format!("中国{city}{core}{industry}{form}"),
        };
        let a = company_name::parse_company_name(&canonical);
        let b = company_name::parse_company_name(&typed);
        prop_assert_eq!(&a.key, &b.key, "{} vs {}", canonical, typed);
        prop_assert_eq!(&a.key, &format!("{core}{industry}"));
        prop_assert_eq!(&a.core, core, "{}", canonical);
        prop_assert_eq!(&a.tail, &format!("{core}{industry}有限公司"));
        if style != 2 {
            prop_assert_eq!(a.region.map(|r| r.code), b.region.map(|r| r.code), "{}", typed);
        }
        // The key of a key is itself.
        prop_assert_eq!(company_name::parse_company_name(&a.key).key, a.key);
    }

    /// The brand is what is left: brands nobody has listed (random characters) split off
    /// the real industry words after them, whatever the region and legal form.
    #[test]
    fn unknown_brands_are_what_is_left(
        brand in prop::collection::vec(prop::sample::select(
            "鑫垣燊淼犇骉焱昇昊晟琨瑜璟珑珏瑄铖锟钰锦嵘峻崧翊翀彧".chars().collect::<Vec<char>>()), 2..=3),
        industry in prop::sample::select(vec!["工程管理", "纺织品", "医疗用品", "管业", "液压机械", "卫生用品", "彩印", "五金加工", "物业管理", "纸业贸易", "信息技术", "园艺", "汽车修理", "建筑装饰", "食品"]),
        city in prop::sample::select(vec!["苏州", "泸州", "佛山市三水", "杭州萧山", "东莞市", "张家港保税区"]),
        form in prop::sample::select(vec!["有限公司", "有限责任公司", "厂", ""]),
    ) {
        let brand: String = brand.into_iter().collect();
        let name = format!("{city}{brand}{industry}{form}");
        // As folded: 昇 is written 升 in Simplified.
        let brand = text::fold(&brand);
        let n = company_name::parse_company_name(&name);
        prop_assert_eq!(&n.core, &brand, "{}", name);
        prop_assert_eq!(&n.key, &format!("{brand}{industry}"), "{}", name);
        prop_assert!(n.region.is_some(), "{}", name);
        prop_assert_eq!(&n.tail, &format!("{brand}{industry}{form}"), "{}", name);
    }

    /// Every start of a name a rep may type — from the brand's second character, with or
    /// without the region — is the start of the stored name's tail.
    #[test]
    fn a_name_typed_so_far_is_the_start_of_the_tail(
        core in prop::sample::select(vec!["同建", "星河互联", "博瑞达", "垣燊", "字节跳动"]),
        industry in prop::sample::select(vec!["工程管理", "科技", "纺织品", "医疗用品", "液压机械"]),
        city in prop::sample::select(vec!["苏州", "北京市", "深圳", "杭州萧山"]),
        with_region in any::<bool>(),
        cut in 2usize..20,
    ) {
        let stored = company_name::parse_company_name(&format!("{city}{core}{industry}有限公司"));
        let full = if with_region { format!("{city}{core}{industry}有限公司") } else { format!("{core}{industry}有限公司") };
        let start = if with_region { city.chars().count() } else { 0 };
        let typed: String = full.chars().take((start + cut).min(full.chars().count())).collect();
        let t = company_name::parse_company_name(&typed);
        prop_assert!(stored.tail.starts_with(&t.tail) || stored.key == t.key,
            "typed {} (tail {}) vs stored tail {}", typed, t.tail, stored.tail);
    }
    #[test]
    fn english_company_keys_ignore_case_punctuation_and_place(
        core in prop::sample::select(vec!["xindi", "acme", "bytedance", "golden sun", "nova"]),
        industry in prop::sample::select(vec!["", " software", " trading", " technology"]),
        place in prop::sample::select(vec!["", "Shenyang ", "Beijing ", "Xi'an "]),
        form in prop::sample::select(vec![" Co., Ltd.", " Ltd", " LLC", " Inc.", " Company Limited", " GmbH", ""]),
        upper in any::<bool>()
    ) {
        let typed = format!("{place}{core}{industry}{form}");
        let typed = if upper { typed.to_uppercase() } else { typed };
        let n = company_name::parse_company_name(&typed);
        prop_assert_eq!(n.key, format!("{core}{industry}"), "{}", typed);
        prop_assert_eq!(n.core, core);
        prop_assert_eq!(n.region.is_some(), !place.is_empty(), "{}", typed);
    }
}
