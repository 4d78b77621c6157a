//! Output files written under a temporary name and renamed into place only when complete, so that a failed dump
//! or copy never leaves a file that looks complete.

use std::path::{Path, PathBuf};

/// A file being written as `.NAME.pgferry-partial-PID` beside its target; removed unless committed.
pub(crate) struct StagedFile {
    pub(crate) file: std::fs::File,
    temp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl StagedFile {
    pub(crate) fn create(target: &Path) -> Result<StagedFile, String> {
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = dir.join(format!(".{name}.pgferry-partial-{}", std::process::id()));
        let file = std::fs::File::create(&temp)
            .map_err(|e| format!("could not create {}: {e}", temp.display()))?;
        Ok(StagedFile {
            file,
            temp,
            target: target.to_owned(),
            committed: false,
        })
    }

    /// Where the file goes when complete.
    pub(crate) fn target(&self) -> &Path {
        &self.target
    }

    /// Syncs the file, renames it into place and syncs its directory; the file's size.
    pub(crate) fn commit(mut self) -> Result<u64, String> {
        self.file
            .sync_all()
            .map_err(|e| format!("could not sync {}: {e}", self.temp.display()))?;
        let size = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        std::fs::rename(&self.temp, &self.target).map_err(|e| {
            format!(
                "could not rename {} to {}: {e}",
                self.temp.display(),
                self.target.display()
            )
        })?;
        if let Some(dir) = self.target.parent().filter(|p| !p.as_os_str().is_empty()) {
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        self.committed = true;
        Ok(size)
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
