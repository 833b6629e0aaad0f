//! The run log: an append-only, crash-safe record of a run, from which an interrupted run
//! resumes and which `physrc log export` turns into `.npy` files.
//!
//! # Why a log, and why this format
//!
//! A run on a physical rig takes hours and measures a sample that no file can restore: a
//! magnetic microstate exists only in the magnets. If the host crashes (a power cut, a killed
//! process, a full disk), the measurements taken so far must survive, and the run must go on
//! from where it stopped rather than start again. So every step is appended to the log as it
//! is measured, and a resumed run re-creates the sample's state by `reset` and
//! [`Reservoir::replay`](physrc_core::Reservoir::replay) of the logged inputs, then carries on
//! stepping. The logged states stand for the steps already taken: a re-measurement would
//! differ by noise, and the log *is* the measurement.
//!
//! The file is the 8-byte signature [`MAGIC`] followed by records, each
//! `[u32 LE payload length][u32 LE CRC-32C of the payload][payload]`, written with one write
//! call. A crash can only tear the last record; the reader stops at the first record whose
//! length or CRC is wrong, or which is cut short, and a resumed run truncates the file there.
//! The payload's first byte is its type: [`StartRecord`] (JSON), step (binary: index, input,
//! drive, state as little-endian `f64` with their counts) and [`StopRecord`] (JSON). The
//! layout is documented in `docs/run-log.md`.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use crc::{CRC_32_ISCSI, Crc, Table};
use ndarray::{Array2, ArrayView2};
use physrc_core::{ErrorKind, HasErrorKind};
use serde::{Deserialize, Serialize};

use crate::config::{DataSource, RunConfig, Split};
use crate::error::RunError;
use crate::npy;

/// The first eight bytes of every run log: `PHYSRCL` and the format version, 1.
pub const MAGIC: [u8; 8] = *b"PHYSRCL\x01";

/// The largest payload a record may declare (1 GiB). A longer length is read as a torn or
/// corrupted record.
pub const MAX_PAYLOAD: u32 = 1 << 30;

/// Record header: payload length and CRC.
const HEADER: usize = 8;

const TAG_START: u8 = 1;
const TAG_STEP: u8 = 2;
const TAG_STOP: u8 = 3;

/// CRC-32C (Castagnoli), slice-by-16 tables.
static CRC32C: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);

/// CRC-32C of `bytes`, as stored in each record header.
pub fn crc32c(bytes: &[u8]) -> u32 {
    CRC32C.checksum(bytes)
}

/// CRC-32C of a `T × d` input sequence, row by row as little-endian `f64`: the
/// [`StartRecord::inputs_crc32c`] of a run.
pub fn inputs_crc32c(inputs: ArrayView2<'_, f64>) -> u32 {
    let mut digest = CRC32C.digest();
    for v in inputs.iter() {
        digest.update(&v.to_le_bytes());
    }
    digest.finalize()
}

/// What went wrong reading or writing a run log. Every variant names the file, and the byte
/// offset where it applies.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file could not be created, read, written or synced.
    #[error("{}{}: {source}", path.display(), at(*offset))]
    Io {
        /// The log file.
        path: PathBuf,
        /// Where in the file, when known.
        offset: Option<u64>,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file does not start with the run-log signature.
    #[error(
        "{}: not a physrc run log (it does not start with the run-log signature); \
         choose another --log file",
        path.display()
    )]
    NotALog {
        /// The file.
        path: PathBuf,
    },
    /// A record passed its CRC but cannot be what it claims (unknown type, wrong counts,
    /// steps out of order): written by another program or another format version.
    #[error("{}: record at byte {offset}: {message}", path.display())]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// Offset of the record.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A log already exists where a new run was to start one.
    #[error(
        "{}: a run log already exists here; pass --resume to continue the run it records, \
         or choose another --log file",
        path.display()
    )]
    Exists {
        /// The log file.
        path: PathBuf,
    },
    /// The log records a different run than the one asked to resume it.
    #[error("{}{}: cannot resume: {message}", path.display(), at(*offset))]
    Mismatch {
        /// The log file.
        path: PathBuf,
        /// Offset of the record that differs, when one does.
        offset: Option<u64>,
        /// What differs.
        message: String,
    },
}

fn at(offset: Option<u64>) -> String {
    offset.map(|o| format!(": at byte {o}")).unwrap_or_default()
}

