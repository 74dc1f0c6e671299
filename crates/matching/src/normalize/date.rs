//! Dates as people write them: 1990-01-02, 1990/1/2, 19900102, 1990年1月2日, 1990.01.02,
//! 02/01/1990 (day first, as in most of the world) — to ISO 8601.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("无法识别的日期 “{0}”，请写成 1990-01-02 / not a date: {0} (write 1990-01-02)")]
pub struct DateError(pub String);

fn valid(y: u32, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => return false,
    };
    (1800..=2200).contains(&y) && (1..=days).contains(&d)
}

/// Normalizes to `YYYY-MM-DD`.
pub fn normalize_date(raw: &str) -> Result<String, DateError> {
    let err = || DateError(raw.trim().to_string());
    let s = raw.trim();
    let groups: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    let (y, m, d) = match groups.as_slice() {
        [one] if one.len() == 8 => {
            let n = |a: usize, b: usize| one[a..b].parse::<u32>().ok();
            // 19900102, or 02011990 (day month year) if the first reading is impossible.
            match (n(0, 4), n(4, 6), n(6, 8)) {
                (Some(y), Some(m), Some(d)) if valid(y, m, d) => (y, m, d),
                _ => (
                    n(4, 8).ok_or_else(err)?,
                    n(2, 4).ok_or_else(err)?,
                    n(0, 2).ok_or_else(err)?,
                ),
            }
        }
        [a, b, c] => {
            let (a, b, c): (u32, u32, u32) = (
                a.parse().map_err(|_| err())?,
                b.parse().map_err(|_| err())?,
                c.parse().map_err(|_| err())?,
            );
            if a > 31 { (a, b, c) } else { (c, b, a) }
        }
        _ => return Err(err()),
    };
    if !valid(y, m, d) {
        return Err(err());
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        for raw in [
            "1990-01-02",
            "1990/1/2",
            "19900102",
            "1990年1月2日",
            "1990.01.02",
            "02/01/1990",
            " 1990-1-2 ",
        ] {
            assert_eq!(normalize_date(raw).unwrap(), "1990-01-02", "{raw}");
        }
        assert!(normalize_date("1990-02-30").is_err());
        assert!(normalize_date("hello").is_err());
        assert!(normalize_date("1990").is_err());
    }
}
