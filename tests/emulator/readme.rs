//! The README's walk-throughs, run as a newcomer runs them: every ```` ```sh ```` block of
//! README.md, in order, against a fresh local stack (the one `make dev` starts, with a table,
//! queues and bus of its own), each command through `bash` from the repository's root.
//!
//! What a command prints is checked against the `#>` lines under it: each such line must match a
//! line of its standard output, in any order, where `...` stands for any text (ids, times,
//! fields left out). Other `#` lines are comments. A command that only reads (no credentials sent,
//! no make target that writes) is run again until its output matches, for minutes at most: what
//! it shows may come a moment later (an event, an acknowledgement, the changes feed's settle
//! window). A command that never ends by itself (`make events` follows the queue) is stopped
//! once its lines are there. `VAR=$(...)` sets `$VAR` for the commands after it, as a shell would.
//! `127.0.0.1:3000` in a command is the stack's address (`DEV_ADDR` for the make targets).
//!
//! Code blocks that are not meant to be run here are marked otherwise (`text`, `json`).

use crate::support::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::time::Instant;

const README: &str = include_str!("../../README.md");

/// How long a read may take to show what the README says: generous, for a busy 2-core machine
/// where one emulator serves every test at once.
const READ_DEADLINE: Duration = Duration::from_secs(240);
/// How long any one run of a command may take (a make target may have to build partnerctl).
const RUN_LIMIT: Duration = Duration::from_secs(600);

/// One command of a walk-through and what the README shows it printing.
#[derive(Debug, PartialEq)]
struct Step {
    /// The README's line number of its first line.
    line: usize,
    command: String,
    expected: Vec<String>,
}

/// The commands of every `sh` block, in order.
fn steps(readme: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut in_block = false;
    let mut continues = false;
    for (index, line) in readme.lines().enumerate() {
        if !in_block {
            in_block = line == "```sh";
            continue;
        }
        if line.starts_with("```") {
            in_block = false;
            continue;
        }
        let trimmed = line.trim();
        if let Some(expected) = trimmed.strip_prefix("#>") {
            let step = steps.last_mut().expect("a #> line follows a command");
            step.expected
                .push(expected.strip_prefix(' ').unwrap_or(expected).to_owned());
        } else if continues {
            let step = steps.last_mut().expect("a continued command");
            step.command.push('\n');
            step.command.push_str(line);
        } else if !trimmed.is_empty() && !trimmed.starts_with('#') {
            steps.push(Step {
                line: index + 1,
                command: line.to_owned(),
                expected: Vec::new(),
            });
        } else {
            continue;
        }
        let code = line.split(" #").next().unwrap_or_default().trim_end();
        continues = !trimmed.starts_with("#>") && (code.ends_with('\\') || code.ends_with('|'));
    }
    steps
}

