//! Remote write 1.0: the input is a decompressed `prometheus.WriteRequest`, sent snappy
//! compressed through `decode_write`. See `remote_write_fuzz::fuzz_protobuf` for the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use remote_write::ProtoVersion;

fuzz_target!(|data: &[u8]| remote_write_fuzz::fuzz_protobuf(ProtoVersion::V1, data));
