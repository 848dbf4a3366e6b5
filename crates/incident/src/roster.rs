//! People and roles: the team's roster, as the runbook file gives it.
//!
//! Each person has a canonical handle (what events record), a display name,
//! aliases (emails, chat handles), the roles they may hold, and contact addresses
//! per channel (free keys: `email`, `slack`, `teams`, `phone`, `pagerduty`...).
//! Names given on the command line are resolved through the roster ignoring case
//! and surrounding spaces, by handle or alias, so `alice`, `ALICE` and
//! `alice@example.com` are one person.
//!
//! Identity on the command line is self-asserted (`--actor`, `$CVERUN_ACTOR`,
//! `$USER`): the roster makes names consistent and checks that a person may hold a
//! role, it does not authenticate anyone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Role;

/// The longest handle or alias.
pub const MAX_NAME_LEN: usize = 128;

/// A role the runbook knows: its id, its label, and other names for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleDef {
    /// The id (`commander`, `dba`).
    pub id: Role,
    /// The label for people (`incident commander`, `Database administrator`).
    pub label: String,
    /// Other names accepted on the command line (`ic`, `security`).
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// One person of the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The canonical handle, recorded in events.
    pub handle: String,
    /// The display name.
    pub name: String,
    /// Other names that mean this person (emails, chat handles).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The roles this person may hold (and the approvals those roles may give).
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Contact addresses by channel (`email`, `slack`, `phone`...).
    #[serde(default)]
    pub contact: BTreeMap<String, String>,
}

impl Person {
    /// Whether `name` (any case) is this person's handle or one of the aliases.
    pub fn answers_to(&self, name: &str) -> bool {
        let n = fold_name(name);
        fold_name(&self.handle) == n || self.aliases.iter().any(|a| fold_name(a) == n)
    }

    /// Whether this person may hold `role`.
    pub fn may_hold(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// How names are compared: trimmed, lower-case.
pub fn fold_name(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Whether `s` can be a handle or alias: 1 to 128 characters, no spaces or
/// control characters.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= MAX_NAME_LEN
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The person `name` means in `people`, if any.
pub fn find<'a>(people: &'a [Person], name: &str) -> Option<&'a Person> {
    people.iter().find(|p| p.answers_to(name))
}

/// The built-in roles with their labels and aliases.
pub fn builtin_roles() -> Vec<RoleDef> {
    Role::BUILT_IN
        .iter()
        .map(|r| RoleDef {
            id: *r,
            label: r.label().to_owned(),
            aliases: r
                .builtin_aliases()
                .iter()
                .map(|a| (*a).to_owned())
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_by_handle_or_alias_in_any_case() {
        let p = Person {
            handle: "alice".into(),
            name: "Alice Martin".into(),
            aliases: vec!["Alice@Example.com".into()],
            roles: vec![Role::Commander],
            contact: BTreeMap::new(),
        };
        assert!(p.answers_to("ALICE"));
        assert!(p.answers_to(" alice@example.COM "));
        assert!(!p.answers_to("alice2"));
        assert!(p.may_hold(Role::Commander) && !p.may_hold(Role::SecurityLead));
        assert!(valid_name("@alice") && !valid_name("a b") && !valid_name(""));
        assert_eq!(builtin_roles()[0].aliases, vec!["ic", "incident-commander"]);
    }
}
