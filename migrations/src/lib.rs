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
mod m20261128_000004_create_accounts;
mod m20261128_000005_append_only_audit;
mod m20261128_000006_index_leads_by_assignee;
mod m20261128_000007_keep_removed_holders;
mod m20261128_000008_threshold_rule;
mod m20261128_000009_index_reference_batches;
mod m20261128_000010_index_rows_as_cache;

/// A foreign key named `fk_<table>_<column>` from `table.column` to `target.id`.
pub(crate) fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .to_owned()
}

/// An index named `ix_<table>_<columns>` over `columns` of `table`.
pub(crate) fn index(
    table: &'static str,
    columns: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        statement.col(*column);
    }
    if unique {
        statement.unique();
    }
    statement.to_owned()
}

/// Drops the index [`index`] made over `columns` of `table`.
pub(crate) fn drop_index(table: &'static str, columns: &[&'static str]) -> IndexDropStatement {
    Index::drop()
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(table)
        .to_owned()
}

/// All migrations of xunren, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_create_registry::Migration),
            Box::new(m20261128_000002_create_match_candidates::Migration),
            Box::new(m20261128_000003_create_tasks::Migration),
            Box::new(m20261128_000004_create_accounts::Migration),
            Box::new(m20261128_000005_append_only_audit::Migration),
            Box::new(m20261128_000006_index_leads_by_assignee::Migration),
            Box::new(m20261128_000007_keep_removed_holders::Migration),
            Box::new(m20261128_000008_threshold_rule::Migration),
            Box::new(m20261128_000009_index_reference_batches::Migration),
            Box::new(m20261128_000010_index_rows_as_cache::Migration),
        ]
    }
}
