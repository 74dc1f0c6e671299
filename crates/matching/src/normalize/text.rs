//! Text folding: the same name typed in full-width, Traditional or mixed case compares equal.

use std::sync::LazyLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use unicode_normalization::UnicodeNormalization;

static T2S: LazyLock<OpenCC> = LazyLock::new(|| {
    OpenCC::from_config(BuiltinConfig::T2s).expect("the built-in T2s OpenCC configuration loads")
});

/// NFKC (full-width → half-width), Traditional → Simplified, lower case. Punctuation and spaces
/// are kept (English names are tokenized on them).
pub fn simplify(s: &str) -> String {
    let nfkc: String = s.nfkc().collect();
    let simplified = if nfkc.is_ascii() {
        nfkc
    } else {
        T2S.convert(&nfkc)
    };
    simplified.to_lowercase()
}

/// [`simplify`], then only letters and digits (CJK included) are kept.
pub fn fold(s: &str) -> String {
    simplify(s)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
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
        assert_eq!(simplify("Shenyang  Xindi, Co."), "shenyang  xindi, co.");
    }
}
