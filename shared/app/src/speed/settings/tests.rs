use super::*;
use serde_json::json;

fn paths(invalid: &Invalid) -> Vec<String> {
    invalid
        .problems
        .listed()
        .iter()
        .map(|p| p.path.clone())
        .collect()
}

fn document(change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut doc = serde_json::to_value(SettingsDocument::new("b-1", None)).unwrap();
    change(&mut doc);
    serde_json::to_vec(&doc).unwrap()
}

/// 2026-12-01T12:00:00Z, and that many hours later.
fn noon_utc_plus(hours: u64) -> u64 {
    1_796_126_400_000 + hours * 3_600_000
}

#[test]
fn the_document_get_answers_for_a_new_business_is_taken_back_by_put_as_it_is() {
    let body = document(|_| {});
    let settings = parse_settings("b-1", &body).unwrap();
    assert_eq!(settings, BusinessSettings::default());
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["configured"], false);
    assert_eq!(
        doc["templateVariables"],
        json!(["customerFirstName", "businessName", "category"])
    );
    assert_eq!(doc["autoAcknowledgement"]["enabled"], false);
}

#[test]
fn an_unknown_template_variable_is_refused_naming_the_template_and_the_variable() {
    let body = document(|doc| {
        doc["autoAcknowledgement"]["template"] = json!("Hi {firstName}!");
    });
    let invalid = parse_settings("b-1", &body).unwrap_err();
    assert_eq!(paths(&invalid), ["autoAcknowledgement.template"]);
    let reason = &invalid.problems.listed()[0].reason;
    assert!(reason.contains("{firstName}"), "{reason}");
    for bad in ["Hi {customerFirstName", "", "   "] {
        let body = document(|doc| doc["autoAcknowledgement"]["template"] = json!(bad));
        let invalid = parse_settings("b-1", &body).unwrap_err();
        assert_eq!(paths(&invalid), ["autoAcknowledgement.template"], "{bad:?}");
    }
}

#[test]
fn every_bad_field_is_named_by_its_path_at_once() {
    let body = document(|doc| {
        doc["autoAcknowledgement"]["enable"] = json!(true);
        doc["quietHours"]["start"] = json!("9pm");
        doc["quietHours"]["timeZone"] = json!("Mars/Olympus_Mons");
        doc["quietHours"]["during"] = json!("later");
        doc["unansweredAfterMinutes"] = json!(0);
        doc["businessID"] = json!("b-2");
        doc["colour"] = json!("blue");
    });
    let mut named = paths(&parse_settings("b-1", &body).unwrap_err());
    named.sort();
    assert_eq!(
        named,
        [
            "autoAcknowledgement.enable",
            "businessID",
            "colour",
            "quietHours.during",
            "quietHours.start",
            "quietHours.timeZone",
            "unansweredAfterMinutes",
        ]
    );
}

#[test]
fn bodies_that_are_not_a_document_are_refused_at_the_root() {
    for body in [&b"not json"[..], b"[]", b"{}"] {
        let invalid = parse_settings("b-1", body).unwrap_err();
        assert!(!invalid.problems.is_empty(), "{body:?}");
    }
    let invalid = parse_settings("b-1", b"{}").unwrap_err();
    assert_eq!(
        paths(&invalid),
        [
            "autoAcknowledgement",
            "quietHours",
            "unansweredAfterMinutes"
        ]
    );
}

#[test]
fn overnight_quiet_hours_end_at_the_next_local_morning() {
    let quiet = QuietHours {
        enabled: true,
        start: "21:00".into(),
        end: "08:00".into(),
        time_zone: "America/Chicago".into(),
        during: QuietPolicy::Wait,
    };
    // Chicago is UTC-6 in December: 12:00Z is 06:00 there, quiet until 08:00 local = 14:00Z.
    assert_eq!(quiet.quiet_until(noon_utc_plus(0)), Some(noon_utc_plus(2)));
    // 18:00Z is noon in Chicago: not quiet.
    assert_eq!(quiet.quiet_until(noon_utc_plus(6)), None);
    // 04:00Z the next day is 22:00 in Chicago: quiet until 08:00 local the next morning.
    assert_eq!(
        quiet.quiet_until(noon_utc_plus(16)),
        Some(noon_utc_plus(26))
    );
    let off = QuietHours {
        enabled: false,
        ..quiet.clone()
    };
    assert_eq!(off.quiet_until(noon_utc_plus(0)), None);
}

#[test]
fn daytime_quiet_hours_hold_only_between_start_and_end() {
    let quiet = QuietHours {
        enabled: true,
        start: "12:00".into(),
        end: "13:30".into(),
        time_zone: "UTC".into(),
        during: QuietPolicy::Send,
    };
    assert_eq!(
        quiet.quiet_until(noon_utc_plus(0)),
        Some(noon_utc_plus(0) + 90 * 60_000)
    );
    assert_eq!(quiet.quiet_until(noon_utc_plus(0) - 1), None);
    assert_eq!(quiet.quiet_until(noon_utc_plus(0) + 90 * 60_000), None);
}

