//! 个案 Case: one per lost (失联) person. Opening cases, the validated state machine, the
//! append-only audit log (审计记录) and stuck cases (no live lead).

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Statement,
};
use serde::Serialize;

use crate::Timestamp;
use crate::code::{CaseState, EventKind};
use crate::entity::{case, case_event, lead, staff};
use crate::error::{Result, TaskError};

/// Who acts (操作人): a staff member, or the system (automatic assignment, escalation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub id: Option<i32>,
    pub name: String,
}

impl Actor {
    /// The system itself (系统).
    pub fn system() -> Actor {
        Actor {
            id: None,
            name: "system".to_string(),
        }
    }

    /// A staff member.
    pub fn staff(model: &staff::Model) -> Actor {
        Actor {
            id: Some(model.id),
            name: model.name.clone(),
        }
    }

    /// The staff member named `name`.
    pub async fn by_name<C: ConnectionTrait>(db: &C, name: &str) -> Result<Actor> {
        let found = crate::staff::find_by_name(db, name).await?;
        Ok(Actor::staff(&found))
    }
}

/// One line to append to the audit log.
pub(crate) struct Event<'a> {
    pub case_id: i32,
    pub lead_id: Option<i32>,
    pub kind: EventKind,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub note: Option<String>,
}

/// Appends `event` to the audit log. The log is never updated or deleted by the workflow.
pub(crate) async fn log<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    at: Timestamp,
    event: Event<'_>,
) -> Result<()> {
    event_model(actor, at, event).insert(db).await?;
    Ok(())
}

pub(crate) fn event_model(
    actor: &Actor,
    at: Timestamp,
    event: Event<'_>,
) -> case_event::ActiveModel {
    case_event::ActiveModel {
        case_id: Set(event.case_id),
        lead_id: Set(event.lead_id),
        kind: Set(event.kind.as_code().to_string()),
        actor_id: Set(actor.id),
        actor: Set(actor.name.clone()),
        at: Set(at),
        from_state: Set(event.from.map(str::to_string)),
        to_state: Set(event.to.map(str::to_string)),
        note: Set(event.note),
        ..Default::default()
    }
}

/// The case with id `case_id`.
pub async fn get<C: ConnectionTrait>(db: &C, case_id: i32) -> Result<case::Model> {
    case::Entity::find_by_id(case_id)
        .one(db)
        .await?
        .ok_or_else(|| TaskError::not_found("个案", "case", format!("#{case_id}")))
}

/// The state of a stored case.
pub fn state_of(model: &case::Model) -> Result<CaseState> {
    CaseState::parse(&model.state)
}

/// Opens a case for every lost person (失联) without one, on `base_id` or every base. Returns how
/// many were opened. Each opening is logged.
pub async fn open_cases(
    db: &DatabaseConnection,
    base_id: Option<i32>,
    actor: &Actor,
) -> Result<u64> {
    #[derive(FromQueryResult)]
    struct Lost {
        person_id: i32,
        base_id: i32,
    }
    let filter = base_id.map_or(String::new(), |id| format!(" AND c.base_id = {id}"));
    let sql = format!(
        "SELECT p.id AS person_id, c.base_id AS base_id FROM persons p
         JOIN certificates c ON c.id = p.certificate_id
         LEFT JOIN cases k ON k.person_id = p.id
         WHERE p.contact_status = 'lost' AND p.removed_at IS NULL AND k.id IS NULL{filter}
         ORDER BY p.id"
    );
    let txn = crate::begin_write(db).await?;
    let lost = Lost::find_by_statement(Statement::from_string(txn.get_database_backend(), sql))
        .all(&txn)
        .await?;
    let now = chrono::Utc::now();
    for chunk in lost.chunks(500) {
        let rows = chunk.iter().map(|l| case::ActiveModel {
            person_id: Set(l.person_id),
            base_id: Set(l.base_id),
            state: Set(CaseState::Open.as_code().to_string()),
            closing_reason: Set(None),
            opened_at: Set(now),
            located_at: Set(None),
            resolved_at: Set(None),
            updated_at: Set(now),
            ..Default::default()
        });
        case::Entity::insert_many(rows).exec(&txn).await?;
        let opened = case::Entity::find()
            .filter(case::Column::PersonId.is_in(chunk.iter().map(|l| l.person_id)))
            .all(&txn)
            .await?;
        let events = opened.iter().map(|c| {
            event_model(
                actor,
                now,
                Event {
                    case_id: c.id,
                    lead_id: None,
                    kind: EventKind::State,
                    from: None,
                    to: Some(CaseState::Open.as_code()),
                    note: Some("失联名单 / lost-contact list".to_string()),
                },
            )
        });
        case_event::Entity::insert_many(events).exec(&txn).await?;
    }
    txn.commit().await?;
    Ok(lost.len() as u64)
}

