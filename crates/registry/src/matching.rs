//! `xunren match`: the registry's side of matching. It runs every lost person (失联) against the
//! matching index of the reference records (kept by [`crate::match_index`]: built, extended, saved
//! and loaded there) and stores the candidates for the task engine.
//!
//! - A run is incremental: when the index is the one the previous run used, only lost persons
//!   changed since that run are matched again; otherwise every lost person is.
//! - Candidates for the person (`person`) and relatives or former neighbours (`relative`) are
//!   stored apart and never mixed.

use std::time::{Duration, Instant};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Statement, TransactionTrait, Value,
};
use serde::Serialize;
use xunren_match::{IndexError, Record};

use crate::bulk::BulkInsert;
use crate::entity::{match_candidate, match_run};
pub use crate::match_index::{
    IndexOrigin, IndexRefresh, forget_saved_index, reference_fingerprint, refresh_index,
};
use crate::match_index::{current_index, split_phones};

/// Errors of a matching run.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    #[error("数据库错误 / database error: {0}")]
    Database(#[from] DbErr),
    #[error("匹配索引错误 / matching index error: {0}")]
    Index(#[from] IndexError),
    #[error("索引构建线程意外停止 / the thread building the matching index stopped unexpectedly")]
    BuilderStopped,
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
    // A rebuilt or extended index is being saved while the persons are matched.
    let (mut index, fingerprint, origin, saving) = current_index(db).await?;
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
        // The saved index keeps the model it was built with: a file still being written from the
        // shared index is written as it was, and this run refits a copy.
        std::sync::Arc::make_mut(&mut index).fit_em(&queries, 50);
    }
    let mut rows: Vec<[Value; 7]> = Vec::new();
    let mut candidates_stored = 0u64;
    let mut relatives_stored = 0u64;
    let now = chrono::Utc::now();
    let found = index.match_each(&queries, options.top, true);
    for (person, (candidates, relatives)) in due.iter().zip(found) {
        for (rank, candidate) in candidates.into_iter().enumerate() {
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
        for (rank, relative) in relatives.into_iter().enumerate() {
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
    saving.finish(&txn).await?;
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
