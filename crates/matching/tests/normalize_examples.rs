//! The normalizers' contract through the public API, on the examples the product is built
//! around (the unit tests next to each normalizer cover the corner cases).

use leadguard_matching::normalize::company_name::parse_company_name;
use leadguard_matching::normalize::credit_code::{CreditCodeError, normalize_credit_code};
use leadguard_matching::normalize::email::normalize_email;
use leadguard_matching::normalize::phone::{PhoneKind, parse_phones};
use leadguard_matching::normalize::regions::{self, RegionLevel};
use leadguard_matching::normalize::text::{fold, simplify};
use leadguard_matching::normalize::website::normalize_website;

#[test]
fn text() {
    assert_eq!(
        fold("字節跳動（北京）科技有限公司"),
        "字节跳动北京科技有限公司"
    );
    assert_eq!(fold("ＡＢＣ 贸易·有限公司"), "abc贸易有限公司");
    assert_eq!(
        simplify("Xindi Software Co., Ltd."),
        "xindi software co., ltd."
    );
}

#[test]
fn phones() {
    let p = parse_phones("13800138000 / 010-88886666转801").unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(
        (p[0].e164.as_str(), p[0].kind),
        ("+8613800138000", PhoneKind::Mobile)
    );
    assert_eq!(
        (
            p[1].e164.as_str(),
            p[1].extension.as_deref(),
            p[1].area_city.as_deref()
        ),
        ("+861088886666", Some("801"), Some("北京市"))
    );
    let p = parse_phones("138 0013 8000; +86 (21) 6234-5678 ext. 12").unwrap();
    assert_eq!(p[1].e164, "+862162345678");
    assert_eq!(p[1].extension.as_deref(), Some("12"));
    let p = parse_phones("0755-8888 6666-801").unwrap();
    assert_eq!(p[0].extension.as_deref(), Some("801"));
    let p = parse_phones("400-800-1234").unwrap();
    assert!(p[0].weak());
    assert_eq!(
        parse_phones("+852 2345 6789").unwrap()[0].e164,
        "+85223456789"
    );
    assert!(parse_phones("  ").unwrap().is_empty());
    let local = parse_phones("88886666").unwrap();
    assert_eq!(local[0].kind, PhoneKind::Local);
    assert!(!local[0].verified);
    assert_eq!(
        parse_phones("12345").unwrap_err().to_string(),
        "无法识别的电话号码 “12345” / not a valid phone number: 12345"
    );
}

#[test]
fn emails() {
    let e = normalize_email(" mailto:<Sales@XingHe.com.CN> ").unwrap();
    assert_eq!(e.address, "sales@xinghe.com.cn");
    assert_eq!(e.domain, "xinghe.com.cn");
    assert_eq!(e.registrable_domain.as_deref(), Some("xinghe.com.cn"));
    assert!(!e.free_mail);
    assert!(normalize_email("12345@vip.qq.com").unwrap().free_mail);
    assert!(normalize_email("not an address").is_err());
}

#[test]
fn websites() {
    for raw in [
        "www.Xinghe.com.cn/about",
        "https://xinghe.com.cn:8080/?a=1",
        "xinghe.com.cn",
        "ＷＷＷ．ＸＩＮＧＨＥ．ＣＯＭ．ＣＮ",
    ] {
        let w = normalize_website(raw).unwrap();
        assert_eq!(w.registrable_domain, "xinghe.com.cn", "{raw}");
        assert!(!w.platform);
    }
    assert_eq!(
        normalize_website("例子.中国").unwrap().host,
        "xn--fsqu00a.xn--fiqs8s"
    );
    assert!(normalize_website("xinghe.tmall.com").unwrap().platform);
    assert!(
        normalize_website("https://mp.weixin.qq.com/s/abc")
            .unwrap()
            .platform
    );
}

#[test]
fn credit_codes() {
    let c = normalize_credit_code("91350100M000100Y43").unwrap();
    assert_eq!(c.as_str(), "91350100M000100Y43");
    assert_eq!(c.division_code(), "350100");
    assert_eq!(c.to_string(), "91350100M000100Y43");
    assert_eq!(
        normalize_credit_code("91350100M000100Y4"),
        Err(CreditCodeError::Length(17))
    );
    assert_eq!(
        normalize_credit_code("91350100M000100Y44"),
        Err(CreditCodeError::Check)
    );
}

#[test]
fn regions() {
    let beijing = regions::region_by_code("110000").unwrap();
    assert_eq!((beijing.name, beijing.short), ("北京市", "北京"));
    assert_eq!(beijing.level, RegionLevel::Province);
    assert_eq!(regions::city_of(beijing), Some(beijing));
    let (r, n) = regions::match_region_prefix("广西南宁星河").unwrap();
    assert_eq!((r.name, n), ("广西壮族自治区", "广西".len()));
    assert_eq!(
        regions::find_region("星河互联（上海）").map(|r| r.short),
        Some("上海")
    );
    let a = regions::parse_address("深圳南山区科技园");
    assert_eq!(a.province.map(|r| r.name), Some("广东省"));
    assert_eq!(a.city.map(|r| r.name), Some("深圳市"));
    assert_eq!(a.county.map(|r| r.name), Some("南山区"));
    let nanshan = a.county.unwrap();
    assert_eq!(regions::province_of(nanshan).name, "广东省");
}

#[test]
fn company_names() {
    for raw in [
        "北京字节跳动科技有限公司",
        "字节跳动（北京）科技有限公司",
        "字節跳動(北京)科技有限公司",
        "北京市字节跳动科技有限公司",
    ] {
        let n = parse_company_name(raw);
        assert_eq!(n.key, "字节跳动科技", "{raw}");
        assert_eq!(n.core, "字节跳动", "{raw}");
        assert_eq!(n.industry.as_deref(), Some("科技"), "{raw}");
        assert_eq!(n.region.map(|r| r.short), Some("北京"), "{raw}");
    }
    let n = parse_company_name("深圳市腾讯计算机系统有限公司");
    assert_eq!(n.key, "腾讯计算机系统");
    assert_eq!(n.region.map(|r| r.short), Some("深圳"));
    let n = parse_company_name("星河互联集团有限公司上海分公司");
    assert_eq!(n.key, "星河互联");
    assert_eq!(n.region.map(|r| r.short), Some("上海"));
    assert!(n.branch.is_some());
    let n = parse_company_name("Shenyang Xindi Software Co., Ltd.");
    assert_eq!(
        (n.key.as_str(), n.core.as_str(), n.industry.as_deref()),
        ("xindi software", "xindi", Some("software"))
    );
    assert_eq!(n.region.map(|r| r.short), Some("沈阳"));
    assert_eq!(parse_company_name("ByteDance Ltd.").key, "bytedance");
    assert_eq!(parse_company_name("ＡＢＣ 贸易有限公司").key, "abc贸易");
    assert_eq!(parse_company_name("北京有限公司").key, "北京有限公司");
}
