//! One import of one file: when, which file (name and SHA-256), and what it changed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_batches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `roster` or `reference`.
    pub kind: String,
    pub base_id: Option<i32>,
    pub file_name: String,
    pub file_sha256: String,
    pub imported_at: DateTimeUtc,
    pub rows: i64,
    pub added: i64,
    pub changed: i64,
    pub removed: i64,
    pub unchanged: i64,
    pub warnings: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
