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