impl HasErrorKind for LogError {
    fn kind(&self) -> ErrorKind {
        match self {
            LogError::Io { .. } | LogError::NotALog { .. } | LogError::Corrupt { .. } => {
                ErrorKind::Io
            }
            LogError::Exists { .. } | LogError::Mismatch { .. } => ErrorKind::InvalidParameter,
        }
    }
}

fn io_err(path: &Path, offset: Option<u64>) -> impl FnOnce(std::io::Error) -> LogError + '_ {
    move |source| LogError::Io {
        path: path.to_path_buf(),
        offset,
        source,
    }
}

/// The first record: what run the log belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartRecord {
    /// physrc's version.
    pub physrc_version: String,
    /// The substrate's [`Info`](physrc_core::Info), as in `report.json`.
    pub substrate: serde_json::Value,
    /// The resolved config as TOML (after `--seed`; defaults of `[split]`, `[readout]` and
    /// `[data]` filled in; `[output]` left out, since it changes what is written, not what is
    /// measured).
    pub config: String,
    /// Where the config came from.
    pub origin: String,
    /// The substrate's seed, under the key its kind takes it, when it has one.
    pub seed: Option<i64>,
    /// The split.
    pub split: Split,
    /// Steps the run drives (`washout + train + test`).
    pub steps: usize,
    /// Input components per step.
    pub input_dim: usize,
    /// State components per step.
    pub state_dim: usize,
    /// CRC-32C of the whole (normalised) input sequence, see [`inputs_crc32c`].
    pub inputs_crc32c: u32,
    /// When the run started, in seconds since the Unix epoch.
    pub started_unix_seconds: f64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every step was taken and the readout scored.
    Success,
    /// Stopped on request before the end.
    Abort,
    /// Stopped by an error; the message says which.
    Fail,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Success => "success",
            Status::Abort => "abort",
            Status::Fail => "fail",
        })
    }
}

/// The last record of a finished run. A killed run has none; a run resumed after a failure
/// keeps the failure's stop record and appends its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopRecord {
    /// How the run ended.
    pub status: Status,
    /// The error message of a failure; empty on success.
    pub message: String,
    /// Step records in the log when it stopped.
    pub steps: usize,
    /// The substrate's energy estimate at the end, in joules, when it has one.
    pub energy_joules: Option<f64>,
    /// When the run stopped, in seconds since the Unix epoch.
    pub stopped_unix_seconds: f64,
}

/// One step: its index (from 0), the normalised input, the physical drive the substrate
/// reported (empty when it reports none) and the state read out.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// Row of the input sequence.
    pub index: u64,
    /// The input, in `[-1, 1]`.
    pub input: Vec<f64>,
    /// [`Reservoir::last_drive`](physrc_core::Reservoir::last_drive) after the step.
    pub drive: Vec<f64>,
    /// The state.
    pub state: Vec<f64>,
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// The start of the run.
    Start(StartRecord),
    /// One step.
    Step(StepRecord),
    /// The end of a run, or of one attempt at it.
    Stop(StopRecord),
}

/// Where and why a reader stopped before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TornTail {
    /// Offset of the first byte not accepted.
    pub offset: u64,
    /// Bytes from there to the end of the file.
    pub bytes: u64,
    /// Why: a partial header or record, a bad length, a CRC mismatch.
    pub reason: String,
}

/// Reads a run log record by record, checking every length and CRC.
///
/// It never modifies the file. It stops at the torn tail, if any: the first record that is
/// cut short or whose length or CRC is wrong, and everything after it.
#[derive(Debug)]
pub struct LogReader {
    path: PathBuf,
    file: BufReader<File>,
    offset: u64,
    len: u64,
    torn: Option<TornTail>,
    buf: Vec<u8>,
}

