//! Reading archives: custom, directory and tar, versions 1.12 to 1.16 (being written).
