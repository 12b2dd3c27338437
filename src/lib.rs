#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod diag;
pub mod limits;
pub(crate) mod syntax;
pub mod check;
pub mod expr;
pub mod standalone;
pub mod policy;
pub mod cli;
