//! Company names split into their parts: region (北京, 广东省深圳市, （北京）, 上海分公司),
//! brand core (字号), industry words and legal form — so that 北京字节跳动科技有限公司,
//! 字节跳动（北京）科技有限公司 and 字節跳動科技有限公司 share the key 字节跳动科技, and
//! "Shenyang Xindi Software Co., Ltd." the key "xindi software".

use super::regions::{self, Region, RegionLevel};
use super::text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyName {
    /// The whole name folded (see [`text::fold`]).
    pub folded: String,
    /// The most specific region the name names.
    pub region: Option<&'static Region>,
    /// Brand core (字号).
    pub core: String,
    pub industry: Option<String>,
    pub legal_form: Option<String>,
    /// Branch suffix, e.g. 分公司 or "branch".
    pub branch: Option<String>,
    /// Region and legal form removed: core and industry. Never empty for a non-empty name.
    pub key: String,
}

/// Legal forms at the end of a Chinese name, longest first.
const LEGAL_FORMS: &[&str] = &[
    "集团股份有限公司",
    "股份有限公司",
    "集团有限责任公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "股份合作公司",
    "集团公司",
    "总公司",
    "公司",
    "个人独资企业",
    "特殊普通合伙",
    "普通合伙",
    "有限合伙",
    "合伙企业",
    "独资企业",
    "集团",
    "工作室",
    "事务所",
    "经营部",
    "门市部",
    "合作社",
    "商行",
    "中心",
    "厂",
    "店",
];

/// Branch suffixes (the region of the branch may precede them).
const BRANCH_FORMS: &[&str] = &[
    "分公司",
    "代表处",
    "办事处",
    "营业部",
    "分店",
    "分厂",
    "分部",
    "分行",
    "支行",
];

/// Industry words at the end of the name (after the legal form is gone), longest first when
/// matched.
const INDUSTRIES: &[&str] = &[
    "科技发展",
    "网络科技",
    "信息科技",
    "信息技术",
    "智能科技",
    "电子科技",
    "生物科技",
    "教育科技",
    "农业科技",
    "医疗科技",
    "环保科技",
    "科技",
    "技术",
    "软件技术",
    "软件",
    "计算机系统",
    "计算机",
    "电子商务",
    "电子",
    "电商",
    "国际贸易",
    "贸易",
    "商贸",
    "进出口",
    "实业",
    "投资管理",
    "资产管理",
    "投资",
    "企业管理咨询",
    "企业管理",
    "管理咨询",
    "咨询",
    "文化传媒",
    "文化传播",
    "传媒",
    "文化",
    "广告",
    "影视",
    "教育",
    "培训",
    "国际物流",
    "物流",
    "供应链管理",
    "供应链",
    "国际货运代理",
    "货运代理",
    "运输",
    "餐饮管理",
    "餐饮",
    "食品",
    "农业",
    "生物医药",
    "生物",
    "医药",
    "制药",
    "药业",
    "医疗器械",
    "医疗",
    "健康管理",
    "健康",
    "新能源",
    "能源",
    "环保",
    "环境",
    "化工",
    "新材料",
    "材料",
    "机械设备",
    "机械制造",
    "精密机械",
    "机械",
    "设备",
    "自动化",
    "汽车服务",
    "汽车",
    "建筑工程",
    "建筑设计",
    "建筑",
    "建设",
    "装饰工程",
    "装饰设计",
    "装饰",
    "工程",
    "建材",
    "房地产开发",
    "房地产",
    "置业",
    "物业管理",
    "物业",
    "家具",
    "家居",
    "服装",
    "服饰",
    "纺织",
    "印刷",
    "包装",
    "电器",
    "电气",
    "通信",
    "通讯",
    "数据服务",
    "大数据",
    "数据",
    "人工智能",
    "云计算",
    "网络",
    "互联网",
    "信息",
    "金融服务",
    "金融",
    "融资租赁",
    "租赁",
    "人力资源",
    "劳务",
    "旅游",
    "酒店管理",
    "酒店",
    "体育",
    "娱乐",
    "游戏",
    "动漫",
    "设计",
    "营销策划",
    "营销",
    "策划",
    "会展",
    "展览",
    "安防",
    "检测",
    "光电",
    "半导体",
    "钢铁",
    "五金",
    "塑料",
    "橡胶",
    "石油",
    "矿业",
    "电力",
    "水务",
    "园林",
    "景观",
    "日用品",
    "化妆品",
    "珠宝",
    "茶业",
    "酒业",
    "饮品",
    "水产",
    "乳业",
    "粮油",
    "发展",
];

