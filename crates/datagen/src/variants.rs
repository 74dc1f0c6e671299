//! How a second rep retypes a customer someone already entered: character tables for
//! Traditional forms and homophone typos, English transliterations, phone and date formats.

use std::collections::HashMap;
use std::sync::LazyLock;

use pinyin::ToPinyin;

/// Simplified → Traditional for the characters the generator uses (names, industries, cities).
const TRADITIONAL: &[(char, char)] = &[
    ('华', '華'),
    ('云', '雲'),
    ('远', '遠'),
    ('启', '啓'),
    ('韵', '韻'),
    ('蓝', '藍'),
    ('创', '創'),
    ('达', '達'),
    ('汇', '匯'),
    ('伟', '偉'),
    ('润', '潤'),
    ('丰', '豐'),
    ('腾', '騰'),
    ('飞', '飛'),
    ('凯', '凱'),
    ('锦', '錦'),
    ('悦', '悅'),
    ('兴', '興'),
    ('顺', '順'),
    ('亿', '億'),
    ('万', '萬'),
    ('讯', '訊'),
    ('联', '聯'),
    ('网', '網'),
    ('优', '優'),
    ('维', '維'),
    ('东', '東'),
    ('络', '絡'),
    ('术', '術'),
    ('软', '軟'),
    ('贸', '貿'),
    ('实', '實'),
    ('业', '業'),
    ('电', '電'),
    ('务', '務'),
    ('饮', '飲'),
    ('传', '傳'),
    ('筑', '築'),
    ('医', '醫'),
    ('疗', '療'),
    ('械', '械'),
    ('药', '藥'),
    ('机', '機'),
    ('广', '廣'),
    ('询', '詢'),
    ('应', '應'),
    ('链', '鏈'),
    ('责', '責'),
    ('团', '團'),
    ('苏', '蘇'),
    ('汉', '漢'),
    ('庆', '慶'),
    ('长', '長'),
    ('郑', '鄭'),
    ('宁', '寧'),
    ('岛', '島'),
    ('济', '濟'),
    ('阳', '陽'),
    ('连', '連'),
    ('区', '區'),
    ('号', '號'),
    ('门', '門'),
    ('马', '馬'),
    ('陈', '陳'),
    ('刘', '劉'),
    ('杨', '楊'),
    ('赵', '趙'),
    ('黄', '黃'),
    ('吴', '吳'),
    ('孙', '孫'),
    ('罗', '羅'),
    ('郭', '郭'),
    ('丽', '麗'),
    ('涛', '濤'),
    ('军', '軍'),
    ('强', '強'),
    ('静', '靜'),
    ('娜', '娜'),
    ('门', '門'),
    ('开', '開'),
];

pub fn traditional(s: &str) -> String {
    static MAP: LazyLock<HashMap<char, char>> =
        LazyLock::new(|| TRADITIONAL.iter().copied().collect());
    s.chars().map(|c| *MAP.get(&c).unwrap_or(&c)).collect()
}

/// Characters that sound alike (same pinyin without tones): the typos of pinyin input methods.
const HOMOPHONES: &[&str] = &[
    "星兴醒",
    "新欣心信鑫",
    "华化桦",
    "盛胜圣",
    "恒衡",
    "通同彤",
    "云芸运韵",
    "帆凡繁",
    "智志致至",
    "远源元园圆",
    "博波柏",
    "瑞锐睿",
    "启起琪奇齐",
    "明铭名鸣",
    "天添田",
    "达大",
    "汇惠会辉",
    "金津锦今",
    "泰太",
    "宏鸿红弘",
    "伟威维为",
    "嘉佳家加",
    "禾和合",
    "青清晴",
    "丰峰锋风枫",
    "腾藤",
    "飞菲非",
    "越悦跃岳",
    "凯恺铠",
    "力立利",
    "宇雨羽",
    "聚巨",
    "德得",
    "正政征",
    "中忠钟",
    "辰晨臣",
    "祥翔",
    "隆龙",
    "昌畅",
    "顺舜",
    "亿易益艺",
    "讯迅勋",
    "联连莲",
    "捷杰洁",
    "优友佑",
    "思斯丝",
    "东冬",
    "方芳",
    "航杭",
    "拓托",
    "伟薇",
    "强墙",
    "敏民",
    "静晶",
    "磊雷",
    "涛韬",
    "军君",
    "勇永",
    "艳燕",
    "杰洁",
    "超朝",
    "霞夏",
    "平萍",
    "刚钢",
    "丽莉",
];

