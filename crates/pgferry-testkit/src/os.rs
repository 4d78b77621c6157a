//! Operating-system plumbing: the unprivileged server user, temp dirs, free ports, child processes, logs.

use std::ffi::{CString, OsStr};
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::error::{Result, TestkitError};

/// The OS user that servers run as when the tests run as root (PostgreSQL refuses to run as root).
pub(crate) const SERVER_USER_NAME: &str = "pgferry";

/// Prefix of every temp dir the kit creates; the stale-dir sweep only looks at these.
const TEMP_PREFIX: &str = "pgferry-tk-";
/// File in each temp dir holding the pid of the process that owns it.
const OWNER_FILE: &str = "owner.pid";
/// File in each temp dir holding the pid of the server process started in it.
const SERVER_PID_FILE: &str = "server.pid";

pub(crate) fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

pub(crate) fn is_executable(p: &Path) -> bool {
    fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The unprivileged user servers run as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerUser {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

fn lookup_user(name: &str) -> Option<ServerUser> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: passwd is plain old data; getpwnam_r fills it.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the duration of the call and buf.len() is its real size.
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() {
        return None;
    }
    Some(ServerUser {
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
    })
}

fn create_server_user() -> std::result::Result<ServerUser, String> {
    let shell = if Path::new("/usr/sbin/nologin").exists() {
        "/usr/sbin/nologin"
    } else {
        "/bin/false"
    };
    let out = std::process::Command::new("useradd")
        .args([
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
        ])
        .args(["--shell", shell, SERVER_USER_NAME])
        .output();
    // Another test process may have created it meanwhile: look again whatever useradd said.
    if let Some(u) = lookup_user(SERVER_USER_NAME) {
        return Ok(u);
    }
    match out {
        Ok(o) => Err(format!(
            "it does not exist and `useradd` failed ({}): {}; run scripts/provision-postgres as root",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!(
            "it does not exist and `useradd` could not run ({e}); install the `passwd` package or run \
             scripts/provision-postgres as root"
        )),
    }
}

/// `None` when not root (servers run as the current user), else the `pgferry` user, created if missing.
pub(crate) fn server_user() -> Result<Option<ServerUser>> {
    static USER: OnceLock<std::result::Result<Option<ServerUser>, String>> = OnceLock::new();
    USER.get_or_init(|| {
        if !is_root() {
            return Ok(None);
        }
        match lookup_user(SERVER_USER_NAME) {
            Some(u) => Ok(Some(u)),
            None => create_server_user().map(Some),
        }
    })
    .clone()
    .map_err(|message| TestkitError::ServerUser {
        user: SERVER_USER_NAME.to_string(),
        message,
    })
}

/// Give `path` to the server user (no-op when not root).
pub(crate) fn chown_to_server(path: &Path, user: Option<ServerUser>) -> Result<()> {
    if let Some(u) = user {
        std::os::unix::fs::chown(path, Some(u.uid), Some(u.gid)).map_err(|e| {
            TestkitError::io(format!("chown {} to {SERVER_USER_NAME}", path.display()), e)
        })?;
    }
    Ok(())
}

/// Write `contents` to `path` with `mode`, owned by the server user.
pub(crate) fn write_server_file(
    path: &Path,
    contents: &[u8],
    mode: u32,
    user: Option<ServerUser>,
) -> Result<()> {
    fs::write(path, contents)
        .map_err(|e| TestkitError::io(format!("writing {}", path.display()), e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| TestkitError::io(format!("chmod {}", path.display()), e))?;
    chown_to_server(path, user)
}

/// Configure a command to run as the server user in `dir`, with a predictable environment.
pub(crate) fn prepare_command(
    cmd: &mut std::process::Command,
    user: Option<ServerUser>,
    dir: &Path,
) {
    use std::os::unix::process::CommandExt;
    if let Some(u) = user {
        // std drops supplementary groups when it switches uid as root.
        cmd.uid(u.uid).gid(u.gid);
    }
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .env_remove("LANG")
        .env_remove("PGDATA")
        .env_remove("PGPORT")
        .env_remove("PGHOST")
        .env_remove("LISTEN_FDS")
        .env_remove("LISTEN_PID")
        .env_remove("NOTIFY_SOCKET")
        .stdin(std::process::Stdio::null());
}

/// A temp dir owned by the server user, removed on drop. It records the owning process so that a later run can
/// clean up after a test process that was killed before it could.
#[derive(Debug)]
pub(crate) struct TempArea {
    dir: tempfile::TempDir,
}

impl TempArea {
    pub(crate) fn new(label: &str, user: Option<ServerUser>) -> Result<TempArea> {
        let base = temp_base();
        sweep_stale_once(&base);
        fs::create_dir_all(&base)
            .map_err(|e| TestkitError::io(format!("creating {}", base.display()), e))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{label}-"))
            .tempdir_in(&base)
            .map_err(|e| {
                TestkitError::io(format!("creating a temp dir in {}", base.display()), e)
            })?;
        let owner = dir.path().join(OWNER_FILE);
        fs::write(&owner, std::process::id().to_string())
            .map_err(|e| TestkitError::io(format!("writing {}", owner.display()), e))?;
        chown_to_server(dir.path(), user)?;
        Ok(TempArea { dir })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn record_server_pid(&self, pid: u32) {
        // Best effort: only used by the sweep.
        let _ = fs::write(self.dir.path().join(SERVER_PID_FILE), pid.to_string());
    }
}

/// Where temp dirs go: `$PGFERRY_TEST_TMP` or the system temp dir.
pub(crate) fn temp_base() -> PathBuf {
    std::env::var_os("PGFERRY_TEST_TMP")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn read_pid(path: &Path) -> Option<i32> {
    fs::read_to_string(path)
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Once per process: remove kit temp dirs whose owning process is gone, stopping any server left running in
/// them (a test binary killed by a timeout cannot run its destructors).
fn sweep_stale_once(base: &Path) {
    static SWEPT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    {
        let mut swept = SWEPT.lock().unwrap_or_else(|p| p.into_inner());
        if swept.iter().any(|b| b == base) {
            return;
        }
        swept.push(base.to_path_buf());
    }
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.as_bytes().starts_with(TEMP_PREFIX.as_bytes()) {
            continue;
        }
        let dir = entry.path();
        let Some(owner) = read_pid(&dir.join(OWNER_FILE)) else {
            continue;
        };
        if pid_alive(owner) {
            continue;
        }
        if let Some(server) = read_pid(&dir.join(SERVER_PID_FILE)) {
            let cmdline = fs::read(format!("/proc/{server}/cmdline")).unwrap_or_default();
            let is_ours = |exe: &str| {
                cmdline.split(|b| *b == 0).next().is_some_and(|argv0| {
                    OsStr::from_bytes(argv0)
                        .as_bytes()
                        .ends_with(exe.as_bytes())
                })
            };
            // Only signal the process if it still is the server we started (pids get reused).
            let signal = if is_ours("postgres") {
                Some(libc::SIGQUIT) // immediate shutdown: the postmaster takes its backends down too
            } else if is_ours("pgbouncer") {
                Some(libc::SIGKILL)
            } else {
                None
            };
            if let Some(sig) = signal {
                tracing::warn!(dir = %dir.display(), pid = server, "stopping a server left behind by a dead test process");
                // SAFETY: plain kill(2) on a pid we checked.
                unsafe { libc::kill(server, sig) };
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

/// A free TCP port on 127.0.0.1: bind port 0, read the port the kernel chose, close. Another process can take
/// it before our server binds it; callers retry on "address in use".
pub(crate) fn free_port() -> Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| TestkitError::io("binding 127.0.0.1:0 to find a free port", e))?;
    let port = l
        .local_addr()
        .map_err(|e| TestkitError::io("reading the address of a bound socket", e))?
        .port();
    Ok(port)
}

/// The last `lines` lines of a log file (at most 64 KiB are read), or a note saying why there are none.
pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    const MAX: u64 = 64 * 1024;
    let mut f = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return format!("(could not read {}: {e})", path.display()),
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX {
        let _ = f.seek(SeekFrom::Start(len - MAX));
    }
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    let tail = all[start..].join("\n");
    if tail.trim().is_empty() {
        "(log is empty)".to_string()
    } else {
        tail
    }
}

/// A long-running server process that is stopped when dropped.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    child: Option<Child>,
    /// Signal for a clean, quick shutdown.
    stop_signal: libc::c_int,
}

impl ServerProcess {
    pub(crate) fn new(child: Child, stop_signal: libc::c_int) -> ServerProcess {
        ServerProcess {
            child: Some(child),
            stop_signal,
        }
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The exit status if the process has already exited.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Send the stop signal, wait up to `grace`, then SIGKILL and reap. Idempotent.
    pub(crate) fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own un-reaped child, so the pid cannot have been reused.
        unsafe { libc::kill(pid, self.stop_signal) };
        let deadline = Instant::now() + grace;
        let mut pause = Duration::from_millis(2);
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
        tracing::warn!(pid, "server did not stop within {grace:?}; killing it");
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(30));
    }
}

/// Run a short helper program to completion (on a blocking thread) and fail with its output if it fails.
pub(crate) async fn run_to_completion(mut cmd: std::process::Command, what: String) -> Result<()> {
    let what2 = what.clone();
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .map_err(|e| TestkitError::io(format!("running {what2}"), std::io::Error::other(e)))?
        .map_err(|e| TestkitError::io(format!("starting {what}"), e))?;
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    let lines: Vec<&str> = output.lines().collect();
    let output = lines[lines.len().saturating_sub(40)..].join("\n");
    Err(TestkitError::CommandFailed {
        program: what,
        status: out.status.to_string(),
        output,
    })
}

/// Quote a value for postgresql.conf / pgbouncer.ini style single-quoted strings.
pub(crate) fn conf_quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(conf_quote("a'b\\c"), "'a''b\\\\c'");
    }

    #[test]
    fn tail_of_missing_log() {
        assert!(log_tail(Path::new("/nonexistent/log"), 5).contains("could not read"));
    }

    #[test]
    fn tail_keeps_last_lines() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("l");
        fs::write(&p, "1\n2\n3\n4\n").unwrap();
        assert_eq!(log_tail(&p, 2), "3\n4");
    }

    #[test]
    fn free_ports_are_nonzero() {
        assert_ne!(free_port().unwrap(), 0);
    }
}