impl LogReader {
    /// Opens a log and checks its signature. A file shorter than the signature whose bytes
    /// begin it (a log torn while being created) reads as an empty log with a torn tail.
    ///
    /// # Errors
    ///
    /// [`LogError::Io`] when the file cannot be read; [`LogError::NotALog`] when it does
    /// not start with [`MAGIC`].
    pub fn open(path: &Path) -> Result<LogReader, LogError> {
        let f = File::open(path).map_err(io_err(path, None))?;
        let len = f.metadata().map_err(io_err(path, None))?.len();
        let mut file = BufReader::with_capacity(1 << 16, f);
        let head = len.min(MAGIC.len() as u64) as usize;
        let mut sig = [0u8; MAGIC.len()];
        file.read_exact(&mut sig[..head])
            .map_err(io_err(path, Some(0)))?;
        if sig[..head] != MAGIC[..head] {
            return Err(LogError::NotALog {
                path: path.to_path_buf(),
            });
        }
        let torn = (head < MAGIC.len() && len > 0).then(|| TornTail {
            offset: 0,
            bytes: len,
            reason: "partial signature".to_owned(),
        });
        Ok(LogReader {
            path: path.to_path_buf(),
            file,
            offset: if head == MAGIC.len() { head as u64 } else { 0 },
            len,
            torn,
            buf: Vec::new(),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of the file that hold complete, checked records (and the signature): where a
    /// resumed run truncates it.
    pub fn valid_len(&self) -> u64 {
        self.offset
    }

    /// The torn tail, once the reader has reached it.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.torn.as_ref()
    }

    fn tear(&mut self, reason: String) {
        self.torn = Some(TornTail {
            offset: self.offset,
            bytes: self.len - self.offset,
            reason,
        });
    }

    /// The next complete record and its byte offset, or `None` at the end of the file or at
    /// the torn tail ([`torn_tail`](LogReader::torn_tail) says which).
    ///
    /// # Errors
    ///
    /// [`LogError::Io`] when reading fails; [`LogError::Corrupt`] for a record that passes
    /// its CRC but cannot be decoded.
    pub fn next_record(&mut self) -> Result<Option<(u64, Record)>, LogError> {
        if self.torn.is_some() || self.offset == self.len {
            return Ok(None);
        }
        let at = self.offset;
        let left = self.len - at;
        if left < HEADER as u64 {
            self.tear(format!("partial record header ({left} of {HEADER} bytes)"));
            return Ok(None);
        }
        let mut head = [0u8; HEADER];
        self.file
            .read_exact(&mut head)
            .map_err(io_err(&self.path, Some(at)))?;
        let n = u32::from_le_bytes(head[..4].try_into().expect("four bytes"));
        let crc = u32::from_le_bytes(head[4..].try_into().expect("four bytes"));
        if n == 0 || n > MAX_PAYLOAD {
            self.tear(format!("bad record length {n}"));
            return Ok(None);
        }
        if left - (HEADER as u64) < u64::from(n) {
            self.tear(format!(
                "partial record ({} of {n} payload bytes)",
                left - HEADER as u64
            ));
            return Ok(None);
        }
        self.buf.resize(n as usize, 0);
        self.file
            .read_exact(&mut self.buf)
            .map_err(io_err(&self.path, Some(at)))?;
        let actual = crc32c(&self.buf);
        if actual != crc {
            self.tear(format!(
                "CRC mismatch (stored {crc:#010x}, computed {actual:#010x})"
            ));
            return Ok(None);
        }
        self.offset += HEADER as u64 + u64::from(n);
        let rec = decode(&self.buf).map_err(|message| LogError::Corrupt {
            path: self.path.clone(),
            offset: at,
            message,
        })?;
        Ok(Some((at, rec)))
    }
}

fn decode(payload: &[u8]) -> Result<Record, String> {
    let (&tag, body) = payload.split_first().ok_or("empty record")?;
    match tag {
        TAG_START => serde_json::from_slice(body)
            .map(Record::Start)
            .map_err(|e| format!("start record: {e}")),
        TAG_STOP => serde_json::from_slice(body)
            .map(Record::Stop)
            .map_err(|e| format!("stop record: {e}")),
        TAG_STEP => decode_step(body).map(Record::Step),
        other => Err(format!("unknown record type {other}")),
    }
}

fn decode_step(body: &[u8]) -> Result<StepRecord, String> {
    const FIXED: usize = 8 + 3 * 4;
    if body.len() < FIXED {
        return Err(format!("step record of {} bytes is too short", body.len()));
    }
    let u32_at = |i: usize| u32::from_le_bytes(body[i..i + 4].try_into().expect("four bytes"));
    let index = u64::from_le_bytes(body[..8].try_into().expect("eight bytes"));
    let counts = [u32_at(8) as usize, u32_at(12) as usize, u32_at(16) as usize];
    let values: usize = counts.iter().sum();
    if body.len() != FIXED + 8 * values {
        return Err(format!(
            "step record of {} bytes does not hold {} inputs, {} drive values and {} states",
            body.len(),
            counts[0],
            counts[1],
            counts[2]
        ));
    }
    let mut floats = body[FIXED..]
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("eight bytes")));
    let mut take = |n: usize| floats.by_ref().take(n).collect::<Vec<f64>>();
    Ok(StepRecord {
        index,
        input: take(counts[0]),
        drive: take(counts[1]),
        state: take(counts[2]),
    })
}

