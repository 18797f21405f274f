//! 查阅记录 ViewAudit: who opened a whole view of personal data, and when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "view_audit")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: Option<i32>,
    pub user_name: String,
    pub at: DateTimeUtc,
    /// `person`, `case`, `lead`, `visit_sheet`, `export` …
    pub subject: String,
    pub subject_id: Option<i32>,
    /// The path requested (ids only, never personal data).
    pub path: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
