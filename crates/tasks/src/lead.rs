//! 线索 Lead and 走访记录 Attempt: the ways to a lost person, the visits made along them, and the
//! chains they form (a lead's outcome spawns follow-ups; dead ends stay visible).

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, Statement,
};
use serde::Serialize;

use crate::Timestamp;
use crate::case::{self, Actor, Event, PersonInfo};
use crate::code::{
    AttemptMethod, AttemptResult, CaseState, EventKind, LeadKind, LeadOutcome, join_list,
};
use crate::entity::{attempt, lead, staff};
use crate::error::{Result, TaskError};

/// Days a new lead has, unless the base's next round date comes first.
pub const DEFAULT_DUE_DAYS: i64 = 7;

/// A lead to create.
#[derive(Clone, Debug)]
pub struct NewLead {
    pub case_id: i32,
    pub kind: LeadKind,
    /// What to do: the address, committee, relative or phone (personal data: never logged).
    pub detail: String,
    pub required_skills: Vec<String>,
    /// Default: [`DEFAULT_DUE_DAYS`] days, capped at the base's next round date.
    pub due_date: Option<chrono::NaiveDate>,
    pub parent_lead_id: Option<i32>,
    pub candidate_id: Option<i64>,
}

impl NewLead {
    /// A lead of `kind` on `case_id` with `detail` and defaults otherwise.
    pub fn new(case_id: i32, kind: LeadKind, detail: impl Into<String>) -> NewLead {
        NewLead {
            case_id,
            kind,
            detail: detail.into(),
            required_skills: Vec::new(),
            due_date: None,
            parent_lead_id: None,
            candidate_id: None,
        }
    }
}

/// The lead with id `lead_id`.
pub async fn get<C: ConnectionTrait>(db: &C, lead_id: i32) -> Result<lead::Model> {
    lead::Entity::find_by_id(lead_id)
        .one(db)
        .await?
        .ok_or_else(|| TaskError::not_found("线索", "lead", format!("#{lead_id}")))
}

/// The default due date of a lead created `now` on `base_id`: a week, capped at the next round
/// date (一轮征询 date, then the end of the signing period) still ahead.
pub(crate) async fn default_due<C: ConnectionTrait>(
    db: &C,
    base_id: i32,
    now: Timestamp,
) -> Result<chrono::NaiveDate> {
    let today = now.date_naive();
    let week = today + chrono::Duration::days(DEFAULT_DUE_DAYS);
    let base = xunren_registry::entity::base::Entity::find_by_id(base_id)
        .one(db)
        .await?;
    let next_round = base.and_then(|b| {
        [b.round1_date, b.round2_end]
            .into_iter()
            .flatten()
            .filter(|d| *d > today)
            .min()
    });
    Ok(next_round.map_or(week, |d| d.min(week)))
}

