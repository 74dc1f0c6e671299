//! Moving a team from another CRM: where each row of an export comes from. Its owner there
//! (负责人, a username or a display name here), when it was entered there (创建时间, the
//! first-come evidence) and its team. Rows are entered earliest first, so that of several rows
//! of one company given to different reps the earliest entry keeps it and the others open
//! collision cases. A value that cannot be used (an unknown owner, a date that is none) costs
//! nothing: the row goes to the default owner, the value is kept in its note, and its result
//! says so.

use std::collections::HashMap;

use leadguard_domain::Timestamp;
use leadguard_domain::customer::FieldError;
use leadguard_domain::user::User;
use leadguard_tabular::{Mapping, parse_time};

use crate::bulk::{Placement, RowPlan};

impl crate::Service {
    /// Of `users`, those who own more customers than their cap (after a migration that
    /// ignored it): username, customers owned, cap.
    pub async fn owners_over_cap(
        &self,
        users: &std::collections::BTreeSet<leadguard_domain::Id>,
    ) -> crate::Result<Vec<(String, u64, u32)>> {
        let mut conn = self.store.read().await?;
        let mut exec = conn.exec();
        let mut out = Vec::new();
        for &id in users {
            let Some(user) = exec.user_by_id(id).await? else {
                continue;
            };
            let policy = self.policy_for_user(&mut exec, &user).await?;
            let cap = leadguard_domain::ownership::effective_cap(&user, policy.owner_cap);
            let owned = exec.count_owned(id, u32::MAX).await?;
            if owned > u64::from(cap) {
                out.push((user.username, owned, cap));
            }
        }
        Ok(out)
    }
}

/// Who owns the rows a file does not give to anyone (every row, when it names no owners).
#[derive(Debug, Clone)]
pub enum DefaultOwner {
    /// This rep.
    Rep(User),
    /// The public pool.
    Pool,
    /// The assignment rules, as for an inbound lead.
    Assign,
}

impl DefaultOwner {
    fn describe(&self) -> String {
        match self {
            DefaultOwner::Rep(u) => u.username.clone(),
            DefaultOwner::Pool => "the public pool".into(),
            DefaultOwner::Assign => "the assignment rules".into(),
        }
    }
}

/// How a file is imported.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Who runs the import: the creator of the rows that go to the pool or the rules.
    pub actor: User,
    pub default: DefaultOwner,
    /// A row may take its owner over their cap (an admin's migration); the summary lists who
    /// ends up over it.
    pub ignore_cap: bool,
    /// A migration run by an administrator (or with the database's own access, the CLI): the
    /// file may name any owner, and its entry times are the first-come evidence. Otherwise
    /// it may name only the actor and the reps they manage, and its entry times are kept in
    /// the note (a rep may not date their own entries back).
    pub migration: bool,
}

impl ImportOptions {
    /// Every row to `owner`, within their cap: a file of one's own customers.
    pub fn owned_by(owner: User) -> ImportOptions {
        ImportOptions {
            actor: owner.clone(),
            default: DefaultOwner::Rep(owner),
            ignore_cap: false,
            migration: false,
        }
    }
}

/// Where one row comes from.
#[derive(Debug, Clone, Default)]
pub(crate) struct RowSource {
    /// Its owner named by the file, among the users.
    owner: Option<usize>,
    entered_at: Option<Timestamp>,
    /// Values of the origin columns that could not be used, each kept in the note.
    pub(crate) warnings: Vec<FieldError>,
    pub(crate) note: Vec<String>,
}

/// The origin of every row of a file, and the order to enter them in.
pub(crate) struct Origins {
    users: Vec<User>,
    sources: Vec<RowSource>,
    /// File rows (0-based) in the order they are entered: by entry time, earliest first
    /// (rows without one last), else as in the file.
    pub(crate) order: Vec<usize>,
}

/// Times after this are no entry time: a typo, or a clock that was wrong.
const FUTURE_SLACK_DAYS: i64 = 1;

impl Origins {
    /// Rows as in the file, owned as the options say.
    pub(crate) fn plain(rows: usize) -> Origins {
        Origins {
            users: Vec::new(),
            sources: vec![RowSource::default(); rows],
            order: (0..rows).collect(),
        }
    }

