//! The role hierarchy: [`RoleDefinition`]s an application declares, resolved once into
//! [`Roles`] (what each role includes and grants, cycles refused), which every
//! [`Requirement`] is checked against.

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use super::RoleDefinition;
use crate::{Permission, Requirement, Role};

/// What a role has: itself and every role it includes, directly or not, and every permission
/// they grant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// Sorted by name (roles have no order of their own: which is "more" is the hierarchy's
    /// business, not a comparison's).
    roles: Vec<Role>,
    permissions: BTreeSet<Permission>,
}

impl Grants {
    /// Whether the role is `role` or includes it.
    pub fn has_role(&self, role: &Role) -> bool {
        self.roles.binary_search_by(|r| r.as_str().cmp(role.as_str())).is_ok()
    }

    /// Whether the role, or one it includes, grants `permission`.
    pub fn has_permission(&self, permission: &Permission) -> bool {
        self.permissions.contains(permission)
    }

    /// The role and every role it includes, by name.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.iter()
    }

    /// Every permission the role has, by name.
    pub fn permissions(&self) -> impl Iterator<Item = &Permission> {
        self.permissions.iter()
    }
}

/// The resolved roles of a configuration ([`AuthConfig::roles`](crate::AuthConfig::roles)):
/// `user` and `admin` (`admin` includes `user`), and those the application declared.
///
/// A role that is not among them (a stored role the configuration no longer declares) has
/// nothing: every requirement fails for it, and it is logged once per role. A requirement
/// naming a role nobody declared, or a permission no role grants (a typo in a guard), is met
/// by nobody and logged once per name too.
#[derive(Debug, Clone)]
pub struct Roles {
    table: HashMap<Role, Grants>,
    names: Vec<Role>,
    permissions: HashSet<Permission>,
    reports: Arc<Reports>,
}

/// What [`Roles`] has logged: each misconfiguration once, up to [`MAX_REPORTS`] of them,
/// then one line saying that it stopped.
#[derive(Debug, Default)]
struct Reports {
    seen: Mutex<HashSet<String>>,
    full: AtomicBool,
}

/// How many distinct misconfigurations [`Roles`] logs before it stays quiet.
const MAX_REPORTS: usize = 64;

impl Default for Roles {
    fn default() -> Self {
        Self::resolve(&[]).expect("the built-in roles resolve")
    }
}

impl Roles {
    /// Resolves the definitions over the built-in roles: names valid and declared once,
    /// included roles declared, no role including itself through others.
    pub(crate) fn resolve(definitions: &[RoleDefinition]) -> Result<Self, String> {
        let mut names = vec![Role::User, Role::Admin];
        let mut includes: HashMap<Role, Vec<Role>> =
            HashMap::from([(Role::User, vec![]), (Role::Admin, vec![Role::User])]);
        let mut grants: HashMap<Role, Vec<Permission>> = HashMap::new();
        let mut declared = HashSet::new();
        for def in definitions {
            let role = Role::new(&def.name).map_err(|_| {
                format!("role {:?}: not a role name (1 to 32 of a-z, 0-9, '_', '-')", def.name)
            })?;
            if !declared.insert(role.clone()) {
                return Err(format!("role \"{role}\" is declared twice"));
            }
            if role == Role::User && !def.includes.is_empty() {
                return Err("role \"user\" is included by every role; it cannot include one".into());
            }
            if !includes.contains_key(&role) {
                names.push(role.clone());
                includes.insert(role.clone(), vec![Role::User]);
            }
            for p in &def.grants {
                let permission = Permission::new(p)
                    .map_err(|_| format!("role \"{role}\" grants {p:?}: not a permission name"))?;
                grants.entry(role.clone()).or_default().push(permission);
            }
        }
        for def in definitions {
            let role = Role::new(&def.name).map_err(|e| e.to_string())?;
            for name in &def.includes {
                let included = Role::new(name).ok().filter(|r| includes.contains_key(r));
                let included = included.ok_or_else(|| {
                    format!("role \"{role}\" includes {name:?}, which is not declared")
                })?;
                includes.get_mut(&role).expect("declared above").push(included);
            }
        }
        if let Some(cycle) = find_cycle(&names, &includes) {
            let path: Vec<&str> = cycle.iter().map(Role::as_str).collect();
            return Err(format!("roles include each other in a cycle: {}", path.join(" > ")));
        }

        let mut table = HashMap::new();
        for role in &names {
            let mut resolved = Grants::default();
            let mut seen = HashSet::new();
            let mut stack = vec![role.clone()];
            while let Some(next) = stack.pop() {
                if seen.insert(next.clone()) {
                    resolved.permissions.extend(grants.get(&next).into_iter().flatten().cloned());
                    stack.extend(includes[&next].iter().cloned());
                    resolved.roles.push(next);
                }
            }
            resolved.roles.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            if *role != Role::Admin && resolved.has_role(&Role::Admin) {
                return Err(format!(
                    "role \"{role}\" includes admin; admin is the top role (it may include \
                     others, none may include it)"
                ));
            }
            table.insert(role.clone(), resolved);
        }
        let permissions = grants.into_values().flatten().collect();
        Ok(Self { table, names, permissions, reports: Arc::default() })
    }