#[test]
fn a_template_is_filled_from_the_lead_and_a_missing_value_reads_as_a_neutral_word() {
    let values = TemplateValues {
        customer_name: Some("Maria G."),
        business_name: Some("Tim's Cleaning"),
        category: Some("House Cleaning"),
    };
    assert_eq!(
        render(
            "Hi {customerFirstName}, {businessName} got your {category} request.",
            &values
        ),
        "Hi Maria, Tim's Cleaning got your House Cleaning request."
    );
    let empty = TemplateValues {
        customer_name: Some(""),
        ..TemplateValues::default()
    };
    let text = render(DEFAULT_TEMPLATE, &empty);
    assert!(!text.contains('{'), "{text}");
    assert!(text.starts_with("Hi there,"), "{text}");
}

#[test]
fn quiet_hours_clocks_take_exactly_two_ascii_digits_a_part() {
    for bad in [
        "+0:00", "-0:00", "+8:00", "08:+0", "8:00", "08:0", " 8:00", "08:00 ", "24:00", "12:60",
        "08:00:00", "0８:00",
    ] {
        let body = document(|doc| {
            doc["quietHours"]["start"] = json!("00:00");
            doc["quietHours"]["end"] = json!(bad);
        });
        let invalid = parse_settings("b-1", &body).unwrap_err();
        assert_eq!(paths(&invalid), ["quietHours.end"], "{bad:?}");
        assert_eq!(
            invalid.problems.listed()[0].reason,
            "must be a time of day, HH:MM (24-hour)",
            "{bad:?}"
        );
    }
}

#[test]
fn quiet_hours_whose_end_is_the_same_time_as_their_start_are_refused() {
    let body = document(|doc| {
        doc["quietHours"]["start"] = json!("07:30");
        doc["quietHours"]["end"] = json!("07:30");
    });
    let invalid = parse_settings("b-1", &body).unwrap_err();
    assert_eq!(paths(&invalid), ["quietHours.end"]);
    assert_eq!(
        invalid.problems.listed()[0].reason,
        "must differ from start"
    );
}

#[test]
fn an_unknown_field_is_named_cut_to_a_short_name_in_the_answer() {
    let long = "x".repeat(250_000);
    let personal = format!("Jane Doe +1 555 0100 {}", "y".repeat(100));
    let body = document(|doc| {
        doc[long.as_str()] = json!(true);
        doc["quietHours"][personal.as_str()] = json!(1);
    });
    let invalid = parse_settings("b-1", &body).unwrap_err();
    let named = paths(&invalid);
    assert_eq!(named.len(), 2, "{named:?}");
    for path in &named {
        assert!(path.len() <= 80, "{} bytes: {}", path.len(), &path[..80]);
    }
    assert!(named.contains(&format!("{}…", "x".repeat(40))), "{named:?}");
    assert!(
        named.contains(&format!("quietHours.{}…", &personal[..40])),
        "{named:?}"
    );
    let reasons: Vec<_> = invalid
        .problems
        .listed()
        .iter()
        .map(|p| &p.reason)
        .collect();
    assert!(
        reasons.iter().all(|r| *r == "is not a setting"),
        "{reasons:?}"
    );
}

#[test]
fn a_template_of_only_invisible_characters_is_refused_as_empty() {
    for blank in [
        "\u{200B}\u{200B}",
        "\u{0007}",
        " \u{FEFF}\u{2060} ",
        "\u{200D}\t\u{0000}",
    ] {
        let body = document(|doc| doc["autoAcknowledgement"]["template"] = json!(blank));
        let invalid = parse_settings("b-1", &body).unwrap_err();
        assert_eq!(
            paths(&invalid),
            ["autoAcknowledgement.template"],
            "{blank:?}"
        );
        assert_eq!(invalid.problems.listed()[0].reason, "must not be empty");
    }
    let body = document(|doc| doc["autoAcknowledgement"]["template"] = json!("\u{200B}Hi!"));
    assert!(parse_settings("b-1", &body).is_ok());
}

#[test]
fn read_only_fields_sent_back_with_the_wrong_type_are_refused_naming_them() {
    let body = document(|doc| {
        doc["configured"] = json!("yes");
        doc["templateVariables"] = json!(5);
    });
    let invalid = parse_settings("b-1", &body).unwrap_err();
    assert_eq!(paths(&invalid), ["configured", "templateVariables"]);
    for variables in [
        json!(["category", 1]),
        json!({"a": "category"}),
        json!(null),
    ] {
        let body = document(|doc| doc["templateVariables"] = variables.clone());
        let invalid = parse_settings("b-1", &body).unwrap_err();
        assert_eq!(paths(&invalid), ["templateVariables"], "{variables}");
    }
    let body = document(|doc| doc["configured"] = json!(null));
    assert_eq!(
        paths(&parse_settings("b-1", &body).unwrap_err()),
        ["configured"]
    );
    // Sent back as GET gave them (after a save, or with a list of other names), or left out: fine.
    let body = document(|doc| {
        doc["configured"] = json!(true);
        doc["templateVariables"] = json!(["category"]);
    });
    assert!(parse_settings("b-1", &body).is_ok());
    let body = document(|doc| {
        let top = doc.as_object_mut().unwrap();
        top.remove("configured");
        top.remove("templateVariables");
        top.remove("businessID");
    });
    assert!(parse_settings("b-1", &body).is_ok());
}