    /// Reads the owner, creator, entry time and team columns of `rows`; `users`: everyone
    /// who may be named as an owner.
    pub(crate) fn read(
        mapping: &Mapping,
        rows: &[Vec<String>],
        users: Vec<User>,
        options: &ImportOptions,
        now: Timestamp,
    ) -> Origins {
        let default = &options.default;
        // Those the importer may give customers to.
        let users: Vec<User> = users
            .into_iter()
            .filter(|u| options.migration || u.id == options.actor.id || options.actor.manages(u))
            .collect();
        let names = UserNames::new(&users);
        let latest = now + chrono::Duration::days(FUTURE_SLACK_DAYS);
        let sources: Vec<RowSource> = rows
            .iter()
            .map(|cells| {
                let origin = mapping.origin(cells);
                let mut s = RowSource::default();
                if let Some(name) = origin.owner.or(origin.creator) {
                    let field = if origin.owner.is_some() {
                        "owner"
                    } else {
                        "creator"
                    };
                    match names.find(&users, name, origin.team) {
                        Ok(i) => s.owner = Some(i),
                        Err(why) => {
                            s.warnings.push(FieldError::new(
                                field,
                                "unknown_owner",
                                format!(
                                    "{why}; the row goes to {}, and the name is kept in the note",
                                    default.describe()
                                ),
                            ));
                            s.note.push(format!("原负责人：{name}"));
                            if let Some(team) = origin.team {
                                s.note.push(format!("原部门：{team}"));
                            }
                        }
                    }
                }
                if let Some(raw) = origin.created_at {
                    if !options.migration {
                        s.note.push(format!("原创建时间：{raw}"));
                    } else {
                        match parse_time(raw) {
                        Ok(t) if t <= latest => s.entered_at = Some(t),
                        Ok(_) => {
                            s.warnings.push(FieldError::new(
                                "created_at",
                                "future_time",
                                format!(
                                    "`{raw}` is in the future: the row is entered now, and the time is kept in the note"
                                ),
                            ));
                            s.note.push(format!("原创建时间：{raw}"));
                        }
                        Err(e) => {
                            s.warnings.push(FieldError::new(
                                "created_at",
                                "invalid_time",
                                format!("{e}; the row is entered now, and the value is kept in the note"),
                            ));
                            s.note.push(format!("原创建时间：{raw}"));
                        }
                    }
                    }
                }
                s
            })
            .collect();
        let mut order: Vec<usize> = (0..rows.len()).collect();
        // Earliest first; a stable sort keeps the file's order among equal times.
        order.sort_by_key(|&i| match sources[i].entered_at {
            Some(t) => (false, t),
            None => (true, Timestamp::MIN_UTC),
        });
        Origins {
            users,
            sources,
            order,
        }
    }

    /// The id of the user called `username` among those a row may go to.
    pub(crate) fn user(&self, username: &str) -> Option<leadguard_domain::Id> {
        self.users
            .iter()
            .find(|u| u.username == username)
            .map(|u| u.id)
    }

    /// Where file row `row` (0-based) comes from.
    pub(crate) fn source(&self, row: usize) -> &RowSource {
        &self.sources[row]
    }

    /// How file row `row` (0-based) is entered.
    pub(crate) fn plan<'u>(&'u self, options: &'u ImportOptions, row: usize) -> RowPlan<'u> {
        let s = &self.sources[row];
        let (entrant, placement, claimed) = match s.owner.map(|i| &self.users[i]) {
            Some(u) => (u, Placement::Owner(u), true),
            None => match &options.default {
                DefaultOwner::Rep(u) => (u, Placement::Owner(u), false),
                DefaultOwner::Pool => (&options.actor, Placement::Pool, false),
                DefaultOwner::Assign => (&options.actor, Placement::Assign, false),
            },
        };
        RowPlan {
            entrant,
            placement,
            entered_at: s.entered_at,
            claimed,
            ignore_cap: options.ignore_cap,
        }
    }
}

/// Users by the names a file may give them: username (any case), or display name when only
/// one user has it (or one in the row's team).
struct UserNames {
    by_username: HashMap<String, usize>,
    by_display: HashMap<String, Vec<usize>>,
}

