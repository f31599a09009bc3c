//! A field an update may leave out, clear with `null`, or set: [`Patch`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What an update does to one field of its lead: left out, the lead keeps its value; `null`
/// clears it; a value sets it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Patch<T> {
    /// Not given (or not usable): the lead keeps what it has.
    #[default]
    Unchanged,
    /// Given as `null`: the lead has none any more.
    Cleared,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_unchanged(&self) -> bool {
        matches!(self, Patch::Unchanged)
    }

    pub fn as_deref(&self) -> Patch<&T::Target>
    where
        T: std::ops::Deref,
    {
        match self {
            Patch::Unchanged => Patch::Unchanged,
            Patch::Cleared => Patch::Cleared,
            Patch::Set(value) => Patch::Set(value),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Unchanged => Patch::Unchanged,
            Patch::Cleared => Patch::Cleared,
            Patch::Set(value) => Patch::Set(f(value)),
        }
    }

    /// The value it sets, if it sets one.
    pub fn set(self) -> Option<T> {
        match self {
            Patch::Set(value) => Some(value),
            Patch::Unchanged | Patch::Cleared => None,
        }
    }
}

/// Only called for a field that is there (`#[serde(default)]` makes a missing one unchanged):
/// `null` clears, a value sets.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Patch::Cleared,
            Some(value) => Patch::Set(value),
        })
    }
}

/// `null` for cleared, the value for set; an unchanged field is left out
/// (`skip_serializing_if = "Patch::is_unchanged"`), and written as `null` if it is not.
impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(value) => value.serialize(serializer),
            Patch::Unchanged | Patch::Cleared => serializer.serialize_none(),
        }
    }
}
