//! Company names split into their parts: region (北京, 广东省深圳市, （北京）, 上海分公司),
//! brand core (字号), industry words and legal form — so that 北京字节跳动科技有限公司,
//! 字节跳动（北京）科技有限公司 and 字節跳動科技有限公司 share the key 字节跳动科技, and
//! "Shenyang Xindi Software Co., Ltd." the key "xindi software".
//!
//! Industry words are taken from the end of what is left once the legal form is gone,
//! longest first and repeatedly (网络科技发展 = 网络 + 科技发展), as long as at least two
//! characters of core remain. The list holds the words of the registered-name industry slot
//! (行业表述) that are common enough to matter, not every industry: a word it misses stays in
//! the core, which is harmless as long as every spelling of the name is split alike.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::regions::{self, Region, RegionLevel};
use super::text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyName {
    /// The whole name folded (see [`text::fold`]).
    pub folded: String,
    /// The most specific region the name names: a leading one (北京, 广东省深圳市, 上海浦东), a
    /// bracketed one (（北京）), or a branch's (上海分公司: the branch's region wins).
    pub region: Option<&'static Region>,
    /// Brand core (字号): 字节跳动, "xindi".
    pub core: String,
    /// 科技, 网络科技, "software".
    pub industry: Option<String>,
    /// The outermost legal form: 有限公司, 集团股份有限公司, "ltd".
    pub legal_form: Option<String>,
    /// Branch suffix: 分公司, 办事处, "branch".
    pub branch: Option<String>,
    /// Core and industry, region and legal form removed: 字节跳动科技; English tokens joined
    /// by single spaces: "xindi software". Never empty for a name with a letter or digit: a
    /// name that is nothing but region and legal form keeps its folded whole (北京有限公司).
    pub key: String,
}

/// Legal forms at the end of a Chinese name (longest match wins; several may stack:
/// 集团 + 有限公司).
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
    "个体工商户",
    "个体户",
    "个人独资企业",
    "特殊普通合伙企业",
    "普通合伙企业",
    "有限合伙企业",
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
    "专业合作社",
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
    "分理处",
    "分店",
    "分厂",
    "分部",
    "分所",
    "分行",
    "支行",
];

/// Notes in brackets after or before the legal form: （自然人独资）, (中外合资), (有限合伙).
const FORM_NOTE_ENDINGS: &[&str] = &["独资", "合资", "合作", "控股", "合伙", "投资"];