/// Moves case `case_id` to `to`, validated, in one transaction with its audit line. Closing
/// states (deceased, abroad, refuses, untraceable) and reopening need a `note` (the reason).
pub async fn transition(
    db: &DatabaseConnection,
    case_id: i32,
    to: CaseState,
    note: Option<&str>,
    actor: &Actor,
) -> Result<case::Model> {
    let txn = crate::begin_write(db).await?;
    let current = get(&txn, case_id).await?;
    let updated = transition_in(&txn, current, to, note, actor, chrono::Utc::now()).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The transition inside a caller's transaction.
pub(crate) async fn transition_in<C: ConnectionTrait>(
    db: &C,
    current: case::Model,
    to: CaseState,
    note: Option<&str>,
    actor: &Actor,
    now: Timestamp,
) -> Result<case::Model> {
    let from = state_of(&current)?;
    if !from.can_go_to(to) {
        return Err(TaskError::IllegalTransition {
            case_id: current.id,
            from,
            to,
        });
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if (to.is_closed() || from.is_closed()) && note.is_none() {
        return Err(TaskError::ReasonRequired {
            case_id: current.id,
            to,
        });
    }
    let mut model = case::ActiveModel {
        id: Set(current.id),
        state: Set(to.as_code().to_string()),
        updated_at: Set(now),
        ..Default::default()
    };
    if to.is_closed() {
        model.closing_reason = Set(note.map(str::to_string));
    } else if from.is_closed() {
        model.closing_reason = Set(None);
    }
    if to == CaseState::Located && current.located_at.is_none() {
        model.located_at = Set(Some(now));
    }
    if to == CaseState::Contacted && current.located_at.is_none() {
        model.located_at = Set(Some(now));
    }
    if to == CaseState::Contacted || to.is_closed() {
        model.resolved_at = Set(Some(now));
    } else {
        model.resolved_at = Set(None);
    }
    let updated = model.update(db).await?;
    if to == CaseState::Contacted || to.is_closed() {
        withdraw_open_leads(db, current.id, actor, now).await?;
    }
    log(
        db,
        actor,
        now,
        Event {
            case_id: current.id,
            lead_id: None,
            kind: EventKind::State,
            from: Some(from.as_code()),
            to: Some(to.as_code()),
            note: note.map(str::to_string),
        },
    )
    .await?;
    Ok(updated)
}

/// Closes the open leads of a case that was just resolved or closed (outcome `withdrawn`), so
/// they count in nobody's load; one audit line per lead.
async fn withdraw_open_leads<C: ConnectionTrait>(
    db: &C,
    case_id: i32,
    actor: &Actor,
    now: Timestamp,
) -> Result<()> {
    let open = lead::Entity::find()
        .filter(lead::Column::CaseId.eq(case_id))
        .filter(lead::Column::Status.eq("open"))
        .all(db)
        .await?;
    if open.is_empty() {
        return Ok(());
    }
    lead::Entity::update_many()
        .col_expr(lead::Column::Status, "closed".into())
        .col_expr(lead::Column::Outcome, Some("withdrawn".to_string()).into())
        .col_expr(lead::Column::ClosedAt, Some(now).into())
        .col_expr(lead::Column::Version, crate::lead::bump_version())
        .filter(lead::Column::CaseId.eq(case_id))
        .filter(lead::Column::Status.eq("open"))
        .exec(db)
        .await?;
    let events = open.iter().map(|l| {
        event_model(
            actor,
            now,
            Event {
                case_id,
                lead_id: Some(l.id),
                kind: EventKind::LeadClosed,
                from: Some("open"),
                to: Some("withdrawn"),
                note: Some("个案已了结，线索撤回 / case resolved: lead withdrawn".to_string()),
            },
        )
    });
    case_event::Entity::insert_many(events).exec(db).await?;
    Ok(())
}

/// Moves a case forward to `target` through the intermediate states the machine requires
/// (open → tracing → located → contacted), logging each step; no-op when already there or past.
pub(crate) async fn advance_in<C: ConnectionTrait>(
    db: &C,
    case_id: i32,
    target: CaseState,
    note: Option<&str>,
    actor: &Actor,
    now: Timestamp,
) -> Result<()> {
    let rank = |s: CaseState| match s {
        CaseState::Open => 0,
        CaseState::Tracing => 1,
        CaseState::Located => 2,
        CaseState::Contacted => 3,
        _ => 4,
    };
    loop {
        let current = get(db, case_id).await?;
        let state = state_of(&current)?;
        if state.is_closed() || rank(state) >= rank(target) {
            return Ok(());
        }
        let next = match state {
            CaseState::Open if target == CaseState::Tracing => CaseState::Tracing,
            CaseState::Open | CaseState::Tracing if target != CaseState::Tracing => {
                CaseState::Located
            }
            CaseState::Located => CaseState::Contacted,
            _ => return Ok(()),
        };
        transition_in(db, current, next, note, actor, now).await?;
    }
}

/// The audit log of a case, oldest first.
pub async fn history<C: ConnectionTrait>(db: &C, case_id: i32) -> Result<Vec<case_event::Model>> {
    Ok(case_event::Entity::find()
        .filter(case_event::Column::CaseId.eq(case_id))
        .order_by_asc(case_event::Column::Id)
        .all(db)
        .await?)
}

/// Unresolved cases with no open lead: stuck (卡住), someone must find a new way.
pub async fn stuck_cases<C: ConnectionTrait>(db: &C) -> Result<Vec<i32>> {
    #[derive(FromQueryResult)]
    struct Id {
        id: i32,
    }
    let sql = "SELECT k.id AS id FROM cases k
        WHERE k.state IN ('open', 'tracing', 'located')
          AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.case_id = k.id AND l.status = 'open')
        ORDER BY k.id";
    Ok(
        Id::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect(),
    )
}

/// What staff see of the person behind a case: masked name, certificate and area.
#[derive(Clone, Debug, Serialize, FromQueryResult)]
pub struct PersonInfo {
    pub person_id: i32,
    pub certificate_id: i32,
    pub base_id: i32,
    pub cert_no: String,
    pub name: String,
    pub role: String,
    pub phones: Option<String>,
    pub registered_address: Option<String>,
    pub department: Option<String>,
    pub subdistrict: Option<String>,
    pub committee: Option<String>,
    /// When a newer roster stopped listing this holder (已移出名单); the case keeps them.
    pub removed_at: Option<Timestamp>,
}

impl PersonInfo {
    /// Loads the persons with ids `ids` (any order). The ids are bound parameters, so that a
    /// database server plans the statement once per list length, not once per list.
    pub async fn load<C: ConnectionTrait>(db: &C, ids: &[i32]) -> Result<Vec<PersonInfo>> {
        let backend = db.get_database_backend();
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let placeholders = (1..=chunk.len())
                .map(|n| match backend {
                    DbBackend::Postgres => format!("${n}"),
                    _ => "?".to_string(),
                })
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "SELECT p.id AS person_id, c.id AS certificate_id, c.base_id AS base_id,
                        c.cert_no AS cert_no, p.name AS name, p.role AS role, p.phones AS phones,
                        p.registered_address AS registered_address, d.name AS department,
                        s.name AS subdistrict, m.name AS committee, p.removed_at AS removed_at
                 FROM persons p JOIN certificates c ON c.id = p.certificate_id
                 LEFT JOIN departments d ON d.id = c.department_id
                 LEFT JOIN subdistricts s ON s.id = c.subdistrict_id
                 LEFT JOIN committees m ON m.id = c.committee_id
                 WHERE p.id IN ({placeholders})"
            );
            let values = chunk.iter().map(|&id| id.into());
            out.extend(
                PersonInfo::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
                    .all(db)
                    .await?,
            );
        }
        Ok(out)
    }

    /// The name masked for lists (张*).
    pub fn masked_name(&self) -> String {
        xunren_domain::mask_name(&self.name)
    }
}

