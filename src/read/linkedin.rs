//! LinkedIn data export (placeholder; being written).
