//! Emission policy, and the stage's model of what the verifier holds for its market.

use recal_emit::{EmitterConfig, Guardrail, Guardrails};
use recal_types::{ParameterId, ParameterSet, TriggerCause};

use crate::clamp::Candidate;

/// A loosening proposal the verifier is holding for its time-lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    parameters: ParameterSet,
    executable_at: u64,
    expiry: u64,
}

/// What the stage knows of its market on chain, under the keeper contract of
/// [`TriggerStage`](crate::TriggerStage): every proposal is submitted at the event time it was
/// decided, and a queued loosening is executed at the update that reports it executed.
/// Times are Unix seconds, as the verifier sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chain {
    applied: ParameterSet,
    last_applied: Option<u64>,
    pending: Option<Pending>,
    /// What the emitter last signed; it time-locks a proposal that loosens relative to this.
    last_emitted: ParameterSet,
    last_emission: Option<u64>,
}

impl Chain {
    /// A market whose verifier and emitter both start from `start`.
    pub(crate) const fn new(start: ParameterSet) -> Self {
        Self {
            applied: start,
            last_applied: None,
            pending: None,
            last_emitted: start,
            last_emission: None,
        }
    }

    /// The parameters in force.
    pub(crate) const fn applied(&self) -> &ParameterSet {
        &self.applied
    }

    fn interval_elapsed(&self, now: u64, guardrails: &Guardrails) -> bool {
        self.last_applied
            .is_none_or(|last| now >= last.saturating_add(guardrails.min_update_interval()))
    }

    /// Retires the pending loosening at `now`: executed if its time-lock and the update
    /// interval have passed (never in conservative mode), dropped if expired. Returns whether
    /// it was executed.
    pub(crate) fn settle(&mut self, now: u64, conservative: bool, guardrails: &Guardrails) -> bool {
        let Some(pending) = self.pending else {
            return false;
        };
        if now > pending.expiry {
            self.pending = None;
            false
        } else if !conservative
            && now >= pending.executable_at
            && self.interval_elapsed(now, guardrails)
        {
            self.apply(pending.parameters, now);
            true
        } else {
            false
        }
    }

    fn apply(&mut self, parameters: ParameterSet, now: u64) {
        self.applied = parameters;
        self.last_applied = Some(now);
        self.pending = None;
    }

    /// Records that `parameters` were emitted at `now`, with the emitter's `validAfter` rule
    /// ([`EmitterConfig::time_lock_for`]) and the verifier's queueing
    /// ([`Guardrails::executable_at`]).
    fn record(
        &mut self,
        parameters: ParameterSet,
        now: u64,
        timing: &EmitterConfig,
        guardrails: &Guardrails,
    ) {
        if parameters.is_loosening_from(&self.applied) {
            let lock = timing.time_lock_for(&parameters, Some(&self.last_emitted));
            let valid_after = now.saturating_add(lock);
            self.pending = Some(Pending {
                parameters,
                executable_at: guardrails.executable_at(valid_after, now),
                expiry: valid_after.saturating_add(timing.validity),
            });
        } else {
            self.apply(parameters, now);
        }
        self.last_emitted = parameters;
        self.last_emission = Some(now);
    }
}

/// The emission rules of one market.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Dead bands, as step rules ("a change larger than the band's step").
    dead_band: [Guardrail; ParameterId::COUNT],
    heartbeat_seconds: u64,
    /// Dead bands a drift tightening must exceed to supersede a pending loosening.
    supersede_dead_bands: u32,
    timing: EmitterConfig,
    /// The highest-priority trigger not yet answered by a proposal.
    urgent: Option<TriggerCause>,
}

impl Policy {
    pub(crate) const fn new(
        dead_band: [Guardrail; ParameterId::COUNT],
        heartbeat_seconds: u64,
        supersede_dead_bands: u32,
        timing: EmitterConfig,
    ) -> Self {
        Self {
            dead_band,
            heartbeat_seconds,
            supersede_dead_bands,
            timing,
            urgent: None,
        }
    }

    fn beyond_dead_band(&self, from: &ParameterSet, to: &ParameterSet) -> bool {
        self.beyond_dead_bands(from, to, 1)
    }

    /// Whether some parameter moves from `from` to `to` by more than `bands` dead bands.
    fn beyond_dead_bands(&self, from: &ParameterSet, to: &ParameterSet, bands: u32) -> bool {
        ParameterId::ALL.into_iter().any(|p| {
            let (from, to) = (from.get(p), to.get(p));
            let band = self.dead_band[p.index()].max_step(from);
            from.abs_diff(to) > band.saturating_mul(u128::from(bands))
        })
    }

    /// Decides what to emit at `now` (Unix seconds) and records it in `chain`.
    ///
    /// In order: an unanswered trigger emits the tightening part at once, bypassing the dead
    /// band, if it changes anything or supersedes a pending loosening (otherwise the trigger is
    /// answered by doing nothing); a tightening beyond the dead band emits at once — while a
    /// loosening is pending, only beyond `supersede_dead_bands` dead bands; with
    /// nothing tightening beyond it, no loosening pending and not in conservative mode, a
    /// loosening beyond the dead band emits the full candidate, which the verifier time-locks;
    /// finally, after `heartbeat_seconds` without a proposal and with nothing pending, the
    /// tightening part is re-emitted. Proposals that apply at once wait for the minimum update
    /// interval.
    pub(crate) fn decide(
        &mut self,
        fired: Option<TriggerCause>,
        candidate: &Candidate,
        chain: &mut Chain,
        conservative: bool,
        now: u64,
        guardrails: &Guardrails,
    ) -> Option<(ParameterSet, TriggerCause)> {
        self.urgent = match (self.urgent, fired) {
            (Some(latched), Some(new)) => Some(latched.min(new)),
            (latched, new) => latched.or(new),
        };
        let applied = chain.applied;
        let pending = chain.pending.is_some();
        let interval = chain.interval_elapsed(now, guardrails);
        let tightens = candidate.tightening != applied;
        let last_emission = *chain.last_emission.get_or_insert(now);
        let decision = if let Some(cause) = self.urgent {
            if !tightens && !pending {
                self.urgent = None;
            }
            (interval && (tightens || pending)).then_some((candidate.tightening, cause))
        } else if self.beyond_dead_bands(
            &applied,
            &candidate.tightening,
            if pending {
                self.supersede_dead_bands
            } else {
                1
            },
        ) {
            interval.then_some((candidate.tightening, TriggerCause::TargetDrift))
        } else if !conservative && !pending && self.beyond_dead_band(&applied, &candidate.full) {
            Some((candidate.full, TriggerCause::TargetDrift))
        } else {
            let due = now >= last_emission.saturating_add(self.heartbeat_seconds);
            (due && !pending && interval).then_some((candidate.tightening, TriggerCause::Heartbeat))
        };
        if let Some((parameters, _)) = decision {
            chain.record(parameters, now, &self.timing, guardrails);
            self.urgent = None;
        }
        decision
    }
}
