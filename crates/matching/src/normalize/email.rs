//! E-mail addresses: lower-cased, validated, with the registrable domain and whether it is a
//! free-mail provider (qq.com, 163.com, gmail.com…), which says nothing about the company.

use unicode_normalization::UnicodeNormalization;

use super::website::registrable_domain;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub address: String,
    pub domain: String,
    pub registrable_domain: Option<String>,
    pub free_mail: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("邮箱地址 “{0}” 无效 / not a valid e-mail address: {0}")]
pub struct EmailError(pub String);

/// Free-mail providers: an address there is a person's, not evidence of their company.
const FREE_MAIL: &[&str] = &[
    "qq.com",
    "foxmail.com",
    "163.com",
    "126.com",
    "yeah.net",
    "188.com",
    "netease.com",
    "sina.com",
    "sina.cn",
    "sohu.com",
    "aliyun.com",
    "139.com",
    "189.cn",
    "wo.cn",
    "21cn.com",
    "tom.com",
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "live.cn",
    "msn.com",
    "yahoo.com",
    "yahoo.com.cn",
    "yahoo.cn",
    "icloud.com",
    "me.com",
    "mac.com",
    "protonmail.com",
    "proton.me",
    "aol.com",
    "mail.ru",
    "yandex.ru",
    "yandex.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "zoho.com",
    "263.net",
];

/// Is this (registrable) domain a free-mail provider?
pub fn is_free_mail_domain(domain: &str) -> bool {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    let reg = registrable_domain(&d).unwrap_or_else(|| d.clone());
    FREE_MAIL.contains(&d.as_str())
        || FREE_MAIL.contains(&reg.as_str())
        || reg.starts_with("yahoo.")
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

pub fn normalize_email(raw: &str) -> Result<Email, EmailError> {
    let err = || EmailError(raw.trim().to_string());
    let s: String = raw.nfkc().collect::<String>().trim().to_lowercase();
    let s = s.strip_prefix("mailto:").unwrap_or(&s);
    let s = s.trim_start_matches('<').trim_end_matches('>').trim();
    let (local, domain) = s.rsplit_once('@').ok_or_else(err)?;
    if !local_part_ok(local) || local.contains('@') {
        return Err(err());
    }
    let domain = match url::Host::parse(domain.trim_end_matches('.')) {
        Ok(url::Host::Domain(d)) if d.contains('.') && !d.starts_with('.') => d,
        _ => return Err(err()),
    };
    if !domain.split('.').all(|l| {
        !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    }) {
        return Err(err());
    }
    let registrable = registrable_domain(&domain);
    Ok(Email {
        address: format!("{local}@{domain}"),
        free_mail: is_free_mail_domain(&domain),
        registrable_domain: registrable,
        domain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_classifies() {
        let e = normalize_email("  Sales@XingHe.com.CN ").unwrap();
        assert_eq!(e.address, "sales@xinghe.com.cn");
        assert_eq!(e.registrable_domain.as_deref(), Some("xinghe.com.cn"));
        assert!(!e.free_mail);
        let e = normalize_email("mailto:<zhang.san@mail.xinghe.com>").unwrap();
        assert_eq!(e.registrable_domain.as_deref(), Some("xinghe.com"));
        assert!(normalize_email("12345@qq.com").unwrap().free_mail);
        assert!(normalize_email("a@vip.163.com").unwrap().free_mail);
        assert!(normalize_email("someone@yahoo.co.jp").unwrap().free_mail);
        assert_eq!(
            normalize_email("ＡＢＣ＠ｅｘａｍｐｌｅ．ｃｏｍ")
                .unwrap()
                .address,
            "abc@example.com"
        );
        assert_eq!(
            normalize_email("info@例子.中国").unwrap().domain,
            "xn--fsqu00a.xn--fiqs8s"
        );
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "abc",
            "a@b",
            "@x.com",
            "a@@x.com",
            "a..b@x.com",
            "a b@x.com",
            "a@-x..com",
            "a@1.2.3.4",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
