use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Urgency of a ticket, most urgent first (so `Ord` sorts emergencies first).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Safety issue or total outage.
    Emergency,
    /// Urgent.
    High,
    /// The default.
    #[default]
    Normal,
    /// Can wait.
    Low,
}

impl Priority {
    /// All priorities, most urgent first.
    pub const ALL: [Priority; 4] = [
        Priority::Emergency,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];

    /// The lower-case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "emergency",
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }
}

impl FromStr for Priority {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("expected one of emergency, high, normal, low; got '{s}'"))
    }
}

/// Customer tier: VIP customers may be weighted up by a dispatch policy.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum CustomerTier {
    /// Ordinary customer.
    #[default]
    Standard,
    /// Priority customer.
    Vip,
}

impl FromStr for CustomerTier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "standard" => Ok(CustomerTier::Standard),
            "vip" => Ok(CustomerTier::Vip),
            _ => Err(format!("expected standard or vip, got '{s}'")),
        }
    }
}

/// A service order: one skill at one customer location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Caller's id, unique.
    pub id: String,
    /// Customer longitude.
    pub lon: f64,
    /// Customer latitude.
    pub lat: f64,
    /// Customer's region code.
    pub region: String,
    /// The skill needed, `kind:category`.
    pub skill: String,
    /// Capacity units the ticket consumes (default 1).
    pub units: u32,
    /// Urgency.
    pub priority: Priority,
    /// When the ticket was opened.
    pub created_at: NaiveDateTime,
    /// SLA deadline.
    pub due_by: NaiveDateTime,
    /// Customer tier.
    pub customer_tier: CustomerTier,
    /// Outlets not to send (e.g. after a complaint).
    pub avoid: Vec<String>,
    /// Preferred outlet, if any.
    pub preferred: Option<String>,
}

impl Ticket {
    /// A normal-priority one-unit ticket, due 48 h after `created_at`.
    pub fn new(
        id: &str,
        lon: f64,
        lat: f64,
        region: &str,
        skill: &str,
        created_at: NaiveDateTime,
    ) -> Self {
        Ticket {
            id: id.to_string(),
            lon,
            lat,
            region: region.to_string(),
            skill: skill.to_string(),
            units: 1,
            priority: Priority::Normal,
            created_at,
            due_by: created_at + chrono::Duration::hours(48),
            customer_tier: CustomerTier::Standard,
            avoid: Vec::new(),
            preferred: None,
        }
    }
}
