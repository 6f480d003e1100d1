//! `GET /metrics`: the Prometheus metrics of this process in the OpenMetrics text format (no token needed).

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

use crate::error::Error;
use crate::state::AppState;

pub async fn get(State(state): State<AppState>) -> Result<impl IntoResponse, Error> {
    let text = state
        .metrics()
        .encode()
        .map_err(|_| Error::Internal("encoding the metrics failed".into()))?;
    let headers = [
        (CONTENT_TYPE, crate::metrics::CONTENT_TYPE),
        (CACHE_CONTROL, "no-store"),
    ];
    Ok((headers, text))
}
