//! E-mail addresses: lower-cased and validated, with the registrable domain and whether it is
//! a free-mail provider (qq.com, 163.com, gmail.com…), which says nothing about the company.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::text;
use super::website::{canonical_host, registrable_domain};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// `local@domain`, lower case, domain in punycode.
    pub address: String,
    pub domain: String,
    pub registrable_domain: Option<String>,
    pub free_mail: bool,
    /// The address looks deliverable: a well-formed local part and a domain under a known
    /// public suffix that is not one letter off a free-mail provider. An unverified address
    /// (qq.con, gmial.com, xinghe.com,cn) is kept as typed, lower-cased, and compared as
    /// text only: its domain is no evidence of the company.
    pub verified: bool,
    /// What an unverified address was probably meant to be (`zhang@qq.com` for
    /// `zhang@qq.con`).
    pub suggestion: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("邮箱地址 “{0}” 无效 / not a valid e-mail address: {0}")]
pub struct EmailError(pub String);

/// Free-mail domains: an address there is a person's, not evidence of their company.
/// Subdomains count too (vip.qq.com, vip.163.com, vip.sina.com).
const FREE_MAIL: &[&str] = &[
    // Chinese providers.
    "qq.com",
    "foxmail.com",
    "163.com",
    "126.com",
    "yeah.net",
    "188.com",
    "sina.com",
    "sina.cn",
    "sohu.com",
    "aliyun.com",
    "139.com",
    "189.cn",
    "wo.cn",
    "wo.com.cn",
    "21cn.com",
    "tom.com",
    "263.net",
    // International.
    "gmail.com",
    "googlemail.com",
    "msn.com",
    "ymail.com",
    "rocketmail.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "protonmail.com",
    "proton.me",
    "pm.me",
    "tutanota.com",
    "mail.com",
    "mail.ru",
    "inbox.ru",
    "list.ru",
    "bk.ru",
    "ya.ru",
    "web.de",
    "t-online.de",
    "zoho.com",
    "zohomail.com",
    "naver.com",
    "daum.net",
    "hanmail.net",
];

/// Providers whose free mail runs under many country domains: yahoo.co.jp, hotmail.fr,
/// gmx.de, live.cn… (the label before the public suffix).
const FREE_MAIL_BRANDS: &[&str] = &[
    "yahoo", "hotmail", "outlook", "live", "aol", "gmx", "yandex",
];

static FREE_MAIL_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| FREE_MAIL.iter().copied().collect());

/// Is this domain (or the registrable domain it lies under) a free-mail provider?
pub fn is_free_mail_domain(domain: &str) -> bool {
    let Some(reg) = registrable_domain(domain) else {
        return false;
    };
    let brand = reg.split('.').next().unwrap_or_default();
    FREE_MAIL_SET.contains(reg.as_str()) || FREE_MAIL_BRANDS.contains(&brand)
}

fn local_part_ok(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || ".!#$%&'*+/=?^_`{|}~-".contains(c)
                || (!c.is_ascii() && c.is_alphanumeric())
        })
}

/// The address itself from what was pasted: "mailto:a@b.com?subject=…", "<a@b.com>",
/// "张三 <a@b.com>".
fn bare_address(s: &str) -> &str {
    let s = s.trim();
    let s = match (s.rfind('<'), s.ends_with('>')) {
        (Some(open), true) => &s[open + 1..s.len() - 1],
        _ => s,
    };
    let s = s.trim();
    match s.strip_prefix("mailto:") {
        Some(rest) => rest.split('?').next().unwrap_or_default().trim(),
        None => s,
    }
}

/// Top-level domains that typos of `.com`, `.cn` and `.net` turn into (.con, .cmo, .cm is
/// Cameroon and stays).
fn tld_suggestion(tld: &str) -> Option<&'static str> {
    ["com", "net", "cn"]
        .into_iter()
        .find(|t| *t != tld && tld.len() >= 2 && strsim::osa_distance(t, tld) <= 1)
}

/// The providers whose names reps mistype most.
const TYPO_TARGETS: &[&str] = &[
    "qq.com",
    "163.com",
    "126.com",
    "foxmail.com",
    "sina.com",
    "sohu.com",
    "aliyun.com",
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
];

