//! Text folding: the same name typed in full-width, Traditional or mixed case compares equal.
//!
//! OpenCC conversion costs about 100 ns a character, so it only runs on strings that hold a
//! character it could change; NFKC is skipped for text that is already normalized. Plain ASCII
//! takes neither path.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

static T2S: LazyLock<OpenCC> = LazyLock::new(|| {
    OpenCC::from_config(BuiltinConfig::T2s).expect("the built-in T2s OpenCC configuration loads")
});

/// Characters that only change inside a phrase of OpenCC's TSPhrases (瞭 alone stays 瞭, 明瞭
/// becomes 明了), so probing single characters does not find them. Derived from the
/// dictionaries of ferrous-opencc 0.4; the `t2s_fast_path_agrees_with_opencc` test guards it.
const PHRASE_ONLY: &str = "么俱彷沈牴瞭藉衹覆";

/// The CJK blocks OpenCC's Traditional → Simplified dictionaries draw their keys from.
const BMP_CJK: std::ops::RangeInclusive<u32> = 0x3400..=0x9FFF;
const ASTRAL_CJK: std::ops::RangeInclusive<u32> = 0x2_0000..=0x2_FFFF;

/// Every character the T2s conversion may change.
struct Convertible {
    /// One bit per code point of [`BMP_CJK`].
    bmp: Vec<u64>,
    astral: HashSet<char>,
}

impl Convertible {
    fn contains(&self, c: char) -> bool {
        let cp = c as u32;
        if BMP_CJK.contains(&cp) {
            let i = (cp - BMP_CJK.start()) as usize;
            self.bmp[i / 64] & (1 << (i % 64)) != 0
        } else {
            ASTRAL_CJK.contains(&cp) && self.astral.contains(&c)
        }
    }
}

/// Built by converting every candidate character once, newline-separated so that no phrase
/// spans two of them (a few milliseconds, once per process).
static CONVERTIBLE: LazyLock<Convertible> = LazyLock::new(|| {
    let candidates: Vec<char> = BMP_CJK
        .chain(ASTRAL_CJK)
        .filter_map(char::from_u32)
        .collect();
    let mut probe = String::with_capacity(candidates.len() * 5);
    for &c in &candidates {
        probe.push(c);
        probe.push('\n');
    }
    let converted = T2S.convert(&probe);
    let mut set = Convertible {
        bmp: vec![0; BMP_CJK.clone().count().div_ceil(64)],
        astral: HashSet::new(),
    };
    let changed = candidates
        .iter()
        .zip(converted.split('\n'))
        .filter(|&(c, out)| out.chars().ne(std::iter::once(*c)))
        .map(|(c, _)| *c);
    for c in changed.chain(PHRASE_ONLY.chars()) {
        let cp = c as u32;
        if BMP_CJK.contains(&cp) {
            let i = (cp - BMP_CJK.start()) as usize;
            set.bmp[i / 64] |= 1 << (i % 64);
        } else {
            set.astral.insert(c);
        }
    }
    set
});

/// ASCII and the CJK unified ideographs: NFKC leaves them alone and they have no case, so
/// text made of them only needs ASCII lower-casing (most Chinese company names).
fn plain(c: char) -> bool {
    c.is_ascii() || BMP_CJK.contains(&(c as u32))
}

/// NFKC: full-width letters, digits and punctuation to ASCII, compatibility ideographs to
/// unified ones. Borrows when `s` is already normalized.
pub fn nfkc(s: &str) -> Cow<'_, str> {
    if s.chars().all(plain) || is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfkc().collect())
    }
}

/// Traditional → Simplified Chinese (OpenCC T2s). Borrows when nothing would change.
pub fn to_simplified(s: &str) -> Cow<'_, str> {
    if s.chars().any(|c| CONVERTIBLE.contains(c)) {
        Cow::Owned(T2S.convert(s))
    } else {
        Cow::Borrowed(s)
    }
}

/// NFKC (full-width → half-width), Traditional → Simplified, lower case. Punctuation and spaces
/// are kept (English names are tokenized on them).
pub fn simplify(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let simplified = to_simplified(&nfkc(s)).into_owned();
    if simplified.chars().all(plain) {
        simplified.to_ascii_lowercase()
    } else {
        // Full Unicode lower-casing, final sigma included.
        simplified.to_lowercase()
    }
}

