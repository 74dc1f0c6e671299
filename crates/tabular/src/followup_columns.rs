//! Follow-up history files (跟进记录) as other CRMs export them: which column holds what,
//! recognized from the header (悟空CRM, CordysCRM, Salesforce, HubSpot, spreadsheets) or given
//! as `col=field`, and a row's cells picked out by meaning.

use crate::columns::canonical;

/// What a column of a follow-up file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowupColumn {
    /// The customer's record id in the previous CRM (客户编号, Account ID).
    CustomerId,
    /// The customer's name (所属客户, Account Name).
    CustomerName,
    /// A phone of the customer.
    Phone,
    /// The customer's 统一社会信用代码.
    CreditCode,
    /// When it happened (跟进时间, Activity Date).
    Time,
    /// Who wrote it (跟进人, Assigned To): a username or display name.
    Author,
    /// Call, visit, message… (跟进方式, Type).
    Kind,
    /// What happened (跟进内容, Subject, Description); several note columns are joined.
    Note,
    Ignore,
}

/// (type, spellings), the preferred spelling first: where a file has two columns of one type
/// (跟进时间 and 创建时间), a row takes the value of the better-ranked one that is not empty.
/// Headers are compared as [`canonical`] makes them (lower case, no spaces or punctuation).
const HEADERS: &[(FollowupColumn, &[&str])] = &[
    (
        FollowupColumn::CustomerId,
        &[
            "客户编号",
            "客户id",
            "客户编码",
            "客户代码",
            "所属客户id",
            "所属客户编号",
            "accountid",
            "companyid",
            "customerid",
            "associatedcompanyid",
            "recordid",
            "id",
        ],
    ),
    (
        FollowupColumn::CustomerName,
        &[
            "所属客户",
            "客户名称",
            "关联客户",
            "相关客户",
            "客户",
            "客户名",
            "公司名称",
            "企业名称",
            "单位名称",
            "公司",
            "accountname",
            "companyname",
            "company",
            "account",
            "customername",
            "customer",
            "associatedcompany",
            "relatedto",
        ],
    ),
    (
        FollowupColumn::Phone,
        &[
            "电话",
            "手机",
            "联系电话",
            "手机号",
            "手机号码",
            "电话号码",
            "客户电话",
            "座机",
            "phone",
            "mobile",
            "phonenumber",
            "tel",
            "telephone",
        ],
    ),
    (
        FollowupColumn::CreditCode,
        &[
            "统一社会信用代码",
            "信用代码",
            "社会信用代码",
            "creditcode",
            "uscc",
        ],
    ),
    (
        FollowupColumn::Time,
        &[
            "跟进时间",
            "跟进日期",
            "沟通时间",
            "拜访时间",
            "记录时间",
            "时间",
            "日期",
            "activitydate",
            "activitydatetime",
            "date",
            "timestamp",
            "创建时间",
            "createddate",
            "createdate",
            "createdat",
        ],
    ),
    (
        FollowupColumn::Author,
        &[
            "跟进人",
            "跟进销售",
            "记录人",
            "创建人",
            "销售",
            "销售人员",
            "业务员",
            "负责人",
            "activityassignedto",
            "assignedto",
            "createdby",
            "owner",
            "ownername",
            "activityowner",
            "hubspotowner",
        ],
    ),
    (
        FollowupColumn::Kind,
        &[
            "跟进方式",
            "跟进类型",
            "跟进形式",
            "沟通方式",
            "方式",
            "类型",
            "activitytype",
            "type",
            "tasktype",
            "engagementtype",
        ],
    ),
    (
        FollowupColumn::Note,
        &[
            "跟进内容",
            "跟进记录",
            "沟通内容",
            "内容",
            "记录",
            "详情",
            "备注",
            "subject",
            "notes",
            "note",
            "notebody",
            "body",
            "description",
            "comments",
            "comment",
        ],
    ),
];

impl FollowupColumn {
    /// The type of a column from its header, with its rank among that type's spellings (0:
    /// the preferred one).
    pub fn recognize(header: &str) -> Option<(FollowupColumn, usize)> {
        let h = canonical(header);
        HEADERS.iter().find_map(|(t, names)| {
            names
                .iter()
                .position(|n| *n == h.as_str())
                .map(|rank| (*t, rank))
        })
    }

    /// The field named in `--mapping col=field`.
    pub fn parse(name: &str) -> Option<FollowupColumn> {
        let t = match canonical(name).as_str() {
            "customerid" | "legacyid" | "externalid" | "id" | "accountid" => {
                FollowupColumn::CustomerId
            }
            "customer" | "customername" | "name" | "company" | "account" => {
                FollowupColumn::CustomerName
            }
            "phone" | "mobile" | "tel" => FollowupColumn::Phone,
            "creditcode" | "uscc" => FollowupColumn::CreditCode,
            "time" | "date" | "at" => FollowupColumn::Time,
            "author" | "owner" | "user" => FollowupColumn::Author,
            "kind" | "type" => FollowupColumn::Kind,
            "note" | "content" | "notes" | "subject" | "description" => FollowupColumn::Note,
            "ignore" | "skip" => FollowupColumn::Ignore,
            _ => return None,
        };
        Some(t)
    }

