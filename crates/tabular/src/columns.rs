//! Which column holds what, recognized from the header or given as `col=type`, and turning a
//! row into a customer record.

use leadguard_domain::customer::{Contact, CustomerFields, CustomerKind};

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    Id,
    Name,
    Phone,
    Email,
    Website,
    CreditCode,
    Address,
    Contact,
    FirstName,
    LastName,
    BirthDate,
    Postcode,
    IdNumber,
    Province,
    City,
    Industry,
    Source,
    Size,
    /// Free text (备注): joined into the customer's note.
    Note,
    /// Who owns the customer in the system it comes from (负责人): a username or a display
    /// name. Not a field of the customer: it decides its owner.
    Owner,
    /// Who entered it there (创建人): its owner when the file names no owner.
    Creator,
    /// When it was entered there (创建时间): the first-come evidence.
    CreatedAt,
    /// The owner's team or department there (所属部门).
    Team,
    Ignore,
}

/// (type, spellings); headers are compared lower-cased without spaces, `_` or `-`.
const HEADERS: &[(ColumnType, &[&str])] = &[
    (
        ColumnType::Id,
        &[
            "id",
            "编号",
            "客户编号",
            "客户id",
            "序号",
            "customerid",
            "recid",
            "recordid",
            "accountid",
        ],
    ),
    (
        ColumnType::Name,
        &[
            "客户名称",
            "公司名称",
            "企业名称",
            "单位名称",
            "客户名",
            "名称",
            "客户",
            "公司",
            "企业",
            "客户单位",
            "线索名称",
            "姓名",
            "name",
            "company",
            "companyname",
            "customer",
            "customername",
            "account",
            "accountname",
            "fullname",
            "organization",
        ],
    ),
    (
        ColumnType::Phone,
        &[
            "电话",
            "手机",
            "座机",
            "手机号",
            "手机号码",
            "电话号码",
            "联系电话",
            "联系方式",
            "固话",
            "固定电话",
            "联系人电话",
            "联系人手机",
            "phone",
            "mobile",
            "tel",
            "telephone",
            "cell",
            "cellphone",
            "phonenumber",
            "mobilephone",
            "workphone",
            "accountphone",
        ],
    ),
    (
        ColumnType::Email,
        &[
            "邮箱",
            "电子邮件",
            "电子邮箱",
            "邮件",
            "email",
            "mail",
            "emailaddress",
        ],
    ),
    (
        ColumnType::Website,
        &[
            "网址",
            "网站",
            "官网",
            "主页",
            "website",
            "web",
            "url",
            "homepage",
            "site",
            "companydomainname",
        ],
    ),
    (
        ColumnType::CreditCode,
        &[
            "统一社会信用代码",
            "信用代码",
            "社会信用代码",
            "税号",
            "纳税人识别号",
            "creditcode",
            "uscc",
            "taxid",
        ],
    ),
    (
        ColumnType::Address,
        &[
            "地址",
            "详细地址",
            "公司地址",
            "办公地址",
            "注册地址",
            "联系地址",
            "街道",
            "address",
            "address1",
            "address2",
            "street",
            "streetaddress",
            "streetnumber",
            "suburb",
        ],
    ),
    (
        ColumnType::Contact,
        &[
            "联系人",
            "联系人姓名",
            "对接人",
            "contact",
            "contactname",
            "contactperson",
        ],
    ),
    (
        ColumnType::FirstName,
        &["名", "firstname", "givenname", "forename"],
    ),
    (
        ColumnType::LastName,
        &["姓", "surname", "lastname", "familyname"],
    ),
    (
        ColumnType::BirthDate,
        &[
            "出生日期",
            "生日",
            "出生年月日",
            "dateofbirth",
            "dob",
            "birthdate",
            "birthday",
        ],
    ),
    (
        ColumnType::Postcode,
        &[
            "邮编",
            "邮政编码",
            "postcode",
            "zip",
            "zipcode",
            "postalcode",
        ],
    ),
    (
        ColumnType::IdNumber,
        &[
            "证件号",
            "证件号码",
            "身份证号",
            "身份证号码",
            "身份证",
            "idnumber",
            "idno",
            "ssn",
            "socsecid",
            "nationalid",
            "passport",
            "passportnumber",
        ],
    ),
    (
        ColumnType::Province,
        &["省", "省份", "所在省", "province", "state", "region"],
    ),
    (
        ColumnType::City,
        &["城市", "市", "所在城市", "city", "town"],
    ),
    (
        ColumnType::Industry,
        &["行业", "所属行业", "客户行业", "industry", "sector"],
    ),
    (
        ColumnType::Source,
        &[
            "来源",
            "渠道",
            "客户来源",
            "source",
            "channel",
            "leadsource",
        ],
    ),
    (
        ColumnType::Size,
        &["规模", "企业规模", "人员规模", "size", "companysize"],
    ),
    (
        ColumnType::Note,
        &[
            "备注",
            "备注信息",
            "客户备注",
            "说明",
            "remark",
            "remarks",
            "note",
            "notes",
            "description",
            "comments",
        ],
    ),
    (
        ColumnType::Owner,
        &[
            "负责人",
            "客户负责人",
            "所属销售",
            "销售",
            "销售员",
            "销售人员",
            "销售代表",
            "客户经理",
            "业务员",
            "归属人",
            "所属人",
            "所有人",
            "客户所有人",
            "owner",
            "accountowner",
            "companyowner",
            "recordowner",
            "salesrep",
            "ownername",
        ],
    ),
    (
        ColumnType::Creator,
        &["创建人", "录入人", "登记人", "createdby", "creator"],
    ),
    (
        ColumnType::CreatedAt,
        &[
            "创建时间",
            "录入时间",
            "登记时间",
            "建档时间",
            "创建日期",
            "录入日期",
            "登记日期",
            "建档日期",
            "createdat",
            "createdate",
            "createddate",
            "createdtime",
            "createtime",
            "datecreated",
        ],
    ),
    (
        ColumnType::Team,
        &[
            "所属部门",
            "部门",
            "所属团队",
            "团队",
            "销售团队",
            "team",
            "department",
            "salesteam",
        ],
    ),
];