/// Inserts a lead inside a caller's transaction, with its audit line; no assignment.
pub(crate) async fn insert_in<C: ConnectionTrait>(
    db: &C,
    new: &NewLead,
    actor: &Actor,
    now: Timestamp,
) -> Result<lead::Model> {
    let case = case::get(db, new.case_id).await?;
    if !case::state_of(&case)?.is_unresolved() {
        return Err(TaskError::CaseClosed(case.id));
    }
    if new.detail.trim().is_empty() {
        return Err(TaskError::invalid(
            "线索内容为空",
            "the lead's detail is empty",
        ));
    }
    if let Some(parent) = new.parent_lead_id {
        let parent = get(db, parent).await?;
        if parent.case_id != new.case_id {
            return Err(TaskError::invalid(
                format!("上级线索 #{} 属于另一个案", parent.id),
                format!("parent lead #{} belongs to another case", parent.id),
            ));
        }
    }
    let due = match new.due_date {
        Some(d) => d,
        None => default_due(db, case.base_id, now).await?,
    };
    let model = lead::ActiveModel {
        case_id: Set(new.case_id),
        parent_lead_id: Set(new.parent_lead_id),
        kind: Set(new.kind.as_code().to_string()),
        detail: Set(new.detail.trim().to_string()),
        candidate_id: Set(new.candidate_id),
        required_skills: Set(join_list(&new.required_skills)),
        status: Set("open".to_string()),
        outcome: Set(None),
        outcome_note: Set(None),
        assignee_id: Set(None),
        assignment_reason: Set(None),
        assignment_level: Set(None),
        assigned_at: Set(None),
        due_date: Set(Some(due)),
        escalation_level: Set(0),
        escalated_to_id: Set(None),
        version: Set(0),
        created_at: Set(now),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    case::log(
        db,
        actor,
        now,
        Event {
            case_id: new.case_id,
            lead_id: Some(model.id),
            kind: EventKind::LeadCreated,
            from: None,
            to: None,
            note: Some(match new.parent_lead_id {
                Some(parent) => format!("{} ← #{parent}", new.kind.label()),
                None => new.kind.label().to_string(),
            }),
        },
    )
    .await?;
    Ok(model)
}

/// Creates a lead and assigns it by the rules (assignment on creation), in one transaction.
pub async fn create(db: &DatabaseConnection, new: &NewLead, actor: &Actor) -> Result<lead::Model> {
    let txn = crate::begin_write(db).await?;
    let now = chrono::Utc::now();
    let model = insert_in(&txn, new, actor, now).await?;
    crate::assign::assign_leads_in(
        &txn,
        &[model.id],
        &crate::assign::AssignOptions::at(now),
        actor,
        None,
    )
    .await?;
    let model = get(&txn, model.id).await?;
    txn.commit().await?;
    Ok(model)
}

/// Creates a lead left unassigned, in the pool for staff to claim (or for the next `assign`).
pub async fn create_in_pool(
    db: &DatabaseConnection,
    new: &NewLead,
    actor: &Actor,
) -> Result<lead::Model> {
    let txn = crate::begin_write(db).await?;
    let model = insert_in(&txn, new, actor, chrono::Utc::now()).await?;
    txn.commit().await?;
    Ok(model)
}

/// Turns the matcher's stored candidates (rank ≤ `max_rank`) of every unresolved case into
/// leads, once each: `person` candidates become 匹配候选 leads, `relative` ones 亲属 leads.
/// Runs inside the caller's transaction; returns the new lead ids.
pub(crate) async fn leads_from_candidates_in<C: ConnectionTrait>(
    db: &C,
    base_id: Option<i32>,
    max_rank: i32,
    actor: &Actor,
    now: Timestamp,
) -> Result<Vec<i32>> {
    #[derive(FromQueryResult)]
    struct Row {
        case_id: i32,
        base_id: i32,
        candidate_id: i64,
        kind: String,
        rank: i32,
        score: f64,
        source: String,
        record_id: String,
        address: Option<String>,
        phones: Option<String>,
    }
    let filter = base_id.map_or(String::new(), |id| format!(" AND k.base_id = {id}"));
    let sql = format!(
        "SELECT k.id AS case_id, k.base_id AS base_id, m.id AS candidate_id, m.kind AS kind,
                m.rank AS rank, m.score AS score, src.name AS source, r.record_id AS record_id,
                r.address AS address, r.phones AS phones
         FROM cases k
         JOIN match_candidates m ON m.person_id = k.person_id
         JOIN reference_records r ON r.id = m.reference_record_id
         JOIN reference_sources src ON src.id = r.source_id
         WHERE k.state IN ('open', 'tracing', 'located') AND m.rank <= {max_rank}{filter}
           AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.candidate_id = m.id)
         ORDER BY k.id, m.kind, m.rank"
    );
    let rows = Row::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .all(db)
        .await?;
    let mut due_by_base = std::collections::HashMap::new();
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let due = match due_by_base.get(&row.base_id) {
            Some(d) => *d,
            None => {
                let d = default_due(db, row.base_id, now).await?;
                due_by_base.insert(row.base_id, d);
                d
            }
        };
        let kind = if row.kind == "relative" {
            LeadKind::Relative
        } else {
            LeadKind::Candidate
        };
        let mut detail = format!(
            "{}#{} (第{}名 rank {}, 分数 score {:.3})",
            row.source, row.record_id, row.rank, row.rank, row.score
        );
        if let Some(address) = row.address.filter(|a| !a.is_empty()) {
            detail.push_str(&format!(" 地址 address: {address}"));
        }
        if let Some(phones) = row.phones.filter(|p| !p.is_empty()) {
            detail.push_str(&format!(" 电话 phone: {phones}"));
        }
        let new = NewLead {
            due_date: Some(due),
            candidate_id: Some(row.candidate_id),
            ..NewLead::new(row.case_id, kind, detail)
        };
        ids.push(insert_in(db, &new, actor, now).await?.id);
    }
    Ok(ids)
}

