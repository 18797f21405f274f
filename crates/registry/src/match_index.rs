//! The matching index of the reference records (匹配索引): built from the database, kept up to date,
//! saved and loaded. The matcher (xunren-match) knows no database; this module feeds it.
//!
//! - The index is built once per state of the reference records (a fingerprint of their count,
//!   highest id and newest import batch, [`reference_fingerprint`]) and saved; later runs load it.
//!   When records were only added since (no record up to the saved highest id changed or went
//!   away), the saved index is loaded, extended with the added records and saved again instead of
//!   being rebuilt ([`xunren_match::Index::extend`] gives the same candidates as a rebuild).
//! - Records are read a page at a time, each page as one row (see [`reference_page_sql`]), while a
//!   thread of its own prepares the previous page.
//! - Where it is saved ([`IndexStore`]): on the embedded SQLite default, in a file beside the
//!   database (`xunren.db-match-index`), written to a temporary file and renamed into place; on
//!   PostgreSQL (or an in-memory SQLite database), in the table `match_index_chunks`, in rows of
//!   8 MB, so that every app instance sharing the database finds it. Either way the saved bytes
//!   carry the fingerprint they were built for, and an index that does not read back is rebuilt.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionTrait, Value,
};
use serde::Serialize;
use xunren_match::{Index, IndexBuilder, IndexError, Record};

use crate::entity::match_index_chunk;
use crate::matching::MatchError;

/// Reference records read per keyset page.
const PAGE: u64 = 50_000;

/// The state of the reference records an index was built from (参考记录状态): their count, highest
/// id and newest import batch, with the matcher's index version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ReferenceState {
    records: i64,
    max_id: i64,
    max_batch: i64,
}

impl ReferenceState {
    fn fingerprint(&self) -> String {
        format!(
            "v{}:{}:{}:{}",
            xunren_match::INDEX_VERSION,
            self.records,
            self.max_id,
            self.max_batch
        )
    }

    /// The state a fingerprint names, when it was written by this index version.
    fn parse(fingerprint: &str) -> Option<Self> {
        let rest = fingerprint.strip_prefix('v')?;
        let mut parts = rest.split(':');
        let version: u32 = parts.next()?.parse().ok()?;
        if version != xunren_match::INDEX_VERSION {
            return None;
        }
        let state = ReferenceState {
            records: parts.next()?.parse().ok()?,
            max_id: parts.next()?.parse().ok()?,
            max_batch: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(state)
    }
}

fn get_i64(row: &sea_orm::QueryResult, column: &str) -> Result<i64, DbErr> {
    row.try_get::<i64>("", column)
        .or_else(|_| row.try_get::<i32>("", column).map(i64::from))
}

/// An integer a query returns in its first column, or 0.
async fn count<C: ConnectionTrait>(db: &C, sql: String, values: Vec<Value>) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    match row {
        Some(row) => get_i64(&row, "n"),
        None => Ok(0),
    }
}

/// The state of the reference records now. Each figure is its own query, so that each is answered
/// from an index (`MAX(import_batch_id)` from the one of migration 000009) instead of a pass over
/// the table.
async fn reference_state<C: ConnectionTrait>(db: &C) -> Result<ReferenceState, DbErr> {
    let mut figures = [0i64; 3];
    for (figure, expr) in figures.iter_mut().zip([
        "COUNT(*)",
        "COALESCE(MAX(id), 0)",
        "COALESCE(MAX(import_batch_id), 0)",
    ]) {
        *figure = count(
            db,
            format!("SELECT {expr} AS n FROM reference_records"),
            Vec::new(),
        )
        .await?;
    }
    let [records, max_id, max_batch] = figures;
    Ok(ReferenceState {
        records,
        max_id,
        max_batch,
    })
}

/// Names the state of the reference records an index was built from, and the matcher's index
/// version (a newer matcher rebuilds an index saved by an older one).
pub async fn reference_fingerprint<C: ConnectionTrait>(db: &C) -> Result<String, DbErr> {
    Ok(reference_state(db).await?.fingerprint())
}

