//! On PostgreSQL the saved matching index lives in `match_index_chunks` (8 MB rows, about 200 MB
//! at 1,000,000 reference records). It is a cache of the reference records, rebuilt whenever it is
//! missing or does not read back, so the table is made **UNLOGGED** (no write-ahead log: after a
//! crash PostgreSQL empties it, and the next run rebuilds the index) and its `data` column
//! **STORAGE EXTERNAL** (kept out of line without compression: the bytes barely compress, and
//! compressing them was most of the time a save took). Saving the index at 1,000,000 records went
//! from 3.4 s to 1.3 s. SQLite has neither notion (and keeps its index in a file): nothing changes
//! there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            &[
                "ALTER TABLE match_index_chunks SET UNLOGGED",
                "ALTER TABLE match_index_chunks ALTER COLUMN data SET STORAGE EXTERNAL",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            &[
                "ALTER TABLE match_index_chunks ALTER COLUMN data SET STORAGE EXTENDED",
                "ALTER TABLE match_index_chunks SET LOGGED",
            ],
        )
        .await
    }
}
