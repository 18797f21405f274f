//! # xunren-match (寻人匹配): fuzzy matching of persons whose registered address is out of date
//!
//! This crate owns the matching core of xunren (寻人): it takes person records fed by the registry (no database
//! dependency) and finds, for a lost person (失联人员), the reference records (参考记录) most likely to be the same
//! person, each with a calibrated match probability (匹配概率) and the evidence (证据) behind it. It also links two
//! arbitrary CSV files from a declarative spec (通用链接).
//!
//! ## Public surface
//! - [`normalize`] — normalisation (规范化): traditional→simplified (繁转简), full-width→half-width (全角→半角),
//!   punctuation; pinyin (拼音) with all readings of polyphonic characters; homophones (同音), Shanghai accent
//!   confusions (沪语音近, 王/黄) and shape-alike characters (形近字).
//! - [`address`] — parser of Shanghai-style addresses (地址解析): [`address::parse_address`],
//!   [`address::compare_addresses`] → exact / same building / same lane / same road / different.
//! - [`compare`] — field comparisons into discrete [`compare::ComparisonLevel`]s (比较等级) per
//!   [`compare::FieldKind`].
//! - [`ids`] — ID numbers (身份证号) and phones (电话) compared on visible digits, built on `xunren-domain`.
//! - [`model`] — the Fellegi–Sunter model ([`model::Model`]): m/u per level, `u` from random pairs, `m` by EM or
//!   labelled pairs, [`model::Evidence`] rendered in Chinese and English.
//! - [`index`] — one-record lookup (单条查询): [`index::Index::build`], [`index::Index::candidates`] →
//!   [`index::Candidate`]s, and [`index::Index::relatives`] → relatives and former neighbours (亲属/旧邻), kept apart.
//! - [`link`] — generic linkage of two CSV files: [`link::LinkSpec`] (TOML), [`link::link_files`],
//!   [`link::write_pairs_csv`], [`link::evaluate`].
//!
//! Errors are [`LinkError`] and [`IndexError`], with messages in Chinese and English. No function panics on
//! input-controlled data: hostile text yields an error or a low score.
//!
//! See `docs/matching.md` for the model, the comparison levels and how to read a candidate's evidence.

pub mod address;
pub mod compare;
pub mod error;
pub mod ids;
pub mod index;
pub mod link;
pub mod model;
pub mod normalize;

pub use compare::{ComparisonLevel, FieldKind};
pub use error::{IndexError, LinkError};
pub use index::{
    Candidate, INDEX_VERSION, Index, IndexBuilder, Record, RelationKind, RelativeCandidate,
};
pub use link::{LinkResult, LinkSpec, Metrics, ScoredPair, evaluate, link_files, write_pairs_csv};
pub use model::{Evidence, FieldEvidence, HouseholdDependence, Model};
