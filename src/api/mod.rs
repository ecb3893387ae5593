//! The Misar keys API (SPEC §2): an HTTP client with one base-URL policy,
//! one place that sets the bearer credential, explicit timeouts and one retry
//! loop ([`client`]), and the wire types of its bodies ([`model`]).
//!
//! Nothing here decides what a status *means* for a key: that mapping lives in
//! [`crate::verify`], so it can be unit-tested without a network.

pub mod client;
pub mod model;

pub use client::{ApiClient, ApiError, BaseUrl, ClientOptions, RawResponse};
pub use model::KeyEntry;
