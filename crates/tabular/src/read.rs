//! Reading a file into a table of strings.

use std::path::Path;

use calamine::{Data, Reader};

/// Header row and data rows, all cells as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Which text encoding a CSV file was read in ("UTF-8", "GB18030"); "XLSX" otherwise.
    pub encoding: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum TabularError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: unsupported file type; use .csv (UTF-8 or GB18030/GBK) or .xlsx")]
    UnsupportedType { path: String },
    #[error("{path}: row {row}, column {column}: {message}")]
    Cell {
        path: String,
        /// 1-based, counting the header row as row 1, as a spreadsheet shows it.
        row: usize,
        /// 1-based.
        column: usize,
        message: String,
    },
    #[error("{path}: row {row}: {message}")]
    Row {
        path: String,
        row: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    File { path: String, message: String },
}

/// Reads a CSV or XLSX file, chosen by its extension.
pub fn read_path(path: &Path) -> Result<Table, TabularError> {
    let shown = path.display().to_string();
    // An unsupported kind is said before the file is looked for.
    kind_of(&shown)?;
    let bytes = std::fs::read(path).map_err(|source| TabularError::Io {
        path: shown.clone(),
        source,
    })?;
    read_bytes(&shown, &bytes)
}

/// Reads a file's content (an upload), its kind chosen by the extension of `name`.
pub fn read_bytes(name: &str, bytes: &[u8]) -> Result<Table, TabularError> {
    match kind_of(name)? {
        FileKind::Csv(delimiter) => read_csv_bytes(name, bytes, delimiter),
        FileKind::Workbook => read_workbook(bytes, name),
    }
}

enum FileKind {
    Csv(u8),
    Workbook,
}

fn kind_of(name: &str) -> Result<FileKind, TabularError> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "txt" => Ok(FileKind::Csv(b',')),
        "tsv" => Ok(FileKind::Csv(b'\t')),
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => Ok(FileKind::Workbook),
        _ => Err(TabularError::UnsupportedType {
            path: name.to_string(),
        }),
    }
}

/// Decodes bytes as UTF-8 (BOM stripped), or GB18030 (a superset of GBK and GB2312) when they
/// are not UTF-8.
fn decode<'a>(
    path: &str,
    bytes: &'a [u8],
) -> Result<(std::borrow::Cow<'a, str>, &'static str), TabularError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((std::borrow::Cow::Borrowed(s), "UTF-8")),
        Err(_) => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                // Find the line of the first byte sequence neither encoding accepts.
                let valid_up_to = std::str::from_utf8(bytes)
                    .err()
                    .map_or(0, |e| e.valid_up_to());
                let row = bytes[..valid_up_to].iter().filter(|&&b| b == b'\n').count() + 1;
                return Err(TabularError::Row {
                    path: path.to_string(),
                    row,
                    message:
                        "the text is neither UTF-8 nor GB18030/GBK; save the file as UTF-8 CSV"
                            .into(),
                });
            }
            Ok((text, "GB18030"))
        }
    }
}

pub fn read_csv_bytes(path: &str, bytes: &[u8], delimiter: u8) -> Result<Table, TabularError> {
    let (text, encoding) = decode(path, bytes)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut table = Table {
        encoding,
        ..Default::default()
    };
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| TabularError::Row {
            path: path.to_string(),
            row: e.position().map_or(i + 1, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
        if i == 0 {
            table.headers = cells;
        } else if cells.iter().any(|c| !c.is_empty()) {
            table.rows.push(cells);
        }
    }
    if table.headers.iter().all(String::is_empty) {
        return Err(TabularError::File {
            path: path.to_string(),
            message: "the file is empty or has no header row".into(),
        });
    }
    Ok(table)
}

/// A cell as text. Numbers that are whole print without decimals or exponent (a phone read
/// as 1.38001380001E10 is 13800138000), dates as ISO dates.
fn cell_text(cell: &Data) -> Result<String, String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => {
                dt.date().format("%Y-%m-%d").to_string()
            }
            Some(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("the cell holds a spreadsheet error ({e:?})")),
    })
}

fn read_workbook(bytes: &[u8], shown: &str) -> Result<Table, TabularError> {
    let mut wb =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| {
            TabularError::File {
                path: shown.to_string(),
                message: format!("not a readable spreadsheet: {e}"),
            }
        })?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| TabularError::File {
            path: shown.to_string(),
            message: "the workbook has no sheet".into(),
        })?
        .map_err(|e| TabularError::File {
            path: shown.to_string(),
            message: format!("cannot read the first sheet: {e}"),
        })?;
    let (first_row, first_col) = range
        .start()
        .map_or((0, 0), |(r, c)| (r as usize, c as usize));
    let mut table = Table {
        encoding: "XLSX",
        ..Default::default()
    };
    for (i, row) in range.rows().enumerate() {
        let mut cells = Vec::with_capacity(row.len());
        for (j, cell) in row.iter().enumerate() {
            cells.push(cell_text(cell).map_err(|message| TabularError::Cell {
                path: shown.to_string(),
                row: first_row + i + 1,
                column: first_col + j + 1,
                message,
            })?);
        }
        if table.headers.is_empty() && i == 0 {
            table.headers = cells;
        } else if cells.iter().any(|c| !c.is_empty()) {
            table.rows.push(cells);
        }
    }
    if table.headers.iter().all(String::is_empty) {
        return Err(TabularError::File {
            path: shown.to_string(),
            message: "the first sheet is empty or has no header row".into(),
        });
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_and_gb18030() {
        let utf8 = "客户名称,电话\n星河互联,13800138000\n".as_bytes();
        let t = read_csv_bytes("a.csv", utf8, b',').unwrap();
        assert_eq!(
            (t.headers[0].as_str(), t.rows[0][1].as_str(), t.encoding),
            ("客户名称", "13800138000", "UTF-8")
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(utf8);
        assert_eq!(
            read_csv_bytes("a.csv", &bom, b',').unwrap().headers[0],
            "客户名称"
        );
        let (gbk, _, _) = encoding_rs::GB18030.encode("客户名称,电话\n星河互联,13800138000\n");
        let t = read_csv_bytes("a.csv", &gbk, b',').unwrap();
        assert_eq!((t.rows[0][0].as_str(), t.encoding), ("星河互联", "GB18030"));
    }

    #[test]
    fn xlsx_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "客户名称").unwrap();
        ws.write_string(0, 1, "手机").unwrap();
        ws.write_string(1, 0, "星河互联").unwrap();
        ws.write_number(1, 1, 13800138000.0).unwrap();
        wb.save(&path).unwrap();
        let t = read_path(&path).unwrap();
        assert_eq!(
            t.rows,
            vec![vec!["星河互联".to_string(), "13800138000".to_string()]]
        );
    }

    #[test]
    fn clear_errors() {
        let err = read_path(Path::new("/nonexistent/x.csv"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/x.csv"), "{err}");
        assert!(
            read_path(Path::new("x.pdf"))
                .unwrap_err()
                .to_string()
                .contains(".xlsx")
        );
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.xlsx");
        std::fs::write(&bad, b"not a zip").unwrap();
        assert!(
            read_path(&bad)
                .unwrap_err()
                .to_string()
                .contains("spreadsheet")
        );
        assert!(read_csv_bytes("e.csv", b"", b',').is_err());
    }
}
