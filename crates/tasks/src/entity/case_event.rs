//! 审计记录 CaseEvent: one line of a case's append-only audit log (who, when, from, to, note).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i32,
    pub lead_id: Option<i32>,
    /// Code of [`crate::code::EventKind`].
    pub kind: String,
    /// The staff member who acted, when it was one.
    pub actor_id: Option<i32>,
    /// Who acted: a staff name or `system`.
    pub actor: String,
    pub at: DateTimeUtc,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
