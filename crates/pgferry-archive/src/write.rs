//! Writing archives: custom, directory and tar, versions 1.14 to 1.16 (being written).
