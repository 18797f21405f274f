//! # xunren-registry
//!
//! The registry of xunren (寻人): redevelopment bases (征收基地), their certificates (权证) and the
//! persons on them, and the reference records (参考记录) that staff trace lost persons through —
//! stored with sea-orm on an embedded SQLite file (the default) or on PostgreSQL.
//!
//! Public surface:
//! - [`connect`] opens a database by URL and applies pending migrations;
//! - [`import::roster::import_roster`] and [`import::reference::import_reference`] read CSV (UTF-8
//!   or GBK) and `.xlsx` files, validate every row with the domain types of `xunren-domain`, and
//!   write in one transaction — all or nothing;
//! - [`stats::registry_stats`] counts certificates, persons and lost persons per base,
//!   department, subdistrict and committee;
//! - [`entity`] holds the sea-orm entities for the other crates (tasks, matching) to query.
//!
//! Invariants: an import that returns an error wrote nothing; a roster import leaves the base
//! exactly as the file describes it; codes stored in the database are the stable English codes
//! of `xunren-domain` (`lost`, `tenant`, …), never display labels.

mod bulk;
pub mod entity;
pub mod error;
pub mod import;
mod lookup;
mod match_index;
pub mod matching;
pub mod stats;
pub mod table;

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use xunren_migration::{Migrator, MigratorTrait};

pub use error::{ImportError, RowProblem};
pub use lookup::ensure_base;

/// The embedded default: a SQLite file `xunren.db` in the working directory, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://xunren.db?mode=rwc";

/// Opens the database at `url` without touching its schema. SQLite gets WAL, foreign keys, a busy
/// timeout and `synchronous = NORMAL`; statement logging is off (it would log personal data).
pub async fn connect_without_migrating(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(30))
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    if url.starts_with("sqlite:") {
        // One writer at a time in SQLite: a small pool avoids lock contention.
        options.max_connections(4);
    } else {
        options.max_connections(16);
    }
    Database::connect(options).await
}

/// Opens the database at `url` and applies every pending migration.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect_without_migrating(url).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}
