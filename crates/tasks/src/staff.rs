//! 工作人员 Staff: who traces. Adding, changing, leave and return, and `import staff` from CSV or
//! xlsx (姓名 name, 角色 role, 小组 team, 街道 subdistricts, 居委会 committees, 技能 skills,
//! 容量 capacity; several values in one cell separated by 、 or ;).

use std::collections::HashMap;
use std::path::Path;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Statement,
};
use serde::Serialize;
use xunren_registry::ImportError;
use xunren_registry::table::Table;

use crate::code::{StaffRole, StaffStatus, join_list, split_list};
use crate::entity::staff;
use crate::error::{Result, TaskError};
use crate::import::{ColumnMap, ColumnSpec, ProblemLog};

/// A staff member as given (by a form, the CLI or a file row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffInput {
    pub name: String,
    pub role: StaffRole,
    pub team: Option<String>,
    pub subdistricts: Vec<String>,
    pub committees: Vec<String>,
    pub skills: Vec<String>,
    /// Open leads at most.
    pub capacity: i32,
}

/// Changes to a staff member; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct StaffChange {
    pub role: Option<StaffRole>,
    pub team: Option<String>,
    pub subdistricts: Option<Vec<String>>,
    pub committees: Option<Vec<String>>,
    pub skills: Option<Vec<String>>,
    pub capacity: Option<i32>,
}

fn check_capacity(capacity: i32) -> Result<()> {
    if (0..=10_000).contains(&capacity) {
        Ok(())
    } else {
        Err(TaskError::invalid(
            format!("容量须在 0 到 10000 之间，而非 {capacity}"),
            format!("capacity must be between 0 and 10000, not {capacity}"),
        ))
    }
}

/// The staff member named `name`.
pub async fn find_by_name<C: ConnectionTrait>(db: &C, name: &str) -> Result<staff::Model> {
    staff::Entity::find()
        .filter(staff::Column::Name.eq(name.trim()))
        .one(db)
        .await?
        .ok_or_else(|| TaskError::not_found("工作人员", "staff member", name.trim()))
}

