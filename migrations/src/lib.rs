//! Database schema of xunren, as `sea-orm-migration` migrations that run unchanged on SQLite and
//! PostgreSQL.
//!
//! One file per migration (`DeriveMigrationName` takes the file name). The `xunren` binary applies
//! pending migrations at start; `xunren migrate up|down|status` runs them explicitly.
//!
//! Never edit a migration that has shipped: add a new one.

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_create_registry;
mod m20261128_000002_create_match_candidates;
mod m20261128_000003_create_tasks;

/// All migrations of xunren, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_registry::Migration),
            Box::new(m20261128_000002_create_match_candidates::Migration),
            Box::new(m20261128_000003_create_tasks::Migration),
        ]
    }
}
