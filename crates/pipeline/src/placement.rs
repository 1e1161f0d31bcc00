//! Where the five stages run: which stages share a thread, and which core each thread is
//! pinned to.
//!
//! A [`Placement`] is what the user asks for; a [`Plan`] is what it resolves to on this
//! machine: the stages cut into contiguous *groups*, one thread per group, each optionally
//! pinned. Stages inside a group run to completion on their thread (no hop); groups are
//! joined by `recal-ring` SPSC rings.

use std::fmt;

use recal_ring::WaitStrategy;

/// The five stages, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StageId {
    /// Stage 1: feed decode.
    Decode = 0,
    /// Stage 2: estimator update.
    Estimate = 1,
    /// Stage 3: portfolio Greek aggregation.
    Greeks = 2,
    /// Stage 4: trigger evaluation.
    Trigger = 3,
    /// Stage 5: signed emit (and the verifier model after it).
    Emit = 4,
}

impl StageId {
    /// Number of stages.
    pub const COUNT: usize = 5;

    /// Every stage, in pipeline order.
    pub const ALL: [Self; Self::COUNT] = [
        Self::Decode,
        Self::Estimate,
        Self::Greeks,
        Self::Trigger,
        Self::Emit,
    ];

    /// The stage's short name, as in the config file and the metrics.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Decode => "decode",
            Self::Estimate => "estimate",
            Self::Greeks => "greeks",
            Self::Trigger => "trigger",
            Self::Emit => "emit",
        }
    }

    /// The stage at pipeline position `index` (0-based).
    #[must_use]
    pub const fn from_index(index: usize) -> Option<Self> {
        match index {
            0 => Some(Self::Decode),
            1 => Some(Self::Estimate),
            2 => Some(Self::Greeks),
            3 => Some(Self::Trigger),
            4 => Some(Self::Emit),
            _ => None,
        }
    }
}

impl fmt::Display for StageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the stages are placed on threads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Placement {
    /// All five stages run to completion on the caller's thread, per input message: no thread,
    /// no ring, no hop. The lowest latency when cores are few, and the default.
    #[default]
    Fused,
    /// One thread per stage, each pinned to its own core and busy-spinning; core 0 is left to
    /// the caller's feeding thread, so it needs six cores.
    Pinned,
    /// Pins when the machine has a core per busy thread, otherwise groups adjacent stages so
    /// that no core is oversubscribed. See [`Plan::resolve`].
    Auto,
    /// An explicit stage → core map, in pipeline order. Stages mapped to the same core must be
    /// adjacent; they share one thread.
    Cores([usize; StageId::COUNT]),
}

/// One thread's share of the pipeline: stages `first..=last`, pinned to `core` when set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// First stage of the group.
    pub first: StageId,
    /// Last stage of the group.
    pub last: StageId,
    /// Core the group's thread is pinned to, if any.
    pub core: Option<usize>,
}

impl Group {
    /// Whether the group runs `stage`.
    #[must_use]
    pub fn contains(&self, stage: StageId) -> bool {
        (self.first..=self.last).contains(&stage)
    }

    /// The group's stages joined by `+` (`"greeks+trigger+emit"`), for names and errors.
    #[must_use]
    pub fn label(&self) -> String {
        StageId::ALL[self.first as usize..=self.last as usize]
            .iter()
            .map(|stage| stage.name())
            .collect::<Vec<_>>()
            .join("+")
    }
}

/// A placement resolved on a machine: the groups, and how ring ends wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The groups in pipeline order; a fused plan has no groups (the caller's thread runs
    /// everything).
    pub groups: Vec<Group>,
    /// Wait strategy of the rings unless [`RingOptions::wait`](crate::RingOptions::wait)
    /// says otherwise: busy-spin when each thread has its own core, otherwise spin-yield-park.
    pub wait: WaitStrategy,
}

/// `fused`, or the groups with their cores: `[decode+estimate] on core 1, [greeks+…] on core
/// 2`.
impl std::fmt::Display for Plan {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_fused() {
            return formatter.write_str("fused (all stages on the pushing thread)");
        }
        for (index, group) in self.groups.iter().enumerate() {
            if index > 0 {
                formatter.write_str(", ")?;
            }
            write!(formatter, "[{}]", group.label())?;
            if let Some(core) = group.core {
                write!(formatter, " on core {core}")?;
            }
        }
        Ok(())
    }
}

