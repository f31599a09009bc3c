//! `attachments[]` of a lead's request and of a message: `{fileName, fileSize, mimeType, url,
//! description}`, every field optional.

use crate::path::Path;
use crate::walk::{Entries, Need, Walker};
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Bytes; Thumbtack's samples send a number, a string of digits is read too.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole_number"
    )]
    pub file_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Where Thumbtack serves the file: personal data as much as the file is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A whole number, or a string of digits; `null` is none.
fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Whole(u64),
        Digits(String),
    }
    match Option::<Number>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Number::Whole(n)) => Ok(Some(n)),
        Some(Number::Digits(text)) => crate::walk::digits(&text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("expected a whole number")),
    }
}

/// Optional array of attachments; an element that is not an object is left out of the typed
/// payload (the raw body keeps it), with a warning.
pub(crate) fn read_attachments(
    w: &mut Walker,
    parent: &Entries,
    path: &Path<'_>,
) -> Vec<Attachment> {
    let items = w.optional_array(Need::Field, parent, path);
    let mut attachments = Vec::with_capacity(items.len().min(16));
    for (index, item) in items.into_iter().enumerate() {
        let item_path = path.index(index);
        let Some(object) = w.entries(Need::Field, item, &item_path) else {
            continue;
        };
        let field = Need::Field;
        attachments.push(Attachment {
            file_name: w.optional_text(field, &object, &item_path.key("fileName")),
            file_size: w.optional_count(field, &object, &item_path.key("fileSize")),
            mime_type: w.optional_text(field, &object, &item_path.key("mimeType")),
            url: w.optional_text(field, &object, &item_path.key("url")),
            description: w.optional_text(field, &object, &item_path.key("description")),
        });
    }
    attachments
}
