//! Industry words (行业表述) of company names, recognized on real vocabulary: the names are cut
//! into words by jieba (its dictionary and part-of-speech tags), and a word is an industry word
//! when the national industry classification uses it (GB/T 4754-2017, `data/industries.tsv`),
//! when it is a common noun headed by a character that names a trade or a product (管业, 纸业,
//! 用品, 建材, 家具, 印务, 生活馆…), or when company names use it for their trade although the
//! classification does not ([`NAME_WORDS`]: 科技, 实业, 商贸…).
//!
//! Brands are never looked up: a brand is what is left once the region, the industry words and
//! the legal form are gone, so new and rare brands split as well as known ones.

use std::collections::HashSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;

use super::text;

/// jieba with its default dictionary (≈ 350,000 words with frequencies and tags), loaded once
/// per process (≈ 0.2 s, ≈ 40 MB).
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Words company names use for their trade that the classification's category names do not
/// contain (or contain only inside longer words).
const NAME_WORDS: &[&str] = &[
    "科技",
    "实业",
    "发展",
    "产业",
    "商贸",
    "工贸",
    "经贸",
    "科贸",
    "贸易",
    "商务",
    "国际",
    "控股",
    "投资",
    "资本",
    "管理",
    "咨询",
    "服务",
    "工程",
    "技术",
    "网络",
    "信息",
    "智能",
    "数码",
    "数字",
    "电子商务",
    "电商",
    "供应链",
    "新材料",
    "新能源",
    "精密",
    "传媒",
    "传播",
    "策划",
    "设计",
    "营销",
    "会展",
    "展览",
    "物流",
    "速运",
    "快递",
    "货运",
    "置业",
    "物业",
    "园林",
    "景观",
    "绿化",
    "建设",
    "装饰",
    "装修",
    "建材",
    "五金",
    "电器",
    "机电",
    "汽配",
    "百货",
    "超市",
    "连锁",
    "药房",
    "大药房",
    "生活馆",
    "副食",
    "苗圃",
    "彩印",
    "印务",
    "美容",
    "美发",
    "美业",
    "健身",
    "养殖",
    "种植",
    "农资",
    "农机",
    "劳务",
    "人力资源",
    "教育",
    "培训",
    "文化",
    "旅游",
    "酒店",
    "餐饮",
    "食品",
    "电子",
    "光电",
    "通讯",
    "通信",
    "自动化",
    "机器人",
    "半导体",
    "集成电路",
    "互联网",
    "大数据",
    "云计算",
    "人工智能",
    "物联网",
    "区块链",
    "生物",
    "医药",
    "医疗",
    "健康",
    "环保",
    "环境",
    "能源",
    "电力",
    "光伏",
    "化工",
    "材料",
    "制造",
    "机械",
    "设备",
    "器械",
    "仪器",
    "仪表",
    "工业",
    "重工",
    "汽车",
    "车业",
    "模具",
    "包装",
    "印刷",
    "纺织",
    "服装",
    "服饰",
    "家居",
    "家具",
    "珠宝",
    "广告",
    "影视",
    "文化传播",
    "娱乐",
    "游戏",
    "动漫",
    "体育",
    "安防",
    "检测",
    "消防",
    "租赁",
    "担保",
    "保险",
    "金融",
    "财税",
    "财务",
    "代理",
    "中介",
    "开发",
    "销售",
    "批发",
    "零售",
    "加工",
    "维修",
    "修理",
    "安装",
    "制品",
    "用品",
    "礼品",
    "工艺品",
    "日用品",
    "化妆品",
    "纺织品",
    "水产",
    "粮油",
    "茶业",
    "酒业",
    "乳业",
    "饮品",
    "调味品",
    "农业",
    "林业",
    "牧业",
    "渔业",
    "矿业",
    "石材",
    "陶瓷",
    "玻璃",
    "钢铁",
    "钢材",
    "金属",
    "有色",
    "塑业",
    "塑胶",
    "塑料",
    "橡胶",
    "管业",
    "纸业",
    "鞋业",
    "木业",
    "家纺",
    "织造",
    "针织",
    "印染",
    "皮具",
    "箱包",
    "电缆",
    "线缆",
    "电气",
    "电源",
    "照明",
    "灯饰",
    "光学",
    "眼镜",
    "钟表",
    "母婴",
    "宠物",
    "花卉",
    "园艺",
    "农产品",
    "土特产",
    "冷链",
    "仓储",
    "运输",
    "配送",
    "供应",
    "营运",
    "运营",
    "策展",
    "摄影",
    "广告传媒",
    "影业",
    "出版",
    "音响",
    "乐器",
    "文具",
    "办公",
    "耗材",
    "软件",
    "硬件",
    "系统",
    "集成",
    "网络科技",
    "信息技术",
];

