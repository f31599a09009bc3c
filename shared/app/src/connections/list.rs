//! `GET /v1/connections`: every connection, in order of userID, a page at a time. The cursor is
//! the last userID served, sealed (`crate::paging`) under a key derived from the state key:
//! opaque to the caller and refused when changed. Never a token, never a secret's hash: each
//! entry is what `GET /v1/connections/{userID}` shows.

use super::{ConnectionView, view};
use crate::paging::{CursorKey, LimitRefused, page_size, whole_number};
use crate::ports::{ConnectionStore, StoreError};
use models::{Invalid, InvalidKind, Problems};

/// Entries per page when the caller names no `limit`, and the most a page holds.
pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 100;

/// What a cursor is bound to: this listing and nothing else.
const SCOPE: &str = "connections";

/// `GET /v1/connections`, as the caller asked (query parameters as sent).
#[derive(Debug, Clone, Copy, Default)]
pub struct ListAsked<'a> {
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
}

/// `{"connections": [...], "next": <cursor or null>}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConnectionsPage {
    pub connections: Vec<ConnectionView>,
    pub next: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// A limit out of its bounds, or a cursor refused: every problem, named.
    #[error("invalid request: {0}")]
    Invalid(Invalid),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One page of connections.
pub async fn list<S: ConnectionStore>(
    store: &S,
    cursors: &CursorKey,
    asked: ListAsked<'_>,
) -> Result<ConnectionsPage, ListError> {
    let mut problems = Problems::default();
    let limit = match asked
        .limit
        .map(|l| whole_number(l).ok_or(LimitRefused { max: MAX_LIMIT }))
    {
        Some(Err(refused)) => Err(refused),
        Some(Ok(n)) => page_size(Some(n), DEFAULT_LIMIT, MAX_LIMIT),
        None => Ok(DEFAULT_LIMIT),
    }
    .map_err(|refused| problems.add("limit", refused.to_string()))
    .ok();
    let after = match asked.cursor {
        None => None,
        Some(cursor) => match cursors.open(SCOPE, cursor) {
            Ok(user_id) if models::is_valid_id(&user_id) => Some(user_id),
            _ => {
                problems.add("cursor", crate::pull::CURSOR_RULE);
                None
            }
        },
    };
    let Some(limit) = limit.filter(|_| problems.is_empty()) else {
        return Err(ListError::Invalid(Invalid {
            kind: InvalidKind::Fields,
            problems,
        }));
    };
    let page = store.connections(limit, after.as_deref()).await?;
    Ok(ConnectionsPage {
        connections: page.items.into_iter().map(view).collect(),
        next: page.next.map(|next| cursors.seal(SCOPE, &next.0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryConnections;
    use crate::ports::{Connection, ConnectionStatus, SaveNotes};

    async fn store(users: &[&str]) -> MemoryConnections {
        let store = MemoryConnections::default();
        for user in users {
            let connection = Connection {
                user_id: (*user).into(),
                reference: "r".into(),
                status: ConnectionStatus::Connected,
                businesses: Vec::new(),
                sealed_tokens: b"secret-tokens".to_vec(),
                access_expires_at: 0,
                scopes: Vec::new(),
                connected_at: 0,
                updated_at: 0,
            };
            store
                .save_connection(&connection, &SaveNotes::default())
                .await
                .unwrap();
        }
        store
    }

    #[tokio::test]
    async fn a_page_ends_with_a_sealed_cursor_that_continues_after_it() {
        let store = store(&["u-1", "u-2", "u-3"]).await;
        let key = CursorKey::new(b"k".to_vec());
        let asked = |cursor| ListAsked {
            limit: Some("2"),
            cursor,
        };
        let first = list(&store, &key, asked(None)).await.unwrap();
        let ids: Vec<&str> = first
            .connections
            .iter()
            .map(|c| c.user_id.as_str())
            .collect();
        assert_eq!(ids, ["u-1", "u-2"]);
        let next = first.next.unwrap();
        assert!(!next.contains("u-2"), "opaque: {next}");
        let second = list(&store, &key, asked(Some(&next))).await.unwrap();
        assert_eq!(second.connections[0].user_id, "u-3");
        assert_eq!(second.next, None);
    }

    #[tokio::test]
    async fn a_changed_cursor_and_a_limit_out_of_bounds_are_both_named() {
        let store = store(&["u-1"]).await;
        let key = CursorKey::new(b"k".to_vec());
        let forged = key.seal("leads|b-1", "u-0");
        let asked = ListAsked {
            limit: Some("0"),
            cursor: Some(&forged),
        };
        let Err(ListError::Invalid(invalid)) = list(&store, &key, asked).await else {
            panic!("refused");
        };
        assert_eq!(invalid.paths(), ["limit", "cursor"]);
    }
}
