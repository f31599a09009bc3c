//! The README against the Makefile: the command list a newcomer reads is the one `make` runs.

const README: &str = include_str!("../../README.md");
const MAKEFILE: &str = include_str!("../../Makefile");

/// The targets in the README's `## Commands` block, in order.
fn readme_commands() -> Vec<&'static str> {
    let section = README
        .split("\n## Commands\n")
        .nth(1)
        .expect("the README has a Commands section");
    let block = section
        .split("```")
        .nth(1)
        .expect("the Commands section opens with a code block");
    block
        .lines()
        .filter_map(|line| line.strip_prefix("make "))
        .map(|rest| rest.split_whitespace().next().unwrap_or_default())
        .collect()
}

/// The Makefile's documented targets (`## name: ...`), in order.
fn makefile_commands() -> Vec<&'static str> {
    MAKEFILE
        .lines()
        .filter_map(|line| line.strip_prefix("## "))
        .filter_map(|line| line.split_once(':').map(|(name, _)| name))
        .collect()
}

#[test]
fn the_readme_lists_the_makefile_s_commands_in_the_same_order() {
    let readme = readme_commands();
    assert!(readme.len() > 10, "{readme:?}");
    assert_eq!(readme, makefile_commands());
}

#[test]
fn every_documented_target_is_phony_and_exists() {
    let phony: Vec<&str> = MAKEFILE
        .lines()
        .find_map(|line| line.strip_prefix(".PHONY: "))
        .expect("a .PHONY line")
        .split_whitespace()
        .collect();
    for target in makefile_commands() {
        assert!(phony.contains(&target), "{target} is not .PHONY");
        assert!(
            MAKEFILE.lines().any(|line| line == format!("{target}:")),
            "{target} has no rule"
        );
    }
}

const DATA_MODEL: &str = include_str!("../../docs/data-model.md");

/// Every outcome a replay notes on a quarantined record, as the code writes it.
fn replay_outcomes() -> std::collections::BTreeSet<String> {
    use app::ingest::Arrival;
    use app::replay::Replayed;
    // Exhaustive: a new kind of arrival or replay outcome fails to compile here until it is
    // listed (and so documented).
    let every = |replayed: &Replayed| match replayed {
        Replayed::Taken(Arrival::Stored | Arrival::Duplicate | Arrival::Revision)
        | Replayed::Refused(_)
        | Replayed::TooLarge
        // Repeats an earlier note's outcome: nothing new.
        | Replayed::AlreadyTaken(_) => (),
    };
    [
        Replayed::Taken(Arrival::Stored),
        Replayed::Taken(Arrival::Duplicate),
        Replayed::Taken(Arrival::Revision),
        Replayed::Refused(models::Problems::default()),
        Replayed::TooLarge,
    ]
    .iter()
    .inspect(|replayed| every(replayed))
    .map(|replayed| replayed.outcome().to_owned())
    .collect()
}

/// Issue 18, item 14: docs/data-model.md listed `taken` and `refused`, and the code writes the
/// arrival (`stored`, `duplicate`, `revision`), `refused` or `too-large`.
#[test]
fn the_data_model_lists_exactly_the_replay_outcomes_the_code_writes() {
    let row = DATA_MODEL
        .lines()
        .find(|line| line.starts_with("| quarantined payload |"))
        .expect("the data model has the quarantined payload's row");
    let after = row
        .split("`replayOutcome` (")
        .nth(1)
        .expect("the row lists replayOutcome's values in parentheses");
    let listed: std::collections::BTreeSet<String> = after
        .split(')')
        .next()
        .unwrap()
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert_eq!(listed, replay_outcomes());
}
