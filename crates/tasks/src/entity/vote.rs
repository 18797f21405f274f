//! 征询意见 Vote: a certificate's opinion in round 1 (意愿征询) or its signing in round 2 (签约).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "votes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub certificate_id: i32,
    /// 1 or 2.
    pub round: i32,
    /// Code of [`crate::code::Opinion`].
    pub opinion: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
