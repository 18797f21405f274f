//! A holder (权利人) that a newer roster no longer lists, but who has a tracing case (寻人个案),
//! is kept and marked removed (`persons.removed_at`) instead of deleted: deleting would take the
//! case, its leads, attempts and audit log with it (the history of the search is evidence, e.g.
//! for the notary deposit of an untraceable holder). A removed holder is no longer matched,
//! counted or given a case; listing them again in a roster clears the mark.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("persons")
                    .add_column(timestamp_with_time_zone_null("removed_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("persons")
                    .drop_column("removed_at")
                    .to_owned(),
            )
            .await
    }
}
