//! Importing the roster (花名册): one row per person per property certificate (权证).
//!
//! The roster is a snapshot of a base: importing a newer one adds, changes and removes
//! certificates and persons so the base matches the file. A person is identified by certificate
//! and name (two rows with the same 权证号 and 姓名 are a duplicate).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, DbErr, EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use serde::Serialize;
use xunren_domain::{
    ContactStatus, Gender, HolderRole, HousingType, IdKind, IdNumber, parse_date, parse_phone_list,
};

use super::columns::{ColumnMap, ColumnSpec};
use super::{Counts, Progress, ProgressFn, finish_batch, start_batch};
use crate::entity::{certificate, person};
use crate::error::{ImportError, ProblemLog, RowProblem};
use crate::lookup::{Lookups, ensure_base};
use crate::table::Table;

const CERT_NO: usize = 0;
const PROPERTY_ADDRESS: usize = 1;
const HOUSING_TYPE: usize = 2;
const DEPARTMENT: usize = 3;
const SUBDISTRICT: usize = 4;
const COMMITTEE: usize = 5;
const NAME: usize = 6;
const ROLE: usize = 7;
const ID_NUMBER: usize = 8;
const GENDER: usize = 9;
const BIRTH_DATE: usize = 10;
const PHONE: usize = 11;
const REGISTERED_ADDRESS: usize = 12;
const CONTACT_STATUS: usize = 13;

const fn column(zh: &'static str, en: &'static str, required: bool) -> ColumnSpec {
    ColumnSpec { zh, en, required }
}

/// The roster's columns, in the order of the constants above.
const COLUMNS: [ColumnSpec; 14] = [
    column("权证号", "cert_no", true),
    column("房屋坐落", "property_address", false),
    column("房屋类型", "housing_type", false),
    column("征收所", "department", false),
    column("街道", "subdistrict", false),
    column("居委会", "committee", false),
    column("姓名", "name", true),
    column("身份", "role", true),
    column("身份证号", "id_number", false),
    column("性别", "gender", false),
    column("出生日期", "birth_date", false),
    column("联系电话", "phone", false),
    column("户籍地址", "registered_address", false),
    column("联系状态", "contact_status", true),
];

/// How to import a roster.
#[derive(Clone, Debug)]
pub struct RosterOptions {
    /// The base (征收基地) the roster belongs to; created when it does not exist yet.
    pub base: String,
    /// The sheet of an `.xlsx` workbook (the first one when `None`).
    pub sheet: Option<String>,
    /// Validate and count, write nothing.
    pub dry_run: bool,
}

/// What a roster import did.
#[derive(Clone, Debug, Serialize)]
pub struct RosterReport {
    pub file: String,
    pub sha256: String,
    pub rows: u64,
    pub certificates: Counts,
    pub persons: Counts,
    /// Of `persons.removed`: holders the file no longer lists who have a tracing case (寻人个案),
    /// kept and marked removed (已移出名单) so that the case and its history stay.
    pub persons_kept_for_cases: u64,
    /// Stored and flagged, not fatal: a wrong check digit, a birth date that disagrees with the ID…
    #[serde(skip)]
    pub warnings: Vec<RowProblem>,
    pub unknown_columns: Vec<String>,
    /// The import batch recorded, when something changed and it was not a dry run.
    pub batch_id: Option<i32>,
    pub dry_run: bool,
}

#[derive(Debug)]
struct CertificateDraft {
    cert_no: String,
    first_row: u64,
    property_address: Option<String>,
    housing_type: Option<HousingType>,
    department: Option<String>,
    subdistrict: Option<String>,
    committee: Option<String>,
    persons: Vec<PersonDraft>,
}

#[derive(Debug)]
struct PersonDraft {
    name: String,
    role: HolderRole,
    id: Option<IdNumber>,
    gender: Option<Gender>,
    birth_date: Option<chrono::NaiveDate>,
    phones: Option<String>,
    registered_address: Option<String>,
    contact_status: ContactStatus,
    warnings: Vec<String>,
}

