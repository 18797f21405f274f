//! Labels of the pages in Chinese (default) and English. The language is a cookie (`lang=en`)
//! set by `/lang/en` or `/lang/zh`; data labels from the workflow (case states, lead kinds)
//! stay as the workflow names them.

use axum::http::request::Parts;

/// The page language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The language of a request (its `lang` cookie; Chinese by default).
    pub fn of(parts: &Parts) -> Lang {
        Lang::from_headers(&parts.headers)
    }

    /// The language of a request's headers.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Lang {
        match crate::session::cookie_in(headers, "lang").as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The labels of this language.
    pub fn text(self) -> &'static Text {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// The `lang` attribute of `<html>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

macro_rules! labels {
    ($($field:ident: $zh:literal, $en:literal;)+) => {
        /// Every label of the pages.
        #[derive(Debug)]
        pub struct Text { $(pub $field: &'static str,)+ }
        /// Chinese labels.
        pub static ZH: Text = Text { $($field: $zh,)+ };
        /// English labels.
        pub static EN: Text = Text { $($field: $en,)+ };
    };
}

labels! {
    app: "寻人", "xunren";
    tagline: "失联人员查找", "tracing lost residents";
    sign_in: "登录", "Sign in";
    sign_out: "退出", "Sign out";
    user_name: "用户名", "Name";
    password: "密码", "Password";
    my_leads: "我的线索", "My leads";
    team_leads: "本组线索", "Team leads";
    visit_sheet: "走访单", "Visit sheet";
    dashboard: "督导看板", "Dashboard";
    admin: "管理", "Admin";
    switch_lang: "English", "中文";
    due: "期限", "Due";
    person: "对象", "Person";
    certificate: "权证", "Certificate";
    area: "区域", "Area";
    kind: "类型", "Kind";
    detail: "线索内容", "Lead";
    case_state: "个案状态", "Case state";
    assignee: "负责人", "Assignee";
    filter_all: "全部", "All";
    filter_overdue: "逾期", "Overdue";
    filter_new: "新分派", "New to me";
    committee: "居委会", "Committee";
    subdistrict: "街道", "Subdistrict";
    team: "小组", "Team";
    staff: "工作人员", "Staff";
    filter: "筛选", "Filter";
    no_leads: "没有待办线索", "No open leads";
    lead: "线索", "Lead";
    case: "个案", "Case";
    candidate: "比对候选", "Match candidate";
    score: "得分", "Score";
    evidence: "依据", "Evidence";
    source: "来源", "Source";
    attempts: "走访记录", "Attempts";
    no_attempts: "尚无走访记录", "No attempts yet";
    record_attempt: "记录走访", "Record an attempt";
    method: "方式", "Method";
    result: "结果", "Result";
    notes: "情况", "Notes";
    next_step: "下一步", "Next step";
    save: "保存", "Save";
    close_lead: "关闭线索", "Close the lead";
    outcome_note: "说明", "Note";
    spawn: "新增后续线索", "Add a follow-up lead";
    chain: "线索链", "Chain of leads";
    dead_end: "无果", "dead end";
    open_person: "查看完整资料（将记录查阅）", "Open the full record (the view is logged)";
    history: "审计记录", "Audit history";
    at: "时间", "When";
    actor: "操作人", "Who";
    event: "事件", "Event";
    change: "变化", "Change";
    close_case: "了结个案", "Close the case";
    reason: "原因", "Reason";
    phones: "电话", "Phones";
    id_number: "身份证号", "ID number";
    registered_address: "户籍地址", "Registered address";
    role: "身份", "Role";
    unresolved: "未解决", "Unresolved";
    open: "待查", "Open";
    tracing: "查找中", "Tracing";
    located: "已找到", "Located";
    stuck: "无线索", "Stuck";
    overdue_leads: "逾期线索", "Overdue leads";
    overdue_list: "逾期清单", "Overdue";
    stuck_cases: "无活动线索的个案", "Stuck cases (no live lead)";
    bases: "征收基地", "Bases";
    round1_threshold: "一轮同意门槛", "Round 1 agreement threshold";
    round2_threshold: "二轮签约门槛", "Round 2 signing threshold";
    threshold_rule: "门槛读法", "Threshold rule";
    round1_date: "一轮征询日期", "Round 1 date";
    round2_period: "二轮签约期", "Round 2 signing period";
    removed_from_roster: "已移出名单：最新的名单不再列此人，个案与记录保留", "Removed from the roster: the newest roster no longer lists this holder; the case and its history are kept";
    consultation: "征询统计", "Consultation";
    gap: "距门槛", "Gap to threshold";
    needed: "还需", "Still needed";
    burndown: "未解决个案走势", "Burn-down";
    staff_load: "工作量", "Staff load";
    capacity: "容量", "Capacity";
    open_leads_n: "在办", "Open";
    escalation: "升级", "Escalation";
    print: "打印", "Print";
    today_round: "今日走访", "Today's round";
    export_xlsx: "导出 xlsx", "Export xlsx";
    imports: "导入", "Imports";
    upload: "上传", "Upload";
    run_matching: "运行比对", "Run matching";
    run_assignment: "运行分派", "Run assignment";
    accounts: "账号", "Accounts";
    median_locate: "找到所需天数中位数", "Median days to locate";
    none: "无", "none";
    due_soon: "两天内到期", "due within two days";
    blocked: "失联阻塞权证", "certificates blocked by a lost holder";
}
