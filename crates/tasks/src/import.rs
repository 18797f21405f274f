//! Header mapping and problem collection for the workflow's imports (staff, votes), in the style
//! of the registry's imports: Chinese names or English aliases in any order; every problem with
//! row and column; errors are `xunren_registry::ImportError`.

use xunren_registry::ImportError;
use xunren_registry::error::{Problems, RowProblem};
use xunren_registry::table::Row;

/// A column an import understands.
pub(crate) struct ColumnSpec {
    pub zh: &'static str,
    pub en: &'static str,
    pub required: bool,
}

/// Where each known column is in the file, and the unknown ones.
pub(crate) struct ColumnMap {
    positions: Vec<Option<usize>>,
    headers: Vec<String>,
    pub unknown: Vec<String>,
}

impl ColumnMap {
    pub fn new(file: &str, headers: &[String], specs: &[ColumnSpec]) -> Result<Self, ImportError> {
        let mut positions = vec![None; specs.len()];
        let mut unknown = Vec::new();
        for (column, header) in headers.iter().enumerate() {
            let wanted = header.to_ascii_lowercase();
            match specs
                .iter()
                .position(|spec| spec.zh == header.as_str() || spec.en == wanted)
            {
                Some(index) => match positions.get_mut(index) {
                    Some(Some(first)) => {
                        return Err(ImportError::DuplicateColumn {
                            file: file.to_string(),
                            zh: specs[index].zh,
                            first: *first + 1,
                            second: column + 1,
                        });
                    }
                    Some(slot) => *slot = Some(column),
                    None => {}
                },
                None if header.is_empty() => {}
                None => unknown.push(header.clone()),
            }
        }
        for (index, spec) in specs.iter().enumerate() {
            if spec.required && positions[index].is_none() {
                return Err(ImportError::MissingColumn {
                    file: file.to_string(),
                    zh: spec.zh,
                    en: spec.en,
                });
            }
        }
        Ok(ColumnMap {
            positions,
            headers: headers.to_vec(),
            unknown,
        })
    }

    /// The trimmed, non-blank text of `field` in `row`.
    pub fn get<'r>(&self, row: &'r Row, field: usize) -> Option<&'r str> {
        row.cell(self.positions.get(field).copied().flatten())
    }

    /// The header of `field` as the file wrote it.
    pub fn header(&self, field: usize) -> &str {
        self.positions
            .get(field)
            .copied()
            .flatten()
            .and_then(|column| self.headers.get(column))
            .map_or("", String::as_str)
    }
}

/// Collects row problems, keeping the first [`ImportError::MAX_LISTED`].
#[derive(Debug, Default)]
pub(crate) struct ProblemLog {
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
