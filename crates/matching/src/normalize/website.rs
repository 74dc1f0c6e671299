//! Web sites: whatever was pasted (`https://www.Xinghe.com.cn:8080/about?x=1`, `xinghe.com.cn`,
//! full-width dots, IDN hosts) to its host and registrable domain (public-suffix aware:
//! xinghe.com.cn, not com.cn). Sites on shared platforms (a Taobao shop, a WeChat article, a
//! company-lookup page) are not company evidence.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use super::text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Website {
    /// The host as written, canonical: lower case, IDN in punycode (`www.xinghe.com.cn`).
    pub host: String,
    /// `xinghe.com.cn`.
    pub registrable_domain: String,
    /// A shop or page on a shared platform: says nothing about which company it is.
    pub platform: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("网址 “{0}” 无效 / not a valid web address: {0}")]
pub struct WebsiteError(pub String);

/// Domains of platforms whose subdomains or pages many companies share. A host is on a
/// platform when it is one of these or lies under one. (Private suffixes of the public
/// suffix list such as github.io already give each site its own registrable domain.)
const PLATFORMS: &[&str] = &[
    // Shops and marketplaces.
    "taobao.com",
    "tmall.com",
    "tmall.hk",
    "1688.com",
    "jd.com",
    "jd.hk",
    "pinduoduo.com",
    "yangkeduo.com",
    "youzan.com",
    "weidian.com",
    "meituan.com",
    "dianping.com",
    "ele.me",
    "alibaba.com",
    "aliexpress.com",
    "made-in-china.com",
    "globalsources.com",
    "hc360.com",
    "amazon.com",
    "ebay.com",
    "etsy.com",
    "shopify.com",
    "myshopify.com",
    // Social media, content and portals.
    "qq.com",
    "weixin.qq.com",
    "mp.weixin.qq.com",
    "weibo.com",
    "weibo.cn",
    "baidu.com",
    "douyin.com",
    "kuaishou.com",
    "xiaohongshu.com",
    "xhslink.com",
    "toutiao.com",
    "zhihu.com",
    "bilibili.com",
    "csdn.net",
    "cnblogs.com",
    "sohu.com",
    "163.com",
    "sina.com.cn",
    "sina.cn",
    "facebook.com",
    "instagram.com",
    "linkedin.com",
    "twitter.com",
    "x.com",
    "youtube.com",
    "tiktok.com",
    "medium.com",
    "github.com",
    "gitee.com",
    "feishu.cn",
    "notion.site",
    // Company lookup sites: a link to a company's page there is not its web site.
    "qcc.com",
    "tianyancha.com",
    "qixin.com",
    "qichacha.com",
    // Site builders and blogs.
    "wix.com",
    "wixsite.com",
    "weebly.com",
    "squarespace.com",
    "wordpress.com",
    "blogspot.com",
    "tumblr.com",
    // Link shorteners.
    "t.cn",
    "url.cn",
    "dwz.cn",
    "bit.ly",
];

static PLATFORM_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| PLATFORMS.iter().copied().collect());

/// Is `host` (canonical: lower case, punycode) a platform or under one?
pub fn is_platform_host(host: &str) -> bool {
    let mut h = host.trim_end_matches('.');
    loop {
        if PLATFORM_SET.contains(h) {
            return true;
        }
        match h.split_once('.') {
            Some((_, parent)) => h = parent,
            None => return false,
        }
    }
}

/// A host name in canonical form: lower case, no trailing dot, IDN labels in punycode
/// (例子.中国 → xn--fsqu00a.xn--fiqs8s). `None` for IP addresses and malformed names.
pub fn canonical_host(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.');
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '%') {
        return None;
    }
    match url::Host::parse(host).ok()? {
        url::Host::Domain(d) => {
            let labels_ok = d.split('.').all(|l| {
                (1..=63).contains(&l.len())
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
            (labels_ok && d.len() <= 253).then_some(d)
        }
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => None,
    }
}

/// The registrable domain of a host name (public-suffix aware: `xinghe.com.cn` for
/// `www.xinghe.com.cn`), if it has one under a known public suffix.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.');
    let canonical = host
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
    let host: Cow<'_, str> = if canonical {
        Cow::Borrowed(host)
    } else {
        Cow::Owned(canonical_host(host)?)
    };
    let d = psl::domain(host.as_bytes())?;
    // psl answers even for unknown suffixes (as if every TLD were public); insist on a
    // known one.
    if !d.suffix().is_known() {
        return None;
    }
    std::str::from_utf8(d.as_bytes()).ok().map(str::to_string)
}

