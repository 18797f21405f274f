//! A record of a reference source: who lived where, as that source knows it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reference_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub source_id: i32,
    /// 记录号, unique within its source.
    pub record_id: String,
    pub name: String,
    /// Canonical 18-character ID when the given text parsed.
    pub id_number: Option<String>,
    pub id_number_as_given: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<Date>,
    /// Canonical phones joined by `;`, or the text as given when it did not parse.
    pub phones: Option<String>,
    /// 地址 the address the source knows (for 旧改档案: the relocation address).
    pub address: Option<String>,
    /// 原地址 previous address (for 旧改档案: the demolished address).
    pub previous_address: Option<String>,
    pub warnings: Option<String>,
    pub import_batch_id: Option<i32>,
    /// Stable hash (SHA-256, first 8 bytes) of the content fields, for cheap re-import diffs.
    pub content_hash: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
