//! China's administrative divisions (GB/T 2260: provinces, prefecture-level cities, counties)
//! from `data/divisions.tsv`, with the short forms people write (北京 for 北京市, 广西 for 广西壮族
//! 自治区) and the pinyin of provinces and cities (for English names: "Shenyang …").
//!
//! Which short forms count where:
//! - Full names (北京市, 海淀区, 义乌市, 长兴县) count anywhere, except the generic 城区, 矿区,
//!   郊区, which need their city before them.
//! - Short names of provinces and prefecture-level cities (北京, 深圳, 延边) count anywhere,
//!   except [`AMBIGUOUS_SHORT`] (阿里, 三明, 朝阳…), which are more often words or brands.
//! - Short names of county-level cities (义乌, 昆山, 江阴) count anywhere when only one county
//!   has them and they are not in [`AMBIGUOUS_COUNTY_CITY`] (东方, 永安, 合作…): companies
//!   there write them bare.
//! - Short names of districts, counties and banners (通州, 浦东, 长兴) count only right after
//!   their city or province (北京通州, 上海浦东, 浙江长兴). Company-name rules require a
//!   district to follow its city, and the county names are full of everyday words and brands
//!   (兴隆, 永和, 方正, 公安, 互助, 共和…).
//! - [`BLOCKERS`]: words that start with a place name but are not one (大理石, 德州仪器).

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionLevel {
    Province,
    City,
    County,
}

/// A division of the table. Only the table makes them, so every `Region` has a known code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Region {
    /// Six-digit GB/T 2260 code.
    pub code: &'static str,
    /// Full name, e.g. 北京市.
    pub name: &'static str,
    /// The name as usually written in a company name, e.g. 北京.
    pub short: &'static str,
    pub level: RegionLevel,
}

/// Short forms of provinces and cities that are far more often a word or a brand than the
/// place: 阿里(巴巴), 三明(治), 普洱(茶), 安康, 白银, 红河, 吉安, 朝阳 (also Beijing's 朝阳区), 兴安,
/// 海西. Their full names (阿里地区, 三明市…) still count.
pub const AMBIGUOUS_SHORT: &[&str] = &[
    "阿里", "三明", "普洱", "安康", "白银", "红河", "吉安", "朝阳", "兴安", "海西",
];

/// Short forms of county-level cities that read as words or brands first: not taken bare.
pub const AMBIGUOUS_COUNTY_CITY: &[&str] = &[
    "新乐",
    "安国",
    "三河",
    "孝义",
    "新民",
    "北镇",
    "开原",
    "兴城",
    "磐石",
    "集安",
    "临江",
    "龙井",
    "和龙",
    "海伦",
    "安达",
    "富锦",
    "宁安",
    "北安",
    "明光",
    "永安",
    "江山",
    "临海",
    "玉环",
    "龙泉",
    "无为",
    "共青城",
    "庐山",
    "井冈山",
    "乐平",
    "高安",
    "龙口",
    "海阳",
    "长垣",
    "义马",
    "灵宝",
    "大冶",
    "宜都",
    "宜城",
    "京山",
    "应城",
    "四会",
    "阳春",
    "普宁",
    "东方",
    "文昌",
    "万宁",
    "五指山",
    "华蓥",
    "万源",
    "赤水",
    "弥勒",
    "合作",
    "同仁",
    "香格里拉",
    "峨眉山",
    "敦煌",
    "福安",
    "德兴",
    "兴仁",
    "福泉",
    "安宁",
    "水富",
    "开远",
    "瑞丽",
    "玉门",
    "博乐",
    "东阳",
    "永康",
    "樟树",
    "东兴",
    "津市",
    "武夷山",
    "新星",
    "双河",
    "昆玉",
    "胡杨河",
    "铁门关",
];

/// Words that begin with a place name without naming the place.
pub const BLOCKERS: &[&str] = &[
    "大理石",
    "德州仪器",
    "三明治",
    "阿里巴巴",
    "长春藤",
    "中山装",
    "普洱茶",
];