/// Industry words (行业表述).
const INDUSTRIES: &[&str] = &[
    // Technology and information.
    "科技",
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
    "技术",
    "技术服务",
    "技术开发",
    "网络技术",
    "软件技术",
    "软件开发",
    "软件",
    "计算机系统",
    "计算机技术",
    "计算机",
    "系统集成",
    "信息服务",
    "信息",
    "网络",
    "互联网",
    "数据服务",
    "大数据",
    "数据",
    "云计算",
    "人工智能",
    "物联网",
    "区块链",
    "智能",
    "数码",
    "通信",
    "通讯",
    "电子",
    "电子技术",
    "光电",
    "半导体",
    "集成电路",
    "微电子",
    "自动化",
    "机器人",
    "仪器仪表",
    "仪器",
    // Trade and commerce.
    "电子商务",
    "电商",
    "国际贸易",
    "进出口贸易",
    "贸易",
    "商贸",
    "工贸",
    "科贸",
    "经贸",
    "进出口",
    "商务",
    "供应链管理",
    "供应链",
    "百货",
    "超市",
    "连锁",
    "大药房",
    "药房",
    // Investment, finance and management.
    "实业",
    "实业发展",
    "产业发展",
    "投资管理",
    "投资发展",
    "投资咨询",
    "股权投资",
    "创业投资",
    "资产管理",
    "基金管理",
    "投资",
    "控股",
    "资本",
    "金融服务",
    "金融",
    "融资租赁",
    "租赁",
    "担保",
    "保险",
    "企业管理咨询",
    "企业管理",
    "管理咨询",
    "商务咨询",
    "咨询",
    "财务咨询",
    "财税",
    "人力资源",
    "劳务",
    // Media, culture, education.
    "文化传媒",
    "文化传播",
    "文化发展",
    "文化",
    "传媒",
    "广告",
    "影视",
    "影业",
    "教育",
    "培训",
    "设计",
    "营销策划",
    "营销",
    "策划",
    "会展",
    "展览",
    "体育",
    "娱乐",
    "游戏",
    "动漫",
    "旅游",
    "旅行社",
    "酒店管理",
    "酒店",
    "餐饮管理",
    "餐饮",
    // Logistics.
    "国际物流",
    "物流",
    "国际货运代理",
    "货运代理",
    "货运",
    "运输",
    "速运",
    "快递",
    "仓储",
    // Manufacturing and materials.
    "机械设备",
    "机械制造",
    "精密机械",
    "机械",
    "设备",
    "机电",
    "电机",
    "电器",
    "电气",
    "重工",
    "汽车",
    "汽车服务",
    "汽车销售",
    "汽配",
    "新能源",
    "能源",
    "电力",
    "光伏",
    "化工",
    "新材料",
    "材料",
    "塑料",
    "橡胶",
    "钢铁",
    "五金",
    "模具",
    "制品",
    "制造",
    "服装",
    "服饰",
    "纺织",
    "鞋业",
    "家具",
    "家居",
    "印刷",
    "包装",
    "玩具",
    "日用品",
    "化妆品",
    "珠宝",
    "石油",
    "矿业",
    "水务",
    "环保",
    "环境",
    "安防",
    "检测",
    // Building and property.
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
    "物业服务",
    "物业",
    "园林",
    "景观",
    // Food, farming, health.
    "食品",
    "农业",
    "农业发展",
    "茶业",
    "酒业",
    "饮品",
    "水产",
    "乳业",
    "粮油",
    "生物医药",
    "生物",
    "医药",
    "制药",
    "药业",
    "医疗器械",
    "医疗",
    "健康管理",
    "健康",
    // Generic.
    "服务",
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
    "sarl",
    "sas",
    "nv",
    "bv",
    "kk",
    "pte",
    "pty",
    "pvt",
    "sdn",
    "bhd",
    "srl",
    "spa",
    "oy",
    "ab",
    "group",
    "holding",
    "holdings",
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
    "manufacturing",
    "materials",
    "logistic",
    "import",
    "export",
];

/// Words for "China" that scope a name rather than place it.
const COUNTRY: &[&str] = &["中国", "中华", "china", "prc"];

/// A word list matched at the end of a string, longest first.
struct Suffixes {
    words: HashSet<&'static str>,
    max_chars: usize,
}

impl Suffixes {
    fn new(words: &[&'static str]) -> Suffixes {
        Suffixes {
            words: words.iter().copied().collect(),
            max_chars: words.iter().map(|w| w.chars().count()).max().unwrap_or(0),
        }
    }

    /// The longest word `s` ends with that leaves at least `keep` characters before it.
    fn strip<'a>(&self, s: &'a str, keep: usize) -> Option<(&'a str, &'static str)> {
        let mut starts = [0usize; 16];
        let mut n = 0;
        for (i, _) in s
            .char_indices()
            .rev()
            .take(self.max_chars.min(starts.len()))
        {
            starts[n] = i;
            n += 1;
        }
        // starts[k] leaves a suffix of k + 1 characters: try the longest first.
        (0..n).rev().find_map(|k| {
            let start = starts[k];
            let before = &s[..start];
            (before.chars().count() >= keep)
                .then(|| self.words.get(&s[start..]).map(|w| (before, *w)))
                .flatten()
        })
    }

    fn contains(&self, w: &str) -> bool {
        self.words.contains(w)
    }
}

