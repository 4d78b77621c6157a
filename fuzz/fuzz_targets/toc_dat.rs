//! The sans-IO header and TOC parser on arbitrary bytes, as a `toc.dat` and as the start of a custom archive:
//! it must never panic; when it asks for more bytes it asks for more than it was given; feeding the bytes in
//! pieces gives the same answer as feeding them at once; and a parsed TOC lists without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pgferry_archive::format::ArchiveFormat;
use pgferry_archive::read::parse::{header_and_toc, Parsed, TocParser, TocStep};
use pgferry_archive::read::write_list;

fuzz_target!(|data: &[u8]| {
    for format in [ArchiveFormat::Directory, ArchiveFormat::Custom] {
        let whole = header_and_toc(data, format);
        match &whole {
            Ok(Parsed::Done {
                consumed,
                value: (header, toc),
            }) => {
                assert!(*consumed <= data.len());
                let mut listing = Vec::new();
                write_list(header, toc, &mut listing).unwrap();
            }
            Ok(Parsed::NeedMore { at_least }) => assert!(*at_least > data.len()),
            Err(e) => assert!(e.offset <= data.len()),
        }
        // The same bytes fed part by part, as the readers do, with the buffer growing as asked.
        let mut parser = TocParser::new(format);
        let mut pos = 0;
        let mut available = data.len().min(1);
        let stepwise = loop {
            match parser.step(&data[pos..available]) {
                Ok(TocStep::Advanced { consumed }) => pos += consumed,
                Ok(TocStep::Complete) => break Some(Ok(pos)),
                Ok(TocStep::NeedMore { at_least }) => {
                    let want = pos.saturating_add(at_least);
                    assert!(want > available);
                    if available == data.len() {
                        break None;
                    }
                    // A reader gives what it has when the input ends before `want`.
                    available = want.min(data.len());
                }
                Err(e) => break Some(Err(e.problem)),
            }
        };
        match (&whole, stepwise) {
            (Ok(Parsed::Done { consumed, .. }), Some(Ok(pos))) => assert_eq!(*consumed, pos),
            (Ok(Parsed::NeedMore { .. }), None) => {}
            (Err(e), Some(Err(problem))) => assert_eq!(e.problem, problem),
            (whole, stepwise) => panic!("at once: {whole:?}; in parts: {stepwise:?}"),
        }
    }
});