/// `line` as `pattern` shows it: `...` stands for any text.
fn matches(pattern: &str, line: &str) -> bool {
    let pieces: Vec<&str> = pattern.split("...").collect();
    let (first, rest) = pieces
        .split_first()
        .expect("split gives one piece at least");
    let Some(mut remaining) = line.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for piece in middle {
        match remaining.find(piece) {
            Some(at) => remaining = &remaining[at + piece.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

/// Whether each expected line matches a line of `output` of its own, in any order.
fn shows(expected: &[String], output: &[String]) -> bool {
    let mut used = vec![false; output.len()];
    expected.iter().all(|pattern| {
        let found = output
            .iter()
            .enumerate()
            .find(|(index, line)| !used[*index] && matches(pattern, line));
        found.map(|(index, _)| used[index] = true).is_some()
    })
}

/// A variable the command sets for the ones after it (`NEXT=$(...)`).
fn assigned(command: &str) -> Option<&str> {
    let (name, _) = command.split_once('=')?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    valid.then_some(name)
}

/// Whether running the command changes the stack, so that it must run once only.
fn writes(command: &str) -> bool {
    [
        " -u ",
        "--data",
        "make reply",
        "make lead-update",
        "make review",
        "make redrive",
        "ARGS=\"set",
        "replay",
    ]
    .iter()
    .any(|sign| command.contains(sign))
}

/// What one run printed.
struct Run {
    stdout: Vec<String>,
    stderr: String,
    /// The exit status; `None` when it was stopped.
    success: Option<bool>,
}

/// Runs `command` once; stops it as soon as it `shows` the expected lines when `stop_early`.
async fn run_once(
    root: &Path,
    env: &HashMap<String, String>,
    command: &str,
    expected: &[String],
    stop_early: bool,
) -> Run {
    let mut child = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(root)
        .envs(env)
        // The walk-through's make is a make of its own, not a sub-make of `make test` (which
        // would print "Entering directory" lines).
        .env_remove("MAKELEVEL")
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A group of its own: make, its script and partnerctl are stopped together.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let group = child.id().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text).await;
        text
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stdout = Vec::new();
    let deadline = Instant::now() + RUN_LIMIT;
    let mut stopped = false;
    loop {
        match tokio::time::timeout_at(deadline, lines.next_line()).await {
            Ok(Ok(Some(line))) => {
                stdout.push(line.trim_end_matches('\r').to_owned());
                if stop_early && shows(expected, &stdout) {
                    stopped = true;
                    break;
                }
            }
            Ok(Ok(None) | Err(_)) => break,
            Err(_) => {
                stopped = true;
                break;
            }
        }
    }
    if stopped {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", "--", &format!("-{group}")])
            .status();
    }
    let status = child.wait().await.unwrap();
    let stderr = tokio::time::timeout(Duration::from_secs(10), stderr)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    Run {
        stdout,
        stderr,
        success: (!stopped).then(|| status.success()),
    }
}

/// Runs one step: once if it writes, else until it shows what the README shows.
async fn run_step(root: &Path, env: &mut HashMap<String, String>, step: &Step) {
    let started = Instant::now();
    let failure = |run: &Run, why: &str| {
        format!(
            "README.md line {}: {why}\n$ {}\nexpected (#>):\n{}\nstdout:\n{}\nstderr:\n{}",
            step.line,
            step.command,
            step.expected.join("\n"),
            run.stdout.join("\n"),
            run.stderr
        )
    };
    if let Some(name) = assigned(&step.command) {
        let command = format!("{}\nprintf '%s' \"${name}\"", step.command);
        let run = run_once(root, env, &command, &[], false).await;
        assert_eq!(run.success, Some(true), "{}", failure(&run, "failed"));
        env.insert(name.to_owned(), run.stdout.join("\n"));
        return;
    }
    let once = writes(&step.command) || step.expected.is_empty();
    loop {
        let run = run_once(root, env, &step.command, &step.expected, !once).await;
        let shown = shows(&step.expected, &run.stdout);
        if once {
            assert_eq!(run.success, Some(true), "{}", failure(&run, "failed"));
            assert!(shown, "{}", failure(&run, "printed otherwise"));
            return;
        }
        if shown {
            return;
        }
        assert!(
            started.elapsed() < READ_DEADLINE,
            "{}",
            failure(&run, &format!("not shown within {READ_DEADLINE:?}"))
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_s_walk_throughs_print_what_the_readme_shows() {
    let names = HashMap::from([
        ("TABLE_NAME", unique_name("readme")),
        (
            "REPLY_QUEUE_NAME",
            format!("{}.fifo", unique_name("readme-replies")),
        ),
        ("EVENT_BUS_NAME", unique_name("readme-bus")),
        ("EVENTS_QUEUE_NAME", unique_name("readme-events")),
        ("SPEED_QUEUE_NAME", unique_name("readme-speed")),
    ]);
    let mut vars: HashMap<&str, String> = names.clone();
    vars.insert("DEV_ADDR", "127.0.0.1:0".to_owned());
    vars.insert("SANDBOX_ADDR", "127.0.0.1:0".to_owned());
    vars.insert(
        "AWS_ENDPOINT_URL",
        std::env::var("AWS_ENDPOINT_URL").unwrap(),
    );
    let env = adapters::config::Env::with(move |var| vars.get(var).cloned());
    let settings = devstack::DevSettings::from_env(env).unwrap();
    let stack = devstack::launch(&settings, &sdk().await).await.unwrap();
    let addr = stack.base_url.trim_start_matches("http://").to_owned();

    // The make targets find this stack as they find `make dev`'s: by these settings.
    let mut env: HashMap<String, String> = names
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    env.insert("DEV_ADDR".to_owned(), addr.clone());
    // The partnerctl `make test` has just built: the make targets run it without a cargo beside
    // the tests (scripts/ctl.sh).
    env.insert(
        "PARTNERCTL".to_owned(),
        binary("partnerctl").display().to_string(),
    );
    let steps = steps(README);
    assert!(steps.len() > 20, "{steps:?}");
    let root = repository_root();
    for mut step in steps {
        step.command = step.command.replace("127.0.0.1:3000", &addr);
        let started = Instant::now();
        run_step(&root, &mut env, &step).await;
        // Where the time goes, when a slow machine makes this test slow.
        println!(
            "README.md line {}: {:.1} s",
            step.line,
            started.elapsed().as_secs_f64()
        );
    }
    stack.stop().await;
}

#[test]
fn a_walk_through_is_read_as_commands_and_the_lines_they_print() {
    let readme = "text\n```sh\n# a comment\ncurl -sS \\\n  http://x/a   # why\n#> {\"a\":...}\nmake events\n#> one\n#> two\n```\n```text\nnot run\n```\n";
    assert_eq!(
        steps(readme),
        [
            Step {
                line: 4,
                command: "curl -sS \\\n  http://x/a   # why".to_owned(),
                expected: vec!["{\"a\":...}".to_owned()],
            },
            Step {
                line: 7,
                command: "make events".to_owned(),
                expected: vec!["one".to_owned(), "two".to_owned()],
            },
        ]
    );
}

#[test]
fn dots_stand_for_any_text_and_the_rest_must_be_exact() {
    assert!(matches(
        "{\"id\":\"...\",\"s\":1}",
        "{\"id\":\"r-17\",\"s\":1}"
    ));
    assert!(matches("a...", "a"));
    assert!(matches("...x...", "yxz"));
    assert!(!matches("{\"s\":1}", "{\"s\":12}"));
    assert!(!matches("ab...ba", "aba"));
    assert!(shows(
        &["b...".to_owned(), "a".to_owned()],
        &["a".to_owned(), "bc".to_owned()]
    ));
    assert!(!shows(&["a".to_owned(), "a".to_owned()], &["a".to_owned()]));
}
