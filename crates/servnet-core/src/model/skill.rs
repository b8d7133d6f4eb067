use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What is done for the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    /// Bring a new product to the customer.
    Delivery,
    /// Install a new product.
    Install,
    /// Repair a product in service.
    Repair,
    /// Scheduled maintenance.
    Maintenance,
    /// Inspection visit.
    Inspection,
}

impl ServiceKind {
    /// All kinds, in declaration order.
    pub const ALL: [ServiceKind; 5] = [
        ServiceKind::Delivery,
        ServiceKind::Install,
        ServiceKind::Repair,
        ServiceKind::Maintenance,
        ServiceKind::Inspection,
    ];

    /// The lower-case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Delivery => "delivery",
            ServiceKind::Install => "install",
            ServiceKind::Repair => "repair",
            ServiceKind::Maintenance => "maintenance",
            ServiceKind::Inspection => "inspection",
        }
    }
}

impl FromStr for ServiceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ServiceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "expected one of delivery, install, repair, maintenance, inspection; got '{s}'"
                )
            })
    }
}

/// A service kind for a product category, written `kind:category` (e.g. `repair:tv`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Skill {
    /// The service kind.
    pub kind: ServiceKind,
    /// Product category, lower case `[a-z0-9_]+`.
    pub category: String,
}

impl fmt::Display for Skill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.category)
    }
}

/// Checks a product category name: non-empty, `[a-z0-9_]+`.
pub(crate) fn check_category(s: &str) -> Result<(), String> {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(())
    } else {
        Err(format!(
            "expected a product category of lower-case letters, digits and '_', got '{s}'"
        ))
    }
}

impl FromStr for Skill {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, category) = skill_parts(s)?;
        Ok(Skill {
            kind,
            category: category.to_string(),
        })
    }
}

/// The kind and category of skill text `kind:category`, checked as [`Skill`]'s
/// `from_str` checks it (same messages), without building the skill.
pub(crate) fn skill_parts(s: &str) -> Result<(ServiceKind, &str), String> {
    let (kind, category) = s
        .split_once(':')
        .ok_or_else(|| format!("expected a skill 'kind:category' (e.g. repair:tv), got '{s}'"))?;
    check_category(category)?;
    Ok((kind.parse()?, category))
}

/// Dense index of a skill inside one [`crate::model::Network`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SkillId(pub u32);

impl SkillId {
    /// The index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_round_trips_through_its_text_form() {
        let s: Skill = "install:air_conditioner"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.kind, ServiceKind::Install);
        assert_eq!(s.to_string(), "install:air_conditioner");
    }

    #[test]
    fn bad_skills_say_what_was_expected() {
        for bad in ["repair", "fix:tv", "repair:TV", "repair:", ":tv"] {
            let e = bad.parse::<Skill>().err().unwrap_or_default();
            assert!(e.starts_with("expected"), "{bad}: {e}");
        }
    }
}