const ETHNIC: &[&str] = &[
    "蒙古",
    "维吾尔",
    "朝鲜",
    "土家",
    "哈尼",
    "哈萨克",
    "傈僳",
    "柯尔克孜",
    "达斡尔",
    "仫佬",
    "布依",
    "东乡",
    "纳西",
    "景颇",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
    "回",
    "藏",
    "苗",
    "彝",
    "壮",
    "满",
    "侗",
    "瑶",
    "白",
    "傣",
    "黎",
    "佤",
    "畲",
    "拉祜",
    "水",
    "土",
    "羌",
    "布朗",
    "怒",
    "京",
    "高山",
    "汉",
];

const PROVINCE_SUFFIXES: &[&str] = &["特别行政区", "自治区", "省", "市"];
const CITY_SUFFIXES: &[&str] = &["自治州", "地区", "盟", "市"];
const COUNTY_SUFFIXES: &[&str] = &[
    "自治县",
    "自治旗",
    "新区",
    "林区",
    "特区",
    "区",
    "县",
    "市",
    "旗",
];

/// Rows of the data file that are placeholders, not places.
const PLACEHOLDERS: &[&str] = &["市辖区", "县"];

/// Full names that are everyday words: only after their city.
const GENERIC_FULL: &[&str] = &["城区", "矿区", "郊区"];

/// Names in English that pinyin does not give.
const PINYIN_ALIASES: &[(&str, &str)] = &[
    ("hongkong", "810000"),
    ("macau", "820000"),
    ("macao", "820000"),
];

/// Every reading of a short place name in pinyin (重庆: chongqing and zhongqing; 厦门: xiamen
/// and shamen), so that an English name spelt with the right one is recognized.
fn pinyin_readings(s: &str) -> Vec<String> {
    use pinyin::ToPinyinMulti;
    let mut readings = vec![String::new()];
    for c in s.chars() {
        let options: Vec<&str> = match c.to_pinyin_multi() {
            Some(m) => {
                let mut o: Vec<&str> = m.into_iter().map(pinyin::Pinyin::plain).collect();
                o.dedup();
                o
            }
            None => return Vec::new(),
        };
        readings = readings
            .iter()
            .flat_map(|r| options.iter().map(move |o| format!("{r}{o}")))
            .take(16)
            .collect();
    }
    // The first reading of every character first; drop repeats, keeping that order.
    let mut seen = std::collections::HashSet::new();
    readings.retain(|r| seen.insert(r.clone()));
    readings
}

