//! Company names split into their parts: region (北京, 广东省深圳市, （北京）, 上海分公司, 萧山宁围镇),
//! brand core (字号), industry words and legal form — so that 北京字节跳动科技有限公司,
//! 字节跳动（北京）科技有限公司 and 字節跳動科技有限公司 share the key 字节跳动科技, and
//! "Shenyang Xindi Software Co., Ltd." the key "xindi software".
//!
//! Industry words are whole words (jieba's) taken from the end of what is left once the legal
//! form is gone, repeatedly (工程 + 管理, 液压 + 机械), as long as at least two characters of
//! core remain; [`super::industry`] says which words name a trade. The brand is what remains: it
//! is never looked up in a list, so a brand nobody has seen before splits like a famous one.
//!
//! The name as typed without its leading region is kept too ([`CompanyName::tail`]): a rep who
//! types the start of a name (同建, 苏州同建, 同建工程) is looking for the companies whose tail
//! begins with it.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::industry;
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
    /// The name from its brand on, as written (folded; bracketed regions and legal-form notes
    /// taken out): 同建工程管理有限公司 for 苏州同建工程管理有限公司, "xindi software co ltd".
    pub tail: String,
    /// No brand of its own: the name is a place and a trade (鱼台县建筑安装公司, 北京物流有限公司)
    /// or a trade alone (建筑安装公司).
    pub generic: bool,
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
    "股份",
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

/// Characters after an opening bracket with no closing one that are taken for a note being
/// typed (and dropped) rather than for a name with a stray bracket.
const UNCLOSED_NOTE_CHARS: usize = 6;

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
            // A bracket still being typed (上海复星医药（集): what is in it so far says nothing.
            if char_len(&text::fold_simplified(after)) <= UNCLOSED_NOTE_CHARS {
                out.push_str(&rest[..open]);
                return (out, region);
            }
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

/// Is `folded` nothing but a place (北京, 中国, 苏州市工业园区)? Typed alone, it names no company.
pub fn is_place(folded: &str) -> bool {
    if COUNTRY.contains(&folded) {
        return true;
    }
    let mut at = 0;
    while at < folded.len() {
        let rest = &folded[at..];
        match COUNTRY
            .iter()
            .find(|c| rest.starts_with(*c))
            .map(|c| c.len())
            .or_else(|| regions::match_region_prefix(rest).map(|(_, n)| n))
        {
            Some(n) => at += n,
            None => return false,
        }
    }
    at > 0
}

/// Splits a company name (Chinese or English, any width or script) into region, core,
/// industry, legal form and branch, and derives its key. Never fails: an unusual name simply
/// keeps more of itself in the core.
pub fn parse_company_name(raw: &str) -> CompanyName {
    let simplified = text::simplify(raw);
    // A stock short name's share class: 京东方A, 万科A, 张裕B.
    let simplified = match simplified.strip_suffix(['a', 'b']) {
        Some(s) if s.chars().next_back().is_some_and(text::is_ideograph) => s.to_string(),
        _ => simplified,
    };
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
    if name.tail.is_empty() {
        name.tail.clone_from(&folded);
    }
    name.folded = folded;
    name
}

/// Regions at the start, most general first: 广东省深圳市南山区…, 上海浦东…, 中国…; and the
/// bytes they take.
fn leading_regions(s: &str) -> (Option<&'static Region>, usize) {
    let mut region: Option<&'static Region> = None;
    let mut at = 0;
    // Below a county (or a town) only towns, streets and zones follow: 张家港保税区华亭 is a
    // company in Zhangjiagang named 华亭, not a place in Gansu.
    let mut local = false;
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
        let found = (!local)
            .then(|| regions::match_region_prefix_within(rest, parent))
            .flatten();
        match found {
            Some((r, n))
                if char_len(&rest[n..]) >= 2 && parent.is_none_or(|p| regions::within(r, p)) =>
            {
                region = Some(more_specific(region, r));
                local = r.level == RegionLevel::County;
                at += n;
            }
            _ => {
                // Below the county: a town, street or development zone (萧山宁围镇, 成都高新区).
                if region.is_some()
                    && let Some(n) = local_place(rest)
                {
                    at += n;
                    local = true;
                    continue;
                }
                return (region, at);
            }
        }
    }
}

/// Places below the county that names put after their region, with how many characters
/// their own name takes before the word (宁围 + 镇, 净月潭旅游 + 经济开发区, + 高新区).
const LOCAL_PLACES: &[(&str, usize, usize)] = &[
    ("经济技术开发区", 0, 6),
    ("高新技术产业开发区", 0, 6),
    ("高新技术开发区", 0, 6),
    ("经济开发区", 0, 6),
    ("综合保税区", 0, 6),
    ("开发区", 0, 6),
    ("高新区", 0, 6),
    ("保税区", 0, 6),
    ("自贸区", 0, 6),
    ("工业园区", 0, 6),
    ("产业园区", 0, 6),
    ("工业园", 0, 6),
    ("工业区", 0, 6),
    ("产业园", 0, 6),
    ("园区", 2, 6),
    ("新区", 2, 4),
    ("街道", 2, 3),
    ("镇", 2, 3),
    ("乡", 2, 3),
];

/// A town, street or zone at the start of `s` (what follows a region), and the bytes it takes,
/// when at least two characters of name follow it.
fn local_place(s: &str) -> Option<usize> {
    let starts: Vec<usize> = s.char_indices().map(|(i, _)| i).take(8).collect();
    LOCAL_PLACES
        .iter()
        .flat_map(|&(word, min, max)| (min..=max).map(move |before| (word, before)))
        .filter_map(|(word, before)| {
            let at = *starts.get(before)?;
            let end = at + word.len();
            (s[at..].starts_with(word) && char_len(&s[end..]) >= 2).then_some(end)
        })
        .min()
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
    // Industry words, stacked: 工程 + 管理, 网络 + 科技 + 发展.
    let industry_start = industry::industry_start(rest, 2);
    let mut core = &rest[..industry_start];
    let industry = &rest[industry_start..];
    // A group's subsidiary names the group first: 徐工集团 + 工程机械, 煌上煌集团 + 食品.
    if !industry.is_empty()
        && let Some(group) = core.strip_suffix("集团").filter(|c| char_len(c) >= 2)
    {
        core = group;
    }
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
    // What a rep types without the region: 物流有限公司 (the tail keeps the region's cut even
    // when the key cannot).
    let mut tail_from = region_len;
    // No brand of its own: the core is an industry word, or the region stands in for it.
    let mut generic = industry::in_vocabulary(&tail.core);
    if region_len > 0 && (weak || generic) {
        let whole = parse_tail(s);
        let only_region =
            regions::match_region_prefix(&whole.core).is_some_and(|(_, n)| n == whole.core.len());
        if weak && only_region {
            tail.core.clear();
            tail_from = 0;
        } else {
            tail = whole;
            generic = true;
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
        tail: s[tail_from..].to_string(),
        generic,
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
    let all = tokens.clone();
    // Tokens taken off the front ("the", "china", a place): the tail starts after them.
    let mut lead = 0;
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
        lead += 1;
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
        lead += n;
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
        tail: all[lead.min(all.len())..].join(" "),
        generic: false,
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
