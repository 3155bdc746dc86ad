//! Users and roles: identifiers, validated usernames and e-mails, roles, and the record types
//! that stores keep ([`UserRecord`], with the password hash) and that clients see ([`User`],
//! without it).

mod email;
mod id;
mod page;
mod record;
mod role;
mod username;

pub use email::Email;
pub use id::UserId;
pub use page::Page;
pub use record::{Address, NewUser, User, UserRecord, UserSnapshot, UserUpdate};
pub use role::Role;
pub use username::{Username, UsernameRules};