/// English legal-form tokens, stripped from the end.
const EN_LEGAL: &[&str] = &[
    "co",
    "company",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "llc",
    "llp",
    "lp",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "nv",
    "bv",
    "kk",
    "pte",
    "pty",
    "srl",
    "spa",
    "oy",
    "ab",
    "group",
    "holding",
    "holdings",
    "the",
];

const EN_INDUSTRY: &[&str] = &[
    "technology",
    "technologies",
    "tech",
    "software",
    "trading",
    "trade",
    "logistics",
    "network",
    "networks",
    "information",
    "electronics",
    "electronic",
    "media",
    "culture",
    "education",
    "consulting",
    "consultancy",
    "biotech",
    "biotechnology",
    "pharmaceutical",
    "pharmaceuticals",
    "medical",
    "energy",
    "machinery",
    "chemical",
    "chemicals",
    "furniture",
    "food",
    "foods",
    "catering",
    "construction",
    "engineering",
    "ecommerce",
    "commerce",
    "international",
    "industrial",
    "industries",
    "industry",
    "development",
    "investment",
    "management",
    "services",
    "service",
    "science",
    "sciences",
    "digital",
    "data",
    "design",
];

/// Words for "China" that scope a name rather than place it.
const COUNTRY: &[&str] = &["中国", "中华", "china"];

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Longest `list` entry that `s` ends with, leaving at least `keep` characters.
fn strip_suffix_of<'a>(
    s: &'a str,
    list: &[&'static str],
    keep: usize,
) -> Option<(&'a str, &'static str)> {
    list.iter()
        .filter(|w| s.ends_with(*w) && char_len(s) >= char_len(w) + keep)
        .max_by_key(|w| w.len())
        .map(|w| (&s[..s.len() - w.len()], *w))
}

fn more_specific(
    current: Option<&'static Region>,
    found: &'static Region,
) -> Option<&'static Region> {
    match current {
        Some(c) if c.level >= found.level => Some(c),
        _ => Some(found),
    }
}

/// Bracketed parts: a region or "China" is taken out (and the region kept), anything else stays.
fn take_brackets(s: &str) -> (String, Option<&'static Region>) {
    let mut out = String::with_capacity(s.len());
    let mut region = None;
    let mut rest = s;
    while let Some(open) = rest.find(['(', '[', '【', '〔']) {
        let close_char = match rest[open..].chars().next() {
            Some('(') => ')',
            Some('[') => ']',
            Some('【') => '】',
            _ => '〕',
        };
        let after = &rest[open + rest[open..].chars().next().map_or(1, char::len_utf8)..];
        let Some(close) = after.find(close_char) else {
            break;
        };
        let inner = text::fold(&after[..close]);
        out.push_str(&rest[..open]);
        let tokens: Vec<&str> = after[..close]
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .collect();
        if let Some((r, n)) =
            regions::match_region_prefix(&inner).filter(|(_, n)| *n == inner.len())
        {
            let _ = n;
            region = more_specific(region, r);
        } else if let Some(r) = (tokens.len() <= 2)
            .then(|| regions::region_by_pinyin(&tokens.concat()))
            .flatten()
        {
            region = more_specific(region, r);
        } else if COUNTRY.contains(&inner.as_str()) || LEGAL_FORMS.contains(&inner.as_str()) {
            // (中国), (集团), (有限合伙): scope or legal form, not part of the name.
        } else {
            out.push(' ');
            out.push_str(&after[..close]);
            out.push(' ');
        }
        rest = &after[close + close_char.len_utf8()..];
    }
    out.push_str(rest);
    (out, region)
}

fn is_english(s: &str) -> bool {
    let letters = s.chars().filter(|c| c.is_alphabetic()).count();
    letters > 0 && s.chars().filter(|c| c.is_ascii_alphabetic()).count() * 2 > letters
}