impl UserNames {
    fn new(users: &[User]) -> UserNames {
        let mut by_username = HashMap::new();
        let mut by_display: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, u) in users.iter().enumerate() {
            by_username.insert(u.username.to_lowercase(), i);
            by_display
                .entry(u.display_name.trim().to_string())
                .or_default()
                .push(i);
        }
        UserNames {
            by_username,
            by_display,
        }
    }

    /// The active user `name` names, or why there is none.
    fn find(&self, users: &[User], name: &str, team: Option<&str>) -> Result<usize, String> {
        let name = name.trim();
        let found = match self.by_username.get(&name.to_lowercase()) {
            Some(&i) => i,
            None => {
                let same: &[usize] = self.by_display.get(name).map_or(&[], Vec::as_slice);
                match same {
                    [] => return Err(format!("`{name}` is not a user (username or display name)")),
                    [i] => *i,
                    many => {
                        let in_team: Vec<usize> = many
                            .iter()
                            .copied()
                            .filter(|&i| team.is_some() && users[i].team.as_deref() == team)
                            .collect();
                        match in_team.as_slice() {
                            [i] => *i,
                            _ => {
                                return Err(format!(
                                    "{} users are called `{name}`: write the username",
                                    many.len()
                                ));
                            }
                        }
                    }
                }
            }
        };
        if users[found].active {
            Ok(found)
        } else {
            Err(format!("`{name}` is deactivated"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadguard_domain::user::Role;

    fn user(id: i64, username: &str, display: &str, team: Option<&str>) -> User {
        User {
            id,
            username: username.into(),
            display_name: display.into(),
            role: Role::Rep,
            team: team.map(str::to_string),
            owner_cap: None,
            active: true,
            on_leave: false,
        }
    }

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn owners_by_username_or_display_name_and_rows_earliest_first() {
        let users = vec![
            user(1, "wangfang", "王芳", Some("华东")),
            user(2, "liwei", "李伟", Some("华东")),
            user(3, "liwei2", "李伟", Some("华南")),
        ];
        let headers = h(&["客户名称", "负责人", "所属部门", "创建时间"]);
        let mapping = Mapping::new(&headers, &[], None).expect("mapping");
        let rows = vec![
            h(&["北京百度网讯科技有限公司", "王芳", "", "2021-03-01 09:00"]),
            h(&["华为技术有限公司", "WANGFANG", "", "2019/7/15"]),
            h(&["小米科技有限责任公司", "李伟", "华南", "2020年5月1日"]),
            h(&["深圳市腾讯计算机系统有限公司", "李伟", "", "昨天"]),
            h(&["阿里巴巴（中国）有限公司", "张三", "华北", ""]),
        ];
        let now = parse_time("2026-12-01").expect("now");
        let admin = User {
            role: Role::Admin,
            ..user(9, "admin", "管理员", None)
        };
        let options = ImportOptions {
            actor: admin,
            default: DefaultOwner::Pool,
            ignore_cap: false,
            migration: true,
        };
        let o = Origins::read(&mapping, &rows, users, &options, now);
        assert_eq!(o.order, vec![1, 2, 0, 3, 4]);
        let owner = |row: usize| o.sources[row].owner.map(|i| o.users[i].username.as_str());
        assert_eq!(owner(0), Some("wangfang"));
        assert_eq!(owner(1), Some("wangfang"));
        assert_eq!(
            owner(2),
            Some("liwei2"),
            "the team tells the two 李伟 apart"
        );
        assert_eq!(owner(3), None, "two 李伟 and no team");
        assert_eq!(
            o.sources[3].warnings.len(),
            2,
            "{:?}",
            o.sources[3].warnings
        );
        assert_eq!(
            o.sources[3].note,
            vec!["原负责人：李伟", "原创建时间：昨天"]
        );
        assert_eq!(owner(4), None);
        assert_eq!(o.sources[4].note, vec!["原负责人：张三", "原部门：华北"]);
        assert_eq!(
            o.sources[1].entered_at,
            Some(parse_time("2019-07-15 00:00").expect("t"))
        );
    }
}
