//! `xunren match`: the registry's side of matching. It feeds the reference records to the matcher
//! (xunren-match, which knows no database), keeps the matcher's index saved in the database, runs
//! every lost person (失联) against it, and stores the candidates for the task engine.
//!
//! - The index is built once per state of the reference records (a fingerprint of their count,
//!   highest id and newest import batch) and saved in `match_index_chunks`; later runs load it.
//!   When records were only added since (no record up to the saved highest id changed or went
//!   away), the saved index is loaded, extended with the added records and saved again instead of
//!   being rebuilt ([`xunren_match::Index::extend`] gives the same candidates as a rebuild).
//! - A run is incremental: when the index is the one the previous run used, only lost persons
//!   changed since that run are matched again; otherwise every lost person is.
//! - Candidates for the person (`person`) and relatives or former neighbours (`relative`) are
//!   stored apart and never mixed.

use std::time::{Duration, Instant};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionTrait, Value,
};
use serde::Serialize;
use xunren_match::{Index, IndexError, Record};

use crate::bulk::BulkInsert;
use crate::entity::{match_candidate, match_index_chunk, match_run, reference_record};

/// Errors of a matching run.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("数据库错误 / database error: {0}")]
    Database(#[from] DbErr),
    #[error("匹配索引错误 / matching index error: {0}")]
    Index(#[from] IndexError),
}

/// How to run matching.
#[derive(Clone, Debug)]
pub struct MatchOptions {
    /// Candidates kept per person, and relatives per person.
    pub top: usize,
    /// Match every lost person, not only those changed since the last run.
    pub full: bool,
    /// Refit the match probabilities to this run's lost persons (unsupervised EM) before
    /// matching. Off by default: at 1,000,000 records it costs seconds and did not improve the
    /// candidates on our data (docs/benchmarks.md).
    pub refit: bool,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            top: 5,
            full: false,
            refit: false,
        }
    }
}

/// What a run did, and how long each part took.
#[derive(Clone, Debug, Serialize)]
pub struct MatchReport {
    pub records_indexed: u64,
    pub index_rebuilt: bool,
    /// How the index was obtained (loaded, extended with added records, rebuilt).
    pub index_origin: IndexOrigin,
    pub lost_persons: u64,
    pub persons_matched: u64,
    pub candidates_stored: u64,
    pub relatives_stored: u64,
    #[serde(skip)]
    pub index_time: Duration,
    #[serde(skip)]
    pub match_time: Duration,
    #[serde(skip)]
    pub store_time: Duration,
}