/// Whether `a` becomes `b` by one typo: a letter changed, added, dropped, or two neighbours
/// swapped. Byte-wise, without allocating: it runs on every address entered.
fn one_typo_apart(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a == b || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let i = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if long.len() != short.len() {
        return long[i + 1..] == short[i..];
    }
    long[i + 1..] == short[i + 1..]
        || (i + 1 < long.len()
            && long[i] == short[i + 1]
            && long[i + 1] == short[i]
            && long[i + 2..] == short[i + 2..])
}

/// The free-mail domain this one is a letter off (gmial.com, qq.co, 163.cm), if any.
fn free_mail_typo(domain: &str) -> Option<&'static str> {
    let typo = TYPO_TARGETS
        .iter()
        .copied()
        .find(|f| one_typo_apart(f, domain))?;
    (!is_free_mail_domain(domain)).then_some(typo)
}

/// Normalizes an address as pasted (case, full-width characters, "mailto:", "张三 <…>", IDN
/// domains) and says whether it is free mail. An address with a typo in it (an unknown
/// domain ending, a free-mail domain misspelt, a comma for a dot) comes back unverified.
///
/// # Errors
///
/// [`EmailError`] when it cannot be an address at all: no `@`, nothing before or after it,
/// or several of them.
pub fn normalize_email(raw: &str) -> Result<Email, EmailError> {
    let err = || EmailError(raw.trim().to_string());
    let lower = text::nfkc(raw).to_lowercase();
    let s = bare_address(&lower);
    let (local, domain) = s.split_once('@').ok_or_else(err)?;
    let (local, domain) = (local.trim(), domain.trim());
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(err());
    }
    let unverified = |domain: &str, suggestion: Option<String>| Email {
        address: format!("{local}@{domain}"),
        free_mail: is_free_mail_domain(domain) || free_mail_typo(domain).is_some(),
        registrable_domain: None,
        domain: domain.to_string(),
        verified: false,
        suggestion,
    };
    // The ideographic full stop, typed for a dot, survives NFKC.
    let Some(host) = canonical_host(&domain.replace('。', ".")) else {
        let mut fixed = domain.replace([',', '，', '。', ' '], ".");
        while fixed.contains("..") {
            fixed = fixed.replace("..", ".");
        }
        let suggestion = canonical_host(&fixed).map(|h| format!("{local}@{h}"));
        return Ok(unverified(domain, suggestion));
    };
    if !local_part_ok(local) {
        return Ok(unverified(&host, None));
    }
    // A top-level domain is letters (or punycode), never digits alone.
    let tld = host.rsplit('.').next().unwrap_or_default();
    let registrable = registrable_domain(&host);
    if !host.contains('.')
        || tld.len() < 2
        || tld.bytes().all(|b| b.is_ascii_digit())
        || registrable.is_none()
    {
        let suggestion =
            tld_suggestion(tld).map(|t| format!("{local}@{}{t}", &host[..host.len() - tld.len()]));
        return Ok(unverified(&host, suggestion));
    }
    if let Some(meant) = free_mail_typo(&host) {
        return Ok(unverified(&host, Some(format!("{local}@{meant}"))));
    }
    Ok(Email {
        address: format!("{local}@{host}"),
        free_mail: is_free_mail_domain(&host),
        registrable_domain: registrable,
        domain: host,
        verified: true,
        suggestion: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_classifies() {
        let e = normalize_email("  Sales@XingHe.com.CN ").unwrap();
        assert_eq!(e.address, "sales@xinghe.com.cn");
        assert_eq!(e.domain, "xinghe.com.cn");
        assert_eq!(e.registrable_domain.as_deref(), Some("xinghe.com.cn"));
        assert!(!e.free_mail);
        for raw in [
            "mailto:<zhang.san@mail.xinghe.com>",
            "MAILTO:zhang.san@mail.xinghe.com?subject=hi",
            "张三 <Zhang.San@mail.xinghe.com>",
            "<zhang.san@mail.xinghe.com>",
            "zhang.san＠mail。xinghe。com",
        ] {
            let e = normalize_email(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(e.address, "zhang.san@mail.xinghe.com", "{raw}");
            assert_eq!(e.registrable_domain.as_deref(), Some("xinghe.com"));
        }
        assert_eq!(
            normalize_email("ＡＢＣ＠ｅｘａｍｐｌｅ．ｃｏｍ")
                .unwrap()
                .address,
            "abc@example.com"
        );
        let e = normalize_email("info@例子.中国").unwrap();
        assert_eq!(e.domain, "xn--fsqu00a.xn--fiqs8s");
        assert_eq!(e.address, "info@xn--fsqu00a.xn--fiqs8s");
        // Unknown suffix: a valid address, but no registrable domain to compare.
        assert_eq!(
            normalize_email("a@host.internal")
                .unwrap()
                .registrable_domain,
            None
        );
    }

    #[test]
    fn free_mail() {
        for raw in [
            "12345@qq.com",
            "a@vip.qq.com",
            "a@foxmail.com",
            "a@vip.163.com",
            "a@126.com",
            "a@vip.sina.com",
            "a@gmail.com",
            "a@hotmail.com",
            "a@hotmail.co.uk",
            "a@outlook.com",
            "someone@yahoo.co.jp",
            "a@yahoo.com.cn",
            "a@gmx.de",
            "a@gmx.net",
            "a@yandex.ru",
            "a@proton.me",
        ] {
            assert!(normalize_email(raw).unwrap().free_mail, "{raw}");
        }
        for domain in ["xinghe.com", "qq.com.example.org", "mail.xinghe.com.cn"] {
            assert!(!is_free_mail_domain(domain), "{domain}");
        }
        assert!(is_free_mail_domain("QQ.COM."));
        assert!(is_free_mail_domain("vip.163.com"));
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "abc",
            "@x.com",
            "a@",
            "a@@x.com",
            "a@b@x.com",
            "张三",
            "13800138000",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
        assert_eq!(
            normalize_email(" abc ").unwrap_err().to_string(),
            "邮箱地址 “abc” 无效 / not a valid e-mail address: abc"
        );
    }

    #[test]
    fn one_typo_is_one_edit_or_swap() {
        for (a, b) in [
            ("gmail.com", "gmial.com"),
            ("qq.com", "qq.co"),
            ("qq.com", "qqq.com"),
            ("163.com", "163.cm"),
            ("126.com", "127.com"),
            ("qq.com", "q.com"),
            ("sina.com", "sian.com"),
        ] {
            assert!(one_typo_apart(a, b), "{a} {b}");
            assert!(one_typo_apart(b, a), "{b} {a}");
        }
        for (a, b) in [
            ("qq.com", "qq.com"),
            ("gmail.com", "gamil.co"),
            ("163.com", "163.net"),
            ("qq.com", "xinghe.com"),
            ("ab", "ba c"),
        ] {
            assert!(!one_typo_apart(a, b), "{a} {b}");
        }
        // The same answers as the optimal string alignment distance, on every pair.
        let words = [
            "qq.com",
            "qq.co",
            "gmail.com",
            "gmial.com",
            "163.cm",
            "xinghe.com",
            "q",
            "",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    one_typo_apart(a, b),
                    strsim::osa_distance(a, b) == 1,
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn typos_are_kept_unverified() {
        for (raw, suggestion) in [
            ("zhang@qq.con", Some("zhang@qq.com")),
            ("zhang@163.cmo", Some("zhang@163.com")),
            ("zhang@gmial.com", Some("zhang@gmail.com")),
            ("zhang@qq.co", Some("zhang@qq.com")),
            ("zhang@hotmial.com", Some("zhang@hotmail.com")),
            ("sales@xinghe.com,cn", Some("sales@xinghe.com.cn")),
            ("sales@xinghe,com", Some("sales@xinghe.com")),
            ("a@b", None),
            ("a..b@x.com", None),
            ("a b@x.com", None),
            ("a@x..com", Some("a@x.com")),
            ("a@1.2.3.4", None),
            ("a@x.1", None),
            ("a@host.internal", None),
        ] {
            let e = normalize_email(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert!(!e.verified, "{raw}");
            assert_eq!(e.registrable_domain, None, "{raw}: no company evidence");
            assert_eq!(e.suggestion.as_deref(), suggestion, "{raw}");
        }
        // Kept as typed (lower-cased), so the same typo typed again is the same address.
        assert_eq!(
            normalize_email("Zhang@QQ.con").unwrap().address,
            "zhang@qq.con"
        );
        assert!(normalize_email("zhang@gmial.com").unwrap().free_mail);
        // Real domains near a provider's are not typos.
        for ok in ["a@163.net", "a@mail.com", "a@xinghe.com", "a@126.com"] {
            assert!(normalize_email(ok).unwrap().verified, "{ok}");
        }
    }
}
