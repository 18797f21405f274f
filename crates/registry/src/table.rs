//! Reading a tabular file — CSV (UTF-8 with or without BOM, or GBK/GB18030 as Excel on Chinese
//! Windows writes it) or `.xlsx` — as a header plus numbered rows of text cells.
//!
//! Row numbers are those a clerk sees in Excel: the header is row 1, the first data row is row 2.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use calamine::{Data, Reader};
use sha2::{Digest, Sha256};

use crate::error::ImportError;

/// The encoding a CSV file was detected in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// GBK, read as its superset GB18030.
    Gbk,
}

/// One data row: its number as Excel shows it and its cells.
#[derive(Clone, Debug)]
pub struct Row {
    pub number: u64,
    cells: csv::StringRecord,
}

impl Row {
    /// The trimmed cell at `index`, or `None` when it is absent or blank.
    pub fn cell(&self, index: Option<usize>) -> Option<&str> {
        let text = self.cells.get(index?)?.trim();
        (!text.is_empty()).then_some(text)
    }

    /// How many cells the row has.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the row has no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

enum Rows {
    Csv(Box<csv::Reader<Box<dyn Read + Send>>>),
    Sheet(std::vec::IntoIter<Row>),
}

/// An open tabular file.
pub struct Table {
    file_name: String,
    headers: Vec<String>,
    rows: Rows,
    hasher: Arc<Mutex<Sha256>>,
    bytes_read: Arc<AtomicU64>,
    total_bytes: u64,
    encoding: Option<Encoding>,
    record: csv::StringRecord,
}

/// Counts and hashes the bytes flowing through it, so a file is read once.
struct HashingReader<R> {
    inner: R,
    hasher: Arc<Mutex<Sha256>>,
    bytes_read: Arc<AtomicU64>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = buf.get(..n).unwrap_or_default();
        if let Ok(mut hasher) = self.hasher.lock() {
            hasher.update(chunk);
        }
        self.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The name shown in messages: the file name without its directories.
pub fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Detects the encoding from the first bytes: UTF-8 (BOM or valid UTF-8), otherwise GBK.
pub fn detect_encoding(head: &[u8]) -> Encoding {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Encoding::Utf8;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        // Only a multi-byte character cut by the end of the sample: still UTF-8.
        Err(error) if error.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Gbk,
    }
}

impl Table {
    /// Opens `path` as CSV or, by its extension, as `.xlsx` (first sheet, or `sheet`).
    pub fn open(path: &Path, sheet: Option<&str>) -> Result<Table, ImportError> {
        let file_name = display_name(path);
        let unreadable = |reason: String| ImportError::Unreadable {
            file: file_name.clone(),
            reason,
        };
        let is_workbook = path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| {
                matches!(ext.to_ascii_lowercase().as_str(), "xlsx" | "xlsm" | "xls")
            });
        let metadata = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?;
        if metadata.len() == 0 {
            return Err(ImportError::Empty { file: file_name });
        }
        if is_workbook {
            Self::open_workbook(path, sheet, file_name, metadata.len())
        } else {
            Self::open_csv(path, file_name, metadata.len())
        }
    }

