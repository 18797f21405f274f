//! 个案 Case: one per lost (失联) person, from open to resolved or closed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub person_id: i32,
    pub base_id: i32,
    /// Code of [`crate::code::CaseState`].
    pub state: String,
    /// Why a case was closed (deceased, abroad, refuses contact, untraceable).
    pub closing_reason: Option<String>,
    pub opened_at: DateTimeUtc,
    /// When the person was first located (找到).
    pub located_at: Option<DateTimeUtc>,
    /// When the case was contacted or closed.
    pub resolved_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
