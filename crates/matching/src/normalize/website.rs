//! Web sites: whatever was pasted ("https://www.Xinghe.com.cn:8080/about?x=1", "xinghe.com.cn",
//! full-width dots, IDN hosts) to its host and registrable domain (public-suffix aware:
//! xinghe.com.cn, not com.cn). Sites on shared platforms (a Taobao shop) are not company
//! evidence.

use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Website {
    pub host: String,
    pub registrable_domain: String,
    /// A shop or page on a shared platform: says nothing about which company it is.
    pub platform: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("网址 “{0}” 无效 / not a valid web address: {0}")]
pub struct WebsiteError(pub String);

/// Registrable domains of platforms whose subdomains or pages many companies share.
const PLATFORMS: &[&str] = &[
    "taobao.com",
    "tmall.com",
    "1688.com",
    "jd.com",
    "weibo.com",
    "weibo.cn",
    "qq.com",
    "baidu.com",
    "douyin.com",
    "xiaohongshu.com",
    "weixin.qq.com",
    "alibaba.com",
    "aliexpress.com",
    "amazon.com",
    "facebook.com",
    "linkedin.com",
    "wix.com",
    "wixsite.com",
    "wordpress.com",
    "blogspot.com",
    "tumblr.com",
    "sohu.com",
    "163.com",
    "sina.com.cn",
    "zhihu.com",
    "bilibili.com",
    "youzan.com",
    "weidian.com",
    "mysite.com",
];

/// The registrable domain of a host name (public-suffix aware), if it has one.
pub fn registrable_domain(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let d = psl::domain_str(&host)?;
    // psl answers even for unknown suffixes; insist on a known one.
    let suffix = psl::suffix_str(&host)?;
    if psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known()) && d.len() > suffix.len() {
        Some(d.to_string())
    } else {
        None
    }
}

pub fn normalize_website(raw: &str) -> Result<Website, WebsiteError> {
    let err = || WebsiteError(raw.trim().to_string());
    let s: String = raw.nfkc().collect::<String>().trim().to_lowercase();
    // NFKC leaves the ideographic full stop; people type it for dots.
    let s = s.replace('。', ".");
    let rest = s.split_once("://").map(|(_, r)| r).unwrap_or(&s);
    let rest = rest.trim_start_matches("//");
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    let host = host_port
        .split(':')
        .next()
        .unwrap_or_default()
        .trim_end_matches('.');
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(err());
    }
    let host = match url::Host::parse(host) {
        Ok(url::Host::Domain(d)) => d,
        _ => return Err(err()),
    };
    let registrable = registrable_domain(&host).ok_or_else(err)?;
    let platform = PLATFORMS.contains(&registrable.as_str()) || PLATFORMS.contains(&host.as_str());
    Ok(Website {
        host,
        registrable_domain: registrable,
        platform,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_addresses() {
        for raw in [
            "www.xinghe.com.cn",
            "https://www.Xinghe.com.cn:8080/about?x=1",
            "http://xinghe.com.cn/",
            "xinghe.com.cn",
            "ＷＷＷ．ＸＩＮＧＨＥ．ＣＯＭ．ＣＮ",
            "shop.xinghe.com.cn#top",
            "www。xinghe。com。cn",
        ] {
            assert_eq!(
                normalize_website(raw).unwrap().registrable_domain,
                "xinghe.com.cn",
                "{raw}"
            );
        }
        assert_eq!(
            normalize_website("例子.中国").unwrap().registrable_domain,
            "xn--fsqu00a.xn--fiqs8s"
        );
        assert!(normalize_website("xinghe.taobao.com").unwrap().platform);
        assert!(!normalize_website("xinghe.com").unwrap().platform);
    }

    #[test]
    fn rejects_non_addresses() {
        for bad in [
            "",
            "not a site",
            "localhost",
            "http://",
            "com.cn",
            "1.2.3.4",
            "xinghe.notatld",
        ] {
            assert!(normalize_website(bad).is_err(), "{bad}");
        }
    }
}
