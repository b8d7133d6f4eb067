//! Live changes to the network a dispatcher serves: an outlet's status, a skill's daily
//! capacity, an outlet's daily cap, new outlets. [`super::Dispatcher::apply`] rebuilds
//! the search over the changed network and keeps every booking; a durable ledger
//! records the change, so reopening its state folder applies it again.

use crate::model::{Network, Outlet, OutletStatus};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// One change to the network (JSON: `{"change": "outlet_status", ...}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case", deny_unknown_fields)]
pub enum NetworkChange {
    /// An outlet's status (suspended and closed outlets take no new tickets; their
    /// bookings stay).
    OutletStatus {
        /// The outlet.
        outlet_id: String,
        /// Its new status.
        status: OutletStatus,
    },
    /// The daily capacity of one of an outlet's skills (bookings above a lowered
    /// capacity stay; no new ones are made until there is room).
    SkillCapacity {
        /// The outlet.
        outlet_id: String,
        /// The skill, `kind:category`.
        skill: String,
        /// Ticket units per day.
        daily_capacity: u32,
    },
    /// An outlet's daily cap over all its skills.
    OutletCap {
        /// The outlet.
        outlet_id: String,
        /// Ticket units per day.
        daily_cap: u32,
    },
    /// New outlets (ids not in the network; their `load` is booked on the first day
    /// counted).
    AddOutlets {
        /// The outlets, validated like `outlets.csv` rows.
        outlets: Vec<Outlet>,
    },
}

impl NetworkChange {
    /// The network with this change made (validated like a network read from files).
    pub fn apply(&self, network: &Network) -> Result<Network> {
        let mut outlets = network.outlets().to_vec();
        self.apply_to(&mut outlets)?;
        Ok(Network::new(outlets, network.regions().to_vec())?.with_settings_of(network))
    }

    /// Makes this change to a network's outlets (checked against them; the network they
    /// form is validated by the caller, once for a list of changes).
    fn apply_to(&self, outlets: &mut Vec<Outlet>) -> Result<()> {
        let find = |outlets: &mut Vec<Outlet>, id: &str| -> Result<usize> {
            outlets
                .iter()
                .position(|o| o.id == id)
                .ok_or_else(|| Error::Unknown {
                    kind: "outlet",
                    id: id.to_string(),
                })
        };
        match self {
            NetworkChange::OutletStatus { outlet_id, status } => {
                let i = find(outlets, outlet_id)?;
                outlets[i].status = *status;
            }
            NetworkChange::SkillCapacity {
                outlet_id,
                skill,
                daily_capacity,
            } => {
                let i = find(outlets, outlet_id)?;
                let s = outlets[i]
                    .skills
                    .iter_mut()
                    .find(|s| s.skill.to_string() == *skill)
                    .ok_or_else(|| {
                        Error::argument(
                            "skill",
                            format!("outlet '{outlet_id}' does not offer skill '{skill}'"),
                        )
                    })?;
                s.daily_capacity = *daily_capacity;
            }
            NetworkChange::OutletCap {
                outlet_id,
                daily_cap,
            } => {
                let i = find(outlets, outlet_id)?;
                outlets[i].daily_cap = *daily_cap;
            }
            NetworkChange::AddOutlets { outlets: new } => {
                if let Some(o) = new.iter().find(|o| outlets.iter().any(|x| x.id == o.id)) {
                    return Err(Error::argument(
                        "outlets",
                        format!("outlet '{}' is in the network already", o.id),
                    ));
                }
                outlets.extend(new.iter().cloned());
            }
        }
        Ok(())
    }

    /// What it changes, for messages: `outlet_status O12`.
    pub fn describe(&self) -> String {
        match self {
            NetworkChange::OutletStatus { outlet_id, status } => {
                format!("outlet_status {outlet_id} {}", status.as_str())
            }
            NetworkChange::SkillCapacity {
                outlet_id, skill, ..
            } => format!("skill_capacity {outlet_id} {skill}"),
            NetworkChange::OutletCap { outlet_id, .. } => format!("outlet_cap {outlet_id}"),
            NetworkChange::AddOutlets { outlets } => format!("add_outlets ({})", outlets.len()),
        }
    }
}

impl super::Dispatcher {
    /// Makes a live change to the network: the search is rebuilt over the changed
    /// network (offer numbers may change; the ledger translates its bookings by outlet id
    /// and skill) and every booking, hold, rating and load stays. A durable ledger
    /// records the change. The new outlets' `load` is booked on the first day counted.
    ///
    /// Takes `&mut self`: nothing else may run meanwhile (a service holds its dispatcher
    /// behind a read-write lock). On error nothing changed (unless the ledger fails while
    /// booking the new outlets' load, after the change is made).
    pub fn apply(&mut self, change: &NetworkChange) -> Result<()> {
        self.apply_all(std::slice::from_ref(change))
    }

