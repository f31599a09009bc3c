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

/// Each function of the template: its binary (the crate under `functions/`) and its API routes
/// (`METHOD /path`).
fn template_functions() -> Vec<(String, Vec<String>)> {
    let template = crate::template();
    let mut functions = Vec::new();
    for resource in template["Resources"].as_mapping().unwrap().values() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap()
            .to_owned();
        let routes = resource["Properties"]["Events"]
            .as_mapping()
            .map(|events| {
                events
                    .values()
                    .filter(|event| event["Type"] == "HttpApi")
                    .map(|event| {
                        let route = &event["Properties"];
                        format!(
                            "{} {}",
                            route["Method"].as_str().unwrap(),
                            route["Path"].as_str().unwrap()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        functions.push((binary, routes));
    }
    assert!(functions.len() >= 6, "{functions:?}");
    functions
}

/// The README's `## Layout` block.
fn readme_layout() -> &'static str {
    README
        .split("\n## Layout\n")
        .nth(1)
        .and_then(|section| section.split("```").nth(1))
        .expect("the README has a Layout section with a code block")
}

/// Issue 20: the Layout listed four of the six functions.
#[test]
fn the_readme_layout_lists_every_function_of_the_template() {
    let layout = readme_layout();
    for (binary, _) in template_functions() {
        assert!(
            layout
                .lines()
                .any(|line| line.starts_with(&format!("  {binary}/ "))),
            "{binary} is not in the README's Layout"
        );
    }
}

/// Issue 20: the API table missed the settings and stats routes.
#[test]
fn the_readme_api_table_has_a_row_for_every_route_of_the_template() {
    for (_, routes) in template_functions() {
        for route in routes {
            assert!(
                README
                    .lines()
                    .any(|line| line.starts_with(&format!("| `{route}"))),
                "the README's API table has no row for {route}"
            );
        }
    }
}

/// The Cargo.toml of the crate `name` under `folder`, read at run time (a crate renamed with its
/// binary is found by its new name).
fn manifest(folder: &str, name: &str) -> String {
    let path = format!(
        "{}/../{folder}/{name}/Cargo.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn description(manifest: &str) -> &str {
    manifest
        .lines()
        .find_map(|line| line.strip_prefix("description = "))
        .expect("a description")
}

/// Issue 20: the functions' descriptions omitted the routes added since.
#[test]
fn each_function_s_description_names_its_routes() {
    for (binary, routes) in template_functions() {
        // The product's functions are crates of functions/; the stage's simulator a bin of tools/.
        let folder = if binary == "simulator" {
            "tools"
        } else {
            "functions"
        };
        let manifest = manifest(folder, &binary);
        let description = description(&manifest);
        for route in routes {
            let (method, path) = route.split_once(' ').unwrap();
            assert!(
                description.contains(path) && description.contains(method),
                "functions/{binary}/Cargo.toml does not name {route}: {description}"
            );
        }
    }
}

/// Issue 20: docs/architecture.md said partnerctl needs only adapters and models.
#[test]
fn the_architecture_names_the_workspace_crates_partnerctl_needs() {
    let architecture = include_str!("../../docs/architecture.md");
    let sentence = architecture
        .split("`partnerctl` needs ")
        .nth(1)
        .and_then(|rest| rest.split(" and no function crate").next())
        .expect("docs/architecture.md says which crates partnerctl needs");
    let named: std::collections::BTreeSet<&str> = sentence.split('`').skip(1).step_by(2).collect();
    let workspace = include_str!("../../Cargo.toml");
    let members: std::collections::BTreeSet<&str> = workspace
        .lines()
        .filter_map(|line| line.split_once(" = { path = "))
        .map(|(name, _)| name.trim())
        .collect();
    let manifest = manifest("tools", "partnerctl");
    let needed: std::collections::BTreeSet<&str> = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap()
        .lines()
        .filter_map(|line| line.split_once('.').map(|(name, _)| name.trim()))
        .filter(|name| members.contains(name))
        .collect();
    assert!(!needed.is_empty(), "{members:?}");
    assert_eq!(named, needed);
}
