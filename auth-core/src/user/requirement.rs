//! What a guard requires: [`Requirement`] as a value, [`Policy`] as a type (so that an
//! extractor can carry it), with [`AnyOf`] / [`AllOf`] and the [`role!`](crate::role) and
//! [`permission!`](crate::permission) macros that declare policies.

use std::{fmt, marker::PhantomData};

use crate::{Permission, Role};

/// What a request's user must have, checked by [`Auth::authorize`](crate::Auth::authorize)
/// against the roles of the configuration: a role (held or included), a permission (granted
/// by the role or one it includes), or a combination.
///
/// An empty [`AnyOf`](Requirement::AnyOf) or [`AllOf`](Requirement::AllOf) is met by nobody:
/// a list built from nothing fails closed.
///
/// ```
/// use auth_core::{Permission, Requirement, Role};
///
/// let review = Requirement::any_of([
///     Requirement::from(Role::new("editor")?),
///     Requirement::from(Permission::new("notes:review")?),
/// ]);
/// assert_eq!(review.to_string(), "any of (role editor, permission notes:review)");
/// # Ok::<(), auth_core::AuthError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// The user's role is this one or includes it.
    Role(Role),
    /// The user's role (or one it includes) grants this permission.
    Permission(Permission),
    /// At least one of these.
    AnyOf(Vec<Requirement>),
    /// Every one of these.
    AllOf(Vec<Requirement>),
}

impl Requirement {
    /// Met when any of `items` is.
    pub fn any_of<I: IntoIterator<Item = Requirement>>(items: I) -> Self {
        Self::AnyOf(items.into_iter().collect())
    }

    /// Met when all of `items` are.
    pub fn all_of<I: IntoIterator<Item = Requirement>>(items: I) -> Self {
        Self::AllOf(items.into_iter().collect())
    }

    /// The requirement the policy `P` names.
    pub fn of<P: Policy>() -> Self {
        P::requirement()
    }
}

impl From<Role> for Requirement {
    fn from(role: Role) -> Self {
        Self::Role(role)
    }
}

impl From<Permission> for Requirement {
    fn from(permission: Permission) -> Self {
        Self::Permission(permission)
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, items) = match self {
            Self::Role(role) => return write!(f, "role {role}"),
            Self::Permission(permission) => return write!(f, "permission {permission}"),
            Self::AnyOf(items) => ("any of", items),
            Self::AllOf(items) => ("all of", items),
        };
        write!(f, "{name} (")?;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        f.write_str(")")
    }
}

/// A [`Requirement`] named by a type, so that a guard can carry it (`Require<P>` in
/// `auth-axum` and `auth-actix`). Declare one with [`role!`](crate::role) or
/// [`permission!`](crate::permission), combine them with [`AnyOf`] and [`AllOf`].
pub trait Policy: Send + Sync + 'static {
    /// The requirement.
    fn requirement() -> Requirement;
}

/// The policy met when any of the tuple's policies is: `AnyOf<(Editor, Reviewer)>`.
pub struct AnyOf<T>(PhantomData<fn() -> T>);

/// The policy met when all of the tuple's policies are: `AllOf<(Editor, WriteNotes)>`.
pub struct AllOf<T>(PhantomData<fn() -> T>);

// By hand: derives would ask the same of the tuple's policies, which guards do not need.
macro_rules! marker_traits {
    ($($ty:ident),+) => {$(
        impl<T> Clone for $ty<T> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<T> Copy for $ty<T> {}

        impl<T> Default for $ty<T> {
            fn default() -> Self {
                Self(PhantomData)
            }
        }

        impl<T> fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(std::any::type_name::<Self>())
            }
        }
    )+};
}

marker_traits!(AnyOf, AllOf);

macro_rules! tuple_policies {
    ($($p:ident),+) => {
        impl<$($p: Policy),+> Policy for AnyOf<($($p,)+)> {
            fn requirement() -> Requirement {
                Requirement::AnyOf(vec![$($p::requirement()),+])
            }
        }

        impl<$($p: Policy),+> Policy for AllOf<($($p,)+)> {
            fn requirement() -> Requirement {
                Requirement::AllOf(vec![$($p::requirement()),+])
            }
        }
    };
}

tuple_policies!(A);
tuple_policies!(A, B);
tuple_policies!(A, B, C);
tuple_policies!(A, B, C, D);
tuple_policies!(A, B, C, D, E);
tuple_policies!(A, B, C, D, E, F);

/// Declares a [`Policy`] type that requires a role. The name is checked when the code
/// compiles.
///
/// ```
/// use auth_core::{Policy, Requirement, Role};
///
/// auth_core::role! {
///     /// Editors, and every role that includes `editor`.
///     pub Editor = "editor"
/// }
/// assert_eq!(Editor::requirement(), Requirement::Role(Role::new("editor")?));
/// # Ok::<(), auth_core::AuthError>(())
/// ```
///
/// ```compile_fail,E0080
/// auth_core::role!(pub Editor = "Editor"); // upper case: not a role name
/// ```
#[macro_export]
macro_rules! role {
    ($(#[$meta:meta])* $vis:vis $name:ident = $role:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        $vis struct $name;

        // Always evaluated, so that a bad name fails the build even where the policy is
        // never used.
        const _: $crate::Role = $crate::Role::from_static($role);

        impl $crate::Policy for $name {
            fn requirement() -> $crate::Requirement {
                $crate::Requirement::Role(const { $crate::Role::from_static($role) })
            }
        }
    };
}

/// Declares a [`Policy`] type that requires a permission. The name is checked when the code
/// compiles.
///
/// ```
/// use auth_core::{Permission, Policy, Requirement};
///
/// auth_core::permission! {
///     /// Whoever may change notes.
///     pub WriteNotes = "notes:write"
/// }
/// assert_eq!(WriteNotes::requirement(), Requirement::Permission(Permission::new("notes:write")?));
/// # Ok::<(), auth_core::AuthError>(())
/// ```
///
/// ```compile_fail,E0080
/// auth_core::permission!(pub WriteNotes = "notes write"); // a space: not a permission name
/// ```
#[macro_export]
macro_rules! permission {
    ($(#[$meta:meta])* $vis:vis $name:ident = $permission:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        $vis struct $name;

        // Always evaluated, so that a bad name fails the build even where the policy is
        // never used.
        const _: $crate::Permission = $crate::Permission::from_static($permission);

        impl $crate::Policy for $name {
            fn requirement() -> $crate::Requirement {
                $crate::Requirement::Permission(const { $crate::Permission::from_static($permission) })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::role!(Editor = "editor");
    crate::role!(Admin = "admin");
    crate::permission!(WriteNotes = "notes:write");

    #[test]
    fn combinators_build_the_requirement_of_their_parts() {
        let editor = Requirement::Role(Role::from_static("editor"));
        let write = Requirement::Permission(Permission::from_static("notes:write"));
        assert_eq!(Admin::requirement(), Requirement::Role(Role::Admin));
        assert_eq!(
            Requirement::of::<AnyOf<(Editor, WriteNotes)>>(),
            Requirement::AnyOf(vec![editor.clone(), write.clone()])
        );
        let nested = <AllOf<(AnyOf<(Editor, Admin)>, WriteNotes)>>::requirement();
        assert_eq!(
            nested,
            Requirement::all_of([Requirement::any_of([editor, Role::Admin.into()]), write.clone()])
        );
        assert_eq!(
            nested.to_string(),
            "all of (any of (role editor, role admin), permission notes:write)"
        );
        assert_eq!(<AllOf<(WriteNotes,)>>::requirement(), Requirement::AllOf(vec![write]));
    }
}
