//! Importing reference records (参考记录): archives of earlier redevelopments (旧改档案),
//! resident-registration extracts (居住登记), … — the material the matcher searches.
//!
//! Reference files are large (a million rows), so rows stream through validation into batched
//! inserts inside one transaction. Records are keyed by source and record id (记录号): importing a
//! file again adds new records and updates changed ones; `replace` also removes the records of
//! each source in the file that the file no longer holds. Problems with an ID, a phone or a date
//! are warnings here (archives are what they are: the text as given is kept); a missing record id
//! or name, or a record id given twice, is an error.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait, Value,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use xunren_domain::{Gender, IdNumber, parse_date, parse_phone_list};

use super::columns::{ColumnMap, ColumnSpec};
use super::{Counts, Progress, ProgressFn, finish_batch, start_batch};
use crate::bulk::BulkInsert;
use crate::entity::{reference_record, reference_source};
use crate::error::{ImportError, ProblemLog, RowProblem};
use crate::table::{Row, Table};

const SOURCE: usize = 0;
const RECORD_ID: usize = 1;
const NAME: usize = 2;
const ID_NUMBER: usize = 3;
const GENDER: usize = 4;
const BIRTH_DATE: usize = 5;
const PHONE: usize = 6;
const ADDRESS: usize = 7;
const PREVIOUS_ADDRESS: usize = 8;

const fn column(zh: &'static str, en: &'static str, required: bool) -> ColumnSpec {
    ColumnSpec { zh, en, required }
}

const COLUMNS: [ColumnSpec; 9] = [
    column("来源", "source", true),
    column("记录号", "record_id", true),
    column("姓名", "name", true),
    column("身份证号", "id_number", false),
    column("性别", "gender", false),
    column("出生日期", "birth_date", false),
    column("联系电话", "phone", false),
    column("地址", "address", false),
    column("原地址", "previous_address", false),
];

/// Rows per multi-row INSERT (× 13 columns stays under SQLite's 32,766 parameters).
const INSERT_BATCH: usize = 1000;
/// The columns of a bulk insert, in the order of [`RecordFields::into_values`].
const INSERT_COLUMNS: &[&str] = &[
    "source_id",
    "record_id",
    "name",
    "id_number",
    "id_number_as_given",
    "gender",
    "birth_date",
    "phones",
    "address",
    "previous_address",
    "warnings",
    "import_batch_id",
    "content_hash",
];
/// Warnings listed in `import_warnings` at most (every record keeps its own).
const MAX_STORED_WARNINGS: usize = 10_000;

/// How to import reference records.
#[derive(Clone, Debug, Default)]
pub struct ReferenceOptions {
    /// The source of every row; otherwise the file needs a 来源 (source) column.
    pub source: Option<String>,
    pub sheet: Option<String>,
    /// Also remove the records of each source in the file that the file no longer holds.
    pub replace: bool,
    pub dry_run: bool,
}

/// What a reference import did.
#[derive(Clone, Debug, Serialize)]
pub struct ReferenceReport {
    pub file: String,
    pub sha256: String,
    pub rows: u64,
    pub records: Counts,
    pub sources: Vec<String>,
    /// The first warnings, as listed in `import_warnings`.
    #[serde(skip)]
    pub warnings: Vec<RowProblem>,
    pub warning_count: u64,
    pub unknown_columns: Vec<String>,
    pub batch_id: Option<i32>,
    pub dry_run: bool,
}

/// A source named in the file, and what the database already held for it.
struct SourceState {
    id: i32,
    name: String,
    /// Record id → (row id, content hash) of the records held before this import; `None` when
    /// the source held none (then every row is an insert).
    existing: Option<HashMap<Box<str>, (i64, i64)>>,
    seen: HashSet<Box<str>>,
}

/// The validated content of one record.
struct RecordFields {
    name: String,
    id_number: Option<String>,
    id_number_as_given: Option<String>,
    gender: Option<String>,
    birth_date: Option<chrono::NaiveDate>,
    phones: Option<String>,
    address: Option<String>,
    previous_address: Option<String>,
    warnings: Option<String>,
}

impl RecordFields {
    /// A hash of the content that stays the same across builds and machines (stored in
    /// `reference_records.content_hash`): the first 8 bytes of a SHA-256 over the fields.
    fn content_hash(&self) -> i64 {
        let mut hasher = Sha256::new();
        let birth_date = self.birth_date.map(|d| d.to_string());
        for field in [
            Some(self.name.as_str()),
            self.id_number.as_deref(),
            self.id_number_as_given.as_deref(),
            self.gender.as_deref(),
            birth_date.as_deref(),
            self.phones.as_deref(),
            self.address.as_deref(),
            self.previous_address.as_deref(),
            self.warnings.as_deref(),
        ] {
            match field {
                // A tag byte keeps `None` apart from `Some("")` and fields apart from each other.
                Some(text) => {
                    hasher.update([1u8]);
                    hasher.update(text.as_bytes());
                    hasher.update([0u8]);
                }
                None => hasher.update([2u8]),
            }
        }
        let digest = hasher.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_le_bytes(first)
    }

