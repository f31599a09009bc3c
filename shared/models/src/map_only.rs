//! Structs from JSON objects only. serde's derived `Deserialize` also accepts a struct written as
//! an array of its field values (`["Q", "A"]` for a detail); the walker refuses that, so without
//! this the typed fast path would accept a body the walker calls invalid.

use serde::de::{Deserialize, Deserializer, Visitor};

/// `#[serde(deserialize_with = "map_only::object")]`: the field must be a JSON object.
pub(crate) fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    T::deserialize(StructAsMap(deserializer))
}

/// `#[serde(deserialize_with = "map_only::objects")]`: an array of JSON objects; `null` is none.
pub(crate) fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    let all = Option::<Vec<MapOnly<T>>>::deserialize(deserializer)?;
    Ok(all
        .unwrap_or_default()
        .into_iter()
        .map(|item| item.0)
        .collect())
}

/// `#[serde(default, deserialize_with = "map_only::optional")]`: a JSON object or `null`.
pub(crate) fn optional<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    Ok(Option::<MapOnly<T>>::deserialize(deserializer)?.map(|item| item.0))
}

/// A `T` read from a JSON object only; the whole body is read through this.
pub(crate) struct MapOnly<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MapOnly<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        object(deserializer).map(MapOnly)
    }
}

/// Asks the format for a map wherever the derived code asks for a struct.
struct StructAsMap<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for StructAsMap<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::MapOnly;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Pair {
        question: String,
        answer: String,
    }

    #[test]
    fn a_struct_is_read_from_an_object_and_refused_as_an_array() {
        let read = serde_json::from_str::<MapOnly<Pair>>(r#"{"question":"Q","answer":"A"}"#);
        assert_eq!(
            read.map(|p| p.0).ok(),
            Some(Pair {
                question: "Q".into(),
                answer: "A".into()
            })
        );
        // The derive alone accepts the array form; the wrapper does not.
        assert!(serde_json::from_str::<Pair>(r#"["Q","A"]"#).is_ok());
        assert!(serde_json::from_str::<MapOnly<Pair>>(r#"["Q","A"]"#).is_err());
    }
}
