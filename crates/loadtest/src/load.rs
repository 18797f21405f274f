//! The load: signed-in staff, each with its own HTTP client (cookie store, keep-alive
//! connection), opening 我的线索 and recording an attempt on one of its leads, with think time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

/// What a request was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `GET /leads`, the 我的线索 HTML page.
    Leads,
    /// `POST /leads/{id}/attempt`, the lead page's form (answers 303).
    AttemptForm,
    /// `POST /api/v1/leads/{id}/attempts` with `X-CSRF-Token` (answers 201).
    AttemptApi,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Leads, Kind::AttemptForm, Kind::AttemptApi];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Leads => "GET /leads (HTML)",
            Kind::AttemptForm => "POST /leads/{id}/attempt (form)",
            Kind::AttemptApi => "POST /api/v1/leads/{id}/attempts",
        }
    }
}

/// How attempts are recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Via {
    /// The form and the API in turn.
    Both,
    Form,
    Api,
}

/// When each user stops.
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    /// Starts no request after this long from the start.
    After(Duration),
    /// After this many iterations (one GET /leads and one attempt each).
    Iterations(usize),
}

/// What to run.
pub struct Plan {
    pub base_url: String,
    /// Accounts, used in turn by the users.
    pub accounts: Vec<String>,
    pub password: String,
    pub users: usize,
    pub stop: Stop,
    /// Think time before each request: uniform in 0..=think_max.
    pub think_max: Duration,
    pub via: Via,
    pub seed: u64,
    /// Sign-ins at a time (each costs an argon2 verification on the server).
    pub sign_in_concurrency: usize,
}

/// One measured request.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub kind: Kind,
    pub micros: u64,
    pub ok: bool,
    /// When it started, in ms from the common start.
    pub at_ms: u64,
}

/// The first errors, as text.
pub const KEPT_ERRORS: usize = 8;

/// What the load measured.
pub struct Outcome {
    pub samples: Vec<Sample>,
    /// The first [`KEPT_ERRORS`] error messages.
    pub errors: Vec<String>,
    /// From the common start to the end of the last request.
    pub elapsed: Duration,
    /// Signing everyone in (not measured in the samples).
    pub sign_in: Duration,
}

struct ErrorLog(Mutex<Vec<String>>);

impl ErrorLog {
    fn add(&self, message: String) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() < KEPT_ERRORS {
            kept.push(message);
        }
    }
}

/// A user's HTTP client: its own cookie store and connection.
pub fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .context("building an HTTP client")
}