    pub const NAMES: &'static str =
        "customer_id, customer (name), phone, credit_code, time, author, kind, note, ignore";
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FollowupMappingError {
    #[error("--mapping: “{0}” is not col=field")]
    Syntax(String),
    #[error("--mapping: no column named “{0}” (the header has: {1})")]
    UnknownColumn(String, String),
    #[error("--mapping: unknown field “{0}”; use one of {fields}", fields = FollowupColumn::NAMES)]
    UnknownField(String),
    #[error(
        "no column names the customer (客户编号/所属客户/客户名称/电话/统一社会信用代码, Account ID/Account Name/Company/Phone): name one with --mapping COLUMN=customer; the header has: {0}"
    )]
    NoCustomer(String),
}

/// One cell of a row picked for a field: its value and its column (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub column: usize,
    pub value: String,
}

/// A row's cells by meaning; empty cells are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowupCells {
    pub customer_id: Option<Picked>,
    pub customer_name: Option<Picked>,
    pub phone: Option<Picked>,
    pub credit_code: Option<Picked>,
    pub time: Option<Picked>,
    pub author: Option<Picked>,
    pub kind: Option<Picked>,
    /// Every non-empty note cell, in column order (Subject, then Description).
    pub notes: Vec<Picked>,
}

/// Which column of a follow-up file holds what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowupMapping {
    /// Type of each column, by position.
    pub columns: Vec<FollowupColumn>,
    /// Rank of each column among the spellings of its type (0 for columns named explicitly).
    ranks: Vec<usize>,
}

impl FollowupMapping {
    /// Recognizes columns from `headers`, with `overrides` (`col=field`, `col` a header or a
    /// 1-based column number) taking precedence. A file must name its customers somehow.
    pub fn new(
        headers: &[String],
        overrides: &[String],
    ) -> Result<FollowupMapping, FollowupMappingError> {
        let (mut columns, mut ranks): (Vec<_>, Vec<_>) = headers
            .iter()
            .map(|h| FollowupColumn::recognize(h).unwrap_or((FollowupColumn::Ignore, 0)))
            .unzip();
        for o in overrides.iter().filter(|o| !o.trim().is_empty()) {
            let (col, field) = o
                .split_once('=')
                .ok_or_else(|| FollowupMappingError::Syntax(o.clone()))?;
            let ty = FollowupColumn::parse(field)
                .ok_or_else(|| FollowupMappingError::UnknownField(field.trim().to_string()))?;
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
                .ok_or_else(|| {
                    FollowupMappingError::UnknownColumn(col.to_string(), headers.join(", "))
                })?;
            columns[position] = ty;
            ranks[position] = 0;
        }
        let names_customer = columns.iter().any(|c| {
            matches!(
                c,
                FollowupColumn::CustomerId
                    | FollowupColumn::CustomerName
                    | FollowupColumn::Phone
                    | FollowupColumn::CreditCode
            )
        });
        if !names_customer {
            return Err(FollowupMappingError::NoCustomer(headers.join(", ")));
        }
        Ok(FollowupMapping { columns, ranks })
    }

    /// Whether some column holds this field.
    pub fn has(&self, t: FollowupColumn) -> bool {
        self.columns.contains(&t)
    }

