//! Coded values (代码值) of the workflow: each stores a stable English code in the database,
//! displays its Chinese label, and parses the Chinese term or an English alias.

use serde::Serialize;

use crate::error::TaskError;

macro_rules! coded {
    (
        $(#[$meta:meta])*
        $name:ident, $what_zh:literal, $what_en:literal,
        { $( $(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal, [$($alias:literal),* $(,)?] );+ $(;)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in the database.
            pub fn as_code(self) -> &'static str {
                match self { $( $name::$variant => $code, )+ }
            }

            /// The Chinese label shown to staff.
            pub fn label(self) -> &'static str {
                match self { $( $name::$variant => $label, )+ }
            }

            /// Parses a code, the Chinese label or an English alias (trimmed, case-insensitive).
            pub fn parse(text: &str) -> Result<Self, TaskError> {
                let key = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
                $(
                    if key == $code || key == $label $(|| key == $alias)* {
                        return Ok($name::$variant);
                    }
                )+
                Err(TaskError::UnknownCode {
                    what_zh: $what_zh,
                    what_en: $what_en,
                    given: text.chars().take(20).collect(),
                    expected: [$($label),+].join("/"),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{} ({})", self.label(), self.as_code())
            }
        }

        impl std::str::FromStr for $name {
            type Err = TaskError;
            fn from_str(text: &str) -> Result<Self, TaskError> {
                $name::parse(text)
            }
        }
    };
}

coded! {
    /// 个案状态 CaseState: where a case is. `open → tracing → located → contacted`, or closed with
    /// a reason as deceased, abroad, refuses contact or untraceable.
    CaseState, "个案状态", "case state", {
        /// 待查: opened, nobody has started.
        Open => "open", "待查", [];
        /// 查找中: leads are being worked.
        Tracing => "tracing", "查找中", [];
        /// 已找到: whereabouts known, not yet spoken to.
        Located => "located", "已找到", ["found"];
        /// 已联系: reached — resolved.
        Contacted => "contacted", "已联系", ["reached", "resolved"];
        /// 已故: heirs must be found (private housing) or the tenant of record changed (public).
        Deceased => "deceased", "已故", ["dead"];
        /// 在境外: a notarised power of attorney is needed.
        Abroad => "abroad", "在境外", ["境外"];
        /// 拒绝联系: found but refuses contact.
        Refuses => "refuses", "拒绝联系", ["refused", "refuses_contact"];
        /// 无法查找: compensation decision (补偿决定) and notary deposit (提存).
        Untraceable => "untraceable", "无法查找", ["查无此人"];
    }
}

impl CaseState {
    /// Closed states end a case with a reason; `contacted` resolves it.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            CaseState::Deceased | CaseState::Abroad | CaseState::Refuses | CaseState::Untraceable
        )
    }

    /// Unresolved: neither contacted nor closed.
    pub fn is_unresolved(self) -> bool {
        matches!(
            self,
            CaseState::Open | CaseState::Tracing | CaseState::Located
        )
    }

    /// The states a case may go to from this one.
    pub fn next_states(self) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            Open => &[Tracing, Located, Deceased, Abroad, Refuses, Untraceable],
            Tracing => &[Located, Deceased, Abroad, Refuses, Untraceable],
            // The address found proved wrong: back to tracing.
            Located => &[Contacted, Tracing, Deceased, Abroad, Refuses, Untraceable],
            Contacted => &[],
            // Reopened on new information.
            Deceased | Abroad | Refuses | Untraceable => &[Tracing],
        }
    }

    /// Whether `self → to` is allowed.
    pub fn can_go_to(self, to: CaseState) -> bool {
        self.next_states().contains(&to)
    }
}

coded! {
    /// 角色 StaffRole.
    StaffRole, "角色", "role", {
        /// 联络员 residential-area liaison (often a civil servant).
        Liaison => "liaison", "联络员", ["居民区联络人"];
        /// 居委干部 committee cadre: knows the families of the area.
        Cadre => "cadre", "居委干部", ["committee_cadre"];
        /// 征收所工作人员 expropriation-office staff.
        Office => "office", "征收所工作人员", ["office_staff", "征收所"];
        /// 组长 team leader: overdue leads escalate to them first.
        Leader => "leader", "组长", ["team_leader"];
        /// 督导 supervisor: second escalation, reads the reports.
        Supervisor => "supervisor", "督导", ["督导员", "主管"];
    }
}