/// Whether the reference records now are those of `saved` plus records added after it (新增):
/// every record up to the saved highest id is still there (same count) and none of them was
/// changed since (an import that changes a record stamps it with its own, newer batch). Ids only
/// grow (PostgreSQL sequences; SQLite hands out the highest id + 1), so added records have ids
/// above the saved highest one.
async fn only_additions_since<C: ConnectionTrait>(
    db: &C,
    saved: ReferenceState,
    now: ReferenceState,
) -> Result<bool, DbErr> {
    if now.records <= saved.records || now.max_id <= saved.max_id {
        return Ok(false);
    }
    let (first, second) = match db.get_database_backend() {
        DbBackend::Postgres => ("$1", "$2"),
        _ => ("?", "?"),
    };
    let added = count(
        db,
        format!("SELECT COUNT(*) AS n FROM reference_records WHERE id > {first}"),
        vec![Value::from(saved.max_id)],
    )
    .await?;
    if now.records - added != saved.records {
        return Ok(false);
    }
    let changed = count(
        db,
        format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM reference_records \
             WHERE import_batch_id > {first} AND id <= {second} LIMIT 1) c"
        ),
        vec![Value::from(saved.max_batch), Value::from(saved.max_id)],
    )
    .await?;
    Ok(changed == 0)
}

