//! Demo data for `leadguard serve --demo`: two teams, a manager and reps in each, an admin, and
//! customers entered through the normal use cases (so the audit log and duplicate keys are
//! real), some with follow-ups, some released to the pool.

use leadguard_domain::customer::{Contact, CustomerFields, CustomerKind};
use leadguard_domain::followup::FollowUpKind;
use leadguard_domain::user::{Role, User};

use crate::Service;
use crate::error::{Result, ServiceError};
use crate::followups::NewFollowUp;
use crate::ownership::ReleaseRequest;
use crate::users::NewUserRequest;

/// Password of every demo user.
pub const DEMO_PASSWORD: &str = "leadguard-demo";

/// (username, display name, role, team)
pub const DEMO_USERS: &[(&str, &str, Role, Option<&str>)] = &[
    ("admin", "系统管理员", Role::Admin, None),
    ("wangfang", "王芳", Role::Manager, Some("华东销售部")),
    ("zhangsan", "张三", Role::Rep, Some("华东销售部")),
    ("lisi", "李四", Role::Rep, Some("华东销售部")),
    ("chenjing", "陈静", Role::Manager, Some("华南销售部")),
    ("zhaolei", "赵磊", Role::Rep, Some("华南销售部")),
    ("liuyang", "刘洋", Role::Rep, Some("华南销售部")),
];

struct DemoCustomer {
    rep: &'static str,
    name: &'static str,
    phones: &'static [&'static str],
    email: Option<&'static str>,
    website: Option<&'static str>,
    address: &'static str,
    industry: &'static str,
    size: &'static str,
    source: &'static str,
    contact: (&'static str, &'static str, &'static str),
    followups: &'static [(FollowUpKind, &'static str)],
    /// Released to the pool after entry.
    pool: bool,
}

