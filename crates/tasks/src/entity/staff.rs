//! 工作人员 Staff: a liaison, committee cadre, office worker, team leader or supervisor.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// 姓名, unique.
    pub name: String,
    /// 角色 code of [`crate::code::StaffRole`].
    pub role: String,
    /// 小组 team (专业小组).
    pub team: Option<String>,
    /// 街道 subdistricts covered, joined by `;`.
    pub subdistricts: String,
    /// 居委会 committees covered, joined by `;`.
    pub committees: String,
    /// 技能 skills, joined by `;`.
    pub skills: String,
    /// 容量: open leads at most.
    pub capacity: i32,
    /// `active` or `on_leave`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