/// A lost person as the matcher's query.
#[derive(Debug, FromQueryResult)]
struct LostPerson {
    id: i32,
    name: String,
    id_number: Option<String>,
    id_number_as_given: Option<String>,
    birth_date: Option<chrono::NaiveDate>,
    phones: Option<String>,
    registered_address: Option<String>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl LostPerson {
    fn to_record(&self) -> Record {
        Record {
            id: self.id.to_string(),
            name: self.name.clone(),
            former_names: Vec::new(),
            id_number: self
                .id_number
                .clone()
                .or_else(|| self.id_number_as_given.clone()),
            birth_date: self.birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
            phones: split_phones(self.phones.as_deref()),
            address: None,
            former_address: None,
            registered_address: self.registered_address.clone(),
        }
    }
}

fn split_phones(phones: Option<&str>) -> Vec<String> {
    phones
        .map(|p| {
            p.split(';')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Bytes of a saved index per database row.
const CHUNK: usize = 8 * 1024 * 1024;
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

async fn reference_state<C: ConnectionTrait>(
    db: &C,
    up_to_id: Option<i64>,
) -> Result<ReferenceState, DbErr> {
    let backend = db.get_database_backend();
    let filter = up_to_id.map_or(String::new(), |id| format!(" WHERE id <= {id}"));
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!(
                "SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS max_id, \
                 COALESCE(MAX(import_batch_id), 0) AS max_batch FROM reference_records{filter}"
            ),
        ))
        .await?;
    Ok(match row {
        Some(row) => ReferenceState {
            records: get_i64(&row, "n")?,
            max_id: get_i64(&row, "max_id")?,
            max_batch: get_i64(&row, "max_batch")?,
        },
        None => ReferenceState {
            records: 0,
            max_id: 0,
            max_batch: 0,
        },
    })
}

/// Names the state of the reference records an index was built from, and the matcher's index
/// version (a newer matcher rebuilds an index saved by an older one).
pub async fn reference_fingerprint<C: ConnectionTrait>(db: &C) -> Result<String, DbErr> {
    Ok(reference_state(db, None).await?.fingerprint())
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
    let old = reference_state(db, Some(saved.max_id)).await?;
    Ok(old.records == saved.records && old.max_batch <= saved.max_batch)
}

/// The fingerprint the saved index was stored under, if any.
async fn saved_fingerprint<C: ConnectionTrait>(db: &C) -> Result<Option<String>, DbErr> {
    let row: Option<String> = match_index_chunk::Entity::find()
        .select_only()
        .column(match_index_chunk::Column::Fingerprint)
        .order_by_asc(match_index_chunk::Column::Seq)
        .into_tuple()
        .one(db)
        .await?;
    Ok(row)
}

/// Loads the saved index for `fingerprint`, if there is one and it reads back. Chunks are read
/// one at a time, so that memory holds the saved bytes once, then the index.
async fn load_index<C: ConnectionTrait>(db: &C, fingerprint: &str) -> Result<Option<Index>, DbErr> {
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
    match Index::from_bytes(&bytes) {
        Ok(index) => Ok(Some(index)),
        Err(error) => {
            tracing::warn!("saved matching index unreadable, rebuilding: {error}");
            Ok(None)
        }
    }
}

/// Reads the reference records with an id above `after`, in pages, as the matcher's records.
async fn load_reference_records<C: ConnectionTrait>(
    db: &C,
    mut after: i64,
) -> Result<Vec<Record>, DbErr> {
    type Row = (
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<chrono::NaiveDate>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let mut records = Vec::new();
    loop {
        let page: Vec<Row> = reference_record::Entity::find()
            .select_only()
            .column(reference_record::Column::Id)
            .column(reference_record::Column::Name)
            .column(reference_record::Column::IdNumber)
            .column(reference_record::Column::IdNumberAsGiven)
            .column(reference_record::Column::BirthDate)
            .column(reference_record::Column::Phones)
            .column(reference_record::Column::Address)
            .column(reference_record::Column::PreviousAddress)
            .filter(reference_record::Column::Id.gt(after))
            .order_by_asc(reference_record::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.0;
        records.extend(page.into_iter().map(
            |(id, name, id_number, as_given, birth_date, phones, address, previous)| Record {
                id: id.to_string(),
                name,
                former_names: Vec::new(),
                id_number: id_number.or(as_given),
                birth_date: birth_date.map(|d| d.format("%Y-%m-%d").to_string()),
                phones: split_phones(phones.as_deref()),
                address,
                former_address: previous,
                registered_address: None,
            },
        ));
    }
    Ok(records)
}

/// Saves `index` under `fingerprint`, replacing the saved one.
async fn save_index(
    db: &DatabaseConnection,
    index: &Index,
    fingerprint: &str,
) -> Result<(), MatchError> {
    let mut bytes = Vec::new();
    index.write_to(&mut bytes)?;
    let txn = db.begin().await?;
    match_index_chunk::Entity::delete_many().exec(&txn).await?;
    for (seq, chunk) in bytes.chunks(CHUNK).enumerate() {
        match_index_chunk::ActiveModel {
            seq: Set(i32::try_from(seq).unwrap_or(i32::MAX)),
            fingerprint: Set(fingerprint.to_string()),
            data: Set(chunk.to_vec()),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
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
pub async fn current_index(
    db: &DatabaseConnection,
) -> Result<(Index, String, IndexOrigin), MatchError> {
    let now = reference_state(db, None).await?;
    let fingerprint = now.fingerprint();
    let saved = saved_fingerprint(db).await?;
    if saved.as_deref() == Some(fingerprint.as_str())
        && let Some(index) = load_index(db, &fingerprint).await?
    {
        return Ok((index, fingerprint, IndexOrigin::Loaded));
    }
    if let Some(saved_fingerprint) = saved
        && let Some(saved_state) = ReferenceState::parse(&saved_fingerprint)
        && only_additions_since(db, saved_state, now).await?
        && let Some(mut index) = load_index(db, &saved_fingerprint).await?
        && i64::try_from(index.len()).is_ok_and(|n| n == saved_state.records)
    {
        let added = load_reference_records(db, saved_state.max_id).await?;
        let count = index.extend(&added)?;
        drop(added);
        save_index(db, &index, &fingerprint).await?;
        return Ok((
            index,
            fingerprint,
            IndexOrigin::Extended {
                added: count as u64,
            },
        ));
    }
    let records = load_reference_records(db, 0).await?;
    let index = Index::build(&records)?;
    drop(records);
    save_index(db, &index, &fingerprint).await?;
    Ok((index, fingerprint, IndexOrigin::Rebuilt))
}

/// Brings the saved index up to date with the reference records (as [`current_index`]) without
/// matching: run after a reference import, so that the next `xunren match` finds it ready.
pub async fn refresh_index(db: &DatabaseConnection) -> Result<IndexRefresh, MatchError> {
    let clock = Instant::now();
    let (index, _, origin) = current_index(db).await?;
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

const LOST_PERSONS_SQL: &str = "SELECT p.id, p.name, p.id_number, p.id_number_as_given, p.birth_date, \
     p.phones, p.registered_address, p.updated_at FROM persons p WHERE p.contact_status = 'lost' \
     AND p.removed_at IS NULL ORDER BY p.id";

/// Matches the lost persons against the reference records and stores their candidates.
pub async fn run_matching(
    db: &DatabaseConnection,
    options: &MatchOptions,
) -> Result<MatchReport, MatchError> {
    let started_at = chrono::Utc::now();
    let clock = Instant::now();
    let (mut index, fingerprint, origin) = current_index(db).await?;
    let index_time = clock.elapsed();

    let clock = Instant::now();
    let lost = LostPerson::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        LOST_PERSONS_SQL,
    ))
    .all(db)
    .await?;
    let previous = match_run::Entity::find()
        .filter(match_run::Column::FinishedAt.is_not_null())
        .order_by_desc(match_run::Column::Id)
        .one(db)
        .await?;
    let since = match (&previous, options.full) {
        (Some(run), false) if run.index_fingerprint == fingerprint => Some(run.started_at),
        _ => None,
    };
    let due: Vec<&LostPerson> = lost
        .iter()
        .filter(|p| since.is_none_or(|since| p.updated_at >= since))
        .collect();
    let queries: Vec<Record> = due.iter().map(|p| p.to_record()).collect();
    // Adapt the match probabilities to this base's records (unsupervised; see docs/matching.md).
    if options.refit && !queries.is_empty() {
        index.fit_em(&queries, 50);
    }
    let mut rows: Vec<[Value; 7]> = Vec::new();
    let mut candidates_stored = 0u64;
    let mut relatives_stored = 0u64;
    let now = chrono::Utc::now();
    for (person, query) in due.iter().zip(&queries) {
        for (rank, candidate) in index.candidates(query, options.top).into_iter().enumerate() {
            let Ok(record_id) = candidate.record_id.parse::<i64>() else {
                continue;
            };
            let evidence = serde_json::json!({
                "zh": candidate.evidence.zh_summary(),
                "en": candidate.evidence.en_summary(),
                "fields": candidate.evidence.fields,
                "prior_weight": candidate.evidence.prior_weight,
            });
            rows.push(candidate_row(
                person.id,
                record_id,
                "person",
                rank,
                candidate.score,
                &evidence,
                now,
            ));
            candidates_stored += 1;
        }
        for (rank, relative) in index.relatives(query, options.top).into_iter().enumerate() {
            let Ok(record_id) = relative.record_id.parse::<i64>() else {
                continue;
            };
            let evidence = serde_json::json!({
                "zh": relative.zh,
                "en": relative.en,
                "relation": relative.kind,
            });
            rows.push(candidate_row(
                person.id, record_id, "relative", rank, 0.0, &evidence, now,
            ));
            relatives_stored += 1;
        }
    }
    let match_time = clock.elapsed();

    let clock = Instant::now();
    let txn = db.begin().await?;
    let ids: Vec<i32> = due.iter().map(|p| p.id).collect();
    for chunk in ids.chunks(500) {
        match_candidate::Entity::delete_many()
            .filter(match_candidate::Column::PersonId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }
    let mut inserts = BulkInsert::new("match_candidates", CANDIDATE_COLUMNS, 1000);
    for row in rows {
        inserts.push(&txn, row).await?;
    }
    inserts.flush(&txn).await?;
    match_run::ActiveModel {
        started_at: Set(started_at),
        finished_at: Set(Some(chrono::Utc::now())),
        persons_matched: Set(due.len() as i64),
        records_indexed: Set(index.len() as i64),
        candidates: Set((candidates_stored + relatives_stored) as i64),
        index_fingerprint: Set(fingerprint),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(MatchReport {
        records_indexed: index.len() as u64,
        index_rebuilt: origin == IndexOrigin::Rebuilt,
        index_origin: origin,
        lost_persons: lost.len() as u64,
        persons_matched: due.len() as u64,
        candidates_stored,
        relatives_stored,
        index_time,
        match_time,
        store_time: clock.elapsed(),
    })
}

const CANDIDATE_COLUMNS: &[&str] = &[
    "person_id",
    "reference_record_id",
    "kind",
    "rank",
    "score",
    "evidence",
    "matched_at",
];

fn candidate_row(
    person_id: i32,
    record_id: i64,
    kind: &str,
    rank: usize,
    score: f64,
    evidence: &serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> [Value; 7] {
    [
        Value::Int(Some(person_id)),
        Value::BigInt(Some(record_id)),
        Value::String(Some(kind.to_string())),
        Value::Int(Some(i32::try_from(rank + 1).unwrap_or(i32::MAX))),
        Value::Double(Some(score)),
        Value::String(Some(evidence.to_string())),
        Value::ChronoDateTimeUtc(Some(now)),
    ]
}

/// A stored candidate as exported by `xunren match --out`.
#[derive(Clone, Debug, Serialize, FromQueryResult)]
pub struct CandidateExport {
    pub cert_no: String,
    pub name: String,
    pub source: String,
    pub record_id: String,
    pub rank: i32,
    pub score: f64,
    /// `person` or `relative`.
    pub kind: String,
    /// The evidence JSON as stored.
    pub evidence: String,
}

const EXPORT_SQL: &str = "SELECT c.cert_no, p.name, s.name AS source, r.record_id, mc.rank, \
     mc.score, mc.kind, mc.evidence FROM match_candidates mc \
     JOIN persons p ON p.id = mc.person_id \
     JOIN certificates c ON c.id = p.certificate_id \
     JOIN reference_records r ON r.id = mc.reference_record_id \
     JOIN reference_sources s ON s.id = r.source_id \
     WHERE p.contact_status = 'lost' AND p.removed_at IS NULL \
     ORDER BY c.cert_no, p.name, mc.kind, mc.rank";

/// The stored candidates of lost persons: for the person with a score of at least `min_score`,
/// and relatives when asked for.
pub async fn stored_candidates<C: ConnectionTrait>(
    db: &C,
    min_score: f64,
    relatives: bool,
) -> Result<Vec<CandidateExport>, DbErr> {
    let all = CandidateExport::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        EXPORT_SQL,
    ))
    .all(db)
    .await?;
    Ok(all
        .into_iter()
        .filter(|c| match c.kind.as_str() {
            "person" => c.score >= min_score,
            _ => relatives,
        })
        .collect())
}