pub(crate) fn split_phones(phones: Option<&str>) -> Vec<String> {
    phones
        .map(|p| {
            p.split(';')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The separators of a page read by [`read_reference_page`]: between records, between fields.
const RECORD_SEP: char = '\u{1e}';
const FIELD_SEP: char = '\u{1f}';

/// Fields of a record in a page.
const PAGE_FIELDS: usize = 7;

/// The query reading one page of reference records as a single row: the page's highest id, its
/// number of records, and its records joined into one text (fields joined by U+001F, records by
/// U+001E). One row per page instead of one per record: reading 1,000,000 records through the
/// driver row by row took 7.5 s on SQLite, most of it handing rows between threads.
///
/// With `clean`, separators inside values are replaced by spaces (which normalisation drops
/// anyway); that doubles the cost of the query, so it is only run for a page whose plain reading
/// does not split into exactly its count of records of [`PAGE_FIELDS`] fields — which it always
/// does unless a value holds a separator, since every extra separator adds a record or a field.
fn reference_page_sql(backend: sea_orm::DbBackend, clean: bool) -> String {
    let (chr, concat, param) = match backend {
        sea_orm::DbBackend::Postgres => ("chr", "string_agg", ["$1", "$2"]),
        _ => ("char", "group_concat", ["?", "?"]),
    };
    let value = |expr: &str| {
        if clean {
            format!("replace(replace({expr}, {chr}(30), ' '), {chr}(31), ' ')")
        } else {
            expr.to_string()
        }
    };
    let fields: [String; PAGE_FIELDS] = [
        "CAST(id AS TEXT)".to_string(),
        value("name"),
        value("COALESCE(id_number, id_number_as_given, '')"),
        "COALESCE(CAST(birth_date AS TEXT), '')".to_string(),
        value("COALESCE(phones, '')"),
        value("COALESCE(address, '')"),
        value("COALESCE(previous_address, '')"),
    ];
    let line = fields.join(&format!(" || {chr}(31) || "));
    // No ORDER BY inside the aggregate: on SQLite it builds a sorter B-tree for rows that already
    // come in id order from the subquery (a third of the query's time). The order is checked, and
    // restored if need be, by [`records_of_page`].
    format!(
        "SELECT MAX(id) AS last_id, COUNT(*) AS n, {concat}(line, {chr}(30)) AS page \
         FROM (SELECT id, {line} AS line FROM reference_records WHERE id > {} ORDER BY id LIMIT {}) p",
        param[0], param[1]
    )
}

/// The records of a page's text, in id order; `None` unless it splits into exactly `count` records
/// of [`PAGE_FIELDS`] fields with numeric ids.
fn records_of_page(page: &str, count: i64) -> Option<Vec<Record>> {
    let mut records = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut ids = Vec::with_capacity(records.capacity());
    for line in page.split(RECORD_SEP) {
        let record = record_of_line(line)?;
        ids.push(record.id.parse::<i64>().ok()?);
        records.push(record);
    }
    if i64::try_from(records.len()).ok()? != count {
        return None;
    }
    // The aggregate keeps the subquery's order in practice; should an engine ever hand the rows
    // over in another order, positions in the index must still follow the ids.
    if ids.windows(2).any(|w| w[0] >= w[1]) {
        let mut pairs: Vec<(i64, Record)> = ids.into_iter().zip(records).collect();
        pairs.sort_by_key(|p| p.0);
        records = pairs.into_iter().map(|p| p.1).collect();
    }
    Some(records)
}

/// The matcher's record of one line of a page (see [`reference_page_sql`]); `None` unless it has
/// exactly [`PAGE_FIELDS`] fields.
fn record_of_line(line: &str) -> Option<Record> {
    let fields: Vec<&str> = line.split(FIELD_SEP).collect();
    let [id, name, id_number, birth_date, phones, address, previous] = fields[..] else {
        return None;
    };
    let optional = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Some(Record {
        id: id.to_string(),
        name: name.to_string(),
        former_names: Vec::new(),
        id_number: optional(id_number),
        birth_date: optional(birth_date),
        phones: split_phones(Some(phones)),
        address: optional(address),
        former_address: optional(previous),
        registered_address: None,
    })
}

/// Reads the reference records with an id above `after`, at most `limit`, as the matcher's
/// records; with the highest id read (`None` when there are no more).
async fn read_reference_page<C: ConnectionTrait>(
    db: &C,
    after: i64,
    limit: u64,
) -> Result<(Vec<Record>, Option<i64>), DbErr> {
    let backend = db.get_database_backend();
    for clean in [false, true] {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                reference_page_sql(backend, clean),
                [Value::from(after), Value::from(limit as i64)],
            ))
            .await?;
        let Some(row) = row else {
            return Ok((Vec::new(), None));
        };
        let last = row.try_get::<Option<i64>>("", "last_id").or_else(|_| {
            row.try_get::<Option<i32>>("", "last_id")
                .map(|v| v.map(i64::from))
        })?;
        let Some(last) = last else {
            return Ok((Vec::new(), None));
        };
        let count = get_i64(&row, "n")?;
        let page: Option<String> = row.try_get("", "page")?;
        if let Some(records) = records_of_page(page.as_deref().unwrap_or(""), count) {
            return Ok((records, Some(last)));
        }
    }
    Err(DbErr::Custom(format!(
        "参考记录第 {after} 号之后的一页无法读取 / the page of reference records after id {after} could not be read"
    )))
}

/// Feeds the reference records with an id above `after` to `builder` and finishes the index. Pages
/// are read here while a thread of its own prepares the previous page (reading is one core's work,
/// preparing is spread over all), and finishing (sorting keys, deriving the model) runs on that
/// thread too, off the async runtime.
async fn build_from_records<C: ConnectionTrait>(
    db: &C,
    mut builder: IndexBuilder,
    mut after: i64,
    expected: i64,
) -> Result<Index, MatchError> {
    builder.expect_records(usize::try_from(expected).unwrap_or(0));
    let (pages, mut inbox) = tokio::sync::mpsc::channel::<Vec<Record>>(1);
    let (done, result) = tokio::sync::oneshot::channel::<Result<Index, IndexError>>();
    std::thread::spawn(move || {
        let mut builder = builder;
        let mut outcome = Ok(());
        let (mut waiting, mut adding) = (Duration::ZERO, Duration::ZERO);
        let mut clock = Instant::now();
        while let Some(page) = inbox.blocking_recv() {
            waiting += clock.elapsed();
            clock = Instant::now();
            if outcome.is_ok() {
                outcome = builder.add(&page).map(|_| ());
            }
            adding += clock.elapsed();
            clock = Instant::now();
        }
        tracing::debug!(
            ?waiting,
            ?adding,
            "index builder: waited for pages, prepared and added them"
        );
        let _ = done.send(outcome.map(|()| builder.finish()));
    });
    loop {
        let (page, last) = read_reference_page(db, after, PAGE).await?;
        let Some(last) = last else { break };
        after = last;
        if pages.send(page).await.is_err() {
            break;
        }
    }
    drop(pages);
    match result.await {
        Ok(index) => Ok(index?),
        Err(_) => Err(MatchError::BuilderStopped),
    }
}

/// Collects written bytes in chunks of [`CHUNK`] bytes, each allocated once (no growing buffer
/// copied as it grows, no copy per saved row).
#[derive(Default)]
struct Chunks(Vec<Vec<u8>>);

impl std::io::Write for Chunks {
    fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len();
        while !buf.is_empty() {
            let last = match self.0.last_mut() {
                Some(last) if last.len() < CHUNK => last,
                _ => {
                    self.0.push(Vec::with_capacity(CHUNK));
                    let Some(last) = self.0.last_mut() else {
                        break;
                    };
                    last
                }
            };
            let take = buf.len().min(CHUNK - last.len());
            last.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes of a saved index per database row.
const CHUNK: usize = 8 * 1024 * 1024;

/// Where the saved index lives (匹配索引的存放处).
#[derive(Clone, Debug, PartialEq, Eq)]
enum IndexStore {
    /// A file beside the SQLite database: its first line is the fingerprint, the index follows.
    File(PathBuf),
    /// Rows of `match_index_chunks`, each carrying the fingerprint.
    Rows,
}

/// The suffix of the index file beside a SQLite database file.
const INDEX_FILE_SUFFIX: &str = "-match-index";
/// The longest fingerprint line an index file may start with.
const MAX_FINGERPRINT: usize = 256;

/// The store of this database: the file beside a SQLite database's main file, rows otherwise
/// (PostgreSQL, or SQLite without a file).
async fn index_store<C: ConnectionTrait>(db: &C) -> Result<IndexStore, DbErr> {
    let backend = db.get_database_backend();
    if backend != DbBackend::Sqlite {
        return Ok(IndexStore::Rows);
    }
    let rows = db
        .query_all_raw(Statement::from_string(backend, "PRAGMA database_list"))
        .await?;
    for row in rows {
        let name: String = row.try_get("", "name")?;
        let file: String = row.try_get("", "file")?;
        if name == "main" && !file.is_empty() {
            return Ok(IndexStore::File(PathBuf::from(file + INDEX_FILE_SUFFIX)));
        }
    }
    Ok(IndexStore::Rows)
}

/// An I/O error of the index file as a database error (the file is the database's companion).
fn file_error(path: &std::path::Path, error: std::io::Error) -> DbErr {
    DbErr::Custom(format!(
        "匹配索引文件 {} 读写失败 / the matching index file {} could not be read or written: {error}",
        path.display(),
        path.display()
    ))
}

/// The fingerprint line at the start of an index file, and where the index begins.
fn file_fingerprint(head: &[u8]) -> Option<(String, usize)> {
    let end = head
        .iter()
        .take(MAX_FINGERPRINT)
        .position(|&b| b == b'\n')?;
    let fingerprint = std::str::from_utf8(&head[..end]).ok()?;
    Some((fingerprint.to_string(), end + 1))
}

/// The first line of an index file: the fingerprint and a nonce drawn when the file was written.
/// The database keeps the same line (a row of `match_index_chunks` without data), so that a file
/// is only used with the database it was written for: a database deleted and created again with
/// reference records of the same count, highest id and batch would otherwise load a stranger's
/// index beside it.
fn new_marker_line(fingerprint: &str) -> String {
    use std::hash::BuildHasher;
    static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // RandomState is seeded from the operating system's randomness.
    let seed = std::collections::hash_map::RandomState::new();
    let nonce = (
        seed.hash_one((now, std::process::id(), n, 1u8)),
        seed.hash_one((now, std::process::id(), n, 2u8)),
    );
    format!("{fingerprint} {:016x}{:016x}", nonce.0, nonce.1)
}

/// The fingerprint part of a marker line.
fn fingerprint_of_line(line: &str) -> Option<String> {
    line.split_once(' ')
        .map(|(fingerprint, _)| fingerprint.to_string())
}

/// The fingerprint column of the first saved row: the fingerprint of the index saved in rows, or
/// the marker line the database holds for its index file.
async fn first_saved_line<C: ConnectionTrait>(db: &C) -> Result<Option<String>, DbErr> {
    match_index_chunk::Entity::find()
        .select_only()
        .column(match_index_chunk::Column::Fingerprint)
        .order_by_asc(match_index_chunk::Column::Seq)
        .into_tuple()
        .one(db)
        .await
}

/// The fingerprint the saved index was stored under, if any.
async fn saved_fingerprint<C: ConnectionTrait>(db: &C) -> Result<Option<String>, DbErr> {
    match index_store(db).await? {
        IndexStore::File(path) => {
            let Some(line) = first_saved_line(db).await? else {
                return Ok(None);
            };
            use tokio::io::AsyncReadExt;
            let mut file = match tokio::fs::File::open(&path).await {
                Ok(file) => file,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(error) => return Err(file_error(&path, error)),
            };
            let mut head = Vec::with_capacity(MAX_FINGERPRINT);
            (&mut file)
                .take(MAX_FINGERPRINT as u64)
                .read_to_end(&mut head)
                .await
                .map_err(|e| file_error(&path, e))?;
            Ok(file_fingerprint(&head)
                .filter(|(head, _)| *head == line)
                .and_then(|(head, _)| fingerprint_of_line(&head)))
        }
        IndexStore::Rows => first_saved_line(db).await,
    }
}

/// Reads an index from its saved bytes; `None` (and a warning) when they do not read back.
fn index_of_bytes(bytes: &[u8]) -> Option<Index> {
    match Index::from_bytes(bytes) {
        Ok(index) => Some(index),
        Err(error) => {
            tracing::warn!("saved matching index unreadable, rebuilding: {error}");
            None
        }
    }
}

/// Loads the saved index for `fingerprint`, if there is one and it reads back. Memory holds the
/// saved bytes once (rows are read one at a time), then the index.
async fn load_index<C: ConnectionTrait>(db: &C, fingerprint: &str) -> Result<Option<Index>, DbErr> {
    if let IndexStore::File(path) = index_store(db).await? {
        let bytes = match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(file_error(&path, error)),
        };
        let marker = first_saved_line(db).await?;
        return Ok(match file_fingerprint(&bytes) {
            Some((line, start))
                if marker.as_deref() == Some(line.as_str())
                    && fingerprint_of_line(&line).as_deref() == Some(fingerprint) =>
            {
                bytes.get(start..).and_then(index_of_bytes)
            }
            _ => None,
        });
    }
    let chunks: Vec<(i32, String)> = match_index_chunk::Entity::find()
        .select_only()
        .column(match_index_chunk::Column::Seq)
        .column(match_index_chunk::Column::Fingerprint)
        .order_by_asc(match_index_chunk::Column::Seq)
        .into_tuple()
        .all(db)
        .await?;
    if chunks.is_empty() || chunks.iter().any(|(_, f)| f != fingerprint) {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    for (seq, _) in &chunks {
        let data: Option<Vec<u8>> = match_index_chunk::Entity::find()
            .select_only()
            .column(match_index_chunk::Column::Data)
            .filter(match_index_chunk::Column::Seq.eq(*seq))
            .into_tuple()
            .one(db)
            .await?;
        let Some(data) = data else {
            return Ok(None);
        };
        if bytes.is_empty() {
            bytes.reserve_exact(data.len() * chunks.len());
        }
        bytes.extend_from_slice(&data);
    }
    Ok(index_of_bytes(&bytes))
}

/// A save of the index that may still be running (a file is written on a thread of its own, rows on
/// PostgreSQL in a task of their own, while the caller matches); [`PendingSave::finish`] waits for
/// it and reports its outcome.
#[must_use = "a save must be waited for, or its error is lost"]
pub(crate) struct PendingSave(Option<Saving>);

enum Saving {
    File(FileSave),
    Rows(tokio::task::JoinHandle<Result<(), MatchError>>),
}

/// A file being written, and the marker line the database is to keep once it is.
struct FileSave {
    written: tokio::sync::oneshot::Receiver<Result<(), DbErr>>,
    marker: String,
}

impl PendingSave {
    /// Waits until the index is saved; for a file, then records its marker line in the database.
    pub(crate) async fn finish<C: ConnectionTrait>(self, db: &C) -> Result<(), MatchError> {
        let save = match self.0 {
            None => return Ok(()),
            Some(Saving::Rows(task)) => {
                return task.await.map_err(|_| MatchError::BuilderStopped)?;
            }
            Some(Saving::File(save)) => save,
        };
        match save.written.await {
            Ok(outcome) => outcome?,
            Err(_) => return Err(MatchError::BuilderStopped),
        }
        match_index_chunk::Entity::delete_many().exec(db).await?;
        match_index_chunk::ActiveModel {
            seq: Set(0),
            fingerprint: Set(save.marker),
            data: Set(Vec::new()),
        }
        .insert(db)
        .await?;
        Ok(())
    }
}

/// Writes `index` to `path` under a temporary name of its own, then renames it into place
/// (readers see the old index or the new one, never a part).
fn write_index_file(path: &std::path::Path, first_line: &str, index: &Index) -> Result<(), DbErr> {
    use std::io::Write;
    static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut temporary = path.to_path_buf().into_os_string();
    temporary.push(format!(".{}.{n}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = (|| {
        let mut file =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&temporary)?);
        file.write_all(format!("{first_line}\n").as_bytes())?;
        index
            .write_to(&mut file)
            .map_err(|error| std::io::Error::other(error.to_string()))?;
        // No fsync: the index is a cache, checked when loaded, and rebuilt if a crash left it torn.
        file.flush()?;
        drop(file);
        std::fs::rename(&temporary, path)
    })();
    written.map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        file_error(path, error)
    })
}

