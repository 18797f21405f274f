//! 分派 Assignment: who works a lead, by explicit and explainable rules, and the manual
//! operations around it (reassign, claim, release, bulk reassignment on leave).
//!
//! ## The rules, in order of preference
//! 1. **熟人 familiarity** — staff who already worked this person (3), their household / the same
//!    certificate (2), or the same registered address (1): a lead assigned to them or an attempt
//!    made by them on such a case.
//! 2. **片区 area** — the staff member covers the certificate's committee (2) or subdistrict (1).
//! 3. **技能 skills** — the staff member has every skill the lead requires.
//! 4. **负荷 load** — open leads against capacity: lowest share first.
//! 5. **公平 fairness** — fewest leads ever assigned, then the lowest staff id.
//!
//! Supervisors (督导) and staff on leave are never assigned automatically.
//!
//! ## Relaxation (放宽), in this order
//! - level 0 (严格 strict): spare capacity, every required skill, and familiar or in the area;
//! - level 1 (放宽技能): spare capacity, familiar or in the area;
//! - level 2 (放宽片区): spare capacity;
//! - level 3 (超出容量): anyone active — the least loaded.
//!
//! A lead may use level *k* once it has waited `k × relax_after` since creation
//! ([`AssignOptions::relax_after`], zero by default: relax at once). A lead nobody fits stays
//! unassigned, in the pool, until the next run or a claim. Each assignment stores its reason.
//!
//! ## Claims
//! A claim is a conditional `UPDATE … WHERE version = ? AND assignee_id IS NULL` whose
//! `rows_affected` decides: of two staff claiming the same lead at once exactly one wins, on
//! SQLite and PostgreSQL alike.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    Statement,
};
use serde::Serialize;

use crate::Timestamp;
use crate::case::{self, Actor, Event, PersonInfo};
use crate::code::{EventKind, StaffRole, StaffStatus, split_list};
use crate::entity::{case as case_entity, lead, staff};
use crate::error::{Result, TaskError};
use crate::staff::LeaveReport;

/// How to assign.
#[derive(Clone, Debug)]
pub struct AssignOptions {
    /// A lead may use relaxation level k after waiting k × this (zero: at once).
    pub relax_after: chrono::Duration,
    /// The time of the run (leads' waits are measured to it).
    pub now: Timestamp,
}

impl AssignOptions {
    /// Relax at once, at `now`.
    pub fn at(now: Timestamp) -> AssignOptions {
        AssignOptions {
            relax_after: chrono::Duration::zero(),
            now,
        }
    }
}

impl Default for AssignOptions {
    fn default() -> Self {
        AssignOptions::at(chrono::Utc::now())
    }
}

/// Names of the relaxation levels.
pub const LEVELS: [(&str, &str); 4] = [
    ("严格", "strict"),
    ("放宽技能", "skills relaxed"),
    ("放宽片区", "area relaxed"),
    ("超出容量", "over capacity"),
];

/// One assignment decision.
#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub lead_id: i32,
    pub staff_id: i32,
    pub staff: String,
    pub level: i32,
    pub reason: String,
}

/// What an assignment run did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AssignReport {
    /// Cases opened for lost persons without one.
    pub opened_cases: u64,
    /// Leads made from the matcher's candidates.
    pub candidate_leads: u64,
    pub assigned: u64,
    /// Leads nobody fits yet (waiting for relaxation, or no active staff).
    pub unassigned: u64,
    /// Assignments per relaxation level.
    pub by_level: [u64; 4],
    pub decisions: Vec<Decision>,
}

/// `xunren assign`: opens a case for every lost person without one, turns the matcher's stored
/// candidates (rank ≤ 3) into leads, and assigns every unassigned open lead — one transaction.
pub async fn run(
    db: &DatabaseConnection,
    base_id: Option<i32>,
    options: &AssignOptions,
    actor: &Actor,
) -> Result<AssignReport> {
    let opened_cases = case::open_cases(db, base_id, actor).await?;
    let txn = crate::begin_write(db).await?;
    let candidate_leads =
        crate::lead::leads_from_candidates_in(&txn, base_id, 3, actor, options.now).await?;
    let ids = unassigned_open_leads(&txn).await?;
    let mut report = assign_leads_in(&txn, &ids, options, actor, None).await?;
    txn.commit().await?;
    report.opened_cases = opened_cases;
    report.candidate_leads = candidate_leads.len() as u64;
    Ok(report)
}

