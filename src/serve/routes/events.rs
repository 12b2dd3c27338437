//! `GET /v1/accounts/{id}/events`: a Server-Sent Events stream of the account's transitions.
//! After every applied transition a subscriber receives the new balances, mode and version
//! (the event's id) and the ledger group. A client that reconnects with `Last-Event-ID` first
//! gets every event it missed (from the store's `events` table), then the live ones; nothing is
//! sent twice or out of order. On SQLite this process broadcasts its own transitions; on
//! PostgreSQL every server hears every server's through `LISTEN`/`NOTIFY`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use crate::serve::auth::Caller;
use crate::serve::error::{ApiError, ApiResult, ErrorBody};
use crate::serve::state::{App, Change};
use crate::serve::store::Store;

/// The most missed events sent on a reconnect; a client further behind reads the account.
pub const MAX_REPLAY: u32 = 1_000;

/// What the stream has to send next.
struct Cursor {
    app: App,
    account: String,
    last: u64,
    backlog: std::collections::VecDeque<Change>,
    live: tokio::sync::broadcast::Receiver<Change>,
}

fn sse_event(c: &Change) -> Event {
    Event::default()
        .id(c.version.to_string())
        .event("transition")
        .data(c.payload.clone())
}

/// The account's transitions, as they happen.
#[utoipa::path(
    get,
    path = "/v1/accounts/{id}/events",
    params(
        ("id" = String, Path, description = "The account's id"),
        ("Last-Event-ID" = Option<u64>, Header, description = "The last event received: send what came after it first")
    ),
    responses(
        (status = 200, description = "`text/event-stream`: one `transition` event per applied transition; its data is an EventPayload", content_type = "text/event-stream", body = String),
        (status = 401, description = "No key, or an unknown key", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)
    ),
    security(("key" = []))
)]
pub async fn events(
    State(app): State<App>,
    Path(id): Path<String>,
    _caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    // Subscribe first, then read the store: an event committed in between is in one or both,
    // and the version cursor drops the duplicate.
    let live = app.subscribe();
    let Some(snapshot) = app.store().account(&id).await? else {
        return Err(ApiError::account_not_found(&id));
    };
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(snapshot.version);
    let backlog = app
        .store()
        .events_after(&id, last, MAX_REPLAY)
        .await?
        .into_iter()
        .map(|e| Change {
            account: id.clone(),
            version: e.version,
            payload: e.payload,
        })
        .collect();
    let cursor = Cursor {
        app,
        account: id,
        last,
        backlog,
        live,
    };
    Ok(Sse::new(stream(cursor))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

fn stream(cursor: Cursor) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(cursor, |mut c| async move {
        loop {
            if let Some(next) = c.backlog.pop_front() {
                if next.version > c.last {
                    c.last = next.version;
                    return Some((Ok(sse_event(&next)), c));
                }
                continue;
            }
            match c.live.recv().await {
                Ok(change) if change.account == c.account && change.version > c.last => {
                    c.last = change.version;
                    return Some((Ok(sse_event(&change)), c));
                }
                Ok(_) => {}
                // Fell behind the broadcast: catch up from the store.
                Err(RecvError::Lagged(_)) => {
                    let missed = c
                        .app
                        .store()
                        .events_after(&c.account, c.last, MAX_REPLAY)
                        .await
                        .unwrap_or_default();
                    c.backlog = missed
                        .into_iter()
                        .map(|e| Change {
                            account: c.account.clone(),
                            version: e.version,
                            payload: e.payload,
                        })
                        .collect();
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