/// Imports the roster at `path` into `options.base`, all or nothing.
pub async fn import_roster(
    db: &DatabaseConnection,
    path: &Path,
    options: &RosterOptions,
    progress: ProgressFn<'_>,
) -> Result<RosterReport, ImportError> {
    let mut table = Table::open(path, options.sheet.as_deref())?;
    let file = table.file_name().to_string();
    let columns = ColumnMap::new(&file, table.headers(), &COLUMNS, &[])?;
    let mut problems = ProblemLog::default();
    let mut warnings = Vec::new();
    let (certificates, rows) =
        parse_rows(&mut table, &columns, &mut problems, &mut warnings, progress)?;
    if rows == 0 {
        return Err(ImportError::Empty { file });
    }
    if !problems.is_empty() {
        return Err(problems.into_error(&file));
    }
    let sha256 = table.sha256_hex();

    let txn = db.begin().await?;
    let base = ensure_base(&txn, &options.base).await?;
    let batch_id = start_batch(&txn, "roster", Some(base.id), &file).await?;
    let mut lookups = Lookups::load(&txn, base.id).await?;
    let now = chrono::Utc::now();

    let existing_certificates: HashMap<String, certificate::Model> = certificate::Entity::find()
        .filter(certificate::Column::BaseId.eq(base.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|model| (model.cert_no.clone(), model))
        .collect();
    let mut existing_persons: HashMap<i32, HashMap<String, person::Model>> = HashMap::new();
    let certificate_ids: Vec<i32> = existing_certificates.values().map(|c| c.id).collect();
    for chunk in certificate_ids.chunks(500) {
        for model in person::Entity::find()
            .filter(person::Column::CertificateId.is_in(chunk.iter().copied()))
            .all(&txn)
            .await?
        {
            existing_persons
                .entry(model.certificate_id)
                .or_default()
                .insert(model.name.clone(), model);
        }
    }

    let traced = traced_persons(&txn, base.id).await?;
    // Certificates the file no longer lists go with their holders; when one of those holders is
    // being traced, the file is refused before anything is written (more likely a truncated
    // export than a base's certificates changing).
    let listed: HashSet<&str> = certificates.iter().map(|c| c.cert_no.as_str()).collect();
    let gone: Vec<&certificate::Model> = existing_certificates
        .values()
        .filter(|c| !listed.contains(c.cert_no.as_str()))
        .collect();
    let mut dropped_traced: Vec<&str> = gone
        .iter()
        .filter(|c| {
            existing_persons
                .get(&c.id)
                .is_some_and(|persons| persons.values().any(|p| traced.contains(&p.id)))
        })
        .map(|c| c.cert_no.as_str())
        .collect();
    if !dropped_traced.is_empty() {
        txn.rollback().await?;
        dropped_traced.sort_unstable();
        let count = dropped_traced.len();
        let mut shown: Vec<&str> = dropped_traced.into_iter().take(20).collect();
        if count > shown.len() {
            shown.push("…");
        }
        return Err(ImportError::TracedCertificatesDropped {
            file,
            count,
            certificates: shown.join(", "),
        });
    }
    let gone: Vec<i32> = gone.iter().map(|c| c.id).collect();

    let mut certificate_counts = Counts::default();
    let mut person_counts = Counts::default();
    let mut persons_kept_for_cases = 0;
    for draft in &certificates {
        let department_id = match &draft.department {
            Some(name) => Some(lookups.department(&txn, name).await?),
            None => None,
        };
        let subdistrict_id = match &draft.subdistrict {
            Some(name) => Some(lookups.subdistrict(&txn, name).await?),
            None => None,
        };
        let committee_id = match (&draft.committee, subdistrict_id) {
            (Some(name), Some(subdistrict_id)) => {
                Some(lookups.committee(&txn, subdistrict_id, name).await?)
            }
            _ => None,
        };
        let housing_type = draft.housing_type.map(|h| h.as_code().to_string());
        let certificate_id = match existing_certificates.get(&draft.cert_no) {
            Some(existing) => {
                let same = existing.property_address == draft.property_address
                    && existing.housing_type == housing_type
                    && existing.department_id == department_id
                    && existing.subdistrict_id == subdistrict_id
                    && existing.committee_id == committee_id;
                if same {
                    certificate_counts.unchanged += 1;
                } else {
                    certificate_counts.changed += 1;
                    certificate::ActiveModel {
                        id: Set(existing.id),
                        property_address: Set(draft.property_address.clone()),
                        housing_type: Set(housing_type),
                        department_id: Set(department_id),
                        subdistrict_id: Set(subdistrict_id),
                        committee_id: Set(committee_id),
                        import_batch_id: Set(Some(batch_id)),
                        updated_at: Set(now),
                        ..Default::default()
                    }
                    .update(&txn)
                    .await?;
                }
                existing.id
            }
            None => {
                certificate_counts.added += 1;
                certificate::ActiveModel {
                    base_id: Set(base.id),
                    cert_no: Set(draft.cert_no.clone()),
                    property_address: Set(draft.property_address.clone()),
                    housing_type: Set(housing_type),
                    department_id: Set(department_id),
                    subdistrict_id: Set(subdistrict_id),
                    committee_id: Set(committee_id),
                    import_batch_id: Set(Some(batch_id)),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
                .id
            }
        };

        let mut previous = existing_persons.remove(&certificate_id).unwrap_or_default();
        let mut inserts = Vec::new();
        for draft in &draft.persons {
            let fields = PersonFields::from(draft);
            match previous.remove(&draft.name) {
                Some(existing) if fields.matches(&existing) && existing.removed_at.is_none() => {
                    person_counts.unchanged += 1
                }
                Some(existing) => {
                    person_counts.changed += 1;
                    let mut model = fields.into_active(certificate_id, &draft.name, batch_id, now);
                    model.id = Set(existing.id);
                    model.update(&txn).await?;
                }
                None => {
                    person_counts.added += 1;
                    inserts.push(fields.into_active(certificate_id, &draft.name, batch_id, now));
                }
            }
        }
        if !inserts.is_empty() {
            person::Entity::insert_many(inserts).exec(&txn).await?;
        }
        // Holders no longer listed: deleted, unless a tracing case refers to them — then kept
        // and marked removed (already-marked ones stay as they are).
        let (keep, gone): (Vec<&person::Model>, Vec<&person::Model>) = previous
            .values()
            .filter(|p| p.removed_at.is_none())
            .partition(|p| traced.contains(&p.id));
        person_counts.removed += (keep.len() + gone.len()) as u64;
        if !keep.is_empty() {
            persons_kept_for_cases += keep.len() as u64;
            person::Entity::update_many()
                .col_expr(person::Column::RemovedAt, Expr::value(now))
                .col_expr(person::Column::ImportBatchId, Expr::value(batch_id))
                .col_expr(person::Column::UpdatedAt, Expr::value(now))
                .filter(person::Column::Id.is_in(keep.iter().map(|p| p.id)))
                .exec(&txn)
                .await?;
        }
        if !gone.is_empty() {
            person::Entity::delete_many()
                .filter(person::Column::Id.is_in(gone.iter().map(|p| p.id)))
                .exec(&txn)
                .await?;
        }
    }
    certificate_counts.removed = gone.len() as u64;
    for id in &gone {
        person_counts.removed += existing_persons.get(id).map_or(0, |persons| {
            persons.values().filter(|p| p.removed_at.is_none()).count() as u64
        });
    }
    for chunk in gone.chunks(500) {
        certificate::Entity::delete_many()
            .filter(certificate::Column::Id.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?;
    }

    let changed = certificate_counts.is_change() || person_counts.is_change();
    let batch_id = if changed && !options.dry_run {
        finish_batch(
            &txn,
            batch_id,
            sha256.clone(),
            rows,
            person_counts,
            &warnings,
        )
        .await?;
        txn.commit().await?;
        Some(batch_id)
    } else {
        txn.rollback().await?;
        None
    };
    Ok(RosterReport {
        file,
        sha256,
        rows,
        certificates: certificate_counts,
        persons: person_counts,
        persons_kept_for_cases,
        warnings,
        unknown_columns: columns.unknown,
        batch_id,
        dry_run: options.dry_run,
    })
}

/// The stored form of a person, as compared with what the database holds.
struct PersonFields {
    role: String,
    id_number: Option<String>,
    id_number_as_given: Option<String>,
    id_kind: Option<String>,
    gender: Option<String>,
    birth_date: Option<chrono::NaiveDate>,
    phones: Option<String>,
    registered_address: Option<String>,
    contact_status: String,
    warnings: Option<String>,
}

impl From<&PersonDraft> for PersonFields {
    fn from(draft: &PersonDraft) -> Self {
        PersonFields {
            role: draft.role.as_code().to_string(),
            id_number: draft.id.as_ref().map(IdNumber::canonical),
            id_number_as_given: draft.id.as_ref().map(|id| id.as_given().to_string()),
            id_kind: draft
                .id
                .as_ref()
                .map(|id| id_kind_code(id.kind()).to_string()),
            gender: draft.gender.map(|g| g.as_code().to_string()),
            birth_date: draft.birth_date,
            phones: draft.phones.clone(),
            registered_address: draft.registered_address.clone(),
            contact_status: draft.contact_status.as_code().to_string(),
            warnings: (!draft.warnings.is_empty())
                .then(|| serde_json::to_string(&draft.warnings).unwrap_or_default()),
        }
    }
}

impl PersonFields {
    fn matches(&self, model: &person::Model) -> bool {
        self.role == model.role
            && self.id_number == model.id_number
            && self.id_number_as_given == model.id_number_as_given
            && self.id_kind == model.id_kind
            && self.gender == model.gender
            && self.birth_date == model.birth_date
            && self.phones == model.phones
            && self.registered_address == model.registered_address
            && self.contact_status == model.contact_status
            && self.warnings == model.warnings
    }

    fn into_active(
        self,
        certificate_id: i32,
        name: &str,
        batch_id: i32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> person::ActiveModel {
        person::ActiveModel {
            certificate_id: Set(certificate_id),
            name: Set(name.to_string()),
            role: Set(self.role),
            id_number: Set(self.id_number),
            id_number_as_given: Set(self.id_number_as_given),
            id_kind: Set(self.id_kind),
            gender: Set(self.gender),
            birth_date: Set(self.birth_date),
            phones: Set(self.phones),
            registered_address: Set(self.registered_address),
            contact_status: Set(self.contact_status),
            warnings: Set(self.warnings),
            import_batch_id: Set(Some(batch_id)),
            updated_at: Set(now),
            removed_at: Set(None),
            ..Default::default()
        }
    }
}

/// The holders of `base_id` that a tracing case (寻人个案, table `cases`, written by
/// xunren-tasks) refers to: a roster import keeps them rather than deleting their case's history.
async fn traced_persons<C: ConnectionTrait>(db: &C, base_id: i32) -> Result<HashSet<i32>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT person_id FROM cases WHERE base_id = $1",
        _ => "SELECT person_id FROM cases WHERE base_id = ?",
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [base_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<i32>("", "person_id"))
        .collect()
}

/// The stable code of an ID kind, as stored in `persons.id_kind`.
pub fn id_kind_code(kind: IdKind) -> &'static str {
    match kind {
        IdKind::Full => "full",
        IdKind::Legacy15 => "legacy15",
        IdKind::Masked => "masked",
    }
}

/// Reads and validates every row; groups persons under their certificate in file order.
fn parse_rows(
    table: &mut Table,
    columns: &ColumnMap,
    problems: &mut ProblemLog,
    warnings: &mut Vec<RowProblem>,
    progress: ProgressFn<'_>,
) -> Result<(Vec<CertificateDraft>, u64), ImportError> {
    let mut certificates: Vec<CertificateDraft> = Vec::new();
    let mut by_cert_no: HashMap<String, usize> = HashMap::new();
    let mut person_rows: HashMap<(String, String), u64> = HashMap::new();
    let mut rows = 0u64;
    while let Some(row) = table.next_row() {
        let row = row?;
        rows += 1;
        if rows.is_multiple_of(1000) {
            let (bytes_read, total_bytes) = table.progress();
            progress(Progress {
                bytes_read,
                total_bytes,
                rows,
            });
        }
        let n = row.number;
        let mut problem = |field: usize, message: String| {
            problems.push(
                n,
                Some(columns.header(field)).filter(|h| !h.is_empty()),
                message,
            )
        };
        let cert_no = columns.get(&row, CERT_NO);
        let name = columns.get(&row, NAME);
        if cert_no.is_none() {
            problem(
                CERT_NO,
                "缺少权证号 / the certificate number (权证号) is missing".into(),
            );
        }
        if name.is_none() {
            problem(NAME, "缺少姓名 / the name (姓名) is missing".into());
        }
        let role = match columns.get(&row, ROLE).map(HolderRole::parse) {
            Some(Ok(role)) => Some(role),
            Some(Err(error)) => {
                problem(ROLE, error.to_string());
                None
            }
            None => {
                problem(ROLE, "缺少身份 / the role (身份) is missing".into());
                None
            }
        };
        let contact_status = match columns.get(&row, CONTACT_STATUS).map(ContactStatus::parse) {
            Some(Ok(status)) => Some(status),
            Some(Err(error)) => {
                problem(CONTACT_STATUS, error.to_string());
                None
            }
            None => {
                problem(
                    CONTACT_STATUS,
                    "缺少联系状态(已联系/失联) / the contact status (联系状态) is missing".into(),
                );
                None
            }
        };
        let housing_type = match columns.get(&row, HOUSING_TYPE).map(HousingType::parse) {
            Some(Ok(value)) => Some(value),
            Some(Err(error)) => {
                problem(HOUSING_TYPE, error.to_string());
                None
            }
            None => None,
        };
        let id = match columns.get(&row, ID_NUMBER) {
            Some(text) => match IdNumber::parse(text) {
                Ok(id) => Some(id),
                Err(error) => {
                    let hint = if text.contains(['e', 'E']) && text.contains('.') {
                        "; Excel 已把身份证号存为数字而丢失末位，请把该列设为文本 / Excel stored the ID as a number and lost its last digits: format the column as text"
                    } else {
                        ""
                    };
                    problem(ID_NUMBER, format!("{error}{hint}"));
                    None
                }
            },
            None => None,
        };
        let given_gender = match columns.get(&row, GENDER).map(Gender::parse) {
            Some(Ok(gender)) => Some(gender),
            Some(Err(error)) => {
                problem(GENDER, error.to_string());
                None
            }
            None => None,
        };
        let given_birth_date = match columns.get(&row, BIRTH_DATE).map(parse_date) {
            Some(Ok(date)) => Some(date),
            Some(Err(error)) => {
                problem(BIRTH_DATE, error.to_string());
                None
            }
            None => None,
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
                    problem(PHONE, error.to_string());
                    None
                }
            },
            None => None,
        };

        let mut person_warnings = Vec::new();
        if let Some(id) = &id {
            for warning in id.cross_check(given_birth_date, given_gender) {
                let message = warning.to_string();
                warnings.push(RowProblem {
                    row: n,
                    column: Some(columns.header(ID_NUMBER).to_string()),
                    message: message.clone(),
                });
                person_warnings.push(message);
            }
        }
        let (Some(cert_no), Some(name), Some(role), Some(contact_status)) =
            (cert_no, name, role, contact_status)
        else {
            continue;
        };
        if let Some(first) = person_rows.insert((cert_no.to_string(), name.to_string()), n) {
            problem(
                NAME,
                format!(
                    "同一权证 {cert_no} 下姓名「{name}」重复(第 {first} 行已有) / duplicate person {name} on certificate {cert_no} (already on row {first})"
                ),
            );
            continue;
        }
        let draft = PersonDraft {
            name: name.to_string(),
            role,
            gender: given_gender.or_else(|| id.as_ref().and_then(IdNumber::gender)),
            birth_date: given_birth_date.or_else(|| id.as_ref().and_then(IdNumber::birth_date)),
            id,
            phones,
            registered_address: columns.get(&row, REGISTERED_ADDRESS).map(str::to_string),
            contact_status,
            warnings: person_warnings,
        };
        let certificate_fields = [
            (PROPERTY_ADDRESS, columns.get(&row, PROPERTY_ADDRESS)),
            (DEPARTMENT, columns.get(&row, DEPARTMENT)),
            (SUBDISTRICT, columns.get(&row, SUBDISTRICT)),
            (COMMITTEE, columns.get(&row, COMMITTEE)),
        ];
        if columns.get(&row, COMMITTEE).is_some() && columns.get(&row, SUBDISTRICT).is_none() {
            problem(
                COMMITTEE,
                "居委会必须同时填写所属街道 / a committee (居委会) needs its subdistrict (街道)"
                    .into(),
            );
        }
        match by_cert_no.get(cert_no) {
            None => {
                by_cert_no.insert(cert_no.to_string(), certificates.len());
                let text = |value: Option<&str>| value.map(str::to_string);
                certificates.push(CertificateDraft {
                    cert_no: cert_no.to_string(),
                    first_row: n,
                    property_address: text(certificate_fields[0].1),
                    housing_type,
                    department: text(certificate_fields[1].1),
                    subdistrict: text(certificate_fields[2].1),
                    committee: text(certificate_fields[3].1),
                    persons: vec![draft],
                });
            }
            Some(&index) => {
                let Some(certificate) = certificates.get_mut(index) else {
                    continue;
                };
                // Later rows of a certificate may leave its fields blank (merged cells in Excel),
                // but may not contradict the first row.
                let known = [
                    &mut certificate.property_address,
                    &mut certificate.department,
                    &mut certificate.subdistrict,
                    &mut certificate.committee,
                ];
                for ((field, value), slot) in certificate_fields.into_iter().zip(known) {
                    match (value, slot.as_deref()) {
                        (Some(value), Some(first)) if value != first => problem(
                            field,
                            format!(
                                "与同一权证第 {row} 行不一致(「{first}」≠「{value}」) / differs from row {row} of the same certificate ({first:?} ≠ {value:?})",
                                row = certificate.first_row
                            ),
                        ),
                        (Some(value), None) => *slot = Some(value.to_string()),
                        _ => {}
                    }
                }
                match (housing_type, certificate.housing_type) {
                    (Some(value), Some(first)) if value != first => problem(
                        HOUSING_TYPE,
                        format!(
                            "与同一权证第 {row} 行不一致 / differs from row {row} of the same certificate",
                            row = certificate.first_row
                        ),
                    ),
                    (Some(value), None) => certificate.housing_type = Some(value),
                    _ => {}
                }
                certificate.persons.push(draft);
            }
        }
    }
    let (bytes_read, total_bytes) = table.progress();
    progress(Progress {
        bytes_read,
        total_bytes,
        rows,
    });
    Ok((certificates, rows))
}