/// A placement that cannot be honoured on this machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    /// A core index beyond the machine's cores.
    #[error("stage {stage} is mapped to core {core}, but the machine has {cores} cores")]
    NoSuchCore {
        /// The stage.
        stage: StageId,
        /// The core asked for.
        core: usize,
        /// Cores available.
        cores: usize,
    },
    /// Two non-adjacent stages share a core: their threads would fight over it.
    #[error("stages {first} and {second} share core {core} but are not adjacent")]
    SplitGroup {
        /// The earlier stage.
        first: StageId,
        /// The later stage.
        second: StageId,
        /// The shared core.
        core: usize,
    },
    /// Cuts between stages that are not rising indices within `1..5`.
    #[error("cuts {0:?} are not rising stage indices within 1..5")]
    BadCuts(Vec<usize>),
    /// Pinned placement needs a core for the caller and one per stage.
    #[error(
        "pinned placement needs {needed} cores (the caller's and one per stage), the machine has {cores}"
    )]
    TooFewCores {
        /// Cores needed.
        needed: usize,
        /// Cores available.
        cores: usize,
    },
}

/// Stage boundaries after which `auto` cuts the pipeline when it has `threads` threads, chosen
/// by the stages' measured costs: decode and estimate are the heavy per-message stages, greeks
/// is heavy per price tick, trigger and emit are light (emit signs only on a decision).
const fn auto_cuts(threads: usize) -> &'static [usize] {
    match threads {
        0 | 1 => &[],
        2 => &[2],
        3 => &[1, 2],
        4 => &[1, 2, 3],
        _ => &[1, 2, 3, 4],
    }
}

impl Plan {
    /// Resolves `placement` on a machine with `cores` cores (indices `0..cores`).
    ///
    /// The caller's thread (the one pushing input) is busy too, so `auto` counts it:
    /// - 1 core: fused on the caller's thread;
    /// - `c` cores with 2 ≤ c < 6: `c - 1` threads on cores `1..c`, adjacent stages grouped
    ///   (2 cores: all five stages on core 1; 3 cores: decode+estimate, greeks+trigger+emit),
    ///   rings spin, then yield, then park;
    /// - 6 cores or more: pinned, one stage per core on cores `1..=5`, busy-spinning.
    ///
    /// # Errors
    /// A [`PlacementError`] when an explicit map or `pinned` does not fit the machine.
    pub fn resolve(placement: &Placement, cores: usize) -> Result<Self, PlacementError> {
        let busy_threads = StageId::COUNT + 1;
        match placement {
            Placement::Fused => Ok(Self::fused()),
            Placement::Pinned if cores < busy_threads => Err(PlacementError::TooFewCores {
                needed: busy_threads,
                cores,
            }),
            Placement::Pinned => Ok(Self::cut(auto_cuts(StageId::COUNT), |group| {
                Some(group + 1)
            })),
            Placement::Auto if cores <= 1 => Ok(Self::fused()),
            Placement::Auto => {
                let threads = (cores - 1).min(StageId::COUNT);
                let mut plan = Self::cut(auto_cuts(threads), |group| Some(group + 1));
                if threads < StageId::COUNT {
                    plan.wait = WaitStrategy::Backoff;
                }
                Ok(plan)
            }
            Placement::Cores(map) => Self::explicit(map, cores),
        }
    }

    /// The fused plan: no groups.
    #[must_use]
    pub const fn fused() -> Self {
        Self {
            groups: Vec::new(),
            wait: WaitStrategy::BusySpin,
        }
    }

    /// Groups cut before each stage index in `cuts` (a cut at `i` separates stage `i - 1` from
    /// stage `i`), none pinned, rings waiting with `wait`: for tests and benches that want a
    /// given number of threads whatever the machine.
    ///
    /// # Errors
    /// [`PlacementError::BadCuts`] unless `cuts` rise strictly within `1..5`.
    pub fn unpinned(cuts: &[usize], wait: WaitStrategy) -> Result<Self, PlacementError> {
        let rising = cuts.windows(2).all(|pair| pair[0] < pair[1]);
        if !rising || cuts.iter().any(|&cut| cut == 0 || cut >= StageId::COUNT) {
            return Err(PlacementError::BadCuts(cuts.to_vec()));
        }
        let mut plan = Self::cut(cuts, |_| None);
        plan.wait = wait;
        Ok(plan)
    }

    /// Whether the plan runs everything on the caller's thread.
    #[must_use]
    pub fn is_fused(&self) -> bool {
        self.groups.is_empty()
    }

