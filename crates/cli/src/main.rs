//! `leadguard`: the single binary. Serves the web UI and API, and administers the database.

mod dedup;
mod export;
mod import;
mod import_followups;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use leadguard_domain::clock::SystemClock;
use leadguard_domain::user::{Role, User};
use leadguard_service::demo::{DEMO_PASSWORD, DEMO_USERS};
use leadguard_service::{Config, NewUserRequest, Service, UserUpdate};
use leadguard_store::{DatabaseUrl, Store, StoreOptions};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "leadguard",
    version,
    about = "Leadguard: ends 撞单 — duplicate checks, first-come ownership, fair assignment"
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct DbArgs {
    /// sqlite://PATH (relative), sqlite:///absolute/path.db or postgres://user@host/db.
    #[arg(
        long,
        global = true,
        env = "LEADGUARD_DATABASE_URL",
        default_value = "sqlite://leadguard.db"
    )]
    database_url: String,
    /// Database connections (read pool for SQLite).
    #[arg(
        long,
        global = true,
        env = "LEADGUARD_DB_CONNECTIONS",
        default_value_t = 16
    )]
    db_connections: u32,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the HTTP API (migrations are applied on start).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Print the OpenAPI document of the HTTP API (no database needed).
    Openapi,
    /// Find duplicate groups in a CSV/XLSX file (no database needed), or in the database.
    Dedup(dedup::DedupArgs),
    /// Recycle customers nobody works back to the public pool, and warn owners of those due
    /// soon (what `serve` does on a schedule).
    Recycle(RecycleArgs),
    /// Import customers from CSV/XLSX, each row checked for duplicates; writes a result file
    /// (row,status,customer_id,matched_customer_id,owner,message).
    Import(import::ImportArgs),
    /// Import follow-up history (跟进记录) from CSV/XLSX onto customers already imported,
    /// found by legacy id, credit code, phone or name; writes a result file
    /// (row,status,customer_id,followup_id,message). Running it again creates nothing twice.
    ImportFollowups(import_followups::ImportFollowupsArgs),
    /// Export every customer to CSV or XLSX.
    Export(export::ExportArgs),
}

#[derive(Args)]
struct RecycleArgs {
    /// Show what would be recycled and warned about; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Pretend the clock reads this time (RFC 3339, e.g. 2026-12-24T09:00:00+08:00), to preview
    /// a later day's recycling.
    #[arg(long, value_parser = parse_time)]
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("`{s}` is not an RFC 3339 time like 2026-12-24T09:00:00+08:00: {e}"))
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LEADGUARD_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Add a demo team, users and customers (once) and print how to log in.
    #[arg(long)]
    demo: bool,
    /// Owner cap for users without one of their own.
    #[arg(long, env = "LEADGUARD_DEFAULT_CAP", default_value_t = leadguard_domain::ownership::DEFAULT_OWNER_CAP)]
    default_cap: u32,
    /// Hours a login stays valid.
    #[arg(long, env = "LEADGUARD_SESSION_HOURS", default_value_t = 12)]
    session_hours: u32,
    /// Match model (JSON from `leadguard dedup --save-model`) instead of the defaults.
    #[arg(long, env = "LEADGUARD_MODEL")]
    model: Option<std::path::PathBuf>,
    /// Probability at or above which an entry is a duplicate and is refused.
    #[arg(long, env = "LEADGUARD_DUPLICATE_THRESHOLD", default_value_t = 0.9)]
    duplicate_threshold: f64,
    /// Probability at or above which an entry is saved but flagged as a suspected duplicate.
    #[arg(long, env = "LEADGUARD_SUSPECTED_THRESHOLD", default_value_t = 0.3)]
    suspected_threshold: f64,
    /// Seconds between recycling runs (0: never; run `leadguard recycle` from cron instead).
    #[arg(long, env = "LEADGUARD_RECYCLE_INTERVAL", default_value_t = 600)]
    recycle_interval: u64,
    /// Seconds between polls of the webhook outbox (0: do not deliver webhooks from this
    /// process).
    #[arg(long, env = "LEADGUARD_WEBHOOK_POLL", default_value_t = 1)]
    webhook_poll: u64,
    /// Seconds between looks for import jobs queued on other servers or left by one that
    /// stopped (0: this process works no import jobs; other servers take its uploads).
    #[arg(long, env = "LEADGUARD_IMPORT_POLL", default_value_t = 5)]
    import_poll: u64,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Add {
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Team name; created if it does not exist yet.
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Most customers this user may own at once (default: the global cap).
        #[arg(long)]
        cap: Option<u32>,
        #[arg(long, env = "LEADGUARD_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Change a user.
    Set {
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        /// Team name; "" removes the user from their team.
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Owner cap; -1 restores the global default.
        #[arg(long, allow_negative_numbers = true)]
        cap: Option<i64>,
        #[arg(long)]
        active: Option<bool>,
        /// On leave: assignment rules skip the user.
        #[arg(long)]
        on_leave: Option<bool>,
        #[arg(long, hide_env_values = true)]
        password: Option<String>,
    },
    /// List users.
    List,
}