/// Appends records to a run log.
///
/// Each record goes to the file in one write call. The file is synced (`sync_data`) after
/// the start record, every `sync_every` records and after a stop record; a crash in between
/// loses at most the records since the last sync, and only to a power cut (a killed process
/// loses nothing the kernel already has).
#[derive(Debug)]
pub struct LogWriter {
    path: PathBuf,
    file: File,
    len: u64,
    sync_every: NonZeroUsize,
    unsynced: usize,
    buf: Vec<u8>,
    broken: bool,
}

impl LogWriter {
    /// Starts a new log at `path`: the file must not exist or be empty. Writes the signature
    /// and syncs the file and its folder, so the new name survives a crash.
    ///
    /// # Errors
    ///
    /// [`LogError::Exists`] for a non-empty file; [`LogError::Io`] otherwise.
    pub fn create(path: &Path, sync_every: NonZeroUsize) -> Result<LogWriter, LogError> {
        let file = match OpenOptions::new().append(true).create_new(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let f = OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map_err(io_err(path, None))?;
                if f.metadata().map_err(io_err(path, None))?.len() > 0 {
                    return Err(LogError::Exists {
                        path: path.to_path_buf(),
                    });
                }
                f
            }
            Err(e) => return Err(io_err(path, None)(e)),
        };
        sync_parent(path)?;
        let mut w = LogWriter::new(path, file, 0, sync_every);
        w.write_raw(&MAGIC)?;
        w.sync()?;
        Ok(w)
    }

    /// Reopens an existing log to append to it, cutting it to `valid_len` bytes first (the
    /// [`LogReader::valid_len`] of a scan: the torn tail goes). A log cut to nothing gets its
    /// signature again.
    ///
    /// # Errors
    ///
    /// [`LogError::Io`].
    pub fn reopen(
        path: &Path,
        valid_len: u64,
        sync_every: NonZeroUsize,
    ) -> Result<LogWriter, LogError> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io_err(path, None))?;
        let len = file.metadata().map_err(io_err(path, None))?.len();
        if len != valid_len {
            file.set_len(valid_len)
                .map_err(io_err(path, Some(valid_len)))?;
            file.sync_data().map_err(io_err(path, Some(valid_len)))?;
        }
        let mut w = LogWriter::new(path, file, valid_len, sync_every);
        if valid_len < MAGIC.len() as u64 {
            w.file.set_len(0).map_err(io_err(path, Some(0)))?;
            w.len = 0;
            w.write_raw(&MAGIC)?;
            w.sync()?;
        }
        Ok(w)
    }

    fn new(path: &Path, file: File, len: u64, sync_every: NonZeroUsize) -> LogWriter {
        LogWriter {
            path: path.to_path_buf(),
            file,
            len,
            sync_every,
            unsynced: 0,
            buf: Vec::new(),
            broken: false,
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written so far (the file's length).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing, not even the signature, has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether an earlier write failed. The file may then end in a partial record, so no
    /// further record is written: a reader would stop at the partial one anyway.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Appends the start record and syncs.
    ///
    /// # Errors
    ///
    /// [`LogError::Io`].
    pub fn start(&mut self, r: &StartRecord) -> Result<(), LogError> {
        self.append_json(TAG_START, r)?;
        self.sync()
    }

    /// Appends a step record; syncs every `sync_every` records.
    ///
    /// # Errors
    ///
    /// [`LogError::Io`].
    pub fn step(
        &mut self,
        index: u64,
        input: &[f64],
        drive: &[f64],
        state: &[f64],
    ) -> Result<(), LogError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend_from_slice(&[0; HEADER]);
        buf.push(TAG_STEP);
        buf.extend_from_slice(&index.to_le_bytes());
        for n in [input.len(), drive.len(), state.len()] {
            buf.extend_from_slice(&(n as u32).to_le_bytes());
        }
        for v in input.iter().chain(drive).chain(state) {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        let res = self.append_framed(&mut buf);
        self.buf = buf;
        res
    }

    /// Appends a stop record and syncs.
    ///
    /// # Errors
    ///
    /// [`LogError::Io`].
    pub fn stop(&mut self, r: &StopRecord) -> Result<(), LogError> {
        self.append_json(TAG_STOP, r)?;
        self.sync()
    }

    /// Flushes written records to the disk (`sync_data`).
    ///
    /// # Errors
    ///
    /// [`LogError::Io`].
    pub fn sync(&mut self) -> Result<(), LogError> {
        self.file
            .sync_data()
            .map_err(io_err(&self.path, Some(self.len)))?;
        self.unsynced = 0;
        Ok(())
    }

    fn append_json<T: Serialize>(&mut self, tag: u8, r: &T) -> Result<(), LogError> {
        let mut buf = vec![0; HEADER];
        buf.push(tag);
        serde_json::to_writer(&mut buf, r).expect("records serialise");
        self.append_framed(&mut buf)
    }

    /// Fills in the header of `buf` (`HEADER` placeholder bytes, then the payload), writes it
    /// in one call, and syncs when `sync_every` records are pending.
    fn append_framed(&mut self, buf: &mut [u8]) -> Result<(), LogError> {
        let payload = buf.len() - HEADER;
        if payload > MAX_PAYLOAD as usize {
            return Err(LogError::Io {
                path: self.path.clone(),
                offset: Some(self.len),
                source: std::io::Error::other(format!(
                    "a record of {payload} bytes exceeds the format's limit of {MAX_PAYLOAD}"
                )),
            });
        }
        let crc = crc32c(&buf[HEADER..]);
        buf[..4].copy_from_slice(&(payload as u32).to_le_bytes());
        buf[4..HEADER].copy_from_slice(&crc.to_le_bytes());
        self.write_raw(buf)?;
        self.unsynced += 1;
        if self.unsynced >= self.sync_every.get() {
            self.sync()?;
        }
        Ok(())
    }

    fn write_raw(&mut self, bytes: &[u8]) -> Result<(), LogError> {
        if self.broken {
            return Err(LogError::Io {
                path: self.path.clone(),
                offset: Some(self.len),
                source: std::io::Error::other("an earlier write to the log failed"),
            });
        }
        // One `write_all` of the whole record: a regular file takes it in one write call, so
        // a crash tears at most this record.
        if let Err(source) = self.file.write_all(bytes) {
            self.broken = true;
            return Err(LogError::Io {
                path: self.path.clone(),
                offset: Some(self.len),
                source,
            });
        }
        self.len += bytes.len() as u64;
        Ok(())
    }
}

/// Syncs the folder holding `path`, so that a newly created file's name is on the disk.
fn sync_parent(path: &Path) -> Result<(), LogError> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| LogError::Io {
                path: dir.to_path_buf(),
                offset: None,
                source,
            })?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The run's config as TOML text, as logged in [`StartRecord::config`]: the sections that
/// decide what is measured, with the defaults the facade filled in.
pub(crate) fn resolved_config(cfg: &RunConfig) -> String {
    let mut t = toml::Table::new();
    t.insert(
        "substrate".to_owned(),
        toml::Value::Table(cfg.substrate.clone()),
    );
    match &cfg.source {
        DataSource::Task(task) => {
            t.insert("task".to_owned(), toml::Value::Table(task.clone()));
        }
        DataSource::Files(f) => {
            let mut d = toml::Table::new();
            if let Some(p) = &f.inputs {
                d.insert("inputs".to_owned(), p.display().to_string().into());
            }
            d.insert("targets".to_owned(), f.targets.display().to_string().into());
            d.insert("normalize".to_owned(), f.normalize.into());
            t.insert("data".to_owned(), toml::Value::Table(d));
        }
    }
    t.insert(
        "split".to_owned(),
        toml::Value::try_from(cfg.split).expect("the split serialises"),
    );
    t.insert(
        "readout".to_owned(),
        toml::Value::try_from(&cfg.readout).expect("readout settings serialise"),
    );
    toml::to_string(&t).expect("a TOML table serialises")
}

/// The substrate's seed, under the key its kind takes it ([`crate::substrate::seed_key`]).
pub(crate) fn substrate_seed(cfg: &RunConfig) -> Option<i64> {
    let key = crate::substrate::seed_key(cfg.substrate_kind().ok()?)?;
    cfg.substrate.get(key).and_then(toml::Value::as_integer)
}

/// Seconds since the Unix epoch, for the start and stop records.
pub(crate) fn unix_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// What a scan of an existing log found, checked against the run that is to resume it.
#[derive(Debug)]
pub(crate) struct Resume {
    /// Bytes of complete records; the file is cut here.
    pub valid_len: u64,
    /// The torn tail that will be cut, if any.
    pub torn: Option<TornTail>,
    /// Whether the log has its start record.
    pub has_start: bool,
    /// Complete step records (`K`): steps `0..K` come from the log.
    pub steps: usize,
    /// The stop record, when the log ends in one that says success.
    pub finished: Option<StopRecord>,
}

/// Scans the log at `path` and checks that it records the run described by `current`
/// driven with `inputs`: the same split, seed and config, the same input in every logged
/// step, bit for bit. Reads only.
pub(crate) fn check_resume(
    path: &Path,
    current: &StartRecord,
    inputs: ArrayView2<'_, f64>,
) -> Result<Resume, LogError> {
    let mismatch = |offset: Option<u64>, message: String| LogError::Mismatch {
        path: path.to_path_buf(),
        offset,
        message,
    };
    let corrupt = |offset: u64, message: String| LogError::Corrupt {
        path: path.to_path_buf(),
        offset,
        message,
    };
    let mut reader = LogReader::open(path)?;
    let mut has_start = false;
    let mut logged_crc = None;
    let mut steps = 0usize;
    // The last stop record, if nothing but stop records follows it.
    let mut last_stop: Option<(u64, StopRecord)> = None;
    while let Some((offset, rec)) = reader.next_record()? {
        match rec {
            Record::Start(s) => {
                if has_start || steps > 0 || last_stop.is_some() {
                    return Err(corrupt(
                        offset,
                        "a second start record; a log holds one run".to_owned(),
                    ));
                }
                has_start = true;
                compare_start(&s, current).map_err(|m| mismatch(Some(offset), m))?;
                logged_crc = Some((offset, s.inputs_crc32c));
            }
            Record::Step(st) => {
                if !has_start {
                    return Err(corrupt(
                        offset,
                        "a step record before the start record".to_owned(),
                    ));
                }
                if st.index != steps as u64 {
                    return Err(corrupt(
                        offset,
                        format!("step {} where step {steps} was expected", st.index),
                    ));
                }
                if steps >= inputs.nrows() {
                    return Err(mismatch(
                        Some(offset),
                        format!("the log has more steps than the run's {}", inputs.nrows()),
                    ));
                }
                let row = inputs.row(steps);
                if st.input.len() != row.len() {
                    return Err(mismatch(
                        Some(offset),
                        format!(
                            "step {steps} has {} input components, the run {}",
                            st.input.len(),
                            row.len()
                        ),
                    ));
                }
                if let Some((j, (a, b))) = st
                    .input
                    .iter()
                    .zip(row.iter())
                    .enumerate()
                    .find(|(_, (a, b))| a.to_bits() != b.to_bits())
                {
                    return Err(mismatch(
                        Some(offset),
                        format!(
                            "the input of step {steps}, component {j}, is {b:?} in this run \
                             but {a:?} in the log; the log belongs to another input sequence"
                        ),
                    ));
                }
                if st.state.len() != current.state_dim {
                    return Err(mismatch(
                        Some(offset),
                        format!(
                            "step {steps} has {} state components, the substrate {}",
                            st.state.len(),
                            current.state_dim
                        ),
                    ));
                }
                steps += 1;
                last_stop = None;
            }
            Record::Stop(s) => {
                if !has_start {
                    return Err(corrupt(
                        offset,
                        "a stop record before the start record".to_owned(),
                    ));
                }
                last_stop = Some((offset, s));
            }
        }
    }
    // Checked last, so that a step whose input differs is named first: the CRC covers the
    // steps not logged yet too.
    if let Some((offset, crc)) = logged_crc {
        if crc != current.inputs_crc32c {
            return Err(mismatch(
                Some(offset),
                format!(
                    "the {steps} logged inputs match, but the run's input sequence differs \
                     after them (CRC-32C {:#010x}, the log's {crc:#010x}); the data changed \
                     since the log was started",
                    current.inputs_crc32c
                ),
            ));
        }
    }
    let finished = match last_stop {
        Some((offset, s)) if s.status == Status::Success => {
            if steps != current.steps {
                return Err(corrupt(
                    offset,
                    format!(
                        "the stop record says success but only {steps} of {} steps are logged",
                        current.steps
                    ),
                ));
            }
            Some(s)
        }
        _ => None,
    };
    Ok(Resume {
        valid_len: reader.valid_len(),
        torn: reader.torn_tail().cloned(),
        has_start,
        steps,
        finished,
    })
}

/// Compares a logged start record with the current run's: split, seed, config (naming the
/// first key that differs), and the dimensions.
fn compare_start(logged: &StartRecord, current: &StartRecord) -> Result<(), String> {
    if logged.split != current.split {
        let s = |x: &Split| format!("{} + {} + {}", x.washout, x.train, x.test);
        return Err(format!(
            "the split (washout + train + test) is {} in this run but {} in the log; restore \
             it, or choose another --log file to start a new run",
            s(&current.split),
            s(&logged.split)
        ));
    }
    if logged.seed != current.seed {
        let s = |x: Option<i64>| x.map_or("none".to_owned(), |v| v.to_string());
        return Err(format!(
            "the substrate's seed is {} in this run but {} in the log; give the logged seed, \
             or choose another --log file to start a new run",
            s(current.seed),
            s(logged.seed)
        ));
    }
    let old: toml::Table = logged
        .config
        .parse()
        .map_err(|e| format!("the logged config is not TOML: {e}"))?;
    let new: toml::Table = current
        .config
        .parse()
        .map_err(|e| format!("the run's config is not TOML: {e}"))?;
    if let Some(d) = first_difference(&old, &new, "") {
        return Err(format!(
            "the config differs from the logged run's: {d}; restore it, or choose another \
             --log file to start a new run"
        ));
    }
    if logged.input_dim != current.input_dim || logged.state_dim != current.state_dim {
        return Err(format!(
            "the run has {} input and {} state components per step, the log {} and {}",
            current.input_dim, current.state_dim, logged.input_dim, logged.state_dim
        ));
    }
    Ok(())
}

/// The first key (in sorted order) whose value differs between two tables, as
/// `[section] key is X in this run but Y in the log`.
fn first_difference(old: &toml::Table, new: &toml::Table, section: &str) -> Option<String> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let name = if section.is_empty() {
            k.clone()
        } else {
            format!("{section}.{k}")
        };
        match (old.get(k), new.get(k)) {
            (Some(toml::Value::Table(a)), Some(toml::Value::Table(b))) => {
                if let Some(d) = first_difference(a, b, &name) {
                    return Some(d);
                }
            }
            (a, b) if a == b => {}
            (a, b) => {
                let (sec, key) = match name.rsplit_once('.') {
                    Some((s, key)) => (format!("[{s}] "), key.to_owned()),
                    None => (String::new(), name.clone()),
                };
                let show =
                    |v: Option<&toml::Value>| v.map_or("absent".to_owned(), |v| v.to_string());
                return Some(format!(
                    "{sec}{key} is {} in this run but {} in the log",
                    show(b),
                    show(a)
                ));
            }
        }
    }
    None
}