/// Category-name words that say nothing about a trade.
const NOT_INDUSTRY: &[&str] = &[
    "其他",
    "其它",
    "以及",
    "相关",
    "及其",
    "除外",
    "不含",
    "专业",
    "综合",
    "一般",
    "活动",
    "未列明",
    "列明",
    "中国",
    "国家",
    "国际组织",
    "组织",
    "群众",
    "团体",
    "自治",
];

/// Last characters of common nouns that name a trade or a product: 管业, 用品, 建材, 机械,
/// 家具, 电器, 涂料, 试剂, 服装, 服饰, 商贸, 印务, 生活馆, 配件, 润滑油.
const TRADE_HEADS: &str = "业品材械具器料剂装饰贸务馆件油药茶酒鞋纸布车电机";

/// jieba tags of common nouns and verb-nouns (not names of people, places or organizations).
const COMMON_NOUN_TAGS: &[&str] = &["n", "vn", "an"];

static VOCABULARY: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut words: HashSet<String> = NAME_WORDS.iter().map(|w| (*w).to_string()).collect();
    let category_names = include_str!("../../data/industries.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t').map(|(_, name)| name.trim()));
    for name in category_names {
        for part in name
            .split(|c: char| !text::is_ideograph(c))
            .filter(|p| !p.is_empty())
        {
            for t in JIEBA.cut(part, false) {
                let w = t.word;
                if w.chars().count() < 2 || NOT_INDUSTRY.contains(&w) {
                    continue;
                }
                words.insert(w.to_string());
                // 制造业, 批发业, 建筑业: names write 制造, 批发, 建筑.
                if let Some(stem) = w.strip_suffix('业').filter(|s| s.chars().count() >= 2) {
                    words.insert(stem.to_string());
                }
            }
        }
    }
    words
});

/// A word of a name as jieba cuts it, with its part-of-speech tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Word<'a> {
    text: &'a str,
    tag: &'a str,
}

/// The words of `s` (folded text), in order; their texts concatenate to `s`. Without jieba's
/// HMM: characters its dictionary does not join stay single, which is how new brands (同建,
/// 垣燊) show up.
fn words(s: &str) -> Vec<Word<'_>> {
    JIEBA
        .tag(s, false)
        .into_iter()
        .map(|t| Word {
            text: t.word,
            tag: t.tag,
        })
        .collect()
}

/// Can `word` be cut into words of the vocabulary, each of at least two characters
/// (卫生用品 = 卫生 + 用品, 机电工程 = 机电 + 工程)?
fn covered(word: &str) -> bool {
    let bounds: Vec<usize> = word
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(word.len()))
        .collect();
    // reach[i]: word[..bounds[i]] splits into vocabulary words.
    let mut reach = vec![false; bounds.len()];
    reach[0] = true;
    for end in 2..bounds.len() {
        reach[end] = (0..end.saturating_sub(1))
            .any(|start| reach[start] && VOCABULARY.contains(&word[bounds[start]..bounds[end]]));
    }
    reach[bounds.len() - 1]
}