    /// The values of a bulk insert row, in the order of [`INSERT_COLUMNS`].
    fn into_values(self, source_id: i32, record_id: String, batch_id: i32) -> [Value; 13] {
        let hash = self.content_hash();
        [
            Value::Int(Some(source_id)),
            Value::String(Some(record_id)),
            Value::String(Some(self.name)),
            Value::String(self.id_number),
            Value::String(self.id_number_as_given),
            Value::String(self.gender),
            Value::ChronoDate(self.birth_date),
            Value::String(self.phones),
            Value::String(self.address),
            Value::String(self.previous_address),
            Value::String(self.warnings),
            Value::Int(Some(batch_id)),
            Value::BigInt(Some(hash)),
        ]
    }

    fn into_active(self, id: i64, batch_id: i32) -> reference_record::ActiveModel {
        let hash = self.content_hash();
        reference_record::ActiveModel {
            id: Set(id),
            name: Set(self.name),
            id_number: Set(self.id_number),
            id_number_as_given: Set(self.id_number_as_given),
            gender: Set(self.gender),
            birth_date: Set(self.birth_date),
            phones: Set(self.phones),
            address: Set(self.address),
            previous_address: Set(self.previous_address),
            warnings: Set(self.warnings),
            import_batch_id: Set(Some(batch_id)),
            content_hash: Set(hash),
            ..Default::default()
        }
    }
}

/// One row as the parsing thread hands it over.
enum Parsed {
    /// A valid record (possibly with warnings).
    Record {
        row: u64,
        source: String,
        record_id: String,
        fields: Box<RecordFields>,
        warnings: Vec<RowProblem>,
    },
    /// An error: the import will fail, the rows still get checked.
    Problem(RowProblem),
}

/// What the parsing thread sends: rows in batches, then how the file ended.
enum Message {
    Rows(Vec<Parsed>, Progress),
    End {
        rows: u64,
        sha256: String,
        progress: Progress,
    },
    Failed(ImportError),
}

/// Rows per message from the parsing thread.
const PARSE_BATCH: usize = 1000;