    /// Groups cut after the stages whose indices are in `cuts` (a cut at `i` separates stage
    /// `i - 1` from stage `i`), with group `g` pinned to `core(g)`.
    fn cut(cuts: &[usize], core: impl Fn(usize) -> Option<usize>) -> Self {
        let mut groups = Vec::with_capacity(cuts.len() + 1);
        let mut first = 0;
        for (index, &end) in cuts.iter().chain(&[StageId::COUNT]).enumerate() {
            groups.push(Group {
                first: StageId::ALL[first],
                last: StageId::ALL[end - 1],
                core: core(index),
            });
            first = end;
        }
        Self {
            groups,
            wait: WaitStrategy::BusySpin,
        }
    }

    fn explicit(map: &[usize; StageId::COUNT], cores: usize) -> Result<Self, PlacementError> {
        for (stage, &core) in StageId::ALL.iter().zip(map) {
            if core >= cores {
                return Err(PlacementError::NoSuchCore {
                    stage: *stage,
                    core,
                    cores,
                });
            }
        }
        let mut cuts = Vec::new();
        for index in 1..StageId::COUNT {
            if map[index] != map[index - 1] {
                cuts.push(index);
                if let Some(earlier) = map[..index - 1].iter().position(|&c| c == map[index]) {
                    return Err(PlacementError::SplitGroup {
                        first: StageId::ALL[earlier],
                        second: StageId::ALL[index],
                        core: map[index],
                    });
                }
            }
        }
        let firsts: Vec<usize> = std::iter::once(0).chain(cuts.iter().copied()).collect();
        let mut plan = Self::cut(&cuts, |group| Some(map[firsts[group]]));
        // The caller's thread runs on some core too; only a thread per core may busy-spin.
        if plan.groups.len() + 1 > cores || plan.groups.iter().any(|g| g.core == Some(0)) {
            plan.wait = WaitStrategy::Backoff;
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(plan: &Plan) -> Vec<String> {
        plan.groups.iter().map(Group::label).collect()
    }

    #[test]
    fn auto_on_one_core_is_fused() {
        assert!(Plan::resolve(&Placement::Auto, 1).unwrap().is_fused());
    }

    #[test]
    fn auto_on_two_cores_moves_every_stage_to_the_second_core() {
        let plan = Plan::resolve(&Placement::Auto, 2).unwrap();
        assert_eq!(labels(&plan), ["decode+estimate+greeks+trigger+emit"]);
        assert_eq!(plan.groups[0].core, Some(1));
        assert_eq!(plan.wait, WaitStrategy::Backoff);
    }

    #[test]
    fn auto_groups_adjacent_stages_on_few_cores() {
        let plan = Plan::resolve(&Placement::Auto, 3).unwrap();
        assert_eq!(labels(&plan), ["decode+estimate", "greeks+trigger+emit"]);
        let plan = Plan::resolve(&Placement::Auto, 4).unwrap();
        assert_eq!(labels(&plan), ["decode", "estimate", "greeks+trigger+emit"]);
    }

    #[test]
    fn auto_pins_one_stage_per_core_with_enough_cores() {
        for cores in [6, 64] {
            let plan = Plan::resolve(&Placement::Auto, cores).unwrap();
            assert_eq!(
                labels(&plan),
                ["decode", "estimate", "greeks", "trigger", "emit"]
            );
            let pinned: Vec<_> = plan.groups.iter().map(|g| g.core).collect();
            assert_eq!(pinned, [Some(1), Some(2), Some(3), Some(4), Some(5)]);
            assert_eq!(plan.wait, WaitStrategy::BusySpin);
        }
    }

    #[test]
    fn pinned_refuses_a_small_machine() {
        assert_eq!(
            Plan::resolve(&Placement::Pinned, 2),
            Err(PlacementError::TooFewCores {
                needed: 6,
                cores: 2
            })
        );
    }

    #[test]
    fn explicit_maps_group_adjacent_stages_and_refuse_split_groups() {
        let plan = Plan::resolve(&Placement::Cores([1, 1, 0, 0, 0]), 2).unwrap();
        assert_eq!(labels(&plan), ["decode+estimate", "greeks+trigger+emit"]);
        assert_eq!(plan.groups[1].core, Some(0));
        assert_eq!(plan.wait, WaitStrategy::Backoff);
        assert_eq!(
            Plan::resolve(&Placement::Cores([1, 0, 1, 1, 1]), 2),
            Err(PlacementError::SplitGroup {
                first: StageId::Decode,
                second: StageId::Greeks,
                core: 1
            })
        );
        assert!(matches!(
            Plan::resolve(&Placement::Cores([0, 0, 0, 0, 7]), 2),
            Err(PlacementError::NoSuchCore { core: 7, .. })
        ));
    }
}