fn short_name(name: &'static str, level: RegionLevel) -> &'static str {
    let suffixes = match level {
        RegionLevel::Province => PROVINCE_SUFFIXES,
        RegionLevel::City => CITY_SUFFIXES,
        RegionLevel::County => COUNTY_SUFFIXES,
    };
    let mut short = suffixes
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    // Autonomous regions carry the ethnic group: 广西壮族 → 广西, 新疆维吾尔 → 新疆, 延边朝鲜族 →
    // 延边; but 内蒙古 and 西藏 keep their two characters.
    if name.contains("自治") {
        let cut = ETHNIC
            .iter()
            .filter_map(|e| {
                short.char_indices().skip(1).map(|(p, _)| p).find(|&p| {
                    let after = &short[p..];
                    after.starts_with(e)
                        && (after[e.len()..].starts_with('族') || after.len() == e.len())
                })
            })
            .min();
        if let Some(p) = cut.filter(|&p| short[..p].chars().count() >= 2) {
            short = &short[..p];
        }
    }
    if short.chars().count() >= 2 {
        short
    } else {
        name
    }
}

/// One name in the index, with the regions that bear it (most important first).
struct Entry {
    name: &'static str,
    ids: Vec<usize>,
    /// Counts anywhere (else only within a parent region).
    anywhere: bool,
}

struct Table {
    regions: Vec<Region>,
    by_code: HashMap<&'static str, usize>,
    /// Every name by its first character, longest first, at equal length names that count
    /// anywhere first: a prefix match is one hash lookup and a few comparisons.
    by_first: HashMap<char, Vec<Entry>>,
    /// Names that count anywhere, by their last character, longest first.
    by_last: HashMap<char, Vec<(&'static str, usize)>>,
    by_pinyin: HashMap<String, Vec<usize>>,
}

fn level_of(code: &str) -> RegionLevel {
    if code.ends_with("0000") {
        RegionLevel::Province
    } else if code.ends_with("00") {
        RegionLevel::City
    } else {
        RegionLevel::County
    }
}

fn load_regions() -> Vec<Region> {
    include_str!("../../data/divisions.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(code, name)| (code.trim(), name.trim()))
        .filter(|(code, name)| {
            code.len() == 6
                && code.bytes().all(|b| b.is_ascii_digit())
                && !PLACEHOLDERS.contains(name)
                && !name.contains("直辖")
        })
        .map(|(code, name)| {
            let level = level_of(code);
            Region {
                code,
                name,
                short: short_name(name, level),
                level,
            }
        })
        .collect()
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let regions = load_regions();
    let mut county_short_count: HashMap<&str, usize> = HashMap::new();
    for r in regions.iter().filter(|r| r.level == RegionLevel::County) {
        *county_short_count.entry(r.short).or_default() += 1;
    }
    // Names that count anywhere: full names, short names of provinces and cities, unique
    // short names of county-level cities. And names that count only within a parent region:
    // short names of counties, generic full names.
    let mut anywhere: HashMap<&'static str, Vec<usize>> = HashMap::new();
    let mut within_parent: HashMap<&'static str, Vec<usize>> = HashMap::new();
    let mut by_pinyin: HashMap<String, Vec<usize>> = HashMap::new();
    let mut alternative_pinyin: Vec<(String, usize)> = Vec::new();
    let mut by_code = HashMap::new();
    for (i, r) in regions.iter().enumerate() {
        by_code.insert(r.code, i);
        if GENERIC_FULL.contains(&r.name) {
            within_parent.entry(r.name).or_default().push(i);
        } else {
            anywhere.entry(r.name).or_default().push(i);
        }
        if r.short == r.name {
            continue;
        }
        match r.level {
            RegionLevel::County => {
                let county_city = r.name.ends_with('市')
                    && county_short_count.get(r.short) == Some(&1)
                    && !AMBIGUOUS_COUNTY_CITY.contains(&r.short);
                if county_city {
                    anywhere.entry(r.short).or_default().push(i);
                } else {
                    within_parent.entry(r.short).or_default().push(i);
                }
            }
            _ if AMBIGUOUS_SHORT.contains(&r.short) => {}
            _ => {
                anywhere.entry(r.short).or_default().push(i);
                let readings = pinyin_readings(r.short);
                if let Some(first) = readings.first() {
                    by_pinyin.entry(first.clone()).or_default().push(i);
                }
                alternative_pinyin.extend(readings.into_iter().skip(1).map(|py| (py, i)));
            }
        }
    }
    // Other readings of a heteronym (重庆 chongqing) count only where they are not some other
    // place's usual reading (信阳 is never "shenyang").
    for (py, i) in alternative_pinyin {
        if !by_pinyin.contains_key(&py) {
            by_pinyin.entry(py).or_default().push(i);
        }
    }
    for &(alias, code) in PINYIN_ALIASES {
        if let Some(&i) = by_code.get(code) {
            by_pinyin.entry(alias.to_string()).or_default().push(i);
        }
    }
    // Most important first: a province over a city of the same short name (吉林), a city over a
    // county (a county-level city's short name never shadows a city's: 朝阳).
    let rank = |ids: &mut Vec<usize>| {
        ids.sort_by_key(|&i| (regions[i].level, regions[i].code));
        ids.dedup();
    };
    by_pinyin.values_mut().for_each(rank);
    let mut by_first: HashMap<char, Vec<Entry>> = HashMap::new();
    let mut by_last: HashMap<char, Vec<(&'static str, usize)>> = HashMap::new();
    for (map, is_anywhere) in [(anywhere, true), (within_parent, false)] {
        for (name, mut ids) in map {
            rank(&mut ids);
            let (Some(first), Some(last)) = (name.chars().next(), name.chars().next_back()) else {
                continue;
            };
            if is_anywhere {
                by_last.entry(last).or_default().push((name, ids[0]));
            }
            by_first.entry(first).or_default().push(Entry {
                name,
                ids,
                anywhere: is_anywhere,
            });
        }
    }
    for v in by_first.values_mut() {
        v.sort_by_key(|e| (std::cmp::Reverse(e.name.len()), !e.anywhere, e.name));
    }
    for v in by_last.values_mut() {
        v.sort_by_key(|&(name, _)| (std::cmp::Reverse(name.len()), name));
    }
    Table {
        regions,
        by_code,
        by_first,
        by_last,
        by_pinyin,
    }
});

fn region(i: usize) -> &'static Region {
    &TABLE.regions[i]
}

/// The division with this six-digit code.
pub fn region_by_code(code: &str) -> Option<&'static Region> {
    TABLE.by_code.get(code).map(|&i| region(i))
}

/// Every division in the table, in code order.
pub fn all_regions() -> &'static [Region] {
    &TABLE.regions
}

