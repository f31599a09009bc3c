//! What the tests, `make smoke`, `make load` and `make reliability` drive the bundle with: a
//! fault-injecting proxy in front of the emulator and a faulty Thumbtack (`faults`), a Lambda
//! Runtime API of our own for the real function binaries (`runtime_api`), the reliability
//! experiments (`reliability`) and the smoke test (`smoke`).

pub mod faults;
pub mod reliability;
pub mod runtime_api;
pub mod smoke;