/// Reads the states of the first `k` step records, in order, for a resumed run.
#[derive(Debug)]
pub(crate) struct LoggedStates {
    reader: LogReader,
    left: usize,
}

impl LoggedStates {
    pub(crate) fn open(path: &Path, k: usize) -> Result<LoggedStates, LogError> {
        Ok(LoggedStates {
            reader: LogReader::open(path)?,
            left: k,
        })
    }

    /// The state of the next logged step.
    pub(crate) fn next_state(&mut self) -> Result<Vec<f64>, LogError> {
        while self.left > 0 {
            match self.reader.next_record()? {
                Some((_, Record::Step(s))) => {
                    self.left -= 1;
                    return Ok(s.state);
                }
                Some(_) => {}
                None => break,
            }
        }
        Err(LogError::Corrupt {
            path: self.reader.path().to_path_buf(),
            offset: self.reader.valid_len(),
            message: "the log ended before the steps it was checked to hold; \
                      was it changed while the run resumed?"
                .to_owned(),
        })
    }
}

/// What [`export`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSummary {
    /// Step records exported (rows of `inputs.npy` and `states.npy`).
    pub steps: usize,
    /// Whether the log ends in a stop record, and its status.
    pub stop: Option<Status>,
    /// Whether `drive.npy` was written.
    pub drive: bool,
    /// The torn tail that was left out, if any.
    pub torn_tail: Option<TornTail>,
}

