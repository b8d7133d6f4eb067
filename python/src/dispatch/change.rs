//! The arguments of `Dispatcher.apply` (review actions, change dicts) and the outlet
//! status column of `loads`/`candidates`.

use crate::error;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use servnet_core::dispatch::{Dispatcher, NetworkChange};
use servnet_core::review::{review_changes, Action};
use std::path::PathBuf;

/// The current status of each outlet named (`None` for an id not in the network).
pub(super) fn statuses<'a>(
    d: &Dispatcher,
    ids: impl Iterator<Item = &'a str>,
) -> Vec<Option<&'static str>> {
    let net = d.network();
    ids.map(|id| {
        net.outlet_index(id)
            .and_then(|i| net.outlets().get(i))
            .map(|o| o.status.as_str())
    })
    .collect()
}

/// The changes of an `apply` argument: review actions (a frame with `outlet_id` and
/// `action`, or a path to an actions file), one change dict, or a list of them.
pub(super) fn change_arg(v: &Bound<'_, PyAny>) -> PyResult<Vec<NetworkChange>> {
    let py = v.py();
    let bad = |e: servnet_core::Error| error::to_py(py, e);
    if v.hasattr("columns")? {
        let columns: Vec<String> = v.getattr("columns")?.call_method0("tolist")?.extract()?;
        for c in ["outlet_id", "action"] {
            if !columns.iter().any(|x| x == c) {
                return Err(bad(servnet_core::Error::argument(
                    "changes",
                    format!("a review frame needs columns outlet_id and action; it has no '{c}'"),
                )));
            }
        }
        let ids: Vec<String> = v
            .get_item("outlet_id")?
            .call_method1("astype", ("str",))?
            .call_method0("tolist")?
            .extract()?;
        let acts: Vec<String> = v
            .get_item("action")?
            .call_method1("astype", ("str",))?
            .call_method0("tolist")?
            .extract()?;
        let mut actions = Vec::with_capacity(ids.len());
        for (i, (id, a)) in ids.iter().zip(&acts).enumerate() {
            let act = a.parse::<Action>().map_err(|_| {
                bad(servnet_core::Error::argument(
                    "changes",
                    format!(
                        "row {i} (outlet '{id}'): action '{a}' is not one of confirm, keep, \
                         warn, suspend, remove"
                    ),
                ))
            })?;
            actions.push((id.as_str(), act));
        }
        return Ok(review_changes(actions));
    }
    if v.hasattr("__fspath__")? || v.is_instance_of::<pyo3::types::PyString>() {
        let path: PathBuf = v.extract()?;
        let actions = servnet_core::io::read_review_actions(&path).map_err(bad)?;
        return Ok(review_changes(
            actions.iter().map(|(id, a)| (id.as_str(), *a)),
        ));
    }
    let json = py.import("json")?;
    let one = |c: &Bound<'_, PyAny>| -> PyResult<NetworkChange> {
        let text: String = json.call_method1("dumps", (c,))?.extract()?;
        serde_json::from_str(&text).map_err(|e| {
            bad(servnet_core::Error::argument(
                "changes",
                format!("{e} in the change {text}"),
            ))
        })
    };
    if v.cast::<PyDict>().is_ok() {
        return Ok(vec![one(v)?]);
    }
    if let Ok(list) = v.cast::<PyList>() {
        return list.iter().map(|c| one(&c)).collect();
    }
    Err(PyTypeError::new_err(format!(
        "changes: expected a review DataFrame, an actions file, a change dict or a list of \
         them, got {}",
        v.get_type().name()?
    )))
}