/// Imports the reference records at `path`, all or nothing.
///
/// Reading and validating run on a thread of their own while this task writes to the database,
/// so a large file keeps both cores busy (CSV parsing on one, SQLite on the other).
pub async fn import_reference(
    db: &DatabaseConnection,
    path: &Path,
    options: &ReferenceOptions,
    progress: ProgressFn<'_>,
) -> Result<ReferenceReport, ImportError> {
    let table = Table::open(path, options.sheet.as_deref())?;
    let file = table.file_name().to_string();
    let satisfied: &[usize] = if options.source.is_some() {
        &[SOURCE]
    } else {
        &[]
    };
    let columns = ColumnMap::new(&file, table.headers(), &COLUMNS, satisfied)?;
    let unknown_columns = columns.unknown.clone();

    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Message>(8);
    let fixed_source = options.source.clone();
    let parser = std::thread::spawn(move || parse_rows(table, columns, fixed_source, sender));

    let txn = db.begin().await?;
    let batch_id = start_batch(&txn, "reference", None, &file).await?;
    let mut sources: Vec<SourceState> = Vec::new();
    let mut source_index: HashMap<String, usize> = HashMap::new();
    let mut problems = ProblemLog::default();
    let mut warnings: Vec<RowProblem> = Vec::new();
    let mut warning_count = 0u64;
    let mut counts = Counts::default();
    let mut inserts = BulkInsert::new("reference_records", INSERT_COLUMNS, INSERT_BATCH);
    let mut end = None;

    while let Some(message) = receiver.recv().await {
        let batch = match message {
            Message::Rows(batch, at) => {
                progress(at);
                batch
            }
            Message::End {
                rows,
                sha256,
                progress: at,
            } => {
                progress(at);
                end = Some((rows, sha256));
                break;
            }
            Message::Failed(error) => {
                drop(receiver);
                let _ = parser.join();
                txn.rollback().await?;
                return Err(error);
            }
        };
        for parsed in batch {
            let (row, source_name, record_id, fields, row_warnings) = match parsed {
                Parsed::Problem(problem) => {
                    problems.push(problem.row, problem.column.as_deref(), problem.message);
                    continue;
                }
                Parsed::Record {
                    row,
                    source,
                    record_id,
                    fields,
                    warnings,
                } => (row, source, record_id, fields, warnings),
            };
            warning_count += row_warnings.len() as u64;
            let room = MAX_STORED_WARNINGS.saturating_sub(warnings.len());
            warnings.extend(row_warnings.into_iter().take(room));

            let index = match source_index.get(&source_name) {
                Some(index) => *index,
                None => {
                    sources.push(open_source(&txn, &source_name).await?);
                    source_index.insert(source_name.clone(), sources.len() - 1);
                    sources.len() - 1
                }
            };
            let Some(source) = sources.get_mut(index) else {
                continue;
            };
            if !source.seen.insert(record_id.as_str().into()) {
                problems.push(
                    row,
                    Some(COLUMNS[RECORD_ID].zh),
                    format!(
                        "来源「{source_name}」的记录号 {record_id} 在文件中重复 / record id {record_id} of source {source_name} appears twice in the file"
                    ),
                );
                continue;
            }
            if !problems.is_empty() {
                // The import will fail: keep validating, stop writing.
                continue;
            }
            match source
                .existing
                .as_ref()
                .and_then(|e| e.get(record_id.as_str()))
            {
                None => {
                    counts.added += 1;
                    inserts
                        .push(&txn, fields.into_values(source.id, record_id, batch_id))
                        .await?;
                }
                Some((_, hash)) if *hash == fields.content_hash() => counts.unchanged += 1,
                Some((id, _)) => {
                    counts.changed += 1;
                    fields.into_active(*id, batch_id).update(&txn).await?;
                }
            }
        }
    }
    let _ = parser.join();
    let Some((rows, sha256)) = end else {
        txn.rollback().await?;
        return Err(ImportError::Unreadable {
            file,
            reason: "读取线程意外结束 / the reading thread stopped unexpectedly".to_string(),
        });
    };
    if rows == 0 {
        txn.rollback().await?;
        return Err(ImportError::Empty { file });
    }
    if !problems.is_empty() {
        txn.rollback().await?;
        return Err(problems.into_error(&file));
    }
    inserts.flush(&txn).await?;
    if options.replace {
        for source in &sources {
            let Some(existing) = &source.existing else {
                continue;
            };
            let gone: Vec<i64> = existing
                .iter()
                .filter(|(record_id, _)| !source.seen.contains(*record_id))
                .map(|(_, (id, _))| *id)
                .collect();
            counts.removed += gone.len() as u64;
            for chunk in gone.chunks(1000) {
                reference_record::Entity::delete_many()
                    .filter(reference_record::Column::Id.is_in(chunk.iter().copied()))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    let batch_id = if counts.is_change() && !options.dry_run {
        finish_batch(&txn, batch_id, sha256.clone(), rows, counts, &warnings).await?;
        txn.commit().await?;
        Some(batch_id)
    } else {
        txn.rollback().await?;
        None
    };
    Ok(ReferenceReport {
        file,
        sha256,
        rows,
        records: counts,
        sources: sources.into_iter().map(|s| s.name).collect(),
        warnings,
        warning_count,
        unknown_columns,
        batch_id,
        dry_run: options.dry_run,
    })
}

/// The parsing thread: reads every row, validates it, and sends batches until the file ends or
/// the receiver goes away.
fn parse_rows(
    mut table: Table,
    columns: ColumnMap,
    fixed_source: Option<String>,
    sender: tokio::sync::mpsc::Sender<Message>,
) {
    let mut rows = 0u64;
    let mut batch = Vec::with_capacity(PARSE_BATCH);
    let at = |table: &Table, rows: u64| {
        let (bytes_read, total_bytes) = table.progress();
        Progress {
            bytes_read,
            total_bytes,
            rows,
        }
    };
    while let Some(row) = table.next_row() {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                let _ = sender.blocking_send(Message::Failed(error));
                return;
            }
        };
        rows += 1;
        parse_row(&row, &columns, fixed_source.as_deref(), &mut batch);
        if batch.len() >= PARSE_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(PARSE_BATCH));
            if sender
                .blocking_send(Message::Rows(full, at(&table, rows)))
                .is_err()
            {
                return;
            }
        }
    }
    if !batch.is_empty()
        && sender
            .blocking_send(Message::Rows(batch, at(&table, rows)))
            .is_err()
    {
        return;
    }
    let _ = sender.blocking_send(Message::End {
        rows,
        sha256: table.sha256_hex(),
        progress: at(&table, rows),
    });
}

