//! The virtual path resolver: a TVFS view of a jailed storage root.