pub fn parse_company_name(raw: &str) -> CompanyName {
    let simplified = text::simplify(raw);
    let folded = text::fold(raw);
    let (without_brackets, bracket_region) = take_brackets(&simplified);
    let mut name = if is_english(&without_brackets) {
        parse_english(&without_brackets)
    } else {
        parse_chinese(&text::fold(&without_brackets))
    };
    if let Some(r) = bracket_region {
        name.region = more_specific(name.region, r);
    }
    if name.key.is_empty() {
        name.key = folded.clone();
        name.core = folded.clone();
    }
    name.folded = folded;
    name
}

fn parse_chinese(s: &str) -> CompanyName {
    let mut region: Option<&'static Region> = None;
    let mut rest = s;
    // Leading regions, most general first: 广东省深圳市南山区…, 上海浦东…, 中国…
    loop {
        if let Some(c) = COUNTRY
            .iter()
            .find(|c| rest.starts_with(*c) && char_len(rest) > char_len(c) + 1)
        {
            rest = &rest[c.len()..];
            continue;
        }
        let parent = region.filter(|r| r.level != RegionLevel::County);
        match regions::match_region_prefix_within(rest, parent) {
            Some((r, n))
                if char_len(&rest[n..]) >= 2 && parent.is_none_or(|p| regions::within(r, p)) =>
            {
                region = more_specific(region, r);
                rest = &rest[n..];
            }
            _ => break,
        }
    }
    // Branch: …有限公司上海分公司.
    let mut branch = None;
    if let Some((before, b)) = strip_suffix_of(rest, BRANCH_FORMS, 2) {
        branch = Some(b.to_string());
        rest = before;
        if let Some((r, start)) =
            regions::match_region_suffix(rest).filter(|(_, st)| char_len(&rest[..*st]) >= 2)
        {
            region = region.or(Some(r));
            rest = &rest[..start];
        }
    }
    let mut legal_form = None;
    // Down to nothing if need be: a name that is only region and legal form falls back to
    // the whole folded name.
    while let Some((before, l)) = strip_suffix_of(rest, LEGAL_FORMS, 0) {
        legal_form.get_or_insert_with(|| l.to_string());
        rest = before;
    }
    // A region written after the core without brackets: 字节跳动北京科技 → 北京 is dropped.
    let strip_trailing_region = |s: &str, region: &mut Option<&'static Region>| -> usize {
        match regions::match_region_suffix(s)
            .filter(|(r, st)| char_len(&s[..*st]) >= 2 && r.level != RegionLevel::County)
        {
            Some((r, st)) => {
                *region = region.or(Some(r));
                st
            }
            None => s.len(),
        }
    };
    let end = strip_trailing_region(rest, &mut region);
    rest = &rest[..end];
    let (core, industry) = match strip_suffix_of(rest, INDUSTRIES, 2) {
        Some((core, ind)) => {
            let end = strip_trailing_region(core, &mut region);
            (core[..end].to_string(), Some(ind.to_string()))
        }
        None => (rest.to_string(), None),
    };
    let key = format!("{core}{}", industry.as_deref().unwrap_or_default());
    CompanyName {
        folded: String::new(),
        region,
        core,
        industry,
        legal_form,
        branch,
        key,
    }
}

