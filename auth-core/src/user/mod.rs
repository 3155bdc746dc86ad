//! Users and roles: identifiers, validated usernames and e-mails, roles with their hierarchy
//! and permissions, the requirements guards check, and the record types
//! that stores keep ([`UserRecord`], with the password hash) and that clients see ([`User`],
//! without it).

mod email;
mod id;
mod name;
mod page;
mod permission;
mod record;
mod requirement;
mod role;
mod role_definition;
mod roles;
mod username;

pub use email::Email;
pub use id::UserId;
pub use page::Page;
pub use permission::Permission;
pub use record::{Address, NewUser, User, UserRecord, UserSnapshot, UserUpdate};
pub use requirement::{AllOf, AnyOf, Policy, Requirement};
pub use role::{CustomRole, Role};
pub use role_definition::{PermissionName, RoleDefinition, RoleName};
pub use roles::{Grants, Roles};
pub use username::{Username, UsernameRules};
