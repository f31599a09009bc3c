//! What the tests, `make smoke`, `make load` and `make reliability` drive the bundle with: a
//! fault-injecting proxy in front of the emulator and a faulty Thumbtack (`faults`), a Lambda
//! Runtime API of our own for the real function binaries (`runtime_api`), the reliability
//! experiments (`reliability`), the smoke test (`smoke`), the load run's pacing and accounting
//! (`load`) and the SigV4 signature of the read API's calls in AWS (`sigv4`, `cli`'s).

pub mod browser;
pub mod faults;
pub mod load;
pub mod reliability;
pub mod runtime_api;
pub use cli::sigv4;
pub mod smoke;
pub mod smoke_simulator;
mod smoke_steps;
mod smoke_v4;
