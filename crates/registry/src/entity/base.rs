//! 征收基地 redevelopment base: the unit whose certificates are consulted against thresholds.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "bases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub district: Option<String>,
    /// 一轮征询 date of the first-round consultation.
    pub round1_date: Option<Date>,
    /// Share of certificates that must agree in round 1 (default 0.9).
    pub round1_threshold: f64,
    /// 二轮征询 signing period.
    pub round2_start: Option<Date>,
    pub round2_end: Option<Date>,
    /// Share of certificates that must sign in round 2 (default 0.85).
    pub round2_threshold: f64,
    pub created_at: DateTimeUtc,
    /// How the thresholds are read: `at_least` (≥, 达到) or `more_than` (>, 超过).
    pub threshold_rule: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
