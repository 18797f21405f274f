//! Mapping a file's header to the fields an import knows: Chinese names or English snake_case
//! aliases, in any order; unknown columns are reported and ignored. Shared by every import of
//! the workspace (the workflow's staff and votes imports too).

use crate::error::ImportError;
use crate::table::Row;

/// A column an import understands.
pub struct ColumnSpec {
    pub zh: &'static str,
    pub en: &'static str,
    pub required: bool,
}

/// Where each known column is in the file (indexed like the spec slice), and the unknown ones.
pub struct ColumnMap {
    positions: Vec<Option<usize>>,
    headers: Vec<String>,
    pub unknown: Vec<String>,
}

impl ColumnMap {
    /// Maps `headers` to `specs`. `satisfied` lists spec indices whose requirement is met in
    /// another way (a `--source` given on the command line, for instance).
    pub fn new(
        file: &str,
        headers: &[String],
        specs: &[ColumnSpec],
        satisfied: &[usize],
    ) -> Result<ColumnMap, ImportError> {
        let mut positions = vec![None; specs.len()];
        let mut unknown = Vec::new();
        for (column, header) in headers.iter().enumerate() {
            let wanted = header.to_ascii_lowercase();
            let found = specs
                .iter()
                .position(|spec| spec.zh == header.as_str() || spec.en == wanted);
            match found {
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
            if spec.required && positions[index].is_none() && !satisfied.contains(&index) {
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

    /// The header of `field` as the file wrote it (for messages).
    pub fn header(&self, field: usize) -> &str {
        self.positions
            .get(field)
            .copied()
            .flatten()
            .and_then(|column| self.headers.get(column))
            .map_or("", String::as_str)
    }
}
