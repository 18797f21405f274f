//! 我的线索 lists a staff member's open leads by due date on every page view: an index on
//! `leads (assignee_id, status, due_date)` serves it directly (without it, SQLite walked every
//! open lead — 2.3 ms against 0.25 ms, measured by the load benchmark).

use sea_orm_migration::prelude::*;

use crate::{drop_index, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "leads",
                &["assignee_id", "status", "due_date"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(drop_index("leads", &["assignee_id", "status", "due_date"]))
            .await
    }
}