static LEGAL: LazyLock<Suffixes> = LazyLock::new(|| Suffixes::new(LEGAL_FORMS));
static BRANCH: LazyLock<Suffixes> = LazyLock::new(|| Suffixes::new(BRANCH_FORMS));
static INDUSTRY: LazyLock<Suffixes> = LazyLock::new(|| Suffixes::new(INDUSTRIES));

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The more specific of the region found so far and a new one (the first found on a tie).
fn more_specific(current: Option<&'static Region>, found: &'static Region) -> &'static Region {
    match current {
        Some(c) if c.level >= found.level => c,
        _ => found,
    }
}

/// Bracket content that annotates the legal form: 集团, 有限合伙, 自然人独资, 中外合资.
fn is_form_note(folded: &str) -> bool {
    LEGAL.contains(folded)
        || COUNTRY.contains(&folded)
        || (char_len(folded) <= 16 && FORM_NOTE_ENDINGS.iter().any(|e| folded.ends_with(e)))
}

/// Takes bracketed parts out of a simplified name: a region (kept aside), "China" or a
/// legal-form note is dropped, anything else stays (between spaces).
fn take_brackets(s: &str) -> (String, Option<&'static Region>) {
    let mut out = String::with_capacity(s.len());
    let mut region = None;
    let mut rest = s;
    while let Some(open) = rest.find(['(', '[', '【', '〔', '〈', '《']) {
        let open_char = rest[open..].chars().next().unwrap_or('(');
        let close_char = match open_char {
            '(' => ')',
            '[' => ']',
            '【' => '】',
            '〔' => '〕',
            '〈' => '〉',
            _ => '》',
        };
        let after = &rest[open + open_char.len_utf8()..];
        let Some(close) = after.find(close_char) else {
            break;
        };
        let raw_inner = &after[..close];
        let inner = text::fold_simplified(raw_inner);
        out.push_str(&rest[..open]);
        let whole_region = regions::match_region_prefix(&inner)
            .filter(|(_, n)| *n == inner.len())
            .map(|(r, _)| r)
            .or_else(|| {
                let tokens: Vec<&str> = raw_inner
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|t| !t.is_empty())
                    .collect();
                (tokens.len() <= 2)
                    .then(|| regions::region_by_pinyin(&tokens.concat()))
                    .flatten()
            });
        if let Some(r) = whole_region {
            region = Some(more_specific(region, r));
        } else if !is_form_note(&inner) {
            out.push(' ');
            out.push_str(raw_inner);
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

/// Splits a company name (Chinese or English, any width or script) into region, core,
/// industry, legal form and branch, and derives its key. Never fails: an unusual name simply
/// keeps more of itself in the core.
pub fn parse_company_name(raw: &str) -> CompanyName {
    let simplified = text::simplify(raw);
    let folded = text::fold_simplified(&simplified);
    let (without_brackets, bracket_region) = take_brackets(&simplified);
    let mut name = if is_english(&without_brackets) {
        parse_english(&without_brackets)
    } else {
        parse_chinese(&text::fold_simplified(&without_brackets))
    };
    if let Some(r) = bracket_region {
        name.region = Some(more_specific(name.region, r));
    }
    if name.key.is_empty() {
        name.key.clone_from(&folded);
        name.core.clone_from(&folded);
        name.industry = None;
    }
    name.folded = folded;
    name
}

/// Regions at the start, most general first: 广东省深圳市南山区…, 上海浦东…, 中国…; and the
/// bytes they take.
fn leading_regions(s: &str) -> (Option<&'static Region>, usize) {
    let mut region: Option<&'static Region> = None;
    let mut at = 0;
    loop {
        let rest = &s[at..];
        if let Some(c) = COUNTRY
            .iter()
            .find(|c| rest.starts_with(*c) && char_len(rest) > char_len(c) + 1)
        {
            at += c.len();
            continue;
        }
        let parent = region.filter(|r| r.level != RegionLevel::County);
        match regions::match_region_prefix_within(rest, parent) {
            Some((r, n))
                if char_len(&rest[n..]) >= 2 && parent.is_none_or(|p| regions::within(r, p)) =>
            {
                region = Some(more_specific(region, r));
                at += n;
            }
            _ => return (region, at),
        }
    }
}

/// A branch suffix and the branch's region: …有限公司上海分公司, …有限公司北京海淀分公司.
fn take_branch(s: &str) -> Option<(&str, &'static str, Option<&'static Region>)> {
    let (before, branch) = BRANCH.strip(s, 2)?;
    // The branch's place sits between the company's legal form and the branch word.
    let legal_end = LEGAL_FORMS
        .iter()
        .filter_map(|l| before.rfind(l).map(|p| p + l.len()))
        .max();
    if let Some(end) = legal_end {
        let place = &before[end..];
        if place.is_empty() {
            return Some((before, branch, None));
        }
        let (address, leftover) = regions::split_address(place);
        if leftover.is_empty()
            && let Some(r) = address.most_specific()
        {
            return Some((&before[..end], branch, Some(r)));
        }
    }
    match regions::match_region_suffix(before).filter(|(_, st)| char_len(&before[..*st]) >= 2) {
        Some((r, start)) => Some((&before[..start], branch, Some(r))),
        None => Some((before, branch, None)),
    }
}

/// A region written after the core without brackets (字节跳动北京科技): not counties, whose
/// short names end too many ordinary words.
fn trailing_region(s: &str) -> Option<(&'static Region, usize)> {
    regions::match_region_suffix(s)
        .filter(|(r, st)| char_len(&s[..*st]) >= 2 && r.level != RegionLevel::County)
}

/// Splits what is left after the leading regions: branch, legal forms, trailing region,
/// industry words. Returns (core, industry, legal form, branch, regions found).
struct Tail {
    core: String,
    industry: Option<String>,
    legal_form: Option<String>,
    branch: Option<String>,
    branch_region: Option<&'static Region>,
    trailing_region: Option<&'static Region>,
}

fn parse_tail(s: &str) -> Tail {
    let mut rest = s;
    let mut branch = None;
    let mut branch_region = None;
    if let Some((before, b, r)) = take_branch(rest) {
        branch = Some(b.to_string());
        branch_region = r;
        rest = before;
    }
    let mut legal_form = None;
    // Down to nothing if need be: a name that is only region and legal form falls back to
    // the whole folded name.
    while let Some((before, l)) = LEGAL.strip(rest, 0) {
        legal_form.get_or_insert_with(|| l.to_string());
        rest = before;
    }
    let mut trailing = None;
    if let Some((r, start)) = trailing_region(rest) {
        trailing = Some(r);
        rest = &rest[..start];
    }
    // Industry words, stacked: 网络 + 科技发展.
    let mut industry_start = rest.len();
    while let Some((before, _)) = INDUSTRY.strip(&rest[..industry_start], 2) {
        industry_start = before.len();
    }
    let mut core = &rest[..industry_start];
    let industry = &rest[industry_start..];
    // 字节跳动北京 + 科技.
    if !industry.is_empty()
        && let Some((r, start)) = trailing_region(core)
    {
        trailing = trailing.or(Some(r));
        core = &core[..start];
    }
    Tail {
        core: core.to_string(),
        industry: (!industry.is_empty()).then(|| industry.to_string()),
        legal_form,
        branch,
        branch_region,
        trailing_region: trailing,
    }
}

fn parse_chinese(s: &str) -> CompanyName {
    let (mut region, region_len) = leading_regions(s);
    let mut tail = parse_tail(&s[region_len..]);
    // Without its region the name may have no core left. 北京物流有限公司: only an industry
    // word, so 北京 is the core (and still the region). 北京有限公司, 上海分公司: nothing at all
    // (the key falls back to the folded name).
    let weak = char_len(&tail.core) < 2;
    if region_len > 0 && (weak || INDUSTRY.contains(&tail.core)) {
        let whole = parse_tail(s);
        let only_region =
            regions::match_region_prefix(&whole.core).is_some_and(|(_, n)| n == whole.core.len());
        if weak && only_region {
            tail.core.clear();
        } else {
            tail = whole;
        }
    }
    for r in [tail.trailing_region, tail.branch_region]
        .into_iter()
        .flatten()
    {
        region = Some(more_specific(region, r));
    }
    // A branch is where it is, whatever the head office's region.
    if let Some(r) = tail.branch_region {
        region = Some(r);
    }
    let key = format!(
        "{}{}",
        tail.core,
        tail.industry.as_deref().unwrap_or_default()
    );
    let key = if tail.core.is_empty() {
        String::new()
    } else {
        key
    };
    CompanyName {
        folded: String::new(),
        region,
        core: tail.core,
        industry: tail.industry,
        legal_form: tail.legal_form,
        branch: tail.branch,
        key,
    }
}

/// Tokens of an English name; single letters joined by dots are one word ("l.l.c." → "llc",
/// "s.a." → "sa").
fn english_tokens(s: &str) -> Vec<String> {
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
                _ => tokens.push(cur.clone()),
            }
            cur.clear();
            prev_single = single;
            sep = c;
        } else if c != ' ' {
            sep = c;
        }
    }
    tokens
}

