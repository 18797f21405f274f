//! 走访记录 Attempt: one visit or contact attempt on a lead.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub lead_id: i32,
    pub staff_id: Option<i32>,
    /// Code of [`crate::code::AttemptMethod`].
    pub method: String,
    pub at: DateTimeUtc,
    /// Code of [`crate::code::AttemptResult`].
    pub result: String,
    pub notes: Option<String>,
    pub next_step: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
