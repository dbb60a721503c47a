//! [`JsonBody`]: a JSON request body read up to `HTTP_MAX_BODY_BYTES` and decoded with errors a
//! client can act on ([`crate::adapters::inbound::malformed`]): the field at fault and what it
//! should be, in words.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures::future::LocalBoxFuture;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::body::is_body_timeout;
use super::errors::ApiError;
use crate::adapters::inbound::malformed;
use crate::config::DEFAULT_HTTP_MAX_BODY_BYTES;

/// The largest body a route reads (`HTTP_MAX_BODY_BYTES`), registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body decoded as `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    /// The decoded body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map_or(DEFAULT_HTTP_MAX_BODY_BYTES, |limit| limit.0);
        let is_json = req.mime_type().ok().flatten().is_some_and(|mime| {
            mime.subtype().as_str() == "json" || mime.suffix().map(|s| s.as_str()) == Some("json")
        });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::BadJson(
                    "the body must be JSON (Content-Type: application/json)".into(),
                ));
            }
            if declared.is_some_and(|n| n > limit as u64) {
                return Err(ApiError::TooLarge);
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| match e {
                    e if is_body_timeout(&e) => ApiError::BodyTimeout,
                    PayloadError::Overflow => ApiError::TooLarge,
                    _ => ApiError::BadJson("the body could not be read to its end".into()),
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            let value: Value = serde_json::from_slice(&body)
                .map_err(|e| ApiError::BadJson(malformed::syntax("the body", &e)))?;
            match T::deserialize(&value) {
                Ok(decoded) => Ok(JsonBody(decoded)),
                Err(_) => Err(ApiError::BadJson(malformed::describe::<T>(
                    "the body", &value,
                ))),
            }
        })
    }
}
