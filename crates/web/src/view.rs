//! Read models the pages and the API share: a lead list with the person's key facts and the
//! chain so far, a person's match candidates with their evidence. Masking is decided here, once.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use serde::Serialize;
use xunren_tasks::case::PersonInfo;
use xunren_tasks::code::CaseState;
use xunren_tasks::entity::{attempt, case, lead};

use crate::error::WebError;

/// A lead in 我的线索 (my leads): masked person facts, case state, the chain so far.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LeadRow {
    pub id: i32,
    pub case_id: i32,
    pub kind: String,
    pub kind_label: String,
    /// The lead's detail with phones and ID numbers masked.
    pub detail: String,
    pub due_date: Option<chrono::NaiveDate>,
    pub overdue: bool,
    /// No attempt recorded on it yet.
    pub new: bool,
    pub escalation_level: i32,
    pub assignee: Option<String>,
    /// 张* — masked.
    pub person: String,
    pub cert_no: String,
    pub subdistrict: Option<String>,
    pub committee: Option<String>,
    pub case_state: String,
    pub case_state_label: String,
    /// The chain so far, e.g. `旧改档案✗ → 居委会✗ → 亲属`.
    pub chain: String,
}

/// Open leads assigned to `assignees`, earliest due first, with what the list shows.
pub async fn lead_rows<C: ConnectionTrait>(
    db: &C,
    assignees: &[i32],
    today: chrono::NaiveDate,
) -> Result<Vec<LeadRow>, WebError> {
    if assignees.is_empty() {
        return Ok(Vec::new());
    }
    let leads = lead::Entity::find()
        .filter(lead::Column::AssigneeId.is_in(assignees.to_vec()))
        .filter(lead::Column::Status.eq("open"))
        .order_by_asc(lead::Column::DueDate)
        .order_by_asc(lead::Column::Id)
        .all(db)
        .await?;
    rows_for(db, leads, today).await
}