    fn open_csv(path: &Path, file_name: String, total_bytes: u64) -> Result<Table, ImportError> {
        let unreadable = |reason: String| ImportError::Unreadable {
            file: file_name.clone(),
            reason,
        };
        let mut file = File::open(path).map_err(|e| unreadable(e.to_string()))?;
        let mut head = vec![0u8; 64 * 1024];
        let mut filled = 0;
        while filled < head.len() {
            let n = file
                .read(&mut head[filled..])
                .map_err(|e| unreadable(e.to_string()))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        head.truncate(filled);
        let encoding = detect_encoding(&head);

        let hasher = Arc::new(Mutex::new(Sha256::new()));
        let bytes_read = Arc::new(AtomicU64::new(0));
        let raw = HashingReader {
            inner: io::Cursor::new(head).chain(file),
            hasher: Arc::clone(&hasher),
            bytes_read: Arc::clone(&bytes_read),
        };
        let decoded: Box<dyn Read + Send> = match encoding {
            Encoding::Utf8 => Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(encoding_rs::UTF_8))
                    .utf8_passthru(true)
                    .strip_bom(true)
                    .build(BufReader::with_capacity(256 * 1024, raw)),
            ),
            Encoding::Gbk => Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(encoding_rs::GB18030))
                    .build(BufReader::with_capacity(256 * 1024, raw)),
            ),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(256 * 1024)
            .from_reader(decoded);
        let mut record = csv::StringRecord::new();
        let has_header = reader
            .read_record(&mut record)
            .map_err(|e| csv_problem(&file_name, &e))?;
        if !has_header {
            return Err(ImportError::Empty { file: file_name });
        }
        let headers = clean_headers(record.iter());
        Ok(Table {
            file_name,
            headers,
            rows: Rows::Csv(Box::new(reader)),
            hasher,
            bytes_read,
            total_bytes,
            encoding: Some(encoding),
            record,
        })
    }

    fn open_workbook(
        path: &Path,
        sheet: Option<&str>,
        file_name: String,
        total_bytes: u64,
    ) -> Result<Table, ImportError> {
        let unreadable = |reason: String| ImportError::Unreadable {
            file: file_name.clone(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
        let hasher = Arc::new(Mutex::new(Sha256::new()));
        if let Ok(mut h) = hasher.lock() {
            h.update(&bytes);
        }
        let mut workbook = calamine::open_workbook_auto_from_rs(io::Cursor::new(bytes))
            .map_err(|e| unreadable(e.to_string()))?;
        let names = workbook.sheet_names();
        let name = match sheet {
            Some(wanted) => names
                .iter()
                .find(|name| name.as_str() == wanted)
                .cloned()
                .ok_or_else(|| ImportError::NoSuchSheet {
                    file: file_name.clone(),
                    sheet: wanted.to_string(),
                    available: names.join(", "),
                })?,
            None => names.first().cloned().ok_or_else(|| ImportError::Empty {
                file: file_name.clone(),
            })?,
        };
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| unreadable(e.to_string()))?;
        let (first_row, _) = range.start().unwrap_or((0, 0));
        let mut rows = range.rows().enumerate();
        let Some((_, header_cells)) = rows.next() else {
            return Err(ImportError::Empty { file: file_name });
        };
        let headers = clean_headers(
            header_cells
                .iter()
                .map(cell_text)
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        let data: Vec<Row> = rows
            .map(|(index, cells)| Row {
                number: u64::from(first_row) + index as u64 + 1,
                cells: cells.iter().map(cell_text).collect::<Vec<_>>().into(),
            })
            .filter(|row| row.cells.iter().any(|cell| !cell.trim().is_empty()))
            .collect();
        Ok(Table {
            file_name,
            headers,
            rows: Rows::Sheet(data.into_iter()),
            hasher,
            bytes_read: Arc::new(AtomicU64::new(total_bytes)),
            total_bytes,
            encoding: None,
            record: csv::StringRecord::new(),
        })
    }

    /// The file name used in messages.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Header cells, trimmed and without BOM.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The detected encoding of a CSV file (`None` for a workbook).
    pub fn encoding(&self) -> Option<Encoding> {
        self.encoding
    }

    /// Bytes of the file read so far, and its size: for a progress bar.
    pub fn progress(&self) -> (u64, u64) {
        (self.bytes_read.load(Ordering::Relaxed), self.total_bytes)
    }

    /// SHA-256 of the bytes read so far, in hex: the file's hash once every row was read.
    pub fn sha256_hex(&self) -> String {
        let digest = match self.hasher.lock() {
            Ok(hasher) => hasher.clone().finalize(),
            Err(poisoned) => poisoned.into_inner().clone().finalize(),
        };
        digest.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// The next non-blank row, or an error naming the row that could not be read.
    pub fn next_row(&mut self) -> Option<Result<Row, ImportError>> {
        match &mut self.rows {
            Rows::Sheet(rows) => rows.next().map(Ok),
            Rows::Csv(reader) => loop {
                match reader.read_record(&mut self.record) {
                    Ok(false) => return None,
                    Ok(true) => {
                        if self.record.iter().all(|cell| cell.trim().is_empty()) {
                            continue;
                        }
                        let number = self.record.position().map_or(0, |p| p.line());
                        return Some(Ok(Row {
                            number,
                            cells: self.record.clone(),
                        }));
                    }
                    Err(error) => return Some(Err(csv_problem(&self.file_name, &error))),
                }
            },
        }
    }
}

fn clean_headers<'a>(cells: impl Iterator<Item = &'a str>) -> Vec<String> {
    cells
        .map(|cell| cell.trim_start_matches('\u{feff}').trim().to_string())
        .collect()
}

fn csv_problem(file: &str, error: &csv::Error) -> ImportError {
    let row = error.position().map(|p| p.line());
    let reason = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "文本编码无效(既非 UTF-8 也非 GBK) / invalid text encoding (neither UTF-8 nor GBK)"
                .to_string()
        }
        _ => error.to_string(),
    };
    match row {
        Some(row) => ImportError::Unreadable {
            file: format!("{file} 第 {row} 行 row {row}"),
            reason,
        },
        None => ImportError::Unreadable {
            file: file.to_string(),
            reason,
        },
    }
}

/// The text of a spreadsheet cell as a clerk would read it. Whole numbers lose the `.0` Excel
/// gives them; dates become `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(value) => value.to_string(),
        Data::Float(value) => {
            if value.fract() == 0.0 && value.abs() < 1e15 {
                format!("{}", *value as i64)
            } else if value.abs() >= 1e15 {
                // Excel keeps 15 significant digits: an 18-digit ID stored as a number has lost
                // its tail. Keep the scientific form so that it cannot pass for a valid ID.
                format!("{value:e}")
            } else {
                value.to_string()
            }
        }
        Data::Bool(value) => value.to_string(),
        Data::DateTime(value) => match value.as_datetime() {
            Some(datetime) if datetime.time() == chrono::NaiveTime::MIN => {
                datetime.date().format("%Y-%m-%d").to_string()
            }
            Some(datetime) => datetime.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => value.to_string(),
        },
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(error) => format!("#{error:?}"),
    }
}
