//! 线索 Lead: one concrete way to reach a lost person; its outcome may spawn follow-up leads.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub case_id: i32,
    /// The lead whose outcome spawned this one (the chain).
    pub parent_lead_id: Option<i32>,
    /// Code of [`crate::code::LeadKind`].
    pub kind: String,
    /// What to do: the address, committee, relative, phone … (may hold personal data: never log).
    pub detail: String,
    /// The matcher candidate this lead came from.
    pub candidate_id: Option<i64>,
    /// Skills the lead needs, joined by `;`.
    pub required_skills: String,
    /// `open` or `closed`.
    pub status: String,
    /// Code of [`crate::code::LeadOutcome`] once closed.
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
    pub assignee_id: Option<i32>,
    /// Why the assignee was chosen (bilingual).
    pub assignment_reason: Option<String>,
    /// How far the rules were relaxed (0 = strict), `None` for manual assignment.
    pub assignment_level: Option<i32>,
    pub assigned_at: Option<DateTimeUtc>,
    pub due_date: Option<Date>,
    /// 0 none, 1 team leader, 2 supervisor.
    pub escalation_level: i32,
    pub escalated_to_id: Option<i32>,
    /// Bumped on every assignment change: claims are conditional on it.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