/// A header as compared: lower case, without spaces, punctuation, the `*` of a required
/// column (*客户名称, 客户名称(*)) or an example after it (跟进时间-例:2020-2-1, as 悟空CRM's
/// templates write).
pub(crate) fn canonical(header: &str) -> String {
    let header = header.trim().trim_start_matches('\u{feff}');
    let header = match header.find("例:").or_else(|| header.find("例：")) {
        Some(i) => &header[..i],
        None => header,
    };
    header
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(c, '_' | '-' | '.' | '(' | ')' | '（' | '）' | '*' | '＊')
        })
        .flat_map(char::to_lowercase)
        .collect()
}

impl ColumnType {
    /// The type of a column from its header, if it is a common spelling.
    pub fn recognize(header: &str) -> Option<ColumnType> {
        let h = canonical(header);
        HEADERS
            .iter()
            .find(|(_, names)| names.contains(&h.as_str()))
            .map(|(t, _)| *t)
    }

    /// The type named in `--fields col=type`.
    pub fn parse(name: &str) -> Option<ColumnType> {
        let t = match canonical(name).as_str() {
            "id" => ColumnType::Id,
            "name" | "company" => ColumnType::Name,
            "phone" | "mobile" | "tel" => ColumnType::Phone,
            "email" => ColumnType::Email,
            "website" | "url" => ColumnType::Website,
            "creditcode" => ColumnType::CreditCode,
            "address" => ColumnType::Address,
            "contact" => ColumnType::Contact,
            "firstname" | "givenname" => ColumnType::FirstName,
            "lastname" | "surname" => ColumnType::LastName,
            "birthdate" | "dateofbirth" | "dob" => ColumnType::BirthDate,
            "postcode" | "zip" => ColumnType::Postcode,
            "idnumber" | "ssn" => ColumnType::IdNumber,
            "province" | "state" => ColumnType::Province,
            "city" => ColumnType::City,
            "industry" => ColumnType::Industry,
            "source" | "channel" => ColumnType::Source,
            "size" => ColumnType::Size,
            "note" | "remark" => ColumnType::Note,
            "owner" => ColumnType::Owner,
            "creator" | "createdby" => ColumnType::Creator,
            "createdat" | "createdtime" | "entrytime" => ColumnType::CreatedAt,
            "team" | "department" => ColumnType::Team,
            "ignore" | "skip" => ColumnType::Ignore,
            _ => return None,
        };
        Some(t)
    }