/// Everything in a log, decoded: for [`export`] and for tests.
#[derive(Debug, Clone, PartialEq)]
pub struct LogContents {
    /// The start record, when the log got that far.
    pub start: Option<StartRecord>,
    /// The step records, in order.
    pub steps: Vec<StepRecord>,
    /// Every stop record, in order. The last one is the run's end if no step follows it.
    pub stops: Vec<StopRecord>,
    /// Whether the log ends in a stop record (no step record after the last stop).
    pub stopped: bool,
    /// The torn tail that was left out, if any.
    pub torn_tail: Option<TornTail>,
}

/// Reads and checks a whole log without modifying it.
///
/// # Errors
///
/// As [`LogReader::next_record`], and [`LogError::Corrupt`] for records out of order (steps
/// not numbered from 0 in order, a step before the start record, two start records) or a
/// step whose input or state width is not the one the start record declares.
pub fn read(path: &Path) -> Result<LogContents, LogError> {
    let mut reader = LogReader::open(path)?;
    let mut c = LogContents {
        start: None,
        steps: Vec::new(),
        stops: Vec::new(),
        stopped: false,
        torn_tail: None,
    };
    while let Some((offset, rec)) = reader.next_record()? {
        let corrupt = |message: &str| LogError::Corrupt {
            path: path.to_path_buf(),
            offset,
            message: message.to_owned(),
        };
        match rec {
            Record::Start(s) => {
                if c.start.is_some() || !c.steps.is_empty() || !c.stops.is_empty() {
                    return Err(corrupt("a second start record; a log holds one run"));
                }
                c.start = Some(s);
            }
            Record::Step(s) => {
                let Some(start) = &c.start else {
                    return Err(corrupt("a step record before the start record"));
                };
                if s.input.len() != start.input_dim || s.state.len() != start.state_dim {
                    return Err(corrupt(&format!(
                        "step {} has {} input and {} state components; the start record \
                         declares {} and {}",
                        s.index,
                        s.input.len(),
                        s.state.len(),
                        start.input_dim,
                        start.state_dim
                    )));
                }
                if s.index != c.steps.len() as u64 {
                    return Err(corrupt(&format!(
                        "step {} where step {} was expected",
                        s.index,
                        c.steps.len()
                    )));
                }
                c.steps.push(s);
                c.stopped = false;
            }
            Record::Stop(s) => {
                if c.start.is_none() {
                    return Err(corrupt("a stop record before the start record"));
                }
                c.stops.push(s);
                c.stopped = true;
            }
        }
    }
    c.torn_tail = reader.torn_tail().cloned();
    Ok(c)
}

