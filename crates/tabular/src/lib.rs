//! Customer files as they arrive from Excel and other CRMs: CSV in UTF-8 (with or without
//! BOM) or GB18030/GBK, or XLSX; columns recognized by common Chinese and English headers
//! (客户名称/公司名称/name/company, 电话/手机/座机/phone, 邮箱/email, 网址/website,
//! 统一社会信用代码/credit_code, 地址/address, 联系人/contact, first_name, surname,
//! date_of_birth, postcode, 身份证号/id_number, …) or named explicitly (`col=type`).

mod columns;
pub mod followup_columns;
mod read;
pub mod time;
mod write;

pub use columns::{ColumnType, Mapping, MappingError, RowOrigin};
pub use read::{Table, TabularError, read_bytes, read_csv_bytes, read_path};
pub use time::{DateOrder, TimeError, TimeOptions, parse_time, parse_time_with};
pub use write::{Cell, Sheet, WriteError, csv_bytes, xlsx_bytes};
