//! Ids: small indexes into a compiled policy's tables (units, plans, modes, features,
//! platforms, exchanges, hooks). Names are resolved to ids once, when a policy loads, so the
//! evaluator compares integers, never strings. This module sits below every other one.

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident($int:ty);)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        pub struct $name(pub $int);
    )*};
}

id_type! {
    /// Index of a unit.
    UnitId(u8);
    /// Index of a plan.
    PlanId(u16);
    /// Index of a mode.
    ModeId(u16);
    /// Index of a feature.
    FeatureId(u16);
    /// Index of a platform.
    PlatformId(u16);
    /// Index of an exchange.
    ExchangeId(u16);
    /// Index of a hook.
    HookId(u16);
}
