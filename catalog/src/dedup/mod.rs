//! Linking the same dataset published on several portals (work in progress: the blocking keys
//! and title signatures candidate generation is built from; scoring, clustering and the links
//! graph come next). Candidates are found without comparing all pairs: records that share a
//! normalised identifier, a normalised landing-page or download URL, or a MinHash band of their
//! title shingles land in the same block.

pub mod cluster;
pub mod keys;
pub mod minhash;