/// Validates one row into `out`: a record with its warnings, or the row's problems.
fn parse_row(row: &Row, columns: &ColumnMap, fixed_source: Option<&str>, out: &mut Vec<Parsed>) {
    let n = row.number;
    let header = |field: usize| {
        Some(columns.header(field))
            .filter(|h| !h.is_empty())
            .map(str::to_string)
    };
    let problem = |field: usize, message: &str| {
        Parsed::Problem(RowProblem {
            row: n,
            column: header(field),
            message: message.to_string(),
        })
    };
    let source_name = fixed_source.or_else(|| columns.get(row, SOURCE));
    let record_id = columns.get(row, RECORD_ID);
    let name = columns.get(row, NAME);
    if source_name.is_none() {
        out.push(problem(SOURCE, "缺少来源 / the source (来源) is missing"));
    }
    if record_id.is_none() {
        out.push(problem(
            RECORD_ID,
            "缺少记录号 / the record id (记录号) is missing",
        ));
    }
    if name.is_none() {
        out.push(problem(NAME, "缺少姓名 / the name (姓名) is missing"));
    }
    let (Some(source_name), Some(record_id), Some(name)) = (source_name, record_id, name) else {
        return;
    };

    let mut row_warnings: Vec<(usize, String)> = Vec::new();
    let gender = match columns.get(row, GENDER).map(Gender::parse) {
        Some(Ok(gender)) => Some(gender),
        Some(Err(error)) => {
            row_warnings.push((GENDER, error.to_string()));
            None
        }
        None => None,
    };
    let birth_date = match columns.get(row, BIRTH_DATE).map(parse_date) {
        Some(Ok(date)) => Some(date),
        Some(Err(error)) => {
            row_warnings.push((BIRTH_DATE, error.to_string()));
            None
        }
        None => None,
    };
    let (id_number, id_number_as_given) = match columns.get(row, ID_NUMBER) {
        Some(text) => match IdNumber::parse(text) {
            Ok(id) => {
                for warning in id.cross_check(birth_date, gender) {
                    row_warnings.push((ID_NUMBER, warning.to_string()));
                }
                (Some(id.canonical()), Some(id.as_given().to_string()))
            }
            Err(error) => {
                row_warnings.push((ID_NUMBER, error.to_string()));
                (None, Some(text.to_string()))
            }
        },
        None => (None, None),
    };
    let phones = match columns.get(row, PHONE) {
        Some(text) => match parse_phone_list(text) {
            Ok(list) if list.is_empty() => None,
            Ok(list) => Some(
                list.iter()
                    .map(|phone| phone.canonical())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            Err(error) => {
                row_warnings.push((PHONE, error.to_string()));
                Some(text.to_string())
            }
        },
        None => None,
    };
    let record_warnings = (!row_warnings.is_empty()).then(|| {
        serde_json::to_string(&row_warnings.iter().map(|(_, m)| m).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    let warnings = row_warnings
        .into_iter()
        .map(|(field, message)| RowProblem {
            row: n,
            column: header(field),
            message,
        })
        .collect();
    out.push(Parsed::Record {
        row: n,
        source: source_name.to_string(),
        record_id: record_id.to_string(),
        fields: Box::new(RecordFields {
            name: name.to_string(),
            id_number,
            id_number_as_given,
            gender: gender.map(|g| g.as_code().to_string()),
            birth_date,
            phones,
            address: columns.get(row, ADDRESS).map(str::to_string),
            previous_address: columns.get(row, PREVIOUS_ADDRESS).map(str::to_string),
            warnings: record_warnings,
        }),
        warnings,
    });
}

/// Finds or creates the source `name`, loading the keys and content hashes of its records.
async fn open_source<C: ConnectionTrait>(db: &C, name: &str) -> Result<SourceState, DbErr> {
    let found = reference_source::Entity::find()
        .filter(reference_source::Column::Name.eq(name))
        .one(db)
        .await?;
    let id = match found {
        Some(source) => source.id,
        None => {
            reference_source::ActiveModel {
                name: Set(name.to_string()),
                created_at: Set(chrono::Utc::now()),
                ..Default::default()
            }
            .insert(db)
            .await?
            .id
        }
    };
    let held = reference_record::Entity::find()
        .filter(reference_record::Column::SourceId.eq(id))
        .count(db)
        .await?;
    let existing = if held == 0 {
        None
    } else {
        // Keyset pages of (id, record id, content hash): memory stays a compact key map.
        let mut map = HashMap::with_capacity(usize::try_from(held).unwrap_or(0));
        let mut after = 0i64;
        loop {
            let page: Vec<(i64, String, i64)> = reference_record::Entity::find()
                .select_only()
                .column(reference_record::Column::Id)
                .column(reference_record::Column::RecordId)
                .column(reference_record::Column::ContentHash)
                .filter(reference_record::Column::SourceId.eq(id))
                .filter(reference_record::Column::Id.gt(after))
                .order_by_asc(reference_record::Column::Id)
                .limit(50_000)
                .into_tuple()
                .all(db)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            for (row_id, record_id, hash) in page {
                map.insert(record_id.into_boxed_str(), (row_id, hash));
            }
        }
        Some(map)
    };
    Ok(SourceState {
        id,
        name: name.to_string(),
        existing,
        seen: HashSet::new(),
    })
}
