//! 居委会 neighbourhood committee, under a subdistrict.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "committees")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub subdistrict_id: i32,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