#[derive(Subcommand)]
enum TeamCommand {
    /// Create a team.
    Add { name: String },
    /// List teams.
    List,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role `{s}`: use rep, manager or admin"))
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    // Bulk commands would log every row; by default they log only what goes wrong.
    let default_filter = match cli.command {
        // A statement writing a thousand rows is slow by design: no slow-statement warnings.
        Command::Import(_) | Command::ImportFollowups(_) | Command::Export(_) => {
            "warn,sqlx::query=error"
        }
        _ => "info,sqlx=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    match &cli.command {
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&leadguard_server::openapi_document())?
            );
            return Ok(());
        }
        Command::Dedup(args) if args.input().is_some() => {
            let input = args.input().map(Path::to_path_buf).unwrap_or_default();
            return dedup::dedup_file(&input, args);
        }
        _ => {}
    }
    let url: DatabaseUrl = cli.db.database_url.parse().context("--database-url")?;
    let opts = StoreOptions {
        max_connections: cli.db.db_connections,
        ..Default::default()
    };
    let store = Store::open(&url, &opts)
        .await
        .with_context(|| format!("cannot open the database at {url}"))?;
    let handle = store.clone();
    let result = match cli.command {
        Command::Serve(args) => serve(store, &url, args).await,
        Command::Migrate => {
            println!("database at {url} is up to date");
            Ok(())
        }
        Command::User(cmd) => user_command(Service::with_defaults(store), cmd).await,
        Command::Team(cmd) => team_command(Service::with_defaults(store), cmd).await,
        Command::Dedup(args) => dedup::dedup_database(&Service::with_defaults(store), &args).await,
        Command::Recycle(args) => recycle(store, args).await,
        Command::Import(args) => import::import(&Service::with_defaults(store), &args).await,
        Command::ImportFollowups(args) => {
            import_followups::import_followups(&Service::with_defaults(store), &args).await
        }
        Command::Export(args) => export::export(&Service::with_defaults(store), &args).await,
        Command::Openapi => Ok(()),
    };
    handle.close().await;
    result
}