/// Province or city whose short name's pinyin (no tones, no spaces) is `pinyin`, e.g.
/// "shenyang". `None` when unknown or ambiguous (suzhou: 苏州 or 宿州).
pub fn region_by_pinyin(pinyin: &str) -> Option<&'static Region> {
    match TABLE.by_pinyin.get(pinyin).map(Vec::as_slice) {
        Some([i]) => Some(region(*i)),
        _ => None,
    }
}

/// Is `pinyin` the pinyin of some province or city (even an ambiguous one)?
pub fn is_region_pinyin(pinyin: &str) -> bool {
    TABLE.by_pinyin.contains_key(pinyin)
}

/// The table's own entry for `r` (regions are only made by the table, so it exists).
fn canonical(r: &Region) -> &'static Region {
    region_by_code(r.code).expect("every Region comes from the division table")
}

/// The province (or municipality, autonomous region, SAR) a region lies in; itself for a
/// province.
pub fn province_of(r: &Region) -> &'static Region {
    r.code
        .get(..2)
        .and_then(|p| region_by_code(&format!("{p}0000")))
        .unwrap_or_else(|| canonical(r))
}

/// The prefecture-level city of a region. The municipalities (北京, 上海, 天津, 重庆) are their
/// own city, and so are the county-level divisions a province governs directly (济源, 仙桃).
/// A province that is not a municipality has none.
pub fn city_of(r: &Region) -> Option<&'static Region> {
    match r.level {
        RegionLevel::City => Some(canonical(r)),
        RegionLevel::County => region_by_code(&format!("{}00", &r.code[..4]))
            .or_else(|| municipality(r))
            .or_else(|| Some(canonical(r))),
        RegionLevel::Province => municipality(r),
    }
}

fn municipality(r: &Region) -> Option<&'static Region> {
    matches!(&r.code[..2], "11" | "12" | "31" | "50").then(|| province_of(r))
}

/// Does `inner` lie within `outer` (or is it the same)?
pub fn within(inner: &Region, outer: &Region) -> bool {
    let prefix = match outer.level {
        RegionLevel::Province => &outer.code[..2],
        RegionLevel::City => &outer.code[..4],
        RegionLevel::County => outer.code,
    };
    inner.code.starts_with(prefix)
}

/// The longest region name at the start of `s` (an already folded string), and the bytes it
/// takes. Names that count only after their city (see the module doc) count when within
/// `parent`; with a parent, a name that several places share picks the one within it.
pub fn match_region_prefix_within(
    s: &str,
    parent: Option<&Region>,
) -> Option<(&'static Region, usize)> {
    let entries = TABLE.by_first.get(&s.chars().next()?)?;
    for e in entries.iter().filter(|e| s.starts_with(e.name)) {
        let found = if e.anywhere {
            e.ids
                .iter()
                .map(|&i| region(i))
                .find(|r| parent.is_none_or(|p| within(r, p)))
                .or_else(|| parent.is_none().then(|| region(e.ids[0])))
        } else {
            parent.and_then(|p| e.ids.iter().map(|&i| region(i)).find(|r| within(r, p)))
        };
        if let Some(r) = found {
            // 大理石 is marble, not a stone from Dali.
            if BLOCKERS
                .iter()
                .any(|b| b.len() > e.name.len() && s.starts_with(b))
            {
                return None;
            }
            return Some((r, e.name.len()));
        }
    }
    None
}