const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        rep: "zhangsan",
        name: "北京星河互联科技有限公司",
        phones: &["010-6234 5678"],
        email: Some("contact@xinghe-tech.cn"),
        website: Some("www.xinghe-tech.cn"),
        address: "北京市海淀区中关村大街 27 号",
        industry: "软件",
        size: "中型",
        source: "官网",
        contact: ("刘伟", "技术总监", "13801012345"),
        followups: &[
            (
                FollowUpKind::Call,
                "电话沟通需求，对查重模块感兴趣，约下周演示。",
            ),
            (
                FollowUpKind::Visit,
                "上门演示，客户技术团队参加，反馈良好。",
            ),
        ],
        pool: false,
    },
    DemoCustomer {
        rep: "zhangsan",
        name: "上海云帆数据服务有限公司",
        phones: &["021-5088 1234"],
        email: Some("sales@yunfan-data.com"),
        website: Some("https://yunfan-data.com"),
        address: "上海市浦东新区张江路 88 号",
        industry: "数据服务",
        size: "中型",
        source: "展会",
        contact: ("周敏", "采购经理", "13916012345"),
        followups: &[(FollowUpKind::Meeting, "展会后会面，索取报价单。")],
        pool: false,
    },
    DemoCustomer {
        rep: "lisi",
        name: "杭州青禾电子商务有限公司",
        phones: &["0571-8765 4321", "13757112345"],
        email: Some("hr@qinghe-ec.com"),
        website: Some("qinghe-ec.com"),
        address: "浙江省杭州市余杭区文一西路 969 号",
        industry: "电子商务",
        size: "小型",
        source: "转介绍",
        contact: ("吴佳", "运营负责人", "13757112345"),
        followups: &[(FollowUpKind::Message, "微信发送产品资料。")],
        pool: false,
    },
    DemoCustomer {
        rep: "lisi",
        name: "南京智远教育科技有限公司",
        phones: &["025-8332 1188"],
        email: None,
        website: Some("www.zhiyuan-edu.cn"),
        address: "江苏省南京市鼓楼区中山路 18 号",
        industry: "教育科技",
        size: "小型",
        source: "电话营销",
        contact: ("郑涛", "校长助理", "13851712345"),
        followups: &[],
        pool: true,
    },
    DemoCustomer {
        rep: "lisi",
        name: "苏州博瑞精密机械有限公司",
        phones: &["0512-6258 7788"],
        email: Some("info@borui-precision.com"),
        website: None,
        address: "江苏省苏州市工业园区星湖街 328 号",
        industry: "机械制造",
        size: "大型",
        source: "展会",
        contact: ("孙强", "设备部经理", "13962112345"),
        followups: &[(FollowUpKind::Call, "确认预算在三季度审批。")],
        pool: false,
    },
    DemoCustomer {
        rep: "zhangsan",
        name: "合肥启明新能源有限公司",
        phones: &["0551-6288 9900"],
        email: None,
        website: Some("qiming-energy.com"),
        address: "安徽省合肥市高新区望江西路 800 号",
        industry: "新能源",
        size: "中型",
        source: "官网",
        contact: ("何静", "总经理秘书", "13805512345"),
        followups: &[],
        pool: true,
    },
    DemoCustomer {
        rep: "zhangsan",
        name: "宁波甬江化工有限公司",
        phones: &["0574-8766 5432"],
        email: Some("purchase@yongjiang-chem.com"),
        website: None,
        address: "浙江省宁波市北仑区新契路 66 号",
        industry: "化工",
        size: "大型",
        source: "转介绍",
        contact: ("陈刚", "采购总监", "13905742345"),
        followups: &[(FollowUpKind::Email, "发送合同草案。")],
        pool: false,
    },
    DemoCustomer {
        rep: "zhaolei",
        name: "深圳市恒通物流有限公司",
        phones: &["0755-2688 1234"],
        email: Some("service@hengtong-logistics.com"),
        website: Some("www.hengtong-logistics.com"),
        address: "广东省深圳市南山区科技园南区 12 栋",
        industry: "物流",
        size: "大型",
        source: "官网",
        contact: ("黄磊", "信息部经理", "13823712345"),
        followups: &[
            (FollowUpKind::Call, "初次电话，客户正在评估三家供应商。"),
            (FollowUpKind::Visit, "拜访信息部，演示分配规则。"),
        ],
        pool: false,
    },
    DemoCustomer {
        rep: "zhaolei",
        name: "广州市百味餐饮管理有限公司",
        phones: &["020-3888 6677"],
        email: None,
        website: None,
        address: "广东省广州市天河区体育西路 101 号",
        industry: "餐饮管理",
        size: "中型",
        source: "地推",
        contact: ("林芳", "店长", "13926012345"),
        followups: &[],
        pool: false,
    },
    DemoCustomer {
        rep: "liuyang",
        name: "东莞华盛电子有限公司",
        phones: &["0769-2288 3344"],
        email: Some("sales@huasheng-elec.com"),
        website: Some("huasheng-elec.com"),
        address: "广东省东莞市松山湖高新区工业东路 8 号",
        industry: "电子",
        size: "大型",
        source: "展会",
        contact: ("梁志", "销售经理", "13829212345"),
        followups: &[(FollowUpKind::Meeting, "参加客户季度供应商大会。")],
        pool: false,
    },
    DemoCustomer {
        rep: "liuyang",
        name: "佛山美居家具有限公司",
        phones: &["0757-8233 1122"],
        email: None,
        website: Some("www.meiju-furniture.com"),
        address: "广东省佛山市顺德区乐从镇家具城",
        industry: "家具",
        size: "中型",
        source: "电话营销",
        contact: ("罗丹", "老板", "13902812345"),
        followups: &[],
        pool: true,
    },
    DemoCustomer {
        rep: "liuyang",
        name: "厦门海韵贸易有限公司",
        phones: &["13806012345"],
        email: Some("haiyun.trade@163.com"),
        website: None,
        address: "福建省厦门市思明区湖滨南路 90 号",
        industry: "贸易",
        size: "小型",
        source: "转介绍",
        contact: ("蔡明", "总经理", "13806012345"),
        followups: &[(FollowUpKind::Note, "客户偏好微信沟通，下午联系。")],
        pool: false,
    },
    DemoCustomer {
        rep: "zhaolei",
        name: "长沙湘江建筑工程有限公司",
        phones: &["0731-8455 6677"],
        email: None,
        website: None,
        address: "湖南省长沙市岳麓区麓谷大道 658 号",
        industry: "建筑工程",
        size: "大型",
        source: "招投标",
        contact: ("彭辉", "项目经理", "13974812345"),
        followups: &[],
        pool: true,
    },
    DemoCustomer {
        rep: "lisi",
        name: "成都天府文化传媒有限公司",
        phones: &["028-8666 1234"],
        email: Some("biz@tianfu-media.cn"),
        website: Some("tianfu-media.cn"),
        address: "四川省成都市高新区天府大道北段 1700 号",
        industry: "文化传媒",
        size: "小型",
        source: "官网",
        contact: ("杨雪", "市场总监", "13882012345"),
        followups: &[(FollowUpKind::Call, "询问年度框架合作。")],
        pool: false,
    },
];

