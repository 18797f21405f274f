//! Imports: the expropriation office's roster (花名册) and reference records. Each import is one
//! transaction — all or nothing — and validates every row before anything is kept.

pub mod columns;
pub mod reference;
pub mod roster;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde::Serialize;

use crate::entity::{import_batch, import_warning};
use crate::error::RowProblem;

/// What an import did (or, with `--dry-run`, would do) to one kind of row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub unchanged: u64,
}

impl Counts {
    /// Whether the import changes anything at all.
    pub fn is_change(&self) -> bool {
        self.added + self.changed + self.removed > 0
    }
}

/// Progress of a running import, for a progress bar: bytes read of the file's size, rows so far.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub bytes_read: u64,
    pub total_bytes: u64,
    pub rows: u64,
}

/// Something told about progress; the CLI draws a bar with it, tests pass `&|_| {}`.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Sync);

/// Records an import batch row and returns its id.
pub(crate) async fn start_batch<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    base_id: Option<i32>,
    file_name: &str,
) -> Result<i32, DbErr> {
    let batch = import_batch::ActiveModel {
        kind: Set(kind.to_string()),
        base_id: Set(base_id),
        file_name: Set(file_name.to_string()),
        file_sha256: Set(String::new()),
        imported_at: Set(chrono::Utc::now()),
        rows: Set(0),
        added: Set(0),
        changed: Set(0),
        removed: Set(0),
        unchanged: Set(0),
        warnings: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(batch.id)
}

/// Completes a batch row with the file's hash, its counts, and its warnings.
pub(crate) async fn finish_batch<C: ConnectionTrait>(
    db: &C,
    batch_id: i32,
    sha256: String,
    rows: u64,
    counts: Counts,
    warnings: &[RowProblem],
) -> Result<(), DbErr> {
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    import_batch::ActiveModel {
        id: Set(batch_id),
        file_sha256: Set(sha256),
        rows: Set(as_i64(rows)),
        added: Set(as_i64(counts.added)),
        changed: Set(as_i64(counts.changed)),
        removed: Set(as_i64(counts.removed)),
        unchanged: Set(as_i64(counts.unchanged)),
        warnings: Set(as_i64(warnings.len() as u64)),
        ..Default::default()
    }
    .update(db)
    .await?;
    for chunk in warnings.chunks(500) {
        let rows = chunk.iter().map(|warning| import_warning::ActiveModel {
            batch_id: Set(batch_id),
            row: Set(as_i64(warning.row)),
            column: Set(warning.column.clone()),
            message: Set(warning.message.clone()),
            ..Default::default()
        });
        import_warning::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}
