//! The plain SQL splitter on arbitrary bytes: it must never panic or stall, and feeding the bytes in pieces (of
//! sizes the input's first bytes choose, and byte by byte) must give the same events, or the same error after
//! the same events, as feeding them at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgferry_restore::sql::split::{Event, Splitter};

/// The events of `data` pushed at the offsets `cuts` gives, with COPY chunks of `chunk` bytes, and the error
/// that ended them, if one did.
fn split(data: &[u8], cuts: &[usize], chunk: usize) -> (Vec<Event>, Option<String>) {
    let mut splitter = Splitter::new();
    splitter.set_copy_chunk_size(chunk);
    let mut events = Vec::new();
    let mut from = 0;
    let ends = cuts.iter().copied().chain(std::iter::once(data.len()));
    for end in ends {
        splitter.push(&data[from..end]);
        from = end;
        loop {
            match splitter.next_event() {
                Ok(Some(event)) => events.push(event),
                Ok(None) => break,
                Err(e) => return (events, Some(e.to_string())),
            }
        }
    }
    splitter.finish();
    // Each call either gives an event or ends: the number of events is bounded by the input's size.
    for _ in 0..=(4 * data.len() + 16) {
        match splitter.next_event() {
            Ok(Some(event)) => events.push(event),
            Ok(None) => {
                assert!(splitter.is_done(), "no event and not done");
                return (events, None);
            }
            Err(e) => return (events, Some(e.to_string())),
        }
    }
    panic!("more events than the input could hold");
}

fuzz_target!(|input: &[u8]| {
    let (control, data) = input.split_at(input.len().min(3));
    let control = [
        control.first().copied().unwrap_or(0),
        control.get(1).copied().unwrap_or(0),
        control.get(2).copied().unwrap_or(0),
    ];
    let chunk = 1 + usize::from(control[0] % 64);
    let whole = split(data, &[], chunk);

    // Pieces of pseudo-random sizes from 1 to 32.
    let mut state = u32::from_le_bytes([control[1], control[2], 0x5a, 0xa5]) | 1;
    let mut cuts = Vec::new();
    let mut at = 0;
    loop {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        at += 1 + (state % 32) as usize;
        if at >= data.len() {
            break;
        }
        cuts.push(at);
    }
    assert_eq!(split(data, &cuts, chunk), whole, "in pieces at {cuts:?}");

    if data.len() <= 2048 {
        let every: Vec<usize> = (1..data.len()).collect();
        assert_eq!(split(data, &every, chunk), whole, "byte by byte");
    }
});
