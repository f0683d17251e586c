//! Adapters from decoded wire formats to appends.
