//! # xunren-tasks
//!
//! The tracing workflow of xunren (寻人): it turns the lost-contact list (失联名单) into cases,
//! leads and visits worked by staff, and the consultation votes into the figures supervisors read
//! every day. It owns the tables `staff`, `cases`, `case_events`, `leads`, `attempts` and `votes`
//! (migration `m20261128_000003_create_tasks`) and their entities ([`entity`]); it reads the
//! registry's bases, certificates, persons and the matcher's stored `match_candidates`.
//!
//! Public surface:
//! - [`case`]: 个案 Case — opening one per lost person, the validated state machine
//!   ([`code::CaseState`]), the append-only audit log, stuck cases (no live lead);
//! - [`staff`]: 工作人员 Staff — add, change, leave/return, `import staff` (CSV/xlsx);
//! - [`lead`]: 线索 Lead and 走访记录 Attempt — candidate leads from the matcher, chains of
//!   follow-ups, attempts, closing (never without an attempt);
//! - [`assign`]: 分派 Assignment — explainable rules (熟人 → area → skills → load → fairness) with
//!   a stated relaxation order, manual reassignment, claim/release (race-safe on both engines),
//!   bulk reassignment when someone goes on leave;
//! - [`deadline`]: due dates, escalation (team leader, then supervisor), the daily digest;
//! - [`vote`]: 征询意见 Vote — `import votes`, recording, thresholds per base;
//! - [`report`]: supervisor reports (consultation table, unresolved, overdue, staff, burn-down,
//!   blocked certificates) as [`report::ReportTable`] rendered as table, CSV, xlsx or JSON.
//!
//! Invariants: every state change runs in one transaction and writes its audit line
//! (`case_events`) in the same transaction; personal data never reaches logs, and lists mask
//! names and phones with `xunren_domain::mask_*`; codes, not labels, are stored. Write
//! transactions begin `IMMEDIATE` on SQLite so that concurrent staff queue for the write lock
//! instead of failing; claims are conditional updates on a version column (both engines).

pub mod assign;
pub mod case;
pub mod code;
pub mod deadline;
pub mod entity;
pub mod error;
mod import;
pub mod lead;
pub mod report;
pub mod staff;
pub mod vote;

pub use case::Actor;
pub use error::{Result, TaskError};

/// Timestamps of the workflow.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Re-exported for callers (the CLI, the web) that name dates and serialise reports.
pub use chrono;
pub use serde::Serialize;

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
/// taken at once (waiting out the busy timeout), so a transaction that reads before it writes
/// cannot fail with "database is locked" when another writer committed meanwhile. Other engines
/// ignore the mode.
pub(crate) async fn begin_write(
    db: &sea_orm::DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::TransactionTrait;
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
