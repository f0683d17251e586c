//! Graphite plaintext: `path value timestamp` lines, tagged series and path templates.