/// Writes a log's contents into `out` as `.npy` files: `inputs.npy` (`T × d`), `states.npy`
/// (`T × n`, which `[substrate] kind = "recorded"` reads), `drive.npy` (`T × m`, when the
/// substrate reported drives; rows shorter than the longest are padded with NaN) and
/// `metadata.json` (the start record, the stop record or `null` when the run did not finish,
/// the step count, the torn tail left out).
///
/// # Errors
///
/// [`RunError::Log`] when the log cannot be read or is corrupt, [`RunError::Io`] when a file
/// cannot be written.
pub fn export(log: &Path, out: &Path) -> Result<ExportSummary, RunError> {
    let c = read(log)?;
    let t = c.steps.len();
    let d = c.start.as_ref().map_or(0, |s| s.input_dim);
    let n = c.start.as_ref().map_or(0, |s| s.state_dim);
    let m = c.steps.iter().map(|s| s.drive.len()).max().unwrap_or(0);
    let padded = c.steps.iter().any(|s| s.drive.len() != m);
    let rows = |f: fn(&StepRecord) -> &[f64], w: usize| {
        let mut a = Array2::from_elem((t, w), f64::NAN);
        for (mut row, s) in a.rows_mut().into_iter().zip(&c.steps) {
            for (dst, src) in row.iter_mut().zip(f(s)) {
                *dst = *src;
            }
        }
        a
    };
    std::fs::create_dir_all(out).map_err(|source| RunError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    npy::write(&out.join("inputs.npy"), &rows(|s| &s.input, d))?;
    npy::write(&out.join("states.npy"), &rows(|s| &s.state, n))?;
    if m > 0 {
        npy::write(&out.join("drive.npy"), &rows(|s| &s.drive, m))?;
    }
    let stop = if c.stopped { c.stops.last() } else { None };
    let meta = serde_json::json!({
        "log": log.display().to_string(),
        "steps": t,
        "start": c.start,
        "stop": stop,
        "earlier_stops": &c.stops[..c.stops.len() - usize::from(stop.is_some())],
        "drive_columns": m,
        "drive_padded_with_nan": padded,
        "torn_tail": c.torn_tail,
    });
    let p = out.join("metadata.json");
    let json = serde_json::to_string_pretty(&meta).expect("metadata serialises");
    std::fs::write(&p, json + "\n").map_err(|source| RunError::Io { path: p, source })?;
    Ok(ExportSummary {
        steps: t,
        stop: stop.map(|s| s.status),
        drive: m > 0,
        torn_tail: c.torn_tail,
    })
}