const PERSONS: &[(&str, &str, &str, &str)] = &[
    (
        "zhangsan",
        "王小明",
        "13611112222",
        "上海市徐汇区漕溪北路 333 号",
    ),
    (
        "zhaolei",
        "陈美玲",
        "13522223333",
        "广东省深圳市福田区深南大道 6008 号",
    ),
];

fn demo_err(e: ServiceError, what: &str) -> ServiceError {
    ServiceError::Internal(format!("demo data: {what}: {e}"))
}

impl Service {
    /// Loads the demo data unless the demo admin already exists. Returns whether it loaded.
    pub async fn load_demo(&self) -> Result<bool> {
        {
            let mut conn = self.store.read().await?;
            if conn.exec().user_by_username("admin").await?.is_some() {
                return Ok(false);
            }
        }
        let mut users: Vec<User> = Vec::new();
        for (username, display, role, team) in DEMO_USERS {
            let u = self
                .create_user(
                    None,
                    NewUserRequest {
                        username: username.to_string(),
                        password: DEMO_PASSWORD.to_string(),
                        role: *role,
                        display_name: Some(display.to_string()),
                        team: team.map(str::to_string),
                        owner_cap: if *role == Role::Rep { Some(50) } else { None },
                    },
                    true,
                )
                .await
                .map_err(|e| demo_err(e, username))?;
            users.push(u);
        }
        let user = |name: &str| users.iter().find(|u| u.username == name).cloned();
        for c in CUSTOMERS {
            let rep = user(c.rep)
                .ok_or_else(|| ServiceError::Internal(format!("demo rep {} missing", c.rep)))?;
            let fields = CustomerFields {
                kind: CustomerKind::Company,
                name: c.name.to_string(),
                phones: c.phones.iter().map(|p| p.to_string()).collect(),
                emails: c.email.map(|e| vec![e.to_string()]).unwrap_or_default(),
                website: c.website.map(str::to_string),
                address: Some(c.address.to_string()),
                industry: Some(c.industry.to_string()),
                size: Some(c.size.to_string()),
                source: Some(c.source.to_string()),
                contacts: vec![Contact {
                    name: c.contact.0.to_string(),
                    title: Some(c.contact.1.to_string()),
                    phones: vec![c.contact.2.to_string()],
                    emails: Vec::new(),
                }],
                ..Default::default()
            };
            let created = self
                .create_customer(&rep, fields)
                .await
                .map_err(|e| demo_err(e, c.name))?;
            let id = created.customer.id;
            for (kind, note) in c.followups {
                self.add_followup(
                    &rep,
                    id,
                    NewFollowUp {
                        kind: *kind,
                        note: note.to_string(),
                    },
                )
                .await
                .map_err(|e| demo_err(e, c.name))?;
            }
            if c.pool {
                self.release(
                    &rep,
                    id,
                    ReleaseRequest {
                        reason: Some("暂无跟进计划，退回公海".into()),
                    },
                )
                .await
                .map_err(|e| demo_err(e, c.name))?;
            }
        }
        for (rep, name, phone, address) in PERSONS {
            let rep = user(rep)
                .ok_or_else(|| ServiceError::Internal(format!("demo rep {rep} missing")))?;
            let fields = CustomerFields {
                kind: CustomerKind::Person,
                name: name.to_string(),
                phones: vec![phone.to_string()],
                address: Some(address.to_string()),
                source: Some("门店".into()),
                ..Default::default()
            };
            self.create_customer(&rep, fields)
                .await
                .map_err(|e| demo_err(e, name))?;
        }
        Ok(true)
    }
}
