//! The CPU Lambda gives a function: a share of one vCPU in proportion to its memory (1,769 MB is
//! one vCPU, AWS's "Configure Lambda function memory"), enforced as a CFS quota. A process
//! started through [`CpuShare::spawn`] runs in a cgroup of its own, so a cold start's CPU work
//! (set-up, signing, parsing) weighs as it does in Lambda and not as on a whole core of this
//! machine, while the emulator and the proxies, outside the group, keep theirs. Whether Lambda
//! holds init to the share too is not documented (init has been seen to run faster than the
//! handler), so the quota may be switched on at the first invocation instead ([`CpuShare::limit`]).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use cli::Error;

/// Memory that buys one vCPU in Lambda.
const MB_PER_VCPU: u64 = 1_769;
/// The quota's period. Lambda's throttling has been observed to act on 20 ms periods (a
/// function over its share in the first 20 ms waits for the next one), not the kernel's 100 ms.
const PERIOD_US: u64 = 20_000;

/// A cgroup of its own with the CPU quota of a Lambda function of `memory_mb`; removed on drop.
/// One process at a time runs in it.
#[derive(Debug)]
pub struct CpuShare {
    quota: Quota,
    pub memory_mb: u64,
}

/// The group's quota, which the Runtime API may switch on from its own task.
#[derive(Debug, Clone)]
struct Quota {
    dir: PathBuf,
    v2: bool,
    us: u64,
}

impl CpuShare {
    /// Creates the group under cgroup v2 (`cpu.max`) or v1 (`cpu.cfs_quota_us`), whichever this
    /// machine mounts, its quota on; an error if neither can be written (it needs root).
    pub fn of_memory(memory_mb: u64) -> Result<Self, Error> {
        let name = format!("coldstart-{}-{}", std::process::id(), memory_mb);
        let root = Path::new("/sys/fs/cgroup");
        let v2 = root.join("cgroup.controllers").exists();
        let dir = if v2 {
            root.join(&name)
        } else {
            root.join("cpu").join(&name)
        };
        std::fs::create_dir(&dir).map_err(|e| {
            format!(
                "COLDSTART_CPU_MB needs a cgroup of its own ({}): {e}",
                dir.display()
            )
        })?;
        let share = Self {
            quota: Quota {
                dir,
                v2,
                us: quota_us(memory_mb),
            },
            memory_mb,
        };
        if !v2 {
            share
                .quota
                .write("cpu.cfs_period_us", &PERIOD_US.to_string())?;
        }
        share.limit(true)?;
        Ok(share)
    }

    /// The quota, in µs every 20 ms.
    pub fn quota_us(&self) -> u64 {
        self.quota.us
    }

    /// Turns the quota on, or off (a whole core while the process initialises). A write of the
    /// quota takes a fraction of a millisecond; moving a process between groups can take tens
    /// (the kernel waits for an RCU grace period), which is why a process joins before its timing
    /// starts and stays.
    pub fn limit(&self, on: bool) -> Result<(), Error> {
        self.quota.limit(on)
    }

    /// The quota switched on, as a closure the Runtime API can run at the first `next`.
    pub fn limiter(&self) -> impl FnOnce() + Send + 'static {
        let quota = self.quota.clone();
        move || {
            if let Err(e) = quota.limit(true) {
                eprintln!("coldstart: the CPU quota stayed off: {e}");
            }
        }
    }

    /// Starts `binary` (with what `configure` sets: environment, kill on drop) inside the group:
    /// a shell joins it, says so, and on our word replaces itself with the binary. Returns the
    /// child and the instant of that word, from which the start is timed: the join's cost stays
    /// outside, and nothing of the binary runs outside the group.
    pub async fn spawn(
        &self,
        binary: &Path,
        configure: impl FnOnce(&mut Command),
    ) -> Result<(Child, Instant), Error> {
        let procs = self.quota.dir.join("cgroup.procs");
        let mut command = Command::new("/bin/sh");
        configure(&mut command);
        command
            .arg("-c")
            .arg(r#"echo 0 > "$1" && echo joined && read -r go && exec "$2" > /dev/null 2>&1"#)
            .arg("sh")
            .arg(procs)
            .arg(binary)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = command.spawn()?;
        let mut said = String::new();
        BufReader::new(child.stdout.take().ok_or("the shell has no stdout")?)
            .read_line(&mut said)
            .await?;
        if said.trim() != "joined" {
            return Err(format!(
                "the shell did not join {}: {said:?}",
                self.quota.dir.display()
            )
            .into());
        }
        let mut stdin = child.stdin.take().ok_or("the shell has no stdin")?;
        let started = Instant::now();
        stdin.write_all(b"go\n").await?;
        Ok((child, started))
    }
}

impl Quota {
    fn limit(&self, on: bool) -> Result<(), Error> {
        match (self.v2, on) {
            (true, true) => self.write("cpu.max", &format!("{} {PERIOD_US}", self.us)),
            (true, false) => self.write("cpu.max", &format!("max {PERIOD_US}")),
            (false, true) => self.write("cpu.cfs_quota_us", &self.us.to_string()),
            (false, false) => self.write("cpu.cfs_quota_us", "-1"),
        }
    }

    fn write(&self, file: &str, value: &str) -> Result<(), Error> {
        let path = self.dir.join(file);
        std::fs::write(&path, value).map_err(|e| format!("{}: {e}", path.display()).into())
    }
}

impl Drop for CpuShare {
    fn drop(&mut self) {
        // Empty by now: every started process is killed at the end of its start.
        let _ = std::fs::remove_dir(&self.quota.dir);
    }
}

/// The CPU time the live threads of process `pid` have used (the kernel's schedstat): what a
/// cold start spends of the share Lambda gives it.
pub fn used_by(pid: u32) -> Option<Duration> {
    let mut total = 0u64;
    for thread in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let stat = std::fs::read_to_string(thread.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// The quota per period of a function of `memory_mb`, at least the kernel's 1 ms minimum.
fn quota_us(memory_mb: u64) -> u64 {
    (PERIOD_US * memory_mb).div_ceil(MB_PER_VCPU).max(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_of_256_mb_gets_a_seventh_of_a_cpu_and_one_of_1769_mb_a_whole_one() {
        assert_eq!(quota_us(256), 2_895);
        assert_eq!(quota_us(MB_PER_VCPU), PERIOD_US);
        assert_eq!(quota_us(3_538), 2 * PERIOD_US);
    }

    #[test]
    fn this_process_has_used_some_cpu_and_a_process_that_does_not_exist_none() {
        let used = used_by(std::process::id()).unwrap();
        assert!(used > Duration::ZERO);
        assert_eq!(used_by(u32::MAX), None);
    }

    #[test]
    fn a_tiny_function_still_gets_the_kernels_minimum_quota() {
        assert_eq!(quota_us(64), 1_000);
    }
}
