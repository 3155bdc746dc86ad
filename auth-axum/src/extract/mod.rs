//! Extractors, one file each: [`Claims`] (stateless), [`CurrentUser`] / [`MaybeUser`]
//! (store-checked), [`Admin`] (role guard), [`Client`] (IP and user agent), and bodies and
//! parameters with the API's rejections.

mod admin;
pub(crate) mod body;
mod claims;
mod client;
mod current_user;
mod params;

pub use admin::Admin;
pub use body::{ApiJson, JsonOrForm, OptionalJsonOrForm, form_rejection, json_rejection};
pub use claims::Claims;
pub use client::Client;
pub use current_user::{CurrentUser, MaybeUser};
pub use params::{ApiPath, ApiQuery};
