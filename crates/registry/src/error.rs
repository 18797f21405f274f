//! Typed errors of the registry. Messages meant for staff are bilingual: Chinese, then English.

use std::fmt;

use sea_orm::DbErr;

/// Where a problem is in a file: row (as Excel numbers it) and column header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    pub row: u64,
    /// The header of the column as the file wrote it, when one column is at fault.
    pub column: Option<String>,
    /// Bilingual description: `中文 / English`.
    pub message: String,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(
                f,
                "第 {row} 行「{column}」列 (row {row}, column {column}): {message}",
                row = self.row,
                message = self.message
            ),
            None => write!(
                f,
                "第 {row} 行 (row {row}): {message}",
                row = self.row,
                message = self.message
            ),
        }
    }
}

/// The problems of an invalid file, at most [`ImportError::MAX_LISTED`] of them listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems {
    pub listed: Vec<RowProblem>,
    /// How many problems there were in all (more than `listed.len()` when the list was cut).
    pub total: usize,
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.listed {
            writeln!(f, "  {problem}")?;
        }
        let more = self.total.saturating_sub(self.listed.len());
        if more > 0 {
            writeln!(f, "  …另有 {more} 处 / … and {more} more")?;
        }
        Ok(())
    }
}

/// Why an import failed. Whatever the error, the import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("无法读取 {file}: {reason} / cannot read {file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("{file} 是空文件或没有数据行 / {file} is empty or has no data rows")]
    Empty { file: String },
    #[error(
        "{file} 中没有名为「{sheet}」的工作表(现有: {available}) / {file} has no sheet named {sheet:?} (sheets: {available})"
    )]
    NoSuchSheet {
        file: String,
        sheet: String,
        available: String,
    },
    #[error("{file} 缺少必需的列「{zh}」({en}) / {file} lacks the required column {zh} ({en})")]
    MissingColumn {
        file: String,
        zh: &'static str,
        en: &'static str,
    },
    #[error(
        "{file} 中「{zh}」列出现了两次(第 {first} 和第 {second} 列) / {file} has column {zh} twice (columns {first} and {second})"
    )]
    DuplicateColumn {
        file: String,
        zh: &'static str,
        first: usize,
        second: usize,
    },
    #[error("{file} 有 {total} 处错误，未写入任何数据 / {file} has {total} errors; nothing was written\n{problems}", total = problems.total)]
    Invalid { file: String, problems: Problems },
    #[error(
        "{file} 删去了 {count} 张有寻人个案的权证 ({certificates})，未写入任何数据：寻人记录不随名单删除，请在名单中保留这些权证 / {file} drops {count} certificates whose holders have tracing cases ({certificates}); nothing was written: a search's history is not deleted with a roster, keep these certificates in the roster"
    )]
    TracedCertificatesDropped {
        file: String,
        count: usize,
        certificates: String,
    },
    #[error("数据库错误 / database error: {0}")]
    Database(#[from] DbErr),
}

impl ImportError {
    /// How many row problems an [`ImportError::Invalid`] lists before it only counts.
    pub const MAX_LISTED: usize = 200;
}

/// Collects row problems, keeping the first [`ImportError::MAX_LISTED`].
#[derive(Debug, Default)]
pub struct ProblemLog {
    listed: Vec<RowProblem>,
    total: usize,
}

impl ProblemLog {
    pub fn push(&mut self, row: u64, column: Option<&str>, message: impl Into<String>) {
        self.total += 1;
        if self.listed.len() < ImportError::MAX_LISTED {
            self.listed.push(RowProblem {
                row,
                column: column.map(str::to_string),
                message: message.into(),
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn into_error(self, file: &str) -> ImportError {
        ImportError::Invalid {
            file: file.to_string(),
            problems: Problems {
                listed: self.listed,
                total: self.total,
            },
        }
    }
}
