//! A candidate the matcher found for a lost person: maybe the person themself (`person`), or a
//! relative or former neighbour (`relative`) — never mixed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_candidates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub person_id: i32,
    pub reference_record_id: i64,
    /// `person` or `relative`.
    pub kind: String,
    /// 1 is best, within (person, kind).
    pub rank: i32,
    /// Calibrated match probability in [0, 1].
    pub score: f64,
    /// JSON evidence: per field the comparison level, weight and bilingual rendering.
    pub evidence: String,
    pub matched_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