/// Signs in through the API; returns the session's CSRF token.
pub async fn sign_in(
    http: &reqwest::Client,
    base_url: &str,
    name: &str,
    password: &str,
) -> Result<String> {
    let response = http
        .post(format!("{base_url}/api/v1/session"))
        .json(&json!({"name": name, "password": password}))
        .send()
        .await
        .with_context(|| format!("signing in as {name}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .with_context(|| format!("reading the sign-in answer for {name}"))?;
    if !status.is_success() {
        bail!("signing in as {name}: HTTP {status}: {body}");
    }
    body["csrf_token"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no csrf_token in the sign-in answer for {name}: {body}"))
}

/// Signs `plan.users` users in, then runs them all from one common start.
pub async fn run(plan: Plan) -> Result<Outcome> {
    if plan.accounts.is_empty() {
        bail!("no account to sign in with");
    }
    let plan = Arc::new(plan);

    let started = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(plan.sign_in_concurrency.max(1)));
    let mut signing = tokio::task::JoinSet::new();
    for i in 0..plan.users {
        let plan = plan.clone();
        let gate = gate.clone();
        signing.spawn(async move {
            let _permit = gate.acquire_owned().await.context("the sign-in gate")?;
            let http = client()?;
            let name = &plan.accounts[i % plan.accounts.len()];
            let csrf = sign_in(&http, &plan.base_url, name, &plan.password).await?;
            Ok::<_, anyhow::Error>((i, http, csrf))
        });
    }
    let mut users = Vec::with_capacity(plan.users);
    while let Some(joined) = signing.join_next().await {
        users.push(joined.context("a sign-in task failed")??);
    }
    let sign_in = started.elapsed();
    eprintln!(
        "signed in {} users in {:.1} s; load running",
        plan.users,
        sign_in.as_secs_f64()
    );

    let errors = Arc::new(ErrorLog(Mutex::new(Vec::new())));
    let start = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for (i, http, csrf) in users {
        let plan = plan.clone();
        let errors = errors.clone();
        running.spawn(async move { user(i, http, csrf, &plan, start, &errors).await });
    }
    let mut samples = Vec::new();
    while let Some(joined) = running.join_next().await {
        samples.extend(joined.context("a user task failed")?);
    }
    let elapsed = start.elapsed();
    let errors = errors.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(Outcome {
        samples,
        errors,
        elapsed,
        sign_in,
    })
}

/// One user's loop.
async fn user(
    i: usize,
    http: reqwest::Client,
    csrf: String,
    plan: &Plan,
    start: Instant,
    errors: &ErrorLog,
) -> Vec<Sample> {
    let mut rng =
        fastrand::Rng::with_seed(plan.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let think_max = u64::try_from(plan.think_max.as_millis()).unwrap_or(u64::MAX);
    let think = move |rng: &mut fastrand::Rng| Duration::from_millis(rng.u64(0..=think_max));
    let mut form_next = match plan.via {
        Via::Both => rng.bool(),
        Via::Form => true,
        Via::Api => false,
    };
    let out_of_time = |iteration: usize| match plan.stop {
        Stop::After(d) => start.elapsed() >= d,
        Stop::Iterations(n) => iteration >= n,
    };
    let mut samples = Vec::new();
    let mut iteration = 0;
    loop {
        // Think before each request; the first one staggers the users' starts.
        tokio::time::sleep(think(&mut rng)).await;
        if out_of_time(iteration) {
            break;
        }
        let (sample, ids) = open_leads(&http, &plan.base_url, start).await;
        let leads_ok = match &ids {
            Ok(ids) if ids.is_empty() => {
                errors.add(format!(
                    "{}: user {i}: no open lead on the page",
                    Kind::Leads.label()
                ));
                false
            }
            Ok(_) => true,
            Err(e) => {
                errors.add(format!("{}: user {i}: {e}", Kind::Leads.label()));
                false
            }
        };
        samples.push(Sample {
            ok: sample.ok && leads_ok,
            ..sample
        });
        let Ok(ids) = ids else {
            iteration += 1;
            continue;
        };
        if ids.is_empty() {
            iteration += 1;
            continue;
        }
        let lead = ids[rng.usize(0..ids.len())];

        tokio::time::sleep(think(&mut rng)).await;
        if matches!(plan.stop, Stop::After(_)) && out_of_time(iteration) {
            break;
        }
        let kind = if form_next {
            Kind::AttemptForm
        } else {
            Kind::AttemptApi
        };
        if plan.via == Via::Both {
            form_next = !form_next;
        }
        let (sample, result) = attempt(&http, &plan.base_url, &csrf, lead, kind, start).await;
        if let Err(e) = result {
            errors.add(format!("{}: user {i}, lead {lead}: {e}", kind.label()));
        }
        samples.push(sample);
        iteration += 1;
    }
    samples
}

/// `GET /leads`: the sample and the lead ids on the page.
async fn open_leads(
    http: &reqwest::Client,
    base_url: &str,
    start: Instant,
) -> (Sample, Result<Vec<i32>, String>) {
    let started = Instant::now();
    let result = async {
        let response = http
            .get(format!("{base_url}/leads"))
            .send()
            .await
            .map_err(|e| error_chain(&e))?;
        let status = response.status();
        let location = location(&response);
        let body = response.text().await.map_err(|e| error_chain(&e))?;
        if status != reqwest::StatusCode::OK {
            return Err(format!("HTTP {status}{location}: {}", snippet(&body)));
        }
        Ok(lead_ids(&body))
    }
    .await;
    let sample = Sample {
        kind: Kind::Leads,
        micros: micros(started.elapsed()),
        ok: result.is_ok(),
        at_ms: millis(started.duration_since(start)),
    };
    (sample, result)
}

/// Records an attempt (phone, no trace: the lead stays open) on `lead`.
async fn attempt(
    http: &reqwest::Client,
    base_url: &str,
    csrf: &str,
    lead: i32,
    kind: Kind,
    start: Instant,
) -> (Sample, Result<(), String>) {
    let started = Instant::now();
    let result = async {
        let request = match kind {
            Kind::AttemptForm => http
                .post(format!("{base_url}/leads/{lead}/attempt"))
                .form(&[
                    ("csrf", csrf),
                    ("method", "phone"),
                    ("result", "no_trace"),
                    ("notes", "load test"),
                ]),
            _ => http
                .post(format!("{base_url}/api/v1/leads/{lead}/attempts"))
                .header("x-csrf-token", csrf)
                .json(&json!({"method": "phone", "result": "no_trace", "notes": "load test"})),
        };
        let response = request.send().await.map_err(|e| error_chain(&e))?;
        let status = response.status();
        let location = location(&response);
        let body = response.text().await.map_err(|e| error_chain(&e))?;
        let expected = match kind {
            Kind::AttemptForm => {
                status == reqwest::StatusCode::SEE_OTHER
                    && location.starts_with(&format!(" → /leads/{lead}"))
            }
            _ => status == reqwest::StatusCode::CREATED,
        };
        if expected {
            Ok(())
        } else {
            Err(format!("HTTP {status}{location}: {}", snippet(&body)))
        }
    }
    .await;
    let sample = Sample {
        kind,
        micros: micros(started.elapsed()),
        ok: result.is_ok(),
        at_ms: millis(started.duration_since(start)),
    };
    (sample, result)
}

/// One request of each kind by one user with nothing else running: for counting what a single
/// request costs on the server. Returns (kind, what `measure` said it cost).
pub async fn probe<T>(
    base_url: &str,
    account: &str,
    password: &str,
    mut measure: impl FnMut() -> T,
    cost: impl Fn(&T, &T) -> String,
) -> Result<Vec<(Kind, u64, String)>> {
    let http = client()?;
    let csrf = sign_in(&http, base_url, account, password).await?;
    let mut out = Vec::new();
    let start = Instant::now();
    let before = measure();
    let (sample, ids) = open_leads(&http, base_url, start).await;
    let after = measure();
    let ids = ids.map_err(|e| anyhow::anyhow!("probe GET /leads: {e}"))?;
    out.push((Kind::Leads, sample.micros, cost(&before, &after)));
    let lead = *ids.first().context("the probe account has no open lead")?;
    for kind in [Kind::AttemptForm, Kind::AttemptApi] {
        let before = measure();
        let (sample, result) = attempt(&http, base_url, &csrf, lead, kind, start).await;
        let after = measure();
        result.map_err(|e| anyhow::anyhow!("probe {}: {e}", kind.label()))?;
        out.push((kind, sample.micros, cost(&before, &after)));
    }
    Ok(out)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| format!(" → {v}"))
        .unwrap_or_default()
}

fn snippet(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(160).collect()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The lead ids of a 我的线索 page (`data-lead="…"`), in page order.
pub fn lead_ids(html: &str) -> Vec<i32> {
    const MARK: &str = "data-lead=\"";
    html.match_indices(MARK)
        .filter_map(|(at, _)| {
            let rest = &html[at + MARK.len()..];
            let end = rest.find('"')?;
            rest[..end].parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lead_ids_on_the_page() {
        let html = r#"<ul><li class="lead" data-lead="12"><a href="/leads/12"></a></li>
            <li class="lead overdue" data-lead="7"></li><li data-lead="x"></li></ul>"#;
        assert_eq!(lead_ids(html), vec![12, 7]);
        assert!(lead_ids("<p class=\"empty\">none</p>").is_empty());
    }
}
