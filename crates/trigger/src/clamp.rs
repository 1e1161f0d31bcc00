//! Guardrail clamping: the damped values cut to what the verifier accepts from the parameters
//! in force.

use recal_emit::Guardrails;
use recal_types::{ParameterId, ParameterSet};

/// A guardrail-clean parameter set built from the damped values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Every parameter at its damped value, clamped.
    pub(crate) full: ParameterSet,
    /// `full` with every loosening parameter held at its value in force: the part that may
    /// apply at once.
    pub(crate) tightening: ParameterSet,
    /// Which parameters of `full` the guardrails changed.
    pub(crate) clamped: [bool; ParameterId::COUNT],
}

impl Candidate {
    /// Clamps `damped` so that moving from `applied` to it passes `guardrails.check`: each value
    /// into `[min, max]` and within the maximum step of its value in force, then maintenance
    /// margin at most initial margin (initial raised first, as far as its own rail allows, then
    /// maintenance lowered to it, which is always feasible because `applied` itself satisfies
    /// the rule).
    ///
    /// `applied` must pass `guardrails` (checked when the stage is built), so every clamped
    /// value fits its parameter's type.
    pub(crate) fn build(
        damped: &[i128; ParameterId::COUNT],
        applied: &ParameterSet,
        guardrails: &Guardrails,
    ) -> Self {
        let mut clamped = [false; ParameterId::COUNT];
        let mut values = [0; ParameterId::COUNT];
        let mut limits = [(0, 0); ParameterId::COUNT];
        for parameter in ParameterId::ALL {
            let i = parameter.index();
            let rail = guardrails.guardrail(parameter);
            let current = applied.get(parameter);
            let step = rail.max_step(current);
            let lo = rail.min().max(current.saturating_sub_unsigned(step));
            let hi = rail.max().min(current.saturating_add_unsigned(step));
            limits[i] = (lo, hi);
            values[i] = damped[i].clamp(lo, hi);
            clamped[i] = values[i] != damped[i];
        }
        let (im, mm) = (
            ParameterId::InitialMargin.index(),
            ParameterId::MaintenanceMargin.index(),
        );
        if values[mm] > values[im] {
            values[im] = values[mm].min(limits[im].1);
            clamped[im] = true;
            if values[mm] > values[im] {
                values[mm] = values[im];
                clamped[mm] = true;
            }
        }
        let tightening = ParameterId::ALL.map(|p| {
            let (current, proposed) = (applied.get(p), values[p.index()]);
            if p.safe_direction().is_loosening(current, proposed) {
                current
            } else {
                proposed
            }
        });
        Self {
            full: to_set(&values, applied),
            tightening: to_set(&tightening, applied),
            clamped,
        }
    }
}

/// The parameter set holding `values`. A value that does not fit its type keeps `fallback`'s;
/// that cannot happen for values inside guardrails whose bounds fit the types (checked when the
/// stage is built).
fn to_set(values: &[i128; ParameterId::COUNT], fallback: &ParameterSet) -> ParameterSet {
    ParameterId::ALL.into_iter().fold(*fallback, |set, p| {
        set.with(p, values[p.index()]).unwrap_or(set)
    })
}