/// Assigns every unassigned open lead (no case opening, no candidate leads).
pub async fn assign_unassigned(
    db: &DatabaseConnection,
    options: &AssignOptions,
    actor: &Actor,
) -> Result<AssignReport> {
    let txn = crate::begin_write(db).await?;
    let ids = unassigned_open_leads(&txn).await?;
    let report = assign_leads_in(&txn, &ids, options, actor, None).await?;
    txn.commit().await?;
    Ok(report)
}

async fn unassigned_open_leads<C: ConnectionTrait>(db: &C) -> Result<Vec<i32>> {
    #[derive(FromQueryResult)]
    struct Id {
        id: i32,
    }
    let sql = "SELECT l.id AS id FROM leads l JOIN cases k ON k.id = l.case_id
        WHERE l.status = 'open' AND l.assignee_id IS NULL
          AND k.state IN ('open', 'tracing', 'located') ORDER BY l.id";
    Ok(
        Id::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect(),
    )
}

/// A staff member as the rules see them.
struct Candidate {
    id: i32,
    name: String,
    subdistricts: HashSet<String>,
    committees: HashSet<String>,
    skills: HashSet<String>,
    capacity: i32,
    load: i32,
    received: i64,
}

/// Why a candidate fits a lead.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Fit {
    familiarity: u8,
    area: u8,
    skills_met: bool,
    skills_held: usize,
}

/// What the rules need to know about a lead.
struct LeadFacts {
    id: i32,
    case_id: i32,
    version: i32,
    created_at: Timestamp,
    required: Vec<String>,
    person: Option<PersonInfo>,
}

/// Who has worked whom: by person, certificate (household) and registered address.
#[derive(Default)]
struct Familiarity {
    person: HashMap<i32, HashSet<i32>>,
    certificate: HashMap<i32, HashSet<i32>>,
    address: HashMap<String, HashSet<i32>>,
}

impl Familiarity {
    async fn load<C: ConnectionTrait>(db: &C) -> Result<Familiarity> {
        #[derive(FromQueryResult)]
        struct Row {
            staff_id: i32,
            person_id: i32,
            certificate_id: i32,
            registered_address: Option<String>,
        }
        let sql = "SELECT DISTINCT w.staff_id AS staff_id, p.id AS person_id,
                p.certificate_id AS certificate_id, p.registered_address AS registered_address
            FROM (SELECT assignee_id AS staff_id, case_id FROM leads WHERE assignee_id IS NOT NULL
                  UNION
                  SELECT a.staff_id AS staff_id, l.case_id AS case_id FROM attempts a
                  JOIN leads l ON l.id = a.lead_id WHERE a.staff_id IS NOT NULL) w
            JOIN cases k ON k.id = w.case_id
            JOIN persons p ON p.id = k.person_id";
        let rows = Row::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?;
        let mut out = Familiarity::default();
        for row in rows {
            out.person
                .entry(row.person_id)
                .or_default()
                .insert(row.staff_id);
            out.certificate
                .entry(row.certificate_id)
                .or_default()
                .insert(row.staff_id);
            if let Some(address) = row.registered_address.map(|a| a.trim().to_string())
                && !address.is_empty()
            {
                out.address.entry(address).or_default().insert(row.staff_id);
            }
        }
        Ok(out)
    }

    fn level(&self, staff_id: i32, person: &PersonInfo) -> u8 {
        let has = |set: Option<&HashSet<i32>>| set.is_some_and(|s| s.contains(&staff_id));
        if has(self.person.get(&person.person_id)) {
            3
        } else if has(self.certificate.get(&person.certificate_id)) {
            2
        } else if person
            .registered_address
            .as_deref()
            .map(str::trim)
            .is_some_and(|a| has(self.address.get(a)))
        {
            1
        } else {
            0
        }
    }
}

