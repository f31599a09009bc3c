//! Issue 21: the Thumbtack simulator as an optional function of a non-production stage
//! (`SimulatorEnabled`), off by default, refused for prod, and the stage's replies sent to it.

use super::deploy::{Deploy, references};
use super::*;

const SIMULATOR: [&str; 3] = ["SimulatorFunction", "SimulatorRole", "SimulatorLogs"];

/// The reply function's Thumbtack URL as a deploy with these parameters sets it.
fn reply_base_url(deploy: &Deploy) -> Value {
    deploy.resources()["ReplyOutboundFunction"]["Properties"]["Environment"]["Variables"]
        ["THUMBTACK_API_BASE_URL"]
        .clone()
}

fn the_simulator_url() -> Value {
    serde_norway::from_str("!GetAtt SimulatorFunctionUrl.FunctionUrl").unwrap()
}

#[test]
fn the_simulator_is_off_by_default_and_then_nothing_of_it_is_deployed() {
    let template = template();
    assert_eq!(
        template["Parameters"]["SimulatorEnabled"]["Default"],
        "false"
    );
    let deploy = Deploy::with(&template, &[]);
    let resources = deploy.resources();
    for name in SIMULATOR {
        assert!(
            !resources.contains_key(name),
            "{name} is deployed by default"
        );
    }
    assert!(!deploy.outputs().contains_key("SimulatorUrl"));
    assert_eq!(
        referenced(&reply_base_url(&deploy)).as_deref(),
        Some("ThumbtackApiBaseUrl")
    );
    // Nothing deployed without the simulator refers to it.
    for (name, resource) in resources.iter().chain(deploy.outputs().iter()) {
        let refers: Vec<String> = references(resource)
            .into_iter()
            .filter(|r| r.starts_with("Simulator"))
            .collect();
        assert!(refers.is_empty(), "{name} refers to {refers:?}");
    }
}

#[test]
fn with_the_simulator_the_stage_s_replies_go_to_its_url_which_is_an_output() {
    let template = template();
    let deploy = Deploy::with(&template, &[("SimulatorEnabled", "true")]);
    let resources = deploy.resources();
    for name in SIMULATOR {
        assert!(resources.contains_key(name), "{name} is not deployed");
    }
    let function = &resources["SimulatorFunction"];
    assert_eq!(
        function["Properties"]["FunctionUrlConfig"]["AuthType"],
        "NONE"
    );
    assert_eq!(reply_base_url(&deploy), the_simulator_url());
    assert_eq!(
        deploy.outputs()["SimulatorUrl"]["Value"],
        the_simulator_url()
    );
    // It delivers to the stage's own API, whose URL it reads from the stack's parameter
    // (tests/infra/connections.rs: the parameter holds the API's URL).
    let variables = &function["Properties"]["Environment"]["Variables"];
    assert_eq!(
        variables["SIM_PARTNER_URL_PARAMETER"],
        resource(&template, "PublicApiUrlParameter")["Properties"]["Name"]
    );
}

#[test]
fn a_prod_stage_with_the_simulator_is_refused_by_a_rule() {
    let template = template();
    let rule = template["Rules"]
        .as_mapping()
        .unwrap()
        .values()
        .find(|rule| {
            intrinsic(&rule["RuleCondition"]).is_some_and(|(name, args)| {
                name == "Equals"
                    && referenced(&args[0]).as_deref() == Some("SimulatorEnabled")
                    && args[1] == "true"
            })
        })
        .expect("a rule for SimulatorEnabled=true");
    let assertion = &rule["Assertions"][0];
    let Some(("Not", not)) = intrinsic(&assertion["Assert"]) else {
        panic!("the assertion is a Not")
    };
    let Some(("Equals", equals)) = intrinsic(&not[0]) else {
        panic!("of an Equals")
    };
    assert_eq!(referenced(&equals[0]).as_deref(), Some("Stage"));
    assert_eq!(equals[1], "prod");
    let told = assertion["AssertDescription"].as_str().unwrap();
    assert!(
        told.contains("SimulatorEnabled") && told.contains("prod"),
        "{told}"
    );
}

#[test]
fn the_simulator_reads_exactly_the_variables_the_template_sets_for_it() {
    let template = template();
    let variables = environment(&template, "SimulatorFunction");
    let seen = RefCell::new(BTreeSet::new());
    let settings = simulator::deployed::Settings::from(|var| {
        seen.borrow_mut().insert(var.to_owned());
        variables.get(var).cloned()
    });
    assert!(settings.is_ok(), "{settings:?}");
    let set: BTreeSet<String> = variables.keys().cloned().collect();
    assert_eq!(seen.into_inner(), set);
}

#[test]
fn the_simulator_reads_only_the_stage_s_credentials_its_api_url_and_its_own_items() {
    let template = template();
    let mut actions = inline(&template, "SimulatorFunction");
    let secrets = actions
        .remove("secretsmanager:GetSecretValue")
        .unwrap_or_default();
    assert_eq!(
        secrets,
        [
            "PartnerCredentialsSecret",
            "ThumbtackApiSecret",
            "ThumbtackV4ClientSecret"
        ]
        .map(str::to_owned)
        .into()
    );
    assert_eq!(
        actions.remove("ssm:GetParameter").unwrap_or_default(),
        ["arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/thumbtack-partner/${Stage}/public-api-url"]
            .map(str::to_owned)
            .into()
    );
    assert_eq!(
        actions,
        expected(&[("dynamodb:GetItem", "Table"), ("dynamodb:PutItem", "Table")])
    );
    let (_, role) = iam::role_of(&template, "SimulatorFunction");
    let prefix = format!("{}*", simulator::store::PARTITION_PREFIX);
    for statement in iam::role_statements(role).iter().filter(|s| {
        s["Action"]
            .as_str()
            .is_some_and(|a| a.starts_with("dynamodb:"))
    }) {
        assert_eq!(
            statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
            Value::Sequence(vec![Value::from(prefix.clone())]),
            "{statement:?}"
        );
    }
}