/// A case with its person, leads and audit log: `xunren case show`.
#[derive(Clone, Debug, Serialize)]
pub struct CaseView {
    pub case: CaseSummary,
    pub person: Option<PersonInfo>,
    pub leads: Vec<crate::lead::LeadSummary>,
    pub events: Vec<EventLine>,
    pub stuck: bool,
}

/// A case as listed.
#[derive(Clone, Debug, Serialize)]
pub struct CaseSummary {
    pub id: i32,
    pub person_id: i32,
    pub state: String,
    pub state_label: String,
    pub closing_reason: Option<String>,
    pub opened_at: Timestamp,
    pub located_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
}

impl From<&case::Model> for CaseSummary {
    fn from(m: &case::Model) -> Self {
        CaseSummary {
            id: m.id,
            person_id: m.person_id,
            state: m.state.clone(),
            state_label: CaseState::parse(&m.state)
                .map(|s| s.label().to_string())
                .unwrap_or_else(|_| m.state.clone()),
            closing_reason: m.closing_reason.clone(),
            opened_at: m.opened_at,
            located_at: m.located_at,
            resolved_at: m.resolved_at,
        }
    }
}

/// One audit-log line as shown.
#[derive(Clone, Debug, Serialize)]
pub struct EventLine {
    pub at: Timestamp,
    pub actor: String,
    pub kind: String,
    pub lead_id: Option<i32>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
}

