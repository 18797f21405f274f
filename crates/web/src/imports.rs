//! File imports from the browser or the API: the same importers and validation as the CLI
//! (`xunren import roster|reference|staff|votes`), all or nothing, with problems listed row by
//! row (file, row, column, bilingual message).

use std::path::{Path, PathBuf};

use serde::Serialize;
use xunren_registry::ImportError;

use crate::AppState;
use crate::error::WebError;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Roster,
    Reference,
    Staff,
    Votes,
}

impl ImportKind {
    pub fn parse(text: &str) -> Result<ImportKind, WebError> {
        match text {
            "roster" => Ok(ImportKind::Roster),
            "reference" => Ok(ImportKind::Reference),
            "staff" => Ok(ImportKind::Staff),
            "votes" => Ok(ImportKind::Votes),
            _ => Err(WebError::NotFound),
        }
    }
}

/// Options of an upload.
#[derive(Clone, Debug, Default)]
pub struct ImportRequest {
    /// Base name of a roster (default 乔家路北块 when empty: the base of the demo).
    pub base: Option<String>,
    /// Source of a reference file without a 来源 column.
    pub source: Option<String>,
    pub replace: bool,
    pub dry_run: bool,
}

/// One problem of a refused file.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub row: u64,
    pub column: Option<String>,
    pub message: String,
}

/// What an import did, or why nothing was written.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    pub file: String,
    pub ok: bool,
    /// Bilingual lines: counts added/changed/removed…
    pub summary: Vec<String>,
    /// Why the file was refused, when it was.
    pub error: Option<String>,
    /// Row problems of a refused file (the first ones; `problem_total` counts all).
    pub problems: Vec<Problem>,
    pub problem_total: usize,
    pub dry_run: bool,
}

/// Keeps a file name's last component, letters, digits, CJK and `._-` only.
pub fn safe_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(120)
        .collect();
    if cleaned.trim_matches('.').is_empty() {
        "upload.csv".to_string()
    } else {
        cleaned
    }
}

/// A fresh private directory for one upload, removed when dropped.
pub struct UploadDir(PathBuf);

impl UploadDir {
    pub fn new(root: &Path) -> Result<UploadDir, WebError> {
        let dir = root.join(format!("xunren-upload-{}", crate::session::random_token()?));
        std::fs::create_dir_all(&dir)
            .map_err(|e| WebError::Internal(format!("upload dir: {e}")))?;
        Ok(UploadDir(dir))
    }

    /// Writes `bytes` as `name` inside the directory.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, WebError> {
        let path = self.0.join(safe_file_name(name));
        std::fs::write(&path, bytes).map_err(|e| WebError::Internal(format!("upload: {e}")))?;
        Ok(path)
    }
}

impl Drop for UploadDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn counts(what: &str, c: &xunren_registry::import::Counts) -> String {
    format!(
        "{what}: 新增 {} 修改 {} 删除 {} 未变 {} / added {} changed {} removed {} unchanged {}",
        c.added, c.changed, c.removed, c.unchanged, c.added, c.changed, c.removed, c.unchanged
    )
}

fn rows_line(rows: u64, added: u64, changed: u64, unchanged: u64) -> String {
    format!(
        "{rows} 行：新增 {added} 修改 {changed} 未变 {unchanged} / {rows} rows: added {added} changed {changed} unchanged {unchanged}"
    )
}

fn refused(file: &str, error: &ImportError, dry_run: bool) -> ImportOutcome {
    let (problems, total) = match error {
        ImportError::Invalid { problems, .. } => (
            problems
                .listed
                .iter()
                .map(|p| Problem {
                    row: p.row,
                    column: p.column.clone(),
                    message: p.message.clone(),
                })
                .collect(),
            problems.total,
        ),
        _ => (Vec::new(), 0),
    };
    let message = match error {
        ImportError::Invalid { file, problems } => format!(
            "{file} 有 {n} 处错误，未写入任何数据 / {file} has {n} errors; nothing was written",
            n = problems.total
        ),
        ImportError::Database(_) => {
            "数据库错误，未写入任何数据 / database error; nothing was written".to_string()
        }
        other => other.to_string(),
    };
    ImportOutcome {
        file: file.to_string(),
        ok: false,
        summary: Vec::new(),
        error: Some(message),
        problems,
        problem_total: total,
        dry_run,
    }
}