/// The longest region name at the start of `s` (already folded).
pub fn match_region_prefix(s: &str) -> Option<(&'static Region, usize)> {
    match_region_prefix_within(s, None)
}

/// The longest region name at the end of `s` (already folded), and the byte where it starts.
pub fn match_region_suffix(s: &str) -> Option<(&'static Region, usize)> {
    TABLE
        .by_last
        .get(&s.chars().next_back()?)?
        .iter()
        .find(|(name, _)| s.ends_with(name))
        .map(|&(name, i)| (region(i), s.len() - name.len()))
}

/// The first region named anywhere in `s` (already folded).
pub fn find_region(s: &str) -> Option<&'static Region> {
    s.char_indices()
        .find_map(|(i, _)| match_region_prefix(&s[i..]).map(|(r, _)| r))
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressRegion {
    pub province: Option<&'static Region>,
    pub city: Option<&'static Region>,
    pub county: Option<&'static Region>,
}

impl AddressRegion {
    /// The most specific level found.
    pub fn most_specific(&self) -> Option<&'static Region> {
        self.county.or(self.city).or(self.province)
    }
}

/// Province, city and county of an address (already folded: "广东省深圳市南山区科技园",
/// "深圳南山区…"), each consistent with the one before; missing upper levels are inferred from
/// lower ones.
pub fn parse_address(s: &str) -> AddressRegion {
    split_address(s).0
}

/// [`parse_address`], and what is left of `s` once the region names are taken out (the
/// street part: 科技园南区12栋).
pub fn split_address(s: &str) -> (AddressRegion, String) {
    split_address_in(s, None)
}