    /// Makes several live changes at once (a review's actions, say), in order, as
    /// [`Self::apply`] does one: every change is checked against the network the ones
    /// before it leave, and if any fails (an unknown outlet, a skill it lacks) nothing
    /// changed. The search is rebuilt once; a durable ledger records each change.
    ///
    /// With a ledger shared between processes (Redis), the lists other processes
    /// recorded are applied first ([`Self::sync_network`]), and this list is recorded
    /// after them, numbered, so that every process applies the same lists in the same
    /// order: if another process records one in the same instant, this call changes
    /// nothing and says so (`Error::Conflict`; send the changes again).
    pub fn apply_all(&mut self, changes: &[NetworkChange]) -> Result<()> {
        self.sync_network()?;
        self.change(changes, true)
    }

    /// Applies the network change lists other processes recorded in a shared ledger
    /// since this dispatcher last looked (none for a ledger of this process alone), in
    /// their order; returns how many lists it applied. A service calls it every second;
    /// [`Self::apply_all`] calls it first.
    pub fn sync_network(&mut self) -> Result<usize> {
        let lists = self.ledger.network_changes_from(self.network_seen)?;
        let n = lists.len();
        for list in lists {
            let list = super::recorded_outlets_dropped(&self.network, list);
            self.change(&list, false)?;
            self.network_seen += 1;
        }
        Ok(n)
    }

    /// Whether a shared ledger holds network changes this dispatcher has not applied
    /// ([`Self::sync_network`] applies them): one cheap read, under a shared borrow.
    pub fn network_behind(&self) -> Result<bool> {
        self.ledger.network_changes_behind(self.network_seen)
    }

    /// [`Self::apply_all`] without the sync; `record`: record the list in the ledger (a
    /// list another process recorded is not recorded again).
    fn change(&mut self, changes: &[NetworkChange], record: bool) -> Result<()> {
        use super::ledger::MemoryLedger;
        use std::sync::{Arc, OnceLock};
        if changes.is_empty() {
            return Ok(());
        }
        // Each change is checked against the outlets the ones before it leave; the network
        // they form is built (and validated) once.
        let mut outlets = self.network.outlets().to_vec();
        for (i, change) in changes.iter().enumerate() {
            change.apply_to(&mut outlets).map_err(|e| {
                if changes.len() == 1 {
                    e
                } else {
                    Error::argument(
                        "changes",
                        format!(
                            "change {} of {} ({}): {e}; none applied",
                            i + 1,
                            changes.len(),
                            change.describe()
                        ),
                    )
                }
            })?;
        }
        let network =
            Network::new(outlets, self.network.regions().to_vec())?.with_settings_of(&self.network);
        let added: Vec<&str> = changes
            .iter()
            .flat_map(|c| match c {
                NetworkChange::AddOutlets { outlets } => {
                    outlets.iter().map(|o| o.id.as_str()).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        if self.matrix.is_some() && !added.is_empty() {
            return Err(Error::argument(
                "outlets",
                "a dispatcher with a travel matrix cannot add outlets (the matrix has no \
                 column for them): build a new one",
            ));
        }
        let (mut next, _) = super::Dispatcher::lay_out(
            Arc::new(network),
            self.policy.clone(),
            self.matrix.clone(),
            Box::new(MemoryLedger::new()),
        )?;
        if let Some(d) = self.start_date() {
            next.start = OnceLock::from(d);
        }
        std::mem::swap(&mut next.ledger, &mut self.ledger);
        next.network_seen = self.network_seen;
        let recorded = if record {
            next.ledger
                .record_changes(self.network_seen, changes)
                .map(|()| next.network_seen += 1)
        } else {
            Ok(())
        };
        let bound = recorded.and_then(|()| next.attach(&[]));
        if let Err(e) = bound {
            std::mem::swap(&mut next.ledger, &mut self.ledger);
            return Err(e);
        }
        *self = next;
        for id in added {
            let Some(oi) = self.network.outlet_index(id) else {
                continue;
            };
            let skills = self.network.offer_skills(oi).to_vec();
            for (s, sid) in self.network.outlets()[oi].skills.iter().zip(skills) {
                if let (true, Some(k)) = (s.load > 0, self.offer_of(oi, sid)) {
                    self.ledger.set_load(k as usize, self.first_day, s.load)?;
                }
            }
        }
        Ok(())
    }
}
