//! What one deploy of the template creates: its Conditions evaluated for a set of parameter values
//! (the defaults for the rest), as CloudFormation evaluates them. Resources and outputs whose
//! condition is false are left out, `Fn::If` picks its branch and `AWS::NoValue` disappears, so
//! the optional parts of the template can be checked the way each deploy sees them.

use super::intrinsic;
use serde_norway::Value;
use std::collections::{BTreeMap, BTreeSet};

pub struct Deploy<'a> {
    template: &'a Value,
    parameters: BTreeMap<String, String>,
}

impl<'a> Deploy<'a> {
    /// A deploy with these parameter values, the template's defaults for the others.
    pub fn with(template: &'a Value, overrides: &[(&str, &str)]) -> Self {
        let mut parameters = BTreeMap::new();
        for (name, spec) in template["Parameters"].as_mapping().unwrap() {
            if let Some(default) = spec.get("Default") {
                parameters.insert(name.as_str().unwrap().to_owned(), scalar_text(default));
            }
        }
        for (name, value) in overrides {
            assert!(
                template["Parameters"].get(*name).is_some(),
                "{name} is not a parameter of the template"
            );
            parameters.insert((*name).to_owned(), (*value).to_owned());
        }
        Deploy {
            template,
            parameters,
        }
    }

    pub fn condition(&self, name: &str) -> bool {
        let expression = self.template["Conditions"]
            .get(name)
            .unwrap_or_else(|| panic!("no condition {name}"));
        self.truth(expression)
    }

    fn truth(&self, expression: &Value) -> bool {
        let args = |value: &Value| value.as_sequence().unwrap().clone();
        match intrinsic(expression) {
            Some(("Equals", pair)) => {
                let pair = args(pair);
                self.text(&pair[0]) == self.text(&pair[1])
            }
            Some(("Not", inner)) => !self.truth(&args(inner)[0]),
            Some(("And", inner)) => args(inner).iter().all(|c| self.truth(c)),
            Some(("Or", inner)) => args(inner).iter().any(|c| self.truth(c)),
            Some(("Condition", Value::String(name))) => self.condition(name),
            _ => panic!("not a condition: {expression:?}"),
        }
    }

    /// A literal or a parameter's value, as text.
    fn text(&self, value: &Value) -> String {
        match intrinsic(value) {
            Some(("Ref", Value::String(name))) => self
                .parameters
                .get(name)
                .unwrap_or_else(|| panic!("{name} has no value in this deploy"))
                .clone(),
            Some(_) => panic!("a condition compares literals and parameters: {value:?}"),
            None => scalar_text(value),
        }
    }

    /// The resources this deploy creates, with their `Fn::If`s resolved.
    pub fn resources(&self) -> BTreeMap<String, Value> {
        self.present("Resources")
    }

    /// The outputs this deploy shows, resolved likewise.
    pub fn outputs(&self) -> BTreeMap<String, Value> {
        self.present("Outputs")
    }

    fn present(&self, section: &str) -> BTreeMap<String, Value> {
        self.template[section]
            .as_mapping()
            .unwrap()
            .iter()
            .filter(|(_, item)| match item.get("Condition") {
                Some(Value::String(name)) => self.condition(name),
                Some(other) => panic!("a Condition is a name: {other:?}"),
                None => true,
            })
            .map(|(name, item)| {
                let resolved = self.resolve(item).unwrap_or(Value::Null);
                (name.as_str().unwrap().to_owned(), resolved)
            })
            .collect()
    }

    /// `value` with every `Fn::If` replaced by its branch; `None` for `AWS::NoValue`.
    pub fn resolve(&self, value: &Value) -> Option<Value> {
        match intrinsic(value) {
            Some(("If", branches)) => {
                let branches = branches.as_sequence().unwrap();
                let Value::String(condition) = &branches[0] else {
                    panic!("Fn::If names a condition: {value:?}")
                };
                let chosen = if self.condition(condition) {
                    &branches[1]
                } else {
                    &branches[2]
                };
                return self.resolve(chosen);
            }
            Some(("Ref", Value::String(name))) if name == "AWS::NoValue" => return None,
            _ => {}
        }
        Some(match value {
            Value::Sequence(items) => items.iter().filter_map(|i| self.resolve(i)).collect(),
            Value::Mapping(map) => {
                let mut resolved = serde_norway::Mapping::new();
                for (key, item) in map {
                    if let Some(item) = self.resolve(item) {
                        resolved.insert(key.clone(), item);
                    }
                }
                Value::Mapping(resolved)
            }
            Value::Tagged(tagged) => {
                let mut tagged = tagged.clone();
                tagged.value = self.resolve(&tagged.value).unwrap_or(Value::Null);
                Value::Tagged(tagged)
            }
            other => other.clone(),
        })
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// Every logical id `value` refers to: `Ref`, `GetAtt`, and `${...}` in `Sub` text (less the
/// names a `Sub`'s own variable map defines, and the pseudo parameters).
pub fn references(value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    collect(value, &mut found);
    found
}

fn collect(value: &Value, found: &mut BTreeSet<String>) {
    match intrinsic(value) {
        Some(("Ref", Value::String(id))) => {
            found.insert(id.clone());
            return;
        }
        Some(("GetAtt", Value::String(path))) => {
            found.insert(path.split('.').next().unwrap().to_owned());
            return;
        }
        Some(("GetAtt", Value::Sequence(parts))) => {
            found.insert(parts[0].as_str().unwrap().to_owned());
            return;
        }
        Some(("Sub", argument)) => {
            let (text, variables) = match argument {
                Value::String(text) => (text.as_str(), None),
                Value::Sequence(pair) => (pair[0].as_str().unwrap(), pair.get(1)),
                other => panic!("Fn::Sub of {other:?}"),
            };
            let local: BTreeSet<String> = variables
                .and_then(Value::as_mapping)
                .map(|map| map.keys().map(|k| k.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            for piece in text.split("${").skip(1) {
                let Some((name, _)) = piece.split_once('}') else {
                    continue;
                };
                if name.starts_with('!') {
                    continue; // ${!Literal}
                }
                let id = name.split('.').next().unwrap().to_owned();
                if !local.contains(&id) {
                    found.insert(id);
                }
            }
            if let Some(variables) = variables {
                collect(variables, found);
            }
            return;
        }
        _ => {}
    }
    match value {
        Value::Sequence(items) => items.iter().for_each(|i| collect(i, found)),
        Value::Mapping(map) => map.values().for_each(|i| collect(i, found)),
        Value::Tagged(tagged) => collect(&tagged.value, found),
        _ => {}
    }
}