/// A place in pinyin at the start of `tokens` ("shenyang", "xi an"): the region (if the
/// pinyin names one place) and how many tokens it takes.
fn leading_pinyin_region(tokens: &[String]) -> Option<(Option<&'static Region>, usize)> {
    [2, 1].into_iter().find_map(|n| {
        let joined: String = tokens.get(..n)?.concat();
        regions::is_region_pinyin(&joined).then(|| (regions::region_by_pinyin(&joined), n))
    })
}

fn parse_english(s: &str) -> CompanyName {
    let mut tokens = english_tokens(s);
    let mut legal: Vec<String> = Vec::new();
    let mut branch = None;
    let mut region = None;
    let mut branch_region = None;
    // From the end, in any order: legal forms, "branch", places, "china".
    while tokens.len() > 1 {
        let Some(last) = tokens.last().map(String::as_str) else {
            break;
        };
        if EN_LEGAL.contains(&last) {
            legal.extend(tokens.pop());
        } else if last == "branch" || last == "office" {
            branch = tokens.pop();
        } else if COUNTRY.contains(&last) {
            tokens.pop();
        } else if regions::is_region_pinyin(last) {
            let place = regions::region_by_pinyin(last);
            if branch.is_some() {
                branch_region = branch_region.or(place);
            } else {
                region = region.or(place);
            }
            tokens.pop();
        } else {
            break;
        }
    }
    while tokens.len() > 1
        && tokens
            .first()
            .is_some_and(|t| t == "the" || COUNTRY.contains(&t.as_str()))
    {
        tokens.remove(0);
    }
    let mut industry_start = tokens.len();
    while industry_start > 1 && EN_INDUSTRY.contains(&tokens[industry_start - 1].as_str()) {
        industry_start -= 1;
    }
    // A leading place ("shenyang xindi …"), unless nothing but industry words would be left.
    if let Some((place, n)) = leading_pinyin_region(&tokens)
        && industry_start > n
    {
        region = place.or(region);
        tokens.drain(..n);
        industry_start -= n;
    }
    if let Some(r) = branch_region {
        region = Some(r);
    }
    let industry = tokens.split_off(industry_start);
    let core = tokens.join(" ");
    legal.reverse();
    let legal_form = (!legal.is_empty()).then(|| legal.join(" "));
    let industry = (!industry.is_empty()).then(|| industry.join(" "));
    let key = match &industry {
        Some(i) if !core.is_empty() => format!("{core} {i}"),
        _ => core.clone(),
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

    fn region(s: &str) -> Option<&'static str> {
        parse_company_name(s).region.map(|r| r.name)
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
            "字节跳动科技有限公司（北京）",
            " 北京 字节跳动 科技 有限公司 ",
        ] {
            let n = parse_company_name(raw);
            assert_eq!(n.key, "字节跳动科技", "{raw}");
            assert_eq!(n.core, "字节跳动", "{raw}");
            assert_eq!(n.industry.as_deref(), Some("科技"), "{raw}");
            assert!(n.legal_form.is_some(), "{raw}");
        }
        for raw in [
            "北京字节跳动科技有限公司",
            "字节跳动（北京）科技有限公司",
            "字節跳動(北京)科技有限公司",
            "北京市字节跳动科技有限公司",
        ] {
            assert_eq!(region(raw), Some("北京市"), "{raw}");
        }
        assert_eq!(region("字节跳动科技有限公司"), None);
        let n = parse_company_name("北京字节跳动科技有限公司");
        assert_eq!(n.folded, "北京字节跳动科技有限公司");
        assert_eq!(n.legal_form.as_deref(), Some("有限公司"));
        assert_eq!(n.branch, None);
    }

    #[test]
    fn legal_forms_and_notes() {
        assert_eq!(key("星河科技有限责任公司（自然人独资）"), "星河科技");
        assert_eq!(key("星河科技有限公司(中外合资)"), "星河科技");
        assert_eq!(key("星河投资合伙企业（有限合伙）"), "星河投资");
        assert_eq!(key("星河投资有限合伙企业"), "星河投资");
        assert_eq!(key("中国平安保险（集团）股份有限公司"), "平安保险");
        assert_eq!(key("星河互联集团股份有限公司"), "星河互联");
        assert_eq!(key("张三五金店"), "张三五金");
        assert_eq!(key("李四个体工商户"), "李四");
        assert_eq!(key("星河律师事务所"), "星河律师");
        assert_eq!(
            parse_company_name("星河互联集团股份有限公司")
                .legal_form
                .as_deref(),
            Some("集团股份有限公司")
        );
        // A bracket that is neither region nor legal note stays in the name.
        assert_eq!(key("星河（创新）科技有限公司"), "星河创新科技");
    }

    #[test]
    fn industries_stack() {
        let n = parse_company_name("深圳市腾讯计算机系统有限公司");
        assert_eq!(n.region.map(|r| r.name), Some("深圳市"));
        assert_eq!(n.key, "腾讯计算机系统");
        assert_eq!(n.core, "腾讯");
        assert_eq!(n.industry.as_deref(), Some("计算机系统"));
        let n = parse_company_name("星河网络科技发展有限公司");
        assert_eq!(
            (n.core.as_str(), n.industry.as_deref()),
            ("星河", Some("网络科技发展"))
        );
        let n = parse_company_name("阿里巴巴网络技术有限公司");
        assert_eq!(n.key, "阿里巴巴网络技术");
        assert_eq!(n.core, "阿里巴巴");
        // Two characters of core always remain.
        let n = parse_company_name("科技网络有限公司");
        assert_eq!(n.core, "科技");
        assert_eq!(n.key, "科技网络");
        assert_eq!(key("华为技术有限公司"), "华为技术");
        assert_eq!(parse_company_name("华为技术有限公司").core, "华为");
    }

    #[test]
    fn nested_regions_and_branches() {
        let n = parse_company_name("广东省深圳市腾讯计算机系统有限公司");
        assert_eq!(n.region.map(|r| r.name), Some("深圳市"));
        assert_eq!(n.key, "腾讯计算机系统");
        let n = parse_company_name("星河互联集团有限公司上海分公司");
        assert_eq!(n.key, "星河互联");
        assert_eq!(n.region.map(|r| r.name), Some("上海市"));
        assert_eq!(n.branch.as_deref(), Some("分公司"));
        assert_eq!(key("星河互联集团有限公司"), "星河互联");
        let n = parse_company_name("星河互联科技有限公司北京海淀分公司");
        assert_eq!(n.key, "星河互联科技");
        assert_eq!(n.region.map(|r| r.name), Some("海淀区"));
        let n = parse_company_name("北京星河互联科技有限公司上海分公司");
        assert_eq!(
            n.region.map(|r| r.name),
            Some("上海市"),
            "the branch's place"
        );
        let n = parse_company_name("星河互联科技有限公司分公司");
        assert_eq!((n.key.as_str(), n.region), ("星河互联科技", None));
        let n = parse_company_name("上海浦东发展银行股份有限公司");
        assert_eq!(n.region.map(|r| r.name), Some("浦东新区"));
        let n = parse_company_name("浙江义乌星河小商品有限公司");
        assert_eq!(n.region.map(|r| r.name), Some("义乌市"));
        assert_eq!(n.key, "星河小商品");
        assert_eq!(region("义乌星河小商品有限公司"), Some("义乌市"));
        // Brands that begin like a place keep their name.
        assert_eq!(key("大理石材有限公司"), "大理石材");
        assert_eq!(key("东方希望集团有限公司"), "东方希望");
        assert_eq!(region("东方希望集团有限公司"), None);
        assert_eq!(key("永和豆浆餐饮管理有限公司"), "永和豆浆餐饮管理");
    }

    #[test]
    fn english_names() {
        let n = parse_company_name("Shenyang Xindi Software Co., Ltd.");
        assert_eq!(n.key, "xindi software");
        assert_eq!(n.core, "xindi");
        assert_eq!(n.industry.as_deref(), Some("software"));
        assert_eq!(n.region.map(|r| r.name), Some("沈阳市"));
        assert_eq!(n.legal_form.as_deref(), Some("co ltd"));
        assert_eq!(key("ByteDance Ltd."), "bytedance");
        assert_eq!(key("ByteDance Ltd"), "bytedance");
        assert_eq!(
            key("Beijing ByteDance Technology Co., Ltd."),
            "bytedance technology"
        );
        assert_eq!(key("Xindi Software (Shenyang) Co., Ltd."), "xindi software");
        assert_eq!(
            region("Xindi Software (Shenyang) Co., Ltd."),
            Some("沈阳市")
        );
        assert_eq!(key("Acme Trading L.L.C."), "acme trading");
        assert_eq!(key("Acme S.A."), "acme");
        assert_eq!(key("Acme Pte. Ltd."), "acme");
        assert_eq!(key("Acme Company Limited"), "acme");
        assert_eq!(key("The Acme Corporation"), "acme");
        assert_eq!(key("Acme GmbH"), "acme");
        assert_eq!(key("Xi'an Acme Co., Ltd."), "acme");
        assert_eq!(region("Xi'an Acme Co., Ltd."), Some("西安市"));
        let n = parse_company_name("Xindi Software Co., Ltd. Shanghai Branch");
        assert_eq!(n.key, "xindi software");
        assert_eq!(n.branch.as_deref(), Some("branch"));
        assert_eq!(n.region.map(|r| r.name), Some("上海市"));
        // A place name that is all there is stays the name.
        assert_eq!(key("Dali Trading Co., Ltd."), "dali trading");
        assert_eq!(key("ＡＢＣ 贸易有限公司"), "abc贸易");
    }

    #[test]
    fn never_empty() {
        assert_eq!(key("北京有限公司"), "北京有限公司");
        assert_eq!(key("有限公司"), "有限公司");
        assert_eq!(key("Ltd."), "ltd");
        assert_eq!(key("科技"), "科技");
        assert_eq!(key(""), "");
        assert_eq!(key("（）"), "");
        let n = parse_company_name("北京物流有限公司");
        assert_eq!(n.key, "北京物流");
        assert_eq!(n.region.map(|r| r.name), Some("北京市"));
        assert_eq!(key("北京科技有限公司"), "北京科技");
        assert_eq!(key("上海分公司"), "上海分公司");
    }
}
