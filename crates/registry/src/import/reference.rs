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
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use xunren_domain::{Gender, IdNumber, parse_date, parse_phone_list};

use super::columns::{ColumnMap, ColumnSpec};
use super::{Counts, Progress, ProgressFn, finish_batch, start_batch};
use crate::entity::{reference_record, reference_source};
use crate::error::{ImportError, ProblemLog, RowProblem};
use crate::table::Table;

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

/// Rows per multi-row INSERT.
const INSERT_BATCH: usize = 1000;
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
    existing: Option<HashMap<Box<str>, (i64, u64)>>,
    seen: HashSet<Box<str>>,
}

/// The validated content of one record.
#[derive(Hash)]
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
    fn content_hash(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }

    fn from_model(model: reference_record::Model) -> RecordFields {
        RecordFields {
            name: model.name,
            id_number: model.id_number,
            id_number_as_given: model.id_number_as_given,
            gender: model.gender,
            birth_date: model.birth_date,
            phones: model.phones,
            address: model.address,
            previous_address: model.previous_address,
            warnings: model.warnings,
        }
    }

    fn into_active(
        self,
        source_id: i32,
        record_id: &str,
        batch_id: i32,
    ) -> reference_record::ActiveModel {
        reference_record::ActiveModel {
            source_id: Set(source_id),
            record_id: Set(record_id.to_string()),
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
            ..Default::default()
        }
    }
}