/// [`split_address`] for an address known to lie in `context` (from the phone's area code, a
/// city field, the company name): a district name that several cities share (江北区: 重庆 or
/// 宁波) is then read as the one in that place.
pub fn split_address_in(s: &str, context: Option<&'static Region>) -> (AddressRegion, String) {
    let mut a = AddressRegion::default();
    if let Some(c) = context {
        match c.level {
            RegionLevel::Province => a.province = Some(c),
            RegionLevel::City => {
                a.city = Some(c);
                a.province = Some(province_of(c));
            }
            RegionLevel::County => {
                a.city = city_of(c);
                a.province = Some(province_of(c));
            }
        }
    }
    let mut rest = String::new();
    let mut i = 0;
    while i < s.len() {
        let tail = &s[i..];
        let parent = a.city.or(a.province);
        let found = if a.county.is_some() {
            None
        } else {
            match_region_prefix_within(tail, parent).filter(|(r, _)| match r.level {
                RegionLevel::Province => a.province.is_none() && a.city.is_none(),
                RegionLevel::City => a.city.is_none() && a.province.is_none_or(|p| within(r, p)),
                RegionLevel::County => parent.is_none_or(|p| within(r, p)),
            })
        };
        match found {
            Some((r, len)) => {
                match r.level {
                    RegionLevel::Province => a.province = Some(r),
                    RegionLevel::City => a.city = Some(r),
                    RegionLevel::County => a.county = Some(r),
                }
                i += len;
            }
            None => {
                let n = tail.chars().next().map_or(1, char::len_utf8);
                rest.push_str(&tail[..n]);
                i += n;
            }
        }
    }
    if a.city.is_none() {
        a.city = a
            .county
            .and_then(city_of)
            .or_else(|| a.province.and_then(city_of));
    }
    if a.province.is_none() {
        a.province = a.city.or(a.county).map(province_of);
    }
    (a, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(a: &AddressRegion) -> (Option<&str>, Option<&str>, Option<&str>) {
        (
            a.province.map(|r| r.name),
            a.city.map(|r| r.name),
            a.county.map(|r| r.name),
        )
    }

    #[test]
    fn table_loads_without_placeholders() {
        let all = all_regions();
        assert!(all.len() > 3000, "{}", all.len());
        assert!(
            all.iter()
                .all(|r| !PLACEHOLDERS.contains(&r.name) && !r.name.contains("直辖"))
        );
        assert_eq!(region_by_code("110000").map(|r| r.name), Some("北京市"));
        assert_eq!(region_by_code("110100"), None, "市辖区 is a placeholder");
        assert_eq!(region_by_code("999999"), None);
    }

    #[test]
    fn short_names() {
        let name = |code| region_by_code(code).unwrap().short;
        assert_eq!(name("110000"), "北京");
        assert_eq!(name("450000"), "广西");
        assert_eq!(name("150000"), "内蒙古");
        assert_eq!(name("540000"), "西藏");
        assert_eq!(name("650000"), "新疆");
        assert_eq!(name("810000"), "香港");
        assert_eq!(name("440300"), "深圳");
        assert_eq!(name("222400"), "延边");
        assert_eq!(name("110108"), "海淀");
        assert_eq!(name("310115"), "浦东");
        assert_eq!(name("130426"), "涉县", "one character left: the full name");
    }

    #[test]
    fn prefixes() {
        let p = |s| match_region_prefix(s).map(|(r, n)| (r.name, &s[..n]));
        assert_eq!(p("北京字节跳动"), Some(("北京市", "北京")));
        assert_eq!(p("北京市字节跳动"), Some(("北京市", "北京市")));
        assert_eq!(p("广东省深圳市"), Some(("广东省", "广东省")));
        assert_eq!(
            p("广西壮族自治区南宁"),
            Some(("广西壮族自治区", "广西壮族自治区"))
        );
        assert_eq!(p("广西南宁"), Some(("广西壮族自治区", "广西")));
        assert_eq!(p("吉林化纤"), Some(("吉林省", "吉林")));
        assert_eq!(p("义乌小商品"), Some(("义乌市", "义乌")));
        assert_eq!(p("昆山精密"), Some(("昆山市", "昆山")));
        assert_eq!(p("长兴县电子"), Some(("长兴县", "长兴县")));
        assert_eq!(p("海淀区中关村"), Some(("海淀区", "海淀区")));
        // Words, brands and district or county short names alone are not places.
        for s in [
            "阿里巴巴",
            "字节跳动",
            "大理石材",
            "德州仪器",
            "三明治",
            "东方希望",
            "永和豆浆",
            "方正集团",
            "兴隆商贸",
            "长兴电子",
            "通州建材",
            "海淀科技",
            "城区改造",
            "",
        ] {
            assert_eq!(p(s), None, "{s}");
        }
        assert_eq!(p("大理旅游"), Some(("大理白族自治州", "大理")));
        let shanghai = region_by_code("310000").unwrap();
        assert_eq!(
            match_region_prefix_within("浦东发展", Some(shanghai)).map(|(r, _)| r.name),
            Some("浦东新区")
        );
        let beijing = region_by_code("110000").unwrap();
        assert_eq!(
            match_region_prefix_within("通州建材", Some(beijing)).map(|(r, _)| r.code),
            Some("110112")
        );
        let nantong = region_by_code("320600").unwrap();
        assert_eq!(
            match_region_prefix_within("通州建材", Some(nantong)).map(|(r, _)| r.code),
            Some("320612")
        );
        let zhejiang = region_by_code("330000").unwrap();
        assert_eq!(
            match_region_prefix_within("长兴电子", Some(zhejiang)).map(|(r, _)| r.name),
            Some("长兴县")
        );
        // A full name several places share picks the one within the parent.
        let changchun = region_by_code("220100").unwrap();
        assert_eq!(
            match_region_prefix_within("朝阳区", Some(changchun)).map(|(r, _)| r.code),
            Some("220104")
        );
        assert_eq!(
            match_region_prefix("朝阳区").map(|(r, _)| r.code),
            Some("110105")
        );
    }

    #[test]
    fn suffixes_and_anywhere() {
        let s = "星河互联上海";
        assert_eq!(
            match_region_suffix(s).map(|(r, st)| (r.name, &s[st..])),
            Some(("上海市", "上海"))
        );
        assert_eq!(
            match_region_suffix("上海").map(|(r, st)| (r.code, st)),
            Some(("310000", 0))
        );
        assert_eq!(match_region_suffix("字节跳动"), None);
        assert_eq!(
            find_region("地址在深圳南山").map(|r| r.name),
            Some("深圳市")
        );
        assert_eq!(find_region("无"), None);
        assert_eq!(find_region(""), None);
    }

    #[test]
    fn hierarchy() {
        let r = |code| region_by_code(code).unwrap();
        assert_eq!(province_of(r("440305")).name, "广东省");
        assert_eq!(province_of(r("440000")).name, "广东省");
        assert_eq!(city_of(r("440305")).map(|c| c.name), Some("深圳市"));
        assert_eq!(city_of(r("440300")).map(|c| c.name), Some("深圳市"));
        assert_eq!(city_of(r("440000")), None);
        assert_eq!(city_of(r("110000")).map(|c| c.name), Some("北京市"));
        assert_eq!(city_of(r("110108")).map(|c| c.name), Some("北京市"));
        assert_eq!(city_of(r("500101")).map(|c| c.name), Some("重庆市"));
        assert_eq!(city_of(r("429004")).map(|c| c.name), Some("仙桃市"));
        assert!(within(r("440305"), r("440000")));
        assert!(within(r("440305"), r("440300")));
        assert!(!within(r("440305"), r("110000")));
    }

    #[test]
    fn addresses() {
        let a = parse_address("广东省深圳市南山区科技园南区12栋");
        assert_eq!(names(&a), (Some("广东省"), Some("深圳市"), Some("南山区")));
        let a = parse_address("深圳南山区科技园");
        assert_eq!(a.province.map(|r| r.name), Some("广东省"));
        assert_eq!(a.county.map(|r| r.code), Some("440305"));
        let a = parse_address("北京市海淀区中关村大街27号");
        assert_eq!(a.city.map(|r| r.code), Some("110000"));
        assert_eq!(a.county.map(|r| r.code), Some("110108"));
        let a = parse_address("上海市浦东新区张江路88号");
        assert_eq!(a.county.map(|r| r.name), Some("浦东新区"));
        let a = parse_address("北京通州梨园");
        assert_eq!(a.county.map(|r| r.code), Some("110112"));
        let a = parse_address("浙江义乌福田街道");
        assert_eq!(names(&a), (Some("浙江省"), Some("金华市"), Some("义乌市")));
        let a = parse_address("山西省阳泉市城区北大街");
        assert_eq!(a.county.map(|r| r.name), Some("城区"));
        let a = parse_address("广东省");
        assert_eq!(names(&a), (Some("广东省"), None, None));
        assert_eq!(a.most_specific().map(|r| r.name), Some("广东省"));
        assert_eq!(parse_address("某某路1号"), AddressRegion::default());
        let (a, rest) = split_address("广东省深圳市南山区科技园南区12栋");
        assert_eq!(a.county.map(|r| r.name), Some("南山区"));
        assert_eq!(rest, "科技园南区12栋");
        assert_eq!(split_address("南山区科技园").1, "科技园");
    }

    #[test]
    fn pinyin() {
        assert_eq!(region_by_pinyin("shenyang").map(|r| r.name), Some("沈阳市"));
        assert_eq!(region_by_pinyin("beijing").map(|r| r.name), Some("北京市"));
        assert_eq!(region_by_pinyin("xian").map(|r| r.name), Some("西安市"));
        assert_eq!(
            region_by_pinyin("chongqing").map(|r| r.name),
            Some("重庆市")
        );
        assert_eq!(region_by_pinyin("xiamen").map(|r| r.name), Some("厦门市"));
        assert_eq!(
            region_by_pinyin("hongkong").map(|r| r.name),
            Some("香港特别行政区")
        );
        assert_eq!(region_by_pinyin("suzhou"), None, "苏州 or 宿州");
        assert!(is_region_pinyin("suzhou"));
        assert!(!is_region_pinyin("bytedance"));
    }
}
