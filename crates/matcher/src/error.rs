//! Errors of the matcher (匹配错误), with bilingual messages (Chinese / English).

use std::path::PathBuf;

/// Errors of generic linkage ([`crate::link`]).
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The spec file could not be read.
    #[error("无法读取配置文件 {path} / cannot read spec file {path}: {source}")]
    SpecRead {
        /// Path of the spec.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The spec is not valid TOML or misses required keys.
    #[error("配置文件格式错误 / invalid link spec: {0}")]
    SpecParse(String),
    /// The spec is well-formed but inconsistent.
    #[error("配置无效 / invalid link spec: {0}")]
    SpecInvalid(String),
    /// A CSV file could not be read.
    #[error("无法读取 CSV 文件 {path} / cannot read CSV file {path}: {message}")]
    Csv {
        /// Path of the file.
        path: PathBuf,
        /// Cause.
        message: String,
    },
    /// A column named in the spec is not in a file.
    #[error("文件 {path} 中没有列 {column} / column {column} not found in {path}")]
    MissingColumn {
        /// Path of the file.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// Writing the output failed.
    #[error("无法写入 {path} / cannot write {path}: {message}")]
    Write {
        /// Path of the output.
        path: PathBuf,
        /// Cause.
        message: String,
    },
}

/// Errors of the one-record index ([`crate::index`]).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// More records than the index can address with 32-bit ids.
    #[error("记录过多（超过 {max} 条）/ too many records (more than {max})")]
    TooManyRecords {
        /// The maximum.
        max: usize,
    },
    /// Reading or writing a saved index failed.
    #[error("索引文件读写失败 / cannot read or write the index: {0}")]
    Io(String),
    /// A model does not have the person fields the index scores with.
    #[error("模型字段与人员模型不符 / the model's fields differ from the person model")]
    ModelMismatch,
    /// A saved index is not valid (wrong format, truncated or inconsistent).
    #[error("索引文件无效 / invalid index file: {0}")]
    Corrupt(String),
}
