//! Writing tables as CSV (UTF-8 with BOM, so that Excel opens Chinese text correctly) and
//! XLSX (one sheet per table, bold header, numbers as numbers).

/// One cell: text or a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Cell::Number(x)
    }
}

impl From<i64> for Cell {
    fn from(x: i64) -> Self {
        Cell::Number(x as f64)
    }
}

impl From<u64> for Cell {
    fn from(x: u64) -> Self {
        Cell::Number(x as f64)
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Text(s) => f.write_str(s),
            Cell::Number(x) => write!(f, "{x}"),
        }
    }
}

/// A named table: a sheet in XLSX, a block in CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write the spreadsheet: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write CSV: {0}")]
    Io(#[from] std::io::Error),
}

/// The sheets as one CSV: each preceded by a line with its name, separated by a blank line.
pub fn csv_bytes(sheets: &[Sheet]) -> Result<Vec<u8>, WriteError> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    for (i, s) in sheets.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        if sheets.len() > 1 {
            w.write_record([&s.name])?;
        }
        w.write_record(&s.header)?;
        for r in &s.rows {
            w.write_record(r.iter().map(Cell::to_string))?;
        }
        out.extend(w.into_inner().map_err(|e| e.into_error())?);
    }
    Ok(out)
}

/// The sheets as an XLSX workbook.
pub fn xlsx_bytes(sheets: &[Sheet]) -> Result<Vec<u8>, WriteError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for s in sheets {
        let ws = wb.add_worksheet();
        // Sheet names: at most 31 characters, none of []:*?/\.
        let name: String = s
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        ws.set_name(if name.is_empty() { "Sheet" } else { &name })?;
        for (c, h) in s.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::Text(t) => ws.write_string(r, c, t)?,
                    Cell::Number(x) => ws.write_number(r, c, *x)?,
                };
            }
        }
        ws.autofit();
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use calamine::Reader;

    use super::*;

    fn sheets() -> Vec<Sheet> {
        vec![
            Sheet {
                name: "撞单".into(),
                header: vec!["销售".into(), "次数".into()],
                rows: vec![vec!["张三".into(), 3i64.into()]],
            },
            Sheet {
                name: "公海".into(),
                header: vec!["指标".into(), "值".into()],
                rows: vec![vec!["size".into(), 1.5f64.into()]],
            },
        ]
    }

    #[test]
    fn xlsx_reads_back() {
        let bytes = xlsx_bytes(&sheets()).unwrap();
        let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(wb.sheet_names(), vec!["撞单", "公海"]);
        let range = wb.worksheet_range("撞单").unwrap();
        assert_eq!(range.get((1, 0)).unwrap().to_string(), "张三");
        assert_eq!(range.get((1, 1)), Some(&calamine::Data::Float(3.0)));
    }

    #[test]
    fn csv_has_a_bom_and_named_blocks() {
        let text = String::from_utf8(csv_bytes(&sheets()).unwrap()).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("撞单\n销售,次数\n张三,3\n\n公海\n"), "{text}");
    }
}
