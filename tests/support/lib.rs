//! Support for xunren's integration tests: a fresh database per test on SQLite or PostgreSQL,
//! and a macro that runs one scenario on both.
//!
//! PostgreSQL is taken from `XUNREN_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`): each test creates its own database there and drops
//! it when it ends, so tests run in parallel and leave nothing behind. PostgreSQL being down is a
//! test failure, not a skip: both engines are first-class.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

pub mod browser;
pub mod web;

/// Which database engine a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The server a test's PostgreSQL database is created on.
pub fn postgres_admin_url() -> String {
    std::env::var("XUNREN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A fresh, migrated database and a scratch directory for files, both removed on drop.
pub struct TestDb {
    pub db: DatabaseConnection,
    pub url: String,
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    postgres_name: Option<String>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let (url, postgres_name) = match backend {
            Backend::Sqlite => {
                let file = dir.path().join("test.db");
                (format!("sqlite://{}?mode=rwc", file.display()), None)
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let name = format!(
                    "xunren_t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.subsec_nanos())
                        .unwrap_or(0)
                );
                let admin = Database::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} must be up: {e}"));
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(server, _)| server.to_string())
                    .unwrap_or(admin_url);
                (format!("{base}/{name}"), Some(name))
            }
        };
        let db = xunren_registry::connect(&url)
            .await
            .expect("connect and migrate the test database");
        TestDb {
            db,
            url,
            backend,
            dir,
            postgres_name,
        }
    }

    /// A path in the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `text` as a UTF-8 file in the scratch directory.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write a test file");
        path
    }

    /// Runs a `SELECT COUNT(*)` style query returning one integer.
    pub async fn count(&self, sql: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                sql.to_string(),
            ))
            .await
            .expect("count query")
            .expect("one row");
        row.try_get_by_index::<i64>(0).expect("an integer")
    }

    /// Row counts of every registry table: equal before and after a failed import.
    pub async fn snapshot(&self) -> Vec<(String, i64)> {
        let mut counts = Vec::new();
        for table in [
            "bases",
            "departments",
            "subdistricts",
            "committees",
            "certificates",
            "persons",
            "reference_sources",
            "reference_records",
            "import_batches",
            "import_warnings",
            "match_candidates",
            "match_runs",
            "match_index_chunks",
            "staff",
            "cases",
            "case_events",
            "leads",
            "attempts",
            "votes",
        ] {
            counts.push((
                table.to_string(),
                self.count(&format!("SELECT COUNT(*) FROM {table}")).await,
            ));
        }
        counts
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        let db = self.db.clone();
        // Drop runs inside the test's runtime: do the async clean-up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                db.close().await.ok();
                if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .ok();
                    admin.close().await.ok();
                }
            });
        })
        .join();
    }
}

/// Encodes `text` as GBK (GB18030), as Excel on Chinese Windows saves CSV.
pub fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable, "text must be encodable in GBK");
    bytes.into_owned()
}

/// Writes `rows` (first row = header) as the first sheet of an `.xlsx` workbook, every cell text.
pub fn write_xlsx(path: &Path, rows: &[&[&str]]) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(r as u32, c as u16, *cell)
                .expect("write a cell");
        }
    }
    workbook.save(path).expect("save the workbook");
}

/// Defines `mod $name { sqlite, postgres }`: the async scenario `$name(&TestDb)` run on both.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let t = $crate::TestDb::new($crate::Backend::Sqlite).await;
                    super::$name(&t).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let t = $crate::TestDb::new($crate::Backend::Postgres).await;
                    super::$name(&t).await;
                }
            }
        )+
    };
}

/// Completes 17 digits into an 18-digit resident ID with its ISO 7064 MOD 11-2 check digit.
pub fn id18(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).expect("17 digits") * w)
        .sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize] as char)
}

/// The same ID with a wrong check digit.
pub fn id18_wrong_check(first17: &str) -> String {
    let good = id18(first17);
    let wrong = if good.ends_with('0') { '1' } else { '0' };
    format!("{first17}{wrong}")
}

/// The roster of the workflow tests (乔家路北块): five lost persons — a household of two on
/// Q-001 (艾家弄居委会), 王建国 on Q-002 registered at the same old address as 陈芳 on Q-003
/// (龙潭居委会, 小南门街道), and 孙丽 on Q-005 in a subdistrict no staff member covers.
pub const TASKS_ROSTER: &str =
    "权证号,房屋坐落,房屋类型,征收所,街道,居委会,姓名,身份,联系电话,户籍地址,联系状态
Q-001,乔家路12弄3号,公房,征收一所,老西门街道,艾家弄居委会,张明,承租人,13812345678,乔家路12弄3号,失联
Q-001,乔家路12弄3号,公房,征收一所,老西门街道,艾家弄居委会,李秀英,同住人,,乔家路12弄3号,失联
Q-002,大夫坊5号,私房,征收一所,老西门街道,艾家弄居委会,王建国,产权人,63219876,复兴东路100弄2号,失联
Q-003,望云路8号,公房,征收一所,小南门街道,龙潭居委会,陈芳,承租人,,复兴东路100弄2号,失联
Q-004,望云路9号,公房,征收一所,小南门街道,龙潭居委会,赵强,承租人,,望云路9号,已联系
Q-005,西唐家弄1号,私房,征收一所,半淞园路街道,耀江居委会,孙丽,产权人,,西唐家弄1号,失联
D3-01,望云路20号,单位,征收三所,,,上海某某商店,单位,,,已联系
";

/// The staff of the workflow tests, in the `import staff` format.
pub const TASKS_STAFF: &str = "姓名,角色,小组,街道,居委会,技能,容量
周磊,居委干部,第一小组,老西门街道,艾家弄居委会,方言、调解,10
孟晓晔,联络员,第一小组,老西门街道,艾家弄居委会,法律;房产,5
刘洋,征收所工作人员,第二小组,小南门街道,,法律,2
陈组长,组长,第一小组,老西门街道,,调解,5
督导甲,督导,领导小组,老西门街道、小南门街道,,,5
";

/// Imports [`TASKS_ROSTER`] into base 乔家路北块 and returns the base id.
pub async fn import_tasks_roster(t: &TestDb) -> i32 {
    let path = t.write("tasks_roster.csv", TASKS_ROSTER);
    let options = xunren_registry::import::roster::RosterOptions {
        base: "乔家路北块".to_string(),
        sheet: None,
        dry_run: false,
    };
    xunren_registry::import::roster::import_roster(&t.db, &path, &options, &|_| {})
        .await
        .expect("the workflow roster imports");
    let row =
        t.db.query_one_raw(Statement::from_string(
            t.db.get_database_backend(),
            "SELECT id FROM bases WHERE name = '乔家路北块'".to_string(),
        ))
        .await
        .expect("base query")
        .expect("the base");
    row.try_get_by_index::<i32>(0).expect("an id")
}