async fn load_candidates<C: ConnectionTrait>(db: &C) -> Result<Vec<Candidate>> {
    #[derive(FromQueryResult)]
    struct Load {
        staff_id: i32,
        open: i64,
        total: i64,
    }
    let staff = staff::Entity::find()
        .filter(staff::Column::Status.eq(StaffStatus::Active.as_code()))
        .filter(staff::Column::Role.ne(StaffRole::Supervisor.as_code()))
        .all(db)
        .await?;
    let sql = "SELECT assignee_id AS staff_id,
            SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS open, COUNT(*) AS total
        FROM leads WHERE assignee_id IS NOT NULL GROUP BY assignee_id";
    let loads: HashMap<i32, (i64, i64)> =
        Load::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?
            .into_iter()
            .map(|l| (l.staff_id, (l.open, l.total)))
            .collect();
    Ok(staff
        .into_iter()
        .map(|s| {
            let (open, total) = loads.get(&s.id).copied().unwrap_or((0, 0));
            let set = |text: &str| split_list(text).into_iter().collect::<HashSet<_>>();
            Candidate {
                id: s.id,
                subdistricts: set(&s.subdistricts),
                committees: set(&s.committees),
                skills: set(&s.skills),
                name: s.name,
                capacity: s.capacity,
                load: i32::try_from(open).unwrap_or(i32::MAX),
                received: total,
            }
        })
        .collect())
}

fn fit(candidate: &Candidate, lead: &LeadFacts, familiarity: &Familiarity) -> Fit {
    let (familiar, area) = match &lead.person {
        Some(person) => {
            let area = if person
                .committee
                .as_ref()
                .is_some_and(|c| candidate.committees.contains(c))
            {
                2
            } else if person
                .subdistrict
                .as_ref()
                .is_some_and(|s| candidate.subdistricts.contains(s))
            {
                1
            } else {
                0
            };
            (familiarity.level(candidate.id, person), area)
        }
        None => (0, 0),
    };
    let skills_held = lead
        .required
        .iter()
        .filter(|s| candidate.skills.contains(*s))
        .count();
    Fit {
        familiarity: familiar,
        area,
        skills_met: skills_held == lead.required.len(),
        skills_held,
    }
}

fn allowed(level: usize, candidate: &Candidate, fit: Fit) -> bool {
    let spare = candidate.load < candidate.capacity;
    let known = fit.familiarity > 0 || fit.area > 0;
    match level {
        0 => spare && fit.skills_met && known,
        1 => spare && known,
        2 => spare,
        _ => true,
    }
}

/// Load share as a fraction (load, capacity); zero capacity counts as full.
fn load_share(c: &Candidate) -> (i64, i64) {
    if c.capacity <= 0 {
        (1, 0)
    } else {
        (i64::from(c.load), i64::from(c.capacity))
    }
}

/// Whether load share `a` is below `b` (compared without floating point).
fn lighter(a: (i64, i64), b: (i64, i64)) -> Option<bool> {
    match (a.1 == 0, b.1 == 0) {
        (true, true) => None,
        (true, false) => Some(false),
        (false, true) => Some(true),
        (false, false) => {
            let (lhs, rhs) = (a.0 * b.1, b.0 * a.1);
            (lhs != rhs).then_some(lhs < rhs)
        }
    }
}

/// Whether `a` beats `b` by the rules: familiarity, area, skills, load, fairness, id.
fn better(a: (&Candidate, Fit), b: (&Candidate, Fit)) -> bool {
    let (ca, fa) = a;
    let (cb, fb) = b;
    if fa.familiarity != fb.familiarity {
        return fa.familiarity > fb.familiarity;
    }
    if fa.area != fb.area {
        return fa.area > fb.area;
    }
    if fa.skills_held != fb.skills_held {
        return fa.skills_held > fb.skills_held;
    }
    if let Some(lighter) = lighter(load_share(ca), load_share(cb)) {
        return lighter;
    }
    if ca.received != cb.received {
        return ca.received < cb.received;
    }
    ca.id < cb.id
}