/// Imports the file at `path` as `kind`. A refused file is an `Ok` outcome with `ok: false`
/// and its problems; only failures of the server are `Err`.
pub async fn run(
    state: &AppState,
    kind: ImportKind,
    path: &Path,
    request: &ImportRequest,
) -> Result<ImportOutcome, WebError> {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    let db = &state.db;
    let no_progress = |_: xunren_registry::import::Progress| {};
    let outcome = |summary: Vec<String>| ImportOutcome {
        file: file.clone(),
        ok: true,
        summary,
        error: None,
        problems: Vec::new(),
        problem_total: 0,
        dry_run: request.dry_run,
    };
    let from_import = |e: ImportError| -> Result<ImportOutcome, WebError> {
        if let ImportError::Database(db) = e {
            tracing::error!(error = %db, "import failed in the database");
            return Ok(refused(&file, &ImportError::Database(db), request.dry_run));
        }
        Ok(refused(&file, &e, request.dry_run))
    };
    match kind {
        ImportKind::Roster => {
            let options = xunren_registry::import::roster::RosterOptions {
                base: request
                    .base
                    .clone()
                    .filter(|b| !b.trim().is_empty())
                    .unwrap_or_else(|| "乔家路北块".to_string()),
                sheet: None,
                dry_run: request.dry_run,
            };
            match xunren_registry::import::roster::import_roster(db, path, &options, &no_progress)
                .await
            {
                Ok(r) => {
                    let mut lines = vec![
                        format!("{} 行 / rows", r.rows),
                        counts("权证 certificates", &r.certificates),
                        counts("人员 persons", &r.persons),
                    ];
                    if r.persons_kept_for_cases > 0 {
                        lines.push(format!(
                            "其中 {n} 人有寻人个案，保留并标为已移出名单 / {n} of them have tracing cases: kept, marked removed from the roster",
                            n = r.persons_kept_for_cases
                        ));
                    }
                    if !r.warnings.is_empty() {
                        lines.push(format!(
                            "提示 {} 条 / {} warnings",
                            r.warnings.len(),
                            r.warnings.len()
                        ));
                    }
                    Ok(outcome(lines))
                }
                Err(e) => from_import(e),
            }
        }
        ImportKind::Reference => {
            let options = xunren_registry::import::reference::ReferenceOptions {
                source: request.source.clone().filter(|s| !s.trim().is_empty()),
                sheet: None,
                replace: request.replace,
                dry_run: request.dry_run,
            };
            match xunren_registry::import::reference::import_reference(
                db,
                path,
                &options,
                &no_progress,
            )
            .await
            {
                Ok(r) => {
                    let mut lines = vec![
                        format!(
                            "{} 行 / rows; 来源 sources: {}",
                            r.rows,
                            r.sources.join("、")
                        ),
                        counts("记录 records", &r.records),
                        format!("提示 {} 条 / {} warnings", r.warning_count, r.warning_count),
                    ];
                    if r.batch_id.is_some() {
                        // As `xunren import reference` does: bring the saved matching index up to
                        // date (extended when records were only added), here in the background
                        // so that the upload answers at once.
                        let db = db.clone();
                        tokio::spawn(async move {
                            match xunren_registry::matching::refresh_index(&db).await {
                                Ok(done) => tracing::info!(
                                    records = done.records_indexed,
                                    seconds = done.time.as_secs_f64(),
                                    "matching index updated"
                                ),
                                Err(error) => {
                                    tracing::warn!("matching index not updated: {error}")
                                }
                            }
                        });
                        lines.push(
                            "匹配索引正在后台更新 / the matching index is being updated in the background"
                                .to_string(),
                        );
                    }
                    Ok(outcome(lines))
                }
                Err(e) => from_import(e),
            }
        }
        ImportKind::Staff => {
            match xunren_tasks::staff::import_staff(db, path, None, request.dry_run).await {
                Ok(r) => Ok(outcome(vec![rows_line(
                    r.rows,
                    r.added,
                    r.changed,
                    r.unchanged,
                )])),
                Err(e) => from_import(e),
            }
        }
        ImportKind::Votes => {
            match xunren_tasks::vote::import_votes(db, path, None, None, request.dry_run).await {
                Ok(r) => Ok(outcome(vec![rows_line(
                    r.rows,
                    r.added,
                    r.changed,
                    r.unchanged,
                )])),
                Err(xunren_tasks::TaskError::Import(e)) => from_import(e),
                Err(e) => Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_made_safe() {
        assert_eq!(super::safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            super::safe_file_name("C:\\x\\花名册 2020.xlsx"),
            "花名册2020.xlsx"
        );
        assert_eq!(super::safe_file_name(".."), "upload.csv");
    }
}
