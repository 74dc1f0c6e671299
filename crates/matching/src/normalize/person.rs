//! People's names, Chinese or Latin: 张伟, 張偉, "Zhang Wei", "WEI ZHANG", "Zhang, Wei" all
//! reduce to the same pinyin token set, so that script, order and case do not matter and
//! homophone typos (张玮) still meet.

use pinyin::ToPinyin;

use super::text;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PersonName {
    /// Folded name: 张伟, or "wei zhang" tokens joined without spaces for Latin names.
    pub folded: String,
    /// Pinyin (or Latin) syllable tokens, sorted: "wei zhang".
    pub tokens: String,
    /// Whether the name was written in Chinese characters.
    pub chinese: bool,
}

/// Splits a Latin name written as one token into pinyin syllables where that is unambiguous
/// enough to help ("xiaoming" → "xiao ming"); leaves other words as they are.
fn latin_tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

pub fn parse_person_name(raw: &str) -> PersonName {
    let simplified = text::simplify(raw);
    let chinese = simplified.chars().any(text::is_ideograph);
    let folded = text::fold_simplified(&simplified);
    let mut tokens: Vec<String> = if chinese {
        // Surname and given name as syllables; Latin readings join per part so that 张伟 and
        // "Zhang Wei" both give ["wei", "zhang"], and 张小明 and "Zhang Xiaoming" ["xiaoming",
        // "zhang"].
        let cjk: Vec<char> = simplified
            .chars()
            .filter(|&c| text::is_ideograph(c))
            .collect();
        let syllable = |c: char| {
            c.to_pinyin()
                .map(|p| p.plain().to_string())
                .unwrap_or_else(|| c.to_string())
        };
        match cjk.split_first() {
            Some((surname, given)) if !given.is_empty() => {
                vec![
                    syllable(*surname),
                    given.iter().map(|&c| syllable(c)).collect(),
                ]
            }
            _ => cjk.iter().map(|&c| syllable(c)).collect(),
        }
    } else {
        latin_tokens(&simplified)
    };
    tokens.sort();
    PersonName {
        folded,
        tokens: tokens.join(" "),
        chinese,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_orders_meet() {
        let t = |s| parse_person_name(s).tokens;
        assert_eq!(t("张伟"), "wei zhang");
        assert_eq!(t("張偉"), "wei zhang");
        assert_eq!(t("Zhang Wei"), "wei zhang");
        assert_eq!(t("WEI ZHANG"), "wei zhang");
        assert_eq!(t("Zhang, Wei"), "wei zhang");
        assert_eq!(t("张小明"), "xiaoming zhang");
        assert_eq!(t("Zhang Xiaoming"), "xiaoming zhang");
        assert_eq!(t("张玮"), t("张伟"), "homophone typo");
        assert_eq!(parse_person_name("John Smith").tokens, "john smith");
        assert!(parse_person_name("张伟").chinese);
    }
}