fn reason(candidate: &Candidate, fit: Fit, lead: &LeadFacts, level: usize) -> String {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    match fit.familiarity {
        3 => {
            zh.push("熟人: 曾办理本人".to_string());
            en.push("familiar: worked this person before".to_string());
        }
        2 => {
            zh.push("熟人: 曾办理同户(同一权证)".to_string());
            en.push("familiar: worked this household (same certificate)".to_string());
        }
        1 => {
            zh.push("熟人: 曾办理同一户籍地址".to_string());
            en.push("familiar: worked the same registered address".to_string());
        }
        _ => {}
    }
    let person = lead.person.as_ref();
    match fit.area {
        2 => {
            let c = person.and_then(|p| p.committee.clone()).unwrap_or_default();
            zh.push(format!("片区: {c}"));
            en.push(format!("area: committee {c}"));
        }
        1 => {
            let s = person
                .and_then(|p| p.subdistrict.clone())
                .unwrap_or_default();
            zh.push(format!("片区: {s}"));
            en.push(format!("area: subdistrict {s}"));
        }
        _ => {}
    }
    if !lead.required.is_empty() {
        let skills = lead.required.join("、");
        if fit.skills_met {
            zh.push(format!("技能齐备: {skills}"));
            en.push(format!("has the skills: {skills}"));
        } else {
            zh.push(format!("技能不全: {skills}"));
            en.push(format!("lacks some of: {skills}"));
        }
    }
    zh.push(format!("负荷 {}/{}", candidate.load, candidate.capacity));
    en.push(format!("load {}/{}", candidate.load, candidate.capacity));
    zh.push(format!("第{level}级({})", LEVELS[level].0));
    en.push(format!("level {level} ({})", LEVELS[level].1));
    format!("{} / {}", zh.join("; "), en.join("; "))
}

/// Assigns the leads `ids` (those still unassigned and open) by the rules, inside the caller's
/// transaction; `kind` is the event logged (default `assigned`).
pub(crate) async fn assign_leads_in<C: ConnectionTrait>(
    db: &C,
    ids: &[i32],
    options: &AssignOptions,
    actor: &Actor,
    kind: Option<EventKind>,
) -> Result<AssignReport> {
    let mut report = AssignReport::default();
    if ids.is_empty() {
        return Ok(report);
    }
    let mut candidates = load_candidates(db).await?;
    let familiarity = Familiarity::load(db).await?;
    let mut leads = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        leads.extend(
            lead::Entity::find()
                .filter(lead::Column::Id.is_in(chunk.iter().copied()))
                .filter(lead::Column::Status.eq("open"))
                .filter(lead::Column::AssigneeId.is_null())
                .all(db)
                .await?,
        );
    }
    leads.sort_by_key(|l| l.id);
    let case_ids: Vec<i32> = leads.iter().map(|l| l.case_id).collect();
    let mut person_of_case = HashMap::new();
    for chunk in case_ids.chunks(500) {
        for c in case_entity::Entity::find()
            .filter(case_entity::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            person_of_case.insert(c.id, c.person_id);
        }
    }
    let person_ids: Vec<i32> = person_of_case.values().copied().collect();
    let persons: HashMap<i32, PersonInfo> = PersonInfo::load(db, &person_ids)
        .await?
        .into_iter()
        .map(|p| (p.person_id, p))
        .collect();
    let facts: Vec<LeadFacts> = leads
        .into_iter()
        .map(|l| LeadFacts {
            id: l.id,
            case_id: l.case_id,
            version: l.version,
            created_at: l.created_at,
            required: split_list(&l.required_skills),
            person: person_of_case
                .get(&l.case_id)
                .and_then(|p| persons.get(p))
                .cloned(),
        })
        .collect();

    let kind = kind.unwrap_or(EventKind::Assigned);
    let mut events = Vec::new();
    for lead in &facts {
        let max_level = if options.relax_after <= chrono::Duration::zero() {
            3
        } else {
            let waited = options.now - lead.created_at;
            let steps = waited.num_seconds() / std::cmp::max(options.relax_after.num_seconds(), 1);
            usize::try_from(steps.clamp(0, 3)).unwrap_or(0)
        };
        let mut chosen: Option<(usize, usize, Fit)> = None;
        for level in 0..=max_level {
            for (index, candidate) in candidates.iter().enumerate() {
                let f = fit(candidate, lead, &familiarity);
                if !allowed(level, candidate, f) {
                    continue;
                }
                let replace = match &chosen {
                    None => true,
                    Some((_, best, best_fit)) => {
                        better((candidate, f), (&candidates[*best], *best_fit))
                    }
                };
                if replace {
                    chosen = Some((level, index, f));
                }
            }
            if chosen.is_some() {
                break;
            }
        }
        let Some((level, index, f)) = chosen else {
            report.unassigned += 1;
            continue;
        };
        let why = reason(&candidates[index], f, lead, level);
        let candidate = &mut candidates[index];
        let updated = lead::Entity::update_many()
            .col_expr(lead::Column::AssigneeId, Some(candidate.id).into())
            .col_expr(lead::Column::AssignmentReason, Some(why.clone()).into())
            .col_expr(
                lead::Column::AssignmentLevel,
                Some(i32::try_from(level).unwrap_or(3)).into(),
            )
            .col_expr(lead::Column::AssignedAt, Some(options.now).into())
            .col_expr(lead::Column::Version, crate::lead::bump_version())
            .filter(lead::Column::Id.eq(lead.id))
            .filter(lead::Column::Version.eq(lead.version))
            .filter(lead::Column::AssigneeId.is_null())
            .exec(db)
            .await?;
        if updated.rows_affected != 1 {
            // Claimed meanwhile: the claim stands.
            continue;
        }
        candidate.load += 1;
        candidate.received += 1;
        report.assigned += 1;
        report.by_level[level] += 1;
        events.push(case::event_model(
            actor,
            options.now,
            Event {
                case_id: lead.case_id,
                lead_id: Some(lead.id),
                kind,
                from: None,
                to: Some(&candidate.name),
                note: Some(why.clone()),
            },
        ));
        report.decisions.push(Decision {
            lead_id: lead.id,
            staff_id: candidate.id,
            staff: candidate.name.clone(),
            level: i32::try_from(level).unwrap_or(3),
            reason: why,
        });
    }
    for chunk in events.chunks(500) {
        crate::entity::case_event::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(report)
}