coded! {
    /// 在岗状态 StaffStatus.
    StaffStatus, "在岗状态", "staff status", {
        Active => "active", "在岗", [];
        OnLeave => "on_leave", "请假", ["leave", "休假"];
    }
}

coded! {
    /// 线索类型 LeadKind: what kind of way to the person a lead is.
    LeadKind, "线索类型", "lead kind", {
        /// 匹配候选: a reference record the matcher found.
        Candidate => "candidate", "匹配候选", ["match"];
        /// 上门地址: an address to visit.
        Address => "address", "上门地址", ["visit"];
        /// 居委会: a committee to ask (e.g. the one that covered a demolished address).
        Committee => "committee", "居委会协查", ["居委会"];
        /// 亲属: a relative or former neighbour.
        Relative => "relative", "亲属", ["亲属转告"];
        /// 电话: a phone number to call.
        Phone => "phone", "电话", [];
        /// 派出所协查: a police-station inquiry.
        Police => "police", "派出所协查", ["派出所"];
    }
}

coded! {
    /// 线索结果 LeadOutcome: how a lead ended.
    LeadOutcome, "线索结果", "lead outcome", {
        /// 联系上本人.
        Reached => "reached", "联系上本人", ["联系上"];
        /// 找到下落 (not yet spoken to).
        Located => "located", "找到下落", ["found"];
        /// 获得新线索: follow-ups were spawned.
        NewInfo => "new_info", "获得新线索", ["新线索"];
        /// 无果: a dead end.
        DeadEnd => "dead_end", "无果", ["no_trace"];
        /// 撤回: the case was resolved or closed while the lead was open (set by the system).
        Withdrawn => "withdrawn", "撤回", [];
    }
}

coded! {
    /// 走访方式 AttemptMethod.
    AttemptMethod, "走访方式", "method", {
        Visit => "visit", "上门", [];
        Phone => "phone", "电话", ["call"];
        Letter => "letter", "信函", [];
        Committee => "committee", "居委会协查", [];
        Relative => "relative", "亲属转告", [];
        Police => "police", "派出所协查", [];
    }
}

coded! {
    /// 走访结果 AttemptResult.
    AttemptResult, "走访结果", "attempt result", {
        Reached => "reached", "联系上", [];
        NewInfo => "new_info", "获得线索", ["新线索"];
        NoTrace => "no_trace", "无果", [];
        Refused => "refused", "拒绝", [];
    }
}

coded! {
    /// 意见 Opinion: a certificate's round-1 vote or round-2 signing.
    Opinion, "意见", "opinion", {
        Agree => "agree", "同意", ["yes"];
        Oppose => "oppose", "反对", ["no"];
        Abstain => "abstain", "弃权", [];
        Invalid => "invalid", "废票", ["spoiled"];
        Signed => "signed", "已签约", ["签约"];
        Unsigned => "unsigned", "未签约", ["not_signed"];
    }
}

impl Opinion {
    /// The round this opinion belongs to.
    pub fn round(self) -> i32 {
        match self {
            Opinion::Signed | Opinion::Unsigned => 2,
            _ => 1,
        }
    }
}

coded! {
    /// 门槛规则 ThresholdRule: how a base reads its thresholds (one setting for both rounds).
    /// Published rules differ: "达到 90 %" (at least) or "超过 90 %" (more than, Huangpu 2021).
    ThresholdRule, "门槛规则", "threshold rule", {
        /// 达到: the share must be at least the threshold (≥); the default.
        AtLeast => "at_least", "达到", ["≥", ">=", "at least"];
        /// 超过: the share must be more than the threshold (>).
        MoreThan => "more_than", "超过", [">", "more than"];
    }
}

