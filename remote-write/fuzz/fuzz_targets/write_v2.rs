//! Remote write 2.0: the input is a decompressed `io.prometheus.write.v2.Request`, sent snappy
//! compressed through `decode_write`. See `remote_write_fuzz::fuzz_protobuf` for the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use remote_write::ProtoVersion;

fuzz_target!(|data: &[u8]| remote_write_fuzz::fuzz_protobuf(ProtoVersion::V2, data));