/// An attempt (走访) to record.
#[derive(Clone, Debug)]
pub struct NewAttempt {
    pub method: AttemptMethod,
    pub result: AttemptResult,
    /// Default: now.
    pub at: Option<Timestamp>,
    pub notes: Option<String>,
    pub next_step: Option<String>,
}

/// Records an attempt on an open lead; the case moves from open to tracing (logged).
pub async fn record_attempt(
    db: &DatabaseConnection,
    lead_id: i32,
    attempt: &NewAttempt,
    actor: &Actor,
) -> Result<attempt::Model> {
    let txn = crate::begin_write(db).await?;
    let now = chrono::Utc::now();
    let lead = get(&txn, lead_id).await?;
    if lead.status != "open" {
        return Err(TaskError::LeadClosed(lead_id));
    }
    let at = attempt.at.unwrap_or(now);
    let model = attempt::ActiveModel {
        lead_id: Set(lead_id),
        staff_id: Set(actor.id),
        method: Set(attempt.method.as_code().to_string()),
        at: Set(at),
        result: Set(attempt.result.as_code().to_string()),
        notes: Set(attempt.notes.clone()),
        next_step: Set(attempt.next_step.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    case::log(
        &txn,
        actor,
        now,
        Event {
            case_id: lead.case_id,
            lead_id: Some(lead_id),
            kind: EventKind::Attempt,
            from: None,
            to: None,
            note: Some(format!(
                "{} → {}",
                attempt.method.label(),
                attempt.result.label()
            )),
        },
    )
    .await?;
    case::advance_in(&txn, lead.case_id, CaseState::Tracing, None, actor, now).await?;
    txn.commit().await?;
    Ok(model)
}

/// What closing a lead did.
#[derive(Clone, Debug, Serialize)]
pub struct Closed {
    pub lead_id: i32,
    pub outcome: LeadOutcome,
    /// Follow-up leads spawned, with their assignees.
    pub follow_ups: Vec<i32>,
    /// The case's state afterwards.
    pub case_state: String,
}

/// Closes an open lead with `outcome` (never without an attempt), spawning `follow_ups` as its
/// children, in one transaction. `reached` moves the case to contacted, `located` to located
/// (through the states in between, each logged); follow-ups are assigned by the rules.
pub async fn close(
    db: &DatabaseConnection,
    lead_id: i32,
    outcome: LeadOutcome,
    note: Option<&str>,
    follow_ups: &[(LeadKind, String)],
    actor: &Actor,
) -> Result<Closed> {
    let txn = crate::begin_write(db).await?;
    let now = chrono::Utc::now();
    let lead = get(&txn, lead_id).await?;
    if lead.status != "open" {
        return Err(TaskError::LeadClosed(lead_id));
    }
    if outcome == LeadOutcome::Withdrawn {
        return Err(TaskError::invalid(
            "「撤回」由系统在个案了结时设置",
            "`withdrawn` is set by the system when a case is resolved",
        ));
    }
    let attempts = attempt::Entity::find()
        .filter(attempt::Column::LeadId.eq(lead_id))
        .count(&txn)
        .await?;
    if attempts == 0 {
        return Err(TaskError::NoAttempt(lead_id));
    }
    let updated = lead::Entity::update_many()
        .col_expr(lead::Column::Status, "closed".into())
        .col_expr(
            lead::Column::Outcome,
            Some(outcome.as_code().to_string()).into(),
        )
        .col_expr(lead::Column::OutcomeNote, note.map(str::to_string).into())
        .col_expr(lead::Column::ClosedAt, Some(now).into())
        .col_expr(lead::Column::Version, bump_version())
        .filter(lead::Column::Id.eq(lead_id))
        .filter(lead::Column::Version.eq(lead.version))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(TaskError::ClaimLost(lead_id));
    }
    case::log(
        &txn,
        actor,
        now,
        Event {
            case_id: lead.case_id,
            lead_id: Some(lead_id),
            kind: EventKind::LeadClosed,
            from: Some("open"),
            to: Some(outcome.as_code()),
            note: note.map(str::to_string),
        },
    )
    .await?;
    match outcome {
        LeadOutcome::Reached => {
            case::advance_in(&txn, lead.case_id, CaseState::Contacted, note, actor, now).await?
        }
        LeadOutcome::Located => {
            case::advance_in(&txn, lead.case_id, CaseState::Located, note, actor, now).await?
        }
        _ => case::advance_in(&txn, lead.case_id, CaseState::Tracing, None, actor, now).await?,
    }
    let mut spawned = Vec::new();
    for (kind, detail) in follow_ups {
        let new = NewLead {
            parent_lead_id: Some(lead_id),
            ..NewLead::new(lead.case_id, *kind, detail.clone())
        };
        spawned.push(insert_in(&txn, &new, actor, now).await?.id);
    }
    if !spawned.is_empty() {
        crate::assign::assign_leads_in(
            &txn,
            &spawned,
            &crate::assign::AssignOptions::at(now),
            actor,
            None,
        )
        .await?;
    }
    let case_state = case::get(&txn, lead.case_id).await?.state;
    txn.commit().await?;
    Ok(Closed {
        lead_id,
        outcome,
        follow_ups: spawned,
        case_state,
    })
}

/// Spawns a follow-up of `parent_id` (which stays as it is) and assigns it.
pub async fn spawn(
    db: &DatabaseConnection,
    parent_id: i32,
    kind: LeadKind,
    detail: &str,
    actor: &Actor,
) -> Result<lead::Model> {
    let parent = get(db, parent_id).await?;
    let new = NewLead {
        parent_lead_id: Some(parent_id),
        ..NewLead::new(parent.case_id, kind, detail)
    };
    create(db, &new, actor).await
}

/// `version + 1`, for the conditional updates of leads.
pub(crate) fn bump_version() -> sea_orm::sea_query::Expr {
    use sea_orm::sea_query::{Expr, ExprTrait};
    Expr::col(lead::Column::Version).add(1)
}

/// Masks digit runs that may be phones or ID numbers in a lead's detail, for lists.
pub fn mask_detail(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 15 {
            out.push_str(&xunren_domain::mask_id(run));
        } else if run.chars().count() >= 7 {
            out.push_str(&xunren_domain::mask_phone(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    // Digits glued to a letter (a record number such as JG00000183) are no phone or ID.
    let mut after_letter = false;
    for c in text.chars() {
        if c.is_ascii_digit() || (c == 'X' && !run.is_empty()) {
            if after_letter {
                out.push(c);
            } else {
                run.push(c);
            }
        } else {
            flush(&mut run, &mut out);
            out.push(c);
            after_letter = c.is_ascii_alphabetic();
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A lead as listed (detail masked).
#[derive(Clone, Debug, Serialize)]
pub struct LeadSummary {
    pub id: i32,
    pub case_id: i32,
    pub parent_lead_id: Option<i32>,
    pub kind: String,
    pub kind_label: String,
    pub detail: String,
    pub status: String,
    pub outcome: Option<String>,
    pub assignee_id: Option<i32>,
    pub assignment_reason: Option<String>,
    pub due_date: Option<chrono::NaiveDate>,
    pub escalation_level: i32,
}

impl From<&lead::Model> for LeadSummary {
    fn from(m: &lead::Model) -> Self {
        LeadSummary {
            id: m.id,
            case_id: m.case_id,
            parent_lead_id: m.parent_lead_id,
            kind: m.kind.clone(),
            kind_label: LeadKind::parse(&m.kind)
                .map(|k| k.label().to_string())
                .unwrap_or_else(|_| m.kind.clone()),
            detail: mask_detail(&m.detail),
            status: m.status.clone(),
            outcome: m.outcome.clone(),
            assignee_id: m.assignee_id,
            assignment_reason: m.assignment_reason.clone(),
            due_date: m.due_date,
            escalation_level: m.escalation_level,
        }
    }
}

/// Open leads assigned to `staff_id`, earliest due first.
pub async fn my_leads<C: ConnectionTrait>(db: &C, staff_id: i32) -> Result<Vec<LeadSummary>> {
    Ok(lead::Entity::find()
        .filter(lead::Column::AssigneeId.eq(staff_id))
        .filter(lead::Column::Status.eq("open"))
        .order_by_asc(lead::Column::DueDate)
        .order_by_asc(lead::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(LeadSummary::from)
        .collect())
}

/// Unassigned open leads (the pool staff claim from).
pub async fn pool<C: ConnectionTrait>(db: &C) -> Result<Vec<LeadSummary>> {
    Ok(lead::Entity::find()
        .filter(lead::Column::AssigneeId.is_null())
        .filter(lead::Column::Status.eq("open"))
        .order_by_asc(lead::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(LeadSummary::from)
        .collect())
}

/// One node of a case's chain of leads, depth-first from the roots.
#[derive(Clone, Debug, Serialize)]
pub struct ChainNode {
    pub depth: usize,
    pub lead: LeadSummary,
    /// Closed as 无果 without follow-ups.
    pub dead_end: bool,
}

/// The chain (tree) of leads of a case, roots in creation order, children under their parent.
pub async fn chain<C: ConnectionTrait>(db: &C, case_id: i32) -> Result<Vec<ChainNode>> {
    let leads = lead::Entity::find()
        .filter(lead::Column::CaseId.eq(case_id))
        .order_by_asc(lead::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(leads.len());
    let mut stack: Vec<(usize, &lead::Model)> = leads
        .iter()
        .filter(|l| l.parent_lead_id.is_none())
        .rev()
        .map(|l| (0, l))
        .collect();
    while let Some((depth, node)) = stack.pop() {
        let children: Vec<&lead::Model> = leads
            .iter()
            .filter(|l| l.parent_lead_id == Some(node.id))
            .collect();
        out.push(ChainNode {
            depth,
            lead: LeadSummary::from(node),
            dead_end: node.outcome.as_deref() == Some("dead_end") && children.is_empty(),
        });
        for child in children.into_iter().rev() {
            stack.push((depth + 1, child));
        }
    }
    Ok(out)
}

/// An attempt as shown.
#[derive(Clone, Debug, Serialize)]
pub struct AttemptLine {
    pub at: Timestamp,
    pub staff: Option<String>,
    pub method: String,
    pub result: String,
    pub notes: Option<String>,
    pub next_step: Option<String>,
}

/// The matcher candidate behind a lead.
#[derive(Clone, Debug, Serialize, FromQueryResult)]
pub struct CandidateInfo {
    pub kind: String,
    pub rank: i32,
    pub score: f64,
    pub evidence: String,
    pub source: String,
    pub record_id: String,
}

/// A lead with its person (masked), candidate, attempts and the chain of its case.
#[derive(Clone, Debug, Serialize)]
pub struct LeadView {
    pub lead: LeadSummary,
    /// The detail unmasked, for the staff member working the lead.
    pub detail: String,
    pub assignee: Option<String>,
    pub case_state: String,
    pub person: Option<PersonInfo>,
    pub candidate: Option<CandidateInfo>,
    pub attempts: Vec<AttemptLine>,
    pub chain: Vec<ChainNode>,
}

/// Everything about one lead: `xunren lead show`.
pub async fn view<C: ConnectionTrait>(db: &C, lead_id: i32) -> Result<LeadView> {
    let model = get(db, lead_id).await?;
    let case = case::get(db, model.case_id).await?;
    let person = PersonInfo::load(db, &[case.person_id])
        .await?
        .into_iter()
        .next();
    let assignee = match model.assignee_id {
        Some(id) => staff::Entity::find_by_id(id).one(db).await?.map(|s| s.name),
        None => None,
    };
    let candidate = match model.candidate_id {
        Some(id) => {
            CandidateInfo::find_by_statement(Statement::from_string(
                db.get_database_backend(),
                format!(
                "SELECT m.kind AS kind, m.rank AS rank, m.score AS score, m.evidence AS evidence,
                        src.name AS source, r.record_id AS record_id
                 FROM match_candidates m JOIN reference_records r ON r.id = m.reference_record_id
                 JOIN reference_sources src ON src.id = r.source_id WHERE m.id = {id}"
            ),
            ))
            .one(db)
            .await?
        }
        None => None,
    };
    let staff_names: std::collections::HashMap<i32, String> = staff::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let attempts = attempt::Entity::find()
        .filter(attempt::Column::LeadId.eq(lead_id))
        .order_by_asc(attempt::Column::At)
        .all(db)
        .await?
        .into_iter()
        .map(|a| AttemptLine {
            at: a.at,
            staff: a.staff_id.and_then(|id| staff_names.get(&id).cloned()),
            method: a.method,
            result: a.result,
            notes: a.notes,
            next_step: a.next_step,
        })
        .collect();
    Ok(LeadView {
        lead: LeadSummary::from(&model),
        detail: model.detail.clone(),
        assignee,
        case_state: case.state,
        person,
        candidate,
        attempts,
        chain: chain(db, model.case_id).await?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_phones_and_ids_in_details() {
        let masked =
            super::mask_detail("电话 13812345678, 身份证 310101195603071234 12弄3号 JG00000183");
        assert!(masked.contains("JG00000183"), "{masked}");
        assert!(masked.contains("138****5678"), "{masked}");
        assert!(masked.contains("310101********1234"), "{masked}");
        assert!(masked.contains("12弄3号"), "{masked}");
    }
}