/// Saves `index` under `fingerprint`, replacing the saved one. Rows are replaced in one
/// transaction before this returns; a file is written on a thread of its own, straight from the
/// shared index (see [`PendingSave`]).
async fn save_index(
    db: &DatabaseConnection,
    index: &Arc<Index>,
    fingerprint: &str,
) -> Result<PendingSave, MatchError> {
    match index_store(db).await? {
        IndexStore::File(path) => {
            // The former index is no longer this database's until the new file is written.
            match_index_chunk::Entity::delete_many().exec(db).await?;
            let (done, written) = tokio::sync::oneshot::channel();
            let marker = new_marker_line(fingerprint);
            let line = marker.clone();
            let index = Arc::clone(index);
            std::thread::spawn(move || {
                let _ = done.send(write_index_file(&path, &line, &index));
            });
            Ok(PendingSave(Some(Saving::File(FileSave {
                written,
                marker,
            }))))
        }
        // PostgreSQL: in a task of its own, on a connection of its own, while the persons are
        // matched (1.3 s at 1,000,000 records). An in-memory SQLite database (tests) has one
        // writer: saved here.
        IndexStore::Rows if db.get_database_backend() == DbBackend::Postgres => {
            let (db, index) = (db.clone(), Arc::clone(index));
            let fingerprint = fingerprint.to_string();
            Ok(PendingSave(Some(Saving::Rows(tokio::spawn(async move {
                let serialised = tokio::task::spawn_blocking(move || {
                    let mut chunks = Chunks::default();
                    index.write_to(&mut chunks).map(|()| chunks)
                });
                let chunks = serialised.await.map_err(|_| MatchError::BuilderStopped)??;
                save_rows(&db, chunks, &fingerprint).await
            })))))
        }
        IndexStore::Rows => {
            let mut chunks = Chunks::default();
            index.write_to(&mut chunks)?;
            save_rows(db, chunks, fingerprint).await?;
            Ok(PendingSave(None))
        }
    }
}