async fn serve(store: Store, url: &DatabaseUrl, args: ServeArgs) -> Result<()> {
    let config = Config {
        default_owner_cap: args.default_cap,
        session_ttl: chrono::Duration::hours(i64::from(args.session_hours.max(1))),
        ..Default::default()
    };
    let thresholds = leadguard_matching::Thresholds {
        duplicate: args.duplicate_threshold,
        suspected: args.suspected_threshold,
    };
    thresholds
        .validate()
        .map_err(|e| anyhow::anyhow!("--duplicate-threshold/--suspected-threshold: {e}"))?;
    let model = match &args.model {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let model: leadguard_matching::Model = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a model file", path.display()))?;
            model
                .validate()
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            model
        }
        None => leadguard_matching::Model::default(),
    };
    let service = Service::new(
        store,
        Arc::new(leadguard_matching::WeightedMatcher::new(model, thresholds)),
        Arc::new(SystemClock),
        config,
    );
    service
        .reindex()
        .await
        .context("rebuilding match profiles")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    if args.demo {
        let loaded = service.load_demo().await.context("loading the demo data")?;
        print_demo_logins(loaded, addr);
    }
    println!(
        "Leadguard is serving http://{addr}/ (API: http://{addr}/api/v1, OpenAPI: http://{addr}/api/openapi.json)"
    );
    println!("database: {url}");
    tracing::info!(%addr, "listening");
    let every = |secs: u64| (secs > 0).then(|| std::time::Duration::from_secs(secs));
    let background = leadguard_server::Background {
        recycle_every: every(args.recycle_interval),
        deliver_every: every(args.webhook_poll),
        import_every: every(args.import_poll),
    };
    leadguard_server::serve(listener, service, background, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn recycle(store: Store, args: RecycleArgs) -> Result<()> {
    let clock: Arc<dyn leadguard_domain::clock::Clock> = match args.now {
        Some(t) => Arc::new(leadguard_domain::clock::ManualClock::new(t)),
        None => Arc::new(SystemClock),
    };
    let service = Service::new(
        store,
        Arc::new(leadguard_matching::WeightedMatcher::default()),
        clock,
        Config::default(),
    );
    let report = service.recycle(args.dry_run).await.map_err(service_error)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let verb = if args.dry_run { "would be" } else { "were" };
    let now = report.now.map(|t| t.to_rfc3339()).unwrap_or_default();
    println!(
        "{} customers {verb} recycled and {} owners {verb} warned (as of {now})",
        report.recycled.len(),
        report.warned.len()
    );
    for (what, items) in [("recycled", &report.recycled), ("warned", &report.warned)] {
        for i in items {
            let due = i.due.map(|d| d.to_rfc3339()).unwrap_or_default();
            println!(
                "{what}\t{}\t{}\towner={}\t{}\tdue={due}",
                i.customer_id, i.name, i.owner, i.rule
            );
        }
    }
    Ok(())
}

fn print_demo_logins(loaded: bool, addr: SocketAddr) {
    if loaded {
        println!("Demo data loaded.");
    } else {
        println!("Demo data already present.");
    }
    println!("Log in as any of these users, password `{DEMO_PASSWORD}`:");
    for (username, display, role, team) in DEMO_USERS {
        println!(
            "  {username:<10} {display:<6} {:<8} {}",
            role.as_str(),
            team.unwrap_or("-")
        );
    }
    println!(
        "  e.g. curl -s -X POST http://{addr}/api/v1/auth/login -H 'Content-Type: application/json' -d '{{\"username\":\"zhangsan\",\"password\":\"{DEMO_PASSWORD}\"}}'"
    );
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

fn print_user(u: &User) {
    let cap = u
        .owner_cap
        .map(|c| c.to_string())
        .unwrap_or_else(|| "default".into());
    println!(
        "{}\t{}\t{}\t{}\tcap={}\t{}",
        u.username,
        u.display_name,
        u.role,
        u.team.as_deref().unwrap_or("-"),
        cap,
        if u.active { "active" } else { "inactive" }
    );
}

async fn user_command(service: Service, cmd: UserCommand) -> Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            role,
            team,
            display_name,
            cap,
            password,
        } => {
            let user = service
                .create_user(
                    None,
                    NewUserRequest {
                        username,
                        password,
                        role,
                        display_name,
                        team,
                        owner_cap: cap,
                    },
                    true,
                )
                .await
                .map_err(service_error)?;
            print!("created ");
            print_user(&user);
        }
        UserCommand::Set {
            username,
            role,
            team,
            display_name,
            cap,
            active,
            on_leave,
            password,
        } => {
            let user = service
                .update_user(
                    None,
                    &username,
                    UserUpdate {
                        display_name,
                        role,
                        team,
                        owner_cap: cap,
                        active,
                        on_leave,
                        password,
                    },
                )
                .await
                .map_err(service_error)?;
            print!("updated ");
            print_user(&user);
        }
        UserCommand::List => {
            let mut conn = service.store().read().await?;
            for u in conn.exec().list_users(None).await? {
                print_user(&u);
            }
        }
    }
    Ok(())
}

async fn team_command(service: Service, cmd: TeamCommand) -> Result<()> {
    match cmd {
        TeamCommand::Add { name } => {
            let team = service
                .create_team(None, &name)
                .await
                .map_err(service_error)?;
            println!("created team {}", team.name);
        }
        TeamCommand::List => {
            for t in service.list_teams().await.map_err(service_error)? {
                println!("{}", t.name);
            }
        }
    }
    Ok(())
}

/// Field errors read better one per line, naming the option.
fn service_error(e: leadguard_service::ServiceError) -> anyhow::Error {
    match e {
        leadguard_service::ServiceError::Invalid(fields) => {
            let lines: Vec<String> = fields
                .iter()
                .map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.message))
                .collect();
            anyhow::anyhow!(lines.join("\n"))
        }
        e => anyhow::anyhow!(e),
    }
}