impl From<case_event::Model> for EventLine {
    fn from(e: case_event::Model) -> Self {
        EventLine {
            at: e.at,
            actor: e.actor,
            kind: e.kind,
            lead_id: e.lead_id,
            from: e.from_state,
            to: e.to_state,
            note: e.note,
        }
    }
}

/// The case with its person (name masked when shown), leads and history.
pub async fn view<C: ConnectionTrait>(db: &C, case_id: i32) -> Result<CaseView> {
    let model = get(db, case_id).await?;
    let person = PersonInfo::load(db, &[model.person_id])
        .await?
        .into_iter()
        .next();
    let leads = lead::Entity::find()
        .filter(lead::Column::CaseId.eq(case_id))
        .order_by_asc(lead::Column::Id)
        .all(db)
        .await?;
    let stuck = state_of(&model)?.is_unresolved() && !leads.iter().any(|l| l.status == "open");
    Ok(CaseView {
        case: CaseSummary::from(&model),
        person,
        leads: leads.iter().map(crate::lead::LeadSummary::from).collect(),
        events: history(db, case_id)
            .await?
            .into_iter()
            .map(EventLine::from)
            .collect(),
        stuck,
    })
}

/// Cases in `state` (or all), for lists.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    state: Option<CaseState>,
) -> Result<Vec<CaseSummary>> {
    let mut query = case::Entity::find().order_by_asc(case::Column::Id);
    if let Some(state) = state {
        query = query.filter(case::Column::State.eq(state.as_code()));
    }
    Ok(query.all(db).await?.iter().map(CaseSummary::from).collect())
}
