//! Shared helpers of the ftps-proto benchmarks.