    /// Every role: `user`, `admin`, then the declared ones in the order of declaration.
    pub fn names(&self) -> impl Iterator<Item = &Role> {
        self.names.iter()
    }

    /// Whether `role` is built in or declared.
    pub fn contains(&self, role: &Role) -> bool {
        self.table.contains_key(role)
    }

    /// What `role` has; `None` for a role the configuration does not know.
    pub fn grants(&self, role: &Role) -> Option<&Grants> {
        self.table.get(role)
    }

    /// Whether a user with `role` meets `required`. A role the configuration does not know
    /// meets nothing (and is logged once).
    pub fn allows(&self, role: &Role, required: &Requirement) -> bool {
        match self.table.get(role) {
            Some(grants) => self.meets(grants, required),
            None => {
                self.report(&format!("role:{role}"), || {
                    format!("a user's role \"{role}\" is not declared: it grants nothing")
                });
                false
            }
        }
    }

    fn meets(&self, grants: &Grants, required: &Requirement) -> bool {
        match required {
            Requirement::Role(role) => {
                if !self.contains(role) {
                    self.report(&format!("guard-role:{role}"), || {
                        format!("a guard requires role \"{role}\", which is not declared")
                    });
                }
                grants.has_role(role)
            }
            Requirement::Permission(permission) => {
                if !self.permissions.contains(permission) {
                    self.report(&format!("guard-permission:{permission}"), || {
                        format!(
                            "a guard requires permission \"{permission}\", which no role grants"
                        )
                    });
                }
                grants.has_permission(permission)
            }
            Requirement::AnyOf(items) => items.iter().any(|r| self.meets(grants, r)),
            Requirement::AllOf(items) => {
                !items.is_empty() && items.iter().all(|r| self.meets(grants, r))
            }
        }
    }

    /// Logs `message()` at warning level the first time `key` is reported, while fewer than
    /// [`MAX_REPORTS`] keys were; says once that it stops when the budget is spent.
    pub(crate) fn report(&self, key: &str, message: impl FnOnce() -> String) {
        if self.reports.full.load(Ordering::Relaxed) {
            return;
        }
        let mut seen = self.reports.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(key) {
            return;
        }
        if seen.len() == MAX_REPORTS {
            self.reports.full.store(true, Ordering::Relaxed);
            tracing::warn!(target: "auth::roles", "{MAX_REPORTS} role misconfigurations logged; further ones are not");
            return;
        }
        seen.insert(key.to_owned());
        let message = message();
        tracing::warn!(target: "auth::roles", "{message}");
    }
}