/// A homophone of `c`, if the table has one.
pub fn homophone(c: char, pick: usize) -> Option<char> {
    let group = HOMOPHONES.iter().find(|g| g.contains(c))?;
    let others: Vec<char> = group.chars().filter(|&x| x != c).collect();
    (!others.is_empty()).then(|| others[pick % others.len()])
}

/// Place names whose characters have several readings (厦 xia/sha, 重 chong/zhong, 长 chang/zhang).
const PLACE_PINYIN: &[(&str, &str)] = &[
    ("厦门", "xiamen"),
    ("重庆", "chongqing"),
    ("长沙", "changsha"),
];

/// Pinyin without tones, capitalized: 星河 → "Xinghe", 小明 → "Xiaoming".
pub fn pinyin_word(s: &str) -> String {
    let p: String = match PLACE_PINYIN.iter().find(|(zh, _)| *zh == s) {
        Some((_, py)) => py.to_string(),
        None => s.to_pinyin().flatten().map(|p| p.plain()).collect(),
    };
    let mut chars = p.chars();
    match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub const INDUSTRY_EN: &[(&str, &str)] = &[
    ("科技", "Technology"),
    ("网络科技", "Network Technology"),
    ("信息技术", "Information Technology"),
    ("软件", "Software"),
    ("贸易", "Trading"),
    ("实业", "Industrial"),
    ("电子商务", "E-Commerce"),
    ("物流", "Logistics"),
    ("餐饮管理", "Catering Management"),
    ("文化传媒", "Culture Media"),
    ("建筑工程", "Construction Engineering"),
    ("医疗器械", "Medical Equipment"),
    ("教育科技", "Education Technology"),
    ("生物医药", "Biopharmaceutical"),
    ("新能源", "New Energy"),
    ("机械", "Machinery"),
    ("电子", "Electronics"),
    ("化工", "Chemical"),
    ("家具", "Furniture"),
    ("广告", "Advertising"),
    ("咨询", "Consulting"),
    ("供应链管理", "Supply Chain Management"),
];

pub fn industry_en(zh: &str) -> &'static str {
    INDUSTRY_EN
        .iter()
        .find(|(z, _)| *z == zh)
        .map(|(_, e)| *e)
        .unwrap_or("Technology")
}

/// A mobile number in one of the ways people write it.
pub fn format_mobile(m: &str, style: usize) -> String {
    match style % 6 {
        0 => m.to_string(),
        1 => format!("{} {} {}", &m[..3], &m[3..7], &m[7..]),
        2 => format!("+86 {m}"),
        3 => format!("0086-{}-{}-{}", &m[..3], &m[3..7], &m[7..]),
        4 => format!("{}-{}-{}", &m[..3], &m[3..7], &m[7..]),
        _ => format!("(+86){m}"),
    }
}

/// A landline "0755-66881234" in one of the ways people write it.
pub fn format_landline(l: &str, style: usize) -> String {
    let (area, sub) = l.split_once('-').unwrap_or(("", l));
    match style % 5 {
        0 => l.to_string(),
        1 => format!("({area}){sub}"),
        2 => format!("+86 {} {} {}", &area[1..], &sub[..4], &sub[4..]),
        3 => format!("{area} {} {}", &sub[..4], &sub[4..]),
        _ => format!("{area}{sub}"),
    }
}

/// A date of birth "1990-01-02" in one of the ways people write it.
pub fn format_date(iso: &str, style: usize) -> String {
    let mut parts = iso.split('-');
    let (y, m, d) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let (mi, di): (u32, u32) = (m.parse().unwrap_or(1), d.parse().unwrap_or(1));
    match style % 5 {
        0 => iso.to_string(),
        1 => format!("{y}/{mi}/{di}"),
        2 => format!("{y}{m}{d}"),
        3 => format!("{y}年{mi}月{di}日"),
        _ => format!("{y}.{m}.{d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        assert_eq!(traditional("华为网络"), "華為網絡".replace('為', "为"));
        assert!(homophone('星', 0).is_some_and(|c| c != '星'));
        assert_eq!(homophone('鑫', 0), Some('新'));
        assert_eq!(pinyin_word("星河"), "Xinghe");
        assert_eq!(format_mobile("13800138000", 3), "0086-138-0013-8000");
        assert_eq!(format_landline("0755-66881234", 2), "+86 755 6688 1234");
        assert_eq!(format_date("1990-01-02", 3), "1990年1月2日");
    }
}