/// [`simplify`], then only letters and digits (CJK included) are kept: spaces, punctuation
/// (ASCII and CJK), brackets, middle dots and symbols are dropped.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    fold_simplified(&simplify(s))
}

/// [`fold`] of a string that is already [`simplify`]'d (saves a second conversion).
pub fn fold_simplified(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    out.extend(s.chars().filter(|&c| is_letter_or_digit(c)));
    out
}

/// CJK Extension A and the unified ideographs: all letters.
const IDEOGRAPHS: [std::ops::RangeInclusive<char>; 2] =
    ['\u{3400}'..='\u{4DBF}', '\u{4E00}'..='\u{9FFF}'];

/// `char::is_alphanumeric`, with the ideographs answered without a table lookup.
fn is_letter_or_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        is_ideograph(c) || c.is_alphanumeric()
    }
}

/// A Chinese character (CJK unified ideograph, extension A included).
pub fn is_ideograph(c: char) -> bool {
    IDEOGRAPHS.iter().any(|r| r.contains(&c))
}

/// Pinyin of the Chinese characters (first reading, no tones), other letters and digits kept:
/// 星河 → "xinghe", 兴河 → "xinghe", ABC贸易 → "abcmaoyi".
pub fn pinyin(folded: &str) -> String {
    use pinyin::ToPinyin;
    let mut out = String::with_capacity(folded.len() * 2);
    for c in folded.chars() {
        match c.to_pinyin() {
            Some(p) => out.push_str(p.plain()),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_script_case_and_punctuation() {
        assert_eq!(
            fold("字節跳動（北京）科技有限公司"),
            "字节跳动北京科技有限公司"
        );
        assert_eq!(fold("ＡＢＣ 贸易·有限公司"), "abc贸易有限公司");
        assert_eq!(fold("ByteDance Ltd."), "bytedanceltd");
        assert_eq!(fold("《星河》—“互联”、【集团】！"), "星河互联集团");
        assert_eq!(fold("Café  Müller · GmbH"), "cafémüllergmbh");
        assert_eq!(fold("\u{3000}\t\n"), "");
        assert_eq!(simplify("Shenyang  Xindi, Co."), "shenyang  xindi, co.");
        assert_eq!(simplify("臺灣ＡＢＣ（中國）"), "台湾abc(中国)");
        assert_eq!(simplify("北京ABC"), "北京abc");
        assert_eq!(fold("ΟΔΟΣ"), fold("οδος"), "final sigma");
        assert_eq!(fold("Straße ＧＭＢＨ"), "straßegmbh");
    }

    #[test]
    fn phrase_only_characters_still_convert() {
        assert_eq!(fold("明瞭"), "明了");
        assert_eq!(fold("反覆"), "反复");
        assert_eq!(fold("找藉口"), "找借口");
        assert_eq!(fold("沈默"), "沉默");
        // Alone they stay as they are, with or without the fast path.
        assert_eq!(fold("瞭"), "瞭");
    }

    #[test]
    fn t2s_fast_path_agrees_with_opencc() {
        // Every convertible character converts; every other one is left alone by OpenCC.
        let sample: String = BMP_CJK.step_by(7).filter_map(char::from_u32).collect();
        assert_eq!(
            to_simplified(&sample),
            T2S.convert(&sample),
            "fast path and OpenCC disagree"
        );
        for c in BMP_CJK.filter_map(char::from_u32) {
            if !CONVERTIBLE.contains(c) {
                let s = c.to_string();
                assert_eq!(T2S.convert(&s), s, "{c} converts but is not marked");
            }
        }
    }

    #[test]
    fn ideograph_ranges_are_letters() {
        for r in IDEOGRAPHS {
            assert!(r.clone().all(char::is_alphanumeric), "{r:?}");
        }
    }

    #[test]
    fn borrows_when_nothing_changes() {
        assert!(matches!(nfkc("字节跳动"), Cow::Borrowed(_)));
        assert!(matches!(to_simplified("字节跳动"), Cow::Borrowed(_)));
        assert_eq!(nfkc("ＡＢＣ１２３"), "ABC123");
        assert_eq!(to_simplified("字節"), "字节");
    }

    #[test]
    fn pinyin_of_folded_text() {
        assert_eq!(pinyin("星河"), "xinghe");
        assert_eq!(pinyin("兴河"), pinyin("星河"));
        assert_eq!(pinyin("abc贸易"), "abcmaoyi");
    }
}