/// A path `a > b > … > a` through `includes`, if the roles include each other in a cycle.
fn find_cycle(names: &[Role], includes: &HashMap<Role, Vec<Role>>) -> Option<Vec<Role>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        role: &Role,
        includes: &HashMap<Role, Vec<Role>>,
        marks: &mut HashMap<Role, Mark>,
        path: &mut Vec<Role>,
    ) -> Option<Vec<Role>> {
        match marks.get(role) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start =
                    path.iter().position(|r| r == role).expect("open roles are on the path");
                let mut cycle = path[start..].to_vec();
                cycle.push(role.clone());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(role.clone(), Mark::Open);
        path.push(role.clone());
        for next in &includes[role] {
            if let Some(cycle) = visit(next, includes, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(role.clone(), Mark::Done);
        None
    }
    let mut marks = HashMap::new();
    names.iter().find_map(|role| visit(role, includes, &mut marks, &mut Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> Role {
        Role::new(name).unwrap()
    }

    fn permission(name: &str) -> Requirement {
        Requirement::Permission(Permission::new(name).unwrap())
    }

    fn three_roles() -> Roles {
        Roles::resolve(&[
            RoleDefinition::new("viewer").grants(["notes:read"]),
            RoleDefinition::new("editor").includes(["viewer"]).grants(["notes:write"]),
            RoleDefinition::new("admin").includes(["editor"]).grants(["notes:delete"]),
        ])
        .unwrap()
    }

    #[test]
    fn the_built_in_roles_alone() {
        let roles = Roles::default();
        assert_eq!(roles.names().cloned().collect::<Vec<_>>(), [Role::User, Role::Admin]);
        assert!(roles.allows(&Role::Admin, &Role::User.into()));
        assert!(roles.allows(&Role::Admin, &Role::Admin.into()));
        assert!(roles.allows(&Role::User, &Role::User.into()));
        assert!(!roles.allows(&Role::User, &Role::Admin.into()));
    }

    #[test]
    fn roles_have_what_they_include_directly_or_not() {
        let roles = three_roles();
        let names: Vec<&str> = roles.names().map(Role::as_str).collect();
        assert_eq!(names, ["user", "admin", "viewer", "editor"]);
        let admin = roles.grants(&Role::Admin).unwrap();
        let held: Vec<&str> = admin.roles().map(Role::as_str).collect();
        assert_eq!(held, ["admin", "editor", "user", "viewer"]);
        let perms: Vec<&str> = admin.permissions().map(Permission::as_str).collect();
        assert_eq!(perms, ["notes:delete", "notes:read", "notes:write"]);
        let viewer = role("viewer");
        assert!(roles.allows(&viewer, &Role::User.into()));
        assert!(roles.allows(&viewer, &permission("notes:read")));
        assert!(!roles.allows(&viewer, &permission("notes:write")));
        assert!(!roles.allows(&viewer, &role("editor").into()));
        assert!(roles.allows(&role("editor"), &role("viewer").into()));
        assert!(!roles.allows(&role("editor"), &Role::Admin.into()));
        assert!(!roles.allows(&Role::User, &permission("notes:read")));
    }

    #[test]
    fn any_of_and_all_of() {
        let roles = three_roles();
        let editor = role("editor");
        let either = Requirement::any_of([Role::Admin.into(), permission("notes:write")]);
        assert!(roles.allows(&editor, &either));
        assert!(!roles.allows(&role("viewer"), &either));
        let both = Requirement::all_of([Role::Admin.into(), permission("notes:write")]);
        assert!(!roles.allows(&editor, &both));
        assert!(roles.allows(&Role::Admin, &both));
        for empty in [Requirement::any_of([]), Requirement::all_of([])] {
            assert!(!roles.allows(&Role::Admin, &empty), "{empty} fails closed");
        }
    }

    #[test]
    fn an_unknown_stored_role_grants_nothing() {
        let roles = three_roles();
        let gone = role("moderator");
        assert!(roles.grants(&gone).is_none() && !roles.contains(&gone));
        for required in [Role::User.into(), permission("notes:read"), gone.clone().into()] {
            assert!(!roles.allows(&gone, &required), "{required}");
        }
        // Nor does a requirement naming what nobody declared let anyone through.
        assert!(!roles.allows(&Role::Admin, &role("moderator").into()));
        assert!(!roles.allows(&Role::Admin, &permission("notes:archive")));
    }

    #[test]
    fn misconfigurations_are_refused() {
        let refused = |defs: &[RoleDefinition]| Roles::resolve(defs).unwrap_err();
        let cycle = refused(&[
            RoleDefinition::new("a").includes(["b"]),
            RoleDefinition::new("b").includes(["c"]),
            RoleDefinition::new("c").includes(["a"]),
        ]);
        assert_eq!(cycle, "roles include each other in a cycle: a > b > c > a");
        let itself = refused(&[RoleDefinition::new("a").includes(["a"])]);
        assert_eq!(itself, "roles include each other in a cycle: a > a");
        let through_admin = refused(&[
            RoleDefinition::new("owner").includes(["admin"]),
            RoleDefinition::new("admin").includes(["owner"]),
        ]);
        assert!(through_admin.contains("cycle"), "{through_admin}");
        let above = refused(&[RoleDefinition::new("owner").includes(["admin"])]);
        assert!(above.starts_with("role \"owner\" includes admin"), "{above}");
        // Found through the closure: `owner` includes admin only through `deputy`.
        let above_indirectly = refused(&[
            RoleDefinition::new("owner").includes(["deputy"]),
            RoleDefinition::new("deputy").includes(["admin"]),
        ]);
        assert!(
            above_indirectly.starts_with("role \"owner\" includes admin"),
            "{above_indirectly}"
        );
        assert!(refused(&[RoleDefinition::new("a").includes(["ghost"])]).contains("not declared"));
        assert!(refused(&[RoleDefinition::new("Editor")]).contains("not a role name"));
        assert!(refused(&[RoleDefinition::new("a").grants(["No"])]).contains("permission"));
        assert!(refused(&[RoleDefinition::new("a"), RoleDefinition::new("a")]).contains("twice"));
        assert!(refused(&[RoleDefinition::new("user").includes(["admin"])]).contains("user"));
    }

    #[test]
    fn user_may_grant_what_every_role_then_has() {
        let roles = Roles::resolve(&[
            RoleDefinition::new("user").grants(["profile:edit"]),
            RoleDefinition::new("support"),
        ])
        .unwrap();
        for r in [Role::User, Role::Admin, role("support")] {
            assert!(roles.allows(&r, &permission("profile:edit")), "{r}");
        }
    }

    #[test]
    fn misconfigurations_are_logged_once_each() {
        let log = Arc::new(tempfile::tempfile().unwrap());
        let subscriber =
            tracing_subscriber::fmt().with_writer(log.clone()).with_ansi(false).finish();
        let roles = three_roles();
        tracing::subscriber::with_default(subscriber, || {
            for _ in 0..3 {
                assert!(!roles.allows(&role("moderator"), &Role::User.into()));
                assert!(!roles.allows(&Role::Admin, &role("edtor").into()));
                assert!(!roles.allows(&Role::Admin, &permission("notes:wirte")));
                assert!(roles.allows(&Role::Admin, &permission("notes:write")));
            }
        });
        let mut text = String::new();
        let mut file: &std::fs::File = &log;
        std::io::Seek::rewind(&mut file).unwrap();
        std::io::Read::read_to_string(&mut file, &mut text).unwrap();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert_eq!(text.matches("WARN").count(), 3, "{text}");
        assert!(text.contains(r#"a user's role "moderator" is not declared: it grants nothing"#));
        assert!(text.contains(r#"a guard requires role "edtor", which is not declared"#));
        assert!(
            text.contains(r#"a guard requires permission "notes:wirte", which no role grants"#)
        );
    }
}
