//! Typed errors of the workflow. Messages are bilingual: Chinese, then English.

use sea_orm::DbErr;
pub use xunren_registry::ImportError;

use crate::code::CaseState;

/// Why a workflow operation was refused or failed. A failed operation changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error(
        "无法识别的{what_zh}「{given}」(可选: {expected}) / unrecognised {what_en} {given:?} (one of: {expected})"
    )]
    UnknownCode {
        what_zh: &'static str,
        what_en: &'static str,
        given: String,
        expected: String,
    },
    #[error("找不到{what_zh} {key} / no {what_en} {key}")]
    NotFound {
        what_zh: &'static str,
        what_en: &'static str,
        key: String,
    },
    #[error("个案 #{case_id} 不能从「{}」转为「{}」 / case #{case_id} cannot go from {} to {}", from.label(), to.label(), from.as_code(), to.as_code())]
    IllegalTransition {
        case_id: i32,
        from: CaseState,
        to: CaseState,
    },
    #[error("个案 #{case_id} 转为「{}」须说明原因 / case #{case_id}: moving to {} needs a reason", to.label(), to.as_code())]
    ReasonRequired { case_id: i32, to: CaseState },
    #[error("工作人员「{0}」已存在 / staff member {0:?} exists already")]
    StaffExists(String),
    #[error(
        "工作人员「{0}」请假中，不能接收线索 / staff member {0:?} is on leave and takes no leads"
    )]
    StaffOnLeave(String),
    #[error("线索 #{0} 已关闭 / lead #{0} is closed")]
    LeadClosed(i32),
    #[error("线索 #{0} 没有走访记录，不能关闭 / lead #{0} has no attempt and cannot be closed")]
    NoAttempt(i32),
    #[error("线索 #{0} 已有负责人，先释放再认领 / lead #{0} is assigned already: release it first")]
    AlreadyAssigned(i32),
    #[error(
        "线索 #{0} 已被他人认领或改动 / lead #{0} was claimed or changed by someone else meanwhile"
    )]
    ClaimLost(i32),
    #[error("线索 #{lead_id} 不归「{staff}」负责 / lead #{lead_id} is not assigned to {staff:?}")]
    NotAssignee { lead_id: i32, staff: String },
    #[error("个案 #{0} 已结案，不能再加线索 / case #{0} is closed: no new leads")]
    CaseClosed(i32),
    #[error("{zh} / {en}")]
    Invalid { zh: String, en: String },
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("无法写出报表: {0} / cannot write the report: {0}")]
    Output(String),
    #[error("数据库错误 / database error: {0}")]
    Database(#[from] DbErr),
}

impl TaskError {
    pub(crate) fn not_found(
        what_zh: &'static str,
        what_en: &'static str,
        key: impl ToString,
    ) -> Self {
        TaskError::NotFound {
            what_zh,
            what_en,
            key: key.to_string(),
        }
    }

    pub(crate) fn invalid(zh: impl Into<String>, en: impl Into<String>) -> Self {
        TaskError::Invalid {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// Result of the workflow.
pub type Result<T, E = TaskError> = std::result::Result<T, E>;