fn parse_english(s: &str) -> CompanyName {
    // Tokens; "l.l.c." → "llc", "s.a." → "sa": single letters joined by dots are one word.
    let mut tokens: Vec<String> = Vec::new();
    let mut prev_single = false;
    let mut sep = ' ';
    let mut cur = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() {
            cur.push(c);
            continue;
        }
        if !cur.is_empty() {
            let single = cur.chars().count() == 1;
            match tokens.last_mut() {
                Some(last) if single && prev_single && sep == '.' => last.push_str(&cur),
                _ => tokens.push(std::mem::take(&mut cur)),
            }
            cur.clear();
            prev_single = single;
            sep = c;
        } else if c != ' ' {
            sep = c;
        }
    }
    let mut legal_form = None;
    let mut branch = None;
    if tokens.last().is_some_and(|t| t == "branch") {
        branch = tokens.pop();
    }
    while tokens.len() > 1
        && tokens
            .last()
            .is_some_and(|t| EN_LEGAL.contains(&t.as_str()))
    {
        legal_form = tokens.pop();
    }
    while tokens.len() > 1
        && tokens
            .first()
            .is_some_and(|t| t == "the" || COUNTRY.contains(&t.as_str()))
    {
        tokens.remove(0);
    }
    let mut region = None;
    // A leading place in pinyin: "shenyang xindi …", "xi an …".
    for n in [2, 1] {
        if tokens.len() > n {
            let joined: String = tokens[..n].concat();
            if regions::is_region_pinyin(&joined) {
                region = regions::region_by_pinyin(&joined);
                tokens.drain(..n);
                break;
            }
        }
    }
    while tokens.len() > 1
        && tokens
            .last()
            .is_some_and(|t| COUNTRY.contains(&t.as_str()) || regions::is_region_pinyin(t))
    {
        let t = tokens.pop().unwrap_or_default();
        region = region.or_else(|| regions::region_by_pinyin(&t));
    }
    let mut industry_tokens = Vec::new();
    while tokens.len() > 1
        && tokens
            .last()
            .is_some_and(|t| EN_INDUSTRY.contains(&t.as_str()))
    {
        industry_tokens.insert(0, tokens.pop().unwrap_or_default());
    }
    let core = tokens.join(" ");
    let industry = (!industry_tokens.is_empty()).then(|| industry_tokens.join(" "));
    let key = match &industry {
        Some(i) => format!("{core} {i}"),
        None => core.clone(),
    };
    CompanyName {
        folded: String::new(),
        region,
        core,
        industry,
        legal_form,
        branch,
        key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> String {
        parse_company_name(s).key
    }

    #[test]
    fn regions_and_legal_forms_are_stripped() {
        for raw in [
            "北京字节跳动科技有限公司",
            "字节跳动（北京）科技有限公司",
            "字節跳動(北京)科技有限公司",
            "北京市字节跳动科技有限公司",
            "字节跳动科技有限责任公司",
            "中国字节跳动科技有限公司",
            "字节跳动北京科技有限公司",
        ] {
            let n = parse_company_name(raw);
            assert_eq!(n.key, "字节跳动科技", "{raw}");
            assert_eq!(n.core, "字节跳动", "{raw}");
            assert_eq!(n.industry.as_deref(), Some("科技"), "{raw}");
        }
        assert_eq!(
            parse_company_name("北京字节跳动科技有限公司")
                .region
                .map(|r| r.name),
            Some("北京市")
        );
        assert_eq!(
            parse_company_name("字节跳动（北京）科技有限公司")
                .region
                .map(|r| r.name),
            Some("北京市")
        );
        assert_eq!(parse_company_name("字节跳动科技有限公司").region, None);
    }

    #[test]
    fn nested_regions_and_branches() {
        let n = parse_company_name("广东省深圳市腾讯计算机系统有限公司");
        assert_eq!(n.region.map(|r| r.name), Some("深圳市"));
        assert_eq!(n.key, "腾讯计算机系统");
        assert_eq!(key("深圳市腾讯计算机系统有限公司"), "腾讯计算机系统");
        let n = parse_company_name("星河互联集团有限公司上海分公司");
        assert_eq!(n.key, "星河互联");
        assert_eq!(n.region.map(|r| r.name), Some("上海市"));
        assert_eq!(n.branch.as_deref(), Some("分公司"));
        assert_eq!(key("星河互联集团有限公司"), "星河互联");
        let n = parse_company_name("上海浦东发展银行股份有限公司");
        assert_eq!(n.region.map(|r| r.name), Some("浦东新区"));
    }

    #[test]
    fn english_names() {
        let n = parse_company_name("Shenyang Xindi Software Co., Ltd.");
        assert_eq!(n.key, "xindi software");
        assert_eq!(n.core, "xindi");
        assert_eq!(n.region.map(|r| r.name), Some("沈阳市"));
        assert_eq!(key("ByteDance Ltd."), "bytedance");
        assert_eq!(key("Xindi Software (Shenyang) Co., Ltd."), "xindi software");
        assert_eq!(key("Acme Trading L.L.C."), "acme trading");
        assert_eq!(key("ＡＢＣ 贸易有限公司"), "abc贸易");
    }

    #[test]
    fn never_empty() {
        assert_eq!(key("北京有限公司"), "北京有限公司");
        assert_eq!(key("有限公司"), "有限公司");
        assert_eq!(key("科技"), "科技");
        assert_eq!(key(""), "");
        assert_eq!(key("阿里巴巴网络技术有限公司"), "阿里巴巴网络技术");
    }
}