/// Adds a staff member, active.
pub async fn add<C: ConnectionTrait>(db: &C, input: &StaffInput) -> Result<staff::Model> {
    check_capacity(input.capacity)?;
    let name = input.name.trim();
    if name.is_empty() {
        return Err(TaskError::invalid("姓名为空", "the name is empty"));
    }
    if staff::Entity::find()
        .filter(staff::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some()
    {
        return Err(TaskError::StaffExists(name.to_string()));
    }
    let now = chrono::Utc::now();
    Ok(staff::ActiveModel {
        name: Set(name.to_string()),
        role: Set(input.role.as_code().to_string()),
        team: Set(input.team.clone()),
        subdistricts: Set(join_list(&input.subdistricts)),
        committees: Set(join_list(&input.committees)),
        skills: Set(join_list(&input.skills)),
        capacity: Set(input.capacity),
        status: Set(StaffStatus::Active.as_code().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Changes the fields given in `change`.
pub async fn change<C: ConnectionTrait>(
    db: &C,
    name: &str,
    change: &StaffChange,
) -> Result<staff::Model> {
    let current = find_by_name(db, name).await?;
    let mut model = staff::ActiveModel {
        id: Set(current.id),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    if let Some(role) = change.role {
        model.role = Set(role.as_code().to_string());
    }
    if let Some(team) = &change.team {
        model.team = Set((!team.trim().is_empty()).then(|| team.trim().to_string()));
    }
    if let Some(values) = &change.subdistricts {
        model.subdistricts = Set(join_list(values));
    }
    if let Some(values) = &change.committees {
        model.committees = Set(join_list(values));
    }
    if let Some(values) = &change.skills {
        model.skills = Set(join_list(values));
    }
    if let Some(capacity) = change.capacity {
        check_capacity(capacity)?;
        model.capacity = Set(capacity);
    }
    Ok(model.update(db).await?)
}

/// What putting someone on leave did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LeaveReport {
    /// Open leads handed to someone else.
    pub reassigned: u64,
    /// Open leads nobody could take (left unassigned for the pool).
    pub unassigned: u64,
}

/// Puts a staff member on leave (请假) and reassigns their open leads by the assignment rules,
/// all in one transaction.
pub async fn put_on_leave(
    db: &DatabaseConnection,
    name: &str,
    actor: &crate::Actor,
) -> Result<LeaveReport> {
    let txn = crate::begin_write(db).await?;
    let member = find_by_name(&txn, name).await?;
    staff::ActiveModel {
        id: Set(member.id),
        status: Set(StaffStatus::OnLeave.as_code().to_string()),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let report = crate::assign::reassign_all_of(&txn, member.id, actor).await?;
    txn.commit().await?;
    Ok(report)
}

/// Brings a staff member back from leave (回岗).
pub async fn put_back<C: ConnectionTrait>(db: &C, name: &str) -> Result<staff::Model> {
    let member = find_by_name(db, name).await?;
    Ok(staff::ActiveModel {
        id: Set(member.id),
        status: Set(StaffStatus::Active.as_code().to_string()),
        updated_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?)
}

/// A staff member as listed, with their load.
#[derive(Clone, Debug, Serialize, FromQueryResult)]
pub struct StaffRow {
    pub id: i32,
    pub name: String,
    pub role: String,
    pub team: Option<String>,
    pub subdistricts: String,
    pub committees: String,
    pub skills: String,
    pub capacity: i32,
    pub status: String,
    /// Open leads assigned now.
    pub open_leads: i64,
}

/// Every staff member with their open leads, by name.
pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<StaffRow>> {
    let sql = "SELECT s.id AS id, s.name AS name, s.role AS role, s.team AS team,
            s.subdistricts AS subdistricts, s.committees AS committees, s.skills AS skills,
            s.capacity AS capacity, s.status AS status,
            (SELECT COUNT(*) FROM leads l WHERE l.assignee_id = s.id AND l.status = 'open') AS open_leads
        FROM staff s ORDER BY s.name";
    Ok(
        StaffRow::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?,
    )
}

const NAME: usize = 0;
const ROLE: usize = 1;
const TEAM: usize = 2;
const SUBDISTRICTS: usize = 3;
const COMMITTEES: usize = 4;
const SKILLS: usize = 5;
const CAPACITY: usize = 6;

const COLUMNS: [ColumnSpec; 7] = [
    ColumnSpec {
        zh: "姓名",
        en: "name",
        required: true,
    },
    ColumnSpec {
        zh: "角色",
        en: "role",
        required: true,
    },
    ColumnSpec {
        zh: "小组",
        en: "team",
        required: false,
    },
    ColumnSpec {
        zh: "街道",
        en: "subdistricts",
        required: false,
    },
    ColumnSpec {
        zh: "居委会",
        en: "committees",
        required: false,
    },
    ColumnSpec {
        zh: "技能",
        en: "skills",
        required: false,
    },
    ColumnSpec {
        zh: "容量",
        en: "capacity",
        required: true,
    },
];

/// What a staff import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StaffImportReport {
    pub file: String,
    pub rows: u64,
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub unknown_columns: Vec<String>,
    pub dry_run: bool,
}

/// Imports staff from `path` (CSV or xlsx), all or nothing: a staff member is identified by name;
/// a known name is updated (status is kept), a new one added as active.
pub async fn import_staff(
    db: &DatabaseConnection,
    path: &Path,
    sheet: Option<&str>,
    dry_run: bool,
) -> Result<StaffImportReport, ImportError> {
    let mut table = Table::open(path, sheet)?;
    let file = table.file_name().to_string();
    let columns = ColumnMap::new(&file, table.headers(), &COLUMNS, &[])?;
    let mut problems = ProblemLog::default();
    let mut inputs: Vec<StaffInput> = Vec::new();
    let mut first_row: HashMap<String, u64> = HashMap::new();
    let mut rows = 0;
    while let Some(row) = table.next_row() {
        let row = row?;
        rows += 1;
        let n = row.number;
        let name = columns.get(&row, NAME).map(str::to_string);
        let role = match columns.get(&row, ROLE) {
            Some(text) => match StaffRole::parse(text) {
                Ok(role) => Some(role),
                Err(e) => {
                    problems.push(n, Some(columns.header(ROLE)), e.to_string());
                    None
                }
            },
            None => {
                problems.push(
                    n,
                    Some(columns.header(ROLE)),
                    "角色为空 / the role is empty",
                );
                None
            }
        };
        let capacity = match columns.get(&row, CAPACITY).map(|t| t.parse::<i32>()) {
            Some(Ok(c)) if (0..=10_000).contains(&c) => Some(c),
            Some(_) => {
                problems.push(
                    n,
                    Some(columns.header(CAPACITY)),
                    "容量须为 0 到 10000 的整数 / capacity must be a whole number from 0 to 10000",
                );
                None
            }
            None => {
                problems.push(
                    n,
                    Some(columns.header(CAPACITY)),
                    "容量为空 / the capacity is empty",
                );
                None
            }
        };
        let Some(name) = name else {
            problems.push(
                n,
                Some(columns.header(NAME)),
                "姓名为空 / the name is empty",
            );
            continue;
        };
        if let Some(first) = first_row.get(&name) {
            problems.push(
                n,
                Some(columns.header(NAME)),
                format!("与第 {first} 行重名 / same name as row {first}"),
            );
            continue;
        }
        first_row.insert(name.clone(), n);
        let (Some(role), Some(capacity)) = (role, capacity) else {
            continue;
        };
        let list = |field| columns.get(&row, field).map(split_list).unwrap_or_default();
        inputs.push(StaffInput {
            name,
            role,
            team: columns.get(&row, TEAM).map(str::to_string),
            subdistricts: list(SUBDISTRICTS),
            committees: list(COMMITTEES),
            skills: list(SKILLS),
            capacity,
        });
    }
    if rows == 0 {
        return Err(ImportError::Empty { file });
    }
    if !problems.is_empty() {
        return Err(problems.into_error(&file));
    }
    let mut report = StaffImportReport {
        file,
        rows,
        unknown_columns: columns.unknown,
        dry_run,
        ..Default::default()
    };
    let txn = crate::begin_write(db).await?;
    let existing: HashMap<String, staff::Model> = staff::Entity::find()
        .order_by_asc(staff::Column::Id)
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let now = chrono::Utc::now();
    for input in &inputs {
        let fields = (
            input.role.as_code().to_string(),
            input.team.clone(),
            join_list(&input.subdistricts),
            join_list(&input.committees),
            join_list(&input.skills),
            input.capacity,
        );
        match existing.get(&input.name) {
            Some(old)
                if (
                    old.role.clone(),
                    old.team.clone(),
                    old.subdistricts.clone(),
                    old.committees.clone(),
                    old.skills.clone(),
                    old.capacity,
                ) == fields =>
            {
                report.unchanged += 1;
            }
            Some(old) => {
                report.changed += 1;
                staff::ActiveModel {
                    id: Set(old.id),
                    role: Set(fields.0),
                    team: Set(fields.1),
                    subdistricts: Set(fields.2),
                    committees: Set(fields.3),
                    skills: Set(fields.4),
                    capacity: Set(fields.5),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .update(&txn)
                .await?;
            }
            None => {
                report.added += 1;
                staff::ActiveModel {
                    name: Set(input.name.clone()),
                    role: Set(fields.0),
                    team: Set(fields.1),
                    subdistricts: Set(fields.2),
                    committees: Set(fields.3),
                    skills: Set(fields.4),
                    capacity: Set(fields.5),
                    status: Set(StaffStatus::Active.as_code().to_string()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
        }
    }
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(report)
}
