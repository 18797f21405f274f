//! 权证 property certificate: the unit that is consulted, counted and signed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub base_id: i32,
    /// 权证号, unique within a base.
    pub cert_no: String,
    /// 房屋坐落 property address.
    pub property_address: Option<String>,
    /// 房屋类型 code of `xunren_domain::HousingType`.
    pub housing_type: Option<String>,
    pub department_id: Option<i32>,
    pub subdistrict_id: Option<i32>,
    pub committee_id: Option<i32>,
    pub import_batch_id: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
