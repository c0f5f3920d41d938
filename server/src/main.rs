use std::path::PathBuf;
use std::process::ExitCode;

// Ingest allocates and frees many small strings and JSON values per event;
// glibc's allocator spent about a sixth of the server's time on that.
// mimalloc v2 rather than the crate's default v3: same throughput, but v3
// held on to far more freed memory (a peak RSS about a third higher).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use telltale_server::config::settings;
use telltale_server::{Application, Config, admin, telemetry};

/// Telltale: a self-hosted monitor for batch jobs and their workers.
///
/// `telltale serve` (or `telltale` alone) starts the server. Its configuration
/// comes from the environment (MONITOR_HOST, MONITOR_PORT, MONITOR_DB_PATH,
/// MONITOR_DATABASE_URL, MONITOR_API_KEY, MONITOR_AUTH_*, …); docs/configuration.md
/// lists every variable. A bad value stops start-up with a message naming the
/// variable.
///
/// `backup`, `restore` and `migrate-to` copy the database (the same
/// MONITOR_DB_PATH / MONITOR_DATABASE_URL): exit 0 done, 1 refused or failed,
/// 2 not applicable to this configuration.
///
/// `run`, `send`, `heartbeat` and `flush` are the worker side: they report to
/// the server at TELLTALE_URL (default http://127.0.0.1:7410) with
/// TELLTALE_API_KEY, keeping undelivered events in TELLTALE_SPOOL_DIR.
#[derive(Parser)]
#[command(name = "telltale", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (what `telltale` alone does).
    #[command(after_help = settings::help_text())]
    Serve,
    /// Check the server's configuration without starting it.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Copy the live SQLite database to FILE, checked (safe while the server runs).
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace the SQLite database with FILE (a backup); the server must be stopped.
    Restore { file: PathBuf },
    /// Copy the SQLite database into an empty PostgreSQL database, verified per table.
    MigrateTo {
        /// postgres://user:password@host:port/database
        url: String,
    },
    #[command(flatten)]
    Worker(Box<telltale_client::cli::Command>),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Read every setting from the environment as `serve` would, and print
    /// the effective configuration with secrets masked. Exit 0 when it is
    /// good, 78 (EX_CONFIG) naming the first bad variable.
    Check,
}

/// sysexits.h: a configuration error.
const EX_CONFIG: u8 = 78;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::Config {
            command: ConfigCommand::Check,
        } => config_check(),
        Command::Backup { file, force } => admin::backup(&file, force),
        Command::Restore { file } => admin::restore(&file),
        Command::MigrateTo { url } => admin::migrate_to(&url),
        Command::Worker(command) => telltale_client::cli::main(*command),
    }
}

fn serve() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("telltale: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = telemetry::init(config.log_format) {
        eprintln!("telltale: configuration error: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("telltale: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        if config.exposed() && !config.auth.enabled {
            // Forge's list of what LAN exposure shows, for this server.
            tracing::warn!(
                host = %config.host,
                "listening beyond this machine with MONITOR_AUTH_ENABLED=false \
                 (MONITOR_ALLOW_INSECURE=true): anyone who can reach this port can read \
                 job and run data, source and output file paths, worker hostnames and ids, \
                 and failure messages, and can close alerts; traffic is unencrypted HTTP \
                 unless a TLS proxy is in front"
            );
        } else if config.exposed() {
            tracing::info!(
                host = %config.host,
                "listening beyond this machine; login required for everything but /v1/health \
                 (put a TLS reverse proxy in front and set MONITOR_PUBLIC_URL=https://…)"
            );
        }
        let app = match Application::build(config).await {
            Ok(app) => app,
            Err(e) => {
                tracing::error!(error = %e, "start-up failed");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!(
            addr = %app.local_addr(),
            version = env!("CARGO_PKG_VERSION"),
            "telltale listening on http://{}",
            app.local_addr()
        );
        match app.run_until_stopped(shutdown_signal()).await {
            Ok(()) => {
                tracing::info!("stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                tracing::error!(error = %e, "server failed");
                ExitCode::FAILURE
            }
        }
    })
}

fn config_check() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("telltale: configuration error: {e}");
            return ExitCode::from(EX_CONFIG);
        }
    };
    // One write, its error ignored: `telltale config check | head` must
    // not end in a panic about a closed pipe.
    let mut out = String::from("configuration is valid\n");
    out.push_str(&format!(
        "  listens on      http://{}\n",
        config.socket_addr()
    ));
    out.push_str(&format!(
        "  database        {}\n",
        config.describe_database()
    ));
    let login = if config.auth.enabled { "on" } else { "off" };
    out.push_str(&format!("  login           {login}\n"));
    out.push_str(&format!(
        "  alert email     {}\n\n",
        config.describe_email()
    ));
    let width = settings::SETTINGS
        .iter()
        .map(|s| s.var.len())
        .max()
        .unwrap_or(0);
    for (setting, value) in settings::effective(|name| std::env::var(name).ok()) {
        let shown = value.unwrap_or_else(|| format!("(default: {})", setting.default));
        out.push_str(&format!("{:width$}  {shown}\n", setting.var));
    }
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    ExitCode::SUCCESS
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (systemd, Docker, Kubernetes).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested: finishing in-flight requests");
}
