//! Running inside a CI system: decide what an event brings, fetch the
//! history it needs, and scan it. One module per system; the command line
//! (`misar-scan ci …`) prints, writes the CI's files and picks the exit code.

pub mod github;
