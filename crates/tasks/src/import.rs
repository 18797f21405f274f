//! The workflow's imports (staff, votes) share the registry's header mapping and problem log:
//! Chinese names or English aliases in any order, every problem with row and column, errors as
//! `xunren_registry::ImportError`.

pub(crate) use xunren_registry::error::ProblemLog;
pub(crate) use xunren_registry::import::columns::{ColumnMap, ColumnSpec};
