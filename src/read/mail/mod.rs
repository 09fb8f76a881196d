//! Mail input (being written).
