//! 用户 User: an account that signs in to the web app.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// 登录名, unique.
    pub name: String,
    /// Code of [`crate::account::Role`].
    pub role: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// The staff record a staff or leader account works as.
    pub staff_id: Option<i32>,
    /// The base a supervisor oversees (none: every base).
    pub base_id: Option<i32>,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