    pub const NAMES: &'static str = "id, name, phone, email, website, credit_code, address, contact, first_name, \
         last_name, birth_date, postcode, id_number, province, city, industry, source, size, note, owner, creator, created_at, team, ignore";
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("--fields: “{0}” is not col=type")]
    Syntax(String),
    #[error("--fields: no column named “{0}” (the header has: {1})")]
    UnknownColumn(String, String),
    #[error("--fields: unknown type “{0}”; use one of {types}", types = ColumnType::NAMES)]
    UnknownType(String),
    #[error(
        "no column holds a name: name one with --fields COLUMN=name (or first_name/last_name); the header has: {0}"
    )]
    NoName(String),
}

fn join_lines(slot: &mut Option<String>, v: &str) {
    *slot = Some(match slot.take() {
        Some(s) => format!("{s}\n{v}"),
        None => v.to_string(),
    });
}

/// A row's origin in the system it was exported from (see [`Mapping::origin`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowOrigin<'r> {
    pub owner: Option<&'r str>,
    pub creator: Option<&'r str>,
    pub created_at: Option<&'r str>,
    pub team: Option<&'r str>,
}

/// Which column holds what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The type of each column, by position.
    pub columns: Vec<ColumnType>,
    /// Whether records are people (B2C) rather than companies.
    pub kind: CustomerKind,
}