    /// The cells of `row` by meaning: for each field the best-ranked non-empty cell (the
    /// leftmost of equal rank), for notes all of them.
    pub fn cells(&self, row: &[String]) -> FollowupCells {
        let mut best: Vec<Option<(usize, Picked)>> = vec![None; 7];
        let mut out = FollowupCells::default();
        for (i, ty) in self.columns.iter().enumerate() {
            let v = row.get(i).map(|s| s.trim()).unwrap_or("");
            if v.is_empty() {
                continue;
            }
            let picked = Picked {
                column: i,
                value: v.to_string(),
            };
            let slot = match ty {
                FollowupColumn::CustomerId => 0,
                FollowupColumn::CustomerName => 1,
                FollowupColumn::Phone => 2,
                FollowupColumn::CreditCode => 3,
                FollowupColumn::Time => 4,
                FollowupColumn::Author => 5,
                FollowupColumn::Kind => 6,
                FollowupColumn::Note => {
                    out.notes.push(picked);
                    continue;
                }
                FollowupColumn::Ignore => continue,
            };
            let rank = self.ranks[i];
            if best[slot].as_ref().is_none_or(|(r, _)| rank < *r) {
                best[slot] = Some((rank, picked));
            }
        }
        let mut take = |i: usize| best[i].take().map(|(_, p)| p);
        out.customer_id = take(0);
        out.customer_name = take(1);
        out.phone = take(2);
        out.credit_code = take(3);
        out.time = take(4);
        out.author = take(5);
        out.kind = take(6);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FollowupColumn::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn wukong_cordys_salesforce_hubspot_headers() {
        // 悟空CRM's 跟进记录 export.
        let m = FollowupMapping::new(
            &h(&["所属客户", "跟进内容", "跟进人", "跟进时间", "跟进方式"]),
            &[],
        )
        .unwrap();
        assert_eq!(m.columns, vec![CustomerName, Note, Author, Time, Kind]);
        // CordysCRM-style, with a template's * and example.
        let m = FollowupMapping::new(
            &h(&[
                "*客户名称",
                "跟进类型",
                "跟进内容(*)",
                "跟进时间-例:2023-05-01",
                "创建人",
                "客户编号",
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(
            m.columns,
            vec![CustomerName, Kind, Note, Time, Author, CustomerId]
        );
        // Salesforce activity export.
        let m = FollowupMapping::new(
            &h(&[
                "Account ID",
                "Account Name",
                "Subject",
                "Activity Date",
                "Assigned To",
                "Type",
                "Comments",
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(
            m.columns,
            vec![CustomerId, CustomerName, Note, Time, Author, Kind, Note]
        );
        // HubSpot.
        let m = FollowupMapping::new(
            &h(&[
                "Record ID",
                "Company name",
                "Activity date",
                "Activity assigned to",
                "Activity type",
                "Note body",
                "Phone Number",
                "统一社会信用代码",
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(
            m.columns,
            vec![
                CustomerId,
                CustomerName,
                Time,
                Author,
                Kind,
                Note,
                Phone,
                CreditCode
            ]
        );
        assert_eq!(FollowupColumn::recognize("客户ID"), Some((CustomerId, 1)));
        assert_eq!(
            FollowupColumn::recognize("Timestamp").map(|x| x.0),
            Some(Time)
        );
        assert_eq!(
            FollowupColumn::recognize("Created By").map(|x| x.0),
            Some(Author)
        );
        assert_eq!(FollowupColumn::recognize("下次联系时间"), None);
    }

    #[test]
    fn a_row_by_meaning() {
        let headers = h(&[
            "创建时间",
            "客户名称",
            "跟进时间",
            "Subject",
            "Description",
            "负责人",
            "跟进人",
            "手机",
        ]);
        let m = FollowupMapping::new(&headers, &[]).unwrap();
        let c = m.cells(&h(&[
            "2024-01-01",
            " 华为技术有限公司 ",
            "2023-05-01 14:30",
            "Call",
            "谈了报价",
            "王五",
            "",
            "13800138000",
        ]));
        assert_eq!(c.customer_name.as_ref().unwrap().value, "华为技术有限公司");
        // 跟进时间 is preferred over 创建时间, wherever it stands.
        assert_eq!(
            c.time,
            Some(Picked {
                column: 2,
                value: "2023-05-01 14:30".into()
            })
        );
        // An empty 跟进人 falls back to 负责人.
        assert_eq!(c.author.as_ref().unwrap().column, 5);
        let notes: Vec<_> = c.notes.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(notes, ["Call", "谈了报价"]);
        assert_eq!(c.phone.unwrap().value, "13800138000");
        assert_eq!(c.customer_id, None);
        // A short row: the missing cells are empty.
        let c = m.cells(&h(&["2024-01-01"]));
        assert_eq!(c.time.unwrap().column, 0);
        assert!(c.customer_name.is_none());
    }

    #[test]
    fn overrides_and_errors() {
        let m = FollowupMapping::new(
            &h(&["公司", "when", "what", "x"]),
            &["when=time".into(), "3=note".into(), "公司=customer".into()],
        )
        .unwrap();
        assert_eq!(m.columns, vec![CustomerName, Time, Note, Ignore]);
        assert!(matches!(
            FollowupMapping::new(&h(&["跟进内容", "跟进时间"]), &[]),
            Err(FollowupMappingError::NoCustomer(_))
        ));
        let m =
            FollowupMapping::new(&h(&["cust", "跟进内容"]), &["cust=customer_id".into()]).unwrap();
        assert_eq!(m.columns, vec![CustomerId, Note]);
        assert!(matches!(
            FollowupMapping::new(&h(&["a"]), &["a=blah".into()]),
            Err(FollowupMappingError::UnknownField(_))
        ));
        assert!(matches!(
            FollowupMapping::new(&h(&["a"]), &["zz=customer".into()]),
            Err(FollowupMappingError::UnknownColumn(..))
        ));
        assert!(matches!(
            FollowupMapping::new(&h(&["a"]), &["a".into()]),
            Err(FollowupMappingError::Syntax(_))
        ));
        let e = FollowupMapping::new(&h(&["a"]), &["a=blah".into()]).unwrap_err();
        assert!(e.to_string().contains("customer_id"), "{e}");
    }
}
