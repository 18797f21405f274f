//! The `xunren` binary itself, verb by verb, on a fresh SQLite file: generate, import, match,
//! assign, work a lead to contacted, read the case and the reports, manage accounts; and the
//! exit codes and bilingual messages of mistakes. (The libraries behind the verbs are tested on
//! both databases in `tests/`.)

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

struct Cli {
    dir: tempfile::TempDir,
    url: String,
}

impl Cli {
    fn new() -> Cli {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
        Cli { dir, url }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn run_with_input(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xunren"))
            .args(args)
            .env("XUNREN_DATABASE_URL", &self.url)
            .env_remove("XUNREN_STAFF")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run xunren");
        if let Some(text) = input {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        } else {
            drop(child.stdin.take());
        }
        child.wait_with_output().expect("xunren ends")
    }

    /// Runs and requires success; returns standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run_with_input(args, None);
        assert!(
            out.status.success(),
            "xunren {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    }

    /// Runs and requires failure; returns standard error.
    fn fails(&self, args: &[&str], input: Option<&str>) -> String {
        let out = self.run_with_input(args, input);
        assert!(!out.status.success(), "xunren {args:?} should fail");
        String::from_utf8_lossy(&out.stderr).to_string()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).expect("JSON output")
    }
}

fn generated(cli: &Cli) -> String {
    let dir = cli.path("gen");
    cli.ok(&[
        "gen",
        "--out",
        &dir,
        "--certificates",
        "80",
        "--reference",
        "800",
        "--staff",
        "16",
        "--seed",
        "3",
    ]);
    dir
}

fn file(dir: &str, name: &str) -> String {
    Path::new(dir).join(name).display().to_string()
}

#[test]
fn a_lead_worked_to_contacted_from_the_command_line() {
    let cli = Cli::new();
    let dir = generated(&cli);
    cli.ok(&[
        "import",
        "roster",
        &file(&dir, "roster.csv"),
        "--base",
        "乔家路北块",
    ]);
    for source in ["旧改档案", "居住登记", "电话登记"] {
        cli.ok(&[
            "import",
            "reference",
            &file(&dir, &format!("reference_{source}.csv")),
        ]);
    }
    cli.ok(&["import", "staff", &file(&dir, "staff.csv")]);
    cli.ok(&["import", "votes", &file(&dir, "votes.csv")]);
    let stats = cli.json(&["stats", "--format", "json"]);
    assert!(stats.to_string().contains("乔家路北块"), "{stats}");
    cli.ok(&["match", "--out", &cli.path("candidates.csv")]);
    let candidates = std::fs::read_to_string(cli.path("candidates.csv")).expect("candidates");
    assert!(candidates.lines().count() > 1, "candidates written");
    // The imports brought the index up to date; --rebuild-index builds it from all records again.
    let said = |args: &[&str]| {
        let out = cli.run_with_input(args, None);
        assert!(out.status.success(), "xunren {args:?}");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let out = cli.path("again.csv");
    assert!(said(&["match", "--out", &out]).contains("索引已加载"));
    assert!(said(&["match", "--rebuild-index", "--out", &out]).contains("索引已重建"));
    assert_eq!(std::fs::read_to_string(&out).expect("again"), candidates);
    cli.ok(&["assign"]);

    // Someone with open leads.
    let staff = cli.json(&["report", "staff", "--format", "json"]);
    let busy = staff["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["open_leads"].as_i64().unwrap_or(0) > 0 && r["role"] != "supervisor")
        .expect("a staff member with open leads");
    let name = busy["name"].as_str().expect("a name").to_string();
    let mine = cli.json(&["lead", "mine", "--by", &name, "--format", "json"]);
    let lead = mine[0]["id"].as_i64().expect("a lead id").to_string();
    let case_id = mine[0]["case_id"].as_i64().expect("a case id").to_string();
    let shown = cli.ok(&["lead", "show", &lead]);
    assert!(shown.contains(&lead), "{shown}");

    // Closing without an attempt is refused, in Chinese and English.
    let refused = cli.fails(
        &[
            "lead",
            "close",
            &lead,
            "--outcome",
            "reached",
            "--by",
            &name,
        ],
        None,
    );
    assert!(
        refused.contains("没有走访记录") && refused.contains("no attempt"),
        "{refused}"
    );
    cli.ok(&[
        "lead",
        "attempt",
        &lead,
        "--method",
        "上门",
        "--result",
        "联系上",
        "--notes",
        "本人在闵行",
        "--by",
        &name,
    ]);
    cli.ok(&[
        "lead",
        "close",
        &lead,
        "--outcome",
        "reached",
        "--by",
        &name,
    ]);
    let case = cli.json(&["case", "show", &case_id, "--format", "json"]);
    assert_eq!(case["case"]["state"], "contacted", "{case}");
    assert!(case["events"].as_array().expect("events").len() >= 3);

    let consultation = cli.ok(&["report", "consultation", "--format", "csv"]);
    assert!(consultation.contains("合计"), "{consultation}");
    let out = cli.path("unresolved.xlsx");
    cli.ok(&["report", "unresolved", "--format", "xlsx", "--out", &out]);
    assert_eq!(&std::fs::read(&out).expect("xlsx")[..2], b"PK");
}

#[test]
fn accounts_from_the_command_line() {
    let cli = Cli::new();
    let dir = generated(&cli);
    cli.ok(&[
        "import",
        "roster",
        &file(&dir, "roster.csv"),
        "--base",
        "乔家路北块",
    ]);
    cli.ok(&["import", "staff", &file(&dir, "staff.csv")]);

    let created = cli.run_with_input(
        &["user", "add", "--name", "admin", "--role", "admin"],
        Some("a long password\n"),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let again = cli.fails(
        &["user", "add", "--name", "admin", "--role", "admin"],
        Some("another password\n"),
    );
    assert!(
        again.contains("已存在") && again.contains("exists"),
        "{again}"
    );
    let short = cli.fails(
        &["user", "add", "--name", "li", "--role", "supervisor"],
        Some("short\n"),
    );
    assert!(short.contains("8"), "{short}");
    let unlinked = cli.fails(
        &["user", "add", "--name", "wang", "--role", "staff"],
        Some("a long password\n"),
    );
    assert!(unlinked.contains("--staff"), "{unlinked}");
    let nobody = cli.fails(
        &[
            "user",
            "add",
            "--name",
            "wang",
            "--role",
            "staff",
            "--staff",
            "不存在的人",
        ],
        Some("a long password\n"),
    );
    assert!(nobody.contains("不存在的人"), "{nobody}");
    let empty = cli.fails(
        &["user", "add", "--name", "zhao", "--role", "admin"],
        Some(""),
    );
    assert!(empty.contains("standard input"), "{empty}");
    let role = cli.fails(
        &["user", "add", "--name", "zhao", "--role", "root"],
        Some("a long password\n"),
    );
    assert!(role.contains("root"), "{role}");

    let changed = cli.run_with_input(
        &["user", "passwd", "--name", "admin"],
        Some("a new long password\n"),
    );
    assert!(changed.status.success());
    let list = cli.ok(&["user", "list"]);
    assert!(list.contains("admin\tadmin"), "{list}");
    assert!(
        !list.contains("wang"),
        "refused accounts were not created: {list}"
    );
}

#[test]
fn mistakes_exit_non_zero_with_bilingual_messages() {
    let cli = Cli::new();
    let bad = cli.path("bad_roster.csv");
    std::fs::write(
        &bad,
        "权证号,房屋坐落,房屋类型,征收所,街道,居委会,姓名,身份,身份证号,性别,出生日期,联系电话,户籍地址,联系状态\n\
         QJB-1,艾家弄46号,私房,征收一所,老西门街道,艾家弄居委会,张三,产权人,,男,1934-10-22,,,已联系\n\
         QJB-2,艾家弄47号,私房,征收一所,老西门街道,艾家弄居委会,,产权人,,男,1934-10-22,,,失联\n",
    )
    .expect("a bad file");
    let message = cli.fails(&["import", "roster", &bad, "--base", "乔家路北块"], None);
    assert!(
        message.contains("未写入任何数据") && message.contains("nothing was written"),
        "{message}"
    );
    assert!(message.contains("姓名"), "names the column: {message}");
    let missing = cli.fails(&["import", "roster", &cli.path("nowhere.csv")], None);
    assert!(missing.contains("nowhere.csv"), "{missing}");
    let unknown_lead = cli.fails(&["lead", "show", "4242"], None);
    assert!(unknown_lead.contains("4242"), "{unknown_lead}");
}

#[test]
fn staff_verbs_pool_claim_spawn_leave_and_base_settings() {
    let cli = Cli::new();
    let roster = cli.path("roster.csv");
    std::fs::write(
        &roster,
        "权证号,房屋坐落,房屋类型,征收所,街道,居委会,姓名,身份,联系电话,户籍地址,联系状态\n\
         Q-001,乔家路12弄3号,公房,征收一所,老西门街道,艾家弄居委会,张明,承租人,13812345678,乔家路12弄3号,失联\n\
         Q-002,大夫坊5号,私房,征收一所,老西门街道,艾家弄居委会,王建国,产权人,63219876,复兴东路100弄2号,失联\n",
    )
    .expect("a roster");
    cli.ok(&["import", "roster", &roster, "--base", "乔家路北块"]);
    for (name, role, committees) in [("周磊", "居委干部", "艾家弄居委会"), ("刘洋", "联络员", "")]
    {
        cli.ok(&[
            "staff",
            "add",
            name,
            "--role",
            role,
            "--team",
            "第一小组",
            "--subdistricts",
            "老西门街道",
            "--committees",
            committees,
            "--capacity",
            "10",
        ]);
    }
    cli.ok(&["staff", "change", "刘洋", "--skills", "法律;方言"]);
    cli.ok(&["assign"]);
    let cases = cli.json(&["case", "list", "--format", "json"]);
    assert_eq!(cases.as_array().map(Vec::len), Some(2), "{cases}");
    let case_id = cases[0]["id"].as_i64().expect("a case id").to_string();

    // A lead left in the pool, claimed, released, reassigned by hand.
    cli.ok(&[
        "lead",
        "add",
        &case_id,
        "--kind",
        "居委会",
        "--detail",
        "原艾家弄居委会",
        "--pool",
        "--by",
        "周磊",
    ]);
    let pool = cli.json(&["lead", "pool", "--format", "json"]);
    let lead = pool[0]["id"].as_i64().expect("a pooled lead").to_string();
    assert_eq!(pool[0]["assignee_id"], Value::Null);
    cli.ok(&["lead", "claim", &lead, "--by", "刘洋"]);
    let mine = cli.json(&["lead", "mine", "--by", "刘洋", "--format", "json"]);
    assert_eq!(
        mine[0]["id"].as_i64().map(|i| i.to_string()),
        Some(lead.clone())
    );
    let again = cli.fails(&["lead", "claim", &lead, "--by", "周磊"], None);
    assert!(
        again.contains(&lead),
        "a claimed lead cannot be claimed: {again}"
    );
    cli.ok(&["lead", "release", &lead, "--note", "不熟悉", "--by", "刘洋"]);
    assert_eq!(
        cli.json(&["lead", "pool", "--format", "json"])[0]["id"]
            .as_i64()
            .map(|i| i.to_string()),
        Some(lead.clone())
    );
    cli.ok(&[
        "lead", "reassign", &lead, "--to", "周磊", "--note", "熟人", "--by", "周磊",
    ]);
    // A follow-up spawned from it joins the chain.
    cli.ok(&[
        "lead",
        "spawn",
        &lead,
        "--kind",
        "relative",
        "--detail",
        "其妹 张丽",
        "--by",
        "周磊",
    ]);
    let shown = cli.ok(&["lead", "show", &lead]);
    assert!(
        shown.contains("其妹"),
        "the chain shows the follow-up: {shown}"
    );

    // Leave: 周磊's open leads go to 刘洋.
    let out = cli.ok(&["staff", "leave", "周磊", "--by", "周磊"]);
    assert!(out.contains("reassigned 2"), "{out}");
    let staff = cli.json(&["staff", "list", "--format", "json"]);
    let row = |name: &str| {
        staff
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["name"] == name).cloned())
            .expect("a staff row")
    };
    assert_eq!(row("周磊")["status"], "on_leave");
    assert_eq!(row("周磊")["open_leads"], 0);
    assert_eq!(row("刘洋")["open_leads"], 2);
    assert_eq!(row("刘洋")["skills"], "法律;方言");
    cli.ok(&["staff", "back", "周磊"]);

    // Closing a case needs a reason.
    let refused = cli.fails(
        &["case", "move", &case_id, "deceased", "--by", "刘洋"],
        None,
    );
    assert!(
        refused.contains("须说明原因") && refused.contains("needs a reason"),
        "{refused}"
    );
    cli.ok(&[
        "case",
        "move",
        &case_id,
        "deceased",
        "--note",
        "死亡证明，继承人待查",
        "--by",
        "刘洋",
    ]);
    let case = cli.json(&["case", "show", &case_id, "--format", "json"]);
    assert_eq!(case["case"]["state"], "deceased", "{case}");

    // The threshold rule: 1 of 2 agreeing is 50 %: enough "at least 50 %", not "more than".
    cli.ok(&["vote", "Q-001", "同意"]);
    cli.ok(&["base", "乔家路北块", "--round1-threshold", "0.5"]);
    let report = cli.json(&["report", "consultation", "--format", "json"]);
    assert_eq!(
        (report["threshold_rule"].clone(), report["needed"].clone()),
        ("at_least".into(), 0.into())
    );
    cli.ok(&["base", "乔家路北块", "--threshold-rule", "超过"]);
    let report = cli.json(&["report", "consultation", "--format", "json"]);
    assert_eq!(
        (report["threshold_rule"].clone(), report["needed"].clone()),
        ("more_than".into(), 1.into())
    );
    let unknown = cli.fails(&["base", "乔家路北块", "--threshold-rule", "about"], None);
    assert!(
        unknown.contains("门槛规则") && unknown.contains("threshold rule"),
        "{unknown}"
    );
}
