//! 征询意见 Vote: each certificate's opinion in round 1 (意愿征询: 同意/反对/弃权/废票) and its
//! signing in round 2 (签约: 已签约/未签约); thresholds and round dates per base.

use std::collections::HashMap;
use std::path::Path;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter,
};
use serde::Serialize;
use xunren_registry::ImportError;
use xunren_registry::entity::{base, certificate};
use xunren_registry::table::Table;

use crate::code::{Opinion, ThresholdRule};
use crate::entity::vote;
use crate::error::{Result, TaskError};
use crate::import::{ColumnMap, ColumnSpec, ProblemLog};

/// The base named `name`.
pub async fn find_base<C: ConnectionTrait>(db: &C, name: &str) -> Result<base::Model> {
    base::Entity::find()
        .filter(base::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| TaskError::not_found("征收基地", "base", name))
}

/// The only base, or the one named: what commands default to.
pub async fn resolve_base<C: ConnectionTrait>(db: &C, name: Option<&str>) -> Result<base::Model> {
    if let Some(name) = name {
        return find_base(db, name).await;
    }
    let mut all = base::Entity::find().all(db).await?;
    match all.len() {
        1 => Ok(all.remove(0)),
        0 => Err(TaskError::not_found("征收基地", "base", "(none)")),
        n => Err(TaskError::invalid(
            format!("有 {n} 个征收基地，请用 --base 指定"),
            format!("there are {n} bases: name one with --base"),
        )),
    }
}

/// Settings of a base: thresholds (shares in (0, 1]) and round dates; `None` keeps a value.
#[derive(Clone, Debug, Default)]
pub struct BaseSettings {
    pub round1_threshold: Option<f64>,
    pub round2_threshold: Option<f64>,
    /// ≥ (达到) or > (超过): how both thresholds are read.
    pub threshold_rule: Option<ThresholdRule>,
    pub round1_date: Option<chrono::NaiveDate>,
    pub round2_start: Option<chrono::NaiveDate>,
    pub round2_end: Option<chrono::NaiveDate>,
}

/// Changes a base's thresholds and round dates.
pub async fn configure_base<C: ConnectionTrait>(
    db: &C,
    name: &str,
    settings: &BaseSettings,
) -> Result<base::Model> {
    let current = find_base(db, name).await?;
    let mut model = base::ActiveModel {
        id: Set(current.id),
        ..Default::default()
    };
    for (value, column) in [
        (settings.round1_threshold, 1),
        (settings.round2_threshold, 2),
    ] {
        if let Some(t) = value {
            if !(t > 0.0 && t <= 1.0) {
                return Err(TaskError::invalid(
                    format!("门槛须在 0 与 1 之间(如 0.9)，而非 {t}"),
                    format!("a threshold is a share in (0, 1] (e.g. 0.9), not {t}"),
                ));
            }
            if column == 1 {
                model.round1_threshold = Set(t);
            } else {
                model.round2_threshold = Set(t);
            }
        }
    }
    if let Some(rule) = settings.threshold_rule {
        model.threshold_rule = Set(rule.as_code().to_string());
    }
    if let Some(d) = settings.round1_date {
        model.round1_date = Set(Some(d));
    }
    if let Some(d) = settings.round2_start {
        model.round2_start = Set(Some(d));
    }
    if let Some(d) = settings.round2_end {
        model.round2_end = Set(Some(d));
    }
    Ok(model.update(db).await?)
}