/// Is this word (of at least two characters) an industry word?
fn is_industry_word(w: Word<'_>) -> bool {
    let chars = w.text.chars().count();
    if chars < 2 || !w.text.chars().all(text::is_ideograph) {
        return false;
    }
    if VOCABULARY.contains(w.text) {
        return true;
    }
    let common = COMMON_NOUN_TAGS.contains(&w.tag);
    let headed = w
        .text
        .chars()
        .next_back()
        .is_some_and(|c| TRADE_HEADS.contains(c));
    (common && headed) || (chars >= 4 && covered(w.text))
}

/// Where the industry words at the end of `body` start (a byte offset), stripping whole words
/// from the end while at least `keep` characters remain before them: 同建工程管理 → 6 (同建),
/// 长河液压机械 → 6, 字节跳动科技 → 12 (跳动 is no trade).
pub fn industry_start(body: &str, keep: usize) -> usize {
    let ws = words(body);
    let mut start = body.len();
    let mut chars_before: usize = body.chars().count();
    for w in ws.iter().rev() {
        let n = w.text.chars().count();
        if chars_before >= keep + n && is_industry_word(*w) {
            chars_before -= n;
            start -= w.text.len();
            continue;
        }
        // A dictionary word that joins a brand to its trade (华为技术, 东方电气): the trade
        // still comes off, the brand keeps at least two characters.
        if let Some(suffix) = trade_suffix(w.text)
            && chars_before >= keep + suffix.chars().count()
        {
            start -= suffix.len();
        }
        break;
    }
    start
}

/// The longest industry word (of at least two characters) that `word` ends with, leaving at
/// least two characters before it.
fn trade_suffix(word: &str) -> Option<&str> {
    word.char_indices()
        .skip(2)
        .map(|(i, _)| &word[i..])
        .find(|s| s.chars().count() >= 2 && VOCABULARY.contains(*s))
}

/// Is `w` (a whole word) an industry word of the vocabulary, whatever jieba would tag it?
pub fn in_vocabulary(w: &str) -> bool {
    VOCABULARY.contains(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(body: &str) -> (&str, &str) {
        let at = industry_start(body, 2);
        body.split_at(at)
    }

    #[test]
    fn industry_words_come_off_the_end() {
        for (body, core) in [
            ("同建工程管理", "同建"),
            ("长河液压机械", "长河"),
            ("字节跳动科技", "字节跳动"),
            ("宏图彩印", "宏图"),
            ("华翰印务", "华翰"),
            ("园建绿化工程", "园建"),
            ("新明五金加工", "新明"),
            ("妙雅卫生用品", "妙雅"),
            ("利百时纺织", "利百时"),
            ("磐石机电工程", "磐石"),
            ("碧景物业管理", "碧景"),
            ("垣燊纸业贸易", "垣燊"),
            ("先瑞信息技术", "先瑞"),
            ("海康威视数字技术", "海康威视"),
        ] {
            assert_eq!(split(body).0, core, "{body}");
        }
    }

    #[test]
    fn brands_are_what_is_left() {
        // Nothing to strip, or nothing that may be stripped: a brand keeps two characters.
        assert_eq!(split("金色阳光"), ("金色阳光", ""));
        assert_eq!(split("字节跳动"), ("字节跳动", ""));
        assert_eq!(split("科技网络"), ("科技", "网络"));
        assert_eq!(split("科技"), ("科技", ""));
        assert_eq!(split(""), ("", ""));
    }

    #[test]
    fn the_classification_is_in_the_vocabulary() {
        for w in [
            "液压", "机械", "纺织", "批发", "零售", "种植", "养殖", "印刷", "工程",
        ] {
            assert!(in_vocabulary(w), "{w}");
        }
        for w in ["其他", "阳光", "跳动", "同建"] {
            assert!(!in_vocabulary(w), "{w}");
        }
    }
}
