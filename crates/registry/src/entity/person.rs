//! A person on a certificate: holder (承租人/产权人), co-resident (同住人) or organisation (单位).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub certificate_id: i32,
    pub name: String,
    /// 身份 code of `xunren_domain::HolderRole`.
    pub role: String,
    /// Canonical 18-character ID (`*` at hidden positions of a masked ID).
    pub id_number: Option<String>,
    /// The ID number exactly as the roster gave it.
    pub id_number_as_given: Option<String>,
    /// `full`, `legacy15` or `masked`.
    pub id_kind: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<Date>,
    /// Canonical phones joined by `;`.
    pub phones: Option<String>,
    /// 户籍地址 registered address, often out of date (人户分离).
    pub registered_address: Option<String>,
    /// 联系状态 code of `xunren_domain::ContactStatus` (`contacted` or `lost`).
    pub contact_status: String,
    /// Import warnings on this person (JSON array of bilingual messages).
    pub warnings: Option<String>,
    pub import_batch_id: Option<i32>,
    pub updated_at: DateTimeUtc,
    /// Set when a newer roster no longer lists this holder but a tracing case keeps them
    /// (已移出名单); `None` for every holder on the current roster.
    pub removed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
