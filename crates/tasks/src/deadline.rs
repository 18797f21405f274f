//! 期限 Deadlines: leads have due dates (capped by the base's round dates); overdue leads escalate
//! to the team leader (组长), then — `grace_days` later — to a supervisor (督导); a daily digest
//! (每日提醒) per staff member lists what is due.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;

use crate::case::{self, Actor, Event};
use crate::code::{EventKind, StaffRole, StaffStatus};
use crate::entity::{lead, staff};
use crate::error::Result;
use crate::lead::LeadSummary;

/// Days after the due date before a lead escalated to the team leader goes to a supervisor.
pub const DEFAULT_GRACE_DAYS: i64 = 3;

/// What an escalation run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EscalationReport {
    /// Overdue leads escalated to a team leader (level 1).
    pub to_leader: u64,
    /// Leads escalated to a supervisor (level 2).
    pub to_supervisor: u64,
}

/// Escalates overdue open leads as of `today`, in one transaction: due before today → the
/// assignee's team leader (or a supervisor when the team has none); more than `grace_days`
/// overdue → a supervisor. Each escalation is logged.
pub async fn escalate(
    db: &DatabaseConnection,
    today: chrono::NaiveDate,
    grace_days: i64,
    actor: &Actor,
) -> Result<EscalationReport> {
    let txn = crate::begin_write(db).await?;
    let now = chrono::Utc::now();
    let all_staff = staff::Entity::find()
        .order_by_asc(staff::Column::Id)
        .all(&txn)
        .await?;
    let active = |s: &&staff::Model| s.status == StaffStatus::Active.as_code();
    let by_id: HashMap<i32, &staff::Model> = all_staff.iter().map(|s| (s.id, s)).collect();
    let leaders: HashMap<String, &staff::Model> = all_staff
        .iter()
        .filter(active)
        .filter(|s| s.role == StaffRole::Leader.as_code())
        .filter_map(|s| s.team.clone().map(|t| (t, s)))
        .collect();
    let supervisors: Vec<&staff::Model> = all_staff
        .iter()
        .filter(active)
        .filter(|s| s.role == StaffRole::Supervisor.as_code())
        .collect();
    let overdue = lead::Entity::find()
        .filter(lead::Column::Status.eq("open"))
        .filter(lead::Column::DueDate.lt(today))
        .filter(lead::Column::EscalationLevel.lt(2))
        .order_by_asc(lead::Column::Id)
        .all(&txn)
        .await?;
    let mut report = EscalationReport::default();
    let mut turn = 0usize;
    for l in overdue {
        let Some(due) = l.due_date else { continue };
        let days_over = (today - due).num_days();
        let target_level = if days_over > grace_days { 2 } else { 1 };
        if target_level <= l.escalation_level {
            continue;
        }
        let leader = l
            .assignee_id
            .and_then(|id| by_id.get(&id))
            .and_then(|s| s.team.as_ref())
            .and_then(|t| leaders.get(t))
            .filter(|leader| Some(leader.id) != l.assignee_id || target_level == 2);
        let target = match (target_level, leader) {
            (1, Some(leader)) => Some(*leader),
            _ if !supervisors.is_empty() => {
                turn += 1;
                supervisors.get(turn % supervisors.len()).copied()
            }
            _ => leader.copied(),
        };
        let Some(target) = target else { continue };
        let level = if target.role == StaffRole::Supervisor.as_code() {
            2
        } else {
            1
        };
        lead::Entity::update_many()
            .col_expr(lead::Column::EscalationLevel, level.into())
            .col_expr(lead::Column::EscalatedToId, Some(target.id).into())
            .filter(lead::Column::Id.eq(l.id))
            .exec(&txn)
            .await?;
        if level == 2 {
            report.to_supervisor += 1;
        } else {
            report.to_leader += 1;
        }
        case::log(
            &txn,
            actor,
            now,
            Event {
                case_id: l.case_id,
                lead_id: Some(l.id),
                kind: EventKind::Escalated,
                from: Some(&l.escalation_level.to_string()),
                to: Some(&level.to_string()),
                note: Some(format!(
                    "逾期 {days_over} 天，升级至{}「{}」 / {days_over} days overdue, escalated to {} {}",
                    if level == 2 { "督导" } else { "组长" },
                    target.name,
                    if level == 2 { "supervisor" } else { "team leader" },
                    target.name
                )),
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(report)
}

/// One staff member's daily digest.
#[derive(Clone, Debug, Serialize)]
pub struct Digest {
    pub staff_id: i32,
    pub staff: String,
    /// Own open leads past their due date.
    pub overdue: Vec<LeadSummary>,
    /// Own open leads due within the horizon.
    pub due_soon: Vec<LeadSummary>,
    /// Leads escalated to them (as team leader or supervisor).
    pub escalated: Vec<LeadSummary>,
}

impl Digest {
    /// Whether there is anything to tell.
    pub fn is_empty(&self) -> bool {
        self.overdue.is_empty() && self.due_soon.is_empty() && self.escalated.is_empty()
    }
}

/// The digest of every active staff member with something due (or of `only` one), as of
/// `today`, looking `horizon_days` ahead.
pub async fn digest<C: ConnectionTrait>(
    db: &C,
    today: chrono::NaiveDate,
    horizon_days: i64,
    only: Option<i32>,
) -> Result<Vec<Digest>> {
    let mut query = staff::Entity::find()
        .filter(staff::Column::Status.eq(StaffStatus::Active.as_code()))
        .order_by_asc(staff::Column::Name);
    if let Some(id) = only {
        query = query.filter(staff::Column::Id.eq(id));
    }
    let members = query.all(db).await?;
    let horizon = today + chrono::Duration::days(horizon_days);
    // Only what a digest can show: own leads due by the horizon, and escalated ones.
    let open = lead::Entity::find()
        .filter(lead::Column::Status.eq("open"))
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(lead::Column::AssigneeId.is_not_null())
                        .add(lead::Column::DueDate.lte(horizon)),
                )
                .add(lead::Column::EscalatedToId.is_not_null()),
        )
        .order_by_asc(lead::Column::DueDate)
        .order_by_asc(lead::Column::Id)
        .all(db)
        .await?;
    let mut own: HashMap<i32, Vec<&lead::Model>> = HashMap::new();
    let mut escalated: HashMap<i32, Vec<&lead::Model>> = HashMap::new();
    for l in &open {
        if let Some(id) = l.assignee_id {
            own.entry(id).or_default().push(l);
        }
        if let Some(id) = l.escalated_to_id {
            escalated.entry(id).or_default().push(l);
        }
    }
    let mut out = Vec::new();
    for member in members {
        let mut d = Digest {
            staff_id: member.id,
            staff: member.name.clone(),
            overdue: Vec::new(),
            due_soon: Vec::new(),
            escalated: Vec::new(),
        };
        for l in own.get(&member.id).into_iter().flatten() {
            match l.due_date {
                Some(due) if due < today => d.overdue.push(LeadSummary::from(*l)),
                Some(due) if due <= horizon => d.due_soon.push(LeadSummary::from(*l)),
                _ => {}
            }
        }
        for l in escalated.get(&member.id).into_iter().flatten() {
            d.escalated.push(LeadSummary::from(*l));
        }
        if !d.is_empty() || only.is_some() {
            out.push(d);
        }
    }
    Ok(out)
}