/// The list rows of `leads`.
pub async fn rows_for<C: ConnectionTrait>(
    db: &C,
    leads: Vec<lead::Model>,
    today: chrono::NaiveDate,
) -> Result<Vec<LeadRow>, WebError> {
    if leads.is_empty() {
        return Ok(Vec::new());
    }
    let case_ids: Vec<i32> = leads.iter().map(|l| l.case_id).collect();
    let lead_ids: Vec<i32> = leads.iter().map(|l| l.id).collect();
    let cases: HashMap<i32, case::Model> = case::Entity::find()
        .filter(case::Column::Id.is_in(case_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let person_ids: Vec<i32> = cases.values().map(|c| c.person_id).collect();
    let persons: HashMap<i32, PersonInfo> = PersonInfo::load(db, &person_ids)
        .await?
        .into_iter()
        .map(|p| (p.person_id, p))
        .collect();
    let chain_leads = lead::Entity::find()
        .filter(lead::Column::CaseId.is_in(case_ids))
        .order_by_asc(lead::Column::Id)
        .all(db)
        .await?;
    let tried: Vec<i32> = attempt::Entity::find()
        .select_only()
        .column(attempt::Column::LeadId)
        .filter(attempt::Column::LeadId.is_in(lead_ids))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    // Only the names of the assignees shown, not the whole staff table.
    let assignee_ids: Vec<i32> = leads.iter().filter_map(|l| l.assignee_id).collect();
    let staff: HashMap<i32, String> = xunren_tasks::entity::staff::Entity::find()
        .select_only()
        .column(xunren_tasks::entity::staff::Column::Id)
        .column(xunren_tasks::entity::staff::Column::Name)
        .filter(xunren_tasks::entity::staff::Column::Id.is_in(assignee_ids))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut chains: HashMap<i32, Vec<String>> = HashMap::new();
    for l in &chain_leads {
        let label = xunren_tasks::code::LeadKind::parse(&l.kind)
            .map(|k| k.label().to_string())
            .unwrap_or_else(|_| l.kind.clone());
        let mark = match l.outcome.as_deref() {
            Some("dead_end") => "✗",
            Some("new_info") => "→",
            Some("reached") | Some("located") => "✓",
            _ => "",
        };
        chains
            .entry(l.case_id)
            .or_default()
            .push(format!("{label}{mark}"));
    }
    let summary = xunren_tasks::lead::LeadSummary::from;
    Ok(leads
        .iter()
        .map(|l| {
            let s = summary(l);
            let owner = cases.get(&l.case_id);
            let person = owner.and_then(|c| persons.get(&c.person_id));
            let state = owner.map(|c| c.state.clone()).unwrap_or_default();
            LeadRow {
                id: l.id,
                case_id: l.case_id,
                kind: s.kind,
                kind_label: s.kind_label,
                detail: s.detail,
                due_date: l.due_date,
                overdue: l.due_date.is_some_and(|d| d < today),
                new: !tried.contains(&l.id),
                escalation_level: l.escalation_level,
                assignee: l.assignee_id.and_then(|id| staff.get(&id).cloned()),
                person: person.map(|p| p.masked_name()).unwrap_or_default(),
                cert_no: person.map(|p| p.cert_no.clone()).unwrap_or_default(),
                subdistrict: person.and_then(|p| p.subdistrict.clone()),
                committee: person.and_then(|p| p.committee.clone()),
                case_state_label: state_label(&state),
                case_state: state,
                chain: chains
                    .get(&l.case_id)
                    .map(|c| c.join(" → "))
                    .unwrap_or_default(),
            }
        })
        .collect())
}

/// The Chinese label of a holder-role code (产权人, 承租人, 同住人 …).
pub fn role_label(code: &str) -> String {
    xunren_domain::HolderRole::parse(code)
        .map(|r| r.label_zh().to_string())
        .unwrap_or_else(|_| code.to_string())
}

/// The Chinese label of a case-state code.
pub fn state_label(code: &str) -> String {
    CaseState::parse(code)
        .map(|s| s.label().to_string())
        .unwrap_or_else(|_| code.to_string())
}

/// A matcher candidate (比对候选) of a person, with its evidence.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    /// `person` (the person themself) or `relative` (亲属).
    pub kind: String,
    pub rank: i32,
    pub score: f64,
    pub source: String,
    pub record_id: String,
    pub name: String,
    pub address: Option<String>,
    pub previous_address: Option<String>,
    pub phones: Option<String>,
    /// One line per field: the evidence for (+) or against (−) with its weight in bits.
    pub evidence: Vec<String>,
}

#[derive(FromQueryResult)]
struct CandidateRow {
    kind: String,
    rank: i32,
    score: f64,
    evidence: String,
    source: String,
    record_id: String,
    name: String,
    address: Option<String>,
    previous_address: Option<String>,
    phones: Option<String>,
}

/// The stored candidates of person `person_id`, best first; personal data masked unless
/// `unmasked`.
pub async fn candidates<C: ConnectionTrait>(
    db: &C,
    person_id: i32,
    unmasked: bool,
    english: bool,
) -> Result<Vec<Candidate>, WebError> {
    let sql = format!(
        "SELECT m.kind AS kind, m.rank AS rank, m.score AS score, m.evidence AS evidence,
                s.name AS source, r.record_id AS record_id, r.name AS name, r.address AS address,
                r.previous_address AS previous_address, r.phones AS phones
         FROM match_candidates m JOIN reference_records r ON r.id = m.reference_record_id
         JOIN reference_sources s ON s.id = r.source_id
         WHERE m.person_id = {person_id} ORDER BY m.kind DESC, m.rank"
    );
    let rows =
        CandidateRow::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
            .all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let evidence = evidence_lines(&r.evidence, english);
            let mask_phones = |p: Option<String>| {
                p.map(|p| {
                    if unmasked {
                        p
                    } else {
                        xunren_domain::mask_phone(&p)
                    }
                })
            };
            Candidate {
                kind: r.kind,
                rank: r.rank,
                score: r.score,
                source: r.source,
                record_id: r.record_id,
                name: if unmasked {
                    r.name
                } else {
                    xunren_domain::mask_name(&r.name)
                },
                address: r.address,
                previous_address: r.previous_address,
                phones: mask_phones(r.phones),
                evidence,
            }
        })
        .collect())
}

/// The evidence JSON of a candidate as lines (`姓名同音 明/铭 (+6.2)`).
pub fn evidence_lines(json: &str, english: bool) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    if let Some(fields) = value.get("fields").and_then(|f| f.as_array()) {
        for field in fields {
            let text = field
                .get(if english { "en" } else { "zh" })
                .and_then(|t| t.as_str())
                .unwrap_or("");
            let weight = field.get("weight").and_then(|w| w.as_f64()).unwrap_or(0.0);
            if !text.is_empty() {
                lines.push(format!("{text} ({weight:+.1})"));
            }
        }
    } else if let Some(text) = value
        .get(if english { "en" } else { "zh" })
        .and_then(|t| t.as_str())
    {
        lines.push(text.to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn evidence_lines_read_the_stored_json() {
        let json = r#"{"zh":"…","fields":[{"zh":"姓名同音 明/铭","en":"name: homophone","weight":6.24},{"zh":"电话不同","en":"phone differs","weight":-3.0}]}"#;
        assert_eq!(
            super::evidence_lines(json, false),
            vec!["姓名同音 明/铭 (+6.2)", "电话不同 (-3.0)"]
        );
        assert_eq!(
            super::evidence_lines(json, true)[0],
            "name: homophone (+6.2)"
        );
        assert!(super::evidence_lines("not json", false).is_empty());
    }
}