/// Records (or changes) one certificate's opinion.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    base_id: i32,
    cert_no: &str,
    opinion: Opinion,
) -> Result<vote::Model> {
    let cert = certificate::Entity::find()
        .filter(certificate::Column::BaseId.eq(base_id))
        .filter(certificate::Column::CertNo.eq(cert_no.trim()))
        .one(db)
        .await?
        .ok_or_else(|| TaskError::not_found("权证", "certificate", cert_no.trim()))?;
    let existing = vote::Entity::find()
        .filter(vote::Column::CertificateId.eq(cert.id))
        .filter(vote::Column::Round.eq(opinion.round()))
        .one(db)
        .await?;
    let now = chrono::Utc::now();
    Ok(match existing {
        Some(v) => {
            vote::ActiveModel {
                id: Set(v.id),
                opinion: Set(opinion.as_code().to_string()),
                recorded_at: Set(now),
                ..Default::default()
            }
            .update(db)
            .await?
        }
        None => {
            vote::ActiveModel {
                certificate_id: Set(cert.id),
                round: Set(opinion.round()),
                opinion: Set(opinion.as_code().to_string()),
                recorded_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    })
}

const CERT_NO: usize = 0;
const ROUND: usize = 1;
const OPINION: usize = 2;

const COLUMNS: [ColumnSpec; 3] = [
    ColumnSpec {
        zh: "权证号",
        en: "cert_no",
        required: true,
    },
    ColumnSpec {
        zh: "轮次",
        en: "round",
        required: true,
    },
    ColumnSpec {
        zh: "意见",
        en: "vote",
        required: true,
    },
];

/// What a votes import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VoteImportReport {
    pub file: String,
    pub base: String,
    pub rows: u64,
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub unknown_columns: Vec<String>,
    pub dry_run: bool,
}

/// Imports votes (权证号 cert_no, 轮次 round, 意见 vote) into `base_name`, all or nothing: every
/// certificate must exist on the base, round 1 takes 同意/反对/弃权/废票 and round 2
/// 已签约/未签约, and a certificate appears once per round. Importing again changes only what
/// differs.
pub async fn import_votes(
    db: &DatabaseConnection,
    path: &Path,
    base_name: Option<&str>,
    sheet: Option<&str>,
    dry_run: bool,
) -> Result<VoteImportReport, TaskError> {
    let base = resolve_base(db, base_name).await?;
    let mut table = Table::open(path, sheet)?;
    let file = table.file_name().to_string();
    let columns = ColumnMap::new(&file, table.headers(), &COLUMNS, &[])?;
    let certificates: HashMap<String, i32> = certificate::Entity::find()
        .filter(certificate::Column::BaseId.eq(base.id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.cert_no, c.id))
        .collect();
    let mut problems = ProblemLog::default();
    let mut seen: HashMap<(i32, i32), u64> = HashMap::new();
    let mut parsed: Vec<(i32, i32, Opinion)> = Vec::new();
    let mut rows = 0;
    while let Some(row) = table.next_row() {
        let row = row.map_err(TaskError::from)?;
        rows += 1;
        let n = row.number;
        let cert = match columns.get(&row, CERT_NO) {
            Some(no) => match certificates.get(no) {
                Some(id) => Some(*id),
                None => {
                    problems.push(
                        n,
                        Some(columns.header(CERT_NO)),
                        format!(
                            "基地「{}」没有权证 {no} / base {:?} has no certificate {no}",
                            base.name, base.name
                        ),
                    );
                    None
                }
            },
            None => {
                problems.push(
                    n,
                    Some(columns.header(CERT_NO)),
                    "权证号为空 / the certificate number is empty",
                );
                None
            }
        };
        let round = match columns.get(&row, ROUND) {
            Some("1") | Some("一") | Some("一轮") => Some(1),
            Some("2") | Some("二") | Some("二轮") => Some(2),
            other => {
                problems.push(
                    n,
                    Some(columns.header(ROUND)),
                    format!(
                        "轮次须为 1 或 2，而非「{}」 / the round must be 1 or 2, not {:?}",
                        other.unwrap_or(""),
                        other.unwrap_or("")
                    ),
                );
                None
            }
        };
        let opinion = match columns.get(&row, OPINION).map(Opinion::parse) {
            Some(Ok(o)) => Some(o),
            Some(Err(e)) => {
                problems.push(n, Some(columns.header(OPINION)), e.to_string());
                None
            }
            None => {
                problems.push(
                    n,
                    Some(columns.header(OPINION)),
                    "意见为空 / the vote is empty",
                );
                None
            }
        };
        let (Some(cert), Some(round), Some(opinion)) = (cert, round, opinion) else {
            continue;
        };
        if opinion.round() != round {
            problems.push(
                n,
                Some(columns.header(OPINION)),
                format!(
                    "「{}」不是第 {round} 轮的意见(一轮: 同意/反对/弃权/废票; 二轮: 已签约/未签约) / {} is not a round-{round} opinion",
                    opinion.label(),
                    opinion.as_code()
                ),
            );
            continue;
        }
        if let Some(first) = seen.insert((cert, round), n) {
            problems.push(
                n,
                Some(columns.header(CERT_NO)),
                format!("该权证本轮已在第 {first} 行 / this certificate's round-{round} vote is on row {first} already"),
            );
            continue;
        }
        parsed.push((cert, round, opinion));
    }
    if rows == 0 {
        return Err(ImportError::Empty { file }.into());
    }
    if !problems.is_empty() {
        return Err(problems.into_error(&file).into());
    }
    let mut report = VoteImportReport {
        file,
        base: base.name.clone(),
        rows,
        unknown_columns: columns.unknown,
        dry_run,
        ..Default::default()
    };
    let txn = crate::begin_write(db).await?;
    let mut existing: HashMap<(i32, i32), vote::Model> = HashMap::new();
    let ids: Vec<i32> = certificates.values().copied().collect();
    for chunk in ids.chunks(500) {
        for v in vote::Entity::find()
            .filter(vote::Column::CertificateId.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
        {
            existing.insert((v.certificate_id, v.round), v);
        }
    }
    let now = chrono::Utc::now();
    let mut inserts = Vec::new();
    for (cert, round, opinion) in parsed {
        match existing.get(&(cert, round)) {
            Some(v) if v.opinion == opinion.as_code() => report.unchanged += 1,
            Some(v) => {
                report.changed += 1;
                vote::ActiveModel {
                    id: Set(v.id),
                    opinion: Set(opinion.as_code().to_string()),
                    recorded_at: Set(now),
                    ..Default::default()
                }
                .update(&txn)
                .await?;
            }
            None => {
                report.added += 1;
                inserts.push(vote::ActiveModel {
                    certificate_id: Set(cert),
                    round: Set(round),
                    opinion: Set(opinion.as_code().to_string()),
                    recorded_at: Set(now),
                    ..Default::default()
                });
            }
        }
    }
    for chunk in inserts.chunks(500) {
        vote::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(report)
}
