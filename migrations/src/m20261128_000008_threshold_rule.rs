//! How a base's threshold is read: `at_least` (达到, share ≥ threshold; the default) or
//! `more_than` (超过, share > threshold — Huangpu's published rule: "more than 90 % agree").
//! One setting per base, for both rounds.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("bases")
                    .add_column(string("threshold_rule").default("at_least"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("bases")
                    .drop_column("threshold_rule")
                    .to_owned(),
            )
            .await
    }
}