async fn active_staff<C: ConnectionTrait>(db: &C, name: &str) -> Result<staff::Model> {
    let member = crate::staff::find_by_name(db, name).await?;
    if member.status != StaffStatus::Active.as_code() {
        return Err(TaskError::StaffOnLeave(member.name));
    }
    Ok(member)
}

/// Sets the assignee of an open lead if its version is still `version`; false when it changed.
async fn set_assignee<C: ConnectionTrait>(
    db: &C,
    lead: &lead::Model,
    to: Option<i32>,
    reason: Option<String>,
    now: Timestamp,
    require_unassigned: bool,
) -> Result<bool> {
    let mut update = lead::Entity::update_many()
        .col_expr(lead::Column::AssigneeId, to.into())
        .col_expr(lead::Column::AssignmentReason, reason.into())
        .col_expr(lead::Column::AssignmentLevel, Option::<i32>::None.into())
        .col_expr(lead::Column::AssignedAt, to.map(|_| now).into())
        .col_expr(lead::Column::Version, crate::lead::bump_version())
        .filter(lead::Column::Id.eq(lead.id))
        .filter(lead::Column::Version.eq(lead.version))
        .filter(lead::Column::Status.eq("open"));
    if require_unassigned {
        update = update.filter(lead::Column::AssigneeId.is_null());
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// A staff member claims (认领) an unassigned open lead. Of concurrent claims exactly one wins;
/// the others get [`TaskError::ClaimLost`].
pub async fn claim(db: &DatabaseConnection, lead_id: i32, staff_name: &str) -> Result<lead::Model> {
    let member = active_staff(db, staff_name).await?;
    let current = crate::lead::get(db, lead_id).await?;
    if current.status != "open" {
        return Err(TaskError::LeadClosed(lead_id));
    }
    if current.assignee_id.is_some() {
        return Err(TaskError::AlreadyAssigned(lead_id));
    }
    let now = chrono::Utc::now();
    let txn = crate::begin_write(db).await?;
    // The conditional UPDATE decides: on SQLite the transaction holds the write lock from BEGIN
    // IMMEDIATE (claims run one after the other), on PostgreSQL the UPDATE waits for a concurrent
    // claim's row lock and then re-checks the version. Either way the loser updates no row.
    let won = set_assignee(
        &txn,
        &current,
        Some(member.id),
        Some("认领 / claimed".to_string()),
        now,
        true,
    )
    .await?;
    if !won {
        txn.rollback().await?;
        return Err(TaskError::ClaimLost(lead_id));
    }
    case::log(
        &txn,
        &Actor::staff(&member),
        now,
        Event {
            case_id: current.case_id,
            lead_id: Some(lead_id),
            kind: EventKind::Claimed,
            from: None,
            to: Some(&member.name),
            note: None,
        },
    )
    .await?;
    let updated = crate::lead::get(&txn, lead_id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// The assignee (or a team leader or supervisor acting) releases (释放) a lead back to the pool.
pub async fn release(
    db: &DatabaseConnection,
    lead_id: i32,
    actor: &Actor,
    note: Option<&str>,
) -> Result<lead::Model> {
    let current = crate::lead::get(db, lead_id).await?;
    if current.status != "open" {
        return Err(TaskError::LeadClosed(lead_id));
    }
    let Some(assignee) = current.assignee_id else {
        return Err(TaskError::invalid(
            format!("线索 #{lead_id} 尚无负责人"),
            format!("lead #{lead_id} is not assigned"),
        ));
    };
    if actor.id != Some(assignee) {
        let acting = match actor.id {
            Some(id) => staff::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        let may = actor.id.is_none()
            || acting.is_some_and(|s| {
                s.role == StaffRole::Leader.as_code() || s.role == StaffRole::Supervisor.as_code()
            });
        if !may {
            return Err(TaskError::NotAssignee {
                lead_id,
                staff: actor.name.clone(),
            });
        }
    }
    let now = chrono::Utc::now();
    let txn = crate::begin_write(db).await?;
    if !set_assignee(&txn, &current, None, None, now, false).await? {
        txn.rollback().await?;
        return Err(TaskError::ClaimLost(lead_id));
    }
    case::log(
        &txn,
        actor,
        now,
        Event {
            case_id: current.case_id,
            lead_id: Some(lead_id),
            kind: EventKind::Released,
            from: None,
            to: None,
            note: note.map(str::to_string),
        },
    )
    .await?;
    let updated = crate::lead::get(&txn, lead_id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Manual reassignment (人工改派) of an open lead to `to_name`, with the reason given.
pub async fn reassign(
    db: &DatabaseConnection,
    lead_id: i32,
    to_name: &str,
    note: &str,
    actor: &Actor,
) -> Result<lead::Model> {
    let member = active_staff(db, to_name).await?;
    let current = crate::lead::get(db, lead_id).await?;
    if current.status != "open" {
        return Err(TaskError::LeadClosed(lead_id));
    }
    let now = chrono::Utc::now();
    let why = format!("人工改派: {note} / reassigned by hand: {note}");
    let txn = crate::begin_write(db).await?;
    if !set_assignee(
        &txn,
        &current,
        Some(member.id),
        Some(why.clone()),
        now,
        false,
    )
    .await?
    {
        txn.rollback().await?;
        return Err(TaskError::ClaimLost(lead_id));
    }
    case::log(
        &txn,
        actor,
        now,
        Event {
            case_id: current.case_id,
            lead_id: Some(lead_id),
            kind: EventKind::Reassigned,
            from: None,
            to: Some(&member.name),
            note: Some(why),
        },
    )
    .await?;
    let updated = crate::lead::get(&txn, lead_id).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Bulk reassignment (批量改派) of every open lead of `staff_id` by the rules, inside the caller's
/// transaction (the staff member is already on leave there, so the rules skip them).
pub(crate) async fn reassign_all_of<C: ConnectionTrait>(
    db: &C,
    staff_id: i32,
    actor: &Actor,
) -> Result<LeaveReport> {
    let now = chrono::Utc::now();
    let open = lead::Entity::find()
        .filter(lead::Column::AssigneeId.eq(staff_id))
        .filter(lead::Column::Status.eq("open"))
        .all(db)
        .await?;
    let ids: Vec<i32> = open.iter().map(|l| l.id).collect();
    for chunk in ids.chunks(500) {
        lead::Entity::update_many()
            .col_expr(lead::Column::AssigneeId, Option::<i32>::None.into())
            .col_expr(
                lead::Column::AssignmentReason,
                Option::<String>::None.into(),
            )
            .col_expr(lead::Column::AssignmentLevel, Option::<i32>::None.into())
            .col_expr(lead::Column::Version, crate::lead::bump_version())
            .filter(lead::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    let report = assign_leads_in(
        db,
        &ids,
        &AssignOptions::at(now),
        actor,
        Some(EventKind::Reassigned),
    )
    .await?;
    // Leads nobody could take go back to the pool: log that too.
    let taken: HashSet<i32> = report.decisions.iter().map(|d| d.lead_id).collect();
    for l in open.iter().filter(|l| !taken.contains(&l.id)) {
        case::log(
            db,
            actor,
            now,
            Event {
                case_id: l.case_id,
                lead_id: Some(l.id),
                kind: EventKind::Released,
                from: None,
                to: None,
                note: Some("请假，无人可接 / on leave, nobody could take it".to_string()),
            },
        )
        .await?;
    }
    Ok(LeaveReport {
        reassigned: report.assigned,
        unassigned: report.unassigned,
    })
}