/// Imports the reference records at `path`, all or nothing.
pub async fn import_reference(
    db: &DatabaseConnection,
    path: &Path,
    options: &ReferenceOptions,
    progress: ProgressFn<'_>,
) -> Result<ReferenceReport, ImportError> {
    let mut table = Table::open(path, options.sheet.as_deref())?;
    let file = table.file_name().to_string();
    let satisfied: &[usize] = if options.source.is_some() {
        &[SOURCE]
    } else {
        &[]
    };
    let columns = ColumnMap::new(&file, table.headers(), &COLUMNS, satisfied)?;

    let txn = db.begin().await?;
    let batch_id = start_batch(&txn, "reference", None, &file).await?;
    let mut sources: Vec<SourceState> = Vec::new();
    let mut source_index: HashMap<String, usize> = HashMap::new();
    let mut problems = ProblemLog::default();
    let mut warnings: Vec<RowProblem> = Vec::new();
    let mut warning_count = 0u64;
    let mut counts = Counts::default();
    let mut inserts: Vec<reference_record::ActiveModel> = Vec::with_capacity(INSERT_BATCH);
    let mut rows = 0u64;

    while let Some(row) = table.next_row() {
        let row = row?;
        rows += 1;
        if rows.is_multiple_of(10_000) {
            let (bytes_read, total_bytes) = table.progress();
            progress(Progress {
                bytes_read,
                total_bytes,
                rows,
            });
        }
        let n = row.number;
        let header = |field: usize| Some(columns.header(field)).filter(|h| !h.is_empty());
        let source_name = options
            .source
            .as_deref()
            .or_else(|| columns.get(&row, SOURCE));
        let record_id = columns.get(&row, RECORD_ID);
        let name = columns.get(&row, NAME);
        if source_name.is_none() {
            problems.push(n, header(SOURCE), "缺少来源 / the source (来源) is missing");
        }
        if record_id.is_none() {
            problems.push(
                n,
                header(RECORD_ID),
                "缺少记录号 / the record id (记录号) is missing",
            );
        }
        if name.is_none() {
            problems.push(n, header(NAME), "缺少姓名 / the name (姓名) is missing");
        }
        let (Some(source_name), Some(record_id), Some(name)) = (source_name, record_id, name)
        else {
            continue;
        };

        let mut row_warnings: Vec<(usize, String)> = Vec::new();
        let id = columns
            .get(&row, ID_NUMBER)
            .map(|text| (text, IdNumber::parse(text)));
        let gender = match columns.get(&row, GENDER).map(Gender::parse) {
            Some(Ok(gender)) => Some(gender),
            Some(Err(error)) => {
                row_warnings.push((GENDER, error.to_string()));
                None
            }
            None => None,
        };
        let birth_date = match columns.get(&row, BIRTH_DATE).map(parse_date) {
            Some(Ok(date)) => Some(date),
            Some(Err(error)) => {
                row_warnings.push((BIRTH_DATE, error.to_string()));
                None
            }
            None => None,
        };
        let (id_number, id_number_as_given) = match id {
            Some((_, Ok(id))) => {
                for warning in id.cross_check(birth_date, gender) {
                    row_warnings.push((ID_NUMBER, warning.to_string()));
                }
                (Some(id.canonical()), Some(id.as_given().to_string()))
            }
            Some((text, Err(error))) => {
                row_warnings.push((ID_NUMBER, error.to_string()));
                (None, Some(text.to_string()))
            }
            None => (None, None),
        };
        let phones = match columns.get(&row, PHONE) {
            Some(text) => match parse_phone_list(text) {
                Ok(list) if list.is_empty() => None,
                Ok(list) => Some(
                    list.iter()
                        .map(|phone| phone.canonical().to_string())
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
        warning_count += row_warnings.len() as u64;
        let record_warnings = (!row_warnings.is_empty()).then(|| {
            serde_json::to_string(&row_warnings.iter().map(|(_, m)| m).collect::<Vec<_>>())
                .unwrap_or_default()
        });
        for (field, message) in row_warnings {
            if warnings.len() < MAX_STORED_WARNINGS {
                warnings.push(RowProblem {
                    row: n,
                    column: header(field).map(str::to_string),
                    message,
                });
            }
        }

        let index = match source_index.get(source_name) {
            Some(index) => *index,
            None => {
                let state = open_source(&txn, source_name).await?;
                sources.push(state);
                source_index.insert(source_name.to_string(), sources.len() - 1);
                sources.len() - 1
            }
        };
        let Some(source) = sources.get_mut(index) else {
            continue;
        };
        if !source.seen.insert(record_id.into()) {
            problems.push(
                n,
                header(RECORD_ID),
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
        let fields = RecordFields {
            name: name.to_string(),
            id_number,
            id_number_as_given,
            gender: gender.map(|g| g.as_code().to_string()),
            birth_date,
            phones,
            address: columns.get(&row, ADDRESS).map(str::to_string),
            previous_address: columns.get(&row, PREVIOUS_ADDRESS).map(str::to_string),
            warnings: record_warnings,
        };
        match source.existing.as_ref().and_then(|e| e.get(record_id)) {
            None => {
                counts.added += 1;
                inserts.push(fields.into_active(source.id, record_id, batch_id));
                if inserts.len() >= INSERT_BATCH {
                    flush(&txn, &mut inserts).await?;
                }
            }
            Some((_, hash)) if *hash == fields.content_hash() => counts.unchanged += 1,
            Some((id, _)) => {
                counts.changed += 1;
                let mut model = fields.into_active(source.id, record_id, batch_id);
                model.id = Set(*id);
                model.update(&txn).await?;
            }
        }
    }
    if rows == 0 {
        return Err(ImportError::Empty { file });
    }
    if !problems.is_empty() {
        txn.rollback().await?;
        return Err(problems.into_error(&file));
    }
    flush(&txn, &mut inserts).await?;
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
    let (bytes_read, total_bytes) = table.progress();
    progress(Progress {
        bytes_read,
        total_bytes,
        rows,
    });
    let sha256 = table.sha256_hex();
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
        unknown_columns: columns.unknown,
        batch_id,
        dry_run: options.dry_run,
    })
}

async fn flush<C: ConnectionTrait>(
    db: &C,
    inserts: &mut Vec<reference_record::ActiveModel>,
) -> Result<(), DbErr> {
    if inserts.is_empty() {
        return Ok(());
    }
    reference_record::Entity::insert_many(std::mem::take(inserts))
        .exec(db)
        .await?;
    inserts.reserve(INSERT_BATCH);
    Ok(())
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
        // Keyset pages keep memory to one page of full rows plus a compact key map.
        let mut map = HashMap::with_capacity(usize::try_from(held).unwrap_or(0));
        let mut after = 0i64;
        loop {
            let page = reference_record::Entity::find()
                .filter(reference_record::Column::SourceId.eq(id))
                .filter(reference_record::Column::Id.gt(after))
                .order_by_asc(reference_record::Column::Id)
                .limit(20_000)
                .all(db)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for model in page {
                let key: Box<str> = model.record_id.as_str().into();
                let row_id = model.id;
                let hash = RecordFields::from_model(model).content_hash();
                map.insert(key, (row_id, hash));
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
