//! China's administrative divisions (GB/T 2260: provinces, prefecture-level cities, counties)
//! from `data/divisions.tsv`, with the short forms people write (北京 for 北京市, 广西 for 广西壮族
//! 自治区) and the pinyin of provinces and cities (for English names: "Shenyang …").

use std::collections::HashMap;
use std::sync::LazyLock;

use pinyin::ToPinyin;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionLevel {
    Province,
    City,
    County,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Six-digit GB/T 2260 code.
    pub code: &'static str,
    /// Full name, e.g. 北京市.
    pub name: &'static str,
    /// The name as usually written in a company name, e.g. 北京.
    pub short: &'static str,
    pub level: RegionLevel,
}

/// Short forms that are far more often a word or a brand than the place: 阿里(巴巴), 三明(治),
/// 普洱(茶), 安康, 白银, 红河. Their full names (阿里地区, 三明市…) still count.
const AMBIGUOUS_SHORT: &[&str] = &[
    "阿里",
    "三明",
    "普洱",
    "安康",
    "白银",
    "红河",
    "海南州",
    "吉安",
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
const PLACEHOLDERS: &[&str] = &[
    "市辖区",
    "县",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
    "省直辖县级行政单位",
];

fn short_name(name: &'static str, level: RegionLevel) -> &'static str {
    let suffixes = match level {
        RegionLevel::Province => PROVINCE_SUFFIXES,
        RegionLevel::City => CITY_SUFFIXES,
        RegionLevel::County => COUNTY_SUFFIXES,
    };
    let mut short = name;
    for s in suffixes {
        if let Some(rest) = name.strip_suffix(s) {
            short = rest;
            break;
        }
    }
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

struct Table {
    regions: Vec<Region>,
    by_code: HashMap<&'static str, usize>,
    /// Full names of every level, and short names of provinces and cities.
    by_name: HashMap<&'static str, Vec<usize>>,
    /// Short names of counties: only trusted right after their city ("上海浦东").
    county_short: HashMap<&'static str, Vec<usize>>,
    by_pinyin: HashMap<String, Vec<usize>>,
    max_chars: usize,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut regions = Vec::new();
    for line in include_str!("../../data/divisions.tsv").lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some((code, name)) = line.split_once('\t') else {
            continue;
        };
        if code.len() != 6 || PLACEHOLDERS.contains(&name) {
            continue;
        }
        let level = if code.ends_with("0000") {
            RegionLevel::Province
        } else if code.ends_with("00") {
            RegionLevel::City
        } else {
            RegionLevel::County
        };
        regions.push(Region {
            code,
            name,
            short: short_name(name, level),
            level,
        });
    }
    let mut t = Table {
        by_code: HashMap::new(),
        by_name: HashMap::new(),
        county_short: HashMap::new(),
        by_pinyin: HashMap::new(),
        max_chars: 0,
        regions: Vec::new(),
    };
    for (i, r) in regions.iter().enumerate() {
        t.by_code.insert(r.code, i);
        t.by_name.entry(r.name).or_default().push(i);
        t.max_chars = t.max_chars.max(r.name.chars().count());
        if r.short != r.name && !AMBIGUOUS_SHORT.contains(&r.short) {
            match r.level {
                RegionLevel::County => t.county_short.entry(r.short).or_default().push(i),
                _ => {
                    t.by_name.entry(r.short).or_default().push(i);
                    let py: String = r.short.to_pinyin().flatten().map(|p| p.plain()).collect();
                    if !py.is_empty() {
                        t.by_pinyin.entry(py).or_default().push(i);
                    }
                }
            }
        }
    }
    // Most important first: a province over a city of the same short name (吉林), a city over a
    // county (朝阳).
    for v in t
        .by_name
        .values_mut()
        .chain(t.county_short.values_mut())
        .chain(t.by_pinyin.values_mut())
    {
        v.sort_by_key(|&i| (regions[i].level, regions[i].code));
    }
    t.regions = regions;
    t
});

pub fn region_by_code(code: &str) -> Option<&'static Region> {
    TABLE.by_code.get(code).map(|&i| &TABLE.regions[i])
}

/// Province or city whose short name's pinyin (no tones, no spaces) is `pinyin`, e.g.
/// "shenyang". `None` when unknown or ambiguous (suzhou: 苏州 or 宿州).
pub fn region_by_pinyin(pinyin: &str) -> Option<&'static Region> {
    match TABLE.by_pinyin.get(pinyin).map(Vec::as_slice) {
        Some([i]) => Some(&TABLE.regions[*i]),
        _ => None,
    }
}

/// Is `pinyin` the pinyin of some province or city (even an ambiguous one)?
pub fn is_region_pinyin(pinyin: &str) -> bool {
    TABLE.by_pinyin.contains_key(pinyin)
}

pub fn province_of(r: &Region) -> &'static Region {
    region_by_code(&format!("{}0000", &r.code[..2])).unwrap_or_else(|| {
        // Every code's first two digits name a province in the data; fall back to itself.
        TABLE
            .by_code
            .get(r.code)
            .map(|&i| &TABLE.regions[i])
            .expect("region from the table")
    })
}

