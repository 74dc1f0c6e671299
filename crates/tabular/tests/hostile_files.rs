//! Whatever bytes arrive as a customer file, the readers answer with a table or an error,
//! never a panic; and mapping any table to records never panics either.

use leadguard_tabular::{Mapping, read_csv_bytes, read_path};
use proptest::prelude::*;

/// A small valid workbook, to corrupt.
fn workbook() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in [
        ["客户名称", "电话", "邮箱"],
        ["星河互联", "13800138000", "a@b.cn"],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_csv(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(table) = read_csv_bytes("fuzz.csv", &bytes, b',')
            && let Ok(mapping) = Mapping::new(&table.headers, &[], None)
        {
            for row in &table.rows {
                let _ = mapping.record(row);
            }
        }
    }

    #[test]
    fn csv_like_text(lines in proptest::collection::vec("[\\PC,\"\\n;]{0,40}", 0..20)) {
        let text = lines.join("\n");
        let _ = read_csv_bytes("fuzz.csv", text.as_bytes(), b',');
    }

    #[test]
    fn corrupted_workbooks(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16)) {
        let mut bytes = workbook();
        for (i, b) in flips {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzz.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        let _ = read_path(&path);
    }
}

#[test]
fn garbage_named_xlsx_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-really.xlsx");
    std::fs::write(&path, b"name,phone\nx,1\n").unwrap();
    assert!(read_path(&path).is_err());
    let empty = dir.path().join("empty.xlsx");
    std::fs::write(&empty, b"").unwrap();
    assert!(read_path(&empty).is_err());
}