impl Mapping {
    /// Recognizes columns from `headers`, with `overrides` (`col=type`, `col` a header or a
    /// 1-based column number) taking precedence. `kind` forces companies or people; otherwise
    /// people are assumed when there are person columns (first/last name, birth date, identity
    /// number, or a 姓名 column) and no company columns.
    pub fn new(
        headers: &[String],
        overrides: &[String],
        kind: Option<CustomerKind>,
    ) -> Result<Mapping, MappingError> {
        let mut columns: Vec<ColumnType> = headers
            .iter()
            .map(|h| ColumnType::recognize(h).unwrap_or(ColumnType::Ignore))
            .collect();
        for o in overrides {
            let (col, ty) = o
                .split_once('=')
                .ok_or_else(|| MappingError::Syntax(o.clone()))?;
            let ty =
                ColumnType::parse(ty).ok_or_else(|| MappingError::UnknownType(ty.to_string()))?;
            let position = headers
                .iter()
                .position(|h| h.trim() == col.trim() || canonical(h) == canonical(col))
                .or_else(|| {
                    col.trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|&n| n >= 1 && n <= headers.len())
                        .map(|n| n - 1)
                })
                .ok_or_else(|| MappingError::UnknownColumn(col.to_string(), headers.join(", ")))?;
            columns[position] = ty;
        }
        // Only the first id column counts.
        let mut seen_id = false;
        for c in columns.iter_mut().filter(|c| **c == ColumnType::Id) {
            if seen_id {
                *c = ColumnType::Ignore;
            }
            seen_id = true;
        }
        let has = |t: ColumnType| columns.contains(&t);
        if !has(ColumnType::Name) && !has(ColumnType::FirstName) && !has(ColumnType::LastName) {
            return Err(MappingError::NoName(headers.join(", ")));
        }
        let kind = kind.unwrap_or_else(|| {
            let person_name_header = headers
                .iter()
                .zip(&columns)
                .any(|(h, c)| *c == ColumnType::Name && canonical(h) == "姓名");
            let person_columns = has(ColumnType::FirstName)
                || has(ColumnType::LastName)
                || has(ColumnType::BirthDate)
                || has(ColumnType::IdNumber)
                || person_name_header;
            let company_columns = has(ColumnType::CreditCode)
                || has(ColumnType::Website)
                || has(ColumnType::Industry);
            if person_columns && !company_columns {
                CustomerKind::Person
            } else {
                CustomerKind::Company
            }
        });
        Ok(Mapping { columns, kind })
    }

    /// Where the row comes from in the system it was exported from: who owns it, who entered
    /// it, when, and in which team, as typed (empty cells are `None`).
    pub fn origin<'r>(&self, row: &'r [String]) -> RowOrigin<'r> {
        let first = |ty: ColumnType| {
            self.columns
                .iter()
                .enumerate()
                .filter(|(_, t)| **t == ty)
                .find_map(|(i, _)| row.get(i).map(|s| s.trim()).filter(|s| !s.is_empty()))
        };
        RowOrigin {
            owner: first(ColumnType::Owner),
            creator: first(ColumnType::Creator),
            created_at: first(ColumnType::CreatedAt),
            team: first(ColumnType::Team),
        }
    }

    /// Whether the file says who owns its rows (an owner or creator column).
    pub fn has_owners(&self) -> bool {
        self.columns
            .iter()
            .any(|c| matches!(c, ColumnType::Owner | ColumnType::Creator))
    }

    /// Position of the id column, if any.
    pub fn id_column(&self) -> Option<usize> {
        self.columns.iter().position(|c| *c == ColumnType::Id)
    }

    /// The column (0-based) that a field path of [`Mapping::record`]'s result came from:
    /// `phones[1]` is the second non-empty phone cell of the row.
    pub fn column_of(&self, row: &[String], field: &str) -> Option<usize> {
        let (name, index) = match field.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()?),
            None => (field, 0),
        };
        let ty = match name {
            "phones" => ColumnType::Phone,
            "emails" => ColumnType::Email,
            "website" => ColumnType::Website,
            "credit_code" => ColumnType::CreditCode,
            "birth_date" => ColumnType::BirthDate,
            "id_number" => ColumnType::IdNumber,
            "postcode" => ColumnType::Postcode,
            "name" => ColumnType::Name,
            "address" => ColumnType::Address,
            "owner" => ColumnType::Owner,
            "created_at" => ColumnType::CreatedAt,
            "team" => ColumnType::Team,
            _ => return None,
        };
        self.columns
            .iter()
            .enumerate()
            .filter(|(i, t)| **t == ty && row.get(*i).is_some_and(|c| !c.trim().is_empty()))
            .nth(index)
            .map(|(i, _)| i)
    }

    /// The record in `row` (cells by column position).
    pub fn record(&self, row: &[String]) -> CustomerFields {
        let cell = |i: usize| row.get(i).map(|s| s.trim()).unwrap_or("");
        let mut f = CustomerFields {
            kind: self.kind,
            ..Default::default()
        };
        let (mut first, mut last, mut address) = (String::new(), String::new(), Vec::new());
        let join = |slot: &mut Option<String>, v: &str| {
            *slot = Some(match slot.take() {
                Some(s) => format!("{s} {v}"),
                None => v.to_string(),
            })
        };
        for (i, ty) in self.columns.iter().enumerate() {
            let v = cell(i);
            if v.is_empty() {
                continue;
            }
            match ty {
                ColumnType::Name if f.name.is_empty() => f.name = v.to_string(),
                ColumnType::Name => f.name = format!("{} {v}", f.name),
                ColumnType::Phone => f.phones.push(v.to_string()),
                ColumnType::Email => f.emails.push(v.to_string()),
                ColumnType::Website => f.website = Some(v.to_string()),
                ColumnType::CreditCode => f.credit_code = Some(v.to_string()),
                ColumnType::Address => address.push(v.to_string()),
                ColumnType::Contact => f.contacts.push(Contact {
                    name: v.to_string(),
                    ..Default::default()
                }),
                ColumnType::FirstName => first = v.to_string(),
                ColumnType::LastName => last = v.to_string(),
                ColumnType::BirthDate => f.birth_date = Some(v.to_string()),
                ColumnType::Postcode => f.postcode = Some(v.to_string()),
                ColumnType::IdNumber => f.id_number = Some(v.to_string()),
                ColumnType::Province => join(&mut f.province, v),
                ColumnType::City => join(&mut f.city, v),
                ColumnType::Industry => f.industry = Some(v.to_string()),
                ColumnType::Source => f.source = Some(v.to_string()),
                ColumnType::Size => f.size = Some(v.to_string()),
                ColumnType::Note => join_lines(&mut f.note, v),
                ColumnType::Id => f.external_id = Some(v.to_string()),
                ColumnType::Owner
                | ColumnType::Creator
                | ColumnType::CreatedAt
                | ColumnType::Team
                | ColumnType::Ignore => {}
            }
        }
        if f.name.is_empty() && !(first.is_empty() && last.is_empty()) {
            let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            f.name = if cjk(&first) || cjk(&last) {
                format!("{last}{first}")
            } else {
                format!("{first} {last}").trim().to_string()
            };
        }
        if !address.is_empty() {
            f.address = Some(address.join(" "));
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chinese_and_english_headers() {
        let m = Mapping::new(
            &h(&[
                "客户编号",
                "客户名称",
                "电话",
                "手机",
                "邮箱",
                "统一社会信用代码",
                "备注",
            ]),
            &[],
            None,
        )
        .unwrap();
        use ColumnType::*;
        assert_eq!(
            m.columns,
            vec![Id, Name, Phone, Phone, Email, CreditCode, Note]
        );
        assert_eq!(m.kind, CustomerKind::Company);
        // 悟空CRM's import template: required columns marked with *, examples after 例.
        let m = Mapping::new(
            &h(&["*客户名称", "客户行业", "手机(*)", "备注-例:老客户介绍"]),
            &[],
            None,
        )
        .unwrap();
        assert_eq!(m.columns, vec![Name, Industry, Phone, Note]);
        let m = Mapping::new(
            &h(&[
                "rec_id",
                "given_name",
                "surname",
                "date_of_birth",
                "soc_sec_id",
                "postcode",
            ]),
            &[],
            None,
        )
        .unwrap();
        assert_eq!(
            m.columns,
            vec![Id, FirstName, LastName, BirthDate, IdNumber, Postcode]
        );
        assert_eq!(m.kind, CustomerKind::Person);
        let r = m.record(&h(&[
            "rec-1", "john", "smith", "19800102", "1234567", "2600",
        ]));
        assert_eq!(r.name, "john smith");
        assert_eq!(r.birth_date.as_deref(), Some("19800102"));
        let m = Mapping::new(&h(&["姓名", "手机", "身份证号"]), &[], None).unwrap();
        assert_eq!(m.kind, CustomerKind::Person);
    }

    #[test]
    fn overrides_and_errors() {
        let m = Mapping::new(
            &h(&["a", "b", "c"]),
            &["a=name".into(), "3=phone".into()],
            None,
        )
        .unwrap();
        assert_eq!(
            m.columns,
            vec![ColumnType::Name, ColumnType::Ignore, ColumnType::Phone]
        );
        assert!(matches!(
            Mapping::new(&h(&["a"]), &[], None),
            Err(MappingError::NoName(_))
        ));
        assert!(matches!(
            Mapping::new(&h(&["a"]), &["zz=name".into()], None),
            Err(MappingError::UnknownColumn(..))
        ));
        assert!(matches!(
            Mapping::new(&h(&["a"]), &["a=blah".into()], None),
            Err(MappingError::UnknownType(_))
        ));
        assert!(matches!(
            Mapping::new(&h(&["a"]), &["a".into()], None),
            Err(MappingError::Syntax(_))
        ));
    }
}