/// The prefecture-level city of a region; for the municipalities (北京, 上海, 天津, 重庆) the
/// municipality itself.
pub fn city_of(r: &Region) -> Option<&'static Region> {
    match r.level {
        RegionLevel::City => region_by_code(r.code),
        RegionLevel::County => {
            region_by_code(&format!("{}00", &r.code[..4])).or_else(|| municipality(r))
        }
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

fn char_ends(s: &str, max: usize) -> Vec<usize> {
    s.char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take(max)
        .collect()
}

/// The longest region name at the start of `s` (an already folded string), and the bytes it
/// takes. County short names count only within `parent`.
pub fn match_region_prefix_within(
    s: &str,
    parent: Option<&Region>,
) -> Option<(&'static Region, usize)> {
    let t = &*TABLE;
    for end in char_ends(s, t.max_chars).into_iter().rev() {
        let key = &s[..end];
        if let Some(ids) = t.by_name.get(key) {
            let pick = ids
                .iter()
                .map(|&i| &t.regions[i])
                .find(|r| parent.is_none_or(|p| within(r, p)))
                .or_else(|| parent.is_none().then(|| &t.regions[ids[0]]));
            if let Some(r) = pick {
                return Some((r, end));
            }
        }
        if let Some(p) = parent
            && let Some(ids) = t.county_short.get(key)
            && let Some(r) = ids.iter().map(|&i| &t.regions[i]).find(|r| within(r, p))
        {
            return Some((r, end));
        }
    }
    None
}

/// The longest region name at the start of `s`.
pub fn match_region_prefix(s: &str) -> Option<(&'static Region, usize)> {
    match_region_prefix_within(s, None)
}

/// The longest region name at the end of `s`, and the byte where it starts.
pub fn match_region_suffix(s: &str) -> Option<(&'static Region, usize)> {
    let t = &*TABLE;
    let starts: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
    let n = starts.len();
    for k in (2..=t.max_chars.min(n)).rev() {
        let start = starts[n - k];
        if let Some(ids) = t.by_name.get(&s[start..]) {
            return Some((&t.regions[ids[0]], start));
        }
    }
    None
}

/// The first region named anywhere in `s`.
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

/// Province, city and county of an address ("广东省深圳市南山区科技园", "深圳南山区…"), each
/// consistent with the one before; missing upper levels are inferred from lower ones.
pub fn parse_address(s: &str) -> AddressRegion {
    let mut a = AddressRegion::default();
    let mut i = 0;
    while i < s.len() {
        let rest = &s[i..];
        let parent = a.city.or(a.province);
        let found = match_region_prefix_within(rest, parent).filter(|(r, _)| match r.level {
            RegionLevel::Province => a.province.is_none() && a.city.is_none(),
            RegionLevel::City => a.city.is_none() && a.province.is_none_or(|p| within(r, p)),
            RegionLevel::County => a.county.is_none() && parent.is_none_or(|p| within(r, p)),
        });
        match found {
            Some((r, len)) => {
                match r.level {
                    RegionLevel::Province => a.province = Some(r),
                    RegionLevel::City => a.city = Some(r),
                    RegionLevel::County => a.county = Some(r),
                }
                i += len;
                if a.county.is_some() {
                    break;
                }
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
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
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        let name = |code| region_by_code(code).unwrap().short;
        assert_eq!(name("110000"), "北京");
        assert_eq!(name("450000"), "广西");
        assert_eq!(name("150000"), "内蒙古");
        assert_eq!(name("650000"), "新疆");
        assert_eq!(name("810000"), "香港");
        assert_eq!(name("440300"), "深圳");
        assert_eq!(name("222400"), "延边");
        assert_eq!(name("110108"), "海淀");
    }

    #[test]
    fn prefixes() {
        let p = |s| match_region_prefix(s).map(|(r, n)| (r.name, &s[..n]));
        assert_eq!(p("北京字节跳动"), Some(("北京市", "北京")));
        assert_eq!(p("北京市字节跳动"), Some(("北京市", "北京市")));
        assert_eq!(p("广东省深圳市"), Some(("广东省", "广东省")));
        assert_eq!(p("吉林化纤"), Some(("吉林省", "吉林")));
        assert_eq!(p("阿里巴巴"), None);
        assert_eq!(p("字节跳动"), None);
        let shanghai = region_by_code("310000").unwrap();
        assert_eq!(
            match_region_prefix_within("浦东发展", Some(shanghai)).map(|(r, _)| r.name),
            Some("浦东新区")
        );
        assert_eq!(match_region_prefix("浦东发展").map(|(r, _)| r.level), None);
    }

    #[test]
    fn addresses() {
        let a = parse_address("广东省深圳市南山区科技园南区12栋");
        assert_eq!(
            (
                a.province.map(|r| r.name),
                a.city.map(|r| r.name),
                a.county.map(|r| r.name)
            ),
            (Some("广东省"), Some("深圳市"), Some("南山区"))
        );
        let a = parse_address("深圳南山区科技园");
        assert_eq!(a.province.map(|r| r.name), Some("广东省"));
        assert_eq!(a.county.map(|r| r.code), Some("440305"));
        let a = parse_address("北京市海淀区中关村大街27号");
        assert_eq!(a.city.map(|r| r.code), Some("110000"));
        assert_eq!(a.county.map(|r| r.code), Some("110108"));
        let a = parse_address("上海市浦东新区张江路88号");
        assert_eq!(a.county.map(|r| r.name), Some("浦东新区"));
        assert_eq!(parse_address("某某路1号"), AddressRegion::default());
    }

    #[test]
    fn pinyin() {
        assert_eq!(region_by_pinyin("shenyang").map(|r| r.name), Some("沈阳市"));
        assert_eq!(region_by_pinyin("beijing").map(|r| r.name), Some("北京市"));
        assert_eq!(region_by_pinyin("suzhou"), None, "苏州 or 宿州");
        assert!(is_region_pinyin("suzhou"));
    }
}
