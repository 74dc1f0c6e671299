//! Charts drawn on the server as SVG: horizontal bars with their values, readable without
//! JavaScript, scalable, and accessible (`<title>` and `role="img"`).

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// One bar, with an optional marker (e.g. the fair share) drawn across it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub marker: Option<f64>,
}

/// A horizontal bar chart.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    const WIDTH: f64 = 640.0;
    const LABEL: f64 = 160.0;
    const ROW: f64 = 28.0;
    const TOP: f64 = 40.0;
    let max = bars
        .iter()
        .flat_map(|b| [b.value, b.marker.unwrap_or(0.0)])
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let plot = WIDTH - LABEL - 70.0;
    let height = TOP + ROW * bars.len().max(1) as f64 + 16.0;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="t"><title id="t">{t}</title><style>text{{font:13px sans-serif;fill:#1f2937}}.v{{fill:#374151}}</style><text x="8" y="24" style="font-weight:bold;font-size:15px">{t}</text>"##,
        t = escape(title)
    );
    if bars.is_empty() {
        svg.push_str(&format!(
            r#"<text x="{LABEL}" y="{}">无数据 / no data</text>"#,
            TOP + 18.0
        ));
    }
    for (i, b) in bars.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let w = (b.value.max(0.0) / max * plot).max(if b.value > 0.0 { 1.0 } else { 0.0 });
        svg.push_str(&format!(
            r##"<text x="{x}" y="{ty}" text-anchor="end">{label}</text><rect x="{LABEL}" y="{y}" width="{w:.1}" height="18" fill="#2563eb"><title>{label}: {v}</title></rect><text class="v" x="{vx:.1}" y="{ty}">{v}</text>"##,
            x = LABEL - 8.0,
            ty = y + 14.0,
            label = escape(&b.label),
            vx = LABEL + w + 6.0,
            v = number(b.value),
        ));
        if let Some(m) = b.marker {
            let mx = LABEL + m.max(0.0) / max * plot;
            svg.push_str(&format!(
                r##"<line x1="{mx:.1}" x2="{mx:.1}" y1="{y1}" y2="{y2}" stroke="#dc2626" stroke-width="2"><title>目标 / target: {m}</title></line>"##,
                y1 = y - 2.0,
                y2 = y + 20.0,
                m = number(m),
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_bar_per_value_and_escapes_labels() {
        let svg = bars(
            "撞单 <按销售>",
            &[
                Bar {
                    label: "张三".into(),
                    value: 3.0,
                    marker: None,
                },
                Bar {
                    label: "A&B".into(),
                    value: 1.5,
                    marker: Some(2.0),
                },
            ],
        );
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("撞单 &lt;按销售&gt;"));
        assert!(svg.contains("A&amp;B"));
        assert!(svg.contains("<line"));
        assert!(svg.ends_with("</svg>"));
    }
}