/// Replaces the saved index's rows by `chunks`, in one transaction.
async fn save_rows(
    db: &DatabaseConnection,
    chunks: Chunks,
    fingerprint: &str,
) -> Result<(), MatchError> {
    let txn = db.begin().await?;
    match_index_chunk::Entity::delete_many().exec(&txn).await?;
    for (seq, chunk) in chunks.0.into_iter().enumerate() {
        match_index_chunk::ActiveModel {
            seq: Set(i32::try_from(seq).unwrap_or(i32::MAX)),
            fingerprint: Set(fingerprint.to_string()),
            data: Set(chunk),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Forgets the saved index, so that the next run builds it from all records (`xunren match
/// --rebuild-index`; also what a benchmark of the cold path does).
pub async fn forget_saved_index(db: &DatabaseConnection) -> Result<(), MatchError> {
    if let IndexStore::File(path) = index_store(db).await? {
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(file_error(&path, error).into()),
        }
    }
    match_index_chunk::Entity::delete_many().exec(db).await?;
    Ok(())
}

/// How the index of a run was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexOrigin {
    /// The saved index was current: loaded (索引已加载).
    Loaded,
    /// Records were only added since the saved index: loaded, extended with them and saved again
    /// (索引已追加).
    Extended {
        /// Records added to the saved index.
        added: u64,
    },
    /// No usable saved index, or records changed or were removed: built from all records and saved
    /// (索引已重建).
    Rebuilt,
}

/// The index for the current reference records: loaded when saved; extended and saved again when
/// records were only added since; built and saved otherwise. Returns it with its fingerprint and
/// how it was obtained.
pub(crate) async fn current_index(
    db: &DatabaseConnection,
) -> Result<(Arc<Index>, String, IndexOrigin, PendingSave), MatchError> {
    let clock = Instant::now();
    let now = reference_state(db).await?;
    let fingerprint = now.fingerprint();
    let saved = saved_fingerprint(db).await?;
    tracing::debug!(elapsed = ?clock.elapsed(), "reference state read");
    if saved.as_deref() == Some(fingerprint.as_str())
        && let Some(index) = load_index(db, &fingerprint).await?
    {
        tracing::debug!(elapsed = ?clock.elapsed(), "index loaded");
        return Ok((
            Arc::new(index),
            fingerprint,
            IndexOrigin::Loaded,
            PendingSave(None),
        ));
    }
    if let Some(saved_fingerprint) = saved
        && let Some(saved_state) = ReferenceState::parse(&saved_fingerprint)
        && only_additions_since(db, saved_state, now).await?
        && let Some(index) = load_index(db, &saved_fingerprint).await?
        && i64::try_from(index.len()).is_ok_and(|n| n == saved_state.records)
    {
        tracing::debug!(elapsed = ?clock.elapsed(), "saved index loaded to be extended");
        let before = index.len();
        let index = build_from_records(
            db,
            IndexBuilder::extending(index),
            saved_state.max_id,
            now.records - saved_state.records,
        )
        .await?;
        let count = index.len() - before;
        tracing::debug!(elapsed = ?clock.elapsed(), count, "index extended");
        let index = Arc::new(index);
        let saving = save_index(db, &index, &fingerprint).await?;
        return Ok((
            index,
            fingerprint,
            IndexOrigin::Extended {
                added: count as u64,
            },
            saving,
        ));
    }
    let index = build_from_records(db, IndexBuilder::new(), 0, now.records).await?;
    tracing::debug!(records = index.len(), elapsed = ?clock.elapsed(), "index built");
    let index = Arc::new(index);
    let saving = save_index(db, &index, &fingerprint).await?;
    Ok((index, fingerprint, IndexOrigin::Rebuilt, saving))
}

/// Brings the saved index up to date with the reference records (as [`current_index`]) without
/// matching: run after a reference import, so that the next `xunren match` finds it ready.
pub async fn refresh_index(db: &DatabaseConnection) -> Result<IndexRefresh, MatchError> {
    let clock = Instant::now();
    let (index, _, origin, saving) = current_index(db).await?;
    saving.finish(db).await?;
    Ok(IndexRefresh {
        records_indexed: index.len() as u64,
        origin,
        time: clock.elapsed(),
    })
}

/// What [`refresh_index`] did.
#[derive(Clone, Debug, Serialize)]
pub struct IndexRefresh {
    pub records_indexed: u64,
    pub origin: IndexOrigin,
    #[serde(skip)]
    pub time: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: i64, name: &str) -> String {
        format!(
            "{id}\u{1f}{name}\u{1f}\u{1f}1952-05-23\u{1f}13912345678;64701234\u{1f}乔家路12弄3号\u{1f}"
        )
    }

    #[test]
    fn a_page_is_read_in_id_order_whatever_order_it_came_in() {
        let page = [line(7, "王明"), line(3, "陈红"), line(12, "李强")].join("\u{1e}");
        let records = records_of_page(&page, 3).unwrap();
        let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["3", "7", "12"]);
        assert_eq!(records[0].name, "陈红");
        assert_eq!(records[0].phones, ["13912345678", "64701234"]);
        assert_eq!(records[0].address.as_deref(), Some("乔家路12弄3号"));
        assert_eq!(records[0].former_address, None);
    }

    #[test]
    fn a_page_that_does_not_split_into_its_count_is_refused() {
        let page = [line(1, "王明"), line(2, "陈红")].join("\u{1e}");
        assert!(records_of_page(&page, 3).is_none());
        // A separator inside a value adds a field.
        assert!(records_of_page(&line(1, "王\u{1f}明"), 1).is_none());
        assert!(records_of_page(&line(1, "王明").replacen('1', "x", 1), 1).is_none());
    }
}
