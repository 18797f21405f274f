//! The real app on a random port against a fresh database ([`TestApp`]), filled with a small
//! demo base (xunren-demo), with one account per role, and an HTTP client that signs in
//! ([`Client`]).

use std::net::SocketAddr;

use serde_json::Value;
use xunren_web::account::{NewUser, Role, add_user};

use crate::TestDb;

/// The password of every test account.
pub const PASSWORD: &str = "test-password-1";

/// The accounts of a [`TestApp`]: names of users.
pub struct Accounts {
    pub admin: &'static str,
    pub supervisor: &'static str,
    /// Leader of `team`.
    pub leader: &'static str,
    /// A staff member of `team` with open leads.
    pub staff: &'static str,
    /// A staff member of another team with open leads.
    pub other_staff: &'static str,
    pub team: String,
    pub staff_name: String,
    pub other_staff_name: String,
}

/// The app serving a fresh, demo-filled database.
pub struct TestApp {
    pub base_url: String,
    pub accounts: Accounts,
    pub data: xunren_demo::DemoData,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// Prepares a 200-certificate demo base in `t`, creates the accounts and serves the app
    /// on 127.0.0.1 at a free port.
    pub async fn spawn(t: &TestDb) -> TestApp {
        Self::spawn_with(t, xunren_web::Config::default()).await
    }

    /// As [`TestApp::spawn`], with `config`.
    pub async fn spawn_with(t: &TestDb, mut config: xunren_web::Config) -> TestApp {
        let work = t.path("demo");
        std::fs::create_dir_all(&work).expect("a work directory");
        let gen_config = xunren_synth::GenConfig {
            certificates: 200,
            reference_records: 2000,
            staff: 24,
            ..Default::default()
        };
        let data = xunren_demo::prepare(&t.db, &work, &gen_config, false)
            .await
            .expect("prepare the demo base");
        let accounts = create_accounts(t, &data).await;
        config.upload_dir = t.path("uploads");
        std::fs::create_dir_all(&config.upload_dir).expect("an upload directory");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let addr: SocketAddr = listener.local_addr().expect("its address");
        let state = xunren_web::AppState::new(t.db.clone(), config);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = xunren_web::serve(listener, state, async {
                let _ = rx.await;
            })
            .await;
        });
        TestApp {
            base_url: format!("http://{addr}"),
            accounts,
            data,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A client that is not signed in.
    pub fn anonymous(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            base_url: self.base_url.clone(),
            csrf: String::new(),
        }
    }

    /// A client signed in (through the API) as `user`.
    pub async fn sign_in(&self, user: &str) -> Client {
        let mut client = self.anonymous();
        let response = client
            .http
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({"name": user, "password": PASSWORD}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 200, "sign in as {user}");
        let body: Value = response.json().await.expect("session JSON");
        client.csrf = body["csrf_token"]
            .as_str()
            .expect("a CSRF token")
            .to_string();
        client
    }

    /// Stops the server (requests in flight finish).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

async fn create_accounts(t: &TestDb, data: &xunren_demo::DemoData) -> Accounts {
    let by_role = |role: &str| {
        data.staff
            .iter()
            .filter(|(_, r, _)| r == role)
            .cloned()
            .collect::<Vec<_>>()
    };
    let workers: Vec<_> = data
        .staff
        .iter()
        .filter(|(_, r, _)| !matches!(r.as_str(), "leader" | "supervisor"))
        .cloned()
        .collect();
    let led: Vec<Option<String>> = by_role("leader").into_iter().map(|(_, _, t)| t).collect();
    let (staff_name, _, team) = workers
        .iter()
        .find(|(_, _, t)| t.is_some() && led.contains(t))
        .cloned()
        .expect("a staff member with leads in a team with a leader");
    let team = team.expect("a team");
    let (other_staff_name, _, _) = workers
        .iter()
        .find(|(_, _, t)| t.as_deref() != Some(team.as_str()))
        .cloned()
        .expect("a staff member of another team");
    let (leader_name, _, _) = by_role("leader")
        .into_iter()
        .find(|(_, _, t)| t.as_deref() == Some(team.as_str()))
        .expect("the team's leader");
    let users = [
        ("admin", Role::Admin, None),
        ("supervisor", Role::Supervisor, None),
        ("leader", Role::Leader, Some(leader_name)),
        ("staff", Role::Staff, Some(staff_name.clone())),
        ("other", Role::Staff, Some(other_staff_name.clone())),
    ];
    for (name, role, staff) in users {
        add_user(
            &t.db,
            &NewUser {
                name: name.to_string(),
                role,
                password: PASSWORD.to_string(),
                staff,
                base: None,
            },
        )
        .await
        .expect("create a test account");
    }
    Accounts {
        admin: "admin",
        supervisor: "supervisor",
        leader: "leader",
        staff: "staff",
        other_staff: "other",
        team,
        staff_name,
        other_staff_name,
    }
}

/// An HTTP client of the app, with its cookies and CSRF token.
pub struct Client {
    pub http: reqwest::Client,
    pub base_url: String,
    pub csrf: String,
}

impl Client {
    /// `GET path`: status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    /// `GET path` as JSON.
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.get(path).await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// `POST path` with a JSON body and the CSRF header.
    pub async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `POST path` with a form (fields as given: add `csrf` yourself).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .form(form)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }
}