impl ThresholdRule {
    /// The rule as a comparison sign, for reports (`≥90%`, `>90%`).
    pub fn sign(self) -> &'static str {
        match self {
            ThresholdRule::AtLeast => "≥",
            ThresholdRule::MoreThan => ">",
        }
    }

    /// How many of `total` must be positive to meet `threshold` (a share) under this rule.
    pub fn required(self, total: i64, threshold: f64) -> i64 {
        // Exact for shares given to a few decimals: 0.9 × 2002 = 1801.8 is not an integer, while
        // 0.9 × 100 computes as 90.00000000000001 and must count as exactly 90.
        let exact = threshold * total as f64;
        let nearest = exact.round();
        let is_whole = (exact - nearest).abs() < 1e-6;
        match (self, is_whole) {
            (ThresholdRule::AtLeast, true) => nearest as i64,
            (ThresholdRule::AtLeast, false) => exact.ceil() as i64,
            (ThresholdRule::MoreThan, true) => nearest as i64 + 1,
            (ThresholdRule::MoreThan, false) => exact.ceil() as i64,
        }
    }
}

coded! {
    /// 事件类型 EventKind: what an audit-log line records.
    EventKind, "事件类型", "event kind", {
        State => "state", "状态变更", [];
        LeadCreated => "lead_created", "新线索", [];
        Assigned => "assigned", "分派", [];
        Claimed => "claimed", "认领", [];
        Released => "released", "释放", [];
        Reassigned => "reassigned", "改派", [];
        Attempt => "attempt", "走访", [];
        LeadClosed => "lead_closed", "线索关闭", [];
        Escalated => "escalated", "升级", [];
    }
}

/// Splits a cell holding several values (`老西门街道、小南门街道`, `法律;房产`).
pub fn split_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in text.split(['、', ';', '；', ',', '，', '/']) {
        let part = part.trim();
        if !part.is_empty() && !out.iter().any(|p| p == part) {
            out.push(part.to_string());
        }
    }
    out
}

/// Joins values for storage (`;`).
pub fn join_list(values: &[String]) -> String {
    values.join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_transition_is_listed_and_refused_ones_are_refused() {
        use CaseState::*;
        assert!(Open.can_go_to(Tracing));
        assert!(Tracing.can_go_to(Located));
        assert!(Located.can_go_to(Contacted));
        assert!(!Open.can_go_to(Contacted));
        assert!(!Tracing.can_go_to(Contacted));
        assert!(!Contacted.can_go_to(Tracing));
        assert!(!Tracing.can_go_to(Open));
        for state in CaseState::ALL {
            assert!(!state.can_go_to(*state), "{state} to itself");
            assert_eq!(CaseState::parse(state.as_code()).ok(), Some(*state));
            assert_eq!(CaseState::parse(state.label()).ok(), Some(*state));
        }
    }

    #[test]
    fn threshold_rules_count_the_boundary_differently() {
        use ThresholdRule::*;
        // 90 of 100 meets "at least 90 %", not "more than 90 %".
        assert_eq!(AtLeast.required(100, 0.9), 90);
        assert_eq!(MoreThan.required(100, 0.9), 91);
        // 0.9 × 2002 = 1801.8: both rules need 1802.
        assert_eq!(AtLeast.required(2002, 0.9), 1802);
        assert_eq!(MoreThan.required(2002, 0.9), 1802);
        assert_eq!(AtLeast.required(20, 0.85), 17);
        assert_eq!(MoreThan.required(20, 0.85), 18);
        assert_eq!(AtLeast.required(0, 0.9), 0);
        assert_eq!(ThresholdRule::parse("超过").ok(), Some(MoreThan));
        assert_eq!(ThresholdRule::parse("more-than").ok(), Some(MoreThan));
        assert_eq!(ThresholdRule::parse(">=").ok(), Some(AtLeast));
        assert!(ThresholdRule::parse("about").is_err());
    }

    #[test]
    fn parses_labels_and_lists() {
        assert_eq!(StaffRole::parse("督导").ok(), Some(StaffRole::Supervisor));
        assert_eq!(Opinion::parse(" 已签约 ").ok(), Some(Opinion::Signed));
        assert!(Opinion::parse("maybe").is_err());
        assert_eq!(
            split_list("老西门街道、小南门街道;老西门街道"),
            vec!["老西门街道".to_string(), "小南门街道".to_string()]
        );
    }
}