/// Host, registrable domain and platform flag of a pasted web address.
///
/// # Errors
///
/// [`WebsiteError`] when there is no host name under a known public suffix (IP addresses,
/// "localhost", made-up top-level domains, text).
pub fn normalize_website(raw: &str) -> Result<Website, WebsiteError> {
    let err = || WebsiteError(raw.trim().to_string());
    // NFKC maps full-width letters and dots; the ideographic full stop people type for a dot
    // it leaves alone.
    let s = text::nfkc(raw).trim().to_lowercase().replace('。', ".");
    let rest = match s.split_once("://") {
        Some((scheme, rest)) if scheme.bytes().all(|b| b.is_ascii_alphabetic()) => rest,
        Some(_) => return Err(err()),
        None => s.trim_start_matches("//"),
    };
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host_port.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        Some(_) => return Err(err()),
        None => host_port,
    };
    let host = canonical_host(host).ok_or_else(err)?;
    let registrable = registrable_domain(&host).ok_or_else(err)?;
    Ok(Website {
        platform: is_platform_host(&host),
        host,
        registrable_domain: registrable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_addresses() {
        for raw in [
            "www.xinghe.com.cn",
            "www.Xinghe.com.cn/about",
            "https://www.Xinghe.com.cn:8080/about?x=1",
            "https://xinghe.com.cn:8080/?a=1",
            "http://xinghe.com.cn/",
            "xinghe.com.cn",
            "xinghe.com.cn.",
            "//xinghe.com.cn",
            "  XINGHE.COM.CN  ",
            "ＷＷＷ．ＸＩＮＧＨＥ．ＣＯＭ．ＣＮ",
            "shop.xinghe.com.cn#top",
            "www。xinghe。com。cn",
            "http://user:pw@xinghe.com.cn/",
        ] {
            assert_eq!(
                normalize_website(raw).unwrap().registrable_domain,
                "xinghe.com.cn",
                "{raw}"
            );
        }
        let w = normalize_website("https://WWW.Xinghe.com.cn/about").unwrap();
        assert_eq!(w.host, "www.xinghe.com.cn");
        assert_eq!(
            normalize_website("ＷＷＷ．ｘｉｎｇｈｅ．ｃｏｍ")
                .unwrap()
                .registrable_domain,
            "xinghe.com"
        );
        let w = normalize_website("http://例子.中国/关于").unwrap();
        assert_eq!(w.host, "xn--fsqu00a.xn--fiqs8s");
        assert_eq!(w.registrable_domain, "xn--fsqu00a.xn--fiqs8s");
        assert_eq!(
            normalize_website("www.example.co.uk")
                .unwrap()
                .registrable_domain,
            "example.co.uk"
        );
    }

    #[test]
    fn platforms_are_flagged() {
        for raw in [
            "xinghe.taobao.com",
            "https://shop123.taobao.com/",
            "mp.weixin.qq.com/s/abc",
            "https://www.qcc.com/firm/abc.html",
            "xinghe.blogspot.com",
            "xinghe.wordpress.com",
            "weibo.com/xinghe",
        ] {
            assert!(normalize_website(raw).unwrap().platform, "{raw}");
        }
        assert!(!normalize_website("xinghe.com").unwrap().platform);
        assert!(!normalize_website("xinghe.com.cn").unwrap().platform);
        // A private suffix gives each site its own registrable domain.
        let w = normalize_website("xinghe.github.io").unwrap();
        assert_eq!(w.registrable_domain, "xinghe.github.io");
        assert!(!w.platform);
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(
            registrable_domain("mail.xinghe.com.cn").as_deref(),
            Some("xinghe.com.cn")
        );
        assert_eq!(
            registrable_domain("Mail.Xinghe.COM.").as_deref(),
            Some("xinghe.com")
        );
        assert_eq!(
            registrable_domain("例子.中国").as_deref(),
            Some("xn--fsqu00a.xn--fiqs8s")
        );
        assert_eq!(registrable_domain("com.cn"), None);
        assert_eq!(registrable_domain("xinghe.notatld"), None);
        assert_eq!(registrable_domain(""), None);
    }

    #[test]
    fn rejects_non_addresses() {
        for bad in [
            "",
            "无",
            "not a site",
            "localhost",
            "http://",
            "com.cn",
            "1.2.3.4",
            "http://[::1]/",
            "xinghe.notatld",
            "xinghe.com:80a",
            "-xinghe.com",
            "xing he.com",
            "javascript:alert(1)",
        ] {
            assert!(normalize_website(bad).is_err(), "{bad}");
        }
    }
}
